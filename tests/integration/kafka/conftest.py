"""A small agency directory, provisioned on the session broker, and an intake in a thread."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deploy.kafka.launcher import BrokerEndpoint
from events import Topics
from services.cases.application import CaseService
from services.cases.errors import CaseNotFound
from services.cases.views import HistoryEntry
from services.kafka.agency import AgencyClient
from services.kafka.intake_wiring import run_intake
from services.kafka.provision import provision
from services.runtime.settings import DEFAULT_CONFIG_DIR, Settings
from services.runtime.supervisor import StopFlag

# Enough roles for the rules the tests break; fewer topics to create per test.
AGENCIES = (
    "hotline-111",
    "doh-khanh-hoa",
    "police-khanh-hoa",
    "hospital-khanh-hoa",
    "court-khanh-hoa",
    "doet-khanh-hoa",
    "commune-22921",
)


def small_config(target: Path, agencies: tuple[str, ...] = AGENCIES) -> Path:
    """deploy/config with only ``agencies`` in agencies.toml."""
    shutil.copytree(DEFAULT_CONFIG_DIR, target)
    text = (DEFAULT_CONFIG_DIR / "agencies.toml").read_text()
    head, *blocks = text.split("[[agency]]")
    kept = [_without_lost_successor(b, agencies) for b in blocks if _agency_id(b) in agencies]
    (target / "agencies.toml").write_text(head + "".join("[[agency]]" + b for b in kept))
    return target


def _without_lost_successor(block: str, agencies: tuple[str, ...]) -> str:
    """The block without a ``successor`` that the small directory does not list."""
    found = re.search(r'^successor = "([^"]+)"\n', block, re.MULTILINE)
    return block if found is None or found[1] in agencies else block.replace(found[0], "")


def _agency_id(block: str) -> str:
    found = re.search(r'^id = "([^"]+)"', block, re.MULTILINE)
    return found[1] if found else ""


@pytest.fixture
def intake_settings(
    make_settings: Callable[..., Settings], kafka_endpoint: BrokerEndpoint, tmp_path: Path
) -> Callable[..., Settings]:
    """Settings on the session broker and a small directory; keyword overrides win."""

    def make(**overrides: object) -> Settings:
        base: dict[str, object] = {
            "config_dir": small_config(tmp_path / f"config-{len(list(tmp_path.iterdir()))}"),
            "kafka_bootstrap_servers": kafka_endpoint.bootstrap_servers,
            "kafka_security_protocol": kafka_endpoint.security_protocol,
            "kafka_username": kafka_endpoint.username,
            "kafka_password": kafka_endpoint.password,
            "topic_partitions": 2,
            "poll_interval_ms": 100,
            # "Not yet" refusals are held this long before they are rejections.
            "intake_hold_seconds": 1.0,
        }
        return make_settings(**(base | overrides))

    return make


@pytest.fixture
def settings(intake_settings: Callable[..., Settings]) -> Settings:
    """Provisioned settings: every topic, user and key of the small directory exists."""
    made = intake_settings()
    provision(made)
    return made


@pytest.fixture
def topics(settings: Settings) -> Topics:
    return Topics(settings.topic_prefix)


@pytest.fixture
def service(settings: Settings) -> Iterator[CaseService]:
    app = CaseService.from_settings(settings)
    yield app
    app.close()


@pytest.fixture
def intake(settings: Settings, service: CaseService) -> Iterator[StopFlag]:
    """The intake loop in a thread until the test ends."""
    stop = StopFlag()
    worker = threading.Thread(target=run_intake, args=(settings, stop), daemon=True)
    worker.start()
    yield stop
    stop.set()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the intake did not stop"


@pytest.fixture
def client(settings: Settings) -> Iterator[Callable[[str], AgencyClient]]:
    """``client(agency)``: an agency client on its provisioned credentials, closed at the end."""
    made: list[AgencyClient] = []

    def make(agency: str) -> AgencyClient:
        made.append(AgencyClient.from_settings(settings, agency))
        return made[-1]

    yield make
    for each in made:
        each.close()


def history(service: CaseService, case_id: str) -> list[HistoryEntry]:
    """The case's recorded events; empty while it does not exist yet."""
    try:
        return service.history(case_id)
    except CaseNotFound:
        return []
