"""/dashboard in the chat: a trainer gets a one-time sign-in link that opens the Mini App
(the running bot's own web server); a client is refused."""

from __future__ import annotations

import httpx
import pytest

from bot.models import Role
from bot.services import users
from tests import harness
from tests.harness import onboard


@pytest.fixture
def bot_settings(tg, database_url, admin_id):
    """The bot serving its web pages on a free port, PUBLIC_BASE_URL set."""
    return harness.test_settings(
        tg.api_url,
        database_url,
        admin_ids=frozenset({admin_id}),
        web_port=0,
        public_base_url="http://127.0.0.1:8443",
    )


async def test_a_trainer_gets_a_one_time_link_and_a_client_is_refused(tg, bot, db):
    tess = tg.user("Tess", language_code="en")
    await onboard(tess, zone="Berlin")
    async with db.transaction() as session:
        (await users.get_user(session, tess.id)).role = Role.TRAINER
    cara = tg.user("Cara", language_code="en")
    await onboard(cara)

    await cara.send("/dashboard")
    refusal = await cara.expect("only trainers")
    assert not refusal.buttons

    await tess.send("/dashboard")
    message = await tess.expect("dashboard in a browser")
    assert "works once, for 10 minutes" in message.text
    url = message.buttons[0]["url"]
    assert url.startswith("http://127.0.0.1:8443/app/link/")
    port = bot.bot_data["runtime"].web_port
    local = url.replace("127.0.0.1:8443", f"127.0.0.1:{port}")
    async with httpx.AsyncClient() as browser:
        first = await browser.get(local)
        assert first.status_code == 200
        week = await browser.get(f"http://127.0.0.1:{port}/app/home", follow_redirects=True)
        assert week.url.path == "/app/trainer/week"
        assert "Your week" in week.text
    async with httpx.AsyncClient() as other:
        assert (await other.get(local)).status_code == 401
