"""Classes: weekly series and one-off sessions, their sessions ahead of time, and changes.

A series stores its local start time and IANA zone; each session's UTC start is computed
from its local date, so an 18:00 Europe/Berlin class is at 18:00 local in winter and summer.
Sessions exist as rows for a rolling horizon (HORIZON_WEEKS), extended daily.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database, insert_ignoring_conflicts
from bot.models import (
    Booking,
    BookingState,
    ClassSeries,
    ClassSession,
    Role,
    SessionState,
    User,
)
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.timezones import is_valid_timezone

HORIZON_WEEKS = 8
MAX_TITLE = 100
MAX_DESCRIPTION = 1000
MAX_LOCATION = 300
MIN_DURATION, MAX_DURATION = 5, 8 * 60
MIN_CAPACITY, MAX_CAPACITY = 1, 500
MAX_LATE_CANCEL = 7 * 24 * 60


@dataclass(frozen=True)
class SeriesSpec:
    """Everything /newclass asks, as plain values. An empty `weekdays` means a one-off."""

    title: str
    location: str
    timezone: str
    start_time: dt.time
    duration_minutes: int
    capacity: int
    first_date: dt.date
    weekdays: tuple[int, ...] = ()
    description: str | None = None
    last_date: dt.date | None = None
    late_cancel_minutes: int = 120
    # Clients answer the pre-participation screening before their first booking (/newclass
    # turns this on by default; see bot/services/safety.py).
    requires_screening: bool = False


def check_title(text: str) -> str:
    """A title of 1 to 100 characters, trimmed; InvalidInput otherwise."""
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("title_empty")
    if len(text) > MAX_TITLE:
        raise InvalidInput("title_too_long", limit=MAX_TITLE, length=len(text))
    return text


def check_description(text: str) -> str:
    """A description of at most 1000 characters, trimmed."""
    text = text.strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput("description_too_long", limit=MAX_DESCRIPTION, length=len(text))
    return text


def check_location(text: str) -> str:
    """A place or an online link, 1 to 300 characters."""
    text = text.strip()
    if not text:
        raise InvalidInput("location_empty")
    if len(text) > MAX_LOCATION:
        raise InvalidInput("location_too_long", limit=MAX_LOCATION)
    return text


def parse_time(text: str) -> dt.time:
    """A local time of day: "18:00", "18.00", "1800", "6:30pm". InvalidInput otherwise."""
    raw = text.strip().lower().replace(" ", "")
    suffix = ""
    for ending in ("am", "pm"):
        if raw.endswith(ending):
            raw, suffix = raw[: -len(ending)], ending
    raw = raw.replace(".", ":").replace("h", ":")
    if ":" not in raw and raw.isdigit() and len(raw) in (3, 4):
        raw = f"{raw[:-2]}:{raw[-2:]}"
    elif ":" not in raw and raw.isdigit() and suffix:
        raw = f"{raw}:00"
    parts = raw.split(":")
    typed = text.strip()[:20]
    if len(parts) != 2 or not all(part.isdigit() for part in parts) or len(parts[1]) != 2:
        raise InvalidInput("time_invalid", text=typed)
    hour, minute = int(parts[0]), int(parts[1])
    if suffix:
        if not 1 <= hour <= 12:
            raise InvalidInput("time_invalid", text=typed)
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidInput("time_out_of_range", text=typed)
    return dt.time(hour, minute)


def parse_date(text: str, *, today: dt.date) -> dt.date:
    """A date: "2026-12-03", "3.12.2026", "3/12/2026", "3.12." (this or next year)."""
    raw = text.strip()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    for separator in (".", "/"):
        parts = [part for part in raw.split(separator) if part]
        if len(parts) in (2, 3) and all(part.isdigit() for part in parts):
            day, month = int(parts[0]), int(parts[1])
            year = int(parts[2]) if len(parts) == 3 else today.year
            if year < 100:
                year += 2000
            try:
                found = dt.date(year, month, day)
            except ValueError:
                break
            if len(parts) == 2 and found < today:
                found = found.replace(year=found.year + 1)
            return found
    raise InvalidInput("date_invalid", text=raw[:20])


# What a typed whole number is (the `what` of parse_whole_number), and the codes of its
# errors: not a number, and out of range.
NUMBER_ERRORS = {
    "places": ("places_not_a_number", "places_out_of_range"),
    "minutes": ("minutes_not_a_number", "minutes_out_of_range"),
}


def parse_whole_number(text: str, *, low: int, high: int, what: str) -> int:
    """An integer between `low` and `high`; otherwise InvalidInput with the code of `what`
    ("places" or "minutes", see NUMBER_ERRORS) and the range."""
    not_a_number, out_of_range = NUMBER_ERRORS[what]
    raw = text.strip().removesuffix("min").removesuffix("minutes").strip()
    if not raw.lstrip("-").isdigit():
        raise InvalidInput(not_a_number, low=low, high=high)
    value = int(raw)
    if not low <= value <= high:
        raise InvalidInput(out_of_range, low=low, high=high, value=value)
    return value


def check_spec(spec: SeriesSpec, *, today: dt.date) -> None:
    """Refuse a series that cannot be: InvalidInput names the first problem."""
    check_title(spec.title)
    check_location(spec.location)
    if spec.description is not None:
        check_description(spec.description)
    if not is_valid_timezone(spec.timezone):
        raise InvalidInput("class_zone_unknown", zone=spec.timezone)
    if not MIN_DURATION <= spec.duration_minutes <= MAX_DURATION:
        raise InvalidInput("duration_out_of_range", low=MIN_DURATION, high=MAX_DURATION)
    if not MIN_CAPACITY <= spec.capacity <= MAX_CAPACITY:
        raise InvalidInput("capacity_out_of_range", low=MIN_CAPACITY, high=MAX_CAPACITY)
    if not 0 <= spec.late_cancel_minutes <= MAX_LATE_CANCEL:
        raise InvalidInput("late_window_out_of_range")
    if any(not 0 <= day <= 6 for day in spec.weekdays):
        raise InvalidInput("class_weekday_invalid")
    if spec.first_date < today:
        raise InvalidInput("first_date_past")
    if spec.weekdays and spec.first_date.weekday() not in spec.weekdays:
        raise InvalidInput("first_date_not_a_class_day")
    if spec.last_date is not None and spec.last_date < spec.first_date:
        raise InvalidInput("last_date_before_first")


def local_start(day: dt.date, at: dt.time, zone: str) -> dt.datetime:
    """The UTC instant of wall time `at` on `day` in `zone` (DST-aware)."""
    return dt.datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def today_in(zone: str, now: dt.datetime) -> dt.date:
    """The local date in `zone` at `now`."""
    return now.astimezone(ZoneInfo(zone)).date()


def occurrence_dates(series: ClassSeries, start: dt.date, end: dt.date) -> list[dt.date]:
    """The series' local dates from `start` to `end` inclusive (within first/last date)."""
    start = max(start, series.first_date)
    if series.last_date is not None:
        end = min(end, series.last_date)
    if series.is_one_off:
        return [series.first_date] if start <= series.first_date <= end else []
    days = set(series.weekday_list)
    found = []
    current = start
    while current <= end:
        if current.weekday() in days:
            found.append(current)
        current += dt.timedelta(days=1)
    return found


