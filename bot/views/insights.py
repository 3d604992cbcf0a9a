"""Class insights as a trainer reads them: the charts (SVG, drawn by matplotlib as the
/progress chart is, labelled in the reader's language), care flags in words, and the tip
statistics of /tipstats summed per category."""

from __future__ import annotations

import io

from bot.i18n import N_, Translator
from bot.services.insights import WeekAttendance, WeekFeeling
from bot.services.tips import TipStats, totals_by_category
from bot.views.checkins import HEADS_UP_REASONS
from bot.views.formatting import day_label
from bot.views.tips import category_name

# The progress chart's colours (bot/views/progress.py), so both charts read alike.
MOOD, ENERGY, PAIN, BARS = "#2a9d8f", "#e9c46a", "#e76f51", "#264653"

CARE = {
    **HEADS_UP_REASONS,
    # Translators: an item of a list of care flags on a client's trends page.
    "load_too_much": N_("the last class was too much (pain-monitoring model)"),
}


def care_flags(t: Translator, reasons: list[str], pain: int | None) -> list[str]:
    """The care flags of a client's latest check-in, one phrase each."""
    return [t._(CARE[reason], pain=pain) for reason in reasons if reason in CARE]


def _svg(figure: object) -> str:
    """The figure as an SVG document (text as paths, so any script renders)."""
    from matplotlib import pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close("all")
    return buffer.getvalue()


def attendance_chart(t: Translator, weeks: list[WeekAttendance]) -> str:
    """Attendance rate per week as bars (weeks without marks left empty), as SVG text.
    Blocking: run it in a worker thread."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(5, 2.8), dpi=100)
    axis = figure.subplots()
    labels = [day_label(t, week.week) for week in weeks]
    rates = [(week.rate or 0) * 100 for week in weeks]
    axis.bar(range(len(weeks)), rates, color=BARS)
    axis.set_xticks(range(len(weeks)), labels, rotation=45, ha="right", fontsize=9)
    axis.set_ylim(0, 100)
    axis.yaxis.set_major_formatter(PercentFormatter())
    # Translators: the title of a chart on a class's insights page.
    axis.set_title(t._("Attendance rate per week (attended of marked)"), fontsize=10)
    return _svg(figure)


def trends_chart(t: Translator, weeks: list[WeekFeeling]) -> str:
    """A client's weekly mood, energy and pain over 12 weeks as lines, as SVG text.
    Blocking: run it in a worker thread."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 3.4), dpi=100)
    top, bottom = figure.subplots(2, 1, sharex=True)
    x = list(range(len(weeks)))
    # Translators: chart legend; the scale of the answers in brackets.
    mood, energy, pain = t._("Mood (1–5)"), t._("Energy (1–5)"), t._("Pain (0–10)")
    top.plot(x, [w.mood for w in weeks], marker="o", label=mood, color=MOOD)
    top.plot(x, [w.energy for w in weeks], marker="s", label=energy, color=ENERGY)
    top.set_ylim(0.5, 5.5)
    top.legend(loc="upper left", fontsize=8)
    bottom.plot(x, [w.pain for w in weeks], marker="^", label=pain, color=PAIN)
    bottom.set_ylim(-0.5, 10.5)
    bottom.legend(loc="upper left", fontsize=8)
    bottom.set_xticks(x, [day_label(t, w.week) for w in weeks], rotation=45, ha="right", fontsize=9)
    # Translators: the title of the chart of a client's check-ins, seen by their trainer.
    top.set_title(t._("Weekly averages over the last 12 weeks"), fontsize=10)
    return _svg(figure)


def tip_categories(t: Translator, found: list[TipStats]) -> list[dict[str, object]]:
    """The /tipstats figures summed per category, in the order /tipstats lists them."""
    return [
        {
            "name": category_name(t, category),
            "sent": totals["sent"],
            "helpful": totals["helpful"],
            "not_for_me": totals["not_for_me"],
        }
        for category, totals in totals_by_category(found).items()
    ]
