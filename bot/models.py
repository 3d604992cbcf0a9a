"""ORM models. Alembic migrations in `alembic/versions` are the only way this schema is made."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db import UTCDateTime

# Stable constraint names, so migrations can drop and alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention and UTC datetimes."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}  # noqa: RUF012


def _string_enum(enum_class: type[enum.Enum], length: int = 16) -> Enum:
    """A portable enum column: a VARCHAR holding the member's value, no native DB type."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    """What a person may do. Admins can do everything a trainer can."""

    CLIENT = "client"
    TRAINER = "trainer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Order of privilege: client < trainer < admin."""
        return {"client": 0, "trainer": 1, "admin": 2}[self.value]

    def at_least(self, other: Role) -> bool:
        """True when this role may do what `other` may do."""
        return self.rank >= other.rank


class OnboardingStep(enum.StrEnum):
    """Where a new user is in the first conversation."""

    CONSENT = "consent"
    TIMEZONE = "timezone"
    DONE = "done"


class ReminderOffset(enum.IntEnum):
    """How long before a class a reminder may come, in minutes; the bit is its mask value."""

    H48 = 48 * 60
    H24 = 24 * 60
    H3 = 3 * 60
    H1 = 60
    M30 = 30

    @property
    def bit(self) -> int:
        """This offset's bit in User.reminder_mask."""
        return 1 << list(ReminderOffset).index(self)


DEFAULT_REMINDER_MASK = (1 << 1) | (1 << 3)  # 24 h and 1 h before


class User(Base):
    """A person who has started the bot. The primary key is their Telegram user id."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    language_code: Mapped[str | None] = mapped_column(String(16))
    # The language the person chose for the bot; None follows their Telegram app's.
    language: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[Role] = mapped_column(_string_enum(Role), default=Role.CLIENT)
    timezone: Mapped[str | None] = mapped_column(String(64))
    onboarding_step: Mapped[OnboardingStep] = mapped_column(
        _string_enum(OnboardingStep), default=OnboardingStep.CONSENT
    )
    # Which free-text answer the bot is waiting for in the private chat (e.g. "timezone").
    awaiting_input: Mapped[str | None] = mapped_column(String(32))
    # When that question was asked (an old one is closed; see users.question_expired).
    awaiting_since: Mapped[dt.datetime | None]
    wellbeing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_given_at: Mapped[dt.datetime | None]
    consent_withdrawn_at: Mapped[dt.datetime | None]
    # Set when Telegram says the user blocked the bot; cleared when they come back.
    blocked_at: Mapped[dt.datetime | None]
    # Trainer news (broadcasts) muted; urgent class notices still arrive.
    broadcasts_muted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Which reminders the user wants before a booked class: a bit per ReminderOffset.
    reminder_mask: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_REMINDER_MASK, server_default=str(DEFAULT_REMINDER_MASK)
    )
    # The answers so far of multi-step flows, one entry per flow ("newclass", "checkin",
    # "addtip", and "held": a typed answer waiting for confirmation), kept across restarts.
    draft: Mapped[dict | None] = mapped_column(JSON)
    # When the user finished onboarding (the first tip comes the day after).
    onboarded_at: Mapped[dt.datetime | None]
    # Tips: how often ("off", "weekly", "twice_weekly", "daily"), at which local hour, and the
    # quiet hours (local) during which nothing but urgent notices is sent.
    tip_frequency: Mapped[str] = mapped_column(
        String(16), default="weekly", server_default="weekly"
    )
    tip_hour: Mapped[int] = mapped_column(SmallInteger, default=10, server_default="10")
    quiet_start: Mapped[int] = mapped_column(SmallInteger, default=21, server_default="21")
    quiet_end: Mapped[int] = mapped_column(SmallInteger, default=8, server_default="8")
    # Check-ins: whether the trainer may see them, and when the weekly prompt comes (local).
    trainer_sees_checkins: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    checkin_weekday: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    checkin_hour: Mapped[int] = mapped_column(SmallInteger, default=9, server_default="9")
    # Milestones may be announced in the class's group only if the client says so.
    share_milestones: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    buddy_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The one-tap readiness check that comes with the 3 h mark before a class that screens.
    readiness_check: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    @property
    def full_name(self) -> str:
        """First and last name as Telegram shows them."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def is_onboarded(self) -> bool:
        """True once the user has answered the consent and time-zone questions."""
        return self.onboarding_step == OnboardingStep.DONE