async def generate_sessions(session: AsyncSession, series: ClassSeries, *, now: dt.datetime) -> int:
    """Create the series' sessions up to the horizon; idempotent. Returns how many are new."""
    if series.ended_at is not None:
        return 0
    horizon = today_in(series.timezone, now) + dt.timedelta(weeks=HORIZON_WEEKS)
    start = (
        series.generated_until + dt.timedelta(days=1)
        if series.generated_until
        else series.first_date
    )
    dates = occurrence_dates(series, start, horizon)
    rows = [
        {
            "series_id": series.id,
            "local_date": day,
            "starts_at": local_start(day, series.start_time, series.timezone),
            "duration_minutes": series.duration_minutes,
            "capacity": series.capacity,
            "location": series.location,
            "booked_count": 0,
            "state": SessionState.SCHEDULED.value,
            "version": 0,
            "created_at": now,
            "updated_at": now,
        }
        for day in dates
    ]
    created = await insert_ignoring_conflicts(
        session, ClassSession.__table__, rows, ["series_id", "local_date"]
    )
    series.generated_until = max(horizon, series.generated_until or horizon)
    return created


async def create_series(
    session: AsyncSession, trainer: User, spec: SeriesSpec, *, now: dt.datetime
) -> ClassSeries:
    """Save a new series (or one-off) and create its sessions for the horizon."""
    if not trainer.role.at_least(Role.TRAINER):
        raise NotAllowed("classes_for_trainers")
    if not is_valid_timezone(spec.timezone):
        raise InvalidInput("class_zone_unknown", zone=spec.timezone)
    check_spec(spec, today=today_in(spec.timezone, now))
    series = ClassSeries(
        trainer_id=trainer.id,
        title=check_title(spec.title),
        description=check_description(spec.description) if spec.description else None,
        location=check_location(spec.location),
        timezone=spec.timezone,
        start_time=spec.start_time,
        weekdays=",".join(str(day) for day in sorted(set(spec.weekdays))),
        duration_minutes=spec.duration_minutes,
        capacity=spec.capacity,
        first_date=spec.first_date,
        last_date=spec.first_date if not spec.weekdays else spec.last_date,
        late_cancel_minutes=spec.late_cancel_minutes,
        requires_screening=spec.requires_screening,
        created_at=now,
        updated_at=now,
    )
    session.add(series)
    await session.flush()
    await generate_sessions(session, series, now=now)
    return series


