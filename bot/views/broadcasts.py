"""Broadcasts as their author reads about them: audiences by name and the status message
that counts a broadcast out (kept up to date by the dispatcher, in the author's language).
The broadcast itself is the author's own text, sent as written."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.models import BroadcastState, OutboxState
from bot.services import broadcasts
from bot.views.callbacks import pack
from bot.views.keyboards import button, column

# Callback prefix of the /broadcast buttons (handled in handlers/broadcasts.py).
BROADCAST = "bc"


def audience_label(t: Translator, key: str, title: str | None) -> str:
    """An audience as the author calls it: "All clients", "All my clients", "Clients of
    Back care" (plain text)."""
    if key == broadcasts.ALL_CLIENTS:
        return t._("All clients")
    if key == broadcasts.MY_CLIENTS:
        return t._("All my clients")
    if title is None:
        return t._("The clients of a class")
    return t._("Clients of {title}", title=title)


def render_status(
    t: Translator, status: broadcasts.Status
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The author's status message: counts so far, and a Stop button while it runs."""
    progress = status.progress
    lines = [
        t.n_(
            "📣 Broadcast to {audience}: {n} recipient",
            "📣 Broadcast to {audience}: {n} recipients",
            status.recipients,
            audience=escape(audience_label(t, status.audience, status.audience_title)),
        ),
        t._(
            "Queued {queued} · Sent {sent} · Failed {failed} · Unreachable {unreachable}",
            queued=progress.open,
            sent=progress[OutboxState.SENT],
            failed=progress[OutboxState.FAILED],
            unreachable=progress[OutboxState.UNREACHABLE],
        ),
    ]
    if status.state == BroadcastState.QUEUED:
        # Translators: button that stops a broadcast being sent.
        stop = button(t.p_("button", "⏹ Stop"), pack(BROADCAST, "stop", status.broadcast_id))
        return "\n".join(lines), column(stop)
    if status.state == BroadcastState.STOPPED:
        lines.append(
            t.n_(
                "⏹ Stopped: {n} will not be sent (any already on their way still arrive).",
                "⏹ Stopped: {n} will not be sent (any already on their way still arrive).",
                progress[OutboxState.CANCELLED],
            )
        )
    else:
        lines.append(t._("✅ Finished."))
    return "\n".join(lines), None
