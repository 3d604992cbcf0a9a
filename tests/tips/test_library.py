"""The tip library: every tip checked, every reference used, and broken files refused."""

from __future__ import annotations

import collections
import textwrap

import pytest

from bot.services.tip_library import (
    CATEGORIES,
    MAX_TEXT,
    RESEARCH_WORDS,
    LibraryError,
    load_library,
)


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_every_tip_is_well_formed(library):
    ids = [tip.id for tip in library.tips]
    assert len(ids) == len(set(ids)), "tip ids must be unique"
    for tip in library.tips:
        assert tip.reference in library.references, tip.id
        assert tip.category in CATEGORIES, tip.id
        assert 20 <= len(tip.text) <= MAX_TEXT, tip.id
        assert 3 <= len(tip.title) <= 80, tip.id


def test_size_and_balance(library):
    counts = collections.Counter(tip.category for tip in library.tips)
    assert len(library.tips) >= 40
    assert set(counts) == set(CATEGORIES)
    assert counts["mental"] + counts["social"] >= len(library.tips) / 2


def test_every_reference_is_used_and_cited_with_a_link(library):
    used = {tip.reference for tip in library.tips}
    assert used == set(library.references)
    for reference in library.references.values():
        assert reference.link.startswith(("https://", "http://"))
        assert reference.citation


def test_encouragement_never_poses_as_research(library):
    for tip in library.tips:
        if library.references[tip.reference].evidence == "encouragement":
            assert not RESEARCH_WORDS.search(tip.text), tip.id


def write(tmp_path, tips: str, references: str | None = None):
    tips_file = tmp_path / "tips.toml"
    tips_file.write_text(textwrap.dedent(tips))
    references_file = tmp_path / "references.toml"
    references_file.write_text(
        textwrap.dedent(
            references
            or """
            [[reference]]
            key = "smith2021"
            citation = "Smith PJ, Merwin RM. The Role of Exercise. Annu Rev Med 2021"
            link = "https://doi.org/10.1146/annurev-med-060619-022943"
            supports = "exercise helps treat depression and anxiety"
            category = "mental"
            evidence = "research"

            [[reference]]
            key = "article"
            citation = "ISSA. Science-Backed Benefits of Exercise Therapy (2024)"
            link = "https://example.org/article"
            supports = "encouragement"
            category = "social"
            evidence = "encouragement"
            """
        )
    )
    return tips_file, references_file


GOOD = """
[[tip]]
id = "ok-tip"
category = "mental"
title = "A title"
text = "A perfectly reasonable tip text that is long enough."
reference = "smith2021"
"""


def test_a_good_file_loads(tmp_path):
    library = load_library(*write(tmp_path, GOOD))
    assert [tip.id for tip in library.tips] == ["ok-tip"]


@pytest.mark.parametrize(
    ("tips", "message"),
    [
        (
            GOOD.replace("A perfectly", "A" * 501 + " perfectly"),
            "tip 'ok-tip' (entry 1): text: String should have at most 500 characters",
        ),
        (
            GOOD.replace('"smith2021"', '"nobody1999"'),
            "tip 'ok-tip' (entry 1): unknown reference 'nobody1999'",
        ),
        (GOOD + GOOD, "tip 'ok-tip' (entry 2): the id is used twice"),
        (
            GOOD.replace('"mental"', '"spiritual"'),
            "tip 'ok-tip' (entry 1): category: Input should be",
        ),
        (
            GOOD.replace('id = "ok-tip"', 'id = "Not OK"'),
            "tip 'Not OK' (entry 1): id: String should match pattern",
        ),
        (
            GOOD.replace('reference = "smith2021"', ""),
            "tip 'ok-tip' (entry 1): reference: Field required",
        ),
        (
            GOOD.replace('"smith2021"', '"article"').replace(
                "A perfectly reasonable", "Research shows a"
            ),
            "rests on an encouragement source but says 'Research'",
        ),
        (GOOD.replace("A title", "A <b>title</b>"), "title: Value error, must be plain text"),
        ("[[tip]\nid = 1", "not valid TOML"),
        ("", "no [[tip]] entries"),
    ],
)
def test_a_broken_entry_names_file_entry_and_problem(tmp_path, tips, message):
    tips_file, references_file = write(tmp_path, tips)
    with pytest.raises(LibraryError) as error:
        load_library(tips_file, references_file)
    assert str(error.value).startswith(str(tips_file))
    assert message in str(error.value)


def test_a_broken_reference_is_named(tmp_path):
    tips_file, references_file = write(
        tmp_path,
        GOOD,
        """
        [[reference]]
        key = "smith2021"
        citation = "Smith PJ, Merwin RM. The Role of Exercise. Annu Rev Med 2021"
        link = "doi.org/10.1146/no-scheme"
        supports = "exercise helps"
        category = "mental"
        evidence = "research"
        """,
    )
    with pytest.raises(
        LibraryError, match=r"references.toml, reference 'smith2021' \(entry 1\): link"
    ):
        load_library(tips_file, references_file)


def test_a_broken_library_stops_the_bot_at_start(tmp_path, monkeypatch, capsys):
    from bot import cli
    from bot.services import tip_library

    tips_file, references_file = write(tmp_path, GOOD.replace('"smith2021"', '"gone"'))
    monkeypatch.setattr(tip_library, "TIPS_FILE", tips_file)
    monkeypatch.setattr(tip_library, "REFERENCES_FILE", references_file)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    assert cli.main(["run"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        f"Tip library error: {tips_file}, tip 'ok-tip' (entry 1): unknown reference"
    )
    assert error.count("\n") == 1
