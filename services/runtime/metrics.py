"""The Prometheus metrics the processes' loops feed, and the one-line calls they feed them with.

A loop calls one function here per batch (or per refusal, per failed delivery); it never sees
the client library. Figures that the store and the broker hold (backlogs, lag, stalled cases)
are read at scrape time instead, by ``services.ops.pipeline``. Process memory, CPU and start
time come from the client library's own process collector (``process_*``).

Names are the contract with ``deploy/prometheus/`` (alert rules, dashboard): a test reads both
files and checks every metric name they use against what the processes expose.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

RECORDS = Counter(
    "backbone_records",
    "Messages a process read and handled, by agency (intake: submissions)",
    ["process", "agency"],
)
REJECTIONS = Counter(
    "backbone_rejections",
    "Submissions the intake refused, by machine reason and agency",
    ["reason", "agency"],
)
BATCH_SIZE = Histogram(
    "backbone_batch_size",
    "Messages or events per batch of a loop",
    ["process"],
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000),
)
BATCH_SECONDS = Histogram(
    "backbone_batch_duration_seconds",
    "Time to apply one batch, from poll to commit",
    ["process"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DELIVERY_FAILURES = Counter(
    "backbone_delivery_failures",
    "Failed deliveries to agencies: webhook attempts, e-mail digests",
    ["channel", "agency"],
)
REVIEWED_AT = Gauge(
    "backbone_projection_last_review_timestamp_seconds",
    "When the projections last reviewed the deadlines of open cases (Unix time)",
)
REVIEW_INTERVAL = Gauge(
    "backbone_projection_review_interval_seconds",
    "How often the projections review deadlines; older than this (with slack) is stale",
)


def batch(process: str, size: int, started: float) -> None:
    """One batch of ``size`` finished; ``started`` is its ``time.monotonic()`` at poll."""
    BATCH_SIZE.labels(process).observe(size)
    BATCH_SECONDS.labels(process).observe(time.monotonic() - started)


def records(process: str, agencies: Iterable[str]) -> None:
    """Count handled messages, one agency name per message."""
    for agency, count in Tally(agencies).items():
        RECORDS.labels(process, agency).inc(count)


def rejected(agency: str, reason: str) -> None:
    REJECTIONS.labels(reason, agency).inc()


def delivery_failed(channel: str, agency: str) -> None:
    DELIVERY_FAILURES.labels(channel, agency).inc()


def reviewed(interval_s: float) -> None:
    """The projections reviewed the deadlines now; they do it every ``interval_s``."""
    REVIEWED_AT.set_to_current_time()
    REVIEW_INTERVAL.set(interval_s)
