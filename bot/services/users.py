"""People: registration, onboarding answers, consent, time zone, roles and reachability."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from bot.db import Database, insert_ignoring_conflicts
from bot.models import OnboardingStep, Role, User
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.timezones import is_valid_timezone

AWAITING_TIMEZONE = "timezone"


@dataclass(frozen=True)
class Profile:
    """What Telegram tells us about a person with each update."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Registration:
    """The user after /start, and whether this was their first time."""

    user: User
    is_new: bool


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    """Return the user with this Telegram id, or None if they never started the bot."""
    return await session.get(User, user_id)


# Every update's guard reads its sender. Loading a User through the session (its identity
# map, a statement built per call, thirty columns through the ORM's loaders) cost about twice
# what a prebuilt statement on the table and a User made from its row cost.
_USER_ROW = select(User.__table__).where(User.__table__.c.id == bindparam("user_id"))


async def read_user(db: Database, user_id: int) -> User | None:
    """The user with this Telegram id as stored now, detached (changing the object saves
    nothing), or None if they never started the bot. Read without a session
    (`Database.read_rows`): it is the guard's read, the one that comes with every update."""
    rows = await db.read_rows(_USER_ROW, {"user_id": user_id})
    if not rows:
        return None
    user = User(**rows[0])
    make_transient_to_detached(user)
    return user


async def users_by_id(session: AsyncSession, user_ids: Collection[int]) -> dict[int, User]:
    """The users with these ids that exist, by id."""
    ids = list(set(user_ids))
    found: dict[int, User] = {}
    for start in range(0, len(ids), 900):
        rows = await session.scalars(select(User).where(User.id.in_(ids[start : start + 900])))
        found.update({user.id: user for user in rows})
    return found


async def require_user(session: AsyncSession, user_id: int) -> User:
    """Return the user, or raise NotFound asking them to press /start first."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user_unknown")
    return user


async def register_user(
    session: AsyncSession, profile: Profile, *, now: dt.datetime, admin_ids: Collection[int]
) -> Registration:
    """Create the user on first contact or refresh their profile; they are reachable again.

    Ids listed in ADMIN_IDS become admins. Safe under concurrent calls for the same person.
    """
    role = Role.ADMIN if profile.id in admin_ids else Role.CLIENT
    inserted = await insert_ignoring_conflicts(
        session,
        User.__table__,
        [
            {
                "id": profile.id,
                "first_name": profile.first_name,
                "last_name": profile.last_name,
                "username": profile.username,
                "language_code": profile.language_code,
                "role": role.value,
                "onboarding_step": OnboardingStep.CONSENT.value,
                "wellbeing_consent": False,
                "created_at": now,
                "updated_at": now,
            }
        ],
        ["id"],
    )
    user = await session.get(User, profile.id, populate_existing=True, with_for_update=True)
    assert user is not None
    if not inserted:
        user.first_name = profile.first_name
        user.last_name = profile.last_name
        user.username = profile.username
        user.language_code = profile.language_code or user.language_code
        user.blocked_at = None
        if profile.id in admin_ids:
            user.role = Role.ADMIN
        user.updated_at = now
    return Registration(user=user, is_new=bool(inserted))


async def record_consent(
    session: AsyncSession, user_id: int, consent: bool, *, now: dt.datetime
) -> User:
    """Record the user's answer to the wellbeing-data question, with when it was given or
    withdrawn; withdrawing deletes every stored check-in and health answer (screening
    answers, class-day pain and symptoms; the outcomes stay).

    During onboarding this moves the user on to the time-zone question.
    """
    from bot.services import checkins, outbox, safety

    user = await require_user(session, user_id)
    if consent and not user.wellbeing_consent:
        user.consent_given_at = now
    elif not consent and user.wellbeing_consent:
        user.consent_withdrawn_at = now
        # Withdrawing consent erases the check-ins at once; the trainer sees nothing more,
        # and the stored copies of heads-ups about them (which quote pain and mood) go too.
        await checkins.delete_all(session, user.id)
        await safety.forget_answers(session, user.id)
        await outbox.forget_subject(
            session, user.id, kinds=outbox.HEALTH_KINDS, why="check-in consent withdrawn"
        )
    user.wellbeing_consent = consent
    if user.onboarding_step == OnboardingStep.CONSENT:
        user.onboarding_step = OnboardingStep.TIMEZONE
        user.awaiting_input = AWAITING_TIMEZONE
        user.awaiting_since = now
    user.updated_at = now
    return user


async def await_input(
    session: AsyncSession, user_id: int, what: str | None, *, now: dt.datetime
) -> User:
    """Note what the user's next free text in private chat answers (None: nothing).

    Stored with the user, so a question asked before a restart is still understood after it.
    The question stays open until it is answered, the person presses a button or sends a
    command (`end_pending`), or `OPEN_QUESTION_LIFETIME` passes (`question_expired`).
    """
    user = await require_user(session, user_id)
    user.awaiting_input = what
    user.awaiting_since = now if what else None
    user.updated_at = now
    return user


# A typed question left open longer than this is closed: an answer typed much later is
# more likely a message about something else.
OPEN_QUESTION_LIFETIME = dt.timedelta(hours=2)
# The draft entry holding a typed answer that waits for the person's confirmation.
HELD = "held"


@dataclass(frozen=True)
class Pending:
    """What a person had open when they pressed a button or sent a command: the question
    their next text would have answered, and a typed answer waiting for their confirmation."""

    awaiting: str | None = None
    held: dict[str, Any] | None = None


NOTHING_PENDING = Pending()


def question_expired(user: User, now: dt.datetime) -> bool:
    """True when the user's open question was asked more than OPEN_QUESTION_LIFETIME ago."""
    since = user.awaiting_since
    return since is not None and now - since > OPEN_QUESTION_LIFETIME


