"""Evidence bundles verify offline; who opened personal data is logged and covered."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from services.audit.accesslog import PurposeRequired, access_log, open_personal_data
from services.audit.bundle import verify_bundle
from services.audit.export import Selection, export
from services.audit.service import AuditService
from services.audit.signingkeys import log_verifier, witness_signer
from services.audit.verify import verify_store
from services.audit.witness import StoreSource, Witness
from services.cases.application import CaseService
from services.runtime.settings import Settings
from tests.casefactory import PERSONAL

NOW = 1_700_000_000_000
WITNESS = "procuracy-khanh-hoa"


@dataclass
class Store:
    settings: Settings
    service: CaseService
    audit: AuditService
    case_id: str

    def cosigned_bundle(self, **selection: str) -> dict[str, object]:
        self.audit.checkpoint()
        Witness(
            WITNESS,
            witness_signer(self.settings, WITNESS),
            log_verifier(self.settings),
            self.settings.home / "w.json",
            StoreSource(self.audit),
            lambda message: None,
        ).step()
        keys = {WITNESS: witness_signer(self.settings, WITNESS).verifier.vkey}
        return export(self.audit, Selection(**selection), keys, required=1)


@pytest.fixture
def store(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Store]:
    settings = make_settings(database_url=database_url)
    service = CaseService.from_settings(settings)
    audit = AuditService.from_settings(settings)
    case = str(uuid.uuid4())
    fields = {"channel": "hotline", "district_code": "582"}
    service.report(case, fields, "hotline-111", "s0", NOW, PERSONAL)
    service.record(case, "NeedsAssessed", {"needs": ["shelter"]}, "commune-22738", "s1", NOW)
    yield Store(settings, service, audit, case)
    audit.close()
    service.close()


def test_a_cosigned_bundle_verifies_with_nothing_but_itself(store: Store) -> None:
    data = json.loads(json.dumps(store.cosigned_bundle(case_id=store.case_id)))
    store.audit.close()
    store.service.close()  # no database from here on
    check = verify_bundle(data)
    assert check.ok, check.problems
    assert (check.entries, check.cosignatures) == (2, 1)
    assert {"CaseReported", "NeedsAssessed", "CaseEvent"} <= set(data["schemas"])


def test_a_changed_byte_in_a_bundle_is_named(store: Store) -> None:
    text = json.dumps(store.cosigned_bundle(area="582"))
    check = verify_bundle(json.loads(text.replace('"shelter"', '"shelteR"')))
    assert check.problems == [
        f"event {store.case_id}#2: altered (its content does not give its hash)"
    ]
    proof_edit = json.loads(text)
    proof_edit["entries"][0]["leaf_index"] = 1
    assert "not in the checkpointed log" in verify_bundle(proof_edit).problems[0]


def test_a_bundle_with_keys_not_in_the_trusted_list_is_refused(store: Store) -> None:
    data = store.cosigned_bundle(case_id=store.case_id)
    check = verify_bundle(data, trusted=[str(data["log_vkey"])])
    assert not check.ok and "not in the trusted list" in check.problems[0]


def test_erased_personal_data_shows_as_erased_and_still_verifies(store: Store) -> None:
    store.service.forget(store.case_id, "doh-khanh-hoa")
    data = store.cosigned_bundle(period=(NOW, 2**62))
    report = next(e for e in data["entries"] if e["event"]["step"] == "CaseReported")  # type: ignore[union-attr, index]
    assert report["personal_data_state"] == "erased"
    assert verify_bundle(data).ok


def test_opening_personal_data_needs_a_purpose_and_is_logged(store: Store) -> None:
    read = store.service.read_personal_data
    with pytest.raises(PurposeRequired):
        open_personal_data(read, store.audit.access, store.case_id, "commune-22921", "an", " ")
    assert store.audit.access.entries() == []
    data = open_personal_data(
        read, store.audit.access, store.case_id, "commune-22921", "an", "home visit planning"
    )
    assert data == PERSONAL
    [entry] = store.audit.access.entries(case_id=store.case_id)
    assert (entry.agency, entry.actor, entry.purpose) == (
        "commune-22921",
        "an",
        "home visit planning",
    )


def test_an_altered_access_record_is_named_by_the_checkpoint(store: Store) -> None:
    log = store.audit.access
    for purpose in ("home visit planning", "court hearing file"):
        log.record(store.case_id, "commune-22921", "an", purpose)
    store.audit.checkpoint()
    assert verify_store(store.audit).ok
    with store.audit.engine.begin() as connection:
        connection.execute(
            sa.update(access_log).where(access_log.c.id == 2).values(purpose="nothing to see")
        )
    problems = {f.problem for f in verify_store(store.audit).findings}
    assert {"altered", "access_altered"} <= problems
