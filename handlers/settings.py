"""/settings: the user's time zone and wellbeing-data consent, each changeable by a button."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import native_name
from bot.models import ReminderOffset, User
from bot.services import reminders, tips, users
from bot.services.timezones import describe_zone
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.formatting import WEEKDAYS
from bot.views.keyboards import button, column, grid
from handlers import language, timezone
from handlers.guards import command, guard
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
        f"🌐 Language: {native_name(context.t.language)}\n"
        f"🕒 Time zone: {escape(zone_text)}\n"
        f"⏰ Reminders: {_reminders_text(user)}\n"
        f"💡 Tips: {_tips_text(user)}; "
        f"quiet hours {_quiet_text(user.quiet_start, user.quiet_end)}\n"
        f"📝 Wellbeing check-ins: {consent_text}"
        + (f" ({_checkin_text(user)})" if user.wellbeing_consent else "")
        + "\n"
        f"📣 Trainer news: {news_text}\n\n"
        f"Your user id is <code>{user.id}</code> (an admin needs it to make you a trainer)."
    )
    return text, column(
        button("🌐 Change language", pack(language.PREFIX, "pick", language.FROM_SETTINGS)),
        button("🕒 Change time zone", pack(PREFIX, "tz")),
        button("⏰ Change reminders", pack(PREFIX, "rem")),
        button("💡 Change tips", pack(PREFIX, "tips")),
        button("📝 Check-in choices", pack(PREFIX, "ci")),
        consent_button,
        news_button,
    )


FREQUENCY_NAMES = {
    "off": "off",
    "weekly": "weekly",
    "twice_weekly": "twice a week",
    "daily": "daily",
}
TIP_HOURS = (7, 8, 9, 10, 12, 15, 18, 20)
QUIET_PRESETS = ((21, 8), (22, 7), (20, 9), (0, 0))


def _quiet_text(start: int, end: int) -> str:
    return "none" if start == end else f"{start:02d}:00–{end:02d}:00"


def _tips_text(user: User) -> str:
    if user.tip_frequency == "off":
        return "off"
    return f"{FREQUENCY_NAMES[user.tip_frequency]} at {user.tip_hour:02d}:00"


def _tips_view(user: User) -> tuple[str, InlineKeyboardMarkup]:
    mark = "✅ "
    frequencies = [
        button(
            (mark if user.tip_frequency == key else "") + name.capitalize(), pack(PREFIX, "tf", key)
        )
        for key, name in FREQUENCY_NAMES.items()
    ]
    hours = [
        button((mark if user.tip_hour == hour else "") + f"{hour:02d}:00", pack(PREFIX, "th", hour))
        for hour in TIP_HOURS
    ]
    quiet = [
        button(
            (mark if (user.quiet_start, user.quiet_end) == preset else "")
            + ("No quiet hours" if preset[0] == preset[1] else _quiet_text(*preset)),
            pack(PREFIX, "tq", preset[0], preset[1]),
        )
        for preset in QUIET_PRESETS
    ]
    rows = [
        *grid(frequencies, per_row=4).inline_keyboard,
        *grid(hours, per_row=4).inline_keyboard,
        *grid(quiet, per_row=2).inline_keyboard,
        [button("« Done", pack(PREFIX, "show"))],
    ]
    text = (
        f"💡 <b>Tips</b>: {_tips_text(user)}.\n🌙 Quiet hours: "
        f"{_quiet_text(user.quiet_start, user.quiet_end)} (tips and news wait until they end).\n\n"
        "Choose how often (first row), at what time (next rows) and your quiet hours."
    )
    return text, InlineKeyboardMarkup(rows)


CHECKIN_HOURS = (8, 9, 12, 18, 20)


def _checkin_text(user: User) -> str:
    day = WEEKDAYS[user.checkin_weekday]
    sharing = "your trainer may see them" if user.trainer_sees_checkins else "only you see them"
    return f"invitation {day} {user.checkin_hour:02d}:00; {sharing}"


def _checkins_view(user: User) -> tuple[str, InlineKeyboardMarkup]:
    mark = "✅ "
    days = [
        button((mark if user.checkin_weekday == n else "") + name, pack(PREFIX, "cd", n))
        for n, name in enumerate(WEEKDAYS)
    ]
    hours = [
        button((mark if user.checkin_hour == h else "") + f"{h:02d}:00", pack(PREFIX, "ch", h))
        for h in CHECKIN_HOURS
    ]
    trainer = button(
        ("✅ " if user.trainer_sees_checkins else "▫️ ") + "My trainer may see my check-ins",
        pack(PREFIX, "ct"),
    )
    share = button(
        ("✅ " if user.share_milestones else "▫️ ") + "Announce my milestones in the group",
        pack(PREFIX, "cm"),
    )
    rows = [
        *grid(days, per_row=7).inline_keyboard,
        *grid(hours, per_row=5).inline_keyboard,
        [trainer],
        [share],
        [button("« Done", pack(PREFIX, "show"))],
    ]
    text = (
        f"📝 <b>Check-ins</b>: {_checkin_text(user)}.\n\nChoose the day and hour of the weekly "
        "invitation, whether your trainer may see your check-ins (they get a private heads-up "
        "when one needs care), and whether milestones (never anything else) are announced in "
        "your class's group."
    )
    return text, InlineKeyboardMarkup(rows)


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
    if args[:1] in (["tips"], ["tf"], ["th"], ["tq"]):
        if args[0] == "tf" and len(args) == 2:
            change: dict = {"frequency": args[1]}
        elif args[0] == "th" and len(args) == 2 and args[1].isdigit():
            change = {"hour": int(args[1])}
        elif args[0] == "tq" and len(args) == 3 and args[1].isdigit() and args[2].isdigit():
            change = {"quiet": (int(args[1]), int(args[2]))}
        elif args == ["tips"]:
            change = {}
        else:
            raise stale_button()
        async with context.deps.db.transaction() as session:
            context.actor = await tips.set_schedule(session, context.actor.id, **change, now=now)
        text, keyboard = _tips_view(context.actor)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if args[:1] in (["ci"], ["cd"], ["ch"], ["ct"], ["cm"]):
        actor = context.actor
        number = int(args[1]) if len(args) == 2 and args[1].isdigit() else None
        if args[0] == "cd" and number is not None:
            change = {"weekday": number}
        elif args[0] == "ch" and number in CHECKIN_HOURS:
            change = {"hour": number}
        elif args == ["ct"]:
            change = {"trainer_sees": not actor.trainer_sees_checkins}
        elif args == ["cm"]:
            change = {"share_milestones": not actor.share_milestones}
        elif args == ["ci"]:
            change = {}
        else:
            raise stale_button()
        async with context.deps.db.transaction() as session:
            context.actor = await users.set_checkin_choices(session, actor.id, **change, now=now)
        text, keyboard = _checkins_view(context.actor)
        await edit_or_send(update, context, text, reply_markup=keyboard)
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
