"""What the Mini App's pages do, through the chat's services: the same rules, the same
notices queued for the chat, admins seeing every trainer's classes."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from bot.context import Deps
from bot.models import Booking, BookingState, ClassSession, OutboxMessage, Role, User
from bot.services import bookings, checkins, classes
from tests.harness import test_settings as settings_for
from tests.web.conftest import BASE, add_user, init_data, sign_in, snapshot
from web.app import create_app
from web.context import WebContext

SITE = {"Origin": BASE}


async def _book(db, clock, user_id: int, session_id: int) -> int:
    async with db.transaction() as session:
        person = await session.get(User, user_id)
        return (await bookings.book(session, person, session_id, now=clock.now())).booking.id


async def _queued(db) -> list[tuple[int, str]]:
    async with db.reading() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.template).order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]


async def test_more_places_promote_the_waitlist_and_tell_them_in_the_chat(web, db, people, clock):
    await _book(db, clock, people["cara"], people["session"])
    await _book(db, clock, people["bea"], people["session"])  # capacity 1: Bea waits
    csrf = await sign_in(web, clock, people["tess"])
    page = await web.get(f"/app/trainer/sessions/{people['session']}")
    assert "Waitlist" in page.text and "Bea" in page.text

    answer = await web.post(
        f"/app/trainer/sessions/{people['session']}/capacity",
        data={"csrf": csrf, "capacity": "2"},
        headers=SITE,
    )
    assert answer.status_code == 303
    page = await web.get(answer.headers["location"])
    assert "people from the waitlist got places and are told" in page.text
    assert "2 of 2 places booked" in page.text
    assert (people["bea"], "promoted") in await _queued(db)

    # Fewer places than people booked is refused with the chat's reason; nothing changes.
    before = await snapshot(db)
    answer = await web.post(
        f"/app/trainer/sessions/{people['session']}/capacity",
        data={"csrf": csrf, "capacity": "1"},
        headers={**SITE, "Referer": f"{BASE}/app/trainer/sessions/{people['session']}"},
    )
    assert answer.status_code == 400
    assert "Already booked: 2, so the capacity can&#39;t go below 2." in answer.text
    assert f'href="/app/trainer/sessions/{people["session"]}"' in answer.text  # back to it
    assert await snapshot(db) == before


async def test_cancelling_a_session_asks_first_then_tells_everyone(web, db, people, clock):
    await _book(db, clock, people["cara"], people["session"])
    await _book(db, clock, people["bea"], people["session"])
    csrf = await sign_in(web, clock, people["tess"])
    url = f"/app/trainer/sessions/{people['session']}/cancel"
    before = await snapshot(db)
    question = await web.post(url, data={"csrf": csrf, "reason": "Studio flooded"}, headers=SITE)
    assert question.status_code == 200
    assert "2 people will be told in the chat." in question.text
    assert "Studio flooded" in question.text
    assert await snapshot(db) == before  # asking changes nothing

    done = await web.post(
        url, data={"csrf": csrf, "reason": "Studio flooded", "confirm": "yes"}, headers=SITE
    )
    assert done.status_code == 303
    page = await web.get(done.headers["location"])
    assert "The session is cancelled" in page.text
    async with db.reading() as session:
        cancelled = await session.get(ClassSession, people["session"])
        assert cancelled.cancel_reason == "Studio flooded"
    told = {chat for chat, template in await _queued(db) if template == "session_cancelled"}
    assert told == {people["cara"], people["bea"]}


async def test_a_trainer_cannot_touch_another_trainers_session_but_an_admin_sees_all(
    web, db, people, clock
):
    tom = await add_user(db, clock, 7010, "Tom", Role.TRAINER)
    csrf = await sign_in(web, clock, tom)
    before = await snapshot(db)
    assert (await web.get(f"/app/trainer/sessions/{people['session']}")).status_code == 403
    assert (await web.get(f"/app/trainer/classes/{people['series']}")).status_code == 403
    answer = await web.post(
        f"/app/trainer/sessions/{people['session']}/capacity",
        data={"csrf": csrf, "capacity": "9"},
        headers=SITE,
    )
    assert answer.status_code == 403
    assert await snapshot(db) == before
    week = await web.get("/app/trainer/week", params={"start": "2026-11-30"})
    assert "Back care" not in week.text

    web.cookies.clear()
    ada = await add_user(db, clock, 7011, "Ada", Role.ADMIN)
    await sign_in(web, clock, ada)
    week = await web.get("/app/trainer/week", params={"start": "2026-11-30"})
    assert "Back care" in week.text and "Tess" in week.text
    assert (await web.get(f"/app/trainer/sessions/{people['session']}")).status_code == 200
    assert "Back care" in (await web.get("/app/trainer/classes")).text
    page = await web.get(f"/app/trainer/classes/{people['series']}")
    assert "Mon, Thu 18:00 (Europe/Berlin) · 1 h" in page.text
    assert page.text.count('class="line') == 4  # the next two weeks' sessions
    assert "Monday 30 November" in page.text


async def test_a_late_cancel_is_announced_and_recorded(web, db, people, clock):
    booking_id = await _book(db, clock, people["cara"], people["session"])
    async with db.reading() as session:
        starts = (await session.get(ClassSession, people["session"])).starts_at
    clock.set(starts - dt.timedelta(minutes=90))  # inside the class's 2-hour window
    csrf = await sign_in(web, clock, people["cara"])
    question = await web.get(f"/app/bookings/{booking_id}/cancel")
    assert "this counts as a late cancel" in question.text
    done = await web.post(f"/app/bookings/{booking_id}/cancel", data={"csrf": csrf}, headers=SITE)
    page = await web.get(done.headers["location"])
    assert "recorded as a late cancel" in page.text
    async with db.reading() as session:
        booking = await session.get(Booking, booking_id)
        assert booking.state == BookingState.CANCELLED
        assert booking.late_cancel


async def test_the_timetable_is_in_the_clients_zone_and_filters_by_class(web, db, people, clock):
    async with db.transaction() as session:
        tess = await session.get(User, people["tess"])
        await classes.create_series(
            session,
            tess,
            classes.SeriesSpec(
                title="Gentle yoga",
                location="Hall",
                timezone="Europe/Berlin",
                start_time=dt.time(9, 0),
                duration_minutes=45,
                capacity=8,
                first_date=dt.date(2026, 12, 2),
                weekdays=(2,),
            ),
            now=clock.now(),
        )
    await sign_in(web, clock, people["cara"])
    page = await web.get("/app/classes")
    assert "Times in Europe/London." in page.text
    assert "Gentle yoga" in page.text and "Back care" in page.text
    assert "17:00" in page.text  # 18:00 in Berlin
    filtered = await web.get("/app/classes", params={"series": str(people["series"])})
    assert "Back care" in filtered.text
    assert filtered.text.count('class="line') == 4
    assert "Hall" not in filtered.text


async def test_progress_shows_the_summary_and_only_the_readers_own_chart(web, db, people, clock):
    async with db.transaction() as session:
        cara = await session.get(User, people["cara"])
        cara.wellbeing_consent = True
        for days, pain in ((3, 6), (0, 4)):
            await checkins.save(
                session,
                cara,
                mood=4,
                energy=3,
                pain=pain,
                note=None,
                prompt="self",
                now=clock.now() - dt.timedelta(days=days),
            )
    await sign_in(web, clock, people["cara"])
    page = await web.get("/app/progress")
    assert "pain down from 6 to 4" in page.text
    assert 'src="/app/progress.png"' in page.text
    chart = await web.get("/app/progress.png")
    assert chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    assert "no-store" in chart.headers["cache-control"]

    web.cookies.clear()
    await sign_in(web, clock, people["bea"])  # no check-ins: no chart, nobody else's
    page = await web.get("/app/progress")
    assert "After two or more check-ins" in page.text
    assert "pain" not in page.text.split("After two")[0]


async def test_someone_who_never_started_the_bot_is_asked_to(web, people, clock):
    answer = await web.get("/app", params={"tgWebAppData": init_data(999, clock.now())})
    assert answer.status_code == 403
    assert "Send /start in the bot's private chat" in answer.text.replace("&#39;", "'")
    assert "miniapp" not in answer.cookies


async def test_a_class_that_screens_sends_the_client_to_the_chat_first(web, db, people, clock):
    from bot.models import ClassSeries

    async with db.transaction() as session:
        (await session.get(ClassSeries, people["series"])).requires_screening = True
    csrf = await sign_in(web, clock, people["cara"])
    before = await snapshot(db)
    answer = await web.post(
        f"/app/classes/{people['session']}/book", data={"csrf": csrf}, headers=SITE
    )
    assert answer.status_code == 400
    assert "asks a few health questions before the first booking" in answer.text
    assert "/classes" in answer.text
    assert await snapshot(db) == before


async def _no_problems() -> list[str]:
    return []


async def test_behind_https_the_cookie_also_reaches_telegram_webs_frame(
    database_url, db, people, clock
):
    """Telegram Web frames the app (web.telegram.org is another site): behind https the
    session cookie is SameSite=None, Secure and Partitioned, and the app works from it."""
    settings = settings_for(
        "http://127.0.0.1:9", database_url, public_base_url="https://bot.example.org"
    )
    deps = Deps(settings=settings, db=db, clock=clock, library=None)  # type: ignore[arg-type]
    app = create_app(WebContext(deps=deps, intake=None, readiness=_no_problems))  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://bot.example.org") as client:
        answer = await client.get(
            "/app", params={"tgWebAppData": init_data(people["tess"], clock.now())}
        )
        cookie = answer.headers["set-cookie"]
        for attribute in ("HttpOnly", "Secure", "Partitioned", "Max-Age=43200", "Path=/app"):
            assert attribute in cookie
        assert "samesite=none" in cookie.lower()
        week = await client.get("/app/home", follow_redirects=True)
        assert week.url.path == "/app/trainer/week"
        frame = answer.headers["content-security-policy"]
        assert "frame-ancestors 'self' https://web.telegram.org" in frame
