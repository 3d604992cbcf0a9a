"""Safe to take part (issue 12): the screening before a first booking, and the class-day
readiness check's buttons. Health data: asked and answered in the private chat only."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.services import bookings, notices, safety, users
from bot.views.callbacks import pattern, stale_button, unpack
from bot.views.safety import (
    READY,
    SCREENING,
    all_clear,
    anything_new,
    clearance_needed,
    question,
    readiness_reply,
    screening_declined,
    screening_expired,
    screening_intro,
    screening_intro_markup,
)
from handlers.guards import guard
from handlers.replies import answer_query, edit_or_send, respond

FLOW = "screening"


async def offer_screening(update: Update, context: BotContext, session_id: int) -> None:
    """Booking a class that screens, without a screening that counts: say what it is and
    what is kept, then Start (the place is booked when the last question is answered)."""
    t = context.t
    await answer_query(update, context)
    await respond(
        update,
        context,
        screening_intro(
            t,
            stores=context.actor.wellbeing_consent,
            hold_hours=context.deps.settings.clearance_hold_hours,
        ),
        reply_markup=screening_intro_markup(t, session_id),
    )


async def _save_draft(context: BotContext, draft: dict | None) -> None:
    async with context.deps.db.transaction() as session:
        user = await users.require_user(session, context.actor.id)
        users.set_draft(user, FLOW, draft)
        user.updated_at = context.deps.clock.now()
    context.actor = user


@guard(private=True)
async def on_screening_button(update: Update, context: BotContext) -> None:
    """Start, Not now, and the Yes / No answers, one question at a time."""
    t = context.t
    args = unpack(update.callback_query.data)[1:]
    if args == ["no"]:
        await _save_draft(context, None)
        await edit_or_send(update, context, screening_declined(t))
        return
    if len(args) == 2 and args[0] == "go" and args[1].isdigit():
        await _save_draft(context, {"session": int(args[1]), "answers": []})
        text, keyboard = question(t, int(args[1]), 0)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if (
        len(args) != 4
        or args[0] != "a"
        or not args[1].isdigit()
        or not args[2].isdigit()
        or args[3] not in ("y", "n")
    ):
        raise stale_button()
    draft = users.draft_of(context.actor, FLOW)
    session_id, index = int(args[1]), int(args[2])
    if draft is not None and draft.get("session") != session_id:
        draft = None  # a screening started since, for another class, is the open one
    if draft is None or index != len(draft.get("answers", [])):
        if draft is not None and index < len(draft.get("answers", [])):
            await answer_query(update, context)  # a double tap on an answered question
            return
        # A pop-up, not an edit: a second tap on the last answer must not overwrite its
        # reply.
        await answer_query(update, context, screening_expired(t))
        return
    draft["answers"] = [*draft["answers"], args[3] == "y"]
    if len(draft["answers"]) < len(safety.QUESTIONS):
        await _save_draft(context, draft)
        text, keyboard = question(t, session_id, len(draft["answers"]))
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    await _finish(update, context, draft)


async def _finish(update: Update, context: BotContext, draft: dict) -> None:
    """Record the screening (answers only with consent), then book the class it was for."""
    from handlers.classes import booking_note

    t, now, settings = context.t, context.deps.clock.now(), context.deps.settings
    answers = dict(zip(safety.QUESTIONS, draft["answers"], strict=True))
    async with context.deps.db.transaction() as session:
        user = await users.require_user(session, context.actor.id)
        users.set_draft(user, FLOW, None)
        await safety.record_screening(session, user, answers, now=now)
    context.actor = user
    async with context.deps.db.transaction() as session:
        result = await notices.book(
            session,
            context.actor,
            draft["session"],
            hold_hours=settings.clearance_hold_hours,
            now=now,
        )
    await answer_query(update, context)
    if any(answers.values()):
        text = clearance_needed(
            t,
            hold_hours=settings.clearance_hold_hours,
            trainer=result.info.trainer.first_name,
            held=result.status == "pending_clearance",
        )
        if result.status != "pending_clearance":
            text += "\n\n" + booking_note(context, result)
    else:
        text = all_clear(t) + "\n\n" + booking_note(context, result)
    await edit_or_send(update, context, text)


# --------------------------------------------------------------------- readiness


@guard(private=True)
async def on_readiness_button(update: Update, context: BotContext) -> None:
    """The readiness check: pain 0-10 (or skip), anything new, and the cancel without a
    late-cancel mark when the advice is not to come. Never blocks anything."""
    t, now = context.t, context.deps.clock.now()
    args = unpack(update.callback_query.data)[1:]
    if len(args) < 2 or not args[1].isdigit():
        raise stale_button()
    action, booking_id = args[0], int(args[1])
    if action == "p" and len(args) == 3 and args[2].isdigit() and int(args[2]) <= 10:
        text, keyboard = anything_new(t, booking_id, int(args[2]))
        await edit_or_send(update, context, text, reply_markup=keyboard)
    elif action == "s" and len(args) == 2:
        await edit_or_send(update, context, t._("👍 No problem. See you in class."))
    elif action == "n" and len(args) == 4 and (args[2] == "-" or args[2].isdigit()):
        pain = None if args[2] == "-" else int(args[2])
        async with context.deps.db.transaction() as session:
            actor = await users.require_user(session, context.actor.id)
            answered = await safety.answer_readiness(
                session, actor, booking_id, pain=pain, new=args[3], now=now
            )
            if answered.tell_trainer:
                await notices.tell_trainer_readiness(session, answered, actor.first_name, now=now)
        text, keyboard = readiness_reply(t, answered.outcome, booking_id)
        await edit_or_send(update, context, text, reply_markup=keyboard)
    elif action == "x" and len(args) == 2:
        async with context.deps.db.transaction() as session:
            result = await bookings.cancel(session, context.actor.id, booking_id, now=now)
            await notices.tell_promoted(session, result.promotions, now=now)
        if result.late:
            text = t._("Cancelled. It was recorded as a late cancel.")
        else:
            text = t._(
                "Cancelled, with no late-cancel mark. Take care, and let your trainer know "
                "how you are before your next class."
            )
        await edit_or_send(update, context, text)
    elif action == "k" and len(args) == 2:
        await edit_or_send(
            update,
            context,
            t._("OK, your place stands. Take it easy, and tell your trainer how you feel."),
        )
    else:
        raise stale_button()


def register(application: Application) -> None:
    """Add the screening's and the readiness check's buttons."""
    application.add_handler(CallbackQueryHandler(on_screening_button, pattern=pattern(SCREENING)))
    application.add_handler(CallbackQueryHandler(on_readiness_button, pattern=pattern(READY)))
