"""Logging set-up that keeps the bot token out of every log line."""

from __future__ import annotations

import logging
import re
import sys

# Anything shaped like a bot token, in case a token other than ours shows up (an old one in a URL).
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")
REDACTED = "[REDACTED]"

_secrets: set[str] = set()
_original_factory = logging.getLogRecordFactory()
_TRACEBACK_FORMATTER = logging.Formatter()


def redact(text: str) -> str:
    """Return `text` with every registered secret and anything token-shaped replaced."""
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return _TOKEN_SHAPE.sub(REDACTED, text)


def register_secret(secret: str) -> None:
    """Make `secret` (the bot token) disappear from every log record created from now on."""
    if secret:
        _secrets.add(secret)


def _redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _original_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not lose the record
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        # Formatters reuse exc_text when set, so every handler prints the redacted traceback.
        record.exc_text = redact(_TRACEBACK_FORMATTER.formatException(record.exc_info))
    return record


class RedactingFormatter(logging.Formatter):
    """A formatter that also redacts tracebacks, which are rendered after the record is made."""

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then redact the whole output, traceback included."""
        return redact(super().format(record))


def setup_logging(level: str, token: str | None = None) -> None:
    """Configure the root logger once: one line per record on stderr, secrets redacted.

    httpx logs every request URL at INFO, and Bot API URLs contain the token, so httpx and
    httpcore are held at WARNING whatever the level (their messages are redacted as well).
    """
    if token:
        register_secret(token)
    logging.setLogRecordFactory(_redacting_factory)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # aiosqlite logs every driver call at DEBUG, which drowns everything else.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, root.level))
    # APScheduler logs every job run at INFO; the dispatcher ticks often.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def install_redaction(token: str) -> None:
    """Redact `token` from log records without touching handlers (for embedding and tests)."""
    register_secret(token)
    logging.setLogRecordFactory(_redacting_factory)