def has_pending(user: User) -> bool:
    """True when the user has an open question or a typed answer waiting for confirmation."""
    return bool(user.awaiting_input) or draft_of(user, HELD) is not None


def draft_of(user: User, flow: str) -> dict[str, Any] | None:
    """The user's saved answers of one multi-step flow ("newclass", "checkin", ...), if any."""
    value = (user.draft or {}).get(flow)
    return dict(value) if isinstance(value, dict) else None


def set_draft(user: User, flow: str, value: dict[str, Any] | None) -> None:
    """Save (or with None, drop) one flow's answers, leaving the other flows' drafts alone."""
    drafts = {k: v for k, v in (user.draft or {}).items() if k != flow}
    if value is not None:
        drafts[flow] = value
    user.draft = drafts or None


async def hold_answer(
    session: AsyncSession, user_id: int, subject: str, text: str, *, now: dt.datetime
) -> User:
    """Keep a typed answer for `subject` (e.g. "cancel:81") until the person confirms it.

    The question it answered is closed. Nothing happens on the text alone: the caller shows
    a confirmation that spells out the consequence, and its button acts on the held answer.
    """
    user = await require_user(session, user_id)
    user.awaiting_input = None
    user.awaiting_since = None
    set_draft(user, HELD, {"subject": subject, "text": text})
    user.updated_at = now
    return user


def held_answer(pending: Pending, subject: str) -> str | None:
    """The typed answer held for `subject`, if that is what was waiting for confirmation."""
    if pending.held and pending.held.get("subject") == subject:
        return str(pending.held.get("text", ""))
    return None


async def end_pending(session: AsyncSession, user_id: int, *, now: dt.datetime) -> Pending:
    """Close the user's open question and drop a held answer; return what they were.

    Called for every button press and command: a question never outlives the screen that
    asked it. The handler of the press gets the returned value, so a button that continues
    the same flow (or confirms the held answer) can still act on it.
    """
    user = await require_user(session, user_id)
    pending = Pending(awaiting=user.awaiting_input, held=draft_of(user, HELD))
    user.awaiting_input = None
    user.awaiting_since = None
    set_draft(user, HELD, None)
    user.updated_at = now
    return pending


async def set_timezone(session: AsyncSession, user_id: int, zone: str, *, now: dt.datetime) -> User:
    """Save the user's IANA time zone; this completes onboarding if it was the last question."""
    if not is_valid_timezone(zone):
        raise InvalidInput("timezone_unknown", zone=zone)
    user = await require_user(session, user_id)
    user.timezone = zone
    user.awaiting_input = None
    user.awaiting_since = None
    if user.onboarding_step == OnboardingStep.TIMEZONE:
        user.onboarding_step = OnboardingStep.DONE
        user.onboarded_at = now
    user.updated_at = now
    return user


async def set_broadcasts_muted(
    session: AsyncSession, user_id: int, muted: bool, *, now: dt.datetime
) -> User:
    """Mute or unmute trainer broadcasts for the user (urgent class notices still arrive)."""
    user = await require_user(session, user_id)
    user.broadcasts_muted = muted
    user.updated_at = now
    return user


