"""The Mini App served in this process (httpx over ASGI, no bot running): a trainer, two
clients, a class, and helpers to sign in and to see that a refusal changed nothing."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
from sqlalchemy import func, select

from bot.context import Deps
from bot.models import Booking, ClassSession, OnboardingStep, OutboxMessage, Role, SignInLink, User
from bot.services import classes, signin
from tests.harness import TEST_TOKEN, test_settings
from web.app import create_app
from web.context import WebContext

BASE = "http://127.0.0.1:8443"
MONDAY = dt.date(2026, 11, 30)


async def _ready() -> list[str]:
    return []


@pytest.fixture
def settings(database_url):
    return test_settings("http://127.0.0.1:9", database_url, public_base_url=BASE)


@pytest.fixture
async def web(settings, db, clock):
    """An httpx client of the web application (PUBLIC_BASE_URL set, so the Mini App is on)."""
    deps = Deps(settings=settings, db=db, clock=clock, library=None)  # type: ignore[arg-type]
    app = create_app(WebContext(deps=deps, intake=None, readiness=_ready))  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def add_user(db, clock, user_id: int, name: str, role: Role = Role.CLIENT) -> int:
    async with db.transaction() as session:
        session.add(
            User(
                id=user_id,
                first_name=name,
                role=role,
                language="en",
                timezone="Europe/London",
                onboarding_step=OnboardingStep.DONE,
                wellbeing_consent=False,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    return user_id


@pytest.fixture
async def people(db, clock):
    """A trainer (Tess), two clients (Cara, Bea) and Tess's Mon/Thu 18:00 Berlin class."""
    tess = await add_user(db, clock, 7001, "Tess", Role.TRAINER)
    cara = await add_user(db, clock, 7002, "Cara")
    bea = await add_user(db, clock, 7003, "Bea")
    async with db.transaction() as session:
        trainer = await session.get(User, tess)
        series = await classes.create_series(
            session,
            trainer,
            classes.SeriesSpec(
                title="Back care",
                location="Studio 2",
                timezone="Europe/Berlin",
                start_time=dt.time(18, 0),
                duration_minutes=60,
                capacity=1,
                first_date=MONDAY,
                weekdays=(0, 3),
            ),
            now=clock.now(),
        )
        first = await session.scalar(
            select(ClassSession.id)
            .where(ClassSession.series_id == series.id)
            .order_by(ClassSession.starts_at)
            .limit(1)
        )
    return {"tess": tess, "cara": cara, "bea": bea, "series": series.id, "session": first}


def init_data(user_id: int, signed_at: dt.datetime, token: str = TEST_TOKEN) -> str:
    """Init data as Telegram signs it for `user_id` at `signed_at`."""
    return signin.sign_init_data(
        {
            "auth_date": str(int(signed_at.timestamp())),
            "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
            "user": json.dumps({"id": user_id, "first_name": "X"}),
        },
        token,
    )


async def sign_in(web: httpx.AsyncClient, clock, user_id: int) -> str:
    """Sign `user_id` in with fresh init data; returns the CSRF token of their session."""
    answer = await web.get("/app", params={"tgWebAppData": init_data(user_id, clock.now())})
    assert answer.status_code == 200, answer.text
    home = await web.get("/app/bookings")
    assert home.status_code == 200
    return csrf_of(home.text)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


async def snapshot(db) -> tuple:
    """Everything a Mini App action could change: bookings, sessions, queued messages."""
    async with db.reading() as session:
        booked = (
            await session.execute(
                select(Booking.id, Booking.user_id, Booking.state, Booking.attendance).order_by(
                    Booking.id
                )
            )
        ).all()
        sessions = (
            await session.execute(
                select(
                    ClassSession.id,
                    ClassSession.state,
                    ClassSession.capacity,
                    ClassSession.booked_count,
                ).order_by(ClassSession.id)
            )
        ).all()
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        links = (await session.execute(select(SignInLink.token_hash, SignInLink.used_at))).all()
    return booked, sessions, queued, links
