"""What the bot posts in a community group, in the group's language: the week's schedule,
the class-day reminder, Friday's invitation to check in privately and Sunday's anonymous
summary. Nothing personal: times, titles and places, and averages of at least three people.

Buttons are deep links into the private chat, so they work for people who never started
the bot.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services import community
from bot.views.formatting import short_when
from bot.views.keyboards import column, deep_link, link_button
from bot.views.notices import Reader, Rendered, rendered, template, when

BUTTON_LENGTH = 60  # a Book button names the day and the class: cut to fit a phone


def post_params(post: community.GroupPost, bot_username: str) -> dict[str, Any]:
    """What the outbox keeps of a group post until it is rendered: the bot's username (for
    deep links), the classes' zone, and each session's id, title, place and start."""
    params: dict[str, Any] = {"bot": bot_username, "zone": post.zone}
    if post.sessions:
        params["sessions"] = [
            {
                "id": info.session.id,
                "title": info.series.title,
                "location": info.session.location,
                "starts_at": info.session.starts_at.isoformat(),
            }
            for info in post.sessions[:10]
        ]
    if post.summary is not None:
        summary = post.summary
        params |= {
            "members": summary.members,
            "checked_in": summary.checked_in,
            "energy_now": summary.energy_now,
            "energy_before": summary.energy_before,
        }
    return params


def _sessions(
    t: Translator, heading: str, params: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    """A list of sessions in the classes' zone, each with a Book button."""
    zone = params["zone"]
    lines = [heading, t._("(times in {zone})", zone=escape(zone)), ""]
    buttons = []
    for item in params["sessions"]:
        start = when(item, "starts_at")
        moment = short_when(t, start, zone)
        lines.append(
            t._(
                "• {when} – {title}, {location}",
                when=moment,
                title=escape(item["title"]),
                location=escape(item["location"]),
            )
        )
        # Translators: a button in a group: "Book Mon 30 Nov · 18:00 Back care".
        label = t._("Book {when} {title}", when=moment, title=item["title"])
        buttons.append(
            link_button(label[:BUTTON_LENGTH], deep_link(params["bot"], f"book-{item['id']}"))
        )
    lines.append("\n" + t._("See you there! Booking continues in a private chat with me."))
    return "\n".join(lines), column(*buttons)


@template("group_schedule")
def schedule(reader: Reader, params: dict[str, Any]) -> Rendered:
    """Monday's post: the week's classes. params: see `post_params`."""
    return rendered(*_sessions(reader.t, reader.t._("🗓 <b>This week's classes</b>"), params))


@template("group_class_day")
def class_day(reader: Reader, params: dict[str, Any]) -> Rendered:
    """The morning of a class day: today's classes. params: see `post_params`."""
    # Translators: the heading of a group post listing today's classes.
    return rendered(*_sessions(reader.t, reader.t._("📣 <b>Today</b>"), params))


@template("group_checkin")
def checkin_invitation(reader: Reader, params: dict[str, Any]) -> Rendered:
    """Friday's invitation to check in, privately. params: bot (the bot's username)."""
    t = reader.t
    return rendered(
        t._(
            "💬 <b>How's your week going?</b>\n\nTake 20 seconds to check in privately with me "
            "(only you see it), and cheer each other on here! 💪"
        ),
        # Translators: button, keep under 25 characters.
        column(link_button(t._("📝 Check in privately"), deep_link(params["bot"], "checkin"))),
    )


@template("group_summary")
def week_summary(reader: Reader, params: dict[str, Any]) -> Rendered:
    """Sunday's anonymous summary: how many checked in, and their average energy (and how
    it moved since last week, when last week had enough check-ins too).

    params: members, checked_in, energy_now, energy_before (or None).
    """
    t = reader.t
    now, before = params["energy_now"], params["energy_before"]
    values = {
        "members": params["members"],
        "now": t.number(now, digits=1),
        "before": t.number(before, digits=1) if before is not None else "",
    }
    count = params["checked_in"]
    # The averages compare as they are shown (4.04 and 4.0 are "steady at 4.0").
    if before is None:
        text = t.n_(
            "🌟 <b>Our week</b>: {n} of {members} checked in; average energy {now}. Thank you "
            "all for showing up for yourselves and each other!",
            "🌟 <b>Our week</b>: {n} of {members} checked in; average energy {now}. Thank you "
            "all for showing up for yourselves and each other!",
            count,
            **values,
        )
    elif round(now, 1) > round(before, 1):
        text = t.n_(
            "🌟 <b>Our week</b>: {n} of {members} checked in; average energy up from {before} "
            "to {now}. Thank you all for showing up for yourselves and each other!",
            "🌟 <b>Our week</b>: {n} of {members} checked in; average energy up from {before} "
            "to {now}. Thank you all for showing up for yourselves and each other!",
            count,
            **values,
        )
    elif round(now, 1) < round(before, 1):
        text = t.n_(
            "🌟 <b>Our week</b>: {n} of {members} checked in; average energy down from "
            "{before} to {now}. Thank you all for showing up for yourselves and each other!",
            "🌟 <b>Our week</b>: {n} of {members} checked in; average energy down from "
            "{before} to {now}. Thank you all for showing up for yourselves and each other!",
            count,
            **values,
        )
    else:
        text = t.n_(
            "🌟 <b>Our week</b>: {n} of {members} checked in; average energy steady at {now}. "
            "Thank you all for showing up for yourselves and each other!",
            "🌟 <b>Our week</b>: {n} of {members} checked in; average energy steady at {now}. "
            "Thank you all for showing up for yourselves and each other!",
            count,
            **values,
        )
    return rendered(text)
