"""Liveness, readiness and ``/metrics`` of one long-running process, on a port of its own.

``BACKBONE_METRICS_PORT`` is the first port of the host's processes (0, the default: no
endpoint); each process listens on that port plus its offset in ``PORT_OFFSETS``, so that
``backbone run`` and the processes an operator starts by hand on one host never collide and a
scraper's targets can be written down once (``deploy/prometheus/prometheus.yml``).

- ``GET /metrics``: the Prometheus text format.
- ``GET /healthz/live``: 200 while the process's loop keeps turning: every look at the stop flag
  and every second of waiting counts as a turn, so an idle loop is alive and one stuck inside a
  batch for more than ``BACKBONE_LIVENESS_SECONDS`` is not (503).
- ``GET /healthz/ready``: 200 once the loop has turned once, 503 before that and while stopping.

The loops are not changed for this: the process's stop flag (``watch``) is what notices them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from services.runtime.logs import get_logger
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag

log = get_logger(__name__)

PORT_OFFSETS: dict[str, int] = {
    "relay": 0,
    "intake": 1,
    "projections": 2,
    "checkpointer": 3,
    "alerts": 4,
    "web": 5,
    "webhooks": 6,
    "witness": 7,
    "simulator": 8,
    "api": 9,
}


def port_of(settings: Settings, process: str) -> int | None:
    """The port ``process`` answers on, or ``None`` when the endpoints are off."""
    if not settings.metrics_port:
        return None
    return settings.metrics_port + PORT_OFFSETS[process]


class Health:
    """What the endpoints answer: the last turn of the loop and whether it is ready."""

    def __init__(self, stale_after: float, ready: Callable[[], bool] | None = None) -> None:
        self.stale_after = stale_after
        self.turned_at: float | None = None
        self.stopping = False
        self._ready = ready

    def beat(self) -> None:
        self.turned_at = time.monotonic()

    def live(self) -> bool:
        if self._ready is not None:  # a server with its own loop: alive while it serves
            return True
        return self.turned_at is None or time.monotonic() - self.turned_at <= self.stale_after

    def ready(self) -> bool:
        if self.stopping:
            return False
        return self._ready() if self._ready is not None else self.turned_at is not None


class WatchedStop(StopFlag):
    """A stop flag that tells ``health`` each time the loop looks at it or waits on it."""

    def __init__(self, health: Health) -> None:
        super().__init__()
        self.health = health

    @property
    def stopped(self) -> bool:
        self.health.beat()
        self.health.stopping = super().stopped
        return self.health.stopping

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while True:
            self.health.beat()
            left = deadline - time.monotonic()
            if left <= 0 or super().wait(min(left, 1.0)):
                return self.stopped


def watch(settings: Settings, process: str) -> StopFlag:
    """The process's stop flag (SIGTERM and SIGINT installed), with its endpoints started."""
    health = Health(settings.liveness_seconds)
    serve_health(settings, process, health)
    return WatchedStop(health).install()


def watch_server(settings: Settings, process: str, started: Callable[[], bool]) -> None:
    """Endpoints for a process whose loop is a web server's: ready once it listens. The web
    server's process also exposes the pipeline's figures (``services.ops.pipeline``)."""
    if port_of(settings, process) is None:
        return
    if process == "web":
        from services.ops.pipeline import PipelineCollector
        from services.runtime.database import read_model_db

        REGISTRY.register(PipelineCollector(settings, read_model_db(settings)))
    serve_health(settings, process, Health(settings.liveness_seconds, started))


def serve_health(settings: Settings, process: str, health: Health) -> ThreadingHTTPServer | None:
    """Answer the endpoints from a daemon thread; a port in use is logged, not fatal (the
    process's work matters more than its figures)."""
    port = port_of(settings, process)
    if port is None:
        return None
    try:
        server = ThreadingHTTPServer((settings.metrics_host, port), _handler(health))
    except OSError as error:
        log.error("metrics.not_listening", process=process, port=port, error=type(error).__name__)
        return None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics.listening", process=process, host=settings.metrics_host, port=port)
    return server


def _handler(health: Health) -> type[BaseHTTPRequestHandler]:
    class Endpoints(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz/live":
                self._answer(health.live(), b"alive\n", b"stuck\n")
            elif self.path == "/healthz/ready":
                self._answer(health.ready(), b"ready\n", b"not ready\n")
            else:
                self._send(404, b"not found\n", "text/plain")

        def _answer(self, ok: bool, yes: bytes, no: bytes) -> None:
            self._send(200 if ok else 503, yes if ok else no, "text/plain; charset=utf-8")

        def _send(self, code: int, body: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Scrapes every few seconds are not worth a log line."""

    return Endpoints
