"""Messages the bot sends on its own (reminders, tips, prompts, notices, group posts),
rendered when they go out, in the recipient's language and time zone at that moment.

A job or a service queues `outbox.Notice(template="reminder", params={...})` with plain
JSON values (ids, titles, ISO times); the dispatcher calls `render` for each message it
sends. A template is a function registered with `@template("name")` in the view module of
its domain; `render` never fails silently: an unknown template or bad parameters raise
`RenderError`, and the dispatcher marks that message failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator, reader_language, translator


class RenderError(Exception):
    """A queued message that cannot be rendered (unknown template, missing parameter)."""


@dataclass(frozen=True)
class Reader:
    """The recipient as a message is rendered for them."""

    t: Translator
    timezone: str  # IANA zone, for times
    now: dt.datetime  # the moment of sending ("today", "tomorrow" are relative to it)


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: Telegram HTML and its keyboard as Bot API JSON."""

    text: str
    reply_markup: dict[str, Any] | None = None


Template = Callable[[Reader, dict[str, Any]], Rendered]
_templates: dict[str, Template] = {}


def template(name: str) -> Callable[[Template], Template]:
    """Register the function below as the template `name`."""

    def register(function: Template) -> Template:
        if name in _templates and _templates[name] is not function:
            raise ValueError(f"template {name!r} is defined twice")
        _templates[name] = function
        return function

    return register


def rendered(text: str, keyboard: InlineKeyboardMarkup | None = None) -> Rendered:
    """A `Rendered` from HTML and an inline keyboard."""
    return Rendered(text, keyboard.to_dict() if keyboard is not None else None)


def when(params: dict[str, Any], key: str) -> dt.datetime:
    """A moment stored in the parameters as an ISO string."""
    return dt.datetime.fromisoformat(params[key])


def reader_for(
    language: str | None,
    app_language: str | None,
    timezone: str | None,
    *,
    default_zone: str,
    now: dt.datetime,
) -> Reader:
    """The reader of a message: their chosen (or their app's) language, their zone."""
    return Reader(
        t=translator(reader_language(language, app_language)),
        timezone=timezone or default_zone,
        now=now,
    )


def templates() -> dict[str, Template]:
    """Every registered template, by name (all view modules loaded)."""
    _load_all()
    return dict(_templates)


def render(name: str, params: dict[str, Any] | None, reader: Reader) -> Rendered:
    """The message `name` with `params`, for `reader`."""
    _load_all()
    function = _templates.get(name)
    if function is None:
        raise RenderError(f"unknown template {name!r}")
    try:
        return function(reader, params or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise RenderError(f"template {name!r} cannot be rendered: {exc!r}") from exc


def _load_all() -> None:
    """Import every view module: the ones that define templates register them."""
    import importlib
    import pkgutil

    import bot.views

    for module in pkgutil.iter_modules(bot.views.__path__):
        importlib.import_module(f"bot.views.{module.name}")
