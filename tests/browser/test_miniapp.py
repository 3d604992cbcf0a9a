"""The Mini App in a real Chromium against the running bot: what a trainer and clients do in
the app shows in the chat, as if they had done it there."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from playwright.async_api import expect

from tests.browser.conftest import shoot, signed_init_data
from tests.classes.conftest import MONDAY, add_series, sessions_of
from tests.harness import book, onboard


async def _trainer(tg, db):
    from bot.models import Role
    from bot.services import users

    tess = tg.user("Tess", language_code="en")
    await onboard(tess, zone="Berlin")
    async with db.transaction() as session:
        (await users.get_user(session, tess.id)).role = Role.TRAINER
    return tess


async def _client(tg, name: str):
    person = tg.user(name, language_code="en")
    await onboard(person)
    return person


async def test_trainer_sees_the_week_marks_attendance_and_the_chat_roster_shows_it(
    tg, bot, db, clock, base_url, browser_context
):
    tess = await _trainer(tg, db)
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]  # Mon 30 Nov 18:00 Berlin
    cara, bea = await _client(tg, "Cara"), await _client(tg, "Bea")
    await book(cara, target.id)
    await book(bea, target.id)
    clock.set(target.starts_at - dt.timedelta(minutes=5))

    page = await browser_context.new_page()
    data = signed_init_data(tess.id, "Tess", clock.now())
    await page.goto(f"{base_url}/app?tgWebAppData={quote(data)}")
    await page.wait_for_url("**/app/trainer/week")
    await expect(page.locator("h1")).to_have_text("Your week")
    today = page.locator("section.today")
    await expect(today.locator("h2")).to_contain_text("Monday 30 November")
    await expect(today.locator(".line")).to_contain_text("Back care")
    await expect(today.locator(".line .count")).to_contain_text("2/10")
    await shoot(page, "trainer-week")
    await page.click("text=Next »")
    await expect(page.locator("section.day").first).to_contain_text("Monday 7 December")
    await page.click("text=« Previous")

    await page.locator("section.today .line").click()
    await expect(page.locator("h1")).to_have_text("Back care")
    cara_row = page.locator('li[data-person="Cara"]')
    await cara_row.locator('button[data-mark="attended"]').click()
    await expect(page.locator(".note")).to_have_text("Attendance saved.")
    await expect(cara_row.locator('button[data-mark="attended"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.locator('li[data-person="Bea"] button[data-mark="no_show"]').click()
    await expect(page.locator(".note")).to_have_text("Attendance saved.")
    await shoot(page, "trainer-session")

    # Cancelling asks first; keeping the session changes nothing.
    await page.fill("textarea[name=reason]", "Studio flooded")
    await page.click("text=Cancel this session…")
    await expect(page.locator("h1")).to_contain_text("Cancel Back care on Mon 30 Nov")
    await expect(page.locator("blockquote")).to_have_text("Studio flooded")
    await shoot(page, "trainer-cancel")
    await page.click("text=Keep the session")
    await expect(page.locator(".pill")).to_contain_text("2 of 10 places booked")

    # The chat's roster shows the marks made in the app.
    await tess.send("/myclasses")
    await tess.press(await tess.expect("Your classes"), "Mon 30 Nov · 18:00 Back care")
    roster = await tess.expect_edit("Roster")
    assert "Cara (came 1 of 1) · ✅ attended" in roster.text
    assert "Bea (came 0 of 1) · ❌ no-show" in roster.text

    await page.click("text=About this class")
    await expect(page.locator(".figure")).to_contain_text("50%")
    # The insights: this week's rate in the table, and its chart drawn (SVG under the CSP).
    await expect(page.locator("#insights")).to_contain_text("Mon 30 Nov")
    chart = page.locator("#insights img.chart")
    await expect(chart).to_be_visible()
    assert await chart.evaluate("image => image.complete && image.naturalWidth > 0")
    await shoot(page, "trainer-class")
    await page.goto(f"{base_url}/app/trainer/classes")
    await shoot(page, "trainer-classes")

    # Init data that is too old: the page says to reopen the app from the chat.
    stale = signed_init_data(tess.id, "Tess", clock.now() - dt.timedelta(hours=2))
    refused = await browser_context.new_page()
    answer = await refused.goto(f"{base_url}/app?tgWebAppData={quote(stale)}")
    assert answer.status == 401
    await expect(refused.locator("h1")).to_have_text("Please reopen the app from the chat")
    await shoot(refused, "signin-refused")


async def test_client_books_in_the_app_and_gets_the_reminder_in_the_chat(
    tg, bot, db, clock, base_url, browser_context
):
    tess = await _trainer(tg, db)
    series_id = await add_series(db, clock, tess.id)
    await add_series(
        db,
        clock,
        tess.id,
        title="Gentle yoga",
        weekdays=(2,),
        capacity=1,
        first_date=MONDAY + dt.timedelta(days=2),
    )
    target = (await sessions_of(db, series_id))[0]
    ann = await _client(tg, "Ann")

    # As Telegram opens it: the init data in the fragment, sent on by the page's script.
    page = await browser_context.new_page()
    data = signed_init_data(ann.id, "Ann", clock.now())
    await page.goto(f"{base_url}/app#tgWebAppData={quote(data)}&tgWebAppVersion=8.0")
    await page.wait_for_url("**/app/classes")
    await expect(page.locator("h1")).to_have_text("Classes in the next 14 days")
    await expect(page.locator(".muted").first).to_contain_text("Europe/London")
    await shoot(page, "client-timetable")
    await page.select_option("select[name=series]", label="Back care")
    await page.click("text=Show")
    await expect(page.locator(".line")).to_have_count(4)
    await expect(page.locator(".line").first).to_contain_text("17:00")  # 18:00 Berlin

    await page.locator(".line").first.click()
    await expect(page.locator("h1")).to_have_text("Back care")
    await shoot(page, "client-session")
    await page.click("button:has-text('Book')")
    await expect(page.locator(".note")).to_contain_text("Booked!")
    await expect(page.locator("text=You're booked.")).to_be_visible()

    await page.click("nav >> text=My bookings")
    await expect(page.locator(".cards li")).to_contain_text("Back care")
    await shoot(page, "client-bookings")
    await page.click("nav >> text=Progress")
    await expect(page.locator("h1")).to_have_text("Your progress")
    await shoot(page, "client-progress")

    await ann.send("/mybookings")
    mine = await ann.expect("Your upcoming classes")
    assert "Mon 30 Nov · 17:00 – Back care, Studio 2" in mine.text

    clock.set(target.starts_at - dt.timedelta(hours=24) + dt.timedelta(seconds=5))
    await ann.expect("⏰ Reminder: Back care with Tess tomorrow at 17:00 (1 h).", timeout=10)
    assert MONDAY.isoformat() in target.starts_at.isoformat()


async def test_a_waitlisted_client_is_promoted_when_another_cancels_in_the_app(
    tg, bot, db, clock, base_url, browser_context
):
    tess = await _trainer(tg, db)
    series_id = await add_series(db, clock, tess.id, capacity=1)
    target = (await sessions_of(db, series_id))[0]
    cara, bea = await _client(tg, "Cara"), await _client(tg, "Bea")
    await book(cara, target.id)
    await book(bea, target.id)  # full: Bea is #1 on the waitlist

    page = await browser_context.new_page()
    data = signed_init_data(cara.id, "Cara", clock.now())
    await page.goto(f"{base_url}/app?tgWebAppData={quote(data)}")
    await page.wait_for_url("**/app/classes")
    await page.goto(f"{base_url}/app/bookings")
    await page.click(".cards >> text=Cancel")
    await expect(page.locator("h1")).to_contain_text("Cancel your place in Back care")
    await shoot(page, "client-cancel")
    await page.click("text=Yes, cancel my place")
    await expect(page.locator(".note")).to_contain_text("Cancelled.")
    await expect(page.locator(".cards")).to_contain_text("You have no upcoming bookings.")

    await bea.expect("🎉 You're in! A place opened up in Back care with Tess", timeout=10)
    await bea.send("/mybookings")
    assert "✅ Mon 30 Nov · 17:00 – Back care" in (await bea.expect("Your upcoming")).text
