"""Check-ins (/checkin and the prompts), /progress with its chart, and /clients for trainers.

Check-ins are health data: asked and answered only in the private chat, stored only with
consent, shown to the client and (if they allow it) their trainer, never in a group.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import N_
from bot.models import Priority
from bot.services import checkins, outbox, progress, users
from bot.services.errors import InvalidInput
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.checkins import (
    CHECKIN,
    class_load_line,
    exercise_pain_question,
    morning_reply,
    morning_worse_question,
    saved_reply,
)
from bot.views.errors import error_text
from bot.views.formatting import day_label
from bot.views.keyboards import button, column, grid
from bot.views.progress import render_chart, summary
from handlers import conversation
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond

AWAITING = "checkin"
WHY = N_(
    "📝 Check-ins are a 20-second way to notice how you are doing: mood, energy and pain, and "
    "a note if you like. Over weeks they show your progress in /progress.\n\nThey are health "
    "data, so I store them only with your consent: only you see them, and your trainer only "
    "if you allow it in /settings. You can withdraw at any time, which deletes them."
)
EXPIRED = N_("This check-in has expired. /checkin starts a new one.")


async def start_checkin(update: Update, context: BotContext, prompt: str = "self") -> None:
    """Ask for consent if needed; otherwise the first question (mood)."""
    t = context.t
    if not context.actor.wellbeing_consent:
        await respond(
            update,
            context,
            t._(WHY),
            reply_markup=column(
                button(t._("Yes, store my check-ins"), pack(CHECKIN, "consent", prompt)),
                button(t._("Not now"), pack(CHECKIN, "no", prompt)),
            ),
        )
        return
    async with context.deps.db.transaction() as session:
        user = await users.await_input(
            session, context.actor.id, None, now=context.deps.clock.now()
        )
        users.set_draft(user, AWAITING, {"prompt": prompt})
    await respond(
        update,
        context,
        t._("📝 <b>Check-in</b> 1/4 · How is your mood today?\n1 = very low · 5 = great"),
        reply_markup=_scale("m", range(1, 6), per_row=5),
    )


async def checkin_command(update: Update, context: BotContext) -> None:
    """/checkin."""
    await start_checkin(update, context)


def _scale(answer: str, values: range, *, per_row: int) -> InlineKeyboardMarkup:
    """Number buttons for one question of the check-in."""
    return grid([button(str(n), pack(CHECKIN, answer, n)) for n in values], per_row=per_row)


def _draft(context: BotContext) -> dict:
    return users.draft_of(context.actor, AWAITING) or {}


async def _keep(context: BotContext, draft: dict, awaiting: str | None) -> None:
    async with context.deps.db.transaction() as session:
        user = await users.await_input(
            session, context.actor.id, awaiting, now=context.deps.clock.now()
        )
        users.set_draft(user, AWAITING, draft)
    context.actor = user


@guard(private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """The prompt's Check in button, consent, and the answers."""
    args = unpack(update.callback_query.data)[1:]
    if not args:
        raise stale_button()
    t = context.t
    action = args[0]
    if action == "start" and len(args) == 2 and args[1] in ("weekly", "class", "self"):
        await answer_query(update, context)
        await start_checkin(update, context, args[1])
        return
    if action == "consent":
        async with context.deps.db.transaction() as session:
            context.actor = await users.record_consent(
                session, context.actor.id, True, now=context.deps.clock.now()
            )
        await edit_or_send(update, context, t._("✅ Thank you: your check-ins will be stored."))
        await start_checkin(update, context, args[1] if len(args) == 2 else "self")
        return
    if action == "no":
        await edit_or_send(
            update, context, t._("OK, nothing is stored. /checkin asks again any time.")
        )
        return
    draft = _draft(context)
    if action in ("mp", "mw"):
        await _morning(update, context, args[1:])
        return
    if action not in ("m", "e", "p", "xp", "skip") or "prompt" not in draft:
        await edit_or_send(update, context, t._(EXPIRED))
        return
    if action == "skip":
        await _finish(update, context, draft, None)
        return
    if len(args) != 2 or not args[1].isdigit():
        raise stale_button()
    value = int(args[1])
    if action == "m" and 1 <= value <= 5:
        draft["mood"] = value
        await _keep(context, draft, None)
        await edit_or_send(
            update,
            context,
            t._("📝 <b>Check-in</b> 2/4 · And your energy?\n1 = exhausted · 5 = full of beans"),
            reply_markup=_scale("e", range(1, 6), per_row=5),
        )
    elif action == "e" and 1 <= value <= 5 and "mood" in draft:
        draft["energy"] = value
        await _keep(context, draft, None)
        await edit_or_send(
            update,
            context,
            t._(
                "📝 <b>Check-in</b> 3/4 · Any pain right now?\n0 = none · 10 = the worst imaginable"
            ),
            reply_markup=_scale("p", range(0, 11), per_row=6),
        )
    elif action == "p" and 0 <= value <= 10 and "energy" in draft and draft["prompt"] == "class":
        draft["pain"] = value
        await _keep(context, draft, None)
        await edit_or_send(
            update,
            context,
            exercise_pain_question(t),
            reply_markup=_scale("xp", range(0, 11), per_row=6),
        )
    elif action in ("p", "xp") and 0 <= value <= 10 and "energy" in draft:
        if action == "xp":
            if "pain" not in draft:
                raise stale_button()
            draft["exercise_pain"] = value
        else:
            draft["pain"] = value
        await _keep(context, draft, f"{AWAITING}:note")
        await edit_or_send(
            update,
            context,
            t._(
                "📝 <b>Check-in</b> 4/4 · Anything you'd like to add? Send a short note (up to "
                "{limit} characters), or skip.",
                limit=checkins.MAX_NOTE,
            ),
            reply_markup=column(button(t.p_("button", "Skip"), pack(CHECKIN, "skip"))),
        )
    else:
        raise stale_button()


