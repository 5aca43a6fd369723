"""Witnesses cosign an append-only log and raise an alarm when it forks or shrinks."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.audit.bundle import verify_bundle
from services.audit.export import Selection, export
from services.audit.service import AuditService
from services.audit.signingkeys import log_verifier, witness_signer
from services.audit.witness import FORKED, SHRANK, StoreSource, Witness
from services.cases.application import CaseService
from services.runtime.settings import Settings

NOW = 1_700_000_000_000
Published = list[dict[str, Any]]


class Log:
    """One store and its audit log; every Log of a test shares the home, hence the log key."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.service = CaseService.from_settings(settings)
        self.audit = AuditService.from_settings(settings)

    def record(self, cases: int, steps: int = 3) -> list[str]:
        made = []
        for _ in range(cases):
            case = str(uuid.uuid4())
            self.service.report(case, {"channel": "hotline"}, "hotline-111", f"{case}-0", NOW)
            for n in range(1, steps):
                fields = {"needs": [f"n{n}"]}
                self.service.record(
                    case, "NeedsAssessed", fields, "commune-22738", f"{case}-{n}", NOW
                )
            made.append(case)
        self.audit.checkpoint()
        return made

    def close(self) -> None:
        self.audit.close()
        self.service.close()


@pytest.fixture
def logs(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> Iterator[Callable[[str | None], Log]]:
    made: list[Log] = []

    def make(url: str | None = None) -> Log:
        other = f"sqlite:///{tmp_path / f'fork{len(made)}.db'}"
        made.append(Log(make_settings(database_url=url or other)))
        return made[-1]

    yield lambda url=None: make(url or (database_url if not made else None))
    for log in made:
        log.close()


def witness(log: Log, agency: str, published: Published, source: Log | None = None) -> Witness:
    settings = log.settings
    return Witness(
        agency,
        witness_signer(settings, agency),
        log_verifier(settings),
        settings.home / "witnesses" / agency / "state.json",
        StoreSource((source or log).audit),
        published.append,
    )


def test_a_witness_cosigns_each_growth_of_the_log(logs: Callable[..., Log]) -> None:
    log, published = logs(), []
    log.record(2)
    first = witness(log, "procuracy-khanh-hoa", published)
    assert first.step().kind == "cosigned"
    log.record(1)
    assert first.step().kind == "cosigned"
    assert first.step().kind == "unchanged"
    assert [m["size"] for m in published if m["kind"] == "cosignature"] == [6, 9]
    assert len(log.audit.log.cosigned(9)) == 1


def test_a_log_forked_to_two_witnesses_is_refused_and_fails_the_policy(
    logs: Callable[..., Log],
) -> None:
    """The operator shows witness A one history and witness B another (same key)."""
    honest, forked = logs(), logs()
    shared = honest.record(1)
    forked.record(1)  # same size, different events
    seen_a: Published = []
    seen_b: Published = []
    a = witness(honest, "procuracy-khanh-hoa", seen_a)
    b = witness(honest, "peoples-committee-khanh-hoa", seen_b, source=forked)
    assert a.step().kind == "cosigned"
    assert b.step().kind == "cosigned"
    honest.record(1)
    shown_the_fork = witness(honest, "procuracy-khanh-hoa", seen_a, source=forked)
    outcome = shown_the_fork.step()
    assert (outcome.kind, outcome.reason) == ("alarm", FORKED)
    assert seen_a[-1]["kind"] == "alarm"
    keys = {
        agency: witness_signer(honest.settings, agency).verifier.vkey
        for agency in ("procuracy-khanh-hoa", "peoples-committee-khanh-hoa")
    }
    data = export(honest.audit, Selection(case_id=shared[0]), keys, required=2)
    check = verify_bundle(data)
    assert not check.ok
    assert any("2 witness cosignatures required" in p for p in check.problems)


def test_a_truncated_log_raises_the_shrank_alarm(logs: Callable[..., Log]) -> None:
    full, truncated = logs(), logs()
    full.record(3)
    truncated.record(1)  # the operator's rebuilt, shorter log, signed with the same key
    published: Published = []
    assert witness(full, "procuracy-khanh-hoa", published).step().kind == "cosigned"
    outcome = witness(full, "procuracy-khanh-hoa", published, source=truncated).step()
    assert (outcome.kind, outcome.reason) == ("alarm", SHRANK)


def test_a_witness_killed_before_publishing_publishes_on_restart(
    logs: Callable[..., Log],
) -> None:
    log = logs()
    log.record(1)
    failing: Published = []

    def crash(message: dict[str, Any]) -> None:
        raise KeyboardInterrupt("killed")

    first = witness(log, "procuracy-khanh-hoa", failing)
    first.publish = crash
    with pytest.raises(KeyboardInterrupt):
        first.step()
    published: Published = []
    restarted = witness(log, "procuracy-khanh-hoa", published)
    restarted.resume()
    assert [m["kind"] for m in published] == ["cosignature"]
    assert restarted.step().kind == "unchanged"
