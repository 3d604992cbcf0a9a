"""A fake Telegram Bot API server: the real bot talks to it over HTTP, tests drive it.

Bot side: `/bot<token>/<method>`, answering like Telegram (full Message objects, `date` in
seconds, errors as `{"ok": false, "error_code", "description", "parameters"}`).

Webhooks: after setWebhook the server POSTs each update to the URL, with the secret in
`X-Telegram-Bot-Api-Secret-Token`, at most `max_connections` at a time and one chat's updates
one after another in order; a non-2xx answer, a refused connection or a time-out is retried
with back-off (recorded in getWebhookInfo's last_error_*), as Telegram does. getUpdates is
refused (409) while a webhook is set. Tests may spread deliveries round-robin over several
addresses (`webhook_targets`: a load balancer in front of replicas).

Control side, for tests (JSON over HTTP, so a bot in another process works the same way):
`/control/...` injects user messages, button presses and membership changes; reads the
transcript per chat; waits for the next bot message; injects faults (rate limits, blocked
chats, 5xx, slow answers, migrated groups). See `TelegramControl` in client.py for the verbs.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fake_telegram.html import ParseError, parse_html, utf16_len

BOT_ID = 7000001
BOT_USERNAME = "TherapyTestBot"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

# Parameters whose values are plain strings; every other parameter arrives JSON-encoded.
_STRING_PARAMS = {
    "text",
    "caption",
    "callback_query_id",
    "inline_message_id",
    "parse_mode",
    "url",
    "secret_token",
    "language_code",
    "action",
    "emoji",
    "file_id",
    "title",
    "description",
    "short_description",
    "name",
}
_SEND_METHODS = {"sendMessage", "sendDocument", "sendPhoto", "copyMessage", "forwardMessage"}


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict:
        """The JSON Telegram answers with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class Failure:
    """An injected failure: the next `count` matching calls get this error (or delay)."""

    status: int
    description: str
    methods: set[str] | None = None  # None: every send method
    chat_id: int | None = None
    count: int = 1
    retry_after: int | None = None
    delay: float = 0.0

    def matches(self, method: str, chat_id: int | None) -> bool:
        """True when this failure applies to a call of `method` for `chat_id`."""
        methods = self.methods if self.methods is not None else _SEND_METHODS
        return method in methods and (self.chat_id is None or self.chat_id == chat_id)


@dataclass
class Limits:
    """Rate limits enforced like Telegram's (off unless a test turns them on)."""

    enabled: bool = False
    overall_per_second: int = 30
    private_per_second: int = 1
    group_per_minute: int = 20


