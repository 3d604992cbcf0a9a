"""The Mini App's pages: sign-in, the trainer's week, sessions and classes, and the client's
timetable, bookings and progress.

Routes are thin, as handlers are: check who asks (auth.py), call the same services the chat
handlers call, with the same notices, and render a template. A POST answers with a redirect
(303) to the page it changed, carrying a `note` code that the page words.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.i18n import N_, Translator
from bot.models import Attendance, BookingState, Role, SessionState
from bot.services import bookings, classes, notices, progress, signin, users
from bot.services.classes import SessionInfo
from bot.services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from bot.services.notices import after_attendance
from bot.views.classes import series_when
from bot.views.errors import error_text
from bot.views.formatting import duration, local, long_when, percent
from bot.views.progress import render_chart, summary
from web.context import context_of
from web.miniapp.auth import Viewer, csrf_ok, form_of, same_origin, start_session, viewer_of
from web.miniapp.render import page

log = logging.getLogger(__name__)

DAYS = 14
MAX_REASON = 300

# What a page says after the POST that led to it (the `note` query parameter).
NOTES = {
    "booked": N_("✅ Booked! See you there."),
    "waitlisted": N_("⏳ The class is full, so you're on the waitlist. You'll hear in the chat."),
    "already": N_("Nothing changed: you already have that place."),
    "held": N_("Your place is held until your trainer confirms it (OK needed)."),
    "cancelled": N_("Cancelled. Thanks for letting us know: your place goes to someone else."),
    "left": N_("Done: you're off the waitlist."),
    "late": N_("Cancelled; it was recorded as a late cancel."),
    "marked": N_("Attendance saved."),
    "capacity": N_("Capacity changed."),
    "promoted": N_("Capacity changed; people from the waitlist got places and are told."),
    "session_cancelled": N_("The session is cancelled and everyone booked is being told."),
}


# --------------------------------------------------------------------- guards


def _unauthorised(t: Translator | None = None) -> Response:
    return page("signin_failed.html", t, status_code=401)


def _not_started() -> Response:
    """Signed by Telegram, but the person never pressed /start: nothing to show yet."""
    return page("not_started.html", None, status_code=403)


def _refused(request: Request, viewer: Viewer, message: str, status: int = 403) -> Response:
    """The reason on a page of its own, with a way back to the page the reader came from
    (when it is a page of this app) or to their start page."""
    back = "/app/home"
    referer = request.headers.get("referer", "")
    if same_origin(request) and referer:
        path = urlsplit(referer).path
        if path.startswith("/app/") and path != request.url.path:
            back = path
    return page(
        "refused.html", viewer.t, status_code=status, viewer=viewer, message=message, back=back
    )


View = Callable[[Request, Viewer], Awaitable[Response]]
Page = Callable[[Request], Awaitable[Response]]


def signed_in(role: Role = Role.CLIENT) -> Callable[[View], Page]:
    """Wrap a page so it runs only for a signed-in reader of at least `role` (401 without a
    session, 403 below the role), and a POST only with its CSRF token from this site (403).
    A refusal the services raise is answered with its reason; nothing is changed."""

    def decorate(view: View) -> Page:
        @functools.wraps(view)
        async def guarded(request: Request) -> Response:
            viewer = await viewer_of(request)
            if viewer is None:
                return _unauthorised()
            t = viewer.t
            if not viewer.user.role.at_least(role):
                return _refused(request, viewer, t._("Sorry, this page is for trainers."))
            if request.method == "POST" and not await csrf_ok(request, viewer):
                return _refused(
                    request,
                    viewer,
                    t._("This request did not come from the app, so nothing was changed."),
                )
            try:
                return await view(request, viewer)
            except NotAllowed as problem:
                return _refused(request, viewer, error_text(t, problem))
            except NotFound as problem:
                return _refused(request, viewer, error_text(t, problem), status=404)
            except DomainError as problem:  # InvalidInput, a screening the chat asks, …
                return _refused(request, viewer, error_text(t, problem), status=400)

        return guarded

    return decorate


def _number(value: str | None) -> int:
    """A path or form number; NotFound for anything else (a crafted URL)."""
    if value is None or not value.isdigit() or len(value) > 18:
        raise NotFound("class_not_found")
    return int(value)


def _back(path: str, **query: object) -> Response:
    """303 to `path` of the app (a POST's answer), with `query`."""
    shown = {key: value for key, value in query.items() if value is not None}
    return RedirectResponse(path + (f"?{urlencode(shown)}" if shown else ""), status_code=303)


def _note(request: Request, t: Translator) -> str | None:
    code = request.query_params.get("note")
    return t._(NOTES[code]) if code in NOTES else None


def _now(request: Request) -> dt.datetime:
    return context_of(request).deps.clock.now()


# --------------------------------------------------------------------- sign-in


def _signed_in_page(request: Request, user_id: int) -> Response:
    """Set the session and move on to the app's start page. A page that refreshes itself
    rather than a redirect: a SameSite=Strict cookie set on a navigation that started in
    another site (Telegram, a mail client) is sent from the next same-site navigation on."""
    response = page("signed_in.html", None, target="/app/home")
    start_session(response, context_of(request).deps.settings, user_id)
    return response


async def _known_user(request: Request, user_id: int) -> bool:
    async with context_of(request).deps.db.reading() as session:
        return await users.get_user(session, user_id) is not None


def _check_init_data(request: Request, raw: str) -> signin.InitData:
    deps = context_of(request).deps
    return signin.verify_init_data(
        raw,
        deps.settings.token(),
        now=deps.clock.now(),
        max_age=dt.timedelta(seconds=deps.settings.webapp_auth_max_age),
    )


async def entry(request: Request) -> Response:
    """GET /app: with `tgWebAppData` (init data in the query), sign in with it; with a
    session, go to the start page; otherwise the page whose script sends Telegram's init
    data to /app/session (or says to open the app from the chat)."""
    raw = request.query_params.get("tgWebAppData")
    if raw is not None:
        try:
            found = _check_init_data(request, raw)
        except signin.BadInitData as problem:
            log.info("Mini App init data refused (%s)", problem.reason)
            return _unauthorised()
        if not await _known_user(request, found.user_id):
            return _not_started()
        return _signed_in_page(request, found.user_id)
    if await viewer_of(request) is not None:
        return RedirectResponse("/app/home", status_code=303)
    return page("signin.html", None)


async def new_session(request: Request) -> Response:
    """POST /app/session (from the sign-in page's script): `initData` → the session cookie.
    The signed init data is the credential; the origin check keeps other sites out."""
    if not same_origin(request):
        return _unauthorised()
    form = await form_of(request)
    try:
        found = _check_init_data(request, str(form.get("initData", "")))
    except signin.BadInitData as problem:
        log.info("Mini App init data refused (%s)", problem.reason)
        return _unauthorised()
    if not await _known_user(request, found.user_id):
        return _not_started()
    return _signed_in_page(request, found.user_id)


async def link(request: Request) -> Response:
    """GET /app/link/{token}: the one-time link of /dashboard signs its trainer in, once."""
    deps = context_of(request).deps
    async with deps.db.transaction() as session:
        user_id = await signin.redeem_link(
            session, request.path_params["token"], now=deps.clock.now()
        )
    if user_id is None:
        return page("link_refused.html", None, status_code=401)
    return _signed_in_page(request, user_id)


@signed_in()
async def home(request: Request, viewer: Viewer) -> Response:
    """GET /app/home: trainers start at their week, clients at the timetable."""
    return RedirectResponse("/app/trainer/week" if viewer.is_trainer else "/app/classes", 303)


# --------------------------------------------------------------------- shared views


@dataclass
class Line:
    """A session as a line of a list: its times, counts and state."""

    info: SessionInfo
    time: str
    class_time: str | None  # the class's own wall time, when its zone is not the reader's
    state: str  # "cancelled", "full", "nearly", "open"
    mine: BookingState | None = None


def _state(info: SessionInfo) -> str:
    if info.session.state == SessionState.CANCELLED:
        return "cancelled"
    if info.spots_left == 0:
        return "full"
    if info.session.booked_count * 5 >= info.session.capacity * 4:
        return "nearly"  # four fifths of the places taken
    return "open"


def _line(t: Translator, info: SessionInfo, zone: str, *, class_zone: bool = True) -> Line:
    """The session as a line for a reader in `zone` (with the class's own time when its zone
    differs, unless `class_zone` is False: clients need only their own)."""
    class_time = None
    if class_zone and info.series.timezone != zone:
        class_time = t._(
            "{time} in {zone}",
            time=t.time(info.session.starts_at, info.series.timezone),
            zone=info.series.timezone,
        )
    return Line(info, t.time(info.session.starts_at, zone), class_time, _state(info))


def _by_day(
    t: Translator, lines: list[Line], zone: str, days: list[dt.date]
) -> list[tuple[dt.date, str, list[Line]]]:
    grouped: dict[dt.date, list[Line]] = {day: [] for day in days}
    for item in lines:
        day = local(item.info.session.starts_at, zone).date()
        grouped.setdefault(day, []).append(item)
    return [
        (day, t.long_date(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), "UTC"), found)
        for day, found in sorted(grouped.items())
    ]


