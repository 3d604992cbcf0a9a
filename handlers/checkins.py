"""Check-ins (/checkin and the prompts), /progress with its chart, and /clients for trainers.

Check-ins are health data: asked and answered only in the private chat, stored only with
consent, shown to the client and (if they allow it) their trainer, never in a group.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.models import CheckIn, Priority
from bot.services import checkins, outbox, progress, users
from bot.services.errors import InvalidInput
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.errors import error_text
from bot.views.keyboards import button, column, grid
from handlers import conversation
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond

PREFIX = "ci"
AWAITING = "checkin"
EMERGENCY = (
    "If you have chest pain, trouble breathing, sudden severe pain, dizziness or you feel "
    "unsafe, stop exercising and call your local emergency number (112 in Europe, 911 in the "
    "US) now."
)
CARE_TEXT = {
    "high_pain": "Pain of 7 or more is worth talking over with your therapist before your next "
    "session.",
    "pain_rise": "Your pain has gone up quite a bit since your last check-in: please mention it "
    "to your therapist before your next session.",
    "low_mood_twice": "Your mood has been very low twice in a row. That matters: please talk to "
    "your therapist, your GP or someone you trust.",
}
WHY = (
    "📝 Check-ins are a 20-second way to notice how you are doing: mood, energy and pain, and "
    "a note if you like. Over weeks they show your progress in /progress.\n\nThey are health "
    "data, so I store them only with your consent: only you see them, and your trainer only "
    "if you allow it in /settings. You can withdraw at any time, which deletes them."
)


async def start_checkin(update: Update, context: BotContext, prompt: str = "self") -> None:
    """Ask for consent if needed; otherwise the first question (mood)."""
    if not context.actor.wellbeing_consent:
        await respond(
            update,
            context,
            WHY,
            reply_markup=column(
                button("Yes, store my check-ins", pack(PREFIX, "consent", prompt)),
                button("Not now", pack(PREFIX, "no", prompt)),
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
        "📝 <b>Check-in</b> 1/4 · How is your mood today?\n1 = very low · 5 = great",
        reply_markup=grid([button(str(n), pack(PREFIX, "m", n)) for n in range(1, 6)], per_row=5),
    )


async def checkin_command(update: Update, context: BotContext) -> None:
    """/checkin."""
    await start_checkin(update, context)


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
        await edit_or_send(update, context, "✅ Thank you: your check-ins will be stored.")
        await start_checkin(update, context, args[1] if len(args) == 2 else "self")
        return
    if action == "no":
        await edit_or_send(update, context, "OK, nothing is stored. /checkin asks again any time.")
        return
    draft = _draft(context)
    if action not in ("m", "e", "p", "skip") or "prompt" not in draft:
        await edit_or_send(update, context, "This check-in has expired. /checkin starts a new one.")
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
            "📝 <b>Check-in</b> 2/4 · And your energy?\n1 = exhausted · 5 = full of beans",
            reply_markup=grid(
                [button(str(n), pack(PREFIX, "e", n)) for n in range(1, 6)], per_row=5
            ),
        )
    elif action == "e" and 1 <= value <= 5 and "mood" in draft:
        draft["energy"] = value
        await _keep(context, draft, None)
        await edit_or_send(
            update,
            context,
            "📝 <b>Check-in</b> 3/4 · Any pain right now?\n0 = none · 10 = the worst imaginable",
            reply_markup=grid(
                [button(str(n), pack(PREFIX, "p", n)) for n in range(0, 11)], per_row=6
            ),
        )
    elif action == "p" and 0 <= value <= 10 and "energy" in draft:
        draft["pain"] = value
        await _keep(context, draft, f"{AWAITING}:note")
        await edit_or_send(
            update,
            context,
            "📝 <b>Check-in</b> 4/4 · Anything you'd like to add? Send a short note (up to "
            f"{checkins.MAX_NOTE} characters), or skip.",
            reply_markup=column(button("Skip", pack(PREFIX, "skip"))),
        )
    else:
        raise stale_button()


async def on_note(update: Update, context: BotContext, _argument: str) -> None:
    """The optional note; over 500 characters is refused with the limit named."""
    draft = _draft(context)
    text = update.effective_message.text
    if "pain" not in draft:
        await _keep(context, {}, None)
        await respond(update, context, "This check-in has expired. /checkin starts a new one.")
        return
    if text is None:
        await respond(update, context, "Please send the note as text, or press Skip.")
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
        await respond(update, context, "This check-in has expired. /checkin starts a new one.")
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
        )
        await users.await_input(session, actor.id, None, now=now)
        users.set_draft(actor, AWAITING, None)
        await heads_up(session, actor.first_name, saved, now=now)
    text = (
        "✅ Thanks, your check-in is saved"
        + (" (it replaces today's earlier one)" if saved.replaced else "")
        + "."
    )
    text += " /progress shows how you're doing over time."
    if saved.care:
        caring = " ".join(CARE_TEXT[reason] for reason in saved.care.reasons)
        text = f"💛 Thank you for telling me. {caring}\n\n{EMERGENCY}\n\n{text}"
    await answer_query(update, context)
    await respond(update, context, text)


async def heads_up(
    session: AsyncSession, name: str, saved: checkins.Saved, *, now: dt.datetime
) -> None:
    """Queue a private note to the trainers of a client who allowed them to see check-ins,
    when the check-in calls for care; it names the client, and goes with their account."""
    if not saved.trainers:
        return
    reasons = {
        "high_pain": f"pain {saved.checkin.pain}/10",
        "pain_rise": "pain rising since the last check-in",
        "low_mood_twice": "very low mood twice in a row",
    }
    what = ", ".join(reasons[r] for r in saved.care.reasons)
    await outbox.enqueue(
        session,
        [
            outbox.Notice(
                chat_id=trainer.id,
                text=(
                    f"💛 Heads-up: {escape(name)}'s check-in today shows {what}. They agreed that "
                    "you may see their check-ins; you may want to reach out before their next "
                    "session. /clients has the details."
                ),
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


def render_chart(found: list[CheckIn], sessions: list[dt.datetime], zone: str) -> bytes:
    """The twelve-week chart as PNG bytes (run in a worker thread: matplotlib is blocking)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1]})
    days = [c.day for c in found]
    top.plot(days, [c.mood for c in found], marker="o", label="Mood (1–5)", color="#2a9d8f")
    top.plot(days, [c.energy for c in found], marker="s", label="Energy (1–5)", color="#e9c46a")
    top.set_ylim(0.5, 5.5)
    top.legend(loc="upper left", fontsize=8)
    bottom.plot(days, [c.pain for c in found], marker="^", label="Pain (0–10)", color="#e76f51")
    bottom.set_ylim(-0.5, 10.5)
    bottom.legend(loc="upper left", fontsize=8)
    for moment in sessions:
        day = moment.astimezone(ZoneInfo(zone)).date()
        for axis in (top, bottom):
            axis.axvline(day, color="#264653", alpha=0.25, linewidth=2)
    top.set_title("Your last 12 weeks (shaded lines: classes you attended)", fontsize=10)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close("all")
    return buffer.getvalue()


