"""The tip library: tips and their references, read from TOML and checked before use, and
their translations, one file per language.

A broken entry stops the bot at start with the file, the entry and the problem named.

`tips.toml` is the library: ids, categories, references and the English title and text.
`tips.<language>.toml` (e.g. `tips.de.toml`) holds, for each tip id, its title and text in
that language and whether a translator has translated it (`translated = true`). A missing
file, a tip missing from one, or an entry not yet translated reads the English tip, so a
half-translated language still works; the test suite requires complete files for the
shipped languages.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

CONTENT = Path(__file__).resolve().parent.parent / "content"
TIPS_FILE = CONTENT / "tips.toml"
REFERENCES_FILE = CONTENT / "references.toml"

CATEGORIES = ("physiological", "physical", "mental", "social")
MAX_TEXT = 500
MAX_TITLE = 80
# A translation may run longer than the English (German, Spanish and Russian usually need
# a fifth to a third more letters for the same words).
MAX_TRANSLATED_TEXT = 700
MAX_TRANSLATED_TITLE = 100
# Words that present a statement as a finding. Tips on a source that is not research (an
# "encouragement" or a "fact-sheet" source) must not use them, and neither may the words the
# reader sees under an encouragement tip.
RESEARCH_WORDS = re.compile(
    r"\b(research\w*|study|studies|trials?|reviews?|evidence\w*|scien\w*|shows?|shown|"
    r"proven|proof)\b",
    re.IGNORECASE,
)
# The same, for each language tips are translated into (word beginnings, any ending). A
# translation is checked against its language's words and the English ones (loanwords).
# A language needs its list here before its translation file is accepted.
TRANSLATED_RESEARCH_WORDS = {
    "de": re.compile(
        r"\b(studie\w*|forsch\w*|wissenschaft\w*|belegt\w*|beleg\w*|nachgewiesen\w*|"
        r"nachweis\w*|bewies\w*|beweis\w*|erwiesen\w*|zeigt\w*|zeigen\w*|gezeigt\w*|"
        r"evidenz\w*|untersuchung\w*|review\w*)\b",
        re.IGNORECASE,
    ),
    "es": re.compile(
        r"\b(estudio\w*|investiga\w*|cienci\w*|cient[ií]fic\w*|evidencia\w*|demuestr\w*|"
        r"demostr\w*|prueba\w*|probad\w*|revisi[oó]n\w*|ensayo\w*|muestra\w*|"
        r"mostrad\w*)\b",
        re.IGNORECASE,
    ),
    "ru": re.compile(
        r"\b(исследова\w*|наук\w*|научн\w*|доказ\w*|показ\w*|обзор\w*|испытани\w*|"
        r"учён\w*|учены\w*)\b",
        re.IGNORECASE,
    ),
}
DOI_LINK = "https://doi.org/"

Category = Literal["physiological", "physical", "mental", "social"]
Evidence = Literal["research", "fact-sheet", "encouragement"]
KIND_NAMES = {
    "research": "a research source",
    "fact-sheet": "a fact sheet",
    "encouragement": "an encouragement source",
}


class LibraryError(Exception):
    """The library cannot be used; the message names the file, the entry and the problem."""


class Reference(BaseModel):
    """A source tips rest on, and what kind of source it is (see references.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9]+$")
    evidence: Evidence
    authors: str = Field(min_length=2)
    year: int = Field(ge=1900, le=2100)
    title: str = Field(min_length=5)
    journal: str | None = Field(default=None, min_length=5)
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    no_doi: str | None = Field(default=None, min_length=10)
    link: str | None = Field(default=None, pattern=r"^https://\S+$")
    inspired_by: str | None = Field(default=None, min_length=3)
    supports: str = Field(min_length=5)
    # "tips": a source tips may rest on, of a tip category. "safety": a source of the
    # screening, readiness and pain-monitoring wording (bot/views/safety.py); tips never cite
    # one, and it has no tip category.
    group: Literal["tips", "safety"] = "tips"
    category: Category | None = None

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Reference:
        if self.group == "tips" and self.category is None:
            raise ValueError("a source tips rest on has a category")
        if self.group == "safety" and self.category is not None:
            raise ValueError("a safety source has no tip category (tips never cite it)")
        allowed = {
            "research": {"journal", "doi", "no_doi", "link"},
            "fact-sheet": {"link"},
            "encouragement": {"inspired_by", "link"},
        }[self.evidence]
        for name in ("journal", "doi", "no_doi", "link", "inspired_by"):
            if getattr(self, name) is not None and name not in allowed:
                raise ValueError(f"{KIND_NAMES[self.evidence]} has no {name}")
        if self.evidence == "research":
            if self.journal is None:
                raise ValueError("a research source names its journal")
            if (self.doi is None) == (self.no_doi is None):
                raise ValueError("a research source has a doi, or says in no_doi why not")
            if self.doi is not None and self.link is not None:
                raise ValueError("a research source with a doi is linked by it: drop the link")
        elif self.link is None:
            raise ValueError(f"{KIND_NAMES[self.evidence]} needs a link")
        if self.evidence == "encouragement":
            if self.inspired_by is None:
                raise ValueError("an encouragement source says in inspired_by what inspired it")
            found = RESEARCH_WORDS.search(self.inspired_by)
            if found:
                raise ValueError(
                    f"inspired_by says {found.group(0)!r}: readers would take "
                    "encouragement for research"
                )
        return self

    @property
    def url(self) -> str | None:
        """Where the reader can find the source: its DOI link, else its link (None: nowhere)."""
        return f"{DOI_LINK}{self.doi}" if self.doi else self.link


