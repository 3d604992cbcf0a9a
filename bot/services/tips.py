"""Tips: which one a client gets, and when, in their own time and never twice in a slot.

Schedule. A client chooses off, weekly, twice a week or daily, and a local hour (10:00 by
default). The first tip comes the day after onboarding; weekly tips fall on that weekday,
twice-weekly ones on it and three days later. A slot inside the client's quiet hours moves
to the end of them. The tick derives due slots from the database each time, and a slot is
one row per client (unique), so running the tick twice, or on two replicas, sends nothing
twice. A slot missed for more than LATE_LIMIT (the bot was down) is skipped.

Choice. Tips go round the whole pool (the library plus the own tips of the client's trainers
written in the language the client reads) without repeats, then the cycle starts again. Two
"Not for me" answers in a category lower its share. Moments that matter pick the category
instead: MOMENT_RULES is the table.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.i18n import reader_language
from bot.models import (
    ClassSeries,
    Role,
    TipDelivery,
    TipFeedback,
    TipMoment,
    TrainerTip,
    User,
)
from bot.services.classes import clients_seen_by, trainers_of_client
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.tip_library import CATEGORIES, MAX_TEXT, MAX_TITLE, Library, Reference, Tip

MIN_TITLE = 3
MIN_TEXT = 20

FREQUENCIES: dict[str, tuple[int, ...]] = {
    "off": (),
    "weekly": (0,),
    "twice_weekly": (0, 3),
    "daily": (0, 1, 2, 3, 4, 5, 6),
}
LATE_LIMIT = dt.timedelta(hours=12)
DISLIKES_TO_LOWER = 2
LOWERED_WEIGHT = 0.25


@dataclass(frozen=True)
class MomentRule:
    """A moment that calls for a tip: which category, and how many days later."""

    category: str
    delay_days: int


# The rule table: moments that matter get a fitting category instead of the next in turn.
MOMENT_RULES: dict[str, MomentRule] = {
    "first_class": MomentRule(category="social", delay_days=1),
    "low_mood": MomentRule(category="mental", delay_days=0),
}


@dataclass(frozen=True)
class TrainerSource:
    """The source a trainer chose for a tip of their own: the bot vouches for nothing more."""

    trainer_name: str
    link: str
    trainer_id: int | None = None  # who wrote it (erasing their account reaches its copies)


@dataclass(frozen=True)
class ChosenTip:
    """A tip picked for a client, as plain values ready to render, with the source it rests
    on: a library reference (research, fact sheet or encouragement) or a trainer's choice."""

    tip_id: str
    category: str
    title: str
    text: str
    source: Reference | TrainerSource

    @property
    def trainer_name(self) -> str | None:
        """The trainer who wrote the tip (None for the library's tips)."""
        return self.source.trainer_name if isinstance(self.source, TrainerSource) else None

    @property
    def trainer_id(self) -> int | None:
        """The id of the trainer who wrote the tip (None for the library's tips)."""
        return self.source.trainer_id if isinstance(self.source, TrainerSource) else None

    @property
    def source_kind(self) -> str:
        """What the tip rests on: one of research, fact-sheet, encouragement or trainer."""
        return "trainer" if isinstance(self.source, TrainerSource) else self.source.evidence


def library_tip(tip: Tip, library: Library, language: str = "en") -> ChosenTip:
    """A tip of the library with its reference, worded in `language` (its translation, or
    the English while it has none)."""
    title, text = library.wording(tip, language)
    return ChosenTip(
        tip_id=tip.id,
        category=tip.category,
        title=title,
        text=text,
        source=library.references[tip.reference],
    )


def in_language(tip: ChosenTip, library: Library, language: str) -> ChosenTip:
    """`tip` worded in `language`: a library tip's translation; a trainer's tip as written."""
    entry = library.tip(tip.tip_id)
    return library_tip(entry, library, language) if entry is not None else tip


def reading_language(user: User) -> str:
    """The language `user` reads tips in (their chosen one, else their app's)."""
    return reader_language(user.language, user.language_code)


