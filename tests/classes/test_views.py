"""The messages about classes that the bot sends on its own, rendered for one reader as they
go out: in English, and in another language with its dates (the catalogs' sentences are
translated later; dates and numbers already follow the reader's language)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.i18n import translator
from bot.views import notices

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)  # Friday
START = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)  # Monday 18:00 in Berlin
CLASS = {"title": "Back <care>", "trainer": "Tess", "starts_at": START.isoformat()}


def reader(language: str, zone: str = "Europe/Berlin") -> notices.Reader:
    return notices.reader_for(language, None, zone, default_zone="UTC", now=NOW)


def buttons(out: notices.Rendered) -> list[tuple[str, str]]:
    rows = (out.reply_markup or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def test_a_place_from_the_waitlist():
    params = {**CLASS, "booking": 5, "location": "Studio 2"}
    out = notices.render("promoted", params, reader("en"))
    assert out.text.startswith(
        "🎉 You're in! A place opened up in <b>Back &lt;care&gt;</b> with Tess on Mon 30 Nov "
        "at 18:00 (Studio 2)."
    )
    assert buttons(out) == [("Give my place back", "bk:x:5")]
    # Relative to the moment it goes out: the same message on Monday says "today".
    monday = notices.Reader(reader("en").t, "Europe/Berlin", START - dt.timedelta(hours=3))
    assert "with Tess today at 18:00" in notices.render("promoted", params, monday).text
    german = notices.render("promoted", params, reader("de", "America/New_York"))
    assert "Mo., 30. Nov." in german.text and "12:00" in german.text
    assert [data for _, data in buttons(german)] == ["bk:x:5"]


@pytest.mark.parametrize(
    ("reason", "ended", "line"),
    [
        ("Flood & ice", False, "Reason: Flood &amp; ice"),
        (None, True, "Reason: This class has ended."),
        (None, False, None),
    ],
)
def test_a_cancelled_session(reason, ended, line):
    params = {**CLASS, "reason": reason, "ended": ended}
    out = notices.render("session_cancelled", params, reader("en"))
    first = out.text.split("\n")
    assert first[0] == "❌ <b>Back &lt;care&gt;</b> with Tess on Mon 30 Nov · 18:00 is cancelled."
    if line:
        assert first[1] == line
    else:
        assert "Reason" not in out.text
    assert out.text.endswith("/classes shows other sessions.")
    assert out.reply_markup is None
    assert "Mo., 30. Nov. · 18:00" in notices.render("session_cancelled", params, reader("de")).text


def test_a_moved_and_a_relocated_session():
    was = (START - dt.timedelta(hours=1)).isoformat()
    moved = {**CLASS, "booking": 7, "was": was, "minutes": 60}
    out = notices.render("session_moved", moved, reader("en"))
    assert out.text.startswith(
        "🔄 <b>Back &lt;care&gt;</b> with Tess has moved: it is now on Monday 30 November, "
        "18:00–19:00 (it was Mon 30 Nov · 17:00).\n\nYour place stands."
    )
    assert buttons(out) == [("Can't make it", "bk:x:7")]
    russian = notices.render("session_moved", moved, reader("ru"))
    assert "понедельник, 30 ноября" in russian.text

    relocated = {**CLASS, "booking": 7, "location": "Room <4>"}
    out = notices.render("session_relocated", relocated, reader("en", "Europe/London"))
    assert out.text.startswith(
        "📍 <b>Back &lt;care&gt;</b> with Tess on Mon 30 Nov · 17:00 now takes place at: "
        "Room &lt;4&gt;."
    )
    assert buttons(out) == [("Can't make it", "bk:x:7")]
    assert (
        "Mo., 30. Nov. · 17:00"
        in notices.render("session_relocated", relocated, reader("de", "Europe/London")).text
    )


def test_the_weeks_schedule():
    sessions = [
        {
            "id": n,
            "title": "Back care",
            "starts_at": (START + dt.timedelta(hours=n)).isoformat(),
            "location": "Studio 2",
        }
        for n in range(12)
    ]
    params = {"trainer": "Tess", "week": 1, "sessions": sessions}
    out = notices.render("schedule", params, reader("en", "America/New_York"))
    assert out.text.startswith(
        "🗓 <b>Tess's classes next week</b> (times in America/New_York)\n\n"
        "• Mon 30 Nov · 12:00 – <b>Back care</b>, Studio 2\n"
    )
    labels = buttons(out)
    assert len(labels) == 10  # a Book button for the first ten
    assert labels[0] == ("Book Mon 30 Nov · 12:00 Back care", "cl:b:0")
    this_week = notices.render("schedule", {**params, "week": 0}, reader("en"))
    assert this_week.text.startswith("🗓 <b>Tess's classes this week</b> (times in Europe/Berlin)")
    german = notices.render("schedule", params, reader("de"))
    assert "• Mo., 30. Nov. · 18:00 – <b>Back care</b>, Studio 2" in german.text
    de = translator("de")
    assert buttons(german)[0][0] == de.p_(
        "button", "Book {when} {title}", when="Mo., 30. Nov. · 18:00", title="Back care"
    )
