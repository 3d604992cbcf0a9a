"""/privacy: what is stored and why; export everything, withdraw consent, delete the account."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.services import privacy, users
from bot.services import tips as tip_service
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.keyboards import button, column
from bot.views.privacy import export_file, export_file_name
from bot.views.safety import privacy_screening_note
from bot.views.tips import received_tips
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond

PREFIX = "prv"


async def show_privacy(update: Update, context: BotContext) -> None:
    """/privacy."""
    t = context.t
    rows = [button(t._("📦 Export my data"), pack(PREFIX, "export"))]
    if context.actor.wellbeing_consent:
        rows.append(button(t._("🚫 Withdraw consent for check-ins"), pack(PREFIX, "withdraw")))
    rows.append(button(t._("🗑 Delete my account"), pack(PREFIX, "delete")))
    text = t._(
        "🔒 <b>Your data</b>\n\n"
        "I store what I need to run your classes and look after you between them:\n"
        "• your name, Telegram username, language and time zone (to greet you and show times)\n"
        "• your bookings and attendance (to run classes and count milestones)\n"
        "• the tips you got and your answers (to avoid repeats and pick better ones)\n"
        "• your check-ins (mood, energy, pain, notes) <b>only with your consent</b>: they are "
        "health data, seen by you and, only if you allow it, your trainer; never in a group\n"
        "• your settings and buddy pairings\n\n"
        "You can download all of it, withdraw your consent (your check-ins are deleted at "
        "once), or delete your account (everything personal is erased; your past bookings stay "
        "as anonymous counts so class numbers remain true)."
    )
    text += "\n\n" + privacy_screening_note(t)
    await respond(update, context, text, reply_markup=column(*rows))


@guard(private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Export, and withdraw / delete after a confirmation."""
    t = context.t
    args = unpack(update.callback_query.data)[1:]
    now = context.deps.clock.now()
    if args == ["export"]:
        async with context.deps.db.reading() as session:
            data = await privacy.export(session, context.actor.id, now=now)
            received = data["tips_received"]
            found = await tip_service.describe(
                session, [row["tip_id"] for row in received], context.deps.library
            )
            data["tips_received"] = received_tips(t, received, found, context.deps.library)
        await answer_query(update, context, t._("Here it is."))
        await context.bot.send_document(
            update.effective_chat.id,
            document=export_file(t, data),
            filename=export_file_name(t),
            caption=t._("📦 Everything I hold about you."),
        )
    elif args == ["withdraw"]:
        await edit_or_send(
            update,
            context,
            t._(
                "Withdraw your consent? All your check-ins are deleted now and your trainer sees "
                "none from now on. You can give consent again later."
            ),
            reply_markup=column(
                button(t._("Yes, withdraw and delete"), pack(PREFIX, "withdraw", "yes")),
                button(t._("Keep my check-ins"), pack(PREFIX, "keep")),
            ),
        )
    elif args == ["withdraw", "yes"]:
        async with context.deps.db.transaction() as session:
            await users.record_consent(session, context.actor.id, False, now=now)
        await edit_or_send(
            update, context, t._("✅ Done: consent withdrawn and your check-ins deleted.")
        )
    elif args == ["delete"]:
        await edit_or_send(
            update,
            context,
            t._(
                "Delete your account? Your profile, check-ins, tips, milestones and settings are "
                "erased for good, and so is your name in my copies of messages to others; your "
                "past bookings stay only as anonymous counts. Messages people already received "
                "(a milestone in your group, say) stay in their chats. This can't be undone."
            ),
            reply_markup=column(
                button(t._("Yes, delete everything"), pack(PREFIX, "delete", "yes")),
                button(t._("Keep my account"), pack(PREFIX, "keep")),
            ),
        )
    elif args == ["delete", "yes"]:
        async with context.deps.db.transaction() as session:
            await privacy.delete_account(session, context.actor.id, now=now)
        await edit_or_send(
            update,
            context,
            t._(
                "🗑 Your account is deleted. Thank you for moving with us. If you ever want to "
                "come back, send /start."
            ),
        )
    elif args == ["keep"]:
        await edit_or_send(update, context, t._("Good: nothing changed."))
    else:
        raise stale_button()


def register(application: Application) -> None:
    """Add /privacy and its buttons."""
    application.add_handler(command("privacy", show_privacy))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