def own_tip(tip: TrainerTip, trainer_name: str) -> ChosenTip:
    """A trainer's own tip with the source they chose."""
    return ChosenTip(
        tip_id=trainer_tip_id(tip),
        category=tip.category,
        title=tip.title,
        text=tip.text,
        source=TrainerSource(
            trainer_name=trainer_name, link=tip.source_url, trainer_id=tip.trainer_id
        ),
    )


def in_quiet_hours(hour: int, minute: int, quiet_start: int, quiet_end: int) -> bool:
    """True when local hour:minute falls in [quiet_start, quiet_end), which may wrap midnight."""
    if quiet_start == quiet_end:
        return False
    now = hour * 60 + minute
    start, end = quiet_start * 60, quiet_end * 60
    return start <= now < end if start < end else now >= start or now < end


def quiet_until(user: User, now: dt.datetime) -> dt.datetime | None:
    """The end of the user's quiet hours if `now` falls inside them, else None."""
    zone = ZoneInfo(user.timezone or "UTC")
    local = now.astimezone(zone)
    if not in_quiet_hours(local.hour, local.minute, user.quiet_start, user.quiet_end):
        return None
    day = local.date() if local.hour < user.quiet_end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(user.quiet_end), tzinfo=zone).astimezone(dt.UTC)


def slot_time(user: User, day: dt.date) -> dt.datetime:
    """When the tip of `day` goes out (UTC): the chosen local hour, moved to the end of the
    quiet hours if it falls inside them."""
    zone = ZoneInfo(user.timezone or "UTC")
    at = dt.datetime.combine(day, dt.time(user.tip_hour), tzinfo=zone)
    if in_quiet_hours(at.hour, 0, user.quiet_start, user.quiet_end):
        end_day = day if user.quiet_end > at.hour else day + dt.timedelta(days=1)
        at = dt.datetime.combine(end_day, dt.time(user.quiet_end), tzinfo=zone)
    return at.astimezone(dt.UTC)


def first_tip_day(user: User) -> dt.date | None:
    """The day after onboarding, in the user's zone (None before onboarding)."""
    if user.onboarded_at is None:
        return None
    zone = ZoneInfo(user.timezone or "UTC")
    return user.onboarded_at.astimezone(zone).date() + dt.timedelta(days=1)


def is_slot_day(user: User, day: dt.date) -> bool:
    """True when the user's frequency puts a tip on `day`."""
    first = first_tip_day(user)
    offsets = FREQUENCIES.get(user.tip_frequency, ())
    if first is None or day < first or not offsets:
        return False
    return (day - first).days % 7 in offsets


def due_slot(user: User, now: dt.datetime) -> str | None:
    """The user's slot that is due at `now` ("2026-11-28"), if any: its time has come, it is
    not more than LATE_LIMIT ago, and now is not inside their quiet hours."""
    zone = ZoneInfo(user.timezone or "UTC")
    local = now.astimezone(zone)
    if in_quiet_hours(local.hour, local.minute, user.quiet_start, user.quiet_end):
        return None
    for back in (0, 1):
        day = local.date() - dt.timedelta(days=back)
        if is_slot_day(user, day):
            at = slot_time(user, day)
            if at <= now < at + LATE_LIMIT:
                return day.isoformat()
    return None


# --------------------------------------------------------------------- choosing


async def _trainer_tips(
    session: AsyncSession, user_id: int, language: str
) -> list[tuple[TrainerTip, str]]:
    """Tips written in `language` by the trainers whose classes the user booked, with the
    trainer's name."""
    trainers = trainers_of_client(user_id)
    rows = await session.execute(
        select(TrainerTip, User.first_name)
        .join(User, TrainerTip.trainer_id == User.id)
        .where(TrainerTip.trainer_id.in_(trainers), TrainerTip.language == language)
        .order_by(TrainerTip.id)
    )
    return [(tip, name) for tip, name in rows]


def trainer_tip_id(tip: TrainerTip) -> str:
    """The id a trainer's tip has among deliveries and feedback."""
    return f"trainer-{tip.id}"


