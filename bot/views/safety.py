"""Safe to take part (issue 12), as people read it: the screening's questions and replies,
the trainer's private heads-ups, the held place, the class-day readiness check.

Health and safety wording: each question and reply names the source it follows beside it,
and never claims more than the source does. The bot never diagnoses: every reply says what
to do and whom to ask, never what the person has. The sources, with DOIs, are in
bot/content/references.toml (group "safety"):
  PAR-Q+   Warburton et al. 2011, Health & Fitness Journal of Canada 4(2),
           doi:10.14288/hfjc.v4i2.103
  ACSM     Riebe et al. 2015, Med Sci Sports Exerc 47(11), doi:10.1249/MSS.0000000000000664
  PMM      Silbernagel et al. 2007, Am J Sports Med 35(6), doi:10.1177/0363546506298279
Everything here goes to the client's private chat, or to a trainer's; never to a group.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.i18n import N_, Translator
from bot.services import safety
from bot.views.callbacks import pack
from bot.views.checkins import EMERGENCY
from bot.views.formatting import relative_day, short_when
from bot.views.keyboards import button, column, grid
from bot.views.notices import Reader, Rendered, rendered, template, when

# Callback prefixes: the screening (handlers/safety.py), and the readiness check.
SCREENING = "sf"
READY = "rd"

# The screening's questions in plain words, one at a time (services/safety.py QUESTIONS).
QUESTIONS = {
    # PAR-Q+ general health question 1 (Warburton et al. 2011); ACSM: known cardiovascular
    # disease (Riebe et al. 2015).
    "heart": N_("Has a doctor ever said that you have a heart condition or high blood pressure?"),
    # PAR-Q+ question 2; ACSM: signs or symptoms of cardiovascular disease.
    "chest_pain": N_(
        "Do you feel pain in your chest at rest, during your daily activities, or when you are "
        "physically active?"
    ),
    # PAR-Q+ question 3; ACSM: signs or symptoms (dizziness, syncope).
    "dizziness": N_(
        "In the last 12 months, have you lost your balance because of dizziness, or lost "
        "consciousness?"
    ),
    # PAR-Q+ question 4; ACSM: known metabolic or renal disease.
    "chronic": N_(
        "Has a doctor ever told you that you have another long-term (chronic) medical "
        "condition, besides heart disease or high blood pressure?"
    ),
    # PAR-Q+ question 5.
    "medication": N_("Do you take medicine a doctor prescribed for a long-term medical condition?"),
    # PAR-Q+ question 6.
    "joints": N_(
        "Do you have (or have you had in the last 12 months) a bone, joint, muscle, ligament "
        "or tendon problem that could get worse if you become more physically active?"
    ),
    # PAR-Q+ question 7.
    "supervision": N_(
        "Has a doctor ever said that you should only be physically active under medical "
        "supervision?"
    ),
}


def screening_line(t: Translator, on: bool) -> str:
    """A class's setting as its trainer reads it in /newclass and /myclasses."""
    if on:
        return t._("🩺 Health check before the first class: on")
    return t._("🩺 Health check before the first class: off")


def screening_intro(t: Translator, *, stores: bool, hold_hours: int) -> str:
    """Before the first question: what the screening is, what happens after a Yes (the
    trainer is told, before the client answers), and what is stored."""
    # PAR-Q+ (Warburton et al. 2011) and the ACSM pre-participation screening (Riebe et al.
    # 2015): a few yes/no questions before becoming more active; a Yes means asking a
    # doctor or qualified professional first.
    head = t._(
        "🩺 <b>Before your first class: a short health check</b>\n\n"
        "This class asks everyone {n} yes/no questions before the first session, so that you "
        "can exercise safely. They follow the PAR-Q+ and the ACSM pre-participation screening."
        "\n\nIf you answer Yes to any of them, that is not a no: the practice asks for an OK "
        "from your doctor or therapist first. Your place is then held for {hours} hours, and "
        "your trainer gets a private note that you need this OK (not your answers), so that "
        "they can confirm your place once you have it.",
        n=len(safety.QUESTIONS),
        hours=hold_hours,
    )
    if stores:
        storage = t._(
            "You agreed that I may store your health data, so I keep your answers: only you "
            "can see them (/privacy), and you can delete them."
        )
    else:
        storage = t._(
            "You haven't agreed that I may store health data, so I won't keep your answers: "
            "only the result (go ahead, or OK needed) and its date."
        )
    return f"{head}\n\n{storage}"


