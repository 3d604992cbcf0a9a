"""/newclass: a guided flow for a weekly series or a one-off session.

One question at a time, with buttons wherever the choice is finite. The answers so far are
kept with the trainer (`users.draft`), so the flow survives a restart; nothing is created
until Confirm. A bad answer gets the reason and the same question again.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.models import Role
from bot.services import classes, users
from bot.services.errors import InvalidInput
from bot.services.timezones import resolve_timezone
from bot.views.callbacks import pack, pattern, unpack
from bot.views.errors import error_text
from bot.views.formatting import (
    day_label,
    day_label_year,
    duration,
    wall_time,
    weekday_names,
    zone_of,
)
from bot.views.keyboards import button, column, grid
from bot.views.safety import screening_line
from bot.views.timezones import describe_zone
from handlers import conversation
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, remove_buttons, respond

PREFIX = "nc"
AWAITING = "newclass"
STEPS = (
    "title",
    "description",
    "kind",
    "weekdays",
    "time",
    "duration",
    "capacity",
    "location",
    "zone",
    "first",
    "last",
    "late",
    "summary",
)
DURATIONS = (30, 45, 60, 75, 90)
CAPACITIES = (6, 8, 10, 12, 15, 20)
LATE_WINDOWS = (0, 60, 120, 720, 1440)
# The buttons naming what of a new class to change before saving it.
FIELD_NAMES = {
    "title": N_("Title"),
    "description": N_("Description"),
    "kind": N_("Weekly or one-off"),
    "weekdays": N_("Weekdays"),
    "time": N_("Start time"),
    "duration": N_("Duration"),
    "capacity": N_("Places"),
    "location": N_("Location"),
    "zone": N_("Time zone"),
    "first": N_("First date"),
    "last": N_("Last date"),
    "late": N_("Late-cancel window"),
}
LOST = N_(
    "This class draft is gone (it was saved or cancelled). Send /newclass to start a new one."
)


def _today(draft: dict[str, Any], now: dt.datetime) -> dt.date:
    return classes.today_in(draft.get("zone") or "UTC", now)


def _applies(step: str, draft: dict[str, Any]) -> bool:
    return not (step in ("weekdays", "last") and draft.get("kind") == "once")


def _next_step(step: str, draft: dict[str, Any]) -> str:
    if draft.get("_back") and step != "summary":
        return "summary"
    index = STEPS.index(step) + 1
    while not _applies(STEPS[index], draft):
        index += 1
    return STEPS[index]


async def _save(context: BotContext, draft: dict[str, Any] | None, step: str | None) -> None:
    """Keep the draft and the question now asked (typed answers go to it until the trainer
    presses a button or sends a command); with None, drop the draft."""
    if draft is not None and step is not None:
        draft["_step"] = step
    async with context.deps.db.transaction() as session:
        user = await users.await_input(
            session,
            context.actor.id,
            f"{AWAITING}:{step}" if step and draft is not None else None,
            now=context.deps.clock.now(),
        )
        users.set_draft(user, AWAITING, draft)
    context.actor = user


def _question(
    t: Translator, step: str, draft: dict[str, Any], now: dt.datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    if step == "title":
        return t._("🆕 <b>New class</b>\n\nWhat is the class called? (e.g. <i>Back care</i>)"), None
    if step == "description":
        return (
            t._("A short description for clients (what to expect, what to bring)? Or skip it."),
            column(button(t.p_("button", "Skip"), pack(PREFIX, "description", "skip"))),
        )
    if step == "kind":
        return t._("Is it a weekly class or a one-off session?"), grid(
            [
                button(t.p_("button", "🔁 Weekly"), pack(PREFIX, "kind", "weekly")),
                button(t.p_("button", "1️⃣ One-off"), pack(PREFIX, "kind", "once")),
            ]
        )
    if step == "weekdays":
        chosen = set(draft.get("weekdays", []))
        days = [
            button(("✅ " if day in chosen else "") + t.weekday(day), pack(PREFIX, "weekdays", day))
            for day in range(7)
        ]
        keyboard = grid(days, per_row=4).inline_keyboard
        done = [[button(t.p_("button", "Done"), pack(PREFIX, "weekdays", "done"))]]
        return (
            t._("On which weekdays? Tap to choose one or more, then Done."),
            InlineKeyboardMarkup([*keyboard, *done]),
        )
    if step == "time":
        return t._("At what local time does it start? (e.g. <i>18:00</i>)"), None
    if step == "duration":
        return t._("How long is it? Choose, or send the minutes."), grid(
            [button(duration(t, m), pack(PREFIX, "duration", m)) for m in DURATIONS],
            per_row=5,
        )
    if step == "capacity":
        return t._("How many places? Choose, or send a number from 1 to 500."), grid(
            [button(t.number(c), pack(PREFIX, "capacity", c)) for c in CAPACITIES], per_row=6
        )
    if step == "location":
        return t._("Where does it take place? Send the address or room, or an online link."), None
    if step == "zone":
        return (
            t._(
                "Which time zone are the class times in? It is set to <b>{zone}</b>.\n\n"
                "Keep it, or type another city or zone name.",
                zone=escape(describe_zone(t, draft["zone"], now)),
            ),
            column(
                button(
                    t.p_("button", "Keep {zone}", zone=draft["zone"]), pack(PREFIX, "zone", "keep")
                )
            ),
        )
    if step == "first":
        today = _today(draft, now)
        days = [today + dt.timedelta(days=n) for n in range(0, 21)]
        if draft.get("kind") == "weekly":
            days = [d for d in days if d.weekday() in draft.get("weekdays", [])]
        choices = [button(day_label(t, d), pack(PREFIX, "first", d.isoformat())) for d in days[:8]]
        return (
            t._("On which date is the first session? Choose, or send a date like 2026-12-03."),
            grid(choices, per_row=4),
        )
    if step == "last":
        return (
            t._("Is there a last date? Send it like 2027-03-31, or choose no end date."),
            column(button(t.p_("button", "No end date"), pack(PREFIX, "last", "none"))),
        )
    if step == "late":
        labels = {0: t.p_("button", "No window")} | {m: duration(t, m) for m in LATE_WINDOWS if m}
        return (
            t._("Late cancels: cancelling within how long of the start counts as late?"),
            grid([button(labels[m], pack(PREFIX, "late", m)) for m in LATE_WINDOWS], per_row=5),
        )
    return _summary(t, draft)


def _summary(t: Translator, draft: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    first = dt.date.fromisoformat(draft["first"])
    time = wall_time(t, dt.time.fromisoformat(draft["time"]))
    zone, length = escape(draft["zone"]), duration(t, draft["duration"])
    if draft["kind"] == "weekly":
        when = t._(
            "🗓 weekly on {weekdays} at {time} ({zone}), {duration}",
            weekdays=weekday_names(t, draft["weekdays"]),
            time=time,
            zone=zone,
            duration=length,
        )
        last = draft.get("last")
        if last:
            span = t._(
                "📆 from {first} until {last}",
                first=t.day_date_year(first),
                last=t.day_date_year(dt.date.fromisoformat(last)),
            )
        else:
            span = t._("📆 from {first} with no end date", first=t.day_date_year(first))
    else:
        when = t._(
            "🗓 once, on {date} at {time} ({zone}), {duration}",
            date=day_label_year(t, first),
            time=time,
            zone=zone,
            duration=length,
        )
        span = ""
    late = draft["late"]
    lines = [
        t._("📝 <b>Please check the new class</b>"),
        "",
        f"<b>{escape(draft['title'])}</b>",
    ]
    if draft.get("description"):
        lines.append(escape(draft["description"]))
    lines += [
        when,
        *([span] if span else []),
        t.n_("👥 {n} place", "👥 {n} places", draft["capacity"]),
        f"📍 {escape(draft['location'])}",
        t._("⏱ Late cancel: within {duration} of the start", duration=duration(t, late))
        if late
        else t._("⏱ Late cancel: no window"),
        screening_line(t, draft.get("screening", True)),
    ]
    return "\n".join(lines), column(
        button(t.p_("button", "✅ Confirm"), pack(PREFIX, "summary", "ok")),
        button(
            t.p_("button", "🩺 Health check off")
            if draft.get("screening", True)
            else t.p_("button", "🩺 Health check on"),
            pack(PREFIX, "summary", "screen"),
        ),
        button(t.p_("button", "✏️ Change something"), pack(PREFIX, "summary", "change")),
        button(t.p_("button", "✖️ Cancel"), pack(PREFIX, "summary", "cancel")),
    )


async def _ask(
    update: Update, context: BotContext, step: str, draft: dict[str, Any], note: str = ""
) -> None:
    await _save(context, draft, step)
    text, keyboard = _question(context.t, step, draft, context.deps.clock.now())
    await respond(update, context, f"{note}\n\n{text}" if note else text, reply_markup=keyboard)


async def start_new_class(update: Update, context: BotContext) -> None:
    """/newclass: begin the flow, or offer to continue a draft left unfinished."""
    draft = users.draft_of(context.actor, AWAITING)
    if draft and draft.get("_step") in STEPS:
        t, title = context.t, draft.get("title")
        if title:
            question = t._(
                "You have a new class in progress (<b>{title}</b>). Continue where you left off, "
                "or start over?",
                title=escape(title),
            )
        else:
            question = t._(
                "You have a new class in progress. Continue where you left off, or start over?"
            )
        await respond(
            update,
            context,
            question,
            reply_markup=column(
                button(t.p_("button", "▶️ Continue"), pack(PREFIX, "resume", "go")),
                button(t.p_("button", "🆕 Start over"), pack(PREFIX, "resume", "new")),
            ),
        )
        return
    await _begin(update, context)


async def _begin(update: Update, context: BotContext) -> None:
    zone = zone_of(context.actor, context.deps.settings.default_timezone)
    await _ask(update, context, "title", {"zone": zone, "late": 120})


def _current(context: BotContext) -> tuple[str | None, dict[str, Any] | None]:
    """The question the draft is at, and the draft. A button answers the question its
    message asked only while that is still the draft's current question."""
    draft = users.draft_of(context.actor, AWAITING)
    if not draft or draft.get("_step") not in STEPS:
        return None, None
    return draft["_step"], draft