async def _pool(
    session: AsyncSession, user_id: int, library: Library, language: str
) -> list[ChosenTip]:
    """The tips `user_id` may get: the library, and their trainers' own tips in `language`."""
    pool = [library_tip(tip, library) for tip in library.tips]
    pool += [own_tip(tip, name) for tip, name in await _trainer_tips(session, user_id, language)]
    return pool


async def describe(
    session: AsyncSession, tip_ids: Iterable[str], library: Library
) -> dict[str, ChosenTip]:
    """The tips with these ids, with their sources, by id; ids of tips that no longer exist
    are left out."""
    wanted = set(tip_ids)
    found = {tip.id: library_tip(tip, library) for tip in library.tips if tip.id in wanted}
    own = [int(key[8:]) for key in wanted if key.startswith("trainer-") and key[8:].isdigit()]
    if own:
        rows = await session.execute(
            select(TrainerTip, User.first_name)
            .join(User, TrainerTip.trainer_id == User.id)
            .where(TrainerTip.id.in_(own))
        )
        for tip, name in rows:
            found[trainer_tip_id(tip)] = own_tip(tip, name)
    return found


async def category_weights(session: AsyncSession, user_id: int) -> dict[str, float]:
    """Each category's share for the user: lower after two "Not for me" answers in it."""
    rows = await session.execute(
        select(TipFeedback.category, func.count())
        .where(TipFeedback.user_id == user_id, TipFeedback.helpful.is_(False))
        .group_by(TipFeedback.category)
    )
    dislikes = dict(rows.all())
    return {
        category: LOWERED_WEIGHT if dislikes.get(category, 0) >= DISLIKES_TO_LOWER else 1.0
        for category in CATEGORIES
    }


async def choose(
    session: AsyncSession,
    user_id: int,
    library: Library,
    *,
    category: str | None,
    seed: str,
    language: str,
) -> tuple[ChosenTip, int]:
    """Pick the user's next tip and the cycle it belongs to, from the pool of a reader of
    `language` (trainers' own tips go only to readers of the language they wrote in).

    No tip repeats until the user has seen the whole pool; then a new cycle starts. With
    `category` (a moment), a tip of that category; otherwise a category drawn by weight.
    """
    pool = await _pool(session, user_id, library, language)
    cycle = (
        await session.scalar(
            select(func.max(TipDelivery.cycle)).where(TipDelivery.user_id == user_id)
        )
        or 0
    )
    seen = set(
        await session.scalars(
            select(TipDelivery.tip_id).where(
                TipDelivery.user_id == user_id, TipDelivery.cycle == cycle
            )
        )
    )
    unseen = [tip for tip in pool if tip.tip_id not in seen]
    if not unseen:
        cycle += 1
        unseen = pool
    rng = random.Random(seed)
    if category is not None:
        fitting = [tip for tip in unseen if tip.category == category] or [
            tip for tip in pool if tip.category == category
        ]
        if fitting:
            return fitting[0], cycle
    weights = await category_weights(session, user_id)
    present = sorted({tip.category for tip in unseen})
    picked = rng.choices(present, weights=[weights[c] for c in present])[0]
    return next(tip for tip in unseen if tip.category == picked), cycle


async def record(
    session: AsyncSession,
    user_id: int,
    tip: ChosenTip,
    *,
    cycle: int,
    slot: str,
    reason: str,
    now: dt.datetime,
) -> bool:
    """Record a delivery for the slot; False if the slot already had its tip."""
    inserted = await insert_ignoring_conflicts(
        session,
        TipDelivery.__table__,
        [
            {
                "user_id": user_id,
                "tip_id": tip.tip_id,
                "category": tip.category,
                "slot": slot,
                "reason": reason,
                "cycle": cycle,
                "sent_at": now,
            }
        ],
        ["user_id", "slot"],
    )
    return bool(inserted)


# --------------------------------------------------------------------- due tips


@dataclass(frozen=True)
class DueTip:
    """A tip to send now: to whom, for which slot, picked how."""

    user: User
    slot: str
    reason: str
    tip: ChosenTip
    cycle: int


