"""ORM models. Alembic migrations in `alembic/versions` are the only way this schema is made."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, Enum, MetaData, String
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
