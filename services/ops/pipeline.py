"""The pipeline's figures as Prometheus metrics, read at scrape time: the ``backbone status``
figures (``services.ops.status.gather``), so the terminal and the dashboards agree.

Exposed by the web server's process (``backbone serve``): it runs for as long as people look at
the board, and it keeps answering while the relay, the intake or the projections are stopped,
which is when these figures matter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from events import Topics
from services.ops.status import Status, gather
from services.runtime.settings import Settings


class PipelineCollector(Collector):
    """Backlogs, lag and stalled cases, gathered from the store and the broker per scrape."""

    def __init__(self, settings: Settings, engine: sa.Engine) -> None:
        self.settings = settings
        self.engine = engine

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The families without their samples (registering must not reach the broker)."""
        yield from families(Status(), "")

    def collect(self) -> Iterator[GaugeMetricFamily]:
        case_events = Topics(self.settings.topic_prefix).case_events
        yield from families(gather(self.settings, self.engine, processes=False), case_events)


def families(status: Status, case_events: str) -> Iterator[GaugeMetricFamily]:
    """One gauge family per figure of ``status``."""
    yield _gauge(
        "backbone_store_position",
        "Last notification id of the event store",
        [],
        [((), status.store_position)],
    )
    yield _gauge(
        "backbone_relay_backlog",
        "Events recorded in the store and not yet published by the relay",
        ["relay"],
        [((name,), n) for name, n in status.relay_backlog.items()],
    )
    lag = [(("projections", case_events, str(p)), n) for p, n in status.projection_lag.items()]
    lag += [(("intake", t, str(p)), n) for (t, p), n in status.intake_lag.items()]
    yield _gauge(
        "backbone_consumer_lag",
        "Messages on a partition not yet handled by its consumer",
        ["consumer", "topic", "partition"],
        lag,
    )
    yield _gauge(
        "backbone_alert_outbox_backlog",
        "Alerts written by the projections and not yet sent",
        [],
        [((), status.outbox_backlog)],
    )
    yield _gauge(
        "backbone_stalled_cases",
        "Stalled open cases by escalation level and district",
        ["level", "area"],
        [((str(lv), area), n) for (lv, area), n in status.stalled_by_area.items()],
    )
    yield _gauge(
        "backbone_broker_reachable",
        "1 when the broker answered the last look, else 0",
        [],
        [((), 0 if status.broker_error else 1)],
    )


def _gauge(
    name: str, text: str, labels: list[str], samples: Sequence[tuple[tuple[str, ...], int]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, text, labels=labels)
    for values, value in samples:
        family.add_metric(list(values), value)
    return family