async def due_tips(session: AsyncSession, library: Library, *, now: dt.datetime) -> list[DueTip]:
    """Every tip due now, recorded (so a second run finds nothing): scheduled slots and
    moments whose day has come, for clients with tips on who can be reached."""
    people = list(
        await session.scalars(
            select(User).where(
                User.role == Role.CLIENT,
                User.onboarded_at.is_not(None),
                User.blocked_at.is_(None),
                User.tip_frequency != "off",
            )
        )
    )
    wanted: dict[int, tuple[str, str, str | None, TipMoment | None]] = {}
    for person in people:
        slot = due_slot(person, now)
        if slot is not None:
            wanted[person.id] = (slot, "scheduled", None, None)
    for moment, person in await _due_moments(session, people, now):
        if not _moment_time(person, moment, now):
            continue
        wanted[person.id] = (
            f"moment:{moment.moment}:{moment.due_on.isoformat()}",
            moment.moment,
            moment.category,
            moment,
        )
    if not wanted:
        return []
    taken = set(
        (
            await session.execute(
                select(TipDelivery.user_id, TipDelivery.slot).where(
                    TipDelivery.user_id.in_(list(wanted)),
                    TipDelivery.slot.in_({slot for slot, _, _, _ in wanted.values()}),
                )
            )
        ).all()
    )
    by_id = {person.id: person for person in people}
    found = []
    for user_id, (slot, reason, category, moment) in wanted.items():
        if (user_id, slot) in taken:
            continue
        tip, cycle = await choose(
            session,
            user_id,
            library,
            category=category,
            seed=f"{user_id}:{slot}",
            language=reading_language(by_id[user_id]),
        )
        if not await record(session, user_id, tip, cycle=cycle, slot=slot, reason=reason, now=now):
            continue
        if moment is not None:
            moment.used_at = now
        found.append(DueTip(user=by_id[user_id], slot=slot, reason=reason, tip=tip, cycle=cycle))
    return found


async def _due_moments(
    session: AsyncSession, people: Iterable[User], now: dt.datetime
) -> list[tuple[TipMoment, User]]:
    by_id = {person.id: person for person in people}
    if not by_id:
        return []
    rows = await session.scalars(
        select(TipMoment).where(
            TipMoment.used_at.is_(None),
            TipMoment.user_id.in_(list(by_id)),
            TipMoment.due_on <= now.date() + dt.timedelta(days=1),
        )
    )
    return [(moment, by_id[moment.user_id]) for moment in rows]


def _moment_time(user: User, moment: TipMoment, now: dt.datetime) -> bool:
    """A moment's tip goes at the user's tip hour on its day (or later that day)."""
    zone = ZoneInfo(user.timezone or "UTC")
    local = now.astimezone(zone)
    if in_quiet_hours(local.hour, local.minute, user.quiet_start, user.quiet_end):
        return False
    return moment.due_on <= local.date() and slot_time(user, moment.due_on) <= now


async def record_moment(
    session: AsyncSession, user_id: int, moment: str, *, now: dt.datetime
) -> None:
    """Note a moment that calls for a fitting tip (see MOMENT_RULES); once per day."""
    rule = MOMENT_RULES[moment]
    user = await session.get(User, user_id)
    zone = ZoneInfo(user.timezone or "UTC") if user else dt.UTC
    due_on = now.astimezone(zone).date() + dt.timedelta(days=rule.delay_days)
    await insert_ignoring_conflicts(
        session,
        TipMoment.__table__,
        [
            {
                "user_id": user_id,
                "moment": moment,
                "category": rule.category,
                "due_on": due_on,
                "created_at": now,
            }
        ],
        ["user_id", "moment", "due_on"],
    )


async def tip_now(
    session: AsyncSession, user: User, library: Library, *, now: dt.datetime
) -> ChosenTip:
    """/tip: pick the next tip for the user now; it counts as seen."""
    tip, cycle = await choose(
        session,
        user.id,
        library,
        category=None,
        seed=f"{user.id}:{now}",
        language=reading_language(user),
    )
    await record(
        session,
        user.id,
        tip,
        cycle=cycle,
        slot=f"now:{now.isoformat()}:{uuid.uuid4().hex[:8]}",
        reason="on_demand",
        now=now,
    )
    return tip