async def on_text(update: Update, context: BotContext, step: str) -> None:
    """A typed answer to the current question."""
    t = context.t
    draft = users.draft_of(context.actor, AWAITING) or {}
    text = update.effective_message.text
    if not draft or step not in STEPS:
        await _save(context, None, None)
        await respond(update, context, t._(LOST))
        return
    if text is None:
        await _ask(update, context, step, draft, t._("Please answer with text (or the buttons)."))
        return
    now = context.deps.clock.now()
    try:
        if step == "title":
            draft["title"] = classes.check_title(text)
        elif step == "description":
            draft["description"] = classes.check_description(text) or None
        elif step == "time":
            draft["time"] = classes.parse_time(text).strftime("%H:%M")
        elif step == "duration":
            draft["duration"] = classes.parse_whole_number(
                text, low=classes.MIN_DURATION, high=classes.MAX_DURATION, what="minutes"
            )
        elif step == "capacity":
            draft["capacity"] = classes.parse_whole_number(
                text, low=classes.MIN_CAPACITY, high=classes.MAX_CAPACITY, what="places"
            )
        elif step == "location":
            draft["location"] = classes.check_location(text)
        elif step == "zone":
            match = resolve_timezone(text[:80])
            if not match.zone:
                raise InvalidInput("class_zone_not_found", text=text.strip()[:40])
            draft["zone"] = match.zone
        elif step == "first":
            draft["first"] = _check_first(
                t, classes.parse_date(text, today=_today(draft, now)), draft, now
            )
        elif step == "last":
            draft["last"] = _check_last(classes.parse_date(text, today=_today(draft, now)), draft)
        else:
            raise InvalidInput("choose_a_button")
    except InvalidInput as problem:
        await _ask(update, context, step, draft, _problem(t, problem))
        return
    await _ask(update, context, _next_step(step, draft), draft)


