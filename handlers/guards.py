"""The one role and place guard every handler goes through."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from telegram import MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler

from bot.context import BotContext
from bot.i18n import reader_language, translator
from bot.models import Role
from bot.services import groups, users
from bot.views.keyboards import column, deep_link, link_button
from bot.views.roles import refusal
from handlers import errors
from handlers.commands import Where, command_spec
from handlers.replies import respond

Callback = Callable[[Update, BotContext], Awaitable[None]]


def guard(
    role: Role = Role.CLIENT,
    *,
    private: bool = False,
    group_only: bool = False,
    needs_start: bool = True,
    deep_link_payload: str = "",
) -> Callable[[Callback], Callback]:
    """Wrap a handler so it runs only for people with at least `role`, where it makes sense.

    The wrapper loads the person's stored record into `context.actor` and the reader's
    translator into `context.t` (in a group with a language, the group's). It answers
    politely, in that language, and stops when: the update is in a group but the action is
    `private` (with a deep link to the private chat), or in private but `group_only`; the
    person never pressed /start and `needs_start`; their role is below `role`. Callback
    handlers get the same checks, so crafted callback data gains nothing.
    """

    def decorate(handler: Callback) -> Callback:
        @functools.wraps(handler)
        async def guarded(update: Update, context: BotContext) -> None:
            person = update.effective_user
            chat = update.effective_chat
            if person is None or chat is None:
                return
            alert = update.callback_query is not None
            context.actor = await users.read_user(context.deps.db, person.id)
            group_language = None
            if chat.type != ChatType.PRIVATE:
                async with context.deps.db.reading() as session:
                    group_language = await groups.language_of(session, chat.id)
            t = context.t = translator(
                group_language
                or reader_language(
                    context.actor.language if context.actor else None, person.language_code
                )
            )
            if group_only and chat.type == ChatType.PRIVATE:
                await respond(
                    update,
                    context,
                    t._(
                        "That one works in your class's Telegram group: add me there and send "
                        "it in the group."
                    ),
                    alert=alert,
                )
                return
            if private and chat.type != ChatType.PRIVATE:
                await respond(
                    update,
                    context,
                    t._("Let's do that in our private chat, where only you can see it."),
                    reply_markup=column(
                        link_button(
                            # Translators: a button label that opens the private chat.
                            t._("Message me privately"),
                            deep_link(context.bot.username, deep_link_payload),
                        )
                    ),
                    alert=alert,
                )
                return
            if context.actor is not None and users.has_pending(context.actor):
                await _end_pending(update, context)
            if context.actor is None and needs_start:
                await respond(
                    update,
                    context,
                    t._("We haven't met yet: send /start in our private chat to set things up."),
                    alert=alert,
                )
                return
            actor_role = context.actor.role if context.actor else Role.CLIENT
            if not actor_role.at_least(role):
                await respond(update, context, refusal(t, role), alert=alert)
                return
            try:
                await handler(update, context)
            except Exception as error:
                # Answered here, where the reader's language and the press's state are known.
                await errors.report(update, context, error)

        return guarded

    return decorate


def _is_command(update: Update) -> bool:
    message = update.effective_message
    return bool(
        update.message is not None
        and message.entities
        and message.entities[0].type == MessageEntity.BOT_COMMAND
        and message.entities[0].offset == 0
    )


async def _end_pending(update: Update, context: BotContext) -> None:
    """A button press or a command ends the question the person had open: their next text
    is no longer an answer to it. What was open goes to the handler in `context.pending`."""
    if update.callback_query is None and not _is_command(update):
        return
    async with context.deps.db.transaction() as session:
        context.pending = await users.end_pending(
            session, context.actor.id, now=context.deps.clock.now()
        )
        context.actor = await users.require_user(session, context.actor.id)


def command(name: str, callback: Callback) -> CommandHandler[BotContext, None]:
    """A CommandHandler for a command of the table, guarded by the role and place it lists."""
    spec = command_spec(name)
    wrapped = guard(
        spec.role,
        private=spec.where == Where.PRIVATE,
        group_only=spec.where == Where.GROUP,
        needs_start=spec.needs_start,
        deep_link_payload=name,
    )(callback)
    return CommandHandler(name, wrapped)
