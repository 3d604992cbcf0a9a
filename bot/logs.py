"""Logging set-up that keeps the bot token (and calendar feed tokens) out of every log line,
as text or JSON lines."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

# Anything shaped like a bot token, in case a token other than ours shows up (an old one in a URL).
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")
REDACTED = "[REDACTED]"
# A calendar feed's URL carries its credential (bot/services/feeds.py): whatever logs it (the
# Bot API call that sends it at DEBUG, an access log, an HTTP client) shows the path without it.
_FEED_TOKEN = re.compile(r"(/calendar/)[A-Za-z0-9_-]{43}(\.ics)")

_secrets: set[str] = set()
_original_factory = logging.getLogRecordFactory()
_TRACEBACK_FORMATTER = logging.Formatter()
# The update being handled, for every log line written meanwhile (set by bot/intake.py).
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "log_context", default=None
)
_json_output = False


def redact(text: str) -> str:
    """Return `text` with every registered secret, anything shaped like a bot token, and the
    token of any calendar feed URL replaced."""
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    text = _FEED_TOKEN.sub(rf"\g<1>{REDACTED}\g<2>", text)
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
    fields = _context.get()
    if fields:
        record.__dict__.update(fields)
    if record.exc_info and record.exc_info[0] is not None:
        # Formatters reuse exc_text when set, so every handler prints the redacted traceback.
        record.exc_text = redact(_TRACEBACK_FORMATTER.formatException(record.exc_info))
    return record


class RedactingFormatter(logging.Formatter):
    """A formatter that also redacts tracebacks, which are rendered after the record is made."""

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then redact the whole output, traceback included."""
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the update and chat being
    handled when there is one, and the traceback (redacted) in `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in ("update_id", "chat_id"):
            value = record.__dict__.get(key)
            if value is not None:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_text or redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` (update_id, chat_id) to every record logged inside the block."""
    token = _context.set({key: value for key, value in fields.items() if value is not None})
    try:
        yield
    finally:
        _context.reset(token)


def say(message: str, *, error: bool = False, stream: TextIO | None = None) -> None:
    """Write a line for the person at the terminal: plain text, or a JSON log line when
    LOG_FORMAT=json (so that everything the process writes is JSON)."""
    out = stream or (sys.stderr if error else sys.stdout)
    if _json_output:
        record = logging.LogRecord(
            "bot", logging.ERROR if error else logging.INFO, __file__, 0, message, None, None
        )
        out.write(JsonFormatter().format(record) + "\n")
    else:
        out.write(redact(message) + "\n")
    out.flush()


def use_json(enabled: bool) -> None:
    """Make `say` write JSON lines (before logging is set up, e.g. for settings errors)."""
    global _json_output
    _json_output = enabled


def setup_logging(level: str, token: str | None = None, *, json_lines: bool = False) -> None:
    """Configure the root logger once: one line per record on stderr, secrets redacted.

    With `json_lines`, every record is a JSON object (JsonFormatter), and so are Python's
    warnings and any exception nothing caught.

    httpx logs every request URL at INFO, and Bot API URLs contain the token, so httpx and
    httpcore are held at WARNING whatever the level (their messages are redacted as well).
    """
    if token:
        register_secret(token)
    use_json(json_lines)
    logging.setLogRecordFactory(_redacting_factory)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda args: _log_uncaught(
        args.exc_type, args.exc_value, args.exc_traceback
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


def _log_uncaught(kind: type[BaseException], error: BaseException, traceback: Any) -> None:
    if issubclass(kind, KeyboardInterrupt):
        return
    logging.getLogger("bot").critical("uncaught exception", exc_info=(kind, error, traceback))


def install_redaction(token: str) -> None:
    """Redact `token` from log records without touching handlers (for embedding and tests)."""
    register_secret(token)
    logging.setLogRecordFactory(_redacting_factory)
