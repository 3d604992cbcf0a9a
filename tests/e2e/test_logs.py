"""The bot token never appears in the logs, at any level, in-process or as a real process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from bot.migrations import PROJECT_ROOT
from tests.harness import TEST_TOKEN, eventually, onboard

TOKEN_SECRET_PART = TEST_TOKEN.split(":")[1]


async def test_a_whole_session_at_debug_level_logs_no_token(onboarded, admin_id, tg, caplog):
    caplog.set_level(logging.DEBUG)
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler"):
        caplog.set_level(logging.DEBUG, logger=noisy)
    admin = await onboarded("Ada", id=admin_id)
    client = await onboarded("Cara")
    await admin.send(f"/trainer add {client.id}")
    await admin.expect("is now a trainer")
    await client.expect("You're now a trainer")
    await client.send("/settings")
    await client.expect("Your settings")

    assert len(caplog.records) > 50, "expected a chatty DEBUG log to search"
    assert any("getUpdates" in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        message = record.getMessage()
        assert TOKEN_SECRET_PART not in message, f"token in log: {record.name}: {message}"
        assert TOKEN_SECRET_PART not in str(record.__dict__)
    assert TOKEN_SECRET_PART not in caplog.text


@pytest.fixture
def bot_process(telegram_server, tg, fresh_database_url, admin_id, tmp_path):
    """`python -m bot run` as a child process, at DEBUG level, against the fake Bot API
    (reset first, by `tg`, so that the reset does not cut the bot's first long poll)."""
    log_path = tmp_path / "bot.log"
    env = {
        **os.environ,
        "BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_BASE_URL": f"{telegram_server.base_url}/bot",
        "DATABASE_URL": fresh_database_url(),
        "ADMIN_IDS": str(admin_id),
        "LOG_LEVEL": "DEBUG",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    # Start-up (migrations, getMe) takes its time on a busy machine: wait for "ready"
    # rather than for a fixed number of seconds.
    deadline = time.monotonic() + 120
    while "ready" not in log_path.read_text() and process.poll() is None:
        assert time.monotonic() < deadline, f"the bot did not start:\n{log_path.read_text()}"
        time.sleep(0.2)
    yield process, log_path
    if process.poll() is None:
        process.kill()
        process.wait()


async def test_the_bot_as_a_process_onboards_users_and_logs_no_token(bot_process, tg, admin_id):
    process, log_path = bot_process
    # Start-up (migrations, reaching Telegram) may take a while on a busy machine.
    await eventually(lambda: "running (long polling)" in log_path.read_text(), timeout=60)
    admin = tg.user("Ada", id=admin_id)
    await onboard(admin)
    await admin.send("/trainer list")
    await admin.expect("Admins")

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    log = log_path.read_text()
    assert "bot @TherapyTestBot ready" in log
    assert "is at revision" in log
    assert TOKEN_SECRET_PART not in log, "the token leaked into the process log"
    # PTB logs the API URL at DEBUG: it is there, with the token cut out.
    assert "/bot[REDACTED]" in log
    assert "Traceback" not in log


def test_run_without_a_token_explains_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "@BotFather" in result.stderr
    assert ".env" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, "one paragraph"
    assert time.monotonic() - started < 30
