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
    "user_unknown": N_("I don't know you yet. Send /start to begin."),
    "timezone_unknown": N_("{zone} is not a time zone I know."),
    "weekday_invalid": N_("Weekdays go from Monday to Sunday."),
    "hour_invalid": N_("The hour must be from 0 to 23."),
    # Translators: {reference} is what an admin typed after /trainer add (or remove).
    "user_reference_invalid": N_(
        "'{reference}' is not a user id. Use the number shown in their /settings, or their "
        "@username."
    ),
    "user_not_started": N_(
        "{reference} hasn't started the bot yet. Ask them to open the bot and press Start, "
        "then try again."
    ),
    "trainer_is_admin": N_("{name} is an admin and can already do everything a trainer can."),
    "admin_not_removable": N_(
        "{name} is an admin. Admins are set in ADMIN_IDS, not with /trainer."
    ),
    "not_a_trainer": N_("{name} is not a trainer."),
    "account_still_teaching": N_(
        "You still run classes. End them in /myclasses (or ask an admin to take them over) "
        "before deleting your account."
    ),
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