def _problem(t: Translator, problem: InvalidInput) -> str:
    """A refused answer, as the note above the question asked again."""
    return f"⚠️ {escape(error_text(t, problem))}"


def _check_first(t: Translator, day: dt.date, draft: dict[str, Any], now: dt.datetime) -> str:
    if day < _today(draft, now):
        raise InvalidInput("date_past")
    if draft.get("kind") == "weekly" and day.weekday() not in draft.get("weekdays", []):
        raise InvalidInput(
            "first_date_not_on", weekdays=weekday_names(t, draft.get("weekdays", []))
        )
    if draft.get("last") and day > dt.date.fromisoformat(draft["last"]):
        draft["last"] = None
    return day.isoformat()


def _check_last(day: dt.date, draft: dict[str, Any]) -> str:
    if day < dt.date.fromisoformat(draft["first"]):
        raise InvalidInput("last_date_before_first")
    return day.isoformat()


@guard(Role.TRAINER, private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Every button of the flow; a button of an earlier question asks the current one again."""
    t = context.t
    args = unpack(update.callback_query.data)[1:]
    step, draft = _current(context)
    if args[:1] == ["resume"]:
        await remove_buttons(update, context)
        if args[1:] == ["go"] and step is not None:
            await _ask(update, context, step, draft)
        else:
            await _begin(update, context)
        return
    if step is None or not draft:
        await answer_query(update, context)
        await edit_or_send(update, context, t._(LOST))
        return
    if len(args) != 2:
        await _ask(update, context, step, draft, t._("That button is no longer valid."))
        return
    asked, value = args
    now = context.deps.clock.now()
    if asked == "edit" and step == "summary" and value in FIELD_NAMES:
        draft["_back"] = True
        await remove_buttons(update, context)
        await _ask(update, context, value, draft)
        return
    if asked != step:
        await _ask(
            update,
            context,
            step,
            draft,
            t._("That question was answered already; here is the current one."),
        )
        return
    if step == "weekdays" and value != "done":
        chosen = set(draft.get("weekdays", []))
        chosen ^= {int(value)} if value.isdigit() and int(value) < 7 else set()
        draft["weekdays"] = sorted(chosen)
        await _save(context, draft, step)
        text, keyboard = _question(t, step, draft, now)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    await answer_query(update, context)
    if step == "summary":
        await _finish(update, context, draft, value)
        return
    try:
        _apply_button(t, step, value, draft, now)
    except InvalidInput as problem:
        await _ask(update, context, step, draft, _problem(t, problem))
        return
    await remove_buttons(update, context)
    await _ask(update, context, _next_step(step, draft), draft)


def _apply_button(
    t: Translator, step: str, value: str, draft: dict[str, Any], now: dt.datetime
) -> None:
    if step == "description" and value == "skip":
        draft["description"] = None
    elif step == "kind" and value in ("weekly", "once"):
        draft["kind"] = value
        if value == "once":
            draft["weekdays"], draft["last"] = [], None
        if draft.get("_back"):
            # Weekdays and dates depend on the kind: ask them again.
            draft.pop("_back")
            draft.pop("first", None)
    elif step == "weekdays" and value == "done":
        if not draft.get("weekdays"):
            raise InvalidInput("no_weekday_chosen")
        if (
            draft.get("first")
            and dt.date.fromisoformat(draft["first"]).weekday() not in draft["weekdays"]
        ):
            draft.pop("_back", None)
            draft.pop("first")
    elif step == "duration" and value.isdigit():
        draft["duration"] = int(value)
    elif step == "capacity" and value.isdigit():
        draft["capacity"] = int(value)
    elif step == "zone" and value == "keep":
        pass
    elif step == "first":
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput("button_expired") from None
        draft["first"] = _check_first(t, day, draft, now)
    elif step == "last" and value == "none":
        draft["last"] = None
    elif step == "late" and value.isdigit() and int(value) in LATE_WINDOWS:
        draft["late"] = int(value)
    else:
        raise InvalidInput("button_expired")


async def _finish(update: Update, context: BotContext, draft: dict[str, Any], value: str) -> None:
    t = context.t
    if value == "cancel":
        await _save(context, None, None)
        await remove_buttons(update, context)
        await respond(update, context, t._("Cancelled: nothing was saved."))
        return
    if value == "change":
        fields = [
            button(t._(name), pack(PREFIX, "edit", step))
            for step, name in FIELD_NAMES.items()
            if _applies(step, draft)
        ]
        await edit_or_send(
            update,
            context,
            t._("What would you like to change?"),
            reply_markup=grid(fields, per_row=2),
        )
        return
    if value == "screen":
        draft["screening"] = not draft.get("screening", True)
        await _save(context, draft, "summary")
        text, keyboard = _summary(t, draft)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if value != "ok":
        await _ask(update, context, "summary", draft, t._("That button is no longer valid."))
        return
    spec = classes.SeriesSpec(
        title=draft["title"],
        description=draft.get("description"),
        location=draft["location"],
        timezone=draft["zone"],
        start_time=dt.time.fromisoformat(draft["time"]),
        duration_minutes=draft["duration"],
        capacity=draft["capacity"],
        first_date=dt.date.fromisoformat(draft["first"]),
        weekdays=tuple(draft.get("weekdays") or ()) if draft["kind"] == "weekly" else (),
        last_date=dt.date.fromisoformat(draft["last"]) if draft.get("last") else None,
        late_cancel_minutes=draft["late"],
        requires_screening=draft.get("screening", True),
    )
    now = context.deps.clock.now()
    try:
        async with context.deps.db.transaction() as session:
            series = await classes.create_series(session, context.actor, spec, now=now)
            count = len(await classes.upcoming(session, now=now, days=7 * 60, series_id=series.id))
            user = await users.await_input(session, context.actor.id, None, now=now)
            users.set_draft(user, AWAITING, None)
    except InvalidInput as problem:
        await _ask(update, context, "summary", draft, _problem(t, problem))
        return
    await remove_buttons(update, context)
    await respond(
        update,
        context,
        t.n_(
            "✅ <b>{title}</b> is saved: {n} session scheduled so far. Clients find it in "
            "/classes; you manage it in /myclasses.",
            "✅ <b>{title}</b> is saved: {n} sessions scheduled so far. Clients find them in "
            "/classes; you manage them in /myclasses.",
            count,
            title=escape(series.title),
        ),
    )


def register(application: Application) -> None:
    """Add /newclass, its buttons and its typed answers."""
    application.add_handler(command("newclass", start_new_class))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
    conversation.expect(
        AWAITING, on_text, reopen=N_("/newclass picks up your class where you left it.")
    )
