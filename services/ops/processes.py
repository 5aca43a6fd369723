"""What each long-running process says about itself, read from its endpoints (when
``BACKBONE_METRICS_PORT`` is set): ready or not, memory, records, rejections, failures."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from services.ops.health import PORT_OFFSETS, port_of
from services.runtime.settings import Settings

# The processes ``backbone run`` starts: one of them not answering is a finding.
EXPECTED = ("relay", "intake", "projections", "checkpointer", "alerts", "web")
SUMMED = {
    "backbone_records": "records",
    "backbone_rejections": "rejections",
    "backbone_delivery_failures": "delivery_failures",
}


@dataclass(frozen=True)
class ProcessFigures:
    """One process as its endpoints describe it; ``answered`` false when nothing listened."""

    name: str
    answered: bool
    ready: bool = False
    memory_bytes: int = 0
    records: int = 0
    rejections: int = 0
    delivery_failures: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "answered": self.answered,
            "ready": self.ready,
            "memory_bytes": self.memory_bytes,
            "records": self.records,
            "rejections": self.rejections,
            "delivery_failures": self.delivery_failures,
        }


def look(settings: Settings, timeout: float = 10.0) -> list[ProcessFigures]:
    """The expected processes and any other that answers, in port order."""
    found = []
    for name in PORT_OFFSETS:
        figures = _ask(settings, name, timeout)
        if figures.answered or name in EXPECTED:
            found.append(figures)
    return found


def _ask(settings: Settings, name: str, timeout: float) -> ProcessFigures:
    base = f"http://{settings.metrics_host}:{port_of(settings, name)}"
    try:
        ready = _get(f"{base}/healthz/ready", timeout)[0] == 200
    except OSError:
        return ProcessFigures(name, answered=False)
    try:  # the web server's figures ask the store and the broker: they may take a while
        text = _get(f"{base}/metrics", timeout)[1]
    except OSError:
        return ProcessFigures(name, answered=True, ready=ready)
    sums = dict.fromkeys(SUMMED.values(), 0.0)
    memory = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if family.name in SUMMED and sample.name.endswith("_total"):
                sums[SUMMED[family.name]] += sample.value
            elif sample.name == "process_resident_memory_bytes":
                memory = sample.value
    counts = {key: int(value) for key, value in sums.items()}
    return ProcessFigures(name, True, ready, int(memory), **counts)


def _get(url: str, timeout: float) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), ""
