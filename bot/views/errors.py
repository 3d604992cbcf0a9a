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
    # What a trainer types for a class (bot/services/classes.py and /newclass, /myclasses)
    "title_empty": N_("The title can't be empty."),
    "title_too_long": N_("Please keep the title under {limit} characters ({length} now)."),
    "description_too_long": N_(
        "Please keep the description under {limit} characters ({length} now)."
    ),
    "location_empty": N_("Please say where the class takes place, or paste the online link."),
    "location_too_long": N_("Please keep the location under {limit} characters."),
    # Translators: {text} is what the trainer typed.
    "time_invalid": N_("“{text}” is not a time. Please write it like 18:00."),
    "time_out_of_range": N_(
        "“{text}” is not a time of day: hours go from 00 to 23 and minutes from 00 to 59. "
        "Please write it like 18:00."
    ),
    "date_invalid": N_(
        "“{text}” is not a date I understand. Please write it like 2026-12-03 or 3.12.2026."
    ),
    "places_not_a_number": N_("Please send the number of places as a number from {low} to {high}."),
    "places_out_of_range": N_("The number of places must be from {low} to {high}; {value} is not."),
    "minutes_not_a_number": N_(
        "Please send the duration in minutes as a number from {low} to {high}."
    ),
    "minutes_out_of_range": N_(
        "The duration in minutes must be from {low} to {high}; {value} is not."
    ),
    "class_zone_unknown": N_("{zone} is not a time zone I know."),
    # Translators: {text} is what the trainer typed as the time zone of a class.
    "class_zone_not_found": N_(
        "I couldn't find one time zone for “{text}”. Try a city such as Berlin or a zone "
        "name such as Europe/Berlin."
    ),
    "duration_out_of_range": N_("A class lasts {low} to {high} minutes."),
    "capacity_out_of_range": N_("The capacity must be from {low} to {high}."),
    "late_window_out_of_range": N_("The late-cancel window can be anything from none to 7 days."),
    "class_weekday_invalid": N_("Weekdays go from Monday to Sunday."),
    "no_weekday_chosen": N_("Please choose at least one weekday."),
    "first_date_past": N_("The first date is in the past. Please pick today or a later day."),
    "date_past": N_("That date is in the past. Please pick today or a later day."),
    "first_date_not_a_class_day": N_("The first date must fall on one of the class's weekdays."),
    # Translators: {weekdays} lists the class's weekdays, e.g. "Mon, Thu".
    "first_date_not_on": N_("The first date must be one of the class's weekdays ({weekdays})."),
    "last_date_before_first": N_(
        "The last date is before the first date. Please pick a later one."
    ),
    "choose_a_button": N_("Please choose one of the buttons above."),
    "button_expired": N_("That button is no longer valid."),
    # Running classes
    "classes_for_trainers": N_("Only trainers can create classes."),
    "class_not_found": N_("That class doesn't exist (any more)."),
    "class_of_another_trainer": N_("That is another trainer's class."),
    "client_not_found": N_("That person is not one of your clients."),
    "admins_only": N_("Only admins can see this."),
    "class_already_ended": N_("This class has already ended."),
    "session_already_cancelled": N_("This session is already cancelled."),
    "session_started_cannot_cancel": N_(
        "This session has already started; it can't be cancelled now."
    ),
    "no_upcoming_session": N_("There is no upcoming session to change."),
    "time_passed_today": N_("That time has already passed today. Please pick a later one."),
    "only_upcoming_change": N_("Only an upcoming session can change."),
    "only_upcoming_capacity": N_("Only an upcoming session's capacity can change."),
    "capacity_below_booked": N_(
        "Already booked: {booked}, so the capacity can't go below {booked}. Nobody is "
        "dropped without being asked."
    ),
    # Translators: {day} is a date such as "Mon 30 Nov".
    "capacity_below_booked_on": N_(
        "Already booked on {day}: {booked}, so the capacity can't go below {booked}. Nobody "
        "is dropped without being asked."
    ),
    "mark_needs_place": N_("Only people with a confirmed place can be marked."),
    "attendance_too_early": N_("Attendance can be marked from 15 minutes before the start."),
    "attendance_too_late": N_("Attendance can be changed for 48 hours after the session."),
    # Booking (bot/services/bookings.py)
    "session_cancelled_cannot_book": N_("This session was cancelled, so it can't be booked."),
    "session_started_cannot_book": N_(
        "This session has already started, so it can't be booked any more."
    ),
    # Translators: {title} is the title of the class the client already booked.
    "booking_overlaps": N_(
        "You already have a place in “{title}” at that time, which overlaps this class. "
        "Cancel that one first if you'd rather come to this."
    ),
    "booking_not_found": N_("That booking doesn't exist (any more)."),
    "booking_not_yours": N_("That booking is not yours, so nothing was changed."),
    "reason_too_long": N_("Please keep the reason under {limit} characters."),
    "form_out_of_date": N_("That form is out of date. Please reload the page and try again."),
    # ------------------------------------------------ safety (issue 12)
    "screening_needed": N_(
        "This class asks a few health questions before the first booking. Press Book in "
        "/classes to answer them."
    ),
    "screening_incomplete": N_("Some health questions are unanswered. Press Book to start again."),
    "not_pending_clearance": N_("This person's place doesn't wait for clearance (any more)."),
    "check_in_waits_for_clearance": N_(
        "Your place still waits for your trainer's OK after the health check: please talk to "
        "them when you arrive."
    ),
    "booking_already_cancelled": N_("This booking is already cancelled."),
    "session_cancelled_by_trainer": N_("This session was cancelled by the trainer; nothing to do."),
    "session_started_cannot_cancel_booking": N_(
        "This session has already started, so the booking can't be cancelled."
    ),
    "no_place_to_check_in": N_("You don't have a place in this session."),
    "check_in_too_early": N_("You can check in from 15 minutes before the start."),
    "check_in_session_over": N_("This session is over; your trainer records attendance now."),
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
    "checkin_not_found": N_("That check-in doesn't exist (any more)."),
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
    "broadcast_sent_use_stop": N_(
        "This broadcast is already on its way; its ⏹ Stop button stops what has not gone out yet."
    ),
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
    if msgid is None:
        log.error("no message for the error code %r", error.code)
        return t._("Sorry, that can't be done.")
    return t._(msgid, **params)
