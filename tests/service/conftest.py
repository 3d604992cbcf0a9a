"""Helpers for the service tests: free ports, a bot in webhook mode, reading the inbox."""

from __future__ import annotations

import random
import socket

import httpx
import pytest
from sqlalchemy import func, select

from bot.models import InboxState, InboxUpdate
from tests import harness
from tests.harness import running_bot, test_settings

SECRET = "s3cret_token-for-tests"
METRICS_TOKEN = "metrics-token-for-tests-0123456789"
HOOK_PATH = "/telegram/hook"
# True on the PostgreSQL pass (TEST_DATABASE_URL set).
ON_POSTGRES = harness.is_postgres(harness.test_database_url("/unused"))


def free_port() -> int:
    """A TCP port nobody listens on right now, for a process started next to listen on.

    Chosen below Linux's ephemeral range (32768-60999): a port from that range can be taken
    by any outgoing connection (to the database, to the fake API) before the process binds
    it, which a busy machine makes likely enough to fail a run.
    """
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


async def inbox_states(db) -> dict[InboxState, int]:
    """How many inbox rows are in each state."""
    async with db.reading() as session:
        rows = await session.execute(
            select(InboxUpdate.state, func.count()).group_by(InboxUpdate.state)
        )
        return dict(rows.all())


async def settled(db) -> dict[InboxState, int]:
    """Wait until no update is pending or being handled; the inbox's states then."""

    async def nothing_open() -> dict[InboxState, int] | None:
        states = await inbox_states(db)
        open_ = states.get(InboxState.PENDING, 0) + states.get(InboxState.WORKING, 0)
        return None if open_ else states

    return await harness.eventually(nothing_open, timeout=10)


@pytest.fixture
def webhook_settings(tg, database_url, admin_id):
    """Settings of a bot in webhook mode on a free port, with metrics on."""
    port = free_port()
    return test_settings(
        tg.api_url,
        database_url,
        admin_ids=frozenset({admin_id}),
        bot_mode="webhook",
        webhook_url=f"http://127.0.0.1:{port}{HOOK_PATH}",
        webhook_secret=SECRET,
        web_port=port,
        metrics_token=METRICS_TOKEN,
    )


@pytest.fixture
async def webhook_bot(webhook_settings, db, clock):
    """The bot in webhook mode; the fake Bot API delivers updates to its web server."""
    async with running_bot(webhook_settings, db, clock) as application:
        yield application


@pytest.fixture
async def web(webhook_bot):
    """An HTTP client for the webhook bot's web server."""
    port = webhook_bot.bot_data["runtime"].web_port
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield client
