"""Errors a user can cause: a code naming the reason and the details that go with it.

Services stay free of wording: `InvalidInput("capacity_below_booked", booked=7)` says what
went wrong; `bot.views.errors.error_text` says it in the reader's language.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses: `code` names why, `params` carry the details."""

    def __init__(self, code: str, /, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class NotFound(DomainError):
    """The thing asked for does not exist (or the asker may not know it exists)."""


class NotAllowed(DomainError):
    """The asker's role or relation to the object does not permit the action."""


class InvalidInput(DomainError):
    """The input has the wrong form or value; nothing was changed."""
