"""The tip library: every tip checked, every reference used, every footer true to its
source's kind, and broken files refused."""

from __future__ import annotations

import collections
import textwrap

import pytest

from bot.i18n import translator
from bot.services import tips
from bot.services.tip_library import (
    CATEGORIES,
    MAX_TEXT,
    RESEARCH_WORDS,
    LibraryError,
    load_library,
)
from bot.views.tips import INSPIRED_BY, group_post, tip_message
from tests.fake_telegram.html import parse_html
from tests.tips.footers import WITHOUT_DOI, check_footer, footer_of, links

ENGLISH = translator("en")


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


def test_every_reference_is_used_and_says_where_to_find_it(library):
    used = {tip.reference for tip in library.tips}
    assert used == {key for key, r in library.references.items() if r.group == "tips"}
    # The screening, readiness and pain-monitoring sources are there, for no tip.
    assert {key for key, r in library.references.items() if r.group == "safety"} == {
        "warburton2011",
        "riebe2015",
        "silbernagel2007",
    }
    for reference in library.references.values():
        assert reference.authors and reference.year and reference.title, reference.key
        if reference.evidence == "research":
            assert reference.journal, reference.key
            assert (reference.doi is None) == (reference.key in WITHOUT_DOI), reference.key
        else:
            assert reference.link.startswith("https://"), reference.key
    assert {r.evidence for r in library.references.values()} == {
        "research",
        "fact-sheet",
        "encouragement",
    }


def test_only_research_tips_speak_of_research(library):
    for tip in library.tips:
        if library.references[tip.reference].evidence != "research":
            assert not RESEARCH_WORDS.search(f"{tip.title} {tip.text}"), tip.id


def test_every_tip_ends_with_the_footer_of_its_sources_kind(library):
    kinds = collections.Counter()
    for entry in library.tips:
        reference = library.references[entry.reference]
        html, _ = tip_message(ENGLISH, tips.library_tip(entry, library))
        text, entities = parse_html(html)  # as Telegram shows it
        assert text.startswith(f"💡 {entry.title}\n\n{entry.text}\n\n"), entry.id
        check_footer(text, entities, reference)
        kinds[reference.evidence] += 1
    # All three kinds occur, and every social tip rests on encouragement (none of the
    # research references studied social contact).
    assert set(kinds) == {"research", "fact-sheet", "encouragement"}
    social = {
        library.references[t.reference].evidence for t in library.tips if t.category == "social"
    }
    assert social == {"encouragement"}


def test_every_group_post_ends_with_the_footer_of_its_sources_kind(library):
    for entry in library.tips:
        if entry.category != "social":
            continue
        text, entities = parse_html(group_post(ENGLISH, tips.library_tip(entry, library)))
        assert text.startswith(f"🤝 Why we move together: {entry.title}\n\n{entry.text}\n\n")
        check_footer(text, entities, library.references[entry.reference])


def test_what_inspired_an_encouragement_tip_is_worded_through_the_catalog(library):
    """The words under an encouragement tip that name what inspired it are our practice's:
    each is a msgid (bot/views/tips.py INSPIRED_BY), so translators get to them."""
    inspired = {r.inspired_by for r in library.references.values() if r.inspired_by}
    assert inspired and inspired <= set(INSPIRED_BY)


def test_a_trainers_tip_names_the_trainer_as_the_one_who_chose_its_source():
    tip = tips.ChosenTip(
        tip_id="trainer-1",
        category="physical",
        title="Breathe out on the effort",
        text="Breathe out as you lift and in as you lower.",
        source=tips.TrainerSource(trainer_name="Tess", link="https://example.org/breathing"),
    )
    text, entities = parse_html(tip_message(ENGLISH, tip)[0])
    assert text.startswith("💡 Tip from your trainer Tess: Breathe out on the effort")
    assert footer_of(text) == "🔗 Source chosen by Tess\nhttps://example.org/breathing"
    assert links(text, entities) == {}


RESEARCH = """
[[reference]]
key = "smith2021"
evidence = "research"
authors = "Smith PJ, Merwin RM"
year = 2021
title = "The Role of Exercise"
journal = "Annual Review of Medicine"
doi = "10.1146/annurev-med-060619-022943"
supports = "exercise helps treat depression and anxiety"
category = "mental"
"""
ENCOURAGEMENT = """
[[reference]]
key = "article"
evidence = "encouragement"
authors = "ISSA"
year = 2024
title = "Science-Backed Benefits of Exercise Therapy"
inspired_by = "an ISSA article"
link = "https://example.org/article"
supports = "encouragement"
category = "social"
"""
FACT_SHEET = """
[[reference]]
key = "figures"
evidence = "fact-sheet"
authors = "A Health Organisation"
year = 2024
title = "Some Figures"
link = "https://example.org/figures"
supports = "one in five"
category = "mental"
"""