async def extend_horizons(session: AsyncSession, *, now: dt.datetime) -> int:
    """The daily job: every running series gets its sessions up to the horizon."""
    created = 0
    running = await session.scalars(select(ClassSeries).where(ClassSeries.ended_at.is_(None)))
    for series in running:
        created += await generate_sessions(session, series, now=now)
    return created


# --------------------------------------------------------------------- reading


@dataclass
class SessionInfo:
    """A session with what people need to see about it."""

    session: ClassSession
    series: ClassSeries
    trainer: User
    waitlist: int = 0

    @property
    def spots_left(self) -> int:
        """Free places (0 when full)."""
        return max(0, self.session.capacity - self.session.booked_count)


_SESSIONS, _SERIES, _USERS = ClassSession.__table__, ClassSeries.__table__, User.__table__
_BOOKINGS = Booking.__table__
# The number of people waiting for the session of the row (a correlated subquery).
_WAITING = (
    select(func.count())
    .where(
        _BOOKINGS.c.session_id == _SESSIONS.c.id,
        _BOOKINGS.c.state == BookingState.WAITLISTED,
    )
    .correlate(_SESSIONS)
    .scalar_subquery()
)
# Sessions with their series, trainer and waitlist: the rows of every SessionInfo read.
_SESSION_ROWS = (
    select(ClassSession, ClassSeries, User, _WAITING)
    .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
    .join(User, ClassSeries.trainer_id == User.id)
)


def _upcoming_query(
    *,
    now: dt.datetime,
    until: dt.datetime,
    trainer_id: int | None,
    series_id: int | None,
    include_cancelled: bool,
) -> Select:
    query = _SESSION_ROWS.where(ClassSession.starts_at > now, ClassSession.starts_at <= until)
    if not include_cancelled:
        query = query.where(ClassSession.state == SessionState.SCHEDULED)
    if trainer_id is not None:
        query = query.where(ClassSeries.trainer_id == trainer_id)
    if series_id is not None:
        query = query.where(ClassSeries.id == series_id)
    return query


async def upcoming(
    session: AsyncSession,
    *,
    now: dt.datetime,
    days: int = 14,
    trainer_id: int | None = None,
    series_id: int | None = None,
    include_cancelled: bool = False,
    until: dt.datetime | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[SessionInfo]:
    """Sessions starting from now for `days` days (or until `until`), earliest first;
    `offset` and `limit` page through them."""
    query = _upcoming_query(
        now=now,
        until=until or now + dt.timedelta(days=days),
        trainer_id=trainer_id,
        series_id=series_id,
        include_cancelled=include_cancelled,
    ).order_by(ClassSession.starts_at, ClassSession.id)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.execute(query)).all()
    return [
        SessionInfo(session=s, series=series, trainer=t, waitlist=waiting)
        for s, series, t, waiting in rows
    ]


async def count_upcoming(session: AsyncSession, *, now: dt.datetime, days: int = 14) -> int:
    """How many scheduled sessions start in the next `days` days."""
    query = _upcoming_query(
        now=now,
        until=now + dt.timedelta(days=days),
        trainer_id=None,
        series_id=None,
        include_cancelled=False,
    ).with_only_columns(func.count())
    return await session.scalar(query) or 0


@dataclass(frozen=True)
class ListedSession:
    """A session as a client's timetable lists it: when, what, who, places, and the state
    of the reader's own booking of it (confirmed or waitlisted; None when they have none)."""

    id: int
    starts_at: dt.datetime
    title: str
    trainer_name: str
    capacity: int
    booked_count: int
    waitlist: int
    mine: BookingState | None

    @property
    def spots_left(self) -> int:
        """Free places (0 when full)."""
        return max(0, self.capacity - self.booked_count)


