"""The Telegram Mini App: pages for trainers and clients under /app (see pages.py), signed
in with Telegram's init data or a one-time link (auth.py, bot/services/signin.py)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.miniapp import insights, pages

STATIC = Path(__file__).resolve().parent.parent / "static"

# Scripts from this site and Telegram's own (telegram-web-app.js, inside Telegram) only;
# no inline script or style; framed by Telegram's web clients only.
CSP = (
    "default-src 'self'; script-src 'self' https://telegram.org; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self' https://web.telegram.org "
    "https://*.telegram.org"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


def routes() -> list[BaseRoute]:
    """The Mini App's routes (added by web.app.create_app when PUBLIC_BASE_URL is set)."""
    trainer = "/app/trainer"
    return [
        Route("/app", pages.entry, methods=["GET"]),
        Route("/app/session", pages.new_session, methods=["POST"]),
        Route("/app/link/{token}", pages.link, methods=["GET"]),
        Route("/app/home", pages.home, methods=["GET"]),
        Route(f"{trainer}/week", pages.week, methods=["GET"]),
        Route(f"{trainer}/classes", pages.trainer_classes, methods=["GET"]),
        Route(f"{trainer}/classes/{{series_id}}", pages.trainer_class, methods=["GET"]),
        Route(f"{trainer}/sessions/{{session_id}}", pages.trainer_session, methods=["GET"]),
        Route(f"{trainer}/sessions/{{session_id}}/attendance", pages.mark, methods=["POST"]),
        Route(f"{trainer}/sessions/{{session_id}}/cancel", pages.cancel_session, methods=["POST"]),
        Route(f"{trainer}/sessions/{{session_id}}/capacity", pages.capacity, methods=["POST"]),
        Route("/app/classes", pages.timetable, methods=["GET"]),
        Route("/app/classes/{session_id}", pages.client_session, methods=["GET"]),
        Route("/app/classes/{session_id}/book", pages.book, methods=["POST"]),
        Route("/app/bookings/{booking_id}/cancel", pages.cancel_booking, methods=["GET", "POST"]),
        Route("/app/bookings", pages.my_bookings, methods=["GET"]),
        Route("/app/progress", pages.my_progress, methods=["GET"]),
        Route("/app/progress.png", pages.progress_chart, methods=["GET"]),
        *insights.routes(),
        Mount("/app/static", app=StaticFiles(directory=STATIC), name="static"),
    ]


class SecurityHeaders:
    """Adds the Content-Security-Policy, X-Content-Type-Options and Referrer-Policy headers
    to every response of the application (pages, static files, health, errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, sending)
