"""Choosing a time zone: the question, its buttons and typed answers (onboarding and settings)."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import N_
from bot.models import OnboardingStep
from bot.services import users
from bot.services.timezones import likely_timezones, resolve_timezone
from bot.views.callbacks import pack, pattern, unpack
from bot.views.keyboards import button, grid
from bot.views.timezones import describe_zone, zone_label
from handlers import conversation
from handlers.app_buttons import publish_app_button
from handlers.commands import help_lines, visible_commands
from handlers.guards import guard
from handlers.replies import edit_or_send, respond

PREFIX = "tz"
TYPE_IT = "type"
MAX_TYPED_LENGTH = 80


def _zone_buttons(zones: list[str], context: BotContext) -> list[InlineKeyboardButton]:
    now = context.deps.clock.now()
    return [button(zone_label(context.t, zone, now), pack(PREFIX, zone)) for zone in zones]


async def ask_timezone(update: Update, context: BotContext, *, step: str = "") -> None:
    """Ask which time zone the user is in: likely zones as buttons, or type a name.

    `step` goes before the question ("<b>2/2</b> · " during onboarding)."""
    actor = context.actor
    assert actor is not None
    t = context.t
    async with context.deps.db.transaction() as session:
        await users.await_input(
            session, actor.id, users.AWAITING_TIMEZONE, now=context.deps.clock.now()
        )
    zones = likely_timezones(actor.language_code, context.deps.settings.default_timezone)
    buttons = _zone_buttons(zones, context)
    buttons.append(button(t._("🔎 Type a city or zone name"), pack(PREFIX, TYPE_IT)))
    question = t._(
        "Which time zone are you in? I show class times and send reminders in your "
        "local time.\n\nPick one below, or type a city, a country or a zone name "
        "(for example <i>Berlin</i>, <i>New York</i> or <i>Europe/Berlin</i>)."
    )
    await respond(update, context, step + question, reply_markup=grid(buttons, per_row=2))


async def _save(update: Update, context: BotContext, zone: str) -> None:
    actor = context.actor
    assert actor is not None
    t = context.t
    was_onboarding = actor.onboarding_step != OnboardingStep.DONE
    now = context.deps.clock.now()
    async with context.deps.db.transaction() as session:
        user = await users.set_timezone(session, actor.id, zone, now=now)
    text = t._("🕒 Time zone saved: {zone}.", zone=escape(describe_zone(t, zone, now)))
    if update.callback_query is not None:
        await edit_or_send(update, context, text)
    else:
        await respond(update, context, text)
    if was_onboarding and user.is_onboarded:
        await publish_app_button(context.bot, context.deps.settings, user.id, user.role, t.language)
        commands = help_lines(t, visible_commands(user.role, private=True))
        await respond(
            update,
            context,
            t._(
                "✅ You're all set! Here is what you can do:\n\n{commands}\n\nYou can change "
                "your answers any time in /settings.",
                commands=commands,
            ),
        )


@guard(private=True)
async def on_zone_button(update: Update, context: BotContext) -> None:
    """A zone button: save it. The "type a name" button: prompt for the name."""
    args = unpack(update.callback_query.data)[1:]
    if args == [TYPE_IT]:
        async with context.deps.db.transaction() as session:
            await users.await_input(
                session, context.actor.id, users.AWAITING_TIMEZONE, now=context.deps.clock.now()
            )
        await respond(
            update,
            context,
            context.t._(
                "Type the name of your city, your country or your time zone "
                "(for example <i>Berlin</i> or <i>America/New_York</i>)."
            ),
        )
        return
    await _save(update, context, args[0] if args else "")


async def on_typed_zone(update: Update, context: BotContext, _argument: str) -> None:
    """Handle a message while the bot waits for a time zone: save, offer choices, or ask again."""
    t = context.t
    text = update.effective_message.text
    if text is None:
        await respond(update, context, t._("Please type the name of your city or time zone."))
        return
    match = resolve_timezone(text[:MAX_TYPED_LENGTH])
    if match.zone:
        await _save(update, context, match.zone)
        return
    shown = escape(text.strip()[:40])
    if match.candidates:
        await respond(
            update,
            context,
            t._("“{typed}” could mean more than one place. Which one is yours?", typed=shown),
            reply_markup=grid(_zone_buttons(match.candidates, context), per_row=2),
        )
        return
    await respond(
        update,
        context,
        t._(
            "I couldn't find a time zone for “{typed}”. Nothing was saved.\n\nPlease try again: "
            "the nearest big city (<i>Berlin</i>, <i>New York</i>), your country, or a zone "
            "name like <i>Europe/Berlin</i>.",
            typed=shown,
        ),
    )


def register(application: Application) -> None:
    """Add the time-zone buttons and the typed-answer route."""
    application.add_handler(CallbackQueryHandler(on_zone_button, pattern=pattern(PREFIX)))
    conversation.expect(
        users.AWAITING_TIMEZONE,
        on_typed_zone,
        reopen=N_("/settings lets you choose your time zone."),
    )
