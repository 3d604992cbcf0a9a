"""Health, readiness and metrics, and what happens to an update whose handler fails."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

import handlers.menu
from bot.db import Database
from bot.models import InboxState, InboxUpdate
from handlers.errors import APOLOGY
from tests import harness
from tests.harness import eventually, running_bot
from tests.service.conftest import METRICS_TOKEN, ON_POSTGRES, free_port, settled
from tests.service.proxy import TcpProxy


@pytest.fixture
async def polling_bot(tg, database_url, admin_id, db, clock):
    """The bot in polling mode with its web server on (WEB_PORT set) and metrics on."""
    settings = harness.test_settings(
        tg.api_url,
        database_url,
        admin_ids=frozenset({admin_id}),
        web_port=free_port(),
        metrics_token=METRICS_TOKEN,
    )
    async with running_bot(settings, db, clock) as application:
        yield application


@pytest.fixture
async def web(polling_bot):
    port = polling_bot.bot_data["runtime"].web_port
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield client


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    wanted = name + (
        "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}" if labels else ""
    )
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    return 0.0


async def test_health_and_readiness_in_polling_mode(web):
    assert (await web.get("/healthz")).text == "ok\n"
    ready = await web.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True}


async def test_metrics_need_the_token_and_count_what_happened(web, tg, polling_bot):
    assert (await web.get("/metrics")).status_code == 401
    bad = await web.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    before = (await web.get("/metrics", headers=auth)).text
    alex = tg.user("Alex")
    await alex.send("/help")
    await alex.expect("Send /start to begin")
    await alex.send("/start")
    await alex.expect_until("May I store")

    def grown(text: str, name: str) -> float:
        return metric(text, name, kind="message") - metric(before, name, kind="message")

    async def both_handled() -> str | None:
        text = (await web.get("/metrics", headers=auth)).text
        done = metric(text, "bot_inbox_open_updates") == 0
        return text if done and grown(text, "bot_updates_handled_total") == 2 else None

    after = await eventually(both_handled, timeout=5)
    assert grown(after, "bot_updates_received_total") == 2
    response = await web.get("/metrics", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert metric(after, "bot_update_handling_seconds_count", kind="message") >= 2
    assert metric(after, "bot_polling") == 1
    assert "bot_inbox_oldest_open_seconds" in after
    assert 'bot_outbox_messages{state="pending"}' in after
    assert "bot_outbox_oldest_due_seconds" in after
    assert "bot_outbox_rate_limited_total" in after

    async def reminders_ticked() -> bool:
        # The first tick may end after the two updates were handled (it runs at start).
        text = (await web.get("/metrics", headers=auth)).text
        return metric(text, "bot_job_tick_seconds_count", job="reminders") >= 1

    assert await eventually(reminders_ticked, timeout=5)


async def test_metrics_are_off_without_a_token(bot, tg):
    # The default test bot has no web server at all; with one and no token: 404.
    assert bot.bot_data["runtime"].web_port is None


async def test_a_failing_handler_gets_the_apology_and_is_marked_failed(bot, tg, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the help table is broken")

    monkeypatch.setattr(handlers.menu, "help_lines", broken)
    alex = tg.user("Alex")
    await alex.send("/help")
    await alex.expect(APOLOGY[:20])
    monkeypatch.undo()
    await alex.send("/help")
    await alex.expect("Send /start to begin")
    assert await settled(db) == {InboxState.FAILED: 1, InboxState.DONE: 1}
    async with db.reading() as session:
        rows = (
            await session.execute(select(InboxUpdate).order_by(InboxUpdate.update_id))
        ).scalars()
        rows = list(rows)
    assert [row.state for row in rows] == [InboxState.FAILED, InboxState.DONE]
    assert rows[0].error == "RuntimeError: the help table is broken"
    assert rows[0].attempts == 1, "never retried"


@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="an SQLite file cannot become unreachable; runs on the PostgreSQL pass",
)
async def test_readiness_follows_the_database_without_a_restart(
    tg, database_url, admin_id, db, clock
):
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    settings = harness.test_settings(
        tg.api_url, through_proxy, admin_ids=frozenset({admin_id}), web_port=free_port()
    )
    bot_db = Database(through_proxy)
    try:
        async with running_bot(settings, bot_db, clock) as application:
            web_port = application.bot_data["runtime"].web_port
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{web_port}", timeout=15
            ) as web:
                assert (await web.get("/readyz")).status_code == 200

                await proxy.cut()
                down = await web.get("/readyz")
                assert down.status_code == 503
                assert "database unreachable" in down.json()["problems"][0]
                assert (await web.get("/healthz")).status_code == 200

                await proxy.restore()

                async def ready() -> bool:
                    return (await web.get("/readyz")).status_code == 200

                await eventually(ready, timeout=20, interval=0.2)
                alex = tg.user("Alex")
                await alex.send("/help")
                await alex.expect("Send /start to begin", timeout=15)
    finally:
        await proxy.cut()
        await bot_db.dispose()


async def test_polling_removes_a_webhook_left_over(tg, bot_settings, db, clock):
    api = f"{tg.api_url}{harness.TEST_TOKEN}"
    async with httpx.AsyncClient() as client:
        left_over = {"url": f"http://127.0.0.1:{free_port()}/old-hook"}
        assert (await client.post(f"{api}/setWebhook", json=left_over)).json()["ok"]
        async with running_bot(bot_settings, db, clock):
            alex = tg.user("Alex")
            await alex.send("/help")
            await alex.expect("Send /start to begin")
        info = (await client.post(f"{api}/getWebhookInfo")).json()["result"]
    assert info["url"] == ""
