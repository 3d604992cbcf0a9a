"""Without PUBLIC_BASE_URL the chat is as it was: no Subscribe button under /calendar, no
Mini App buttons, no menu button (tests/classes/test_calendar_feeds.py has them with it)."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import CalendarFeed
from tests.classes.conftest import add_series, sessions_of
from tests.harness import book


async def test_without_a_public_url_the_chat_is_as_before(trainer, client, tg, db, clock):
    tess = await trainer()
    found = await sessions_of(db, await add_series(db, clock, tess.id))
    ann = await client("Ann")
    await ann.send("/calendar")
    assert (await ann.expect("nothing to export")).buttons == []
    await book(ann, found[0].id)
    await ann.send("/calendar")
    sent = await ann.expect("🗓 1 session.")
    assert sent.buttons == []
    # A Subscribe button from when the bot had PUBLIC_BASE_URL makes no link now.
    query = await ann.press_data(sent, "cal:sub")
    answer = await ann.answer(query)
    assert answer["show_alert"] and "not available" in answer["text"]
    async with db.reading() as session:
        assert list(await session.scalars(select(CalendarFeed))) == []
    await ann.send("/classes")
    assert not [b for b in (await ann.expect("Classes")).buttons if "web_app" in b]
    await tess.send("/myclasses")
    assert not [b for b in (await tess.expect("Your classes")).buttons if "web_app" in b]
    assert await tg.menu_buttons() == {}
    assert await tg.calls("setChatMenuButton") == []
