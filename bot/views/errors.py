"""Why something was refused, in the reader's words: one sentence per error code.

Every code a service raises has its msgid here (a test checks that no code is missing and
that each message's placeholders are the parameters the service passes).
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.i18n import N_, Translator
from bot.services.errors import DomainError

log = logging.getLogger(__name__)

MESSAGES: dict[str, str] = {
    "stale_button": N_("This button is no longer valid. Send the command again for fresh ones."),
    "group_unknown": N_("I don't know this group yet: add me to it first."),
    #
    # ------------------------------------------------ people: users, roles, privacy
    "language_unknown": N_("I don't speak that language yet."),
    #
    #
    # ------------------------------------------------ classes: series, sessions, bookings
    #
    #
    #
    # ------------------------------------------------ care: tips, check-ins, community
    #
    #
    #
}


def _param(t: Translator, value: object) -> object:
    """A parameter as the reader reads it: dates in their language, numbers their way."""
    if isinstance(value, dt.datetime):
        return t.short_when(value, "UTC")
    if isinstance(value, dt.date):
        return t.short_date(dt.datetime.combine(value, dt.time(12), tzinfo=dt.UTC), "UTC")
    if isinstance(value, float):
        return t.number(value)
    return value


def error_text(t: Translator, error: DomainError) -> str:
    """The sentence that tells the reader why their request was refused."""
    params = {name: _param(t, value) for name, value in error.params.items()}
    msgid = MESSAGES.get(error.code)
    if msgid is None and " " in error.code:
        # TODO(i18n): a sentence raised before codes existed; gone once all are converted.
        return error.code
    if msgid is None:
        log.error("no message for the error code %r", error.code)
        return t._("Sorry, that can't be done.")
    return t._(msgid, **params)