class Group(Base):
    """A Telegram group or supergroup the bot has been added to."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Telegram's chat id; changes once if the group is upgraded to a supergroup.
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str] = mapped_column(String(255))
    # The language of the bot's posts there (set from the trainer's at /linkgroup).
    language: Mapped[str | None] = mapped_column(String(16))
    # Set when the bot was removed or Telegram refuses to deliver there (403).
    bot_removed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class OutboxState(enum.StrEnum):
    """Where an outbox message is on its way to Telegram."""

    PENDING = "pending"  # waiting for its not-before time and a dispatcher
    SENDING = "sending"  # claimed by a dispatcher until lease_until
    SENT = "sent"
    FAILED = "failed"  # a permanent error, or out of attempts
    UNREACHABLE = "unreachable"  # the user blocked the bot or the bot left the group
    CANCELLED = "cancelled"  # withdrawn before sending (a stopped broadcast)


class Priority(enum.IntEnum):
    """Lower goes first when several messages are due."""

    URGENT = 0  # a cancelled or moved session
    REMINDER = 10
    BROADCAST = 20
    BACKGROUND = 30  # tips, digests


class OutboxMessage(Base):
    """A message to send that is not the direct reply to an update.

    Written in the same transaction as the change that caused it; `dedupe_key` makes queuing
    the same notice twice impossible. The dispatcher claims rows with a lease.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "not_before", "priority"),
        Index("ix_outbox_chat_state", "chat_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # What the message is about ("booking:812"), so that it can be withdrawn with its cause.
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    # A message that is pointless after this time (a reminder once the class began) is dropped.
    expires_at: Mapped[dt.datetime | None]
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    # Either the text as it is sent (a trainer's broadcast, written in their words), or a
    # template and its parameters, rendered by the dispatcher in the recipient's language as
    # the message goes out (bot/views/notices.py).
    text: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict | None] = mapped_column(JSON)
    reply_markup: Mapped[dict | None] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(SmallInteger, default=Priority.BACKGROUND)
    not_before: Mapped[dt.datetime]
    state: Mapped[OutboxState] = mapped_column(
        _string_enum(OutboxState), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]


class OutboxSubject(Base):
    """A person an outbox message names besides its reader (a buddy, a client in a trainer's
    heads-up, the trainer of a class): deleting their account erases the message's text."""

    __tablename__ = "outbox_subjects"

    message_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("outbox.id", ondelete="CASCADE"),
        primary_key=True,
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class BroadcastState(enum.StrEnum):
    """A broadcast's life: drafted, queued for delivery, stopped by its author, or done."""

    DRAFT = "draft"
    QUEUED = "queued"
    STOPPED = "stopped"
    DONE = "done"


class Broadcast(Base):
    """A trainer's or admin's message to an audience, delivered through the outbox."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[BroadcastState] = mapped_column(
        _string_enum(BroadcastState), default=BroadcastState.DRAFT
    )
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    # The author's status message, edited as delivery goes on.
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    queued_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class ClassSeries(Base):
    """A trainer's class: weekly on some weekdays at a local wall time, or a one-off session.

    The local time and the IANA zone are stored, never a UTC offset, so an 18:00 class stays
    at 18:00 across daylight-saving changes.
    """

    __tablename__ = "class_series"
    __table_args__ = (CheckConstraint("capacity BETWEEN 1 AND 500", name="capacity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64))
    start_time: Mapped[dt.time] = mapped_column(Time)
    # Weekdays as digits, Monday 0 ("0,3" is Monday and Thursday); empty for a one-off.
    weekdays: Mapped[str] = mapped_column(String(13), default="")
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    first_date: Mapped[dt.date] = mapped_column(Date)
    last_date: Mapped[dt.date | None] = mapped_column(Date)
    late_cancel_minutes: Mapped[int] = mapped_column(Integer, default=120)
    # No automatic promotion from the waitlist closer than this to the start.
    promotion_cutoff_minutes: Mapped[int] = mapped_column(Integer, default=60)
    # Clients answer the pre-participation screening before their first booking (issue 12).
    # On by default for classes made in /newclass; classes older than it: off.
    requires_screening: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Sessions exist as rows up to this local date (a rolling horizon).
    generated_until: Mapped[dt.date | None] = mapped_column(Date)
    ended_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    @property
    def weekday_list(self) -> list[int]:
        """The weekdays as numbers, Monday 0."""
        return [int(day) for day in self.weekdays.split(",") if day != ""]

    @property
    def is_one_off(self) -> bool:
        """True for a single session rather than a weekly series."""
        return not self.weekdays


class SessionState(enum.StrEnum):
    """A session takes place, or the trainer cancelled it."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class ClassSession(Base):
    """One occurrence of a class. `booked_count` counts confirmed bookings; the database
    refuses any change that would take it above `capacity` (the capacity check constraint),
    and booking increments it with a conditional UPDATE, so capacity holds under concurrency.
    """

    __tablename__ = "class_sessions"
    __table_args__ = (
        UniqueConstraint("series_id", "local_date", name="uq_class_sessions_series_date"),
        CheckConstraint(
            "booked_count >= 0 AND booked_count <= capacity AND capacity BETWEEN 1 AND 500",
            name="capacity",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("class_series.id", ondelete="CASCADE"))
    local_date: Mapped[dt.date] = mapped_column(Date)
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(300))
    booked_count: Mapped[int] = mapped_column(Integer, default=0)
    # The last waitlist number handed out in this session; raised under the session's lock,
    # so waitlist order is the order in which presses were served (see bookings.book).
    waitlist_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[SessionState] = mapped_column(
        _string_enum(SessionState), default=SessionState.SCHEDULED
    )
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Bumped on every change; calendar files carry it as SEQUENCE so imports update.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    @property
    def ends_at(self) -> dt.datetime:
        """When the session ends."""
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


