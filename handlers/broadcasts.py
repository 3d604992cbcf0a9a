"""/broadcast: pick an audience, write the message, preview, send; watch it go, or stop it."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import N_
from bot.models import Role
from bot.services import broadcasts, users
from bot.views.broadcasts import BROADCAST, audience_label, render_status
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.keyboards import button, column
from handlers import conversation
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, remove_buttons, respond

AWAITING = "broadcast"
CANCELLED = N_("Cancelled. Nothing was sent.")


def heading(author_name: str) -> str:
    """The line above every broadcast, so recipients know who is writing."""
    return f"📣 <b>{escape(author_name)}</b>\n\n"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def start_broadcast(update: Update, context: BotContext) -> None:
    """/broadcast: offer the audiences this trainer or admin can reach."""
    t = context.t
    async with context.deps.db.reading() as session:
        audiences = await broadcasts.audiences_for(session, context.actor)
    if not audiences:
        await respond(
            update,
            context,
            t._(
                "You have no audience yet: once people book your classes (/newclass creates "
                "one), you can message the clients of each class, or all your clients, from "
                "here."
            ),
        )
        return
    buttons = [
        button(
            # Translators: an audience and how many it reaches, "All clients (12)".
            t._(
                "{audience} ({n})",
                audience=audience_label(t, audience.key, audience.title),
                n=audience.recipients,
            ),
            pack(BROADCAST, "to", audience.key),
        )
        for audience in audiences
    ]
    buttons.append(button(t._("✖️ Cancel"), pack(BROADCAST, "cancel")))
    await respond(
        update, context, t._("📣 Who should receive your message?"), reply_markup=column(*buttons)
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
    t = context.t
    who = t.n_(
        "Send me the message for <b>{audience}</b>: {n} person will get it.",
        "Send me the message for <b>{audience}</b>: {n} people will get it.",
        found.recipients,
        audience=escape(audience_label(t, found.key, found.title)),
    )
    left_out = []
    if found.muted:
        left_out.append(
            t.n_("{n} person muted broadcasts.", "{n} people muted broadcasts.", found.muted)
        )
    if found.unreachable:
        left_out.append(
            t.n_("{n} person blocked the bot.", "{n} people blocked the bot.", found.unreachable)
        )
    how = t._(
        "Text only; bold, italics and links are kept. You'll see a preview first. /cancel "
        "stops here."
    )
    question = " ".join([who, *left_out]) + "\n\n" + how
    await (edit_or_send if replace else respond)(update, context, question)


async def on_broadcast_text(update: Update, context: BotContext, key: str) -> None:
    """The message to broadcast: save a draft and show the preview with Send / Cancel."""
    message, t = update.effective_message, context.t
    if message.text is None:
        await respond(
            update,
            context,
            t._("I can only broadcast text for now. Send your message as text, or /cancel."),
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
        t.n_(
            "Preview: this is what {n} person in <b>{audience}</b> will receive.",
            "Preview: this is what {n} people in <b>{audience}</b> will receive.",
            found.recipients,
            audience=escape(audience_label(t, found.key, found.title)),
        ),
    )
    await respond(
        update,
        context,
        html,
        reply_markup=column(
            # Translators: button, "Send to 12" (recipients).
            button(t._("✅ Send to {n}", n=found.recipients), pack(BROADCAST, "send", draft.id)),
            button(t._("✏️ Write it again"), pack(BROADCAST, "redo", draft.id)),
            button(t._("✖️ Cancel"), pack(BROADCAST, "drop", draft.id)),
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
        await edit_or_send(update, context, context.t._(CANCELLED))
        return
    if len(args) != 2 or not args[1].isdigit():
        raise stale_button()
    broadcast_id = int(args[1])
    if action == "send":
        await _send(update, context, broadcast_id)
    elif action in ("redo", "drop"):
        async with context.deps.db.transaction() as session:
            key = await broadcasts.discard(session, context.actor, broadcast_id)
        await answer_query(update, context)
        await remove_buttons(update, context)
        if action == "redo":
            await _ask_for_text(update, context, key, replace=False)
        else:
            await respond(update, context, context.t._(CANCELLED))
    elif action == "stop":
        async with context.deps.db.transaction() as session:
            await broadcasts.stop(session, context.actor, broadcast_id, now=now)
            (status,) = await broadcasts.statuses(session, now=now, broadcast_ids=[broadcast_id])
        text, markup = render_status(context.t, status)
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
    await remove_buttons(update, context)
    text, markup = render_status(context.t, status)
    sent = await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    async with context.deps.db.transaction() as session:
        await broadcasts.attach_status(
            session, status.broadcast_id, chat_id=sent.chat_id, message_id=sent.message_id
        )


def register(application: Application) -> None:
    """Add /broadcast, its buttons, and the route for the message text."""
    application.add_handler(command("broadcast", start_broadcast))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(BROADCAST)))
    conversation.expect(AWAITING, on_broadcast_text, reopen=N_("/broadcast starts a new message."))
