"""GET /healthz (the process is alive) and GET /readyz (this replica can do its work)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from web.context import context_of


async def healthz(request: Request) -> Response:
    """200 while the event loop answers: that this line runs is the check."""
    return PlainTextResponse("ok\n")


async def readyz(request: Request) -> Response:
    """200 when the database is reachable at the current schema and this replica's workers
    and dispatcher run; 503 with the reasons otherwise."""
    problems = await context_of(request).readiness()
    if problems:
        return JSONResponse({"ready": False, "problems": problems}, status_code=503)
    return JSONResponse({"ready": True})
