"""Check-ins as people read them: the reply to a saved check-in (with care and the
emergency advice when it calls for them), the invitation to check in, and the heads-up a
trainer gets. Health data: these go to the client, or to a trainer they allowed, never to a
group.

The care wording advises whom to ask and what to do; it never diagnoses.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.i18n import N_, Translator
from bot.services import checkins
from bot.views.callbacks import pack
from bot.views.keyboards import button, column
from bot.views.notices import Reader, Rendered, rendered, template

# Callback prefix of the check-in buttons (handled in handlers/checkins.py).
CHECKIN = "ci"

EMERGENCY = N_(
    "If you have chest pain, trouble breathing, sudden severe pain, dizziness or you feel "
    "unsafe, stop exercising and call your local emergency number (112 in Europe, 911 in the "
    "US) now."
)
# Why a check-in calls for care (services/checkins.py `care_for`), said to the client.
CARE_TEXT = {
    "high_pain": N_(
        "Pain of 7 or more is worth talking over with your therapist before your next session."
    ),
    "pain_rise": N_(
        "Your pain has gone up quite a bit since your last check-in: please mention it to "
        "your therapist before your next session."
    ),
    "low_mood_twice": N_(
        "Your mood has been very low twice in a row. That matters: please talk to your "
        "therapist, your GP or someone you trust."
    ),
}
# The same reasons as a trainer reads them in a heads-up (one item of a list each).
HEADS_UP_REASONS = {
    # Translators: an item of a list in "…'s check-in today shows {what}".
    "high_pain": N_("pain {pain}/10"),
    "pain_rise": N_("pain rising since the last check-in"),
    "low_mood_twice": N_("very low mood twice in a row"),
}


def saved_reply(t: Translator, saved: checkins.Saved) -> str:
    """The answer to a saved check-in; when it calls for care, a kind word, what to do,
    and the emergency advice come first."""
    if saved.replaced:
        text = t._(
            "✅ Thanks, your check-in is saved (it replaces today's earlier one). /progress "
            "shows how you're doing over time."
        )
    else:
        text = t._("✅ Thanks, your check-in is saved. /progress shows how you're doing over time.")
    if not saved.care:
        return text
    caring = " ".join(
        [t._("💛 Thank you for telling me."), *(t._(CARE_TEXT[r]) for r in saved.care.reasons)]
    )
    return f"{caring}\n\n{t._(EMERGENCY)}\n\n{text}"


def prompt_markup(t: Translator, kind: str) -> InlineKeyboardMarkup:
    """The button under a check-in invitation."""
    # Translators: button, keep under 25 characters.
    return column(button(t._("📝 Check in now"), pack(CHECKIN, "start", kind)))


@template("checkin_prompt")
def checkin_prompt(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A private invitation to check in: the weekly one, or an hour after a class.

    params: kind ("weekly" or "class"), title (the class's, for "class").
    """
    t = reader.t
    if params["kind"] == "weekly":
        text = t._(
            "📝 How are you doing this week? A 20-second check-in (mood, energy, pain) helps "
            "you see your progress."
        )
    else:
        text = t._(
            "📝 How do you feel after {title}? A quick check-in helps you see what the classes "
            "do for you.",
            title=escape(params["title"]),
        )
    return rendered(text, prompt_markup(t, params["kind"]))


@template("heads_up")
def heads_up(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A trainer's private note about a client who allowed them to see check-ins, when a
    check-in calls for care.

    params: name (the client's first name), pain (0-10), reasons (codes of `care_for`).
    """
    t = reader.t
    what = t.list([t._(HEADS_UP_REASONS[r], pain=params["pain"]) for r in params["reasons"]])
    return rendered(
        t._(
            "💛 Heads-up: {name}'s check-in today shows {what}. They agreed that you may see "
            "their check-ins; you may want to reach out before their next session. /clients "
            "has the details.",
            name=escape(params["name"]),
            what=what,
        )
    )
