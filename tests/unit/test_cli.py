"""The command line, run as a user runs it: a real process, its output and exit status."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.migrations import PROJECT_ROOT
from tests.harness import TEST_TOKEN


def run_cli(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "TELEGRAM_API_BASE_URL", "LOG_LEVEL"}
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(PROJECT_ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", ["run", "migrate", "check"])
def test_every_command_has_help(tmp_path, command):
    result = run_cli(tmp_path, command, "--help")
    assert result.returncode == 0
    assert f"usage: python -m bot {command}" in result.stdout


def test_no_command_shows_usage(tmp_path):
    result = run_cli(tmp_path)
    assert result.returncode == 2
    assert "run" in result.stderr and "migrate" in result.stderr and "check" in result.stderr


def test_a_bad_setting_fails_with_one_line_and_status_2(tmp_path):
    result = run_cli(tmp_path, "migrate", DEFAULT_TIMEZONE="Moon/Base")
    assert result.returncode == 2
    assert result.stderr == (
        "Configuration error: DEFAULT_TIMEZONE: 'Moon/Base' is not an IANA time zone "
        "(examples: UTC, Europe/Berlin, America/New_York)\n"
    )


def test_migrate_creates_the_sqlite_file_under_data(tmp_path):
    result = run_cli(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert "is at revision" in result.stdout
    assert (tmp_path / "data" / "bot.db").exists()
    again = run_cli(tmp_path, "migrate")
    assert again.returncode == 0
    assert result.stdout.splitlines()[-1] == again.stdout.splitlines()[-1]


def test_check_reports_database_and_bot_username(tmp_path, telegram_server):
    assert run_cli(tmp_path, "migrate").returncode == 0
    result = run_cli(
        tmp_path,
        "check",
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE_URL=f"{telegram_server.base_url}/bot",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Database: OK" in result.stdout
    assert "Telegram: OK, this is @TherapyTestBot" in result.stdout
    assert TEST_TOKEN.split(":")[1] not in result.stdout + result.stderr


def test_check_says_what_failed(tmp_path, telegram_server):
    result = run_cli(
        tmp_path,
        "check",
        BOT_TOKEN="42:wrongtoken",
        TELEGRAM_API_BASE_URL=f"{telegram_server.base_url}/bot",
        DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/nothing",
    )
    assert result.returncode == 1
    assert "Database: FAILED to connect to postgresql+asyncpg://nobody@127.0.0.1:1/nothing" in (
        result.stdout
    )
    assert "Telegram: FAILED, the server rejected BOT_TOKEN" in result.stdout


def test_check_notices_an_unmigrated_database(tmp_path, telegram_server):
    result = run_cli(
        tmp_path,
        "check",
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE_URL=f"{telegram_server.base_url}/bot",
    )
    assert result.returncode == 1
    assert "run `python -m bot migrate`" in result.stdout


def test_check_on_an_unreachable_api(tmp_path):
    result = run_cli(
        tmp_path, "check", BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_BASE_URL="http://127.0.0.1:1/bot"
    )
    assert result.returncode == 1
    assert "Telegram: FAILED to reach http://127.0.0.1:1/bot" in result.stdout
