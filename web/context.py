"""What routes reach: the running bot's dependencies, its inbox, and how ready it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request

from bot.context import Deps
from bot.intake import Intake


@dataclass
class WebContext:
    """The bot's dependencies (settings, database, clock, library), its inbox, and
    `readiness`, which returns what keeps this replica from serving (empty when ready)."""

    deps: Deps
    intake: Intake
    readiness: Callable[[], Awaitable[list[str]]]


def context_of(request: Request) -> WebContext:
    """The WebContext of the application serving `request`."""
    return request.app.state.context
