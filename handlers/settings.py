"""/settings: the user's time zone and wellbeing-data consent, each changeable by a button."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.models import ReminderOffset, User
from bot.services import reminders, users
from bot.services.timezones import describe_zone
from handlers import timezone
from handlers.callbacks import pack, pattern, stale_button, unpack
from handlers.guards import command, guard
from handlers.keyboards import button, column, grid
from handlers.replies import edit_or_send, respond

PREFIX = "set"


def _settings_view(user: User, context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    now = context.deps.clock.now()
    zone = user.timezone or context.deps.settings.default_timezone
    zone_text = describe_zone(user.timezone, now) if user.timezone else "not set yet"
    if user.wellbeing_consent and user.consent_given_at:
        since = user.consent_given_at.astimezone(ZoneInfo(zone))
        consent_text = f"stored, you agreed on {since:%d %b %Y}"
        consent_button = button("🚫 Stop storing check-ins", pack(PREFIX, "consent", "off"))
    else:
        consent_text = "not stored"
        consent_button = button("✅ Allow check-ins", pack(PREFIX, "consent", "on"))
    if user.broadcasts_muted:
        news_text = "muted (notices about your booked classes still arrive)"
        news_button = button("🔔 Unmute trainer news", pack(PREFIX, "news", "on"))
    else:
        news_text = "on"
        news_button = button("🔕 Mute trainer news", pack(PREFIX, "news", "off"))
    text = (
        "⚙️ <b>Your settings</b>\n\n"
        f"🕒 Time zone: {escape(zone_text)}\n"
        f"⏰ Reminders: {_reminders_text(user)}\n"
        f"📝 Wellbeing check-ins: {consent_text}\n"
        f"📣 Trainer news: {news_text}\n\n"
        f"Your user id is <code>{user.id}</code> (an admin needs it to make you a trainer)."
    )
    return text, column(
        button("🕒 Change time zone", pack(PREFIX, "tz")),
        button("⏰ Change reminders", pack(PREFIX, "rem")),
        consent_button,
        news_button,
    )


def _reminders_text(user: User) -> str:
    chosen = reminders.chosen_offsets(user.reminder_mask)
    if not chosen:
        return "none"
    return " and ".join(offset.label for offset in chosen) + " before each booked class"


def _reminders_view(user: User) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        button(
            ("✅ " if user.reminder_mask & offset.bit else "▫️ ") + offset.label,
            pack(PREFIX, "rem", offset.value),
        )
        for offset in ReminderOffset
    ]
    keyboard = grid(buttons, per_row=5).inline_keyboard
    return (
        f"⏰ <b>Reminders</b>: {_reminders_text(user)}.\n\nTap to switch each one on or off.",
        InlineKeyboardMarkup(
            [
                *keyboard,
                [
                    button("No reminders", pack(PREFIX, "rem", "none")),
                    button("« Done", pack(PREFIX, "show")),
                ],
            ]
        ),
    )


async def show_settings(update: Update, context: BotContext) -> None:
    """/settings: show the current choices with buttons to change them."""
    text, keyboard = _settings_view(context.actor, context)
    await respond(update, context, text, reply_markup=keyboard)


@guard(private=True)
async def on_settings_button(update: Update, context: BotContext) -> None:
    """The buttons under /settings."""
    args = unpack(update.callback_query.data)[1:]
    now = context.deps.clock.now()
    if args == ["tz"]:
        await timezone.ask_timezone(update, context)
        return
    if args[:1] == ["rem"]:
        if len(args) == 2:
            chosen = set(reminders.chosen_offsets(context.actor.reminder_mask))
            if args[1] == "none":
                chosen = set()
            elif args[1].isdigit() and int(args[1]) in {o.value for o in ReminderOffset}:
                chosen ^= {ReminderOffset(int(args[1]))}
            else:
                raise stale_button()
            async with context.deps.db.transaction() as session:
                context.actor = await reminders.set_offsets(
                    session, context.actor.id, sorted(chosen, reverse=True), now=now
                )
        text, keyboard = _reminders_view(context.actor)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if args == ["consent", "off"]:
        await edit_or_send(
            update,
            context,
            "Stop storing your wellbeing check-ins? Check-ins you have already given will be "
            "deleted, and your trainer will no longer see any.",
            reply_markup=column(
                button("Yes, stop and delete", pack(PREFIX, "consent", "off", "yes")),
                button("Keep storing them", pack(PREFIX, "show")),
            ),
        )
        return
    if args in (["consent", "on"], ["consent", "off", "yes"]):
        async with context.deps.db.transaction() as session:
            context.actor = await users.record_consent(
                session, context.actor.id, args == ["consent", "on"], now=now
            )
    elif args in (["news", "on"], ["news", "off"]):
        async with context.deps.db.transaction() as session:
            context.actor = await users.set_broadcasts_muted(
                session, context.actor.id, args == ["news", "off"], now=now
            )
    text, keyboard = _settings_view(context.actor, context)
    await edit_or_send(update, context, text, reply_markup=keyboard)


def register(application: Application) -> None:
    """Add /settings and its buttons."""
    application.add_handler(command("settings", show_settings))
    application.add_handler(CallbackQueryHandler(on_settings_button, pattern=pattern(PREFIX)))