# --------------------------------------------------------------------- feedback and settings


async def answer(
    session: AsyncSession,
    user_id: int,
    tip_id: str,
    helpful: bool,
    library: Library,
    *,
    now: dt.datetime,
) -> None:
    """Record "Helpful" or "Not for me" once per client and tip (a second press changes it)."""
    category = await _category_of(session, tip_id, library)
    await insert_ignoring_conflicts(
        session,
        TipFeedback.__table__,
        [
            {
                "user_id": user_id,
                "tip_id": tip_id,
                "category": category,
                "helpful": helpful,
                "answered_at": now,
            }
        ],
        ["user_id", "tip_id"],
    )
    feedback = await session.scalar(
        select(TipFeedback)
        .where(TipFeedback.user_id == user_id, TipFeedback.tip_id == tip_id)
        .execution_options(populate_existing=True)
    )
    feedback.helpful = helpful
    feedback.answered_at = now


async def _category_of(session: AsyncSession, tip_id: str, library: Library) -> str:
    tip = (await describe(session, [tip_id], library)).get(tip_id)
    if tip is None:
        raise InvalidInput("tip_gone")
    return tip.category


async def set_schedule(
    session: AsyncSession,
    user_id: int,
    *,
    frequency: str | None = None,
    hour: int | None = None,
    quiet: tuple[int, int] | None = None,
    now: dt.datetime,
) -> User:
    """Change how often and when tips come, and the quiet hours."""
    user = await session.get(User, user_id)
    if frequency is not None:
        if frequency not in FREQUENCIES:
            raise InvalidInput("tip_frequency_unknown")
        user.tip_frequency = frequency
    if hour is not None:
        if not 0 <= hour <= 23:
            raise InvalidInput("tip_hour_out_of_range")
        user.tip_hour = hour
    if quiet is not None:
        start, end = quiet
        if not (0 <= start <= 23 and 0 <= end <= 23):
            raise InvalidInput("quiet_hours_out_of_range")
        user.quiet_start, user.quiet_end = start, end
    user.updated_at = now
    return user


# --------------------------------------------------------------------- trainers


def check_tip_title(title: str) -> None:
    """A trainer's tip title: 3 to 80 characters of plain text."""
    if not MIN_TITLE <= len(title.strip()) <= MAX_TITLE:
        raise InvalidInput("tip_title_length", low=MIN_TITLE, high=MAX_TITLE)
    if "<" in title or ">" in title:
        raise InvalidInput("tip_markup")


def check_tip_text(text: str) -> None:
    """A trainer's tip text: 20 to 500 characters of plain text."""
    if not MIN_TEXT <= len(text.strip()) <= MAX_TEXT:
        raise InvalidInput("tip_text_length", low=MIN_TEXT, high=MAX_TEXT, now=len(text.strip()))
    if "<" in text or ">" in text:
        raise InvalidInput("tip_markup")


def check_trainer_tip(title: str, text: str, category: str, source: str) -> None:
    """The same checks as the library's, and a source link, which is required."""
    check_tip_title(title)
    check_tip_text(text)
    if category not in CATEGORIES:
        raise InvalidInput("tip_category_unknown")
    source = source.strip()
    if not (
        source.startswith(("https://", "http://")) and " " not in source and len(source) <= 500
    ):
        raise InvalidInput("tip_source_missing")


async def add_trainer_tip(
    session: AsyncSession,
    trainer: User,
    *,
    title: str,
    text: str,
    category: str,
    source: str,
    language: str,
    now: dt.datetime,
) -> TrainerTip:
    """Save a trainer's own tip, written in `language`; it goes to their own clients who
    read that language, and to nobody else."""
    if not trainer.role.at_least(Role.TRAINER):
        raise NotAllowed("tip_trainers_only")
    check_trainer_tip(title, text, category, source)
    tip = TrainerTip(
        trainer_id=trainer.id,
        category=category,
        title=title.strip(),
        text=text.strip(),
        source_url=source.strip(),
        language=language,
        created_at=now,
    )
    session.add(tip)
    await session.flush()
    return tip


