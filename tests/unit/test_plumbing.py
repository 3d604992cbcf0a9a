"""Small shared pieces: the callback codec, log redaction."""

from __future__ import annotations

import logging

import pytest

from bot.logs import REDACTED, RedactingFormatter, install_redaction, redact
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


def test_redaction_of_calendar_feed_tokens():
    token = "x0diqFF3GHu6ppns4x_-9hjUHIA11992sF7mIwE1234"
    assert len(token) == 43
    line = f"GET /calendar/{token}.ics 200; webcal://bot.example.org/calendar/{token}.ics"
    assert redact(line) == (
        f"GET /calendar/{REDACTED}.ics 200; webcal://bot.example.org/calendar/{REDACTED}.ics"
    )
    assert redact("/calendar/short.ics") == "/calendar/short.ics"
