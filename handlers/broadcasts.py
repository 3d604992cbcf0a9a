"""/broadcast: pick an audience, write the message, preview, send; watch it go, or stop it."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.models import BroadcastState, OutboxState, Role
from bot.services import broadcasts, users
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.formatting import count
from bot.views.keyboards import button, column
from handlers import conversation
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond

PREFIX = "bc"
AWAITING = "broadcast"


def heading(author_name: str) -> str:
    """The line above every broadcast, so recipients know who is writing."""
    return f"📣 <b>{escape(author_name)}</b>\n\n"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def render_status(status: broadcasts.Status) -> tuple[str, InlineKeyboardMarkup | None]:
    """The author's status message: counts so far, and a Stop button while it runs."""
    progress = status.progress
    waiting = progress.open
    lines = [
        f"📣 Broadcast to {escape(status.audience)}: "
        f"{status.recipients} recipient{'s' if status.recipients != 1 else ''}",
        f"Queued {waiting} · Sent {progress[OutboxState.SENT]} · "
        f"Failed {progress[OutboxState.FAILED]} · "
        f"Unreachable {progress[OutboxState.UNREACHABLE]}",
    ]
    if status.state == BroadcastState.QUEUED:
        return "\n".join(lines), column(button("⏹ Stop", pack(PREFIX, "stop", status.broadcast_id)))
    if status.state == BroadcastState.STOPPED:
        lines.append(
            f"⏹ Stopped: {progress[OutboxState.CANCELLED]} will not be sent "
            "(any already on their way still arrive)."
        )
    else:
        lines.append("✅ Finished.")
    return "\n".join(lines), None


async def start_broadcast(update: Update, context: BotContext) -> None:
    """/broadcast: offer the audiences this trainer or admin can reach."""
    async with context.deps.db.reading() as session:
        audiences = await broadcasts.audiences_for(session, context.actor)
    if not audiences:
        await respond(
            update,
            context,
            "You have no audience yet: once people book your classes (/newclass creates "
            "one), you can message the clients of each class, or all your clients, from here.",
        )
        return
    buttons = [
        button(f"{audience.label} ({audience.recipients})", pack(PREFIX, "to", audience.key))
        for audience in audiences
    ]
    buttons.append(button("✖️ Cancel", pack(PREFIX, "cancel")))
    await respond(
        update, context, "📣 Who should receive your message?", reply_markup=column(*buttons)
    )


async def _ask_for_text(
    update: Update, context: BotContext, key: str, *, replace: bool = True
) -> None:
    """Ask for the message text; `replace` turns the pressed message into the question."""
    async with context.deps.db.transaction() as session:
        found = await broadcasts.audience(session, context.actor, key)
        await users.await_input(
            session, context.actor.id, f"{AWAITING}:{key}", now=context.deps.clock.now()
        )
    muted = f" ({found.muted} muted broadcasts)" if found.muted else ""
    unreachable = f"; {found.unreachable} blocked the bot" if found.unreachable else ""
    question = (
        f"Send me the message for <b>{escape(found.label)}</b>: "
        f"{count(found.recipients, 'person', 'people')} will get it{muted}{unreachable}."
        "\n\nText only; bold, italics and links are kept. You'll see a preview first. "
        "/cancel stops here."
    )
    await (edit_or_send if replace else respond)(update, context, question)


async def on_broadcast_text(update: Update, context: BotContext, key: str) -> None:
    """The message to broadcast: save a draft and show the preview with Send / Cancel."""
    message = update.effective_message
    if message.text is None:
        await respond(
            update,
            context,
            "I can only broadcast text for now. Send your message as text, or /cancel.",
        )
        return
    actor = context.actor
    head = heading(actor.full_name)
    html = head + message.text_html
    length = _utf16_length(f"📣 {actor.full_name}\n\n") + _utf16_length(message.text)
    async with context.deps.db.transaction() as session:
        draft = await broadcasts.draft(
            session,
            actor,
            key,
            html=html,
            body=message.text,
            length=length,
            now=context.deps.clock.now(),
        )
        found = await broadcasts.audience(session, actor, key)
        await users.await_input(session, actor.id, None, now=context.deps.clock.now())
    await respond(
        update,
        context,
        f"Preview: this is what {count(found.recipients, 'person', 'people')} in "
        f"<b>{escape(found.label)}</b> will receive.",
    )
    await respond(
        update,
        context,
        html,
        reply_markup=column(
            button(f"✅ Send to {found.recipients}", pack(PREFIX, "send", draft.id)),
            button("✏️ Write it again", pack(PREFIX, "redo", draft.id)),
            button("✖️ Cancel", pack(PREFIX, "drop", draft.id)),
        ),
    )


@guard(Role.TRAINER, private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Audience choice, Send, Write again, Cancel and Stop."""
    args = unpack(update.callback_query.data)[1:]
    action = args[0] if args else ""
    now = context.deps.clock.now()
    if action == "to" and len(args) == 2:
        await _ask_for_text(update, context, args[1])
        return
    if action == "cancel":
        async with context.deps.db.transaction() as session:
            await users.await_input(session, context.actor.id, None, now=now)
        await edit_or_send(update, context, "Cancelled. Nothing was sent.")
        return
    if len(args) != 2 or not args[1].isdigit():
        raise stale_button()
    broadcast_id = int(args[1])
    query = update.callback_query
    if action == "send":
        await _send(update, context, broadcast_id)
    elif action in ("redo", "drop"):
        async with context.deps.db.transaction() as session:
            key = await broadcasts.discard(session, context.actor, broadcast_id)
        await answer_query(update, context)
        await query.edit_message_reply_markup(None)
        if action == "redo":
            await _ask_for_text(update, context, key, replace=False)
        else:
            await respond(update, context, "Cancelled. Nothing was sent.")
    elif action == "stop":
        async with context.deps.db.transaction() as session:
            await broadcasts.stop(session, context.actor, broadcast_id, now=now)
            (status,) = await broadcasts.statuses(session, now=now, broadcast_ids=[broadcast_id])
        text, markup = render_status(status)
        await edit_or_send(update, context, text, reply_markup=markup)
    else:
        raise stale_button()


async def _send(update: Update, context: BotContext, broadcast_id: int) -> None:
    now = context.deps.clock.now()
    async with context.deps.db.transaction() as session:
        broadcast = await broadcasts.queue(session, context.actor, broadcast_id, now=now)
        (status,) = await broadcasts.statuses(session, now=now, broadcast_ids=[broadcast.id])
    await show_status(update, context, status)


async def show_status(update: Update, context: BotContext, status: broadcasts.Status) -> None:
    """After Send: the preview loses its buttons, and a status message follows that the
    dispatcher keeps up to date."""
    await answer_query(update, context)
    await update.callback_query.edit_message_reply_markup(None)
    text, markup = render_status(status)
    sent = await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    async with context.deps.db.transaction() as session:
        await broadcasts.attach_status(
            session, status.broadcast_id, chat_id=sent.chat_id, message_id=sent.message_id
        )


def register(application: Application) -> None:
    """Add /broadcast, its buttons, and the route for the message text."""
    application.add_handler(command("broadcast", start_broadcast))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
    conversation.expect(AWAITING, on_broadcast_text, reopen="/broadcast starts a new message.")
