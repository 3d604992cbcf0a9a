"""What every handler and job can reach: settings, database and clock, via `context.deps`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.i18n import Translator, translator
from bot.services.tip_library import Library
from bot.services.users import NOTHING_PENDING, Pending

if TYPE_CHECKING:
    from bot.models import User


@dataclass
class Deps:
    """The application's shared collaborators, created once by the application factory."""

    settings: Settings
    db: Database
    clock: Clock
    library: Library


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's callback context plus the project's dependencies and the acting user."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        # Set by the role guard: the stored user behind this update, if they ever started.
        self.actor: User | None = None
        # Telegram accepts one answer per callback query; replies.py keeps track.
        self.query_answered = False
        # Set by the role guard on a button press or command: the question the person had
        # open (now closed) and a typed answer that was waiting for their confirmation.
        self.pending: Pending = NOTHING_PENDING
        # The reader's words: set by the role guard from the person's chosen language (or
        # their Telegram app's), or from a group's language for replies in that group.
        self.t: Translator = translator(None)

    @property
    def deps(self) -> Deps:
        """The shared settings, database and clock."""
        return self.application.bot_data["deps"]
