"""Calendar feeds and the Mini App's entry points in the chat, with PUBLIC_BASE_URL set (and
without it): a person subscribes under /calendar, their calendar app fetches the feed over
HTTP, and what the trainer changes shows up in it; the menu button and the app buttons."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.models import CalendarFeed, Role
from bot.services import users
from tests import harness
from tests.classes.conftest import add_series, sessions_of
from tests.harness import book, eventually, onboard

BASE = "https://bot.example.org"
APP = f"{BASE}/app"
FEED_URL = re.compile(r"https://bot\.example\.org(/calendar/[A-Za-z0-9_-]{43}\.ics)")


@pytest.fixture
def bot_settings(tg, database_url, admin_id):
    """The bot with PUBLIC_BASE_URL set and its web server on a free port."""
    return harness.test_settings(
        tg.api_url, database_url, admin_ids=frozenset({admin_id}), web_port=0, public_base_url=BASE
    )


@pytest.fixture
async def web(bot):
    """An HTTP client for the bot's web server (what a calendar app is)."""
    port = bot.bot_data["runtime"].web_port
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield client


async def subscribe(person) -> str:
    """`person` sends /calendar and presses Subscribe; returns the feed's path."""
    await person.send("/calendar")
    sent = await person.expect()
    assert sent.button_texts == ["📅 Subscribe", "Reset link"]
    await person.press(sent, "Subscribe")
    link = await person.expect("calendar link")
    found = FEED_URL.search(link.text)
    assert found, link.text
    path = found.group(1)
    assert f"webcal://bot.example.org{path}" in link.text
    assert "iPhone" in link.text
    return path


