"""ORM models. Alembic migrations in `alembic/versions` are the only way this schema is made."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    false,
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


class User(Base):
    """A person who has started the bot. The primary key is their Telegram user id."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    language_code: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[Role] = mapped_column(_string_enum(Role), default=Role.CLIENT)
    timezone: Mapped[str | None] = mapped_column(String(64))
    onboarding_step: Mapped[OnboardingStep] = mapped_column(
        _string_enum(OnboardingStep), default=OnboardingStep.CONSENT
    )
    # Which free-text answer the bot is waiting for in the private chat (e.g. "timezone").
    awaiting_input: Mapped[str | None] = mapped_column(String(32))
    wellbeing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_given_at: Mapped[dt.datetime | None]
    consent_withdrawn_at: Mapped[dt.datetime | None]
    # Set when Telegram says the user blocked the bot; cleared when they come back.
    blocked_at: Mapped[dt.datetime | None]
    # Trainer news (broadcasts) muted; urgent class notices still arrive.
    broadcasts_muted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
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
