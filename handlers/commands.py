"""The command table: one entry per command, feeding /help, the command menus and the guard."""

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
    CommandSpec("start", "Set up or show the main menu", needs_start=False),
    CommandSpec("help", "What I can do for you", where=Where.ANYWHERE, needs_start=False),
    CommandSpec("classes", "Upcoming classes: details and booking"),
    CommandSpec("mybookings", "Your booked classes: cancel or check in"),
    CommandSpec("calendar", "Your classes as a calendar file"),
    CommandSpec("tip", "A short tip on why moving helps body and mind"),
    CommandSpec("checkin", "Check in: mood, energy, pain (private)"),
    CommandSpec("progress", "Your progress chart and milestones"),
    CommandSpec("buddy", "Get paired with a class buddy each week"),
    CommandSpec("privacy", "What is stored; export or delete your data"),
    CommandSpec("settings", "Your time zone, reminders, privacy and notifications"),
    CommandSpec("cancel", "Stop what you are doing"),
    CommandSpec("newclass", "Create a weekly class or a one-off session", role=Role.TRAINER),
    CommandSpec("myclasses", "Your classes: rosters, attendance, changes", role=Role.TRAINER),
    CommandSpec("schedule", "Send your week's schedule to your clients", role=Role.TRAINER),
    CommandSpec("broadcast", "Send a message to your clients", role=Role.TRAINER),
    CommandSpec("tipstats", "How tips land with your clients", role=Role.TRAINER),
    CommandSpec("addtip", "Write a tip of your own, with its source", role=Role.TRAINER),
    CommandSpec("clients", "Your clients' check-ins (those who allow it)", role=Role.TRAINER),
    CommandSpec("linkgroup", "Link this group to your class", role=Role.TRAINER, where=Where.GROUP),
    CommandSpec(
        "unlinkgroup", "Unlink this group from your classes", role=Role.TRAINER, where=Where.GROUP
    ),
    CommandSpec("trainer", "Add, remove or list trainers", role=Role.ADMIN),
)

_BY_NAME = {spec.name: spec for spec in COMMANDS}


def command_spec(name: str) -> CommandSpec:
    """The table entry for `name`; KeyError for a command that is not in the table."""
    return _BY_NAME[name]


def visible_commands(role: Role, *, private: bool) -> list[CommandSpec]:
    """The commands a person with `role` can use in a private chat or in a group."""
    allowed = (Where.PRIVATE, Where.ANYWHERE) if private else (Where.GROUP, Where.ANYWHERE)
    return [spec for spec in COMMANDS if role.at_least(spec.role) and spec.where in allowed]


def help_lines(specs: Iterable[CommandSpec]) -> str:
    """One line per command: "/name – description"."""
    return "\n".join(f"/{spec.name} – {spec.description}" for spec in specs)


def _menu(role: Role, *, private: bool) -> list[BotCommand]:
    return [BotCommand(s.name, s.description) for s in visible_commands(role, private=private)]


async def publish_default_menus(bot: Bot) -> None:
    """Set the menus every client sees, in private chats and in groups."""
    await bot.set_my_commands(_menu(Role.CLIENT, private=True), scope=BotCommandScopeDefault())
    await bot.set_my_commands(
        _menu(Role.CLIENT, private=True), scope=BotCommandScopeAllPrivateChats()
    )
    await bot.set_my_commands(
        _menu(Role.CLIENT, private=False), scope=BotCommandScopeAllGroupChats()
    )


async def publish_menu_for(bot: Bot, user_id: int, role: Role) -> bool:
    """Give one person the menu of their role in their private chat; False if Telegram refused.

    Clients get the default menu back (their chat-scoped menu is deleted).
    """
    try:
        if role == Role.CLIENT:
            await bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
        else:
            await bot.set_my_commands(_menu(role, private=True), scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:
        # The chat may not exist yet (an admin who never opened the bot); not fatal.
        log.warning("could not set the command menu for user %s: %s", user_id, exc)
        return False
    return True
