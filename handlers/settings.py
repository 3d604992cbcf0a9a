"""/settings: the user's language, time zone, reminders, tips, check-in choices, consent
and trainer news, each changeable by a button."""

from __future__ import annotations

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import N_, Translator, native_name
from bot.models import ReminderOffset, User
from bot.services import reminders, safety, tips, users
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.formatting import duration
from bot.views.keyboards import button, column, grid
from bot.views.safety import health_changed_done, health_changed_question, readiness_setting_line
from bot.views.timezones import describe_zone
from handlers import language, timezone
from handlers.guards import command, guard
from handlers.replies import edit_or_send, respond

PREFIX = "set"
MARK = "✅ "
UNMARKED = "▫️ "


def _hour(t: Translator, hour: int) -> str:
    """A full hour on the wall clock, as the reader writes times: "09:00"."""
    return t.time(dt.datetime(2000, 1, 3, hour, tzinfo=dt.UTC), "UTC")


def _settings_view(user: User, context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    now = context.deps.clock.now()
    zone = user.timezone or context.deps.settings.default_timezone
    if user.timezone:
        zone_text = escape(describe_zone(t, user.timezone, now))
    else:
        zone_text = t._("not set yet")
    if user.wellbeing_consent and user.consent_given_at:
        since = t.day_date_year(user.consent_given_at.astimezone(ZoneInfo(zone)).date())
        consent_text = t._(
            "stored, you agreed on {date} ({checkins})", date=since, checkins=_checkin_text(t, user)
        )
        consent_button = button(t._("🚫 Stop storing check-ins"), pack(PREFIX, "consent", "off"))
    else:
        consent_text = t._("not stored")
        consent_button = button(t._("✅ Allow check-ins"), pack(PREFIX, "consent", "on"))
    if user.broadcasts_muted:
        news_text = t._("muted (notices about your booked classes still arrive)")
        news_button = button(t._("🔔 Unmute trainer news"), pack(PREFIX, "news", "on"))
    else:
        news_text = t.p_("trainer news", "on")
        news_button = button(t._("🔕 Mute trainer news"), pack(PREFIX, "news", "off"))
    text = t._(
        "⚙️ <b>Your settings</b>\n\n"
        "🌐 Language: {language}\n"
        "🕒 Time zone: {zone}\n"
        "⏰ Reminders: {reminders}\n"
        "💡 Tips: {tips}; quiet hours {quiet}\n"
        "📝 Wellbeing check-ins: {checkins}\n"
        "📣 Trainer news: {news}\n\n"
        "Your user id is <code>{id}</code> (an admin needs it to make you a trainer).",
        language=native_name(t.language),
        zone=zone_text,
        reminders=_reminders_text(t, user),
        tips=_tips_text(t, user),
        quiet=_quiet_text(t, user.quiet_start, user.quiet_end),
        checkins=consent_text,
        news=news_text,
        id=user.id,
    )
    text += "\n" + readiness_setting_line(t, user.readiness_check)
    return text, column(
        button(t._("🌐 Change language"), pack(language.PREFIX, "pick", language.FROM_SETTINGS)),
        button(t._("🕒 Change time zone"), pack(PREFIX, "tz")),
        button(t._("⏰ Change reminders"), pack(PREFIX, "rem")),
        button(t._("💡 Change tips"), pack(PREFIX, "tips")),
        button(t._("📝 Check-in choices"), pack(PREFIX, "ci")),
        consent_button,
        news_button,
        button(
            t._("🌤 Readiness check off") if user.readiness_check else t._("🌤 Readiness check on"),
            pack(PREFIX, "ready", "off" if user.readiness_check else "on"),
        ),
        button(t._("🩺 My health changed"), pack(PREFIX, "health")),
    )


# How often tips come: the stored key, the button label, and the sentence with its hour.
FREQUENCIES = {
    # Translators: a button that turns tips off.
    "off": (N_("Off"), None),
    "weekly": (N_("Weekly"), N_("weekly at {time}")),
    "twice_weekly": (N_("Twice a week"), N_("twice a week at {time}")),
    "daily": (N_("Daily"), N_("daily at {time}")),
}
TIP_HOURS = (7, 8, 9, 10, 12, 15, 18, 20)
QUIET_PRESETS = ((21, 8), (22, 7), (20, 9), (0, 0))


def _quiet_text(t: Translator, start: int, end: int) -> str:
    if start == end:
        return t.p_("quiet hours", "none")
    return t._("{start}–{end}", start=_hour(t, start), end=_hour(t, end))


def _tips_text(t: Translator, user: User) -> str:
    sentence = FREQUENCIES.get(user.tip_frequency, FREQUENCIES["off"])[1]
    if sentence is None:
        return t.p_("tips", "off")
    return t._(sentence, time=_hour(t, user.tip_hour))


def _tips_view(t: Translator, user: User) -> tuple[str, InlineKeyboardMarkup]:
    frequencies = [
        button(
            (MARK if user.tip_frequency == key else "") + t._(label),
            pack(PREFIX, "tf", key),
        )
        for key, (label, _) in FREQUENCIES.items()
    ]
    hours = [
        button((MARK if user.tip_hour == hour else "") + _hour(t, hour), pack(PREFIX, "th", hour))
        for hour in TIP_HOURS
    ]
    quiet = [
        button(
            (MARK if (user.quiet_start, user.quiet_end) == preset else "")
            + (t._("No quiet hours") if preset[0] == preset[1] else _quiet_text(t, *preset)),
            pack(PREFIX, "tq", preset[0], preset[1]),
        )
        for preset in QUIET_PRESETS
    ]
    rows = [
        *grid(frequencies, per_row=4).inline_keyboard,
        *grid(hours, per_row=4).inline_keyboard,
        *grid(quiet, per_row=2).inline_keyboard,
        [_done(t)],
    ]
    text = t._(
        "💡 <b>Tips</b>: {tips}.\n🌙 Quiet hours: {quiet} (tips and news wait until they "
        "end).\n\nChoose how often (first row), at what time (next rows) and your quiet hours.",
        tips=_tips_text(t, user),
        quiet=_quiet_text(t, user.quiet_start, user.quiet_end),
    )
    return text, InlineKeyboardMarkup(rows)


def _done(t: Translator) -> InlineKeyboardButton:
    """The button back to the settings overview."""
    return button(t._("« Done"), pack(PREFIX, "show"))


CHECKIN_HOURS = (8, 9, 12, 18, 20)


def _checkin_text(t: Translator, user: User) -> str:
    day, time = t.weekday(user.checkin_weekday), _hour(t, user.checkin_hour)
    if user.trainer_sees_checkins:
        return t._("invitation {day} {time}; your trainer may see them", day=day, time=time)
    return t._("invitation {day} {time}; only you see them", day=day, time=time)


def _checkins_view(t: Translator, user: User) -> tuple[str, InlineKeyboardMarkup]:
    days = [
        button((MARK if user.checkin_weekday == n else "") + t.weekday(n), pack(PREFIX, "cd", n))
        for n in range(7)
    ]
    hours = [
        button((MARK if user.checkin_hour == h else "") + _hour(t, h), pack(PREFIX, "ch", h))
        for h in CHECKIN_HOURS
    ]
    trainer = button(
        (MARK if user.trainer_sees_checkins else UNMARKED) + t._("My trainer may see my check-ins"),
        pack(PREFIX, "ct"),
    )
    share = button(
        (MARK if user.share_milestones else UNMARKED) + t._("Announce my milestones in the group"),
        pack(PREFIX, "cm"),
    )
    rows = [
        *grid(days, per_row=7).inline_keyboard,
        *grid(hours, per_row=5).inline_keyboard,
        [trainer],
        [share],
        [_done(t)],
    ]
    text = t._(
        "📝 <b>Check-ins</b>: {checkins}.\n\nChoose the day and hour of the weekly "
        "invitation, whether your trainer may see your check-ins (they get a private heads-up "
        "when one needs care), and whether milestones (never anything else) are announced in "
        "your class's group.",
        checkins=_checkin_text(t, user),
    )
    return text, InlineKeyboardMarkup(rows)


def _reminders_text(t: Translator, user: User) -> str:
    chosen = reminders.chosen_offsets(user.reminder_mask)
    if not chosen:
        return t.p_("reminders", "none")
    offsets = t.list(duration(t, offset.value) for offset in chosen)
    # Translators: {offsets} is a list such as "24 h and 1 h".
    return t._("{offsets} before each booked class", offsets=offsets)


def _reminders_view(t: Translator, user: User) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        button(
            (MARK if user.reminder_mask & offset.bit else UNMARKED) + duration(t, offset.value),
            pack(PREFIX, "rem", offset.value),
        )
        for offset in ReminderOffset
    ]
    keyboard = grid(buttons, per_row=5).inline_keyboard
    return (
        t._(
            "⏰ <b>Reminders</b>: {reminders}.\n\nTap to switch each one on or off.",
            reminders=_reminders_text(t, user),
        ),
        InlineKeyboardMarkup(
            [
                *keyboard,
                [button(t._("No reminders"), pack(PREFIX, "rem", "none")), _done(t)],
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
        text, keyboard = _tips_view(context.t, context.actor)
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
        text, keyboard = _checkins_view(context.t, context.actor)
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
        text, keyboard = _reminders_view(context.t, context.actor)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if args == ["consent", "off"]:
        t = context.t
        await edit_or_send(
            update,
            context,
            t._(
                "Stop storing your wellbeing check-ins? Check-ins you have already given will "
                "be deleted, and your trainer will no longer see any."
            ),
            reply_markup=column(
                button(t._("Yes, stop and delete"), pack(PREFIX, "consent", "off", "yes")),
                button(t._("Keep storing them"), pack(PREFIX, "show")),
            ),
        )
        return
    if args == ["health"]:
        t = context.t
        await edit_or_send(
            update,
            context,
            health_changed_question(t),
            reply_markup=column(
                button(t._("Yes, ask me again"), pack(PREFIX, "health", "yes")),
                button(t._("« Back"), pack(PREFIX, "show")),
            ),
        )
        return
    if args == ["health", "yes"]:
        async with context.deps.db.transaction() as session:
            await safety.health_changed(session, context.actor.id, now=now)
        await edit_or_send(
            update,
            context,
            health_changed_done(context.t),
            reply_markup=column(button(context.t._("« Back"), pack(PREFIX, "show"))),
        )
        return
    if args in (["ready", "on"], ["ready", "off"]):
        async with context.deps.db.transaction() as session:
            context.actor = await safety.set_readiness_check(
                session, context.actor.id, args == ["ready", "on"], now=now
            )
    elif args in (["consent", "on"], ["consent", "off", "yes"]):
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