class BookingState(enum.StrEnum):
    """A client's place in a session."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Attendance(enum.StrEnum):
    """Whether a client came."""

    ATTENDED = "attended"
    NO_SHOW = "no_show"


class Booking(Base):
    """A client's booking of a session: one row per client and session, reused on rebooking."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="uq_bookings_session_user"),
        Index("ix_bookings_session_state", "session_id", "state"),
        Index("ix_bookings_user_state", "user_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[BookingState] = mapped_column(_string_enum(BookingState))
    # Waitlist order: lowest number first (assigned from the session's waitlist_counter).
    waitlist_number: Mapped[int | None] = mapped_column(Integer)
    waitlisted_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    late_cancel: Mapped[bool] = mapped_column(Boolean, default=False)
    attendance: Mapped[Attendance | None] = mapped_column(_string_enum(Attendance))
    attendance_marked_at: Mapped[dt.datetime | None]
    # Set while the place is held for the trainer's clearance after a screening: the booking
    # is CONFIRMED and counts against capacity, but is "pending clearance" since then. The
    # place is released CLEARANCE_HOLD_HOURS later, or at the start, if not cleared by then.
    clearance_held_since: Mapped[dt.datetime | None] = mapped_column(index=True)
    # The readiness check of the class day: its outcome ("ok", "rest", "stop") is kept; the
    # pain (0-10) and what was new ("chest", "breath", …) only with the client's consent.
    readiness_flag: Mapped[str | None] = mapped_column(String(8))
    readiness_pain: Mapped[int | None] = mapped_column(SmallInteger)
    readiness_new: Mapped[str | None] = mapped_column(String(16))
    readiness_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    @property
    def pending_clearance(self) -> bool:
        """True while the place waits for the trainer's clearance."""
        return self.state == BookingState.CONFIRMED and self.clearance_held_since is not None


class ScreeningOutcome(enum.StrEnum):
    """What a pre-participation screening found: go ahead, or ask a doctor first."""

    CLEAR = "clear"
    CLEARANCE = "clearance"  # a Yes: an OK from a doctor or therapist first


class Screening(Base):
    """A client's pre-participation screening (PAR-Q+ / ACSM, see bot/services/safety.py).

    The outcome and its date are always kept; the answers are health data, kept only with the
    client's consent to storage. Valid for 12 months, or until the client says their health
    changed (`superseded_at`). A trainer's "cleared" is recorded on it.
    """

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    taken_at: Mapped[dt.datetime]
    outcome: Mapped[ScreeningOutcome] = mapped_column(_string_enum(ScreeningOutcome))
    # {"heart": false, …} in question order; None without consent to storage.
    answers: Mapped[dict | None] = mapped_column(JSON)
    cleared_at: Mapped[dt.datetime | None]
    cleared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    superseded_at: Mapped[dt.datetime | None]


class JobMark(Base):
    """How far a periodic job has got (e.g. reminders checked up to this time)."""

    __tablename__ = "job_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    reached: Mapped[dt.datetime]


class TipDelivery(Base):
    """A tip a client got: which one, for which slot, why. One per client and slot."""

    __tablename__ = "tip_deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "slot", name="uq_tip_deliveries_user_slot"),
        Index("ix_tip_deliveries_user_cycle", "user_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A library tip's id, or "trainer-<n>" for a trainer's own tip.
    tip_id: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(16))
    # "2026-11-28" for a scheduled tip, "now:<time>" for /tip, "moment:<name>:<date>".
    slot: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))
    # Tips cycle through the library without repeats; the count goes up once all were seen.
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime]


