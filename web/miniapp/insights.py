"""The Mini App's insights for trainers and admins: a class's attendance per week, fill
rate, waitlist demand, retention and clients at risk (on the class page), a client's
check-in trends (only when the client lets the trainer see them), tip statistics as
/tipstats gives them, and the admin's overview of the practice.

Every page runs under pages.signed_in(Role.TRAINER) (the same session, role from the
database, CSRF); the services check that the class or client is the trainer's own.
Charts are SVG documents served under the same sign-in, with a CSP of their own (no
script; matplotlib's inline styles).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.i18n import Translator
from bot.models import ClassSeries, Role, User
from bot.services import classes, insights, tips, users
from bot.services.errors import NotAllowed
from bot.services.tip_library import shipped_library
from bot.views.formatting import day_label, percent
from bot.views.insights import attendance_chart, care_flags, tip_categories, trends_chart
from web.context import context_of
from web.miniapp.auth import Viewer
from web.miniapp.pages import _now, _number, signed_in
from web.miniapp.render import page

SVG_HEADERS = {
    "Cache-Control": "private, no-store",
    # An SVG image needs its inline styles and nothing else.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def chat_link(user: User) -> str:
    """Where "Message" opens a private chat with `user`: their t.me page when they have a
    username (what Telegram opens from a Mini App), else `tg://user?id=` as the chat's own
    mentions do (bot/views/buddies.py)."""
    if user.username:
        return f"https://t.me/{user.username}"
    return f"tg://user?id={user.id}"


def _svg(text: str) -> Response:
    return Response(text, media_type="image/svg+xml", headers=SVG_HEADERS)


def _rate(t: Translator, part: int, whole: int) -> str | None:
    return percent(t, part, whole) if whole else None


async def class_insights(
    session: AsyncSession, viewer: Viewer, series: ClassSeries, *, now: dt.datetime
) -> dict[str, Any]:
    """The values of the class page's insights section (templates/insights_class.html), for
    a series the viewer may run (the caller checked it)."""
    t = viewer.t
    weeks = await insights.weekly_attendance(session, series.id, now=now)
    found = await insights.fill(session, series.id, now=now)
    loyal = await insights.retention(session, series.id, now=now)
    quiet = await insights.at_risk(session, series.trainer_id, now=now, series_id=series.id)
    return {
        "insight_weeks": [
            {
                "label": day_label(t, week.week),
                "rate": _rate(t, week.attended, week.marked),
                "attended": week.attended,
                "marked": week.marked,
                "booked": week.booked,
            }
            for week in weeks
        ],
        "insight_chart": any(week.marked for week in weeks),
        "fill": found,
        "fill_rate": _rate(t, found.booked, found.capacity),
        "got_in_rate": _rate(t, found.got_in, found.waited),
        "waiting_per_session": t.number(found.waiting_per_session, digits=1),
        "retained": loyal,
        "at_risk": [(item, day_label(t, item.last_class.date())) for item in quiet],
        "chat_link": chat_link,
    }


@signed_in(Role.TRAINER)
async def attendance_svg(request: Request, viewer: Viewer) -> Response:
    """GET /app/trainer/classes/{id}/attendance.svg: the class's attendance rate per week
    over 8 weeks (the viewer's own class; an admin's: any)."""
    series_id = _number(request.path_params["series_id"])
    async with context_of(request).deps.db.reading() as session:
        series = await classes.own_series(session, viewer.user, series_id)
        weeks = await insights.weekly_attendance(session, series.id, now=_now(request))
    return _svg(await asyncio.to_thread(attendance_chart, viewer.t, weeks))


@signed_in(Role.TRAINER)
async def client(request: Request, viewer: Viewer) -> Response:
    """GET /app/trainer/clients/{id}: a client's check-in trends, latest note and care
    flags when they let trainers see them; otherwise only that they do not share."""
    t = viewer.t
    client_id = _number(request.path_params["user_id"])
    async with context_of(request).deps.db.reading() as session:
        found = await insights.client_trends(session, viewer.user, client_id, now=_now(request))
    latest = found.latest
    return page(
        "insights_client.html",
        t,
        viewer=viewer,
        nav="classes",
        trends=found,
        chat=chat_link(found.client),
        latest_day=day_label(t, latest.day) if latest else None,
        care=care_flags(t, found.care, latest.pain if latest else None),
        rows=[(day_label(t, week.week), week) for week in found.weeks if week.mood is not None],
        chart=sum(1 for week in found.weeks if week.mood is not None) >= 2,
    )


@signed_in(Role.TRAINER)
async def client_svg(request: Request, viewer: Viewer) -> Response:
    """GET /app/trainer/clients/{id}/trends.svg: the weekly chart of a consenting client;
    404 (no chart, no numbers) for a client who does not share."""
    client_id = _number(request.path_params["user_id"])
    async with context_of(request).deps.db.reading() as session:
        found = await insights.client_trends(session, viewer.user, client_id, now=_now(request))
    if not found.shared:
        return Response(status_code=404)
    return _svg(await asyncio.to_thread(trends_chart, viewer.t, found.weeks))


@signed_in(Role.TRAINER)
async def tip_stats(request: Request, viewer: Viewer) -> Response:
    """GET /app/trainer/tips: /tipstats as a page: per category and per tip, how often tips
    reached the trainer's clients (an admin: all clients) and how they answered."""
    t = viewer.t
    deps = context_of(request).deps
    library = deps.library or shipped_library()
    async with deps.db.reading() as session:
        found = await tips.stats(session, viewer.user, library, t.language)
    return page(
        "insights_tips.html",
        t,
        viewer=viewer,
        nav="classes",
        categories=tip_categories(t, found),
        tips=sorted((item for item in found if item.sent), key=lambda item: -item.sent),
    )


@signed_in(Role.TRAINER)
async def overview(request: Request, viewer: Viewer) -> Response:
    """GET /app/admin: every trainer's running classes and the practice totals (admins)."""
    t = viewer.t
    if not viewer.is_admin:
        raise NotAllowed("admins_only")
    async with context_of(request).deps.db.reading() as session:
        totals = await insights.practice_totals(
            session, viewer.user, now=_now(request), zone=viewer.zone
        )
        running = await classes.running_series(session)
        people = await users.users_by_id(session, {series.trainer_id for series in running})
    by_trainer: dict[str, list[ClassSeries]] = {}
    for series in running:
        who = people.get(series.trainer_id)
        by_trainer.setdefault(who.full_name if who else str(series.trainer_id), []).append(series)
    return page(
        "insights_admin.html",
        t,
        viewer=viewer,
        nav="classes",
        totals=totals,
        rate=_rate(t, totals.attended, totals.marked),
        trainers=sorted(by_trainer.items()),
    )


def routes() -> list[BaseRoute]:
    """The insights' routes (included in web.miniapp.routes)."""
    trainer = "/app/trainer"
    return [
        Route(f"{trainer}/classes/{{series_id}}/attendance.svg", attendance_svg, methods=["GET"]),
        Route(f"{trainer}/clients/{{user_id}}", client, methods=["GET"]),
        Route(f"{trainer}/clients/{{user_id}}/trends.svg", client_svg, methods=["GET"]),
        Route(f"{trainer}/tips", tip_stats, methods=["GET"]),
        Route("/app/admin", overview, methods=["GET"]),
    ]