def write(tmp_path, tips: str, references: str = RESEARCH + ENCOURAGEMENT + FACT_SHEET):
    tips_file = tmp_path / "tips.toml"
    tips_file.write_text(textwrap.dedent(tips))
    references_file = tmp_path / "references.toml"
    references_file.write_text(references)
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
        (
            GOOD.replace('"smith2021"', '"article"').replace('"A title"', '"Proven by science"'),
            "rests on an encouragement source but says 'Proven'",
        ),
        (
            GOOD.replace('"smith2021"', '"figures"').replace(
                "A perfectly reasonable", "A study found a"
            ),
            "rests on a fact sheet but says 'study'",
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


@pytest.mark.parametrize(
    ("references", "message"),
    [
        (RESEARCH.replace("doi = ", 'link = "doi.org/no-scheme"\ndoi = '), "link: String should"),
        (RESEARCH.replace('doi = "10.1146/', 'doi = "https://doi.org/10.1146/'), "doi: String"),
        (
            RESEARCH.replace('doi = "10.1146/annurev-med-060619-022943"', ""),
            "a research source has a doi, or says in no_doi why not",
        ),
        (
            RESEARCH.replace('journal = "Annual Review of Medicine"', ""),
            "a research source names its journal",
        ),
        (
            RESEARCH.replace("doi = ", 'link = "https://example.org/paper"\ndoi = '),
            "a research source with a doi is linked by it",
        ),
        (
            RESEARCH.replace('evidence = "research"', 'evidence = "encouragement"'),
            "an encouragement source has no journal",
        ),
        (
            ENCOURAGEMENT.replace('"an ISSA article"', '"science-backed benefits"'),
            "inspired_by says 'science': readers would take encouragement for research",
        ),
        (ENCOURAGEMENT.replace('inspired_by = "an ISSA article"', ""), "says in inspired_by"),
        (ENCOURAGEMENT.replace('link = "https://example.org/article"', ""), "needs a link"),
    ],
)
def test_a_broken_reference_is_named(tmp_path, references, message):
    tips_file, references_file = write(tmp_path, GOOD, references)
    with pytest.raises(LibraryError) as error:
        load_library(tips_file, references_file)
    key = references.split('key = "')[1].split('"')[0]
    assert f"references.toml, reference '{key}' (entry 1): " in str(error.value)
    assert message in str(error.value)


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


# --------------------------------------------------------------------- translations


def test_every_shipped_language_has_every_tip(library):
    """Each language the bot speaks has a translation file with every tip of the library,
    once; an entry not yet translated is still the English copy (a translator's work is
    marked translated, so that it is used)."""
    from bot.i18n import available_languages

    languages = [language for language in available_languages() if language != "en"]
    assert {"de", "es", "ru"} <= set(languages)
    for language in languages:
        entries = library.translations.get(language)
        assert entries is not None, f"bot/content/tips.{language}.toml is missing"
        assert set(entries) == {tip.id for tip in library.tips}, language
        for tip in library.tips:
            entry = entries[tip.id]
            if not entry.translated:
                assert (entry.title, entry.text) == (tip.title, tip.text), (language, tip.id)


TRANSLATION = """
[[tip]]
id = "ok-tip"
translated = true
title = "Ein Titel"
text = "Ein ganz vernünftiger Tipp, der lang genug ist."
"""


def write_translation(tmp_path, language: str, entries: str):
    path = tmp_path / f"tips.{language}.toml"
    path.write_text(textwrap.dedent(entries))
    return path


def test_a_translation_is_read_beside_the_library_and_english_fills_the_gaps(tmp_path):
    tips_file, references_file = write(
        tmp_path, GOOD + GOOD.replace("ok-tip", "other-tip").replace("A title", "Another")
    )
    write_translation(tmp_path, "de", TRANSLATION)
    write_translation(
        tmp_path, "es", TRANSLATION.replace("true", "false").replace("Ein Titel", "Un título")
    )
    library = load_library(tips_file, references_file)
    ok, other = library.tips
    assert library.wording(ok, "de") == (
        "Ein Titel",
        "Ein ganz vernünftiger Tipp, der lang genug ist.",
    )
    assert library.wording(other, "de") == (other.title, other.text)  # not in the file
    assert library.wording(ok, "es") == (ok.title, ok.text)  # not yet translated
    assert library.wording(ok, "ru") == (ok.title, ok.text)  # no file at all


@pytest.mark.parametrize(
    ("language", "entries", "message"),
    [
        ("de", TRANSLATION + TRANSLATION, "tip 'ok-tip' (entry 2): the id is used twice"),
        (
            "de",
            TRANSLATION.replace('"ok-tip"', '"no-such-tip"'),
            "tip 'no-such-tip' (entry 1): no tip has this id in the English library",
        ),
        (
            "de",
            TRANSLATION.replace("Ein ganz", "Ein " + "sehr " * 140 + "ganz"),
            "text: String should have at most 700 characters",
        ),
        ("de", TRANSLATION.replace("translated = true\n", ""), "translated: Field required"),
        ("de", TRANSLATION.replace("Ein Titel", "Ein <b>Titel</b>"), "must be plain text"),
        ("fr", TRANSLATION, "no research words are known for 'fr'"),
    ],
)
def test_a_broken_translation_names_file_entry_and_problem(tmp_path, language, entries, message):
    tips_file, references_file = write(tmp_path, GOOD)
    path = write_translation(tmp_path, language, entries)
    with pytest.raises(LibraryError) as error:
        load_library(tips_file, references_file)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("language", "text", "word"),
    [
        ("de", "Eine Studie belegt, dass Bewegung in der Gruppe guttut.", "Studie"),
        ("de", "Wissenschaftlich gesehen tut Bewegung in der Gruppe gut.", "Wissenschaftlich"),
        ("es", "La investigación dice que moverse en grupo sienta bien.", "investigación"),
        ("es", "Está demostrado que moverse en grupo sienta muy bien.", "demostrado"),
        ("ru", "Исследования говорят, что движение в группе полезно.", "Исследования"),
        ("ru", "Научно доказано, что движение в группе полезно всем.", "Научно"),
        ("ru", "Research говорит, что движение в группе полезно всем.", "Research"),
    ],
)
def test_a_translation_may_not_word_encouragement_as_a_finding(tmp_path, language, text, word):
    tips_file, references_file = write(tmp_path, GOOD.replace('"smith2021"', '"article"'))
    entries = TRANSLATION.replace("Ein ganz vernünftiger Tipp, der lang genug ist.", text)
    path = write_translation(tmp_path, language, entries)
    with pytest.raises(LibraryError) as error:
        load_library(tips_file, references_file)
    assert str(error.value).startswith(f"{path}, tip 'ok-tip' (entry 1): rests on an encouragement")
    assert f"says {word!r}" in str(error.value)
    # The same words are fine where the tip rests on research.
    write(tmp_path, GOOD)
    assert load_library(tips_file, references_file).translations[language]["ok-tip"].text == text


