"""The tip library: tips and their references, read from TOML and checked before use.

A broken entry stops the bot at start with the file, the entry and the problem named.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONTENT = Path(__file__).resolve().parent.parent / "content"
TIPS_FILE = CONTENT / "tips.toml"
REFERENCES_FILE = CONTENT / "references.toml"

CATEGORIES = ("physiological", "physical", "mental", "social")
MAX_TEXT = 500
MAX_TITLE = 80
# An "encouragement" source is the article's own uncited claims: tips on it must not dress
# them up as findings.
RESEARCH_WORDS = re.compile(
    r"\b(research|study|studies|trial|trials|review|evidence|scientists?|shows?|proven)\b",
    re.IGNORECASE,
)

Category = Literal["physiological", "physical", "mental", "social"]


class LibraryError(Exception):
    """The library cannot be used; the message names the file, the entry and the problem."""


class Reference(BaseModel):
    """A source tips rest on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9]+$")
    citation: str = Field(min_length=10)
    link: str = Field(pattern=r"^https?://\S+$")
    supports: str = Field(min_length=5)
    category: Category
    evidence: Literal["research", "encouragement"]


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
        if reference.evidence == "encouragement" and RESEARCH_WORDS.search(tip.text):
            word = RESEARCH_WORDS.search(tip.text).group(0)
            raise LibraryError(
                f"{tips_path}, {name}: rests on an encouragement source but says "
                f"{word!r}, as if it were a research finding"
            )
        seen.add(tip.id)
        tips.append(tip)
    return Library(tips=tuple(tips), references=references)
