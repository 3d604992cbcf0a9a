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
from bot.models import CheckIn
from bot.services import checkins
from bot.views.callbacks import pack
from bot.views.formatting import day_label
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


def exercise_pain_question(t: Translator) -> str:
    """After a class, in the check-in: how much pain the exercise caused (the pain-monitoring
    model, Silbernagel et al. 2007)."""
    return t._(
        "📝 <b>Check-in</b> · And during the class: how much pain did the exercises cause, at "
        "their worst?\n0 = none · 10 = the worst imaginable"
    )


def load_reply(t: Translator, load: str | None) -> str:
    """The pain-monitoring model's word after a class check-in (Silbernagel et al. 2007):
    never a diagnosis; what to do, and what to tell the trainer."""
    if load == "too_much":
        # Silbernagel et al. 2007: pain above 5/10 during exercise means the load was too
        # high; it is reduced at the next session.
        return t._(
            "💛 Pain above 5 out of 10 during exercise means the load was a bit too much for "
            "you today. That is useful to know, not a setback: please tell your trainer, so "
            "that they can adjust the exercises next time (for example fewer repetitions or "
            "a lighter version). Tomorrow morning I'll ask how you feel."
        )
    if load == "acceptable":
        # Silbernagel et al. 2007: pain up to 5/10 during exercise is acceptable if it has
        # settled by the next morning.
        return t._(
            "Pain up to 5 out of 10 during exercise is fine as long as it settles by the next "
            "morning. I'll ask you tomorrow morning."
        )
    return ""


def saved_reply(t: Translator, saved: checkins.Saved) -> str:
    """The answer to a saved check-in; when it calls for care, a kind word, what to do,
    and the emergency advice come first; after a class, the pain-monitoring model's word."""
    text = _saved_reply(t, saved)
    load = load_reply(t, saved.load)
    return f"{text}\n\n{load}" if load else text


def _saved_reply(t: Translator, saved: checkins.Saved) -> str:
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


def _morning_grid(checkin_id: int) -> InlineKeyboardMarkup:
    """0 to 10 in two rows."""
    numbers = [button(str(n), pack(CHECKIN, "mp", checkin_id, n)) for n in range(11)]
    return InlineKeyboardMarkup([numbers[:6], numbers[6:]])


@template("pain_morning")
def pain_morning(reader: Reader, params: dict[str, Any]) -> Rendered:
    """The gentle next-morning question after a class check-in (the pain-monitoring model,
    Silbernagel et al. 2007): how is the pain this morning?

    params: checkin (id), title (the class's, or None).
    """
    t = reader.t
    return rendered(
        t._(
            "🌅 Good morning! A quick question about yesterday's class: how is your pain this "
            "morning?\n0 = none · 10 = the worst imaginable"
        ),
        _morning_grid(params["checkin"]),
    )


def morning_worse_question(
    t: Translator, checkin_id: int, pain: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The second morning question: are pain and stiffness worse than before the class?"""
    return (
        t._("Compared with before the class, are pain or stiffness worse this morning?"),
        column(
            button(t.p_("button", "Yes, worse"), pack(CHECKIN, "mw", checkin_id, pain, "y")),
            button(
                t.p_("button", "No, it has settled"), pack(CHECKIN, "mw", checkin_id, pain, "n")
            ),
        ),
    )


def morning_reply(t: Translator, checkin: CheckIn) -> str:
    """The pain-monitoring model's outcomes the next morning (Silbernagel et al. 2007)."""
    if checkin.morning_worse:
        # Silbernagel et al. 2007: pain or stiffness worse the next morning means the load
        # was too high and is reduced.
        return t._(
            "💛 Thank you. When pain or stiffness is worse the morning after, the load was a "
            "bit too much. Please tell your trainer before your next class (what you did, "
            "how much it hurt during the class and this morning), so that they can make it "
            "lighter. If the pain keeps getting worse, talk to your therapist or doctor."
        )
    if checkin.exercise_pain is not None and checkin.exercise_pain > checkins.EXERCISE_PAIN_LIMIT:
        # Silbernagel et al. 2007: above 5/10 during exercise is too much even if it settles.
        return t._(
            "Thank you, good that it has settled. The pain during the class was above 5 out "
            "of 10, though: please still tell your trainer, so that the next class is a bit "
            "lighter."
        )
    # Silbernagel et al. 2007: up to 5/10 during exercise, settled by the next morning: the
    # load is acceptable and may continue.
    return t._(
        "✅ Thank you. Pain that settles by the next morning means the load suits you: keep "
        "going as you are. /progress shows how it goes over time."
    )


def class_load_line(t: Translator, checkin: CheckIn) -> str:
    """A class check-in through the pain-monitoring model, in one line (for /clients and
    /progress): the exercise pain, the next morning's pain, and the verdict."""
    outcome = checkins.load_outcome(checkin)
    if checkin.morning_pain is None:
        line = t._(
            "after the class on {day}: exercise pain {pain}/10; next morning not answered yet",
            day=day_label(t, checkin.day),
            pain=checkin.exercise_pain,
        )
    else:
        line = t._(
            "after the class on {day}: exercise pain {pain}/10; next morning {morning}/10",
            day=day_label(t, checkin.day),
            pain=checkin.exercise_pain,
            morning=checkin.morning_pain,
        )
    if outcome == "too_much":
        # Translators: {line} is one of the "after the class on …" lines above.
        return t._("{line}: ⚠️ the load was too much", line=line)
    if outcome == "acceptable":
        return t._("{line}: the load suited", line=line)
    return line