async def on_note(update: Update, context: BotContext, _argument: str) -> None:
    """The optional note; over 500 characters is refused with the limit named."""
    draft = _draft(context)
    text = update.effective_message.text
    if "pain" not in draft:
        await _keep(context, {}, None)
        await respond(update, context, context.t._(EXPIRED))
        return
    if text is None:
        await respond(update, context, context.t._("Please send the note as text, or press Skip."))
        return
    try:
        checkins.check_values(1, 1, 0, text)
    except InvalidInput as problem:
        await respond(update, context, f"⚠️ {escape(error_text(context.t, problem))}")
        return
    await _finish(update, context, draft, text)


async def _finish(update: Update, context: BotContext, draft: dict, note: str | None) -> None:
    now = context.deps.clock.now()
    if not {"mood", "energy", "pain"} <= set(draft):
        await respond(update, context, context.t._(EXPIRED))
        return
    async with context.deps.db.transaction() as session:
        actor = await users.require_user(session, context.actor.id)
        saved = await checkins.save(
            session,
            actor,
            mood=draft["mood"],
            energy=draft["energy"],
            pain=draft["pain"],
            note=note,
            prompt=draft["prompt"],
            now=now,
            exercise_pain=draft.get("exercise_pain"),
        )
        await users.await_input(session, actor.id, None, now=now)
        users.set_draft(actor, AWAITING, None)
        await heads_up(session, actor.first_name, saved, now=now)
    await answer_query(update, context)
    await respond(update, context, saved_reply(context.t, saved))


async def _morning(update: Update, context: BotContext, args: list[str]) -> None:
    """The next morning after a class check-in: the pain now, then worse or settled."""
    t = context.t
    if len(args) < 2 or not args[0].isdigit() or not args[1].isdigit() or int(args[1]) > 10:
        raise stale_button()
    checkin_id, pain = int(args[0]), int(args[1])
    if len(args) == 2:
        text, keyboard = morning_worse_question(t, checkin_id, pain)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if len(args) != 3 or args[2] not in ("y", "n"):
        raise stale_button()
    async with context.deps.db.transaction() as session:
        actor = await users.require_user(session, context.actor.id)
        checkin = await checkins.record_morning(
            session,
            actor,
            checkin_id,
            pain=pain,
            worse=args[2] == "y",
            now=context.deps.clock.now(),
        )
        reply = morning_reply(t, checkin)
    await edit_or_send(update, context, reply)