def screening_intro_markup(t: Translator, session_id: int) -> InlineKeyboardMarkup:
    """Start / Not now under the introduction."""
    return column(
        button(t.p_("button", "Start the questions"), pack(SCREENING, "go", session_id)),
        button(t.p_("button", "Not now"), pack(SCREENING, "no")),
    )


def question(t: Translator, session_id: int, index: int) -> tuple[str, InlineKeyboardMarkup]:
    """Question `index` (0-based) of the screening before booking `session_id`, with its
    Yes / No buttons."""
    key = safety.QUESTIONS[index]
    text = t._(
        "🩺 Question {number} of {total}\n\n{question}",
        number=index + 1,
        total=len(safety.QUESTIONS),
        question=t._(QUESTIONS[key]),
    )
    keyboard = grid(
        [
            button(t.p_("button", "Yes"), pack(SCREENING, "a", session_id, index, "y")),
            button(t.p_("button", "No"), pack(SCREENING, "a", session_id, index, "n")),
        ]
    )
    return text, keyboard


def all_clear(t: Translator) -> str:
    """After all No: nothing stands in the way (PAR-Q+: cleared for physical activity)."""
    # PAR-Q+ (Warburton et al. 2011): all "No", go ahead and become more active.
    return t._(
        "✅ Thank you! Nothing in your answers stands in the way of the class. If your health "
        "changes, tell me in /settings (“My health changed”) and talk to your trainer."
    )


def clearance_needed(t: Translator, *, hold_hours: int, trainer: str, held: bool) -> str:
    """After a Yes: kind, what to do, what to bring, and that the trainer will confirm (a
    place `held` now, or one from the waitlist later)."""
    # PAR-Q+ (Warburton et al. 2011) and ACSM (Riebe et al. 2015): with a Yes, medical
    # clearance (from a doctor or a qualified professional) before starting.
    head = t._(
        "💛 Thank you for answering honestly. Because of your answer, the practice asks for an "
        "OK from your doctor or therapist before your first class. That is a normal step, "
        "not a judgement.\n\n"
        "What to do: ask your doctor or therapist whether this class is right for you, and "
        "bring their OK (a note or a letter) to your trainer, or tell {trainer} about it.",
        trainer=escape(trainer),
    )
    if held:
        rest = t._(
            "Your place is held for {hours} hours. {trainer} has a private note and will "
            "confirm your place once they have the OK; I'll tell you.",
            hours=hold_hours,
            trainer=escape(trainer),
        )
    else:
        rest = t._(
            "When a place is yours, it waits for {trainer} to confirm it once they have the "
            "OK; I'll tell you.",
            trainer=escape(trainer),
        )
    return f"{head}\n\n{rest}"


def pending_line(t: Translator) -> str:
    """How a client's own view shows a place that waits for clearance."""
    return t._("🩺 <b>Your place is held</b> until your trainer confirms it (OK needed).")


def screening_declined(t: Translator) -> str:
    """The client chose Not now: nothing booked, nothing stored."""
    return t._(
        "OK, nothing is booked and nothing is stored. You can book again from /classes "
        "whenever you like; the questions come first."
    )


def screening_expired(t: Translator) -> str:
    """A question's button from a screening that is not open any more."""
    return t._("This health check is no longer open. Press Book in /classes to start again.")


def privacy_screening_note(t: Translator) -> str:
    """/privacy: what is kept of the health check and the class-day readiness check."""
    return t._(
        "🩺 For classes that ask for it, also your health check before the first class: its "
        "result and date always, your answers (and the pain you note on a class day) only "
        "with your consent. Export and deletion include them; none of it is ever shown in a "
        "group."
    )


