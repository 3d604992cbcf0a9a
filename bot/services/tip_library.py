"""The tip library: tips and their references, read from TOML and checked before use.

A broken entry stops the bot at start with the file, the entry and the problem named.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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
# Words that present a statement as a finding. Tips on a source that is not research (an
# "encouragement" or a "fact-sheet" source) must not use them, and neither may the words the
# reader sees under an encouragement tip.
RESEARCH_WORDS = re.compile(
    r"\b(research\w*|study|studies|trials?|reviews?|evidence\w*|scien\w*|shows?|shown|"
    r"proven|proof)\b",
    re.IGNORECASE,
)
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
    category: Category

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Reference:
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


class Tip(BaseModel):
    """One tip of the library."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,48}$")
    category: Category
    title: str = Field(min_length=3, max_length=MAX_TITLE)
    text: str = Field(min_length=20, max_length=MAX_TEXT)
    reference: str

    @field_validator("text", "title")
    @classmethod
    def _no_markup(cls, value: str) -> str:
        if "<" in value or ">" in value:
            raise ValueError("must be plain text (no < or >)")
        return value


@dataclass(frozen=True)
class Library:
    """The checked library: tips in file order and references by key."""

    tips: tuple[Tip, ...]
    references: dict[str, Reference]

    def tip(self, tip_id: str) -> Tip | None:
        """The tip with this id, if the library has it."""
        return next((tip for tip in self.tips if tip.id == tip_id), None)


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
    """Read and check the library (by default bot/content/tips.toml and references.toml);
    raise LibraryError naming the file, the entry and the problem."""
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

    tips: list[Tip] = []
    seen: set[str] = set()
    for number, raw in _entries(tips_path, "tip"):
        name = f"tip {raw.get('id', '?')!r} (entry {number})"
        try:
            tip = Tip(**raw)
        except ValidationError as error:
            raise LibraryError(f"{tips_path}, {name}: {_problem(error)}") from None
        if tip.id in seen:
            raise LibraryError(f"{tips_path}, {name}: the id is used twice")
        reference = references.get(tip.reference)
        if reference is None:
            raise LibraryError(f"{tips_path}, {name}: unknown reference {tip.reference!r}")
        found = RESEARCH_WORDS.search(f"{tip.title}\n{tip.text}")
        if reference.evidence != "research" and found:
            raise LibraryError(
                f"{tips_path}, {name}: rests on {KIND_NAMES[reference.evidence]} but says "
                f"{found.group(0)!r}, as if it were a research finding"
            )
        seen.add(tip.id)
        tips.append(tip)
    return Library(tips=tuple(tips), references=references)