@dataclass
class State:
    """Everything the fake server knows; touched only from the server's event loop."""

    token: str
    bot: dict
    users: dict[int, dict] = field(default_factory=dict)
    chats: dict[int, dict] = field(default_factory=dict)
    updates: list[dict] = field(default_factory=list)
    update_ids: Any = field(default_factory=lambda: itertools.count(1))
    message_ids: dict[int, Any] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    events_by_chat: dict[int, list[dict]] = field(default_factory=lambda: defaultdict(list))
    files: dict[str, bytes] = field(default_factory=dict)
    open_queries: dict[str, dict] = field(default_factory=dict)
    query_answers: dict[str, dict] = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)
    commands: dict[str, list[dict]] = field(default_factory=dict)
    # setChatMenuButton: the menu button by chat id ("default" for the bot's default).
    menu_buttons: dict[str, dict] = field(default_factory=dict)
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_max_connections: int = 40
    webhook_targets: list[str] = field(default_factory=list)
    webhook_timeout: float = 10.0
    webhook_in_flight: set[int] = field(default_factory=set)
    webhook_retry_at: dict[int, float] = field(default_factory=dict)
    webhook_attempts: dict[int, int] = field(default_factory=dict)
    webhook_last_error: tuple[int, str] | None = None
    webhook_sent: int = 0
    blocked: set[int] = field(default_factory=set)
    kicked: set[int] = field(default_factory=set)
    migrated: dict[int, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    slow: dict[str, float] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    sent_times: deque = field(default_factory=deque)
    chat_sent_times: dict[int, deque] = field(default_factory=lambda: defaultdict(deque))
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    query_ids: Any = field(default_factory=lambda: itertools.count(1))
    file_ids: Any = field(default_factory=lambda: itertools.count(1))
    seq: Any = field(default_factory=lambda: itertools.count(1))


class FakeTelegram:
    """The fake Bot API server. Run it with `start()` on a loop, or `ServerThread`."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.state = self._fresh_state()
        self._changed = asyncio.Condition()
        # One event per chat that someone waits on, replaced each time it fires.
        self._chat_waiters: dict[int, asyncio.Event] = {}
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._deliverer: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._webhook_http: aiohttp.ClientSession | None = None

    def _fresh_state(self) -> State:
        return State(
            token=self.token,
            bot={
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Therapy Test Bot",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            },
        )

    # ----------------------------------------------------------------- lifecycle

    def app(self) -> web.Application:
        """The aiohttp application serving the Bot API and the control API."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_route("*", "/control/{verb}", self._control)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port); return the base URL."""
        self._changed = asyncio.Condition()
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        """Stop listening (and delivering to a webhook)."""
        await self._stop_delivering()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait_for(self, predicate: Any, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    return predicate() or None

    # ----------------------------------------------------------------- Bot API side

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        state = self.state
        call = {"method": method, "params": _loggable(params), "at": time.time()}
        state.calls.append(call)
        if request.match_info["token"] != self.token:
            call["status"] = 401
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        try:
            delay = state.slow.get(method, 0.0) or state.slow.get("*", 0.0)
            if delay:
                await asyncio.sleep(delay)
            await self._injected_failure(state, method, params)
            if self.state is not state:
                # A fault held this call past a reset: the test whose bot made it is over (that
                # bot may be dead). Run now, it would land in the next test's chats, whose ids
                # start over: a reply to one test's first user reaching the next test's.
                raise ApiError(500, "Internal Server Error: the fake Bot API was reset meanwhile")
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, f"Not Found: method {method} is not in the fake Bot API")
            result = await handler(params)
        except ApiError as error:
            call["status"] = error.code
            call["done"] = time.time()
            state.counters[f"status_{error.code}"] += 1
            return web.json_response(error.body(), status=error.code)
        call["status"] = 200
        call["done"] = time.time()
        if method in _SEND_METHODS:
            state.counters["delivered"] += 1
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _injected_failure(self, state: State, method: str, params: dict) -> None:
        chat_id = _int_or_none(params.get("chat_id"))
        for failure in list(state.failures):
            if failure.count > 0 and failure.matches(method, chat_id):
                failure.count -= 1
                if failure.count <= 0:
                    state.failures.remove(failure)
                if failure.delay:
                    await asyncio.sleep(failure.delay)
                if failure.status:
                    parameters = (
                        {"retry_after": failure.retry_after} if failure.retry_after else None
                    )
                    raise ApiError(failure.status, failure.description, parameters)

    def _chat_for_send(self, params: dict) -> dict:
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        state = self.state
        if chat_id in state.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": state.migrated[chat_id]},
            )
        chat = state.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in state.kicked:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat

    def _rate_limit(self, chat: dict) -> None:
        limits = self.state.limits
        if not limits.enabled:
            return
        now = time.monotonic()
        overall = self.state.sent_times
        while overall and now - overall[0] >= 1.0:
            overall.popleft()
        if len(overall) >= limits.overall_per_second:
            self._too_many(1.0 - (now - overall[0]))
        window, limit = (1.0, limits.private_per_second)
        if chat["type"] != "private":
            window, limit = (60.0, limits.group_per_minute)
        recent = self.state.chat_sent_times[chat["id"]]
        while recent and now - recent[0] >= window:
            recent.popleft()
        if len(recent) >= limit:
            self._too_many(window - (now - recent[0]))
        overall.append(now)
        recent.append(now)

    def _too_many(self, wait: float) -> None:
        self.state.counters["rate_limited"] += 1
        retry_after = max(1, math.ceil(wait))
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    def _next_message_id(self, chat_id: int) -> int:
        counter = self.state.message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _record(self, kind: str, chat_id: int, message: dict, **extra: Any) -> dict:
        event = {
            "seq": next(self.state.seq),
            "kind": kind,
            "chat_id": chat_id,
            "message": json.loads(json.dumps(message)),
            "at": time.time(),
            **extra,
        }
        self.state.events.append(event)
        self.state.events_by_chat[chat_id].append(event)
        self._wake_chat(chat_id)
        return event

    def _wake_chat(self, chat_id: int) -> None:
        """Wake whoever waits for this chat's next event."""
        waiter = self._chat_waiters.pop(chat_id, None)
        if waiter is not None:
            waiter.set()

    def _bot_message(self, chat: dict, params: dict, **content: Any) -> dict:
        message = {
            "message_id": self._next_message_id(chat["id"]),
            "from": self.state.bot,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        markup = params.get("reply_markup")
        if markup:
            message["reply_markup"] = _check_markup(markup, chat)
        return message

    async def _m_getme(self, params: dict) -> dict:
        return self.state.bot

    async def _m_logout(self, params: dict) -> bool:
        return True

    async def _m_close(self, params: dict) -> bool:
        return True

    async def _m_getupdates(self, params: dict) -> list[dict]:
        state = self.state
        if state.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = _int_or_none(params.get("offset")) or 0
        limit = _int_or_none(params.get("limit")) or 100
        timeout = float(params.get("timeout") or 0)
        if offset > 0:
            state.updates = [u for u in state.updates if u["update_id"] >= offset]

        def pending() -> list[dict]:
            return [u for u in state.updates if u["update_id"] >= offset][:limit]

        return await self._wait_for(pending, timeout) or []

    async def _m_setwebhook(self, params: dict) -> bool:
        state = self.state
        url = str(params.get("url") or "")
        if url and not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: invalid URL")
        secret = str(params.get("secret_token") or "")
        if (secret and not all(c.isalnum() or c in "_-" for c in secret)) or len(secret) > 256:
            raise ApiError(400, "Bad Request: bad webhook: secret token contains unallowed chars")
        state.webhook_url = url
        state.webhook_secret = secret
        state.webhook_max_connections = int(params.get("max_connections") or 40)
        if params.get("drop_pending_updates"):
            state.updates.clear()
        if url:
            self._start_delivering()
        return True

    async def _m_deletewebhook(self, params: dict) -> bool:
        self.state.webhook_url = ""
        if params.get("drop_pending_updates"):
            self.state.updates.clear()
        return True

    async def _m_getwebhookinfo(self, params: dict) -> dict:
        state = self.state
        info: dict[str, Any] = {
            "url": state.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(state.updates),
        }
        if state.webhook_url:
            info["max_connections"] = state.webhook_max_connections
        if state.webhook_last_error:
            info["last_error_date"], info["last_error_message"] = state.webhook_last_error
        return info

    # ----------------------------------------------------------------- webhook delivery

    def _start_delivering(self) -> None:
        if self._deliverer is None or self._deliverer.done():
            self._deliverer = asyncio.get_running_loop().create_task(self._deliver_loop())

    async def _stop_delivering(self) -> None:
        tasks = [task for task in (self._deliverer, *self._deliveries) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._deliverer = None
        if self._webhook_http is not None:
            await self._webhook_http.close()
            self._webhook_http = None

    async def _deliver_loop(self) -> None:
        """While a webhook is set: start deliveries of the updates that may go now."""
        if self._webhook_http is None:
            self._webhook_http = aiohttp.ClientSession()
        while self.state.webhook_url:
            state = self.state
            now = time.monotonic()
            busy_chats: set[Any] = set()
            for update in list(state.updates):
                if len(state.webhook_in_flight) >= state.webhook_max_connections:
                    break
                update_id = update["update_id"]
                chat = _update_chat(update)
                if chat in busy_chats:
                    continue  # an earlier update of this chat is not delivered yet
                busy_chats.add(chat)
                if (
                    update_id in state.webhook_in_flight
                    or state.webhook_retry_at.get(update_id, 0) > now
                ):
                    continue
                state.webhook_in_flight.add(update_id)
                task = asyncio.get_running_loop().create_task(self._deliver(state, update))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.05)

    async def _deliver(self, state: State, update: dict) -> None:
        """POST one update; on 2xx it is confirmed, else retried with back-off."""
        update_id = update["update_id"]
        targets = state.webhook_targets or [state.webhook_url]
        target = targets[state.webhook_sent % len(targets)]
        state.webhook_sent += 1
        headers = {"Content-Type": "application/json"}
        if state.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = state.webhook_secret
        error = None
        try:
            assert self._webhook_http is not None
            async with self._webhook_http.post(
                target,
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=state.webhook_timeout),
            ) as response:
                await response.read()
                if not 200 <= response.status < 300:
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientError as exc:
            error = f"Connection failed: {type(exc).__name__}"
        finally:
            state.webhook_in_flight.discard(update_id)
        if error is None:
            state.updates = [u for u in state.updates if u["update_id"] != update_id]
            state.webhook_retry_at.pop(update_id, None)
            state.counters["webhook_delivered"] += 1
        else:
            attempts = state.webhook_attempts.get(update_id, 0) + 1
            state.webhook_attempts[update_id] = attempts
            state.webhook_retry_at[update_id] = time.monotonic() + min(5.0, 0.2 * 2**attempts)
            state.webhook_last_error = (int(time.time()), error)
            state.counters["webhook_failed"] += 1
        await self._notify()

    async def _m_sendmessage(self, params: dict) -> dict:
        chat = self._chat_for_send(params)
        text, entities = _formatted(params, "text", MAX_TEXT)
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        message = self._bot_message(chat, params, text=text)
        if entities:
            message["entities"] = entities
        self._rate_limit(chat)
        self.state.messages[(chat["id"], message["message_id"])] = message
        self._record("message", chat["id"], message, method="sendMessage")
        return message

    async def _send_file(self, params: dict, field_name: str, method: str) -> dict:
        chat = self._chat_for_send(params)
        upload = params.get(field_name)
        if isinstance(upload, str) and upload.startswith("attach://"):
            upload = params.get(upload.removeprefix("attach://"))
        if not isinstance(upload, _Upload):
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        caption, entities = _formatted(params, "caption", MAX_CAPTION, required=False)
        file_id = f"file-{next(self.state.file_ids)}"
        self.state.files[file_id] = upload.data
        described = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(upload.data),
        }
        if field_name == "photo":
            content: dict[str, Any] = {"photo": [{**described, "width": 800, "height": 600}]}
        else:
            content = {
                "document": {
                    **described,
                    "file_name": upload.filename,
                    "mime_type": upload.content_type,
                }
            }
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        message = self._bot_message(chat, params, **content)
        self._rate_limit(chat)
        self.state.messages[(chat["id"], message["message_id"])] = message
        self._record("message", chat["id"], message, method=method, file_id=file_id)
        return message

    async def _m_senddocument(self, params: dict) -> dict:
        return await self._send_file(params, "document", "sendDocument")

    async def _m_sendphoto(self, params: dict) -> dict:
        return await self._send_file(params, "photo", "sendPhoto")

    def _existing_message(self, params: dict, verb: str) -> dict:
        chat_id = _int_or_none(params.get("chat_id"))
        message_id = _int_or_none(params.get("message_id"))
        message = self.state.messages.get((chat_id, message_id))  # type: ignore[arg-type]
        if message is None or message.get("_deleted"):
            raise ApiError(400, f"Bad Request: message to {verb} not found")
        return message

    async def _m_editmessagetext(self, params: dict) -> dict:
        message = self._existing_message(params, "edit")
        text, entities = _formatted(params, "text", MAX_TEXT)
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        markup = (
            _check_markup(params["reply_markup"], message["chat"])
            if params.get("reply_markup")
            else None
        )
        if (
            message.get("text") == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = text
        message["entities"] = entities
        if not entities:
            message.pop("entities")
        _set_markup(message, markup)
        message["edit_date"] = int(time.time())
        self._record("edit", message["chat"]["id"], message, method="editMessageText")
        return message

    async def _m_editmessagereplymarkup(self, params: dict) -> dict:
        message = self._existing_message(params, "edit")
        markup = (
            _check_markup(params["reply_markup"], message["chat"])
            if params.get("reply_markup")
            else None
        )
        if message.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        _set_markup(message, markup)
        message["edit_date"] = int(time.time())
        self._record("edit", message["chat"]["id"], message, method="editMessageReplyMarkup")
        return message

    async def _m_deletemessage(self, params: dict) -> bool:
        message = self._existing_message(params, "delete")
        message["_deleted"] = True
        self._record("delete", message["chat"]["id"], message, method="deleteMessage")
        return True

    async def _m_answercallbackquery(self, params: dict) -> bool:
        query_id = params.get("callback_query_id", "")
        if query_id not in self.state.open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query id is invalid",
            )
        self.state.open_queries.pop(query_id)
        self.state.query_answers[query_id] = {
            "text": params.get("text"),
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
            "at": time.time(),
        }
        return True

    async def _m_sendchataction(self, params: dict) -> bool:
        self._chat_for_send(params)
        return True

    async def _m_setmycommands(self, params: dict) -> bool:
        commands = params.get("commands") or []
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 commands")
        for command in commands:
            name = command.get("command", "")
            if not (1 <= len(name) <= 32) or not all(
                c.islower() or c.isdigit() or c == "_" for c in name
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not (1 <= len(command.get("description", "")) <= 256):
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = _scope_key(params)
        if key.startswith("chat:") and int(key.split(":")[1]) not in self.state.chats:
            raise ApiError(400, "Bad Request: chat not found")
        self.state.commands[key] = commands
        return True

    async def _m_deletemycommands(self, params: dict) -> bool:
        self.state.commands.pop(_scope_key(params), None)
        return True

    async def _m_getmycommands(self, params: dict) -> list[dict]:
        return self.state.commands.get(_scope_key(params), [])

    async def _m_setchatmenubutton(self, params: dict) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if isinstance(button, str):
            button = json.loads(button)
        if button.get("type") not in ("default", "commands", "web_app"):
            raise ApiError(400, "Bad Request: unsupported menu button type")
        if button["type"] == "web_app":
            if not button.get("text"):
                raise ApiError(400, "Bad Request: menu button text is empty")
            _check_web_app(button.get("web_app"))
        key = "default"
        if params.get("chat_id") is not None:
            chat_id = int(params["chat_id"])
            chat = self.state.chats.get(chat_id)
            if chat is None:
                raise ApiError(400, "Bad Request: chat not found")
            if chat["type"] != "private":
                raise ApiError(400, "Bad Request: menu button can be set only in private chats")
            key = str(chat_id)
        self.state.menu_buttons[key] = button
        return True

    async def _m_getchatmenubutton(self, params: dict) -> dict:
        key = "default" if params.get("chat_id") is None else str(int(params["chat_id"]))
        return self.state.menu_buttons.get(key) or {"type": "commands"}

    # ----------------------------------------------------------------- control side

    async def _control(self, request: web.Request) -> web.Response:
        verb = request.match_info["verb"]
        body: dict = {}
        if request.can_read_body:
            body = await request.json()
        body.update({key: value for key, value in request.query.items() if key not in body})
        handler = getattr(self, f"_c_{verb}", None)
        if handler is None:
            return web.json_response({"error": f"unknown control verb {verb}"}, status=404)
        try:
            result = await handler(body)
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=400)
        await self._notify()
        return web.json_response(result)

    def _register_user(self, user: dict) -> dict:
        user = {"is_bot": False, "first_name": "User", **user}
        user["id"] = int(user["id"])
        self.state.users[user["id"]] = user
        private = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                private[key] = user[key]
        self.state.chats.setdefault(user["id"], private)
        return user

    def _chat(self, body: dict, user: dict) -> dict:
        chat = body.get("chat")
        if chat is None:
            return self.state.chats[user["id"]]
        chat = {"type": "group", **chat}
        chat["id"] = int(chat["id"])
        if chat["type"] != "private":
            chat.setdefault("title", f"Group {chat['id']}")
        self.state.chats[chat["id"]] = {**self.state.chats.get(chat["id"], {}), **chat}
        return self.state.chats[chat["id"]]

    def _push_update(self, **content: Any) -> dict:
        update = {"update_id": next(self.state.update_ids), **content}
        self.state.updates.append(update)
        return update

    async def _c_reset(self, body: dict) -> dict:
        """Forget everything; with `keep_update_ids`, update ids go on from where they were
        (as Telegram's do for one bot: a bot that stored earlier updates sees new ids). A Bot
        API call that a slow or delayed fault still holds then fails when it wakes, instead of
        acting on the fresh state (see `_api`)."""
        update_ids = self.state.update_ids
        self.state = self._fresh_state()
        if body.get("keep_update_ids"):
            self.state.update_ids = update_ids
        for waiter in self._chat_waiters.values():
            waiter.set()
        self._chat_waiters = {}
        return {"ok": True}

    async def _c_users(self, body: dict) -> dict:
        """Make users known (as if each had opened a chat with the bot) without updates."""
        for user in body["users"]:
            self._register_user(user)
        return {"ok": True, "count": len(body["users"])}

    async def _c_message(self, body: dict) -> dict:
        """A user sends text (a command if it starts with "/") in a private chat or a group."""
        user = self._register_user(body["from"])
        chat = self._chat(body, user)
        text = body.get("text", "")
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
        }
        for key in ("new_chat_members", "left_chat_member", "photo", "sticker"):
            if key in body:
                message[key] = body[key]
        if text:
            message["text"] = text
            entities = list(body.get("entities") or [])
            if text.startswith("/"):
                command = text.split()[0]
                entities.insert(
                    0, {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
                )
            if entities:
                message["entities"] = entities
        if "reply_to_message_id" in body:
            original = self.state.messages.get((chat["id"], int(body["reply_to_message_id"])))
            if original:
                message["reply_to_message"] = original
        self.state.messages[(chat["id"], message["message_id"])] = message
        event = self._record("user_message", chat["id"], message)
        update = self._push_update(message=message)
        return {
            "update_id": update["update_id"],
            "message": message,
            "seq": event["seq"],
            "at": event["at"],
        }

    async def _c_callback(self, body: dict) -> dict:
        """A user presses an inline button of a bot message."""
        user = self._register_user(body["from"])
        chat_id = int(body["chat_id"])
        message = self.state.messages.get((chat_id, int(body["message_id"])))
        if message is None:
            raise KeyError(f"no message {body['message_id']} in chat {chat_id}")
        query_id = str(next(self.state.query_ids))
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": body["data"],
        }
        self.state.open_queries[query_id] = query
        event = self._record(
            "button", chat_id, message, data=body["data"], user_id=user["id"], query_id=query_id
        )
        update = self._push_update(callback_query=query)
        return {
            "update_id": update["update_id"],
            "query_id": query_id,
            "seq": event["seq"],
            "at": event["at"],
        }

    async def _c_my_chat_member(self, body: dict) -> dict:
        """The bot's status changes: a user blocks ("kicked") or unblocks ("member") it in
        private; in a group (`chat`), someone adds ("member") or removes ("left") it."""
        user = self._register_user(body["from"])
        chat = self._chat(body, user)
        status = body["status"]
        if status in ("kicked", "left"):
            old = "member"
        else:
            old = "kicked" if chat["type"] == "private" else "left"
        if chat["type"] == "private":
            (self.state.blocked.add if status == "kicked" else self.state.blocked.discard)(
                chat["id"]
            )
        else:
            (self.state.kicked.add if status in ("kicked", "left") else self.state.kicked.discard)(
                chat["id"]
            )
        bot_member = {"user": self.state.bot}
        update = self._push_update(
            my_chat_member={
                "chat": chat,
                "from": user,
                "date": int(time.time()),
                "old_chat_member": {"status": old, **bot_member, **_until(old)},
                "new_chat_member": {"status": status, **bot_member, **_until(status)},
            }
        )
        return {"update_id": update["update_id"]}

    async def _c_events(self, body: dict) -> list[dict]:
        chat_id = _int_or_none(body.get("chat_id"))
        after = int(body.get("after", 0))
        return [
            event
            for event in self.state.events
            if event["seq"] > after and (chat_id is None or event["chat_id"] == chat_id)
        ]

    async def _c_wait(self, body: dict) -> dict:
        """Wait for the first event after `after` in a chat (of the given kinds)."""
        chat_id = int(body["chat_id"])
        after = int(body.get("after", 0))
        kinds = set(body.get("kinds") or ["message", "edit", "delete"])
        deadline = time.monotonic() + float(body.get("timeout", 5))
        while True:
            events = self.state.events_by_chat.get(chat_id, [])
            start = bisect.bisect_right(events, after, key=lambda event: event["seq"])
            for event in events[start:]:
                if event["kind"] in kinds:
                    return {"event": event}
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return {"event": None}
            waiter = self._chat_waiters.setdefault(chat_id, asyncio.Event())
            try:
                await asyncio.wait_for(waiter.wait(), remaining)
            except TimeoutError:
                continue

    async def _c_answer(self, body: dict) -> dict:
        """Wait until the bot answers a callback query; return that answer (or null)."""
        query_id = str(body["query_id"])
        timeout = float(body.get("timeout", 5))
        answer = await self._wait_for(lambda: self.state.query_answers.get(query_id), timeout)
        return {"answer": answer}

    async def _c_file(self, body: dict) -> dict:
        data = self.state.files[body["file_id"]]
        return {"data": data.decode("latin-1")}

    async def _c_calls(self, body: dict) -> list[dict]:
        method = body.get("method")
        return [call for call in self.state.calls if method is None or call["method"] == method]

    async def _c_commands(self, body: dict) -> dict:
        return self.state.commands

    async def _c_menu_buttons(self, body: dict) -> dict:
        return self.state.menu_buttons

    async def _c_counters(self, body: dict) -> dict:
        return dict(self.state.counters)

    async def _c_pending_updates(self, body: dict) -> dict:
        return {"count": len(self.state.updates)}

    async def _c_webhook_targets(self, body: dict) -> dict:
        """Deliver webhook updates round-robin to these URLs instead of the set URL (a load
        balancer in front of several replicas); an optional `timeout` per request."""
        self.state.webhook_targets = [str(url) for url in body.get("urls") or []]
        if "timeout" in body:
            self.state.webhook_timeout = float(body["timeout"])
        return {"ok": True}

    async def _c_faults(self, body: dict) -> dict:
        """Change fault injection: limits, blocked chats, failures, slow methods, migrations."""
        state = self.state
        if "limits" in body:
            state.limits = Limits(**{"enabled": True, **body["limits"]})
        if "block" in body:
            state.blocked.update(int(chat) for chat in body["block"])
        if "unblock" in body:
            state.blocked.difference_update(int(chat) for chat in body["unblock"])
        if "kick" in body:
            state.kicked.update(int(chat) for chat in body["kick"])
        if "fail" in body:
            spec = dict(body["fail"])
            if spec.get("methods") is not None:
                spec["methods"] = set(spec["methods"])
            state.failures.append(Failure(**spec))
        if "slow" in body:
            state.slow.update({method: float(delay) for method, delay in body["slow"].items()})
        if "migrate" in body:
            old, new = int(body["migrate"]["from"]), int(body["migrate"]["to"])
            state.migrated[old] = new
            chat = {**state.chats.get(old, {"title": f"Group {old}"}), "id": new}
            chat["type"] = "supergroup"
            state.chats[new] = chat
        if body.get("clear"):
            state.failures.clear()
            state.slow.clear()
            state.limits = Limits()
        return {"ok": True}