# --------------------------------------------------------------------- trainers


def _monday(text: str | None, today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(text) if text else today
    except ValueError:
        day = today
    return day - dt.timedelta(days=day.weekday())


@signed_in(Role.TRAINER)
async def week(request: Request, viewer: Viewer) -> Response:
    """GET /app/trainer/week?start=YYYY-MM-DD: the trainer's sessions of a week (an admin's:
    everyone's), by day in the trainer's zone, with counts and the class's own time."""
    t, zone, now = viewer.t, viewer.zone, _now(request)
    today = local(now, zone).date()
    monday = _monday(request.query_params.get("start"), today)
    start = classes.local_start(monday, dt.time(0), zone)
    end = classes.local_start(monday + dt.timedelta(days=7), dt.time(0), zone)
    async with context_of(request).deps.db.reading() as session:
        found = await classes.upcoming(
            session,
            now=start - dt.timedelta(microseconds=1),
            until=end - dt.timedelta(microseconds=1),
            trainer_id=None if viewer.is_admin else viewer.user.id,
            include_cancelled=True,
        )
        series = [] if viewer.is_admin else await classes.trainer_series(session, viewer.user.id)
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    return page(
        "trainer_week.html",
        t,
        viewer=viewer,
        nav="week",
        zone=zone,
        days=_by_day(t, [_line(t, info, zone) for info in found], zone, days),
        today=today,
        previous=(monday - dt.timedelta(days=7)).isoformat(),
        next=(monday + dt.timedelta(days=7)).isoformat(),
        this_week=monday == today - dt.timedelta(days=today.weekday()),
        series=series,
        note=_note(request, t),
    )


def _markable(info: SessionInfo, now: dt.datetime) -> bool:
    """The chat's window for attendance: 15 minutes before the start to 48 hours after."""
    return (
        info.session.state == SessionState.SCHEDULED
        and info.session.starts_at - bookings.CHECK_IN_BEFORE
        <= now
        <= info.session.ends_at + bookings.ATTENDANCE_EDITABLE
    )


@signed_in(Role.TRAINER)
async def trainer_session(request: Request, viewer: Viewer) -> Response:
    """GET /app/trainer/sessions/{id}: the roster with attendance toggles (in the chat's
    window), late cancels, the waitlist in order; cancel and capacity for upcoming ones."""
    t, zone, now = viewer.t, viewer.zone, _now(request)
    session_id = _number(request.path_params["session_id"])
    async with context_of(request).deps.db.reading() as session:
        info, entries = await bookings.roster(session, viewer.user, session_id)
    booked = [e for e in entries if e.booking.state == BookingState.CONFIRMED]
    waiting = [e for e in entries if e.booking.state == BookingState.WAITLISTED]
    cancelled = [e for e in entries if e.booking.state == BookingState.CANCELLED]
    upcoming = info.session.state == SessionState.SCHEDULED and info.session.starts_at > now
    return page(
        "trainer_session.html",
        t,
        viewer=viewer,
        nav="week",
        line=_line(t, info, zone),
        when=long_when(t, info.session.starts_at, zone, info.session.duration_minutes),
        booked=booked,
        waiting=waiting,
        late=[e for e in cancelled if e.booking.late_cancel],
        markable=_markable(info, now),
        upcoming=upcoming,
        attended=Attendance.ATTENDED,
        no_show=Attendance.NO_SHOW,
        week_of=local(info.session.starts_at, zone).date().isoformat(),
        max_reason=MAX_REASON,
        note=_note(request, t),
    )


@signed_in(Role.TRAINER)
async def mark(request: Request, viewer: Viewer) -> Response:
    """POST /app/trainer/sessions/{id}/attendance: mark = "<booking>:<attended|no_show|
    clear>", through the chat's service and window, with the same follow-ups (milestones,
    buddies)."""
    session_id = _number(request.path_params["session_id"])
    booking_text, _, choice_text = (await form_of(request)).get("mark", "").partition(":")
    booking_id = _number(booking_text)
    choice = {"attended": Attendance.ATTENDED, "no_show": Attendance.NO_SHOW, "clear": None}
    if choice_text not in choice:
        raise InvalidInput("form_out_of_date")
    now = _now(request)
    async with context_of(request).deps.db.transaction() as session:
        marked, info = await bookings.mark_attendance(
            session, viewer.user, booking_id, choice[choice_text], now=now
        )
        if info.session.id != session_id:
            raise InvalidInput("form_out_of_date")
        await after_attendance(session, marked.user_id, info.series.id, now=now)
    return _back(f"/app/trainer/sessions/{session_id}", note="marked")


@signed_in(Role.TRAINER)
async def cancel_session(request: Request, viewer: Viewer) -> Response:
    """POST /app/trainer/sessions/{id}/cancel: first the confirmation (who will be told,
    the reason shown back), then with `confirm=yes` the cancel and the clients' notices."""
    t, now = viewer.t, _now(request)
    session_id = _number(request.path_params["session_id"])
    form = await form_of(request)
    reason = " ".join(str(form.get("reason", "")).split()) or None
    if reason and len(reason) > MAX_REASON:
        raise InvalidInput("reason_too_long", limit=MAX_REASON)
    db = context_of(request).deps.db
    if form.get("confirm") != "yes":
        async with db.reading() as session:
            info = await bookings.session_belongs(session, viewer.user, session_id)
        return page(
            "trainer_cancel.html",
            t,
            viewer=viewer,
            nav="week",
            line=_line(t, info, viewer.zone),
            when=t.short_when(info.session.starts_at, viewer.zone),
            told=info.session.booked_count + info.waitlist,
            reason=reason,
        )
    async with db.transaction() as session:
        affected = await classes.cancel_session(
            session, viewer.user, session_id, reason=reason, now=now
        )
        await notices.tell_cancelled(session, affected, reason=reason, now=now)
    return _back(f"/app/trainer/sessions/{session_id}", note="session_cancelled")


@signed_in(Role.TRAINER)
async def capacity(request: Request, viewer: Viewer) -> Response:
    """POST /app/trainer/sessions/{id}/capacity: the session's new number of places; a
    raise promotes from the waitlist (told in the chat), a cut below the booked is refused."""
    now = _now(request)
    session_id = _number(request.path_params["session_id"])
    form = await form_of(request)
    places = classes.parse_whole_number(
        str(form.get("capacity", "")),
        low=classes.MIN_CAPACITY,
        high=classes.MAX_CAPACITY,
        what="places",
    )
    async with context_of(request).deps.db.transaction() as session:
        promotions = await bookings.set_capacity(session, viewer.user, session_id, places, now=now)
        await notices.tell_promoted(session, promotions, now=now)
    return _back(
        f"/app/trainer/sessions/{session_id}", note="promoted" if promotions else "capacity"
    )


@signed_in(Role.TRAINER)
async def trainer_class(request: Request, viewer: Viewer) -> Response:
    """GET /app/trainer/classes/{id}: a class with its attendance so far, each client's
    record, its insights (web/miniapp/insights.py) and its next sessions."""
    t, now = viewer.t, _now(request)
    series_id = _number(request.path_params["series_id"])
    async with context_of(request).deps.db.reading() as session:
        series = await classes.own_series(session, viewer.user, series_id)
        attended, marked = await bookings.class_attendance(session, series_id)
        per_client = await bookings.series_attendance(session, series_id, now=None)
        people = await users.users_by_id(session, per_client)
        coming = await classes.upcoming(
            session, now=now, days=DAYS, series_id=series_id, include_cancelled=True
        )
        from web.miniapp.insights import class_insights  # (it imports this module)

        found = await class_insights(session, viewer, series, now=now)
    ranking = sorted(per_client.items(), key=lambda item: (-item[1][0], item[0]))
    clients = [
        {
            "name": people[user_id].full_name if user_id in people else str(user_id),
            "username": people[user_id].username if user_id in people else None,
            "came": came,
            "marked": counted,
            "late": late,
        }
        for user_id, (came, counted, late) in ranking
    ]
    return page(
        "trainer_class.html",
        t,
        viewer=viewer,
        nav="classes",
        series=series,
        length=duration(t, series.duration_minutes),
        rate=percent(t, attended, marked) if marked else None,
        attended=attended,
        marked=marked,
        clients=clients,
        schedule=series_when(t, series),
        days=_by_day(t, [_line(t, info, viewer.zone) for info in coming], viewer.zone, []),
        **found,
    )


@signed_in(Role.TRAINER)
async def trainer_classes(request: Request, viewer: Viewer) -> Response:
    """GET /app/trainer/classes: the trainer's running classes (an admin's: everyone's)."""
    async with context_of(request).deps.db.reading() as session:
        if viewer.is_admin:
            found = await classes.running_series(session)
        else:
            found = await classes.trainer_series(session, viewer.user.id)
    return page("trainer_classes.html", viewer.t, viewer=viewer, nav="classes", series=found)


# --------------------------------------------------------------------- clients


@signed_in()
async def timetable(request: Request, viewer: Viewer) -> Response:
    """GET /app/classes?series=ID: the next 14 days in the reader's zone, by day, filterable
    by class, each with the reader's own booking state."""
    t, zone, now = viewer.t, viewer.zone, _now(request)
    chosen = request.query_params.get("series")
    async with context_of(request).deps.db.reading() as session:
        found = await classes.upcoming(session, now=now, days=DAYS)
        mine = {
            b.info.session.id: b.booking.state
            for b in await bookings.upcoming_bookings(
                session, viewer.user.id, now=now, session_ids=[i.session.id for i in found]
            )
        }
    titles = sorted({(info.series.title, info.series.id) for info in found})
    if chosen and chosen.isdigit():
        found = [info for info in found if info.series.id == int(chosen)]
    lines = []
    for info in found:
        item = _line(t, info, zone, class_zone=False)
        item.mine = mine.get(info.session.id)
        lines.append(item)
    today = local(now, zone).date()
    return page(
        "client_timetable.html",
        t,
        viewer=viewer,
        nav="timetable",
        zone=zone,
        days=[day for day in _by_day(t, lines, zone, []) if day[2]],
        today=today,
        titles=titles,
        chosen=int(chosen) if chosen and chosen.isdigit() else None,
        confirmed=BookingState.CONFIRMED,
        note=_note(request, t),
    )


@signed_in()
async def client_session(request: Request, viewer: Viewer) -> Response:
    """GET /app/classes/{id}: a session's details with Book, Join the waitlist or Cancel."""
    t, zone, now = viewer.t, viewer.zone, _now(request)
    session_id = _number(request.path_params["session_id"])
    async with context_of(request).deps.db.reading() as session:
        info = await classes.session_info(session, session_id)
        mine = next(
            iter(
                await bookings.upcoming_bookings(
                    session, viewer.user.id, now=now, session_ids=[session_id]
                )
            ),
            None,
        )
    bookable = info.session.state == SessionState.SCHEDULED and info.session.starts_at > now
    return page(
        "client_session.html",
        t,
        viewer=viewer,
        nav="timetable",
        line=_line(t, info, zone, class_zone=False),
        when=long_when(t, info.session.starts_at, zone, info.session.duration_minutes),
        mine=mine,
        confirmed=BookingState.CONFIRMED,
        bookable=bookable,
        late_minutes=info.series.late_cancel_minutes,
        late_window=duration(t, info.series.late_cancel_minutes)
        if info.series.late_cancel_minutes
        else None,
        note=_note(request, t),
    )


@signed_in()
async def book(request: Request, viewer: Viewer) -> Response:
    """POST /app/classes/{id}/book: a place, or a waitlist place, as Book does in the chat."""
    session_id = _number(request.path_params["session_id"])
    now = _now(request)
    deps = context_of(request).deps
    # A class that screens first raises ScreeningNeeded: its questions are asked in the chat.
    async with deps.db.transaction() as session:
        result = await notices.book(
            session,
            viewer.user,
            session_id,
            hold_hours=deps.settings.clearance_hold_hours,
            now=now,
        )
    note = {
        "confirmed": "booked",
        "waitlisted": "waitlisted",
        "pending_clearance": "held",
    }.get(result.status, "already")
    return _back(f"/app/classes/{session_id}", note=note)


async def _own_booking(request: Request, viewer: Viewer, booking_id: int) -> tuple[Any, ...]:
    """What cancelling would mean; another person's booking (or none) is NotAllowed."""
    async with context_of(request).deps.db.reading() as session:
        try:
            return await bookings.cancel_preview(
                session, viewer.user.id, booking_id, now=_now(request)
            )
        except NotFound as error:
            raise NotAllowed("booking_not_yours") from error


@signed_in()
async def cancel_booking(request: Request, viewer: Viewer) -> Response:
    """GET /app/bookings/{id}/cancel: the question, with the late-cancel warning when it
    applies. POST: cancel, promote the waitlist and tell them, as in the chat."""
    t, now = viewer.t, _now(request)
    booking_id = _number(request.path_params["booking_id"])
    booking, info, late = await _own_booking(request, viewer, booking_id)
    if request.method == "GET":
        return page(
            "client_cancel.html",
            t,
            viewer=viewer,
            nav="bookings",
            booking=booking,
            line=_line(t, info, viewer.zone),
            when=t.short_when(info.session.starts_at, viewer.zone),
            waiting=booking.state == BookingState.WAITLISTED,
            late=late,
            late_window=duration(t, info.series.late_cancel_minutes),
        )
    async with context_of(request).deps.db.transaction() as session:
        result = await bookings.cancel(session, viewer.user.id, booking_id, now=now)
        await notices.tell_promoted(session, result.promotions, now=now)
    note = "late" if result.late else ("cancelled" if result.was_confirmed else "left")
    return _back("/app/bookings", note=note)


@signed_in()
async def my_bookings(request: Request, viewer: Viewer) -> Response:
    """GET /app/bookings: the reader's upcoming places and waitlist places."""
    t, now = viewer.t, _now(request)
    async with context_of(request).deps.db.reading() as session:
        mine = await bookings.upcoming_bookings(session, viewer.user.id, now=now)
    return page(
        "client_bookings.html",
        t,
        viewer=viewer,
        nav="bookings",
        mine=[(item, _line(t, item.info, viewer.zone)) for item in mine],
        dates={
            item.booking.id: t.short_when(item.info.session.starts_at, viewer.zone) for item in mine
        },
        confirmed=BookingState.CONFIRMED,
        note=_note(request, t),
    )


@signed_in()
async def my_progress(request: Request, viewer: Viewer) -> Response:
    """GET /app/progress: the summary of /progress, and its chart after two check-ins."""
    async with context_of(request).deps.db.reading() as session:
        found = await progress.progress(session, viewer.user, now=_now(request))
    return page(
        "client_progress.html",
        viewer.t,
        viewer=viewer,
        nav="progress",
        summary=summary(viewer.t, found).split("\n"),
        chart=len(found.checkins) >= 2,
    )


@signed_in()
async def progress_chart(request: Request, viewer: Viewer) -> Response:
    """GET /app/progress.png: the reader's own chart (nobody else's can be asked for)."""
    async with context_of(request).deps.db.reading() as session:
        found = await progress.progress(session, viewer.user, now=_now(request))
    image = await asyncio.to_thread(
        render_chart, viewer.t, found.checkins, found.sessions, viewer.zone
    )
    return Response(image, media_type="image/png", headers={"Cache-Control": "private, no-store"})
