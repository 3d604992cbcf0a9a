"""POST <path of WEBHOOK_URL>: Telegram delivers an update; answered 200 once it is stored.

Refusals, all before anything is stored: a missing or wrong secret header 403 (compared in
constant time), more than 1 MiB 413, a body that is not JSON or not an update 400, a replica
that is stopping or cannot reach its database 503 (Telegram tries again later, perhaps on
another replica). Handling happens later, from the inbox, so the answer never waits for it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from bot.services import inbox
from web.context import context_of

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Telegram waits about a minute; the answer must come well before that.
STORE_TIMEOUT = 10.0


async def receive_update(request: Request) -> Response:
    """Check, store, answer (see the module doc)."""
    context = context_of(request)
    expected = context.deps.settings.webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if expected is None or not hmac.compare_digest(
        given.encode(), expected.get_secret_value().encode()
    ):
        return _answer(403, "Forbidden")
    if not context.intake.accepting:
        return _answer(503, "Stopping; try again later", retry=True)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return _answer(413, "Request body over 1 MiB")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return _answer(413, "Request body over 1 MiB")
    except ClientDisconnect:
        return _answer(400, "Incomplete request")
    try:
        text = body.decode("utf-8")
        item = inbox.received(json.loads(text), payload=text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _answer(400, "Malformed JSON")
    except inbox.NotAnUpdate as error:
        return _answer(400, f"Not an update: {error}")
    try:
        await asyncio.wait_for(context.intake.store([item]), STORE_TIMEOUT)
    except Exception as error:
        log.warning(
            "could not store update %s (%s); Telegram will send it again", item.update_id, error
        )
        return _answer(503, "Cannot store updates right now; try again later", retry=True)
    return Response(status_code=200)


def _answer(status: int, reason: str, *, retry: bool = False) -> Response:
    headers = {"Retry-After": "5"} if retry else None
    return PlainTextResponse(reason + "\n", status_code=status, headers=headers)
