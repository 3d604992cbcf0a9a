"""Errors a user can cause. Each carries a message fit to show that user."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; `message` says why in words the user understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist (or the asker may not know it exists)."""


class NotAllowed(DomainError):
    """The asker's role or relation to the object does not permit the action."""


class InvalidInput(DomainError):
    """The input has the wrong form or value; nothing was changed."""