class _Wording(BaseModel):
    """An entry whose title and text the reader reads: plain text, no markup."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("text", "title", check_fields=False)
    @classmethod
    def _no_markup(cls, value: str) -> str:
        if "<" in value or ">" in value:
            raise ValueError("must be plain text (no < or >)")
        return value


class Tip(_Wording):
    """One tip of the library."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,48}$")
    category: Category
    title: str = Field(min_length=3, max_length=MAX_TITLE)
    text: str = Field(min_length=20, max_length=MAX_TEXT)
    reference: str


class TipTranslation(_Wording):
    """One tip's title and text in another language (an entry of `tips.<language>.toml`)."""

    id: str
    translated: bool  # False: still the English copy, waiting for a translator
    title: str = Field(min_length=3, max_length=MAX_TRANSLATED_TITLE)
    text: str = Field(min_length=20, max_length=MAX_TRANSLATED_TEXT)


@dataclass(frozen=True)
class Library:
    """The checked library: tips in file order, references by key, and the translations
    (language -> tip id -> entry)."""

    tips: tuple[Tip, ...]
    references: dict[str, Reference]
    translations: dict[str, dict[str, TipTranslation]] = field(default_factory=dict)

    def tip(self, tip_id: str) -> Tip | None:
        """The tip with this id, if the library has it."""
        return next((tip for tip in self.tips if tip.id == tip_id), None)

    def wording(self, tip: Tip, language: str) -> tuple[str, str]:
        """The tip's title and text in `language`: its translation once a translator marked
        it translated, else the English."""
        entry = self.translations.get(language, {}).get(tip.id)
        if entry is None or not entry.translated:
            return tip.title, tip.text
        return entry.title, entry.text


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise LibraryError(f"{path}: the file is missing") from None
    except tomllib.TOMLDecodeError as error:
        raise LibraryError(f"{path}: not valid TOML: {error}") from None


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "entry"
    return f"{where}: {first['msg']}"


def _entries(path: Path, table: str) -> list[tuple[int, dict]]:
    data = _read(path)
    entries = data.get(table)
    if not isinstance(entries, list) or not entries:
        raise LibraryError(f"{path}: no [[{table}]] entries")
    return list(enumerate(entries, start=1))


