"""The callback-data codec: short, opaque strings of at most 64 bytes.

A button's data is a prefix naming the action and its arguments, joined by ":". Whatever a
callback carries can be forged by a client, so every callback handler re-checks who presses.
"""

from __future__ import annotations

from bot.services.errors import InvalidInput

MAX_BYTES = 64
SEPARATOR = ":"


def pack(prefix: str, *args: str | int) -> str:
    """Encode an action and its arguments; raise ValueError if it would not fit in 64 bytes."""
    parts = [prefix, *(str(arg) for arg in args)]
    if any(SEPARATOR in part for part in parts):
        raise ValueError(f"callback part contains {SEPARATOR!r}: {parts!r}")
    data = SEPARATOR.join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def unpack(data: str | None) -> list[str]:
    """Split callback data into [prefix, *args]; empty data gives an empty list."""
    return data.split(SEPARATOR) if data else []


def pattern(prefix: str) -> str:
    """The regular expression a CallbackQueryHandler uses to receive one prefix's buttons."""
    return f"^{prefix}(?:{SEPARATOR}|$)"


def stale_button() -> InvalidInput:
    """The error for a button whose data no handler expects (old, or forged)."""
    return InvalidInput("stale_button")
