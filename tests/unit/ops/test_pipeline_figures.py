"""The pipeline's figures on the web server's ``/metrics``: read from the store and the broker,
never from the processes' own endpoints (the web server's is one of them)."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path

import pytest

from services.ops.health import PORT_OFFSETS
from services.ops.pipeline import PipelineCollector
from services.runtime.database import read_model_db
from services.runtime.settings import load_settings


@pytest.fixture
def endpoints() -> Iterator[tuple[int, dict[str, socket.socket]]]:
    """Listening sockets on every process's port, never answering: a scrape that asked any of
    them would leave a connection waiting to be accepted."""
    for _ in range(100):
        base = random.randrange(20000, 32000)
        with ExitStack() as stack:
            listeners: dict[str, socket.socket] = {}
            try:
                for name, offset in PORT_OFFSETS.items():
                    listener = stack.enter_context(closing(socket.socket()))
                    listener.bind(("127.0.0.1", base + offset))
                    listener.listen(8)
                    listener.setblocking(False)
                    listeners[name] = listener
            except OSError:
                continue
            yield base, listeners
            return
    raise AssertionError("no free range of ports")


def asked(listener: socket.socket) -> bool:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


def test_a_scrape_of_the_web_server_asks_no_process_endpoint_not_even_its_own(
    tmp_path: Path, endpoints: tuple[int, dict[str, socket.socket]]
) -> None:
    base, listeners = endpoints
    with closing(socket.socket()) as probe:  # a broker address where nothing listens
        probe.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{probe.getsockname()[1]}"
    settings = load_settings(home=tmp_path, metrics_port=base, kafka_bootstrap_servers=nowhere)

    families = {f.name: f for f in PipelineCollector(settings, read_model_db(settings)).collect()}

    assert {"backbone_store_position", "backbone_broker_reachable"} <= set(families)
    assert families["backbone_broker_reachable"].samples[0].value == 0
    assert [name for name, listener in listeners.items() if asked(listener)] == []
