"""The alert rules and the dashboard read only metrics that the processes expose."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from prometheus_client import REGISTRY

from services.ops.pipeline import families
from services.ops.status import Status
from services.runtime import metrics
from tests.promql import PROMETHEUS_DIR, dashboard_expressions, metric_names, rule_expressions

# Series Prometheus makes itself for every target.
FROM_PROMETHEUS = {"up"}


def exposed_names() -> set[str]:
    """Every sample name the loops' metrics, the pipeline's figures and the client library's
    process collector expose once each has a sample (what a scrape of the processes shows)."""
    metrics.batch("intake", 3, time.monotonic())
    metrics.records("intake", ["police"])
    metrics.rejected("police", "schema_invalid")
    metrics.delivery_failed("webhook", "police")
    metrics.reviewed(1.0)
    status = Status(
        relay_backlog={"relay": 1},
        projection_lag={0: 1},
        intake_lag={("backbone.intake.police", 0): 1},
        stalled_by_area={(1, "001"): 2},
    )
    names = {
        sample.name
        for family in families(status, "backbone.case-events")
        for sample in family.samples
    }
    return names | {s.name for family in REGISTRY.collect() for s in family.samples}


@pytest.mark.parametrize(("alert", "expression"), sorted(rule_expressions().items()))
def test_every_alert_rule_reads_metrics_the_processes_expose(alert: str, expression: str) -> None:
    names = metric_names(expression)
    assert names, alert
    assert names <= exposed_names() | FROM_PROMETHEUS, (alert, names - exposed_names())


@pytest.mark.parametrize(("panel", "expression"), sorted(dashboard_expressions().items()))
def test_every_dashboard_panel_reads_metrics_the_processes_expose(
    panel: str, expression: str
) -> None:
    names = metric_names(expression)
    assert names, panel
    assert names <= exposed_names() | FROM_PROMETHEUS, (panel, names - exposed_names())


def test_the_name_reader_sees_series_not_functions_labels_or_durations() -> None:
    expression = (
        'sum by (agency) (rate(backbone_rejections_total{reason="x"}[5m])) > 0.5 '
        "and on(agency) up offset 5m"
    )
    assert metric_names(expression) == {"backbone_rejections_total", "up"}


def test_the_rules_cover_lag_backlog_stale_projections_and_restarts() -> None:
    expressions = " ".join(rule_expressions().values())
    for name in (
        "backbone_consumer_lag",
        "backbone_relay_backlog",
        "backbone_projection_last_review_timestamp_seconds",
        "process_start_time_seconds",
    ):
        assert name in expressions


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules_file() -> None:
    checked = subprocess.run(
        ["promtool", "check", "rules", str(PROMETHEUS_DIR / "alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