async def heads_up(
    session: AsyncSession, name: str, saved: checkins.Saved, *, now: dt.datetime
) -> None:
    """Queue a private note to the trainers of a client who allowed them to see check-ins,
    when the check-in calls for care, in each trainer's language; it names the client, and
    goes with their account (or with their consent, or their permission for the trainer)."""
    if not saved.trainers:
        return
    await outbox.enqueue(
        session,
        [
            outbox.Notice(
                chat_id=trainer.id,
                template="heads_up",
                params={
                    "name": name,
                    "pain": saved.checkin.pain,
                    "reasons": list(saved.care.reasons),
                },
                dedupe_key=f"headsup:{saved.checkin.id}:{saved.checkin.updated_at.isoformat()}:{trainer.id}",
                kind="heads_up",
                priority=Priority.URGENT,
                subjects=(saved.checkin.user_id,),
            )
            for trainer in saved.trainers
        ],
        now=now,
    )


# --------------------------------------------------------------------- progress


async def show_progress(update: Update, context: BotContext) -> None:
    """/progress: the chart and a two-line summary (or what will appear, with < 2 check-ins)."""
    t, now = context.t, context.deps.clock.now()
    async with context.deps.db.reading() as session:
        found = await progress.progress(session, context.actor, now=now)
    lines = summary(t, found)
    if len(found.checkins) < 2:
        await respond(
            update,
            context,
            "📈 "
            + lines
            + "\n\n"
            + t._(
                "After two or more check-ins (/checkin), this shows a chart of your mood, "
                "energy and pain over the last 12 weeks, with the classes you attended marked."
            ),
        )
        return
    zone = context.actor.timezone or context.deps.settings.default_timezone
    await context.bot.send_chat_action(update.effective_chat.id, "upload_photo")
    image = await asyncio.to_thread(render_chart, t, found.checkins, found.sessions, zone)
    await context.bot.send_photo(update.effective_chat.id, image, caption=f"📈 {lines}")


# --------------------------------------------------------------------- trainers


async def show_clients(update: Update, context: BotContext) -> None:
    """/clients: the latest check-ins and trends of clients who allow their trainer to see."""
    t = context.t
    async with context.deps.db.reading() as session:
        views, private = await checkins.for_trainer(
            session, context.actor, now=context.deps.clock.now()
        )
    lines = [t._("📋 <b>Check-ins of clients who share them with you</b>"), ""]
    for view in views:
        latest = view.latest
        line = t.n_(
            "• <b>{name}</b>, {day}: mood {mood}/5 {mood_trend}, energy {energy}/5 "
            "{energy_trend}, pain {pain}/10 {pain_trend} ({n} check-in)",
            "• <b>{name}</b>, {day}: mood {mood}/5 {mood_trend}, energy {energy}/5 "
            "{energy_trend}, pain {pain}/10 {pain_trend} ({n} check-ins)",
            view.count,
            name=escape(view.user.full_name),
            day=day_label(t, latest.day),
            mood=latest.mood,
            mood_trend=view.mood_trend,
            energy=latest.energy,
            energy_trend=view.energy_trend,
            pain=latest.pain,
            pain_trend=view.pain_trend,
        )
        if view.last_class is not None:
            line += "\n   🏋️ " + class_load_line(t, view.last_class)
        if latest.note:
            # Translators: the client's note, quoted as your language quotes.
            line += "\n   " + t._("“{note}”", note=escape(latest.note[:120]))
        lines.append(line)
    if not views:
        lines.append(t._("No shared check-ins yet."))
    lines.append(
        "\n"
        + t.n_(
            "{n} of your clients keeps their check-ins private (their choice, in /settings).",
            "{n} of your clients keep their check-ins private (their choice, in /settings).",
            private,
        )
    )
    await respond(update, context, "\n".join(lines)[:4000])


def register(application: Application) -> None:
    """Add /checkin, /progress, /clients and the check-in buttons and note."""
    application.add_handler(command("checkin", checkin_command))
    application.add_handler(command("progress", show_progress))
    application.add_handler(command("clients", show_clients))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(CHECKIN)))
    conversation.expect(AWAITING, on_note, reopen=N_("/checkin starts a new check-in."))
