"""Helpers for class tests: a trainer with a class, clients in other time zones."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.models import ClassSession, Role
from bot.services import classes, users
from tests.harness import onboard

# The fixtures' clock starts on Friday 27 November 2026, 09:00 UTC (10:00 in Berlin).
MONDAY = dt.date(2026, 11, 30)


@pytest.fixture
def trainer(tg, bot, db, admin_id):
    """A factory: an onboarded trainer (Europe/Berlin) with the trainer role."""

    async def make(first_name: str = "Tess", **profile):
        person = tg.user(first_name, language_code="en", **profile)
        await onboard(person, zone="Berlin")
        async with db.transaction() as session:
            user = await users.get_user(session, person.id)
            user.role = Role.TRAINER
        return person

    return make


@pytest.fixture
def client(tg, bot):
    """A factory: an onboarded client in the given zone (a button label, e.g. "London")."""

    async def make(first_name: str = "Cara", zone: str = "London", **profile):
        person = tg.user(first_name, **profile)
        await onboard(person, zone=zone)
        return person

    return make


async def add_series(db, clock, trainer_id: int, **changes) -> int:
    """A weekly Mon/Thu 18:00 Berlin class created through the service (not the flow)."""
    values = {
        "title": "Back care",
        "location": "Studio 2",
        "timezone": "Europe/Berlin",
        "start_time": dt.time(18, 0),
        "duration_minutes": 60,
        "capacity": 10,
        "first_date": MONDAY,
        "weekdays": (0, 3),
    }
    values.update(changes)
    async with db.transaction() as session:
        trainer = await users.get_user(session, trainer_id)
        series = await classes.create_series(
            session, trainer, classes.SeriesSpec(**values), now=clock.now()
        )
        return series.id


async def sessions_of(db, series_id: int) -> list[ClassSession]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(ClassSession)
            .where(ClassSession.series_id == series_id)
            .order_by(ClassSession.starts_at)
        )
        return list(rows)
