"""The tests' side of the fake Bot API: people who send messages and press buttons."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class BotMessage:
    """A message the bot sent (or its latest edit), as a test sees it."""

    chat_id: int
    message_id: int
    text: str
    raw: dict
    seq: int
    kind: str = "message"
    method: str = ""
    file_id: str | None = None

    @classmethod
    def from_event(cls, event: dict) -> BotMessage:
        """Build from a control-API event."""
        message = event["message"]
        return cls(
            chat_id=event["chat_id"],
            message_id=message["message_id"],
            text=message.get("text") or message.get("caption") or "",
            raw=message,
            seq=event["seq"],
            kind=event["kind"],
            method=event.get("method", ""),
            file_id=event.get("file_id"),
        )

    @property
    def buttons(self) -> list[dict]:
        """Every inline button, row after row."""
        markup = self.raw.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    @property
    def button_texts(self) -> list[str]:
        """The labels of every inline button."""
        return [button["text"] for button in self.buttons]

    def button(self, label: str) -> dict:
        """The button labelled `label`, or else the one button whose label contains it."""
        exact = [button for button in self.buttons if button["text"] == label]
        if len(exact) == 1:
            return exact[0]
        found = [button for button in self.buttons if label.lower() in button["text"].lower()]
        assert len(found) == 1, f"expected one button {label!r}, buttons are {self.button_texts}"
        return found[0]

    def __contains__(self, fragment: str) -> bool:
        return fragment in self.text


class TelegramControl:
    """Talks to the fake server's control API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.api_url = f"{base_url}/bot"
        # Many simulated people each hold a long-polling wait: allow a connection for each.
        self.http = httpx.AsyncClient(
            base_url=f"{base_url}/control",
            timeout=60,
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=1000),
        )
        self._ids = itertools.count(100001)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.http.aclose()

    async def call(self, verb: str, **body: Any) -> Any:
        """POST a control verb and return its JSON answer."""
        response = await self.http.post(f"/{verb}", json=body)
        if response.status_code != 200:
            raise AssertionError(f"control {verb} failed: {response.text}")
        return response.json()

    async def reset(self) -> None:
        """Forget everything: updates, chats, transcripts, faults."""
        await self.call("reset")

    def user(
        self,
        first_name: str = "Alex",
        *,
        id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> TelegramUser:
        """A new person with a private chat; nothing is sent until they act."""
        profile: dict[str, Any] = {"id": id or next(self._ids), "first_name": first_name}
        if last_name:
            profile["last_name"] = last_name
        if username:
            profile["username"] = username
        if language_code:
            profile["language_code"] = language_code
        return TelegramUser(self, profile)

    def group(self, title: str = "Back Care Group", *, id: int | None = None) -> dict:
        """A group chat description to pass as `chat=`."""
        return {"id": id or -next(self._ids), "type": "group", "title": title}

    async def events(self, chat_id: int | None = None, after: int = 0) -> list[dict]:
        """Every event (user messages, bot messages, edits, presses) after `after`."""
        params: dict[str, Any] = {"after": after}
        if chat_id is not None:
            params["chat_id"] = chat_id
        return await self.call("events", **params)

    async def bot_messages(self, chat_id: int) -> list[BotMessage]:
        """Every message the bot sent to a chat (current text not tracked: see events)."""
        return [
            BotMessage.from_event(event)
            for event in await self.events(chat_id)
            if event["kind"] == "message"
        ]

    async def calls(self, method: str | None = None) -> list[dict]:
        """The Bot API calls the bot made, optionally of one method."""
        return await self.call("calls", **({"method": method} if method else {}))

    async def commands(self) -> dict[str, list[dict]]:
        """The command menus the bot set, by scope ("default", "all_private_chats", "chat:42")."""
        return await self.call("commands")

    async def menu_buttons(self) -> dict[str, dict]:
        """The chat menu buttons the bot set, by chat id as a string ("default": the bot's)."""
        return await self.call("menu_buttons")

    async def counters(self) -> dict[str, int]:
        """Counts kept by the server: delivered, rate_limited, status_403 and so on."""
        return await self.call("counters")

    async def faults(self, **spec: Any) -> None:
        """Inject faults; see FakeTelegram._c_faults for the keys."""
        await self.call("faults", **spec)

    async def file(self, file_id: str) -> bytes:
        """The bytes of a document or photo the bot sent."""
        return (await self.call("file", file_id=file_id))["data"].encode("latin-1")

    async def wait_event(
        self, chat_id: int, after: int, *, kinds: list[str] | None = None, timeout: float = 5.0
    ) -> dict | None:
        """The first event after `after` in a chat, waiting up to `timeout` seconds."""
        body: dict[str, Any] = {"chat_id": chat_id, "after": after, "timeout": timeout}
        if kinds:
            body["kinds"] = kinds
        return (await self.call("wait", **body))["event"]


# How long a test waits for the bot by default. Generous, so that a machine busy with other
# work slows a test down instead of failing it; a passing test never waits this long.
PATIENCE = 20.0


@dataclass
class TelegramUser:
    """A person using Telegram: sends messages, presses buttons, reads what the bot sends.

    Each chat has a cursor: `expect()` returns the next bot message after the last one seen,
    so a test reads the conversation in order and notices anything unexpected in between.
    """

    control: TelegramControl
    profile: dict
    cursors: dict[int, int] = field(default_factory=dict)

    @property
    def id(self) -> int:
        """The Telegram user id (also the private chat id)."""
        return self.profile["id"]

    def _chat_id(self, chat: dict | None) -> int:
        return chat["id"] if chat else self.id

    async def send(self, text: str, *, chat: dict | None = None) -> dict:
        """Send text (a command if it starts with "/") privately or in `chat`."""
        body: dict[str, Any] = {"from": self.profile, "text": text}
        if chat:
            body["chat"] = chat
        result = await self.control.call("message", **body)
        self.cursors[self._chat_id(chat)] = max(
            self.cursors.get(self._chat_id(chat), 0), result["seq"]
        )
        return result["message"]

    async def send_other(self, content: dict, *, chat: dict | None = None) -> dict:
        """Send a non-text message (e.g. {"sticker": {...}})."""
        body: dict[str, Any] = {"from": self.profile, **content}
        if chat:
            body["chat"] = chat
        result = await self.control.call("message", **body)
        return result["message"]

    async def press(self, message: BotMessage, label: str) -> str:
        """Press the button labelled `label` under `message`; return the callback query id."""
        return await self.press_data(message, message.button(label)["callback_data"])

    async def press_data(self, message: BotMessage, data: str) -> str:
        """Send a callback with arbitrary `data` for `message` (to forge a button press)."""
        result = await self.control.call(
            "callback",
            **{
                "from": self.profile,
                "chat_id": message.chat_id,
                "message_id": message.message_id,
                "data": data,
            },
        )
        return result["query_id"]

    async def answer(self, query_id: str, timeout: float = PATIENCE) -> dict:
        """The bot's answer to a button press (text, show_alert); fails if it never answers."""
        answer = (await self.control.call("answer", query_id=query_id, timeout=timeout))["answer"]
        assert answer is not None, f"the bot did not answer button press {query_id}"
        answer.pop("at", None)
        return answer

    async def expect(
        self,
        contains: str | None = None,
        *,
        chat: dict | None = None,
        kinds: tuple[str, ...] = ("message",),
        timeout: float = PATIENCE,
    ) -> BotMessage:
        """The next bot message in the chat (after the last one seen); it must contain `contains`.

        Fails with the chat's transcript when nothing arrives in `timeout` seconds or the
        message says something else.
        """
        chat_id = self._chat_id(chat)
        after = self.cursors.get(chat_id, 0)
        event = await self.control.wait_event(chat_id, after, kinds=list(kinds), timeout=timeout)
        if event is None:
            raise AssertionError(
                f"no bot {'/'.join(kinds)} in chat {chat_id} within {timeout}s "
                f"(waiting for {contains!r}); transcript:\n{await self._transcript(chat_id)}"
            )
        self.cursors[chat_id] = event["seq"]
        message = BotMessage.from_event(event)
        if contains is not None and contains not in message.text:
            raise AssertionError(
                f"expected {contains!r} in the bot's {event['kind']}, got:\n{message.text}\n"
                f"transcript:\n{await self._transcript(chat_id)}"
            )
        return message

    async def expect_edit(self, contains: str | None = None, **kwargs: Any) -> BotMessage:
        """The next edit of a bot message in the chat (see `expect`)."""
        return await self.expect(contains, kinds=("edit",), **kwargs)

    async def expect_edit_until(
        self, contains: str, *, chat: dict | None = None, timeout: float = PATIENCE
    ) -> BotMessage:
        """Skip edits (a status message counting up) until one contains `contains`."""
        return await self.expect_until(contains, kinds=("edit",), chat=chat, timeout=timeout)

    async def expect_until(
        self,
        contains: str,
        *,
        kinds: tuple[str, ...] = ("message",),
        chat: dict | None = None,
        timeout: float = PATIENCE,
    ) -> BotMessage:
        """Skip other bot messages (a reminder arriving meanwhile) until one contains
        `contains`; for flows that background jobs may interleave with."""
        import time

        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = await self.expect(kinds=kinds, chat=chat, timeout=remaining)
            except AssertionError:
                break
            if contains in message.text:
                return message
            seen.append(message.text[:80])
        raise AssertionError(f"nothing containing {contains!r} within {timeout}s; saw {seen}")

    async def expect_buttons(
        self, data_prefix: str, *, chat: dict | None = None, timeout: float = PATIENCE
    ) -> BotMessage:
        """Skip bot messages until one has a button whose data starts with `data_prefix`
        (language-independent: for flows a test passes through in any language)."""
        import time

        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            message = await self.expect(chat=chat, timeout=remaining)
            if any(b.get("callback_data", "").startswith(data_prefix) for b in message.buttons):
                return message
        raise AssertionError(f"no message with a {data_prefix!r} button within {timeout}s")

    async def expect_nothing(self, *, chat: dict | None = None, within: float = 0.5) -> None:
        """Assert the bot sends nothing more to the chat within `within` seconds."""
        chat_id = self._chat_id(chat)
        after = self.cursors.get(chat_id, 0)
        event = await self.control.wait_event(
            chat_id, after, kinds=["message", "edit"], timeout=within
        )
        assert event is None, f"unexpected bot message: {json.dumps(event['message'])[:500]}"

    async def _transcript(self, chat_id: int) -> str:
        lines = []
        for event in await self.control.events(chat_id):
            text = event["message"].get("text") or event["message"].get("caption") or ""
            who = "user" if event["kind"] in ("user_message", "button") else "bot"
            detail = f"[{event.get('data')}]" if event["kind"] == "button" else text
            lines.append(f"  #{event['seq']} {who} {event['kind']}: {detail[:300]}")
        return "\n".join(lines) or "  (empty)"