def readiness_setting_line(t: Translator, on: bool) -> str:
    """The readiness check's line in /settings."""
    if on:
        return t._("🌤 Readiness check before a class: on (with the reminder 3 h before)")
    return t._("🌤 Readiness check before a class: off")


def health_changed_question(t: Translator) -> str:
    """/settings → My health changed: what it does, before it does it."""
    return t._(
        "🩺 Has your health changed (a new condition, new medicine, an injury, a stay in "
        "hospital)? Then your health check no longer counts: the questions come again "
        "before your next booking of a class that asks for them."
    )


def health_changed_done(t: Translator) -> str:
    """After "My health changed": what happens next, and whom to tell."""
    # PAR-Q+ (Warburton et al. 2011): answer it again when your health changes.
    return t._(
        "🩺 Thank you. Before your next booking of a class that asks for it, the health "
        "questions come again. Please tell your trainer or therapist what changed, "
        "especially before your next class."
    )


# --------------------------------------------------------------------- notices


@template("screening_heads_up")
def screening_heads_up(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A trainer's private note: a client booked and needs an OK first. Names no answer.

    params: name (the client's first name), title, starts_at (ISO), hours (the hold; None
    for a place from the waitlist).
    """
    t = reader.t
    values = {
        "name": escape(params["name"]),
        "title": escape(params["title"]),
        "when": short_when(t, when(params, "starts_at"), reader.timezone),
    }
    if params.get("hours") is None:  # a place from the waitlist
        return rendered(
            t._(
                "🩺 {name} got a place in <b>{title}</b> on {when} from the waitlist. Their "
                "health check asks for an OK from their doctor or therapist first, so the "
                "place is held until you clear them. Once you have the OK, mark them cleared "
                "in the roster (/myclasses).",
                **values,
            )
        )
    return rendered(
        t._(
            "🩺 {name} booked <b>{title}</b> on {when}. Their health check asks for an OK "
            "from their doctor or therapist first, so the place is held for {hours} hours. "
            "Once you have the OK, mark them cleared in the roster (/myclasses).",
            **values,
            hours=params["hours"],
        )
    )


@template("cleared")
def cleared(reader: Reader, params: dict[str, Any]) -> Rendered:
    """The client is told their trainer confirmed the held place.

    params: title, trainer (first name), starts_at (ISO).
    """
    t = reader.t
    return rendered(
        t._(
            "✅ {trainer} has confirmed your place in <b>{title}</b> {when}. See you there!",
            trainer=escape(params["trainer"]),
            title=escape(params["title"]),
            when=relative_day(t, when(params, "starts_at"), reader.timezone, reader.now),
        )
    )


@template("hold_released")
def hold_released(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A place held for clearance went back to the waitlist.

    params: title, trainer (first name), starts_at (ISO).
    """
    t = reader.t
    return rendered(
        t._(
            "Your held place in <b>{title}</b> on {when} has gone to the next person, because "
            "{trainer} couldn't confirm it in time. Once you have the OK from your doctor or "
            "therapist, tell {trainer} and book again in /classes.",
            title=escape(params["title"]),
            trainer=escape(params["trainer"]),
            when=short_when(t, when(params, "starts_at"), reader.timezone),
        )
    )


# --------------------------------------------------------------------- readiness

# "Anything new since your last class?" (services/safety.py READINESS_ANSWERS): warning
# signs to stop and seek care (ACSM, Riebe et al. 2015: chest pain or pressure, unusual
# shortness of breath, dizziness or fainting) and reasons to rest (PAR-Q+, Warburton et
# al. 2011: a new injury; feeling unwell or feverish).
NEW_LABELS = {
    "chest": N_("Chest pain or pressure"),
    "breath": N_("Unusually short of breath"),
    "faint": N_("Dizziness or fainting"),
    "injury": N_("A new injury or swelling"),
    "fever": N_("Fever or feeling unwell"),
    "none": N_("Nothing new"),
}


def pain_grid(t: Translator, booking_id: int) -> InlineKeyboardMarkup:
    """0 to 10 in a compact grid (6 and 5), and Skip."""
    numbers = [button(str(n), pack(READY, "p", booking_id, n)) for n in range(11)]
    rows = [numbers[:6], numbers[6:]]
    rows.append([button(t.p_("button", "Skip"), pack(READY, "s", booking_id))])
    return InlineKeyboardMarkup(rows)


@template("readiness")
def readiness(reader: Reader, params: dict[str, Any]) -> Rendered:
    """The class-day readiness check: pain right now, 0-10.

    params: booking (id), title, starts_at (ISO).
    """
    t = reader.t
    text = t._(
        "🌤 <b>{title}</b> is {when}. A one-tap check before you come: how is your pain right "
        "now?\n0 = none · 10 = the worst imaginable\n\nYou can skip it: it never stops you "
        "from coming.",
        title=escape(params["title"]),
        when=relative_day(t, when(params, "starts_at"), reader.timezone, reader.now),
    )
    return rendered(text, pain_grid(t, params["booking"]))


def anything_new(
    t: Translator, booking_id: int, pain: int | None
) -> tuple[str, InlineKeyboardMarkup]:
    """The second question, with one button per answer (the pain travels in the data)."""
    carried = "-" if pain is None else pain
    keyboard = column(
        *(
            button(t._(label), pack(READY, "n", booking_id, carried, key))
            for key, label in NEW_LABELS.items()
        )
    )
    return t._("Anything new since your last class?"), keyboard


def readiness_reply(
    t: Translator, outcome: str, booking_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """What to do after the readiness answer; with the cancel that carries no late mark when
    the advice is not to come."""
    cancel = column(
        button(t.p_("button", "Cancel my place today"), pack(READY, "x", booking_id)),
        button(t.p_("button", "Keep my place"), pack(READY, "k", booking_id)),
    )
    if outcome == "stop":
        # ACSM (Riebe et al. 2015): chest pain, unusual breathlessness or fainting are
        # warning signs: stop, do not exercise, seek medical care. The emergency line is the
        # check-in care reply's (bot/views/checkins.py), one wording for both.
        text = t._(
            "🛑 Please don't come to class today, and don't exercise. Talk to a doctor today "
            "about what you noticed. Cancelling now carries no late-cancel mark."
        )
        return f"{text}\n\n{t._(EMERGENCY)}", cancel
    if outcome == "rest":
        # PAR-Q+ (Warburton et al. 2011): delay becoming more active while feeling unwell,
        # and ask your therapist about a new problem; pain of 7 or more is the check-in's
        # care threshold (services/checkins.py HIGH_PAIN).
        text = t._(
            "💛 Thanks for telling me. Today it is wiser to rest, and to talk to your therapist "
            "or trainer before your next session. If you'd rather not come, cancelling now "
            "carries no late-cancel mark."
        )
        return text, cancel
    return t._("👍 Thanks! See you in class."), None


@template("readiness_heads_up")
def readiness_heads_up(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A trainer's private note after a readiness answer that advised against coming
    (only for clients who let the trainer see their check-ins).

    params: name (first name), title, starts_at (ISO), outcome ("rest" or "stop").
    """
    t = reader.t
    values = {
        "name": escape(params["name"]),
        "title": escape(params["title"]),
        "when": short_when(t, when(params, "starts_at"), reader.timezone),
    }
    if params["outcome"] == "stop":
        text = t._(
            "⚠️ {name} noted a warning sign in today's readiness check for <b>{title}</b> "
            "({when}) and was advised not to exercise today. They agreed that you may see "
            "their check-ins; you may want to reach out.",
            **values,
        )
    else:
        text = t._(
            "⚠️ {name} was advised to rest today in the readiness check for <b>{title}</b> "
            "({when}). They agreed that you may see their check-ins; you may want to reach "
            "out.",
            **values,
        )
    return rendered(text)
