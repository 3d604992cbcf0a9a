"""The line under a tip says what it rests on, wherever a tip is shown: /tip, the weekly
group post, /tipstats and the /privacy export, through the real bot."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot.models import TipDelivery, User
from bot.services import tips
from bot.services.tip_library import load_library
from tests.classes.conftest import add_series
from tests.community.test_flows import link_group
from tests.tips.footers import check_footer, science_words
from tests.tips.test_tips_flow import make_trainer

LIBRARY = load_library()
SAFETY = "General information, not medical advice"


async def tips_of_both_kinds(person, db) -> list[tuple[object, str]]:
    """/tip until the person has had an encouragement tip and a research tip (the cycle never
    repeats a tip, so the library runs out first if one kind were missing); each message with
    the id of the tip it carried."""
    got = []
    kinds: set[str] = set()
    for _ in LIBRARY.tips:
        await person.send("/tip")
        message = await person.expect("💡")
        async with db.reading() as session:
            tip_id = await session.scalar(
                select(TipDelivery.tip_id)
                .where(TipDelivery.user_id == person.id)
                .order_by(TipDelivery.id.desc())
                .limit(1)
            )
        got.append((message, tip_id))
        kinds.add(LIBRARY.references[LIBRARY.tip(tip_id).reference].evidence)
        if {"research", "encouragement"} <= kinds:
            return got
    raise AssertionError(f"the whole library went by with only {kinds}")


async def test_tip_footers_say_research_or_encouragement(onboarded, db):
    anna = await onboarded("Anna")
    for message, tip_id in await tips_of_both_kinds(anna, db):
        entry = LIBRARY.tip(tip_id)
        reference = LIBRARY.references[entry.reference]
        assert message.text.startswith(f"💡 {entry.title}\n\n{entry.text}\n\n{SAFETY}")
        check_footer(message.text, message.raw.get("entities", []), reference)
        assert message.button_texts == ["👍 Helpful", "🙅 Not for me"]


async def test_the_weekly_group_post_says_it_is_encouragement(onboarded, db, clock, tg):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    await add_series(db, clock, tess.id)
    group = tg.group("Back Care Group", id=-6001)
    await link_group(tess, group)

    # Monday 10:00 in Berlin, the class's zone.
    clock.set(dt.datetime(2026, 11, 30, 9, 0, 30, tzinfo=dt.UTC))
    post = await tess.expect_until("Why we move together", chat=group)
    title = post.text.split("\n")[0].removeprefix("🤝 Why we move together: ")
    entry = next(tip for tip in LIBRARY.tips if tip.title == title)
    assert entry.category == "social"
    assert LIBRARY.references[entry.reference].evidence == "encouragement"
    check_footer(post.text, post.raw.get("entities", []), LIBRARY.references[entry.reference])
    # No preview card either: the article's page title says "Science-Backed".
    sent = [
        call["params"]
        for call in await tg.calls("sendMessage")
        if str(call["params"].get("chat_id")) == str(group["id"])
        and "Why we move together" in call["params"].get("text", "")
    ]
    assert len(sent) == 1
    assert sent[0]["link_preview_options"] == {"is_disabled": True}


async def test_tipstats_marks_what_each_tip_rests_on(onboarded, db, admin_id, clock):
    admin = await onboarded("Ada", id=admin_id)
    async with db.transaction() as session:
        await tips.add_trainer_tip(
            session,
            await session.get(User, admin_id),
            title="Breathe out on the effort",
            text="Breathe out as you lift and in as you lower: it steadies every movement.",
            category="physical",
            source="https://example.org/breathing",
            language="en",
            now=clock.now(),
        )
    anna = await onboarded("Anna")
    received = [tip_id for _, tip_id in await tips_of_both_kinds(anna, db)]

    await admin.send("/tipstats")
    stats = await admin.expect("Tips among all clients")
    lines = stats.text.split("\n")
    assert (
        "What each rests on: 📚 research, 📋 facts and figures, 💬 encouragement, "
        "🔗 a trainer's own source" in lines
    )
    social_sent = sum(LIBRARY.tip(tip_id).category == "social" for tip_id in received)
    assert f"Together: {social_sent} · 0 · 0 (💬 13)" in lines
    mental = [line for line in lines if line.startswith("Mental health: ")]
    assert len(mental) == 1 and mental[0].endswith("(📚 7, 📋 2, 💬 5)")
    marks = {"research": "📚", "fact-sheet": "📋", "encouragement": "💬"}
    for tip_id in received:
        entry = LIBRARY.tip(tip_id)
        mark = marks[LIBRARY.references[entry.reference].evidence]
        assert f"{mark} {entry.title}: 1 · 0 · 0" in lines
    assert "🔗 Breathe out on the effort: 0 · 0 · 0" in lines


async def test_the_export_says_what_each_tip_received_rests_on(onboarded, db, tg):
    anna = await onboarded("Anna")
    received = [tip_id for _, tip_id in await tips_of_both_kinds(anna, db)]

    await anna.send("/privacy")
    await anna.press(await anna.expect("Your data"), "Export my data")
    export = await anna.expect("Everything I hold about you.")
    data = json.loads(await tg.file(export.file_id))
    rows = data["tips_received"]
    assert [row["tip_id"] for row in rows] == received
    for row in rows:
        entry = LIBRARY.tip(row["tip_id"])
        reference = LIBRARY.references[entry.reference]
        assert row["title"] == entry.title
        assert row["source"]["kind"] == reference.evidence
        if reference.evidence == "encouragement":
            assert row["source"] == {
                "kind": "encouragement",
                "text": "💬 Encouragement from our practice, inspired by an ISSA article",
                "link": reference.link,
            }
            assert science_words(row["source"]["text"]) == []
        elif reference.evidence == "research":
            assert row["source"]["text"].startswith(
                f"📚 Research: {reference.authors} ({reference.year}). {reference.title}. "
                f"{reference.journal}."
            )
            assert row["source"]["link"] == reference.url
    assert {row["source"]["kind"] for row in rows} >= {"research", "encouragement"}
