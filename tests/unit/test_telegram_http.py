"""The bot's HTTP client for the Bot API (bot/telegram_http.py), against a small server that
records what it receives: what Telegram is sent (JSON, or multipart with a file), and what
PTB gets when Telegram is slow, unreachable or out of connections."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.telegram_http import AiohttpRequest

TOKEN = "123456:AAsecret-token-for-the-client-tests"
USER = {"id": 1, "is_bot": True, "first_name": "Bot", "username": "the_bot"}


@dataclass
class Recorder:
    """What the server received, and how slowly it answers."""

    calls: list[tuple[str, str, dict]] = field(default_factory=list)
    delay: float = 0.0
    base_url: str = ""


def _message(chat_id: int, text: str) -> dict:
    return {
        "message_id": 7,
        "date": 0,
        "chat": {"id": chat_id, "type": "private"},
        "from": USER,
        "text": text,
    }


@pytest.fixture
async def server() -> AsyncIterator[Recorder]:
    recorder = Recorder()

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {}
            for key, value in (await request.post()).items():
                params[key] = (
                    {"filename": value.filename, "data": value.file.read().decode()}
                    if hasattr(value, "file")
                    else value
                )
        recorder.calls.append((name, request.content_type, params))
        await asyncio.sleep(recorder.delay)
        if name == "getMe":
            return web.json_response({"ok": True, "result": USER})
        if name == "sendMessage":
            if not params.get("text"):
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: text is empty"},
                    status=400,
                )
            return web.json_response({"ok": True, "result": _message(1, params["text"])})
        if name == "sendDocument":
            return web.json_response({"ok": True, "result": _message(1, "")})
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"})

    app = web.Application()

    async def download(request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.7 the file's bytes")

    app.router.add_post(r"/bot{token}/{method}", method)
    app.router.add_get(r"/file/bot{token}/{path:.+}", download)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    recorder.base_url = f"http://127.0.0.1:{port}/bot"
    try:
        yield recorder
    finally:
        await runner.cleanup()


def _bot(base_url: str, request: AiohttpRequest | None = None) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=request or AiohttpRequest())


async def test_a_call_goes_as_one_json_body_with_its_keyboard_and_text_intact(
    server: Recorder,
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Записаться", callback_data="c:b:1")]])
    async with _bot(server.base_url) as bot:
        sent = await bot.send_message(42, "Занятие «Спина» — 3 места", reply_markup=keyboard)
    name, content_type, params = server.calls[-1]
    assert (name, content_type) == ("sendMessage", "application/json")
    assert params["chat_id"] == 42
    assert params["text"] == "Занятие «Спина» — 3 места"
    # The keyboard is a JSON object, not a string of JSON inside a form field.
    assert params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Записаться", "callback_data": "c:b:1"}]]
    }
    assert sent.text == "Занятие «Спина» — 3 места"


async def test_a_file_goes_as_multipart_with_its_name_and_the_other_parameters(
    server: Recorder,
) -> None:
    async with _bot(server.base_url) as bot:
        await bot.send_document(
            42, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", filename="class.ics", caption="Добавить"
        )
    name, content_type, params = server.calls[-1]
    assert (name, content_type) == ("sendDocument", "multipart/form-data")
    assert params["chat_id"] == "42"
    assert params["caption"] == "Добавить"
    assert params["document"] == {
        "filename": "class.ics",
        "data": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    }


async def test_telegram_refusing_a_call_is_the_error_ptb_raises_for_it(server: Recorder) -> None:
    async with _bot(server.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)text is empty"):
            await bot.send_message(42, "")


async def test_an_answer_slower_than_the_read_timeout_is_timed_out_and_the_next_call_works(
    server: Recorder,
) -> None:
    async with _bot(server.base_url, AiohttpRequest(read_timeout=0.2)) as bot:
        server.delay = 1.0
        with pytest.raises(TimedOut):
            await bot.send_message(42, "slow")
        # A longer timeout for one call is honoured (as getUpdates asks for).
        assert (await bot.send_message(42, "patient", read_timeout=3)).text == "patient"
        server.delay = 0.0
        assert (await bot.send_message(42, "fast")).text == "fast"


async def test_no_free_connection_within_the_pool_and_connect_timeouts_is_timed_out(
    server: Recorder,
) -> None:
    request = AiohttpRequest(
        connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.1, read_timeout=5
    )
    async with _bot(server.base_url, request) as bot:
        server.delay = 0.5
        first = asyncio.create_task(bot.send_message(42, "holds the only connection"))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut):
            await bot.send_message(42, "waits for it")
        assert (await first).text == "holds the only connection"


async def test_an_unreachable_server_is_a_network_error_that_does_not_name_the_token() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        bot = _bot(f"http://127.0.0.1:{port}/bot", request)
        with pytest.raises(NetworkError) as raised:
            await bot.get_me()
        assert not isinstance(raised.value, TimedOut)
        assert TOKEN not in str(raised.value)
        assert "Connect" in str(raised.value)
    finally:
        await request.shutdown()


async def test_the_request_opens_again_after_a_shutdown(server: Recorder) -> None:
    request = AiohttpRequest()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{server.base_url}{TOKEN}/getMe")
    await request.initialize()
    await request.shutdown()
    await request.initialize()
    try:
        assert (await request.post(f"{server.base_url}{TOKEN}/getMe"))["username"] == "the_bot"
    finally:
        await request.shutdown()
    assert [name for name, _, _ in server.calls] == ["getMe"]
    assert json.dumps(server.calls[0][2]) == "{}"


async def test_calls_go_through_the_proxy_the_environment_names_unless_no_proxy_says_not(
    server: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server is also a fine HTTP proxy for this: aiohttp asks it for the whole URL.
    proxy = server.base_url.removesuffix("/bot")
    for name in ("HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy)
    monkeypatch.setenv("no_proxy", "")
    async with _bot("http://telegram.invalid/bot") as bot:
        assert bot.username == "the_bot"
        assert (await bot.send_message(42, "via the proxy")).text == "via the proxy"
    monkeypatch.setenv("no_proxy", "telegram.invalid")
    with pytest.raises(NetworkError):
        async with _bot("http://telegram.invalid/bot"):
            pass


async def test_a_file_is_downloaded_as_its_bytes(server: Recorder) -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        url = server.base_url.replace("/bot", f"/file/bot{TOKEN}/documents/file_1.pdf")
        assert await request.retrieve(url) == b"%PDF-1.7 the file's bytes"
    finally:
        await request.shutdown()
