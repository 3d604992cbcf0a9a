"""A client's progress as they read it: the /progress summary and chart, and milestones
(congratulated privately, announced in the class's group only if the client opted in).
All in the reader's language: the chart's title, legend and dates too."""

from __future__ import annotations

import datetime as dt
import io
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.models import CheckIn
from bot.services import progress
from bot.views.checkins import class_load_line
from bot.views.formatting import capitalised, day_label
from bot.views.notices import Reader, Rendered, rendered, template


def summary(t: Translator, found: progress.Progress) -> str:
    """Classes and runs ("8 sessions in 4 weeks. 4 weeks in a row: your longest run yet."),
    the last class check-in through the pain-monitoring model (exercise pain and the next
    morning's), and, after two check-ins, mood, energy and how pain moved."""
    first = t.n_("{n} session in 4 weeks.", "{n} sessions in 4 weeks.", found.recent_sessions)
    if found.current_run >= 2 and found.current_run == found.longest_run:
        run = t.n_(
            "{n} week in a row: your longest run yet.",
            "{n} weeks in a row: your longest run yet.",
            found.current_run,
        )
        first = f"{first} {run}"
    elif found.current_run >= 2:
        run = t.n_("{n} week in a row.", "{n} weeks in a row.", found.current_run)
        first = f"{first} {run}"
    last_class = next((c for c in reversed(found.checkins) if c.exercise_pain is not None), None)
    if last_class is not None:
        # The pain-monitoring model (Silbernagel et al. 2007): bot/views/checkins.py.
        first += "\n🏋️ " + capitalised(class_load_line(t, last_class))
    if len(found.checkins) < 2:
        return first
    latest = found.checkins[-1]
    values = {
        "mood": latest.mood,
        "energy": latest.energy,
        "first": found.checkins[0].pain,
        "last": latest.pain,
    }
    if values["last"] < values["first"]:
        second = t._(
            "Mood {mood}/5 and energy {energy}/5 lately; pain down from {first} to {last}.",
            **values,
        )
    elif values["last"] > values["first"]:
        second = t._(
            "Mood {mood}/5 and energy {energy}/5 lately; pain up from {first} to {last}: worth "
            "mentioning to your therapist.",
            **values,
        )
    else:
        second = t._("Mood {mood}/5 and energy {energy}/5 lately; pain steady at {last}.", **values)
    return f"{first}\n{second}"


def render_chart(
    t: Translator, found: list[CheckIn], sessions: list[dt.datetime], zone: str
) -> bytes:
    """The twelve-week chart as PNG bytes, labelled in the reader's language (run it in a
    worker thread: matplotlib is blocking)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=(8, 4.5), dpi=100)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1]})
    days = [c.day for c in found]
    # Translators: chart legend; the scale of the answers in brackets.
    mood, energy, pain = t._("Mood (1–5)"), t._("Energy (1–5)"), t._("Pain (0–10)")
    top.plot(days, [c.mood for c in found], marker="o", label=mood, color="#2a9d8f")
    top.plot(days, [c.energy for c in found], marker="s", label=energy, color="#e9c46a")
    top.set_ylim(0.5, 5.5)
    top.legend(loc="upper left", fontsize=8)
    bottom.plot(days, [c.pain for c in found], marker="^", label=pain, color="#e76f51")
    after_class = [c for c in found if c.exercise_pain is not None]
    if after_class:
        # Translators: chart legend: pain during the exercises of a class, 0–10.
        bottom.plot(
            [c.day for c in after_class],
            [c.exercise_pain for c in after_class],
            marker="x",
            linestyle="none",
            label=t._("Exercise pain"),
            color="#9b2226",
        )
        mornings = [c for c in after_class if c.morning_pain is not None]
        # Translators: chart legend: pain the morning after a class, 0–10.
        bottom.plot(
            [c.day + dt.timedelta(days=1) for c in mornings],
            [c.morning_pain for c in mornings],
            marker="v",
            linestyle="none",
            label=t._("Next morning"),
            color="#bb3e03",
        )
    bottom.set_ylim(-0.5, 10.5)
    bottom.legend(loc="upper left", fontsize=8)
    # Dates as the reader writes them; a tick a day when the check-ins span a few days only.
    if days and (max(days) - min(days)).days < 10:
        bottom.xaxis.set_major_locator(dates.DayLocator())
    bottom.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _: day_label(t, dates.num2date(value).date()))
    )
    for moment in sessions:
        day = moment.astimezone(ZoneInfo(zone)).date()
        for axis in (top, bottom):
            axis.axvline(day, color="#264653", alpha=0.25, linewidth=2)
    # Translators: the chart's title.
    top.set_title(t._("Your last 12 weeks (shaded lines: classes you attended)"), fontsize=10)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close("all")
    return buffer.getvalue()


# --------------------------------------------------------------------- milestones


def _kind(kind: str) -> tuple[str, int]:
    """ "classes-5" -> ("classes", 5)."""
    what, number = kind.split("-")
    return what, int(number)


@template("milestone")
def milestone(reader: Reader, params: dict[str, Any]) -> Rendered:
    """Congratulations on a milestone, to the client. params: kind ("classes-5", "weeks-4")."""
    t = reader.t
    what, number = _kind(params["kind"])
    if what == "classes" and number == 1:
        text = t._(
            "🎉 Congratulations: your first class! Every session counts. /progress shows your "
            "journey."
        )
    elif what == "classes":
        text = t.n_(
            "🎉 Congratulations: {n} class! Every session counts. /progress shows your journey.",
            "🎉 Congratulations: {n} classes! Every session counts. /progress shows your journey.",
            number,
        )
    else:
        text = t.n_(
            "🎉 Congratulations: {n} week in a row! Every session counts. /progress shows "
            "your journey.",
            "🎉 Congratulations: {n} weeks in a row! Every session counts. /progress shows "
            "your journey.",
            number,
        )
    return rendered(text)


@template("milestone_group")
def milestone_group(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A client's milestone, announced in their class's group (they opted in).

    params: kind, name (the client's first name).
    """
    t = reader.t
    what, number = _kind(params["kind"])
    name = escape(params["name"])
    if what == "classes" and number == 1:
        text = t._("🎉 {name} came to their first class! 👏", name=name)
    elif what == "classes":
        text = t.n_(
            "🎉 {name} reached {n} class! 👏",
            "🎉 {name} reached {n} classes! 👏",
            number,
            name=name,
        )
    else:
        text = t.n_(
            "🎉 {name} reached {n} week in a row! 👏",
            "🎉 {name} reached {n} weeks in a row! 👏",
            number,
            name=name,
        )
    return rendered(text)
