"""The command table: one entry per command, feeding /help, the command menus and the guard.

Descriptions are msgids: /help and the menus show them in the reader's language, and the
menus are published once per language (Telegram shows each person the menu of their app's
language; a trainer's own menu is in the language they chose).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError

from bot.i18n import DEFAULT_LANGUAGE, N_, Translator, available_languages, translator
from bot.models import Role

log = logging.getLogger(__name__)


class Where(enum.Enum):
    """Where a command makes sense."""

    PRIVATE = "private"
    ANYWHERE = "anywhere"
    GROUP = "group"


@dataclass(frozen=True)
class CommandSpec:
    """A command: its name, its one-line description, who may use it and where."""

    name: str
    description: str
    role: Role = Role.CLIENT
    where: Where = Where.PRIVATE
    # False for commands that work without /start (so that a newcomer can use them).
    needs_start: bool = True


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", N_("Set up or show the main menu"), needs_start=False),
    CommandSpec("help", N_("What I can do for you"), where=Where.ANYWHERE, needs_start=False),
    CommandSpec("classes", N_("Upcoming classes: details and booking")),
    CommandSpec("mybookings", N_("Your booked classes: cancel or check in")),
    CommandSpec("calendar", N_("Your classes as a calendar file")),
    CommandSpec("tip", N_("A short tip on why moving helps body and mind")),
    CommandSpec("checkin", N_("Check in: mood, energy, pain (private)")),
    CommandSpec("progress", N_("Your progress chart and milestones")),
    CommandSpec("buddy", N_("Get paired with a class buddy each week")),
    CommandSpec("privacy", N_("What is stored; export or delete your data")),
    CommandSpec("settings", N_("Your language, time zone, reminders and notifications")),
    CommandSpec("cancel", N_("Stop what you are doing")),
    CommandSpec("newclass", N_("Create a weekly class or a one-off session"), role=Role.TRAINER),
    CommandSpec("myclasses", N_("Your classes: rosters, attendance, changes"), role=Role.TRAINER),
    CommandSpec("schedule", N_("Send your week's schedule to your clients"), role=Role.TRAINER),
    CommandSpec("broadcast", N_("Send a message to your clients"), role=Role.TRAINER),
    CommandSpec("tipstats", N_("How tips land with your clients"), role=Role.TRAINER),
    CommandSpec("addtip", N_("Write a tip of your own, with its source"), role=Role.TRAINER),
    CommandSpec("clients", N_("Your clients' check-ins (those who allow it)"), role=Role.TRAINER),
    CommandSpec(
        "dashboard", N_("A sign-in link to your dashboard in a browser"), role=Role.TRAINER
    ),
    CommandSpec(
        "linkgroup", N_("Link this group to your class"), role=Role.TRAINER, where=Where.GROUP
    ),
    CommandSpec(
        "unlinkgroup",
        N_("Unlink this group from your classes"),
        role=Role.TRAINER,
        where=Where.GROUP,
    ),
    CommandSpec(
        "grouplanguage",
        N_("The language of my posts in this group"),
        role=Role.TRAINER,
        where=Where.GROUP,
    ),
    CommandSpec("trainer", N_("Add, remove or list trainers"), role=Role.ADMIN),
)

_BY_NAME = {spec.name: spec for spec in COMMANDS}


def command_spec(name: str) -> CommandSpec:
    """The table entry for `name`; KeyError for a command that is not in the table."""
    return _BY_NAME[name]


def visible_commands(role: Role, *, private: bool) -> list[CommandSpec]:
    """The commands a person with `role` can use in a private chat or in a group."""
    allowed = (Where.PRIVATE, Where.ANYWHERE) if private else (Where.GROUP, Where.ANYWHERE)
    return [spec for spec in COMMANDS if role.at_least(spec.role) and spec.where in allowed]


def help_lines(t: Translator, specs: Iterable[CommandSpec]) -> str:
    """One line per command: "/name – description", in the reader's language."""
    return "\n".join(f"/{spec.name} – {t._(spec.description)}" for spec in specs)


def _menu(t: Translator, role: Role, *, private: bool) -> list[BotCommand]:
    return [BotCommand(s.name, t._(s.description)) for s in visible_commands(role, private=private)]


async def publish_default_menus(bot: Bot) -> None:
    """Set the menus every client sees, in private chats and in groups, in every language
    (English for apps in a language the bot does not speak)."""
    for language in available_languages():
        t = translator(language)
        code = None if language == DEFAULT_LANGUAGE else language
        for scope, private in (
            (BotCommandScopeDefault(), True),
            (BotCommandScopeAllPrivateChats(), True),
            (BotCommandScopeAllGroupChats(), False),
        ):
            await bot.set_my_commands(
                _menu(t, Role.CLIENT, private=private), scope=scope, language_code=code
            )


async def publish_menu_for(bot: Bot, user_id: int, role: Role, language: str) -> bool:
    """Give one person the menu of their role in their private chat, in their language;
    False if Telegram refused.

    Clients get the default menu back (their chat-scoped menu is deleted).
    """
    try:
        if role == Role.CLIENT:
            await bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
        else:
            await bot.set_my_commands(
                _menu(translator(language), role, private=True), scope=BotCommandScopeChat(user_id)
            )
    except TelegramError as exc:
        # The chat may not exist yet (an admin who never opened the bot); not fatal.
        log.warning("could not set the command menu for user %s: %s", user_id, exc)
        return False
    return True