class TipFeedback(Base):
    """A client's answer to a tip: helpful or not for me (the latest press counts)."""

    __tablename__ = "tip_feedback"
    __table_args__ = (UniqueConstraint("user_id", "tip_id", name="uq_tip_feedback_user_tip"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tip_id: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(16))
    helpful: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[dt.datetime]


class TrainerTip(Base):
    """A tip a trainer wrote, with its source; it goes to the trainer's own clients (who read
    its language) only."""

    __tablename__ = "trainer_tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(String(500))
    # The language the trainer wrote it in: it goes to clients who read that language only.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    created_at: Mapped[dt.datetime]


class TipMoment(Base):
    """A moment that calls for a tip of a fitting category (the rule table in
    bot/services/tips.py): e.g. the day after a client's first attended class."""

    __tablename__ = "tip_moments"
    __table_args__ = (UniqueConstraint("user_id", "moment", "due_on", name="uq_tip_moments"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    moment: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[dt.date] = mapped_column(Date)
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class CalendarFeed(Base):
    """A person's private calendar subscription link, kept only as the SHA-256 hash of its
    token (bot/services/feeds.py): whoever reads the database cannot rebuild the URL."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]


class GroupLink(Base):
    """A community group linked to one of a trainer's class series."""

    __tablename__ = "group_links"
    __table_args__ = (UniqueConstraint("group_id", "series_id", name="uq_group_links"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("class_series.id", ondelete="CASCADE"), index=True
    )
    linked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]


class CheckIn(Base):
    """A client's wellbeing check-in: health data, stored only with consent.

    One per client and local day: answering again the same day replaces it.
    """

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("user_id", "day", name="uq_checkins_user_day"),
        CheckConstraint("mood BETWEEN 1 AND 5", name="mood"),
        CheckConstraint("energy BETWEEN 1 AND 5", name="energy"),
        CheckConstraint("pain BETWEEN 0 AND 10", name="pain"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    mood: Mapped[int] = mapped_column(SmallInteger)
    energy: Mapped[int] = mapped_column(SmallInteger)
    pain: Mapped[int] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(Text)
    # What asked for it: "weekly", "class" (after a session) or "self" (/checkin).
    prompt: Mapped[str] = mapped_column(String(16))
    # The pain-monitoring model (Silbernagel et al. 2007), after a class: the pain the
    # exercise caused (0-10), and the next morning the pain then and whether pain and
    # stiffness were worse than usual.
    exercise_pain: Mapped[int | None] = mapped_column(SmallInteger)
    morning_pain: Mapped[int | None] = mapped_column(SmallInteger)
    morning_worse: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Milestone(Base):
    """A milestone a client reached: "classes-1", "classes-5", …, "weeks-4"."""

    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_milestones_user_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reached_at: Mapped[dt.datetime]


class BuddyPair(Base):
    """A week's pairing (or trio) of opted-in members of one class."""

    __tablename__ = "buddy_pairs"
    __table_args__ = (Index("ix_buddy_pairs_series_week", "series_id", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("class_series.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))  # "2026-W48"
    created_at: Mapped[dt.datetime]


class BuddyMember(Base):
    """A member of a buddy pair, and their answer to "Did you two connect?"."""

    __tablename__ = "buddy_members"
    __table_args__ = (UniqueConstraint("pair_id", "user_id", name="uq_buddy_members"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(
        ForeignKey("buddy_pairs.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    connected: Mapped[bool | None] = mapped_column(Boolean)


class InboxState(enum.StrEnum):
    """Where an incoming update is on its way through the handlers."""

    PENDING = "pending"  # stored, waiting for a worker
    WORKING = "working"  # claimed by a worker until lease_until
    DONE = "done"
    FAILED = "failed"  # a handler raised, or workers died on it too often


class InboxUpdate(Base):
    """An update from Telegram, stored before it is acknowledged and handled from here.

    `update_id` is Telegram's, so a repeated delivery is stored once. `payload` is the update's
    JSON as Telegram sent it. `chat_id` orders the work: one update of a chat at a time, in
    `update_id` order. See bot/intake.py.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        # The open rows, per chat in order: what workers claim from (small, however long the
        # retention).
        Index(
            "ix_inbox_open",
            "chat_id",
            "update_id",
            postgresql_where="state IN ('pending', 'working')",
            sqlite_where="state IN ('pending', 'working')",
        ),
        Index("ix_inbox_handled_at", "handled_at"),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[InboxState] = mapped_column(_string_enum(InboxState), default=InboxState.PENDING)
    received_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    # The worker (host:pid:random) that holds the row, or last held it: who handled it.
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None]
    handled_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class SignInLink(Base):
    """A one-time Mini App sign-in link sent by /dashboard to a trainer: only a hash of its
    token is kept; it works once, until `expires_at`."""

    __tablename__ = "sign_in_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
