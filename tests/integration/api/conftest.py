"""The agency API served by uvicorn on a free port, on a provisioned broker with an intake."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from services.api.apikeys import KeyFile
from services.api.serve import server
from services.api.wiring import build_api
from services.runtime.settings import Settings
from tests.integration.kafka.conftest import (  # noqa: F401  (fixtures)
    intake,
    intake_settings,
    service,
    settings,
)

HOTLINE, POLICE, SOCIAL_AFFAIRS = "hotline-111", "police-khanh-hoa", "doh-khanh-hoa"


@dataclass
class Api:
    """A running API: its base URL and a key per agency."""

    url: str
    keys: dict[str, str]
    key_file: KeyFile

    def as_agency(self, agency: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[agency]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serving(served: Settings) -> Iterator[str]:
    """The API of ``served`` over real HTTP until the test ends."""
    port = free_port()
    api = build_api(served)
    running = server(served, "127.0.0.1", port, api)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/api"
    running.should_exit = True
    thread.join(timeout=30)
    assert not thread.is_alive(), "the API did not stop"
    api.state.backend.close()


@pytest.fixture
def api(settings: Settings, intake: object) -> Iterator[Api]:  # noqa: F811
    keys = KeyFile(settings.effective_api_keys_file)
    issued = {agency: keys.create(agency).key for agency in (HOTLINE, POLICE, SOCIAL_AFFAIRS)}
    for url in serving(settings):
        yield Api(url, issued, keys)


@pytest.fixture
def api_settings(intake_settings: Callable[..., Settings]) -> Callable[..., Settings]:  # noqa: F811
    return intake_settings
