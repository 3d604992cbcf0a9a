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
    "tip_gone": N_("That tip no longer exists."),
    "tip_frequency_unknown": N_("Choose off, weekly, twice a week or daily."),
    "tip_hour_out_of_range": N_("The hour must be from 0 to 23."),
    "quiet_hours_out_of_range": N_("Quiet hours go from 0 to 23."),
    "tip_title_length": N_("The title needs {low} to {high} characters."),
    # Translators: {now} is how many characters the tip has now.
    "tip_text_length": N_("The tip needs {low} to {high} characters ({now} now)."),
    "tip_markup": N_("Please write plain text, without < or >."),
    "tip_category_unknown": N_("Choose one of the four categories."),
    "tip_source_missing": N_(
        "A tip needs its source: send a link starting with https:// to the study or page it "
        "rests on."
    ),
    "tip_trainers_only": N_("Only trainers can add tips."),
    "mood_energy_out_of_range": N_("Mood and energy go from 1 to 5."),
    "pain_out_of_range": N_("Pain goes from 0 to 10."),
    "note_too_long": N_(
        "That note is {length} characters long; the limit is {limit}. Please shorten it and "
        "send it again."
    ),
    "checkin_consent_needed": N_(
        "Check-ins are stored only with your consent. You can give it in /settings."
    ),
    "linked_class_gone": N_("That class doesn't exist (any more)."),
    "broadcast_audience_unknown": N_("You can't send to that audience."),
    "broadcast_empty": N_("The message is empty. Send the text you want your clients to read."),
    "broadcast_too_long": N_(
        "That message is {length} characters long with its heading; Telegram allows {limit}. "
        "Please shorten it and send it again."
    ),
    "broadcast_gone": N_("That broadcast no longer exists."),
    "broadcast_not_yours": N_("Only its author or an admin can do that with this broadcast."),
    "broadcast_already_sent": N_("This broadcast has already been sent."),
    "broadcast_sent_use_stop": N_("This broadcast has already been sent; use its Stop button."),
    "broadcast_not_running": N_("This broadcast is not running any more."),
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
