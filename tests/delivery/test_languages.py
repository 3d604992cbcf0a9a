"""A broadcast's system lines in its author's language: the audience question, the preview
line and the status message the dispatcher keeps editing; the author's own text as written."""

from __future__ import annotations

from sqlalchemy import select

from bot.i18n import translator
from bot.models import Broadcast, BroadcastState, OutboxState
from bot.services import broadcasts, outbox
from bot.views.broadcasts import audience_label, render_status
from tests.delivery.conftest import received
from tests.harness import eventually

GERMAN = {
    "All clients": "Alle Klientinnen und Klienten",
    "Clients of {title}": "Teilnehmende von {title}",
    (
        "📣 Broadcast to {audience}: {n} recipient",
        "📣 Broadcast to {audience}: {n} recipients",
    ): (
        "📣 Rundschreiben an {audience}: {n} Empfänger",
        "📣 Rundschreiben an {audience}: {n} Empfänger",
    ),
    "Queued {queued} · Sent {sent} · Failed {failed} · Unreachable {unreachable}": (
        "Wartend {queued} · Gesendet {sent} · Fehlgeschlagen {failed} · Unerreichbar {unreachable}"
    ),
    "✅ Finished.": "✅ Fertig.",
}


def status(state: BroadcastState, **counts: int) -> broadcasts.Status:
    progress = outbox.Progress({OutboxState(state): n for state, n in counts.items()})
    return broadcasts.Status(
        broadcast_id=5,
        audience="series-3",
        audience_title="Back care",
        state=state,
        recipients=3,
        progress=progress,
        status_chat_id=1,
        status_message_id=2,
    )


def test_the_status_message_in_english_and_german(catalog):
    running = status(BroadcastState.QUEUED, pending=1, sent=2)
    text, markup = render_status(translator("en"), running)
    assert text == (
        "📣 Broadcast to Clients of Back care: 3 recipients\n"
        "Queued 1 · Sent 2 · Failed 0 · Unreachable 0"
    )
    assert markup.inline_keyboard[0][0].callback_data == "bc:stop:5"
    stopped, _ = render_status(translator("en"), status(BroadcastState.STOPPED, cancelled=1))
    assert stopped.endswith(
        "⏹ Stopped: 1 will not be sent (any already on their way still arrive)."
    )
    catalog("de", GERMAN)
    done, markup = render_status(translator("de"), status(BroadcastState.DONE, sent=3))
    assert done == (
        "📣 Rundschreiben an Teilnehmende von Back care: 3 Empfänger\n"
        "Wartend 0 · Gesendet 3 · Fehlgeschlagen 0 · Unerreichbar 0\n✅ Fertig."
    )
    assert markup is None
    assert audience_label(translator("de"), broadcasts.ALL_CLIENTS, None) == GERMAN["All clients"]


async def test_the_dispatcher_edits_the_status_in_the_authors_language(
    onboarded, admin_id, clients, tg, db, catalog
):
    catalog("de", GERMAN)
    admin = await onboarded("Ada", id=admin_id, language_code="de")
    recipients = await clients(3)
    await admin.send("/broadcast")
    choose = await admin.expect_buttons("bc:to:")
    assert choose.button_texts[0] == "Alle Klientinnen und Klienten (3)"
    await admin.press_data(choose, "bc:to:all_clients")
    await admin.expect_edit()
    await admin.send("Heute im großen Saal!")
    await admin.expect()  # the preview line
    preview = await admin.expect("Heute im großen Saal!")
    async with db.reading() as session:
        draft_id = await session.scalar(select(Broadcast.id))
    await admin.press_data(preview, f"bc:send:{draft_id}")
    await admin.expect("📣 Rundschreiben an Alle Klientinnen und Klienten: 3 Empfänger")
    final = await admin.expect_edit_until("✅ Fertig.", timeout=15)
    assert "Gesendet 3" in final.text
    await eventually(lambda: received(tg, recipients, "Heute im großen Saal!"))
