"""The words of the Mini App's entry points in the chat: the chat menu button and the
buttons under /classes and /myclasses (the pages themselves are the web app's)."""

from __future__ import annotations

from bot.i18n import Translator


def menu_button_text(t: Translator, *, teaching: bool) -> str:
    """The chat menu button's label: the trainer's dashboard, or a client's timetable."""
    # Translators: the button beside the message field that opens the app; keep it short.
    return t.p_("menu button", "Dashboard") if teaching else t.p_("menu button", "Timetable")


def dashboard_label(t: Translator) -> str:
    """The button under /myclasses that opens the trainer's dashboard."""
    return t.p_("button", "📊 Dashboard")


def timetable_label(t: Translator) -> str:
    """The button under /classes that opens the timetable."""
    return t.p_("button", "🗓 Open timetable")
