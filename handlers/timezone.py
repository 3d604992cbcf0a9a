"""Choosing a time zone: the question, its buttons and typed answers (onboarding and settings)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.models import OnboardingStep
from bot.services import users
from bot.services.timezones import describe_zone, likely_timezones, resolve_timezone, zone_label
from bot.views.callbacks import pack, pattern, unpack
from bot.views.keyboards import button, grid
from handlers import conversation
from handlers.commands import help_lines, visible_commands
from handlers.guards import guard
from handlers.replies import edit_or_send, respond

PREFIX = "tz"
TYPE_IT = "type"
MAX_TYPED_LENGTH = 80


def _zone_buttons(zones: list[str], context: BotContext) -> list:
    now = context.deps.clock.now()
    return [button(zone_label(zone, now), pack(PREFIX, zone)) for zone in zones]


async def ask_timezone(update: Update, context: BotContext, *, step: str = "") -> None:
    """Ask which time zone the user is in: likely zones as buttons, or type a name."""
    actor = context.actor
    assert actor is not None
    async with context.deps.db.transaction() as session:
        await users.await_input(
            session, actor.id, users.AWAITING_TIMEZONE, now=context.deps.clock.now()
        )
    zones = likely_timezones(actor.language_code, context.deps.settings.default_timezone)
    buttons = _zone_buttons(zones, context)
    buttons.append(button("🔎 Type a city or zone name", pack(PREFIX, TYPE_IT)))
    await respond(
        update,
        context,
        f"{step}Which time zone are you in? I show class times and send reminders in your "
        "local time.\n\nPick one below, or type a city, a country or a zone name "
        "(for example <i>Berlin</i>, <i>New York</i> or <i>Europe/Berlin</i>).",
        reply_markup=grid(buttons, per_row=2),
    )


async def _save(update: Update, context: BotContext, zone: str) -> None:
    actor = context.actor
    assert actor is not None
    was_onboarding = actor.onboarding_step != OnboardingStep.DONE
    now = context.deps.clock.now()
    async with context.deps.db.transaction() as session:
        user = await users.set_timezone(session, actor.id, zone, now=now)
    text = f"🕒 Time zone saved: {escape(describe_zone(zone, now))}."
    if update.callback_query is not None:
        await edit_or_send(update, context, text)
    else:
        await respond(update, context, text)
    if was_onboarding and user.is_onboarded:
        commands = help_lines(context.t, visible_commands(user.role, private=True))
        await respond(
            update,
            context,
            "✅ You're all set! Here is what you can do:\n\n"
            f"{commands}\n\nYou can change your answers any time in /settings.",
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
            "Type the name of your city, your country or your time zone "
            "(for example <i>Berlin</i> or <i>America/New_York</i>).",
        )
        return
    await _save(update, context, args[0] if args else "")


async def on_typed_zone(update: Update, context: BotContext, _argument: str) -> None:
    """Handle a message while the bot waits for a time zone: save, offer choices, or ask again."""
    text = update.effective_message.text
    if text is None:
        await respond(update, context, "Please type the name of your city or time zone.")
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
            f"“{shown}” could mean more than one place. Which one is yours?",
            reply_markup=grid(_zone_buttons(match.candidates, context), per_row=2),
        )
        return
    await respond(
        update,
        context,
        f"I couldn't find a time zone for “{shown}”. Nothing was saved.\n\nPlease try again: "
        "the nearest big city (<i>Berlin</i>, <i>New York</i>), your country, or a zone name "
        "like <i>Europe/Berlin</i>.",
    )


def register(application: Application) -> None:
    """Add the time-zone buttons and the typed-answer route."""
    application.add_handler(CallbackQueryHandler(on_zone_button, pattern=pattern(PREFIX)))
    conversation.expect(
        users.AWAITING_TIMEZONE, on_typed_zone, reopen="/settings lets you choose your time zone."
    )