# --------------------------------------------------------------------- helpers


@dataclass
class _Upload:
    filename: str
    content_type: str
    data: bytes


async def _read_params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return await request.json()
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if hasattr(value, "file"):
                params[key] = _Upload(
                    filename=value.filename or key,
                    content_type=value.content_type or "application/octet-stream",
                    data=value.file.read(),
                )
            else:
                params[key] = value
    for key, value in list(params.items()):
        if isinstance(value, str) and key not in _STRING_PARAMS:
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def _loggable(params: dict) -> dict:
    return {
        key: (f"<file {value.filename}>" if isinstance(value, _Upload) else value)
        for key, value in params.items()
    }


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _formatted(params: dict, key: str, limit: int, *, required: bool = True) -> tuple[str, list]:
    source = params.get(key)
    if source is None:
        if required:
            raise ApiError(400, f"Bad Request: message {key} is empty")
        return "", []
    source = str(source)
    mode = (params.get("parse_mode") or "").lower()
    if mode == "html":
        try:
            text, entities = parse_html(source)
        except ParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
    elif mode:
        raise ApiError(400, f"Bad Request: the fake Bot API does not parse {mode!r}")
    else:
        text, entities = (
            source,
            list(params.get(f"{key}_entities" if key != "text" else "entities") or []),
        )
    if utf16_len(text) > limit:
        raise ApiError(
            400, f"Bad Request: message {'is too long' if key == 'text' else 'caption is too long'}"
        )
    return text, entities


