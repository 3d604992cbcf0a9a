"""What the process counts for /metrics (Prometheus): updates, handling time, job ticks.

Counters live in one registry per process. What the database knows (inbox depth, outbox
states, the oldest message waiting) is read at scrape time instead (web/metrics.py), so
that every replica reports the same numbers and nothing has to be kept in step.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES_RECEIVED = Counter(
    "bot_updates_received",
    "Updates stored in the inbox by this replica (repeats of a stored update not counted)",
    ["kind"],
    registry=REGISTRY,
)
UPDATES_HANDLED = Counter(
    "bot_updates_handled",
    "Updates this replica ran through the handlers without an unexpected error",
    ["kind"],
    registry=REGISTRY,
)
UPDATES_FAILED = Counter(
    "bot_updates_failed",
    "Updates whose handler raised (the person got the apology), or given up after crashes",
    ["kind"],
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "bot_update_handling_seconds",
    "Time from a worker taking an update to its handler finishing",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
OUTBOX_RATE_LIMITED = Counter(
    "bot_outbox_rate_limited",
    "429 answers from Telegram to queued messages (sending paused for retry_after)",
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "bot_job_tick_seconds",
    "Duration of each run of a scheduled job (reminders, tips, community, ...)",
    ["job"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
POLLING = Gauge(
    "bot_polling",
    "1 while this replica is the one receiving updates by long polling",
    registry=REGISTRY,
)
