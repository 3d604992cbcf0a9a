"""The one ASGI application the bot serves (Starlette, run by uvicorn in bot/runtime.py)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from web import feeds, health, metrics, webhook
from web.context import WebContext


def create_app(context: WebContext, *, routes: Sequence[BaseRoute] = ()) -> Starlette:
    """Build the web application: health, metrics, calendar feeds, the webhook route in
    webhook mode, the Mini App when PUBLIC_BASE_URL is set, and any further `routes` (they
    reach the bot through `web.context.context_of(request)`). Every response carries the
    security headers of web/miniapp (Content-Security-Policy and others)."""
    from web import miniapp

    settings = context.deps.settings
    table: list[BaseRoute] = [
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
        Route("/metrics", metrics.metrics, methods=["GET"]),
        Route(feeds.FEED_PATH, feeds.calendar_feed, methods=["GET"]),
    ]
    if settings.bot_mode == "webhook":
        table.append(Route(settings.webhook_path, webhook.receive_update, methods=["POST"]))
    if settings.public_base_url is not None:
        table.extend(miniapp.routes())
    table.extend(routes)
    app = Starlette(routes=table, middleware=[Middleware(miniapp.SecurityHeaders)])
    app.state.context = context
    return app