async def show_progress(update: Update, context: BotContext) -> None:
    """/progress: the chart and a two-line summary (or what will appear, with < 2 check-ins)."""
    now = context.deps.clock.now()
    async with context.deps.db.reading() as session:
        found = await progress.progress(session, context.actor, now=now)
    summary = "\n".join(found.summary)
    if len(found.checkins) < 2:
        await respond(
            update,
            context,
            f"📈 {summary}\n\nAfter two or more check-ins (/checkin), this shows a chart of your "
            "mood, energy and pain over the last 12 weeks, with the classes you attended marked.",
        )
        return
    zone = context.actor.timezone or context.deps.settings.default_timezone
    await context.bot.send_chat_action(update.effective_chat.id, "upload_photo")
    image = await asyncio.to_thread(render_chart, found.checkins, found.sessions, zone)
    await context.bot.send_photo(update.effective_chat.id, image, caption=f"📈 {summary}")


# --------------------------------------------------------------------- trainers


async def show_clients(update: Update, context: BotContext) -> None:
    """/clients: the latest check-ins and trends of clients who allow their trainer to see."""
    async with context.deps.db.reading() as session:
        views, private = await checkins.for_trainer(
            session, context.actor, now=context.deps.clock.now()
        )
    lines = ["📋 <b>Check-ins of clients who share them with you</b>", ""]
    for view in views:
        latest = view.latest
        note = f"\n   “{escape(latest.note[:120])}”" if latest.note else ""
        lines.append(
            f"• <b>{escape(view.user.full_name)}</b>, {latest.day:%d %b}: mood {latest.mood}/5 "
            f"{view.mood_trend}, energy {latest.energy}/5 {view.energy_trend}, pain "
            f"{latest.pain}/10 {view.pain_trend} ({view.count} check-ins){note}"
        )
    if not views:
        lines.append("No shared check-ins yet.")
    lines.append(
        f"\n{private} of your clients keep their check-ins private (their choice, in /settings)."
    )
    await respond(update, context, "\n".join(lines)[:4000])


def prompt_markup(kind: str) -> InlineKeyboardMarkup:
    """The button under a check-in invitation."""
    return column(button("📝 Check in now", pack(PREFIX, "start", kind)))


def register(application: Application) -> None:
    """Add /checkin, /progress, /clients and the check-in buttons and note."""
    application.add_handler(command("checkin", checkin_command))
    application.add_handler(command("progress", show_progress))
    application.add_handler(command("clients", show_clients))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
    conversation.expect(AWAITING, on_note, reopen="/checkin starts a new check-in.")
