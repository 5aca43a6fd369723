"""A running province for the agency clients: the provisioned broker, the intake, the relay,
and a hotline (the backbone's own Python client) that refers a case to the client's agency.

Both clients (the Python package, the Java example) run the same scenario as their agency
(``AGENCY``) and print one JSON result; ``Province.check`` reads it against the backbone.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from services.cases.application import CaseService
from services.kafka.agency import AgencyClient
from services.kafka.provision import credentials_file
from services.kafka.sealingkeys import backbone_keypair, register_agency_public_key
from services.kafka.wiring import build_relay
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import PERSONAL, new_case_id, payload
from tests.integration.kafka.conftest import (  # noqa: F401  (fixtures)
    history,
    intake,
    intake_settings,
    service,
    settings,
)
from tests.kafkatools import poll_until

AGENCY, HOTLINE, HOSPITAL = "police-khanh-hoa", "hotline-111", "hospital-khanh-hoa"


@dataclass
class Province:
    """What an agency system is handed (``connection``) and the backbone behind it."""

    settings: Settings
    service: CaseService

    @property
    def connection(self) -> dict[str, str]:
        """The agency's configuration, as an operator hands it over."""
        return {
            "bootstrap_servers": self.settings.kafka_bootstrap_servers,
            "security_protocol": self.settings.kafka_security_protocol,
            "topic_prefix": self.settings.topic_prefix,
            "credentials_file": str(credentials_file(self.settings, AGENCY)),
            "backbone_public_key": backbone_keypair(self.settings).public_key,
        }

    def register_inbox_key(self, public_key: str) -> None:
        """The operator registers the agency's own inbox public key."""
        register_agency_public_key(self.settings, AGENCY, public_key)

    def refer_a_case_to_the_agency(self) -> str:
        """The hotline reports a case and refers it to the agency, personal data and all."""
        case_id = new_case_id()
        now = datetime.now(UTC)
        with AgencyClient.from_settings(self.settings, HOTLINE) as hotline:
            hotline.submit("CaseReported", case_id, payload("CaseReported"), now, PERSONAL)
            referral = payload("ReferralSent", to_agency=AGENCY, due_at=0)
            hotline.submit("ReferralSent", case_id, referral, now)
        return case_id

    def check(self, result: dict[str, Any], referred_case: str) -> None:
        """The client's report and later step recorded, its sealed personal data opened by the
        backbone (the hospital it referred to reads it), the referral to it opened, and its
        duplicate report rejected with its bytes."""
        reported = result["reported_case"]
        poll_until(lambda: len(history(self.service, reported)) == 2, 30, "the two steps")
        steps = [(e.step, e.agency) for e in history(self.service, reported)]
        assert steps == [("CaseReported", AGENCY), ("ReferralSent", AGENCY)]
        assert fingerprints(self._hospital_reads(reported)) == result["sent_personal_data"]
        [item] = [i for i in result["inbox"] if i["case_id"] == referred_case]
        assert (item["event_type"], item["personal_data"]) == (
            "ReferralSent",
            fingerprints(PERSONAL),
        )
        rejection = result["rejection"]
        assert rejection["reason"] == "duplicate_case"
        assert rejection["original_matches_sent"] is True

    def _hospital_reads(self, case_id: str) -> dict[str, str] | None:
        with AgencyClient.from_settings(self.settings, HOSPITAL) as hospital:
            found: list[dict[str, str] | None] = []

            def referred() -> bool:
                found.extend(i.personal_data for i in hospital.inbox(1) if i.case_id == case_id)
                return bool(found)

            poll_until(referred, 30, "the client's referral in the hospital's inbox")
        return found[0]


def fingerprints(personal_data: dict[str, str] | None) -> dict[str, str]:
    """What the clients print instead of personal data: each field's SHA-256."""
    assert personal_data is not None, "no personal data"
    return {name: hashlib.sha256(text.encode()).hexdigest() for name, text in personal_data.items()}


@pytest.fixture
def province(
    settings: Settings,  # noqa: F811
    service: CaseService,  # noqa: F811
    intake: StopFlag,  # noqa: F811
) -> Iterator[Province]:
    if not settings.kafka_security_protocol.startswith("SASL"):
        pytest.skip("this broker has no SASL listener (agency logins need the project's launcher)")
    stop = StopFlag()
    relay = threading.Thread(target=build_relay(settings).run, args=(stop,), daemon=True)
    relay.start()
    yield Province(settings, service)
    stop.set()
    relay.join(timeout=30)
    assert not relay.is_alive(), "the relay did not stop"