@dataclass(frozen=True)
class TipStats:
    """How one tip did among a trainer's clients, and what kind of source it rests on
    ("research", "fact-sheet", "encouragement" or "trainer")."""

    tip_id: str
    title: str
    category: str
    source_kind: str
    sent: int
    helpful: int
    not_for_me: int


def totals_by_category(found: Iterable[TipStats]) -> dict[str, Counter[str]]:
    """`stats` summed per category ("sent", "helpful", "not_for_me"): every category of the
    library first, in its order (zeros included), then any other a trainer's tip names."""
    sums: dict[str, Counter[str]] = {category: Counter() for category in CATEGORIES}
    for item in found:
        sums.setdefault(item.category, Counter()).update(
            sent=item.sent, helpful=item.helpful, not_for_me=item.not_for_me
        )
    return sums


async def stats(
    session: AsyncSession, trainer: User, library: Library, language: str = "en"
) -> list[TipStats]:
    """For each tip: how often it reached the trainer's clients (an admin: all clients), and
    how they answered; library tips titled in `language`."""
    clients = clients_seen_by(trainer)
    sent = Counter(
        dict(
            (
                await session.execute(
                    select(TipDelivery.tip_id, func.count())
                    .where(TipDelivery.user_id.in_(clients))
                    .group_by(TipDelivery.tip_id)
                )
            ).all()
        )
    )
    answers = (
        await session.execute(
            select(TipFeedback.tip_id, TipFeedback.helpful, func.count())
            .where(TipFeedback.user_id.in_(clients))
            .group_by(TipFeedback.tip_id, TipFeedback.helpful)
        )
    ).all()
    helpful = Counter({tip_id: n for tip_id, yes, n in answers if yes})
    unhelpful = Counter({tip_id: n for tip_id, yes, n in answers if not yes})
    chosen = [library_tip(tip, library, language) for tip in library.tips]
    own = await session.scalars(select(TrainerTip).where(TrainerTip.trainer_id == trainer.id))
    chosen += [own_tip(tip, trainer.first_name) for tip in own]
    return [
        TipStats(
            tip.tip_id,
            tip.title,
            tip.category,
            tip.source_kind,
            sent[tip.tip_id],
            helpful[tip.tip_id],
            unhelpful[tip.tip_id],
        )
        for tip in chosen
    ]


# --------------------------------------------------------------------- community groups

GROUP_POST_WEEKDAY = 0  # Monday
GROUP_POST_HOUR = 10


@dataclass(frozen=True)
class GroupPost:
    """The weekly "why we move together" post for one linked group."""

    chat_id: int
    week: str  # "2026-W48"
    tip: ChosenTip


async def weekly_group_posts(
    session: AsyncSession, library: Library, *, now: dt.datetime
) -> list[GroupPost]:
    """Each linked community group's post for this week, on Monday from 10:00 (for twelve
    hours) in the zone of its (first) class. Social tips only, and never anything about a
    person. Until groups are linked (/linkgroup) there is nothing to do."""
    from bot.models import Group, GroupLink

    rows = await session.execute(
        select(Group.chat_id, func.min(ClassSeries.timezone))
        .join(GroupLink, GroupLink.group_id == Group.id)
        .join(ClassSeries, GroupLink.series_id == ClassSeries.id)
        .where(Group.bot_removed_at.is_(None))
        .group_by(Group.chat_id)
    )
    social = [tip for tip in library.tips if tip.category == "social"]
    posts = []
    for chat_id, zone in rows:
        local = now.astimezone(ZoneInfo(zone))
        monday = local.date() - dt.timedelta(days=local.weekday())
        start = dt.datetime.combine(monday, dt.time(GROUP_POST_HOUR), tzinfo=ZoneInfo(zone))
        if not start <= now < start + dt.timedelta(hours=12):
            continue
        year, week, _ = monday.isocalendar()
        entry = social[(year * 53 + week) % len(social)]
        posts.append(
            GroupPost(
                chat_id=chat_id,
                week=f"{year}-W{week:02d}",
                tip=library_tip(entry, library),
            )
        )
    return posts
