"""GET /calendar/{token}.ics: a person's calendar feed, the same file /calendar sends.

The token in the path is a credential: it is never logged (uvicorn's access log is off in
bot/runtime.py, and nothing here logs the request), and every refusal is the same bare 404,
whether the token never existed, was reset, or belongs to a deleted account.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.i18n import reader_language, translator
from bot.services import feeds
from bot.services.feeds import FEED_PATH
from bot.views.calendar import ics
from web.context import context_of

# Calendar apps poll; five minutes in their cache keeps the load small and the feed current.
CACHE_CONTROL = "private, max-age=300"

__all__ = ["CACHE_CONTROL", "FEED_PATH", "calendar_feed"]


async def calendar_feed(request: Request) -> Response:
    """The feed's owner's calendar, as of now, in their language; 404 for any other token."""
    deps = context_of(request).deps
    now = deps.clock.now()
    async with deps.db.reading() as session:
        feed = await feeds.feed_for(session, request.path_params["token"], now=now)
    if feed is None:
        return PlainTextResponse("Not Found\n", status_code=404)
    t = translator(reader_language(feed.language, feed.app_language))
    return Response(
        ics(t, feed.entries, teaching=feed.teaching, now=now),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": CACHE_CONTROL},
    )