def _check_web_app(web_app: Any) -> None:
    """Telegram opens Web Apps over HTTPS only."""
    url = web_app.get("url", "") if isinstance(web_app, dict) else ""
    if not url.startswith("https://"):
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID (a Web App needs an https URL)")


def _check_markup(markup: Any, chat: dict | None = None) -> dict:
    if isinstance(markup, str):
        markup = json.loads(markup)
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if "web_app" in button:
                # Telegram refuses web_app buttons outside private chats.
                if chat is not None and chat.get("type") != "private":
                    raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
                _check_web_app(button["web_app"])
            data = button.get("callback_data")
            if data is not None and not (1 <= len(data.encode()) <= MAX_CALLBACK_DATA):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            kinds = [
                k for k in ("callback_data", "url", "switch_inline_query", "web_app") if k in button
            ]
            if len(kinds) != 1 or not button.get("text"):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
    return markup


def _set_markup(message: dict, markup: dict | None) -> None:
    if markup and markup.get("inline_keyboard"):
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


def _scope_key(params: dict) -> str:
    scope = params.get("scope") or {"type": "default"}
    if isinstance(scope, str):
        scope = json.loads(scope)
    key = scope["type"]
    if "chat_id" in scope:
        key = f"{key}:{scope['chat_id']}"
    if params.get("language_code"):
        key = f"{key}@{params['language_code']}"
    return key


def _update_chat(update: dict) -> Any:
    """The chat an update belongs to (Telegram delivers one chat's updates in order)."""
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict):
                return chat.get("id")
            person = value.get("from")
            if isinstance(person, dict):
                return person.get("id")
    return None


def _until(status: str) -> dict:
    return {"until_date": 0} if status == "kicked" else {}


class ServerThread:
    """Runs a FakeTelegram on its own event loop in a daemon thread."""

    def __init__(self, token: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = FakeTelegram(token)
        self._host, self._port = host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.base_url = ""

    def start(self) -> str:
        """Start the thread and the server; return the base URL."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            self.server.start(self._host, self._port), self._loop
        )
        self.base_url = future.result(timeout=10)
        return self.base_url

    def stop(self) -> None:
        """Stop the server, end requests still waiting (long polls), then the thread."""

        async def shutdown() -> None:
            await self.server.stop()
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
