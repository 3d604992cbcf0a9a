"""What a tip's footer must say, checked on the message as Telegram shows it (plain text and
entities), for the unit test over the library and for the end-to-end tests alike."""

from __future__ import annotations

from bot.services.tip_library import Reference

# Words that would make a reader take encouragement for research.
SCIENCE_WORDS = ("science", "scientific", "research", "study", "studies", "evidence", "proven")
# Research references without a DOI, each with its reason in references.toml. Adding one is a
# deliberate change to this set.
WITHOUT_DOI = {"khaledi2020", "ochentel2018"}


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of `text` an entity covers (Telegram counts in UTF-16 code units)."""
    encoded = text.encode("utf-16-le")
    return encoded[2 * offset : 2 * (offset + length)].decode("utf-16-le")


def footer_of(text: str) -> str:
    """The footer: the last paragraph of a tip message or group post."""
    return text.rsplit("\n\n", 1)[1]


def links(text: str, entities: list[dict]) -> dict[str, str]:
    """Linked words and where they lead, for every text link in the message."""
    return {
        utf16_slice(text, entity["offset"], entity["length"]): entity["url"]
        for entity in entities
        if entity["type"] == "text_link"
    }


def science_words(text: str) -> list[str]:
    """The words of SCIENCE_WORDS found anywhere in `text` (case-insensitive)."""
    return [word for word in SCIENCE_WORDS if word in text.lower()]


def check_footer(text: str, entities: list[dict], reference: Reference) -> None:
    """Assert that the message's footer says what kind of source `reference` is, and claims
    no more: a study by authors, year, title and journal with its DOI link; a health
    organisation's figures with their link; or encouragement, plainly, with no science word
    anywhere in the words the reader reads."""
    footer = footer_of(text)
    if reference.evidence == "encouragement":
        assert footer == f"💬 Encouragement from our practice, inspired by {reference.inspired_by}"
        assert links(text, entities) == {reference.inspired_by: reference.link}
        assert science_words(text) == [], text
        assert "http" not in text
        return
    words, _, link = footer.partition("\n")
    named = f"{reference.authors} ({reference.year}). {reference.title}."
    if reference.evidence == "fact-sheet":
        assert words == f"📋 Facts and figures: {named}"
        assert link == reference.link
        assert science_words(footer) == []
        return
    assert reference.evidence == "research"
    assert words.startswith(f"📚 Research: {named} {reference.journal}.")
    if reference.key in WITHOUT_DOI:
        assert reference.doi is None and reference.no_doi
        assert link == (reference.link or "")
        if not reference.link:
            assert words.endswith("No DOI or link is known for it.")
    else:
        assert link == f"https://doi.org/{reference.doi}"