@dataclass(frozen=True)
class Listing:
    """One page of the timetable as a client sees it."""

    # Scheduled sessions in the whole period, and the page shown (0-based).
    total: int
    page: int
    sessions: list[ListedSession]


# The timetable runs for nearly every update, so its statement is built once (building one,
# and working out its cache key, costs more CPU than running it), on the tables rather than
# the mapped classes: a page is read, never changed, and plain rows cost half the CPU of
# entities (three per row). Values go in as parameters.
_MINE = _BOOKINGS.alias("mine")
# The page is chosen on the sessions alone (a narrow index scan, counted as it goes); only
# its few rows are joined to their series, trainer and the reader's booking.
_PAGE = (
    select(_SESSIONS.c.id.label("id"), func.count().over().label("total"))
    .where(
        _SESSIONS.c.starts_at > bindparam("now"),
        _SESSIONS.c.starts_at <= bindparam("until"),
        _SESSIONS.c.state == SessionState.SCHEDULED,
    )
    .order_by(_SESSIONS.c.starts_at, _SESSIONS.c.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
    .subquery("page")
)
_LISTING = (
    select(
        _SESSIONS.c.id,
        _SESSIONS.c.starts_at,
        _SERIES.c.title,
        _USERS.c.first_name,
        _SESSIONS.c.capacity,
        _SESSIONS.c.booked_count,
        _WAITING,
        _MINE.c.state,
        _PAGE.c.total,
    )
    .select_from(
        _SESSIONS.join(_PAGE, _PAGE.c.id == _SESSIONS.c.id)
        .join(_SERIES, _SERIES.c.id == _SESSIONS.c.series_id)
        .join(_USERS, _USERS.c.id == _SERIES.c.trainer_id)
        .outerjoin(
            _MINE,
            and_(
                _MINE.c.session_id == _SESSIONS.c.id,
                _MINE.c.user_id == bindparam("user_id"),
                # Not IN (…): Database.read_rows runs statements without expanding lists.
                or_(
                    _MINE.c.state == BookingState.CONFIRMED,
                    _MINE.c.state == BookingState.WAITLISTED,
                ),
            ),
        )
    )
    .order_by(_SESSIONS.c.starts_at, _SESSIONS.c.id)
)
_SESSION_INFO = _SESSION_ROWS.where(ClassSession.id == bindparam("session_id")).execution_options(
    populate_existing=True
)


async def listing(
    db: Database,
    user_id: int,
    *,
    now: dt.datetime,
    days: int,
    page: int,
    page_size: int,
) -> Listing:
    """Page `page` of the scheduled sessions starting in the next `days` days, earliest
    first, each with the state of `user_id`'s booking of it; the last page when `page` is
    past the end (a button pressed after sessions went away), the first when below 0.

    It reads through `Database.read_rows` (no session): it is the read of every /classes."""
    until = now + dt.timedelta(days=days)
    page = max(0, page)
    params = {"user_id": user_id, "now": now, "until": until, "limit": page_size}
    rows = await db.read_rows(_LISTING, {**params, "offset": page * page_size})
    if rows:
        total = rows[0]["total"]
    else:
        total = 0
        if page:
            async with db.reading() as session:
                total = await count_upcoming(session, now=now, days=days)
        page = max(0, (total - 1) // page_size)
        if total:
            rows = await db.read_rows(_LISTING, {**params, "offset": page * page_size})
    return Listing(
        total=total,
        page=page,
        sessions=[ListedSession(*list(row.values())[:8]) for row in rows],
    )


_SESSION_INFO_LOCKED = _SESSION_INFO.with_for_update(of=ClassSession)


async def session_info(
    session: AsyncSession, session_id: int, *, lock: bool = False
) -> SessionInfo:
    """One session with its series and trainer; NotFound if there is none. With `lock`, the
    session's row stays locked (FOR UPDATE on PostgreSQL) until the transaction ends: what
    changes its places and waitlist takes turns behind it."""
    statement = _SESSION_INFO_LOCKED if lock else _SESSION_INFO
    row = (await session.execute(statement, {"session_id": session_id})).first()
    if row is None:
        raise NotFound("class_not_found")
    return SessionInfo(session=row[0], series=row[1], trainer=row[2], waitlist=row[3])


async def trainer_series(session: AsyncSession, trainer_id: int) -> list[ClassSeries]:
    """The trainer's series that have not ended, by title."""
    rows = await session.scalars(
        select(ClassSeries)
        .where(ClassSeries.trainer_id == trainer_id, ClassSeries.ended_at.is_(None))
        .order_by(ClassSeries.title, ClassSeries.id)
    )
    return list(rows)


async def running_series(session: AsyncSession) -> list[ClassSeries]:
    """Every trainer's series that have not ended, by title (what an admin oversees)."""
    rows = await session.scalars(
        select(ClassSeries)
        .where(ClassSeries.ended_at.is_(None))
        .order_by(ClassSeries.title, ClassSeries.id)
    )
    return list(rows)


def _held_a_place() -> object:
    """A booking that held a place or a waitlist spot (not one cancelled before anything)."""
    return (Booking.state != BookingState.CANCELLED) | Booking.confirmed_at.is_not(None)


def clients_of_trainer(trainer_id: int, series_id: int | None = None) -> Select:
    """The ids of people who booked the trainer's classes (or one of them): the trainer's
    clients, for audiences, tips, check-in views and statistics."""
    query = (
        select(Booking.user_id)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
        .where(ClassSeries.trainer_id == trainer_id, _held_a_place())
    )
    if series_id is not None:
        query = query.where(ClassSeries.id == series_id)
    return query


def clients_seen_by(viewer: User) -> Select:
    """The clients a trainer's views cover: their own clients; for an admin, every client."""
    if viewer.role == Role.ADMIN:
        return select(User.id).where(User.role == Role.CLIENT)
    return clients_of_trainer(viewer.id)


def trainers_of_client(user_id: int) -> Select:
    """The ids of the trainers whose classes the user booked."""
    return (
        select(ClassSeries.trainer_id)
        .join(ClassSession, ClassSession.series_id == ClassSeries.id)
        .join(Booking, Booking.session_id == ClassSession.id)
        .where(Booking.user_id == user_id, _held_a_place())
    )


def check_owner(actor: User, series: ClassSeries) -> None:
    """Only the series' trainer, or an admin, may run it."""
    if series.trainer_id != actor.id and actor.role != Role.ADMIN:
        raise NotAllowed("class_of_another_trainer")


async def set_requires_screening(
    session: AsyncSession, actor: User, series_id: int, on: bool, *, now: dt.datetime
) -> ClassSeries:
    """The trainer turns the screening before a first booking on or off for their class.
    Places already booked stay as they are; it applies to the next Book press."""
    series = await own_series(session, actor, series_id)
    series.requires_screening = on
    series.updated_at = now
    return series


async def own_series(session: AsyncSession, actor: User, series_id: int) -> ClassSeries:
    """A series the actor runs (or any, for an admin); NotFound or NotAllowed otherwise."""
    series = await session.get(ClassSeries, series_id)
    if series is None:
        raise NotFound("class_not_found")
    check_owner(actor, series)
    return series


# --------------------------------------------------------------------- changes


@dataclass
class Affected:
    """People to tell about a change to sessions, by session."""

    sessions: list[ClassSession] = field(default_factory=list)
    # session id -> user ids with a confirmed booking, and with a waitlist place
    booked: dict[int, list[int]] = field(default_factory=dict)
    waitlisted: dict[int, list[int]] = field(default_factory=dict)


async def _people(session: AsyncSession, sessions: list[ClassSession]) -> Affected:
    affected = Affected(sessions=sessions)
    ids = [s.id for s in sessions]
    if not ids:
        return affected
    rows = await session.execute(
        select(Booking.session_id, Booking.user_id, Booking.state).where(
            Booking.session_id.in_(ids),
            Booking.state.in_([BookingState.CONFIRMED, BookingState.WAITLISTED]),
        )
    )
    for session_id, user_id, state in rows:
        target = affected.booked if state == BookingState.CONFIRMED else affected.waitlisted
        target.setdefault(session_id, []).append(user_id)
    return affected


async def own_session(session: AsyncSession, actor: User, session_id: int) -> ClassSession:
    """A session of a series the actor runs, locked for a change."""
    found = await session.get(ClassSession, session_id, with_for_update=True)
    if found is None:
        raise NotFound("class_not_found")
    series = await session.get(ClassSeries, found.series_id)
    check_owner(actor, series)
    return found


async def cancel_sessions(
    session: AsyncSession, sessions: list[ClassSession], *, reason: str | None, now: dt.datetime
) -> Affected:
    """Cancel these sessions: their bookings end (not as late cancels), and the people who
    had a place or a waitlist spot are returned to be told."""
    from bot.services import outbox

    live = [s for s in sessions if s.state == SessionState.SCHEDULED]
    affected = await _people(session, live)
    for found in live:
        found.state = SessionState.CANCELLED
        found.cancel_reason = reason
        found.booked_count = 0
        found.version += 1
        found.updated_at = now
    ids = [s.id for s in live]
    if ids:
        booking_ids = list(
            await session.scalars(
                select(Booking.id).where(
                    Booking.session_id.in_(ids),
                    Booking.state.in_([BookingState.CONFIRMED, BookingState.WAITLISTED]),
                )
            )
        )
        await session.execute(
            update(Booking)
            .where(Booking.id.in_(booking_ids))
            .values(state=BookingState.CANCELLED, cancelled_at=now, updated_at=now)
        )
        await outbox.withdraw(session, [f"booking:{booking_id}" for booking_id in booking_ids])
    return affected


async def cancel_session(
    session: AsyncSession, actor: User, session_id: int, *, reason: str | None, now: dt.datetime
) -> Affected:
    """The trainer cancels one session (optional reason). Past sessions can't be cancelled."""
    found = await own_session(session, actor, session_id)
    if found.state == SessionState.CANCELLED:
        raise InvalidInput("session_already_cancelled")
    if found.starts_at <= now:
        raise InvalidInput("session_started_cannot_cancel")
    reason = reason.strip()[:300] if reason and reason.strip() else None
    return await cancel_sessions(session, [found], reason=reason, now=now)


async def end_series(
    session: AsyncSession, actor: User, series_id: int, *, now: dt.datetime
) -> Affected:
    """End a series: no sessions after today; upcoming ones are cancelled (without a reason
    of the trainer's: views say that the class has ended) and the people to tell returned."""
    series = await own_series(session, actor, series_id)
    if series.ended_at is not None:
        raise InvalidInput("class_already_ended")
    series.ended_at = now
    series.last_date = today_in(series.timezone, now)
    series.updated_at = now
    future = list(
        await session.scalars(
            select(ClassSession)
            .where(
                ClassSession.series_id == series.id,
                ClassSession.starts_at > now,
                ClassSession.state == SessionState.SCHEDULED,
            )
            .with_for_update()
        )
    )
    return await cancel_sessions(session, future, reason=None, now=now)


async def following_sessions(
    session: AsyncSession, first: ClassSession, *, now: dt.datetime
) -> list[ClassSession]:
    """`first` and the later sessions of its series that have not started, locked."""
    rows = await session.scalars(
        select(ClassSession)
        .where(
            ClassSession.series_id == first.series_id,
            ClassSession.local_date >= first.local_date,
            ClassSession.starts_at > now,
            ClassSession.state == SessionState.SCHEDULED,
        )
        .order_by(ClassSession.starts_at)
        .with_for_update()
    )
    return list(rows)


async def change_time(
    session: AsyncSession,
    actor: User,
    session_id: int,
    new_time: dt.time,
    *,
    following: bool,
    now: dt.datetime,
) -> Affected:
    """Move one session, or it and all later ones of its series, to a new local start time."""
    first = await own_session(session, actor, session_id)
    series = await session.get(ClassSeries, first.series_id)
    targets = await following_sessions(session, first, now=now) if following else [first]
    targets = [t for t in targets if t.state == SessionState.SCHEDULED and t.starts_at > now]
    if not targets:
        raise InvalidInput("no_upcoming_session")
    for target in targets:
        moved = local_start(target.local_date, new_time, series.timezone)
        if moved <= now:
            raise InvalidInput("time_passed_today")
        target.starts_at = moved
        target.version += 1
        target.updated_at = now
    if following:
        series.start_time = new_time
        series.updated_at = now
    return await _people(session, targets)


async def change_location(
    session: AsyncSession,
    actor: User,
    session_id: int,
    location: str,
    *,
    following: bool,
    now: dt.datetime,
) -> Affected:
    """Change where one session (or it and all later ones) takes place."""
    location = check_location(location)
    first = await own_session(session, actor, session_id)
    targets = await following_sessions(session, first, now=now) if following else [first]
    if not targets:
        raise InvalidInput("no_upcoming_session")
    for target in targets:
        target.location = location
        target.version += 1
        target.updated_at = now
    if following:
        series = await session.get(ClassSeries, first.series_id)
        series.location = location
        series.updated_at = now
    return await _people(session, targets)
