"""Tips as people read them: the tip message with its safety line and the line that says
what it rests on, the weekly group post, category names, in the reader's language.

A library tip is worded in the reader's language (its translation in tips.<language>.toml,
or the English); a trainer's own tip as they wrote it. Study titles, authors and journals
stay as published; the words around them come from the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.i18n import N_, Translator
from bot.services import tips
from bot.services.tip_library import Library, shipped_library
from bot.views.callbacks import pack
from bot.views.keyboards import button, grid
from bot.views.notices import Reader, Rendered, rendered, template

# Callback prefix of Helpful / Not for me under a tip (handled in handlers/tips.py).
FEEDBACK = "tip"

CATEGORY_NAMES = {
    # Translators: a tip category: the body's systems (heart, immunity, muscles).
    "physiological": N_("Body"),
    "physical": N_("Physical health"),
    "mental": N_("Mental health"),
    # Translators: a tip category: tips about moving together with others.
    "social": N_("Together"),
}
# The mark of each kind of source, at the start of a tip's footer and in /tipstats.
MARKS = {"research": "📚", "fact-sheet": "📋", "encouragement": "💬", "trainer": "🔗"}
# What inspired an encouragement tip, as the reader reads it under the tip: our practice's
# words (references.toml `inspired_by`), so translated. A test checks every one is here.
INSPIRED_BY = (
    # Translators: under a tip: "inspired by an ISSA article" (ISSA: a fitness association).
    N_("an ISSA article"),
)

SAFETY = N_("General information, not medical advice: your own plan comes from your therapist.")
TRAINER_SOURCE = N_("🔗 Source chosen by {trainer}")
# Translators: {source} is what inspired the tip, e.g. "an ISSA article", linked.
ENCOURAGEMENT = N_("💬 Encouragement from our practice, inspired by {source}")
# Translators: a health organisation's published figures: the organisation, year and title.
FACTS = N_("📋 Facts and figures: {authors} ({year}). {title}.")
# Translators: a study: its authors, year, title and journal, as published.
RESEARCH = N_("📚 Research: {authors} ({year}). {title}. {journal}.")
RESEARCH_UNLINKED = N_(
    "📚 Research: {authors} ({year}). {title}. {journal}. No DOI or link is known for it."
)


def category_name(t: Translator, category: str) -> str:
    """A tip category as the reader calls it ("Mental health")."""
    return t._(CATEGORY_NAMES[category])


@dataclass(frozen=True)
class Footer:
    """The line under a tip that says what kind of source it rests on: `words` as the reader
    reads them, `html` as Telegram shows them (with the link on a line of its own, or, under
    encouragement, on the words that name what inspired it, whose address would claim what
    the tip does not)."""

    kind: str
    words: str
    html: str
    link: str | None

    def as_dict(self) -> dict[str, str | None]:
        """The footer as plain data (the /privacy export)."""
        return {"kind": self.kind, "text": self.words, "link": self.link}


def _escaped(params: dict[str, str]) -> dict[str, str]:
    return {name: escape(value) for name, value in params.items()}


def footer(t: Translator, tip: tips.ChosenTip) -> Footer:
    """What the tip rests on, in the reader's words: a study by its authors, year, title and
    journal with its DOI link; a health organisation's facts and figures; encouragement from
    our practice, said plainly; or the source a trainer chose."""
    source = tip.source
    if isinstance(source, tips.TrainerSource):
        words = t._(TRAINER_SOURCE, trainer=source.trainer_name)
        html = t._(TRAINER_SOURCE, trainer=escape(source.trainer_name))
        return Footer("trainer", words, f"{html}\n{escape(source.link)}", source.link)
    if source.evidence == "encouragement":
        inspired = t._(source.inspired_by) if source.inspired_by else ""
        anchor = f'<a href="{escape(source.url or "")}">{escape(inspired)}</a>'
        words = t._(ENCOURAGEMENT, source=inspired)
        return Footer("encouragement", words, t._(ENCOURAGEMENT, source=anchor), source.url)
    named = {"authors": source.authors, "year": str(source.year), "title": source.title}
    if source.evidence == "fact-sheet":
        msgid = FACTS
    else:
        named["journal"] = source.journal or ""
        msgid = RESEARCH if source.url else RESEARCH_UNLINKED
    words, html = t._(msgid, **named), t._(msgid, **_escaped(named))
    link = f"\n{escape(source.url)}" if source.url else ""
    return Footer(source.evidence, words, html + link, source.url)


def tip_message(t: Translator, tip: tips.ChosenTip) -> tuple[str, InlineKeyboardMarkup]:
    """A tip as a message: title, text, a safety line, and last its footer; with Helpful /
    Not for me. `tip` is worded as the reader reads it (see `tips.in_language`)."""
    if tip.trainer_name:
        heading = t._(
            "💡 <b>Tip from your trainer {trainer}: {title}</b>",
            trainer=escape(tip.trainer_name),
            title=escape(tip.title),
        )
    else:
        heading = f"💡 <b>{escape(tip.title)}</b>"
    text = f"{heading}\n\n{escape(tip.text)}\n\n<i>{t._(SAFETY)}</i>\n\n{footer(t, tip).html}"
    keyboard = grid(
        [
            # Translators: button under a tip, keep under 20 characters.
            button(t._("👍 Helpful"), pack(FEEDBACK, "h", tip.tip_id)),
            # Translators: button under a tip, keep under 20 characters.
            button(t._("🙅 Not for me"), pack(FEEDBACK, "n", tip.tip_id)),
        ]
    )
    return text, keyboard


def group_post(t: Translator, tip: tips.ChosenTip) -> str:
    """The weekly post for a community group: the tip and its footer, nothing personal."""
    heading = t._("🤝 <b>Why we move together: {title}</b>", title=escape(tip.title))
    return f"{heading}\n\n{escape(tip.text)}\n\n{footer(t, tip).html}"


# --------------------------------------------------------------------- scheduled


def tip_params(tip: tips.ChosenTip) -> dict[str, Any]:
    """What the outbox keeps of a tip until it is rendered: a library tip's id (worded in
    the reader's language as it goes out); a trainer's tip as written, with its source."""
    if not isinstance(tip.source, tips.TrainerSource):
        return {"tip": tip.tip_id}
    return {
        "tip": tip.tip_id,
        "category": tip.category,
        "title": tip.title,
        "text": tip.text,
        "trainer": tip.source.trainer_name,
        "link": tip.source.link,
    }


def tip_of(params: dict[str, Any], library: Library, language: str) -> tips.ChosenTip:
    """The tip `tip_params` kept, worded in `language`; KeyError if the library lost it."""
    if "trainer" in params:
        return tips.ChosenTip(
            tip_id=params["tip"],
            category=params["category"],
            title=params["title"],
            text=params["text"],
            source=tips.TrainerSource(trainer_name=params["trainer"], link=params["link"]),
        )
    entry = library.tip(params["tip"])
    if entry is None:
        raise KeyError(f"no tip {params['tip']!r} in the library")
    return tips.library_tip(entry, library, language)


@template("tip")
def scheduled_tip(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A scheduled tip, with its buttons. params: see `tip_params`."""
    tip = tip_of(params, shipped_library(), reader.t.language)
    return rendered(*tip_message(reader.t, tip))


@template("group_tip")
def group_tip(reader: Reader, params: dict[str, Any]) -> Rendered:
    """The Monday "why we move together" post of a group. params: tip (a library tip id)."""
    tip = tip_of(params, shipped_library(), reader.t.language)
    return rendered(group_post(reader.t, tip))


def received_tips(
    t: Translator,
    received: list[dict[str, Any]],
    found: dict[str, tips.ChosenTip],
    library: Library,
) -> list[dict[str, Any]]:
    """The tips a person received (export rows with a tip_id), each with the tip's title and
    the footer it was shown with, in the reader's words; `found` is `tips.describe` of them."""
    worded = {tip_id: tips.in_language(tip, library, t.language) for tip_id, tip in found.items()}
    return [
        {
            **row,
            "title": worded[row["tip_id"]].title,
            "source": footer(t, worded[row["tip_id"]]).as_dict(),
        }
        if row["tip_id"] in worded
        else row
        for row in received
    ]
