"""GET /metrics: Prometheus text, for a scraper that presents METRICS_TOKEN as a bearer token.

Counters of this process come from bot/metrics.py; the queues are read from the database at
scrape time (the same numbers on every replica).
"""

from __future__ import annotations

import asyncio
import hmac

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot import metrics as counters
from bot.clock import SystemClock
from bot.services import monitoring
from web.context import context_of

SNAPSHOT_TIMEOUT = 5.0


async def metrics(request: Request) -> Response:
    """The metrics, or 404 when METRICS_TOKEN is unset and 401 without the right token."""
    context = context_of(request)
    expected = context.deps.settings.metrics_token
    if expected is None:
        return PlainTextResponse("Not Found\n", status_code=404)
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.get_secret_value().encode()
    ):
        return PlainTextResponse(
            "Unauthorized\n", status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    body = generate_latest(counters.REGISTRY)
    try:
        async with context.deps.db.reading() as session:
            snapshot = await asyncio.wait_for(
                monitoring.snapshot(session, now=SystemClock().now()), SNAPSHOT_TIMEOUT
            )
    except Exception:
        snapshot = None  # the database is away: /readyz says so; counters still count
    body += generate_latest(_queues(snapshot))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _queues(snapshot: monitoring.Snapshot | None) -> CollectorRegistry:
    """A registry holding the database's numbers (nothing when it could not be read)."""
    registry = CollectorRegistry(auto_describe=False)
    if snapshot is None:
        return registry
    families = [
        GaugeMetricFamily(
            "bot_inbox_open_updates",
            "Updates stored and not yet handled (pending or being handled), all replicas",
            value=snapshot.inbox.open,
        ),
        GaugeMetricFamily(
            "bot_inbox_oldest_open_seconds",
            "How long the oldest unhandled update has waited",
            value=snapshot.inbox.oldest_open_seconds,
        ),
        GaugeMetricFamily(
            "bot_inbox_failed_updates",
            "Updates kept in the inbox whose handling failed (pruned with the others)",
            value=snapshot.inbox.failed,
        ),
        GaugeMetricFamily(
            "bot_outbox_oldest_due_seconds",
            "How long the longest-waiting due queued message has waited",
            value=snapshot.oldest_due_outbox_seconds,
        ),
    ]
    by_state = GaugeMetricFamily(
        "bot_outbox_messages",
        "Queued messages by state: pending (queued), sending, sent, failed, unreachable, cancelled",
        labels=["state"],
    )
    for state, count in snapshot.outbox_by_state.items():
        by_state.add_metric([state], count)
    families.append(by_state)

    class _Fixed:
        def collect(self):  # noqa: ANN202 - prometheus_client's collector protocol
            return families

    registry.register(_Fixed())
    return registry
