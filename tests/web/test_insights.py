"""The insights in the Mini App as trainers and admins read them, and every refusal: a
client on each insights URL, a trainer on another trainer's class or client, a client who
does not share check-ins (no health numbers anywhere in the answer)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.models import Attendance, CheckIn, ClassSession, Role, TipDelivery, TipFeedback, User
from bot.services import bookings
from bot.services.tip_library import shipped_library
from tests.web.conftest import add_user, sign_in

# Thursday 24 December 2026, 12:00 UTC: four Mondays (30 Nov to 21 Dec) are past.
LATER = dt.datetime(2026, 12, 24, 12, 0, tzinfo=dt.UTC)
SECRET = "knee flared up after the stairs"


@pytest.fixture
async def history(db, clock, people):
    """Cara came to Tess's class every Monday (30 Nov to 21 Dec); Bea waited on the 30th
    and came on Thursday 3 December only. The clock is then on 24 December."""
    async with db.reading() as session:
        found = list(
            await session.scalars(
                select(ClassSession)
                .where(ClassSession.series_id == people["series"])
                .order_by(ClassSession.starts_at)
            )
        )
    by_day = {s.local_date: s for s in found}
    plan = [(people["cara"], dt.date(2026, 11, 30) + dt.timedelta(weeks=n)) for n in range(4)]
    plan += [(people["bea"], dt.date(2026, 11, 30)), (people["bea"], dt.date(2026, 12, 3))]
    async with db.transaction() as session:
        tess = await session.get(User, people["tess"])
        for user_id, day in plan:
            client = await session.get(User, user_id)
            result = await bookings.book(session, client, by_day[day].id, now=clock.now())
            if result.status == "confirmed":
                start = by_day[day].starts_at
                await bookings.mark_attendance(
                    session, tess, result.booking.id, Attendance.ATTENDED, now=start
                )
    clock.set(LATER)
    return people


async def add_checkins(db, user_id: int, *, shares: bool) -> None:
    async with db.transaction() as session:
        user = await session.get(User, user_id)
        user.wellbeing_consent = True
        user.trainer_sees_checkins = shares
        user.username = f"{user.first_name.lower()}_moves" if shares else None
        for n, (mood, energy, pain) in enumerate([(4, 4, 3), (3, 3, 5), (2, 2, 9)]):
            day = dt.date(2026, 12, 7) + dt.timedelta(weeks=n)
            session.add(
                CheckIn(
                    user_id=user_id,
                    day=day,
                    mood=mood,
                    energy=energy,
                    pain=pain,
                    note=SECRET,
                    prompt="weekly",
                    created_at=LATER,
                    updated_at=LATER,
                )
            )


async def test_the_class_page_shows_attendance_fill_retention_and_clients_at_risk(
    web, history, clock
):
    await sign_in(web, clock, history["tess"])
    answer = await web.get(f"/app/trainer/classes/{history['series']}")
    assert answer.status_code == 200
    text = answer.text
    assert f'src="/app/trainer/classes/{history["series"]}/attendance.svg"' in text
    # Week of 30 Nov: Cara booked and came (Bea waited): one of one marks.
    assert "Mon 30 Nov" in text and "100%" in text
    # Past sessions: 30 Nov to 21 Dec (Thursday 24th starts at 17:00 UTC), one place each.
    assert "<strong>71%</strong> of places booked (5 of 7 over 7 past sessions)" in text
    assert "Waitlist demand: 1 person waited (0.1 per session); 0 of them got a place" in text
    assert "1 client came in each of the last four weeks" in text
    retained = text.split("Retention")[1].split("Clients at risk")[0]
    assert "Cara" in retained and "Bea" not in retained
    at_risk = text.split("Clients at risk")[1]
    assert "Bea" in at_risk and "Last class: Thu 3 Dec" in at_risk
    assert f'href="tg://user?id={history["bea"]}"' in at_risk  # no username
    assert f'href="/app/trainer/clients/{history["bea"]}"' in at_risk
    assert "Cara" not in at_risk.split("Next sessions")[0]
    chart = await web.get(f"/app/trainer/classes/{history['series']}/attendance.svg")
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in chart.text
    assert "script" not in chart.headers["content-security-policy"]


async def test_a_sharing_clients_trends_show_their_numbers_note_and_care_flags(
    web, db, history, clock
):
    await add_checkins(db, history["cara"], shares=True)
    await sign_in(web, clock, history["tess"])
    answer = await web.get(f"/app/trainer/clients/{history['cara']}")
    assert answer.status_code == 200
    assert SECRET in answer.text
    assert "mood 2/5, energy 2/5, pain 9/10" in answer.text
    assert "Care flags:" in answer.text and "pain 9/10" in answer.text
    assert 'href="https://t.me/cara_moves"' in answer.text  # her username
    chart = await web.get(f"/app/trainer/clients/{history['cara']}/trends.svg")
    assert chart.status_code == 200 and "<svg" in chart.text
    # The roster of a session links each person to this page.
    async with db.reading() as session:
        first = await session.get(ClassSession, history["session"])
    roster = await web.get(f"/app/trainer/sessions/{first.id}")
    assert f'href="/app/trainer/clients/{history["cara"]}"' in roster.text


async def test_a_client_who_does_not_share_appears_without_any_health_data(web, db, history, clock):
    await add_checkins(db, history["bea"], shares=False)
    await sign_in(web, clock, history["tess"])
    answer = await web.get(f"/app/trainer/clients/{history['bea']}")
    assert answer.status_code == 200
    assert "Bea does not share check-ins with trainers." in answer.text
    for number in (SECRET, "/5", "/10", "Care flags", "trends.svg"):
        assert number not in answer.text
    chart = await web.get(f"/app/trainer/clients/{history['bea']}/trends.svg")
    assert chart.status_code == 404
    assert "<svg" not in chart.text


async def test_a_client_is_refused_on_every_insights_url(web, db, history, clock):
    await add_checkins(db, history["cara"], shares=True)
    await sign_in(web, clock, history["bea"])
    series, cara = history["series"], history["cara"]
    for url in (
        f"/app/trainer/classes/{series}",
        f"/app/trainer/classes/{series}/attendance.svg",
        f"/app/trainer/clients/{cara}",
        f"/app/trainer/clients/{cara}/trends.svg",
        f"/app/trainer/clients/{history['bea']}",
        "/app/trainer/tips",
        "/app/admin",
    ):
        answer = await web.get(url)
        assert answer.status_code == 403, url
        assert SECRET not in answer.text and "<svg" not in answer.text, url


async def test_another_trainer_is_refused_the_class_and_its_clients(web, db, history, clock):
    await add_checkins(db, history["cara"], shares=True)
    otto = await add_user(db, clock, 7008, "Otto", Role.TRAINER)
    await sign_in(web, clock, otto)
    series, cara = history["series"], history["cara"]
    for url in (f"/app/trainer/classes/{series}", f"/app/trainer/classes/{series}/attendance.svg"):
        answer = await web.get(url)
        assert answer.status_code == 403, url
        assert "another trainer&#39;s class" in answer.text
    for url in (f"/app/trainer/clients/{cara}", f"/app/trainer/clients/{cara}/trends.svg"):
        answer = await web.get(url)
        assert answer.status_code == 404, url
        assert SECRET not in answer.text and "<svg" not in answer.text
    assert (await web.get("/app/admin")).status_code == 403


async def test_an_admin_sees_every_class_the_totals_and_any_sharing_client(web, db, history, clock):
    await add_checkins(db, history["cara"], shares=True)
    ada = await add_user(db, clock, 7009, "Ada", Role.ADMIN)
    await sign_in(web, clock, ada)
    overview = await web.get("/app/admin")
    assert overview.status_code == 200
    text = overview.text
    assert "Tess" in text and "Back care" in text
    assert "<th>Clients</th><td>2</td>" in text
    assert "<th>Active (a class in the last 28 days)</th><td>2</td>" in text
    # The week of Monday 21 December: the 21st and the 24th.
    assert "<th>Sessions this week</th><td>2</td>" in text
    assert "100%" in text and "(5 of 5 marks)" in text
    page = await web.get(f"/app/trainer/classes/{history['series']}")
    assert page.status_code == 200 and "Clients at risk" in page.text
    trends = await web.get(f"/app/trainer/clients/{history['cara']}")
    assert trends.status_code == 200 and SECRET in trends.text


async def test_tip_statistics_count_what_reached_the_trainers_clients(web, db, history, clock):
    tip = shipped_library().tips[0]
    async with db.transaction() as session:
        session.add(
            TipDelivery(
                user_id=history["cara"],
                tip_id=tip.id,
                category=tip.category,
                slot="2026-12-20",
                reason="scheduled",
                cycle=0,
                sent_at=LATER,
            )
        )
        session.add(
            TipFeedback(
                user_id=history["cara"],
                tip_id=tip.id,
                category=tip.category,
                helpful=True,
                answered_at=LATER,
            )
        )
    await sign_in(web, clock, history["tess"])
    answer = await web.get("/app/trainer/tips")
    assert answer.status_code == 200
    assert "Tips among your clients" in answer.text
    sent = answer.text.split("Tips sent")[1]
    assert "<td>1</td><td>1</td><td>0</td>" in sent
    classes = await web.get("/app/trainer/classes")
    assert 'href="/app/trainer/tips"' in classes.text
    assert 'href="/app/admin"' not in classes.text
