"""Small helpers for inline keyboards."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup


def button(text: str, data: str) -> InlineKeyboardButton:
    """An inline button that sends `data` back as a callback query."""
    return InlineKeyboardButton(text, callback_data=data)


def link_button(text: str, url: str) -> InlineKeyboardButton:
    """An inline button that opens `url`."""
    return InlineKeyboardButton(text, url=url)


def grid(buttons: Sequence[InlineKeyboardButton], per_row: int = 2) -> InlineKeyboardMarkup:
    """Lay buttons out `per_row` to a row."""
    rows = [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
    return InlineKeyboardMarkup(rows)


def column(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    """One button per row."""
    return InlineKeyboardMarkup([[b] for b in buttons])


def deep_link(bot_username: str, payload: str = "") -> str:
    """A t.me link that opens the private chat with the bot, passing `payload` to /start."""
    suffix = f"?start={payload}" if payload else ""
    return f"https://t.me/{bot_username}{suffix}"