SAFETY = """
[[reference]]
key = "parq"
group = "safety"
evidence = "research"
authors = "Warburton DER, et al."
year = 2011
title = "The PAR-Q+"
journal = "Health & Fitness Journal of Canada"
doi = "10.14288/hfjc.v4i2.103"
supports = "screening questions"
"""


def test_a_tip_may_not_cite_a_safety_source(tmp_path):
    tips_file, references_file = write(
        tmp_path, GOOD.replace('"smith2021"', '"parq"'), RESEARCH + SAFETY
    )
    with pytest.raises(LibraryError) as error:
        load_library(tips_file, references_file)
    assert "rests on 'parq', a safety source that tips never cite" in str(error.value)
    assert load_library(*write(tmp_path, GOOD, RESEARCH + SAFETY)).references["parq"]


def test_a_safety_source_has_no_tip_category_and_a_tip_source_has_one(tmp_path):
    for references, message in (
        (RESEARCH + SAFETY.replace("supports =", 'category = "mental"\nsupports ='), "no tip"),
        (RESEARCH.replace('category = "mental"', ""), "has a category"),
    ):
        tips_file, references_file = write(tmp_path, GOOD, references)
        with pytest.raises(LibraryError) as error:
            load_library(tips_file, references_file)
        assert message in str(error.value)