def load_library(tips_path: Path | None = None, references_path: Path | None = None) -> Library:
    """Read and check the library (by default bot/content/tips.toml and references.toml)
    and the translation files beside it (`tips.<language>.toml`); raise LibraryError naming
    the file, the entry and the problem."""
    tips_path = tips_path or TIPS_FILE
    references_path = references_path or REFERENCES_FILE
    references: dict[str, Reference] = {}
    for number, raw in _entries(references_path, "reference"):
        name = f"reference {raw.get('key', '?')!r} (entry {number})"
        try:
            reference = Reference(**raw)
        except ValidationError as error:
            raise LibraryError(f"{references_path}, {name}: {_problem(error)}") from None
        if reference.key in references:
            raise LibraryError(f"{references_path}, {name}: the key is used twice")
        references[reference.key] = reference

    tips = _checked(tips_path, Tip, references, RESEARCH_WORDS)
    translations = {
        language: _translations(path, language, {tip.id: tip for tip in tips}, references)
        for language, path in translation_files(tips_path).items()
    }
    return Library(tips=tuple(tips), references=references, translations=translations)


Entry = TypeVar("Entry", Tip, TipTranslation)


def _checked(
    path: Path,
    model: type[Entry],
    references: dict[str, Reference],
    research_words: re.Pattern[str],
    tips: dict[str, Tip] | None = None,
) -> list[Entry]:
    """The [[tip]] entries of a library or translation file, each checked: its fields, an id
    used once (a translation's: one the library has), and no `research_words` where the tip
    rests on a source that is not research."""
    found: dict[str, Entry] = {}
    for number, raw in _entries(path, "tip"):
        name = f"tip {raw.get('id', '?')!r} (entry {number})"
        try:
            entry = model(**raw)
        except ValidationError as error:
            raise LibraryError(f"{path}, {name}: {_problem(error)}") from None
        if entry.id in found:
            raise LibraryError(f"{path}, {name}: the id is used twice")
        if tips is None:
            key = entry.reference
            if key not in references:
                raise LibraryError(f"{path}, {name}: unknown reference {key!r}")
        elif entry.id in tips:
            key = tips[entry.id].reference
        else:
            raise LibraryError(f"{path}, {name}: no tip has this id in the English library")
        if references[key].group != "tips":
            raise LibraryError(
                f"{path}, {name}: rests on {key!r}, a {references[key].group} source that tips "
                "never cite"
            )
        evidence = references[key].evidence
        said = research_words.search(f"{entry.title}\n{entry.text}")
        if evidence != "research" and said:
            raise LibraryError(
                f"{path}, {name}: rests on {KIND_NAMES[evidence]} but says "
                f"{said.group(0)!r}, as if it were a research finding"
            )
        found[entry.id] = entry
    return list(found.values())


def translation_files(tips_path: Path) -> dict[str, Path]:
    """The translation files beside `tips_path` by language: `tips.de.toml` -> "de"."""
    found = {}
    for path in sorted(tips_path.parent.glob(f"{tips_path.stem}.*.toml")):
        language = path.name[len(tips_path.stem) + 1 : -len(".toml")]
        if re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", language):
            found[language] = path
    return found


def _translations(
    path: Path, language: str, tips: dict[str, Tip], references: dict[str, Reference]
) -> dict[str, TipTranslation]:
    """The checked entries of one translation file: known ids, each once, within the length
    limits, and no research words (the language's or English) on a source that is not
    research."""
    own_words = TRANSLATED_RESEARCH_WORDS.get(language)
    if own_words is None:
        raise LibraryError(
            f"{path}: no research words are known for {language!r}; add them to "
            "TRANSLATED_RESEARCH_WORDS in bot/services/tip_library.py first"
        )
    words = re.compile(f"{own_words.pattern}|{RESEARCH_WORDS.pattern}", re.IGNORECASE)
    entries = _checked(path, TipTranslation, references, words, tips)
    return {entry.id: entry for entry in entries}


@functools.cache
def shipped_library() -> Library:
    """The library of the shipped files, read and checked once per process: what messages
    rendered at send time (bot/views/tips.py) look their tips up in."""
    return load_library()
