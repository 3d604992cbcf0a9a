"""Small shared pieces: the callback codec, log redaction, the per-chat update processor."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram import Chat, Message, Update, User

from bot.logs import REDACTED, RedactingFormatter, install_redaction, redact
from bot.update_processor import PerChatUpdateProcessor
from bot.views.callbacks import pack, pattern, unpack


def test_callback_codec_round_trip_and_limits():
    data = pack("tz", "America/Argentina/Buenos_Aires")
    assert unpack(data) == ["tz", "America/Argentina/Buenos_Aires"]
    assert unpack(None) == []
    with pytest.raises(ValueError, match="64 bytes"):
        pack("x", "y" * 70)
    with pytest.raises(ValueError, match="contains"):
        pack("x", "a:b")
    import re

    assert re.match(pattern("set"), "set:tz")
    assert re.match(pattern("set"), "set")
    assert not re.match(pattern("set"), "settings:x")


def test_redaction_of_registered_and_token_shaped_secrets():
    install_redaction("555:registered-secret")
    assert redact("url /bot555:registered-secret/getMe") == f"url /bot{REDACTED}/getMe"
    other = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    assert redact(f"x {other} y") == f"x {REDACTED} y"
    assert redact("plain 12:30 text") == "plain 12:30 text"


def test_redaction_applies_to_arguments_and_tracebacks(caplog):
    install_redaction("555:registered-secret")
    logger = logging.getLogger("test.redaction")
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("calling %s", "https://api/bot555:registered-secret/getMe")
        try:
            raise RuntimeError("failed at /bot555:registered-secret/x")
        except RuntimeError:
            logger.exception("boom")
    assert "registered-secret" not in caplog.text
    formatted = RedactingFormatter().format(caplog.records[-1])
    assert "registered-secret" not in formatted
    assert REDACTED in formatted


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "private")
    message = Message(update_id, None, chat, from_user=User(chat_id, "U", False), text="x")
    return Update(update_id, message=message)


async def test_updates_of_one_chat_run_in_order_and_chats_run_concurrently():
    processor = PerChatUpdateProcessor(16)
    log: list[str] = []
    started_b = asyncio.Event()

    async def work(name: str, delay: float, signal: asyncio.Event | None = None) -> None:
        log.append(f"start {name}")
        if signal:
            signal.set()
        await asyncio.sleep(delay)
        log.append(f"end {name}")

    await asyncio.gather(
        processor.process_update(_update(1, 10), work("a1", 0.05)),
        processor.process_update(_update(2, 10), work("a2", 0)),
        processor.process_update(_update(3, 20), work("b1", 0, started_b)),
    )
    assert log.index("end a1") < log.index("start a2")
    assert log.index("start b1") < log.index("end a1")
    assert processor._locks == {}
