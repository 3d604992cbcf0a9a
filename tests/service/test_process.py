"""`python -m bot run` as a process: SIGTERM, JSON logs, start-up without Telegram, a rejected
token, and `check` in webhook mode."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.migrations import PROJECT_ROOT
from tests.harness import TEST_TOKEN, eventually
from tests.service.conftest import SECRET, free_port

TOKEN_SECRET_PART = TEST_TOKEN.split(":")[1]


class BotProcess:
    def __init__(self, process: subprocess.Popen, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_for(self, fragment: str, timeout: float = 60) -> None:
        def seen() -> bool:
            assert self.process.poll() is None or fragment in self.log(), (
                f"the bot exited:\n{self.log()}"
            )
            return fragment in self.log()

        await eventually(seen, timeout=timeout, interval=0.05)


@pytest.fixture
def bot_process(telegram_server, fresh_database_url, tmp_path):
    started: list[BotProcess] = []

    def start(*args: str, **env: str) -> BotProcess:
        log_path = tmp_path / f"bot{len(started)}.log"
        variables = {
            **{k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "BOT_MODE")},
            "BOT_TOKEN": TEST_TOKEN,
            "TELEGRAM_API_BASE_URL": f"{telegram_server.base_url}/bot",
            "DATABASE_URL": fresh_database_url(),
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(PROJECT_ROOT),
            **env,
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", *(args or ("run",))],
                cwd=tmp_path,
                env=variables,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(BotProcess(process, log_path))
        return started[-1]

    yield start
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait()


async def test_sigterm_lets_the_update_in_flight_finish_and_exits_0(bot_process, tg):
    bot = bot_process(SHUTDOWN_GRACE_SECONDS="20")
    await bot.wait_for("running (long polling)")
    alex = tg.user("Alex")
    await tg.faults(slow={"sendMessage": 2.0})  # the reply takes 2 s to go out
    await alex.send("/help")
    await eventually(lambda: replying(tg), timeout=10)
    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    assert await _exit_code(bot) == 0
    assert time.monotonic() - started >= 1.0, "it waited for the reply"
    await alex.expect("Send /start to begin", timeout=1)
    log = bot.log()
    assert "SIGTERM: stopping" in log
    assert "waiting up to 20s for 1 updates in flight" in log
    assert "Traceback" not in log


async def test_a_second_sigterm_exits_at_once(bot_process, tg):
    bot = bot_process(SHUTDOWN_GRACE_SECONDS="60")
    await bot.wait_for("running (long polling)")
    await tg.faults(slow={"sendMessage": 30.0})
    await tg.user("Alex").send("/help")
    await eventually(lambda: replying(tg), timeout=10)
    bot.process.send_signal(signal.SIGTERM)
    await bot.wait_for("waiting up to 60s")
    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    assert await _exit_code(bot) == 1
    assert time.monotonic() - started < 5


async def test_json_logs_are_one_object_per_line_without_the_token(bot_process, tg):
    bot = bot_process(LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    await bot.wait_for("running (long polling)")
    alex = tg.user("Alex")
    await alex.send("/help")
    await alex.expect("Send /start to begin")
    bot.process.send_signal(signal.SIGTERM)
    assert await _exit_code(bot) == 0
    lines = bot.log().splitlines()
    assert len(lines) > 20
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
    text = bot.log()
    assert TOKEN_SECRET_PART not in text
    messages = [entry["message"] for entry in entries]
    assert any("is at revision" in message for message in messages)
    assert any(entry.get("update_id") and entry.get("chat_id") == alex.id for entry in entries)


async def test_without_telegram_it_keeps_trying_and_says_why(bot_process):
    port = free_port()
    closed = free_port()
    bot = bot_process(TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{closed}/bot", WEB_PORT=str(port))
    await bot.wait_for("Trying again in", timeout=60)

    async def two_attempts() -> bool:
        return bot.log().count("Cannot reach Telegram") >= 2

    await eventually(two_attempts, timeout=30, interval=0.2)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web:
        assert (await web.get("/healthz")).status_code == 200
        ready = await web.get("/readyz")
        assert ready.status_code == 503
        assert "cannot reach Telegram" in ready.json()["problems"][0]
    bot.process.send_signal(signal.SIGTERM)
    assert await _exit_code(bot) == 0
    log = bot.log()
    assert "Traceback" not in log
    # Stopping before Telegram was ever reached leaves nothing open behind it.
    assert "ERROR" not in log and "Unclosed" not in log
    line = next(line for line in log.splitlines() if "Cannot reach Telegram" in line)
    assert f"http://127.0.0.1:{closed}/bot" in line
    assert "TELEGRAM_API_BASE_URL" in line


async def test_a_rejected_token_stops_with_one_paragraph_and_status_2(bot_process):
    bot = bot_process(BOT_TOKEN="123456789:AAWrongTokenThatTelegramRejects_xyz")
    assert await _exit_code(bot) == 2
    log = bot.log()
    paragraph = [line for line in log.splitlines() if "rejected BOT_TOKEN" in line]
    assert len(paragraph) == 1
    assert "@BotFather" in paragraph[0]
    assert "Traceback" not in log


async def test_check_prints_the_webhook_state(bot_process, tg, telegram_server, tmp_path):
    env = {
        "BOT_MODE": "webhook",
        "WEBHOOK_URL": "https://bot.example.org/telegram",
        "WEBHOOK_SECRET": SECRET,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/check.db",
    }
    assert await _exit_code(bot_process("migrate", **env)) == 0
    check = bot_process("check", **env)
    assert await _exit_code(check) == 0
    assert "Webhook: none set (`python -m bot run` sets it to WEBHOOK_URL)" in check.log()

    # A webhook nobody answers: Telegram keeps the update and says why.
    dead = f"http://127.0.0.1:{free_port()}/hook"
    async with httpx.AsyncClient(base_url=f"{telegram_server.base_url}/bot{TEST_TOKEN}") as api:
        assert (await api.post("/setWebhook", json={"url": dead})).json()["ok"]
    await tg.user("Alex").send("/start")

    async def failed_once() -> bool:
        return (await tg.counters()).get("webhook_failed", 0) >= 1

    await eventually(failed_once, timeout=10)
    check = bot_process("check", **env)
    assert await _exit_code(check) == 0
    line = next(line for line in check.log().splitlines() if line.startswith("Webhook:"))
    assert line.startswith(f"Webhook: {dead} (not WEBHOOK_URL")
    assert "1 updates waiting" in line
    assert "last error at" in line and "Connection failed" in line


async def replying(tg) -> bool:
    """True once the bot has started sending a message."""
    return bool(await tg.calls("sendMessage"))


async def _exit_code(bot: BotProcess, timeout: float = 60) -> int:
    await eventually(lambda: bot.process.poll() is not None, timeout=timeout, interval=0.05)
    return bot.process.returncode


async def test_a_port_in_use_is_one_clear_line_and_status_1(bot_process):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot = bot_process(WEB_PORT=str(port))
        assert await _exit_code(bot) == 1
    log = bot.log()
    assert f"Cannot serve on 127.0.0.1:{port}" in log
    assert "WEB_PORT" in log
    assert "Traceback" not in log


async def test_without_its_database_it_keeps_trying_and_says_why(bot_process):
    port = free_port()
    closed = free_port()
    bot = bot_process(
        DATABASE_URL=f"postgresql+asyncpg://bot@127.0.0.1:{closed}/bot", WEB_PORT=str(port)
    )

    async def two_attempts() -> bool:
        return bot.log().count("Cannot reach the database") >= 2

    await eventually(two_attempts, timeout=30, interval=0.2)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web:
        ready = await web.get("/readyz")
        assert ready.status_code == 503
        assert any("database" in problem for problem in ready.json()["problems"])
    bot.process.send_signal(signal.SIGTERM)
    assert await _exit_code(bot) == 0
    log = bot.log()
    assert "Traceback" not in log
    assert "DATABASE_URL" in log
