"""Browser tests: headless Chromium (Debian's `chromium`, or PLAYWRIGHT_CHROMIUM), driven by
Playwright for Python against the running bot, its web server and the fake Bot API.

One browser for the whole run: started here as a process with a DevTools port, and each test
connects to it over CDP from its own event loop (Playwright objects belong to the loop that
made them, and every test has its own). The tests run on the PostgreSQL pass only; with
CI=true a missing browser or Playwright fails the run instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.services import signin
from tests import harness

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTHS = {"phone": (360, 740), "desktop": (1280, 800)}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_endpoint(database_url: str) -> Iterator[str]:
    """The DevTools WebSocket address of one headless Chromium for the whole run."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("browser tests run on the PostgreSQL pass (set TEST_DATABASE_URL)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    executable = os.environ.get("PLAYWRIGHT_CHROMIUM") or shutil.which("chromium")
    if not executable:
        _unavailable("no chromium (apt-get install chromium, or set PLAYWRIGHT_CHROMIUM)")
    profile = tempfile.mkdtemp(prefix="miniapp-chromium-")
    process = subprocess.Popen(
        [
            executable,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    endpoint = None
    for line in process.stderr:
        found = re.search(r"DevTools listening on (ws://\S+)", line)
        if found:
            endpoint = found.group(1)
            break
    if endpoint is None:
        process.kill()
        _unavailable(f"{executable} did not start")
    try:
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
async def browser_context(chromium_endpoint: str) -> AsyncIterator[object]:
    """A fresh browser context (no cookies) of the shared Chromium, phone-sized to start;
    Telegram's script is refused at once (no network in tests; pages work without it)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.connect_over_cdp(chromium_endpoint)
        context = await browser.new_context(viewport={"width": 360, "height": 740})
        await context.route("https://telegram.org/**", lambda route: route.abort())
        try:
            yield context
        finally:
            await context.close()
            await browser.close()


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


@pytest.fixture
def base_url(bot) -> str:
    """Where the running bot's web server answers."""
    return f"http://127.0.0.1:{bot.bot_data['runtime'].web_port}"


def signed_init_data(user_id: int, first_name: str, now) -> str:
    """Init data for `user_id` as Telegram signs it (the test holds the bot token)."""
    import json

    return signin.sign_init_data(
        {
            "auth_date": str(int(now.timestamp())),
            "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
            "user": json.dumps({"id": user_id, "first_name": first_name}),
        },
        harness.TEST_TOKEN,
    )


async def shoot(page, name: str) -> None:
    """Screenshots of the page at phone and desktop width, into test-artifacts/screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    await page.set_viewport_size({"width": 360, "height": 740})
