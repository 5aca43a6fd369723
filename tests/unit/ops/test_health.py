"""Liveness and readiness as the endpoints answer them, over real HTTP on a loopback port."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

from services.ops.health import Health, WatchedStop, serve_health
from services.runtime import metrics
from services.runtime.settings import load_settings


def answer(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return int(reply.status), reply.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), ""


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_loop_is_ready_after_its_first_turn_and_not_alive_when_stuck(tmp_path: Path) -> None:
    port = free_port()  # the relay's offset is 0: its endpoint is the base port itself
    settings = load_settings(home=tmp_path, metrics_port=port)
    health = Health(stale_after=0.3)
    server = serve_health(settings, "relay", health)
    assert server is not None
    try:
        assert answer(port, "/healthz/ready")[0] == 503  # not yet turned
        stop = WatchedStop(health)
        assert not stop.stopped  # the loop's look at its flag is a turn
        assert answer(port, "/healthz/ready") == (200, "ready\n")
        assert answer(port, "/healthz/live") == (200, "alive\n")
        time.sleep(0.5)  # stuck in a batch, never looking at the flag
        assert answer(port, "/healthz/live")[0] == 503
        stop.wait(0.1)  # waiting is turning too
        assert answer(port, "/healthz/live")[0] == 200
        stop.set()
        assert stop.stopped
        assert answer(port, "/healthz/ready")[0] == 503  # stopping
    finally:
        server.shutdown()


def test_metrics_are_served_in_the_prometheus_format(tmp_path: Path) -> None:
    port = free_port()
    settings = load_settings(home=tmp_path, metrics_port=port - 1)  # the intake's offset is 1
    server = serve_health(settings, "intake", Health(stale_after=10))
    assert server is not None
    try:
        metrics.rejected("hotline-111", "unknown_step")
        code, text = answer(port, "/metrics")
        assert code == 200
        assert 'backbone_rejections_total{agency="hotline-111",reason="unknown_step"}' in text
        assert "process_resident_memory_bytes" in text
        assert answer(port, "/nothing")[0] == 404
    finally:
        server.shutdown()


def test_no_endpoint_without_a_port_and_a_busy_port_does_not_stop_the_process(
    tmp_path: Path,
) -> None:
    assert serve_health(load_settings(home=tmp_path), "relay", Health(10)) is None
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = load_settings(home=tmp_path, metrics_port=taken.getsockname()[1])
        assert serve_health(busy, "relay", Health(10)) is None
