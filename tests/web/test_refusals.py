"""Every way the Mini App refuses, each leaving the database as it was: bad or old init
data, a client on trainer pages, somebody else's booking, a cross-site or token-less POST,
a used or expired sign-in link."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import User
from bot.services import bookings, signin
from tests.web.conftest import init_data, sign_in, snapshot

REOPEN = "Please reopen the app from the chat"


async def test_init_data_with_a_bad_signature_is_refused(web, people, clock):
    forged = init_data(
        people["tess"], clock.now(), token="123456789:AAOtherBotsTokenxxxxxxxxxxxxxxxxxx"
    )
    answer = await web.get("/app", params={"tgWebAppData": forged})
    assert answer.status_code == 401
    assert REOPEN in answer.text
    assert "miniapp" not in answer.cookies
    # Tampering with a correctly signed string (another user id) breaks the signature too.
    genuine = init_data(people["cara"], clock.now())
    tampered = genuine.replace(str(people["cara"]), str(people["tess"]))
    answer = await web.post(
        "/app/session", data={"initData": tampered}, headers={"Origin": "http://127.0.0.1:8443"}
    )
    assert answer.status_code == 401
    assert (await web.get("/app/trainer/week")).status_code == 401


async def test_init_data_older_than_the_maximum_age_is_refused(web, people, clock):
    old = init_data(people["tess"], clock.now() - dt.timedelta(seconds=3601))
    answer = await web.get("/app", params={"tgWebAppData": old})
    assert answer.status_code == 401
    assert REOPEN in answer.text
    fresh = init_data(people["tess"], clock.now() - dt.timedelta(seconds=3500))
    assert (await web.get("/app", params={"tgWebAppData": fresh})).status_code == 200


async def test_signed_in_trainer_gets_a_strict_http_only_cookie_and_the_week(web, people, clock):
    answer = await web.get("/app", params={"tgWebAppData": init_data(people["tess"], clock.now())})
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Max-Age=43200" in cookie
    week = await web.get("/app/home", follow_redirects=True)
    assert week.url.path == "/app/trainer/week"
    assert "Your week" in week.text
    assert "Friday 27 November" in week.text
    # The class starts on Monday: next week.
    following = await web.get("/app/trainer/week", params={"start": "2026-11-30"})
    assert "Back care" in following.text
    assert "0/1" in following.text


async def test_a_client_is_refused_on_every_trainer_url(web, db, people, clock):
    await sign_in(web, clock, people["cara"])
    csrf = (await web.get("/app/bookings")).text.split('name="csrf-token" content="')[1][:64]
    before = await snapshot(db)
    session_id, series_id = people["session"], people["series"]
    for url in (
        "/app/trainer/week",
        "/app/trainer/classes",
        f"/app/trainer/classes/{series_id}",
        f"/app/trainer/sessions/{session_id}",
    ):
        answer = await web.get(url)
        assert answer.status_code == 403, url
        assert "only" in answer.text.lower() or "trainers" in answer.text
    origin = {"Origin": "http://127.0.0.1:8443"}
    for url, form in (
        (f"/app/trainer/sessions/{session_id}/attendance", {"mark": "1:attended"}),
        (f"/app/trainer/sessions/{session_id}/cancel", {"confirm": "yes", "reason": "x"}),
        (f"/app/trainer/sessions/{session_id}/capacity", {"capacity": "30"}),
    ):
        answer = await web.post(url, data={"csrf": csrf, **form}, headers=origin)
        assert answer.status_code == 403, url
    assert await snapshot(db) == before


async def test_another_clients_booking_cannot_be_cancelled(web, db, people, clock):
    async with db.transaction() as session:
        bea = await session.get(User, people["bea"])
        theirs = (await bookings.book(session, bea, people["session"], now=clock.now())).booking.id
    csrf = await sign_in(web, clock, people["cara"])
    before = await snapshot(db)
    origin = {"Origin": "http://127.0.0.1:8443"}
    answer = await web.post(f"/app/bookings/{theirs}/cancel", data={"csrf": csrf}, headers=origin)
    assert answer.status_code == 403
    assert "not yours" in answer.text
    assert (await web.get(f"/app/bookings/{theirs}/cancel")).status_code == 403
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("headers", "with_token"),
    [
        ({"Origin": "https://evil.example"}, True),  # another site, even holding the token
        ({"Referer": "https://evil.example/page"}, True),  # no Origin, a foreign Referer
        ({}, True),  # neither: refused
        ({"Origin": "http://127.0.0.1:8443"}, False),  # this site, without the token
    ],
)
async def test_cross_site_or_token_less_posts_change_nothing(
    web, db, people, clock, headers, with_token
):
    csrf = await sign_in(web, clock, people["cara"])
    before = await snapshot(db)
    data = {"csrf": csrf} if with_token else {}
    answer = await web.post(f"/app/classes/{people['session']}/book", data=data, headers=headers)
    assert answer.status_code == 403
    assert "did not come from the app" in answer.text
    assert await snapshot(db) == before
    # The same POST from this site with the token books.
    answer = await web.post(
        f"/app/classes/{people['session']}/book",
        data={"csrf": csrf},
        headers={"Origin": "http://127.0.0.1:8443"},
    )
    assert answer.status_code == 303


async def test_a_sign_in_link_works_once_and_for_ten_minutes(web, db, people, clock):
    async with db.transaction() as session:
        token = await signin.create_link(session, people["tess"], now=clock.now())
        stale = await signin.create_link(session, people["tess"], now=clock.now())
    answer = await web.get(f"/app/link/{token}")
    assert answer.status_code == 200
    assert "miniapp" in answer.cookies
    web.cookies.clear()
    again = await web.get(f"/app/link/{token}")
    assert again.status_code == 401
    assert "works once, for 10 minutes" in again.text
    assert "miniapp" not in again.cookies
    clock.advance(dt.timedelta(minutes=10, seconds=1))
    before = await snapshot(db)
    assert (await web.get(f"/app/link/{stale}")).status_code == 401
    assert (await web.get("/app/link/not-a-token")).status_code == 401
    assert await snapshot(db) == before


async def test_every_response_carries_the_security_headers(web, people, clock):
    for answer in (
        await web.get("/app"),
        await web.get("/app/static/app.css"),
        await web.get("/healthz"),
        await web.get("/app", params={"tgWebAppData": "hash=0"}),
    ):
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self' https://telegram.org;" in policy
        assert "'unsafe-inline'" not in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