async def set_checkin_choices(
    session: AsyncSession,
    user_id: int,
    *,
    weekday: int | None = None,
    hour: int | None = None,
    trainer_sees: bool | None = None,
    share_milestones: bool | None = None,
    now: dt.datetime,
) -> User:
    """Change the weekly check-in invitation's day and hour, whether the trainer may see the
    user's check-ins, and whether milestones may be announced in the class's group."""
    user = await require_user(session, user_id)
    if weekday is not None:
        if not 0 <= weekday <= 6:
            raise InvalidInput("weekday_invalid", weekday=weekday)
        user.checkin_weekday = weekday
    if hour is not None:
        if not 0 <= hour <= 23:
            raise InvalidInput("hour_invalid", hour=hour)
        user.checkin_hour = hour
    if trainer_sees is not None:
        if user.trainer_sees_checkins and not trainer_sees:
            from bot.services import outbox

            await outbox.forget_subject(
                session, user.id, kinds=outbox.HEALTH_KINDS, why="trainer sharing turned off"
            )
        user.trainer_sees_checkins = trainer_sees
    if share_milestones is not None:
        user.share_milestones = share_milestones
    user.updated_at = now
    return user


async def find_user(session: AsyncSession, reference: str) -> User | None:
    """Find a user by numeric Telegram id or by @username (case-insensitive)."""
    reference = reference.strip()
    if reference.isdigit():
        return await session.get(User, int(reference))
    name = reference.removeprefix("@").lower()
    if not name:
        return None
    return await session.scalar(select(User).where(func.lower(User.username) == name).limit(1))


async def _staff_target(session: AsyncSession, reference: str) -> User:
    reference = reference.strip()
    if not (reference.isdigit() or (reference.startswith("@") and len(reference) > 1)):
        raise InvalidInput("user_reference_invalid", reference=reference)
    user = await find_user(session, reference)
    if user is None:
        raise NotFound("user_not_started", reference=reference)
    return user


async def make_trainer(
    session: AsyncSession, reference: str, *, now: dt.datetime
) -> tuple[User, bool]:
    """Give the client named by `reference` (id or @username) the trainer role.

    Returns the user and whether anything changed (False if they already were a trainer).
    Admins stay admins: raises NotAllowed for them.
    """
    user = await _staff_target(session, reference)
    if user.role == Role.ADMIN:
        raise NotAllowed("trainer_is_admin", name=user.full_name)
    if user.role == Role.TRAINER:
        return user, False
    user.role = Role.TRAINER
    user.updated_at = now
    return user, True


async def remove_trainer(session: AsyncSession, reference: str, *, now: dt.datetime) -> User:
    """Take the trainer role back: the user becomes a client. Raises if they are not a trainer."""
    user = await _staff_target(session, reference)
    if user.role == Role.ADMIN:
        raise NotAllowed("admin_not_removable", name=user.full_name)
    if user.role != Role.TRAINER:
        raise InvalidInput("not_a_trainer", name=user.full_name)
    user.role = Role.CLIENT
    user.updated_at = now
    return user


async def list_staff(session: AsyncSession) -> list[User]:
    """All admins and trainers, admins first, then by name."""
    rows = await session.scalars(select(User).where(User.role.in_([Role.ADMIN, Role.TRAINER])))
    return sorted(rows, key=lambda user: (-user.role.rank, user.full_name.lower(), user.id))


async def sync_admins(
    session: AsyncSession, admin_ids: Collection[int], *, now: dt.datetime
) -> None:
    """Make the stored roles match ADMIN_IDS: listed users become admins, others stop being one.

    A former admin becomes a client (the trainer role must be given again explicitly).
    """
    ids = list(admin_ids)
    if ids:
        await session.execute(
            update(User)
            .where(User.id.in_(ids), User.role != Role.ADMIN)
            .values(role=Role.ADMIN, updated_at=now)
        )
    await session.execute(
        update(User)
        .where(User.role == Role.ADMIN, User.id.not_in(ids))
        .values(role=Role.CLIENT, updated_at=now)
    )


async def set_blocked(
    session: AsyncSession, user_id: int, blocked: bool, *, now: dt.datetime
) -> None:
    """Record that the user blocked the bot (or unblocked it). Unknown users are ignored."""
    user = await session.get(User, user_id)
    if user is None:
        return
    if blocked and user.blocked_at is None:
        user.blocked_at = now
    elif not blocked:
        user.blocked_at = None
    user.updated_at = now


async def set_language(
    session: AsyncSession, user_id: int, language: str, *, now: dt.datetime
) -> User:
    """Save the language the person chose for the bot (one with a catalog, or English)."""
    from bot.i18n import available_languages

    if language not in available_languages():
        raise InvalidInput("language_unknown", language=language)
    user = await require_user(session, user_id)
    user.language = language
    user.updated_at = now
    return user
