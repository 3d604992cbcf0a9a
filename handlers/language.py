"""Choosing a language: each person's own (from the welcome and /settings), and a group's
(/grouplanguage, by a trainer in the group)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import available_languages, native_name, translator
from bot.models import OnboardingStep, Role
from bot.services import groups, users
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.keyboards import button, grid
from handlers.app_buttons import publish_app_button
from handlers.commands import publish_menu_for
from handlers.guards import command, guard
from handlers.replies import edit_or_send, respond

PREFIX = "lang"
GROUP_PREFIX = "glang"
# Where the picker was opened, so that the person lands back there in the new language.
FROM_WELCOME, FROM_SETTINGS = "w", "s"


def language_button(context: BotContext, origin: str) -> InlineKeyboardMarkup:
    """ "🌐 Language: Deutsch", which opens the picker."""
    label = context.t._("🌐 Language: {language}", language=native_name(context.t.language))
    return grid([button(label, pack(PREFIX, "pick", origin))])


def _picker(current: str, prefix: str, origin: str) -> InlineKeyboardMarkup:
    return grid(
        [
            button(
                ("✅ " if code == current else "") + native_name(code),
                pack(prefix, "set", code, origin),
            )
            for code in available_languages()
        ],
        per_row=2,
    )


@guard(private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """The language picker of a person: open it, or choose a language."""
    args = unpack(update.callback_query.data)[1:]
    if len(args) == 2 and args[0] == "pick" and args[1] in (FROM_WELCOME, FROM_SETTINGS):
        await edit_or_send(
            update,
            context,
            context.t._("🌐 Which language should I write to you in?"),
            reply_markup=_picker(context.t.language, PREFIX, args[1]),
        )
        return
    if len(args) != 3 or args[0] != "set" or args[2] not in (FROM_WELCOME, FROM_SETTINGS):
        raise stale_button()
    async with context.deps.db.transaction() as session:
        user = await users.set_language(
            session, context.actor.id, args[1], now=context.deps.clock.now()
        )
    context.actor, context.t = user, translator(user.language)
    await edit_or_send(
        update,
        context,
        context.t._(
            "🌐 From now on I'll write to you in {language}.", language=native_name(user.language)
        ),
    )
    if user.role != Role.CLIENT:
        await publish_menu_for(context.bot, user.id, user.role, user.language)
    if user.is_onboarded:
        # The menu button's label is in the person's language too.
        await publish_app_button(
            context.bot, context.deps.settings, user.id, user.role, user.language
        )
    await _carry_on(update, context, args[2])


async def _carry_on(update: Update, context: BotContext, origin: str) -> None:
    """Back to where the person was, now in their language: the open onboarding question,
    or their settings."""
    from handlers import onboarding, settings, timezone

    step = context.actor.onboarding_step
    if step == OnboardingStep.CONSENT:
        await onboarding.send_consent_question(update, context)
    elif step == OnboardingStep.TIMEZONE:
        await timezone.ask_timezone(update, context, step="<b>2/2</b> · ")
    elif origin == FROM_SETTINGS:
        await settings.show_settings(update, context)


async def group_language(update: Update, context: BotContext) -> None:
    """/grouplanguage (in a group, trainers): the language of the bot's posts there."""
    async with context.deps.db.reading() as session:
        current = await groups.language_of(session, update.effective_chat.id)
    await respond(
        update,
        context,
        context.t._("🌐 In which language should I post in this group?"),
        reply_markup=_picker(current or context.t.language, GROUP_PREFIX, "g"),
    )


@guard(Role.TRAINER, group_only=True)
async def on_group_button(update: Update, context: BotContext) -> None:
    """A language chosen for the group; only trainers may choose."""
    args = unpack(update.callback_query.data)[1:]
    if len(args) != 3 or args[0] != "set":
        raise stale_button()
    chat = update.effective_chat
    async with context.deps.db.transaction() as session:
        await groups.record_membership(
            session, chat.id, chat.title or "", present=True, now=context.deps.clock.now()
        )
        group = await groups.set_language(session, chat.id, args[1], now=context.deps.clock.now())
    context.t = translator(group.language)
    await edit_or_send(
        update,
        context,
        context.t._(
            "🌐 I'll post in {language} in this group.", language=native_name(group.language)
        ),
    )


def register(application: Application) -> None:
    """Add the language pickers and /grouplanguage."""
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
    application.add_handler(CallbackQueryHandler(on_group_button, pattern=pattern(GROUP_PREFIX)))
    application.add_handler(command("grouplanguage", group_language))