def events_of(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


async def test_a_client_subscribes_and_the_feed_follows_the_trainer_s_changes(
    trainer, client, db, clock, web, caplog
):
    caplog.set_level(logging.DEBUG)
    tess = await trainer()
    found = await sessions_of(db, await add_series(db, clock, tess.id))
    ann = await client("Ann")
    await book(ann, found[0].id)
    await book(ann, found[1].id)

    path = await subscribe(ann)
    response = await web.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=300"
    events = events_of(response.content)
    assert [str(e["summary"]) for e in events] == ["Back care", "Back care"]
    assert events[0]["dtstart"].dt == found[0].starts_at
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CONFIRMED"]
    uids = [str(e["uid"]) for e in events]

    # The trainer cancels Thursday: the same URL now shows it cancelled, with the same UID.
    await tess.send("/myclasses")
    await tess.press_data(await tess.expect("Your classes"), f"tc:cxy:{found[1].id}")
    await tess.expect("Cancelled.")
    await ann.expect("is cancelled.")
    events = events_of((await web.get(path)).content)
    assert [str(e["uid"]) for e in events] == uids
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CANCELLED"]

    # Subscribing again does not show the link again (only its hash is kept) nor change it.
    await ann.send("/calendar")
    await ann.press(await ann.expect("🗓 2 sessions."), "Subscribe")
    again = await ann.expect("You already have a calendar link")
    assert not FEED_URL.search(again.text)
    assert (await web.get(path)).status_code == 200

    # Reset: asked first; keeping the link changes nothing.
    await ann.press(again, "Reset link")
    await ann.press(await ann.expect("Make a new calendar link?"), "Keep my link")
    await ann.expect_edit("stays as it is")
    assert (await web.get(path)).status_code == 200
    await ann.press(again, "Reset link")
    await ann.press(await ann.expect("Make a new calendar link?"), "Yes, make a new link")
    renewed = await ann.expect_edit("Here is your new link.")
    new_path = FEED_URL.search(renewed.text).group(1)
    assert new_path != path
    gone = await web.get(path)
    assert gone.status_code == 404
    assert "calendar" not in gone.text.lower()
    assert [str(e["uid"]) for e in events_of((await web.get(new_path)).content)] == uids

    # The token is a credential: not stored, not logged.
    token = new_path.removeprefix("/calendar/").removesuffix(".ics")
    async with db.reading() as session:
        stored = await session.scalar(select(CalendarFeed.token_hash))
    assert stored is not None and token not in stored
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in logged and path not in logged


async def test_unknown_tokens_and_deleted_accounts_get_404(client, web):
    assert (await web.get("/calendar/" + "A" * 43 + ".ics")).status_code == 404
    assert (await web.get("/calendar/short.ics")).status_code == 404
    ann = await client("Ann")
    path = await subscribe(ann)
    assert (await web.get(path)).status_code == 200

    await ann.send("/privacy")
    await ann.press(await ann.expect("Your data"), "Delete my account")
    await ann.press(await ann.expect_edit("Delete your account?"), "Yes, delete everything")
    await ann.expect_edit("Your account is deleted.")
    assert (await web.get(path)).status_code == 404


async def test_reset_link_before_any_subscription_just_gives_the_link(client, web):
    ben = await client("Ben")
    await ben.send("/calendar")
    await ben.press(await ben.expect("nothing to export"), "Reset link")
    link = await ben.expect("Your calendar link")
    assert "Make a new calendar link?" not in link.text
    feed = await web.get(FEED_URL.search(link.text).group(1))
    assert feed.status_code == 200 and events_of(feed.content) == []


async def test_a_trainer_s_feed_is_their_teaching_in_their_language(tg, db, clock, web):
    tess = tg.user("Tess", language_code="es")
    await onboard(tess, zone="Berlin")
    async with db.transaction() as session:
        (await users.get_user(session, tess.id)).role = Role.TRAINER
    series_id = await add_series(db, clock, tess.id)
    path = await subscribe_in_spanish(tess)
    body = (await web.get(path)).content
    assert str(Calendar.from_ical(body)["x-wr-calname"]) == "Mis sesiones como terapeuta"
    events = events_of(body)
    assert len(events) == len(await sessions_of(db, series_id)) == 16
    assert {str(e["summary"]) for e in events} == {"Back care"}


async def subscribe_in_spanish(person) -> str:
    await person.send("/calendar")
    sent = await person.expect()
    await person.press(sent, sent.button_texts[0])
    link = await person.expect()
    found = FEED_URL.search(link.text)
    assert found, link.text
    return found.group(1)


async def test_the_menu_button_and_the_app_buttons(tg, client, admin_id, db, clock):
    ann = await client("Ann")
    menus = await tg.menu_buttons()
    assert menus[str(ann.id)] == {"type": "web_app", "text": "Timetable", "web_app": {"url": APP}}

    # /start re-sets it (for people who onboarded before the bot had a Mini App).
    before = len(await tg.calls("setChatMenuButton"))
    await ann.send("/start")
    await ann.expect("/help")

    async def set_again() -> bool:
        return len(await tg.calls("setChatMenuButton")) == before + 1

    await eventually(set_again, message="/start did not set the menu button again")

    await ann.send("/classes")
    listing = await ann.expect()
    assert listing.buttons[-1] == {"text": "🗓 Open timetable", "web_app": {"url": APP}}

    # An admin makes Ann a trainer: her menu button becomes the dashboard.
    admin = tg.user("Ada", id=admin_id)
    await onboard(admin)
    assert (await tg.menu_buttons())[str(admin_id)]["text"] == "Dashboard"
    await admin.send(f"/trainer add {ann.id}")
    await admin.expect("is now a trainer")
    await ann.expect("You're now a trainer")
    menus = await tg.menu_buttons()
    assert menus[str(ann.id)] == {"type": "web_app", "text": "Dashboard", "web_app": {"url": APP}}
    await ann.send("/myclasses")
    overview = await ann.expect("You have no classes yet.")
    assert overview.buttons == [{"text": "📊 Dashboard", "web_app": {"url": APP}}]

    await admin.send(f"/trainer remove {ann.id}")
    await admin.expect("is no longer a trainer")
    assert (await tg.menu_buttons())[str(ann.id)]["text"] == "Timetable"
