"""Whole-store verification names each attack on the database, on both stores."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from services.audit import store as logtables
from services.audit.findings import MISSING_CASE
from services.audit.note import Checkpoint, sign_note
from services.audit.proving import Cores
from services.audit.rows import events_table, parse_state
from services.audit.service import AuditService
from services.audit.sweep import sweep
from services.audit.verify import verify_store
from services.cases.application import CaseService
from services.cases.chain import ALTERED, GENESIS, INSERTED, MISSING, REORDERED, event_hash
from services.runtime.settings import Settings
from tests.integration.cases.test_case_tampering import Rows

NOW = 1_700_000_000_000


@dataclass
class World:
    service: CaseService
    audit: AuditService
    cases: list[str]

    def rows(self, n: int) -> Rows:
        return Rows(self.service, self.cases[n])

    def problems(self) -> set[tuple[str, str, int | None]]:
        report = verify_store(self.audit)
        return {(f.problem, f.case_id, f.sequence) for f in report.findings}


@pytest.fixture
def world(make_settings: Callable[..., Settings], database_url: str) -> Iterator[World]:
    settings = make_settings(database_url=database_url)
    service = CaseService.from_settings(settings)
    audit = AuditService.from_settings(settings)
    cases = []
    for _ in range(3):
        case = str(uuid.uuid4())
        service.report(case, {"channel": "hotline"}, "hotline-111", f"{case}-0", NOW)
        for n in range(1, 5):
            fields = {"needs": [f"n{n}"]}
            service.record(case, "NeedsAssessed", fields, "commune-22738", f"{case}-{n}", NOW)
        cases.append(case)
    audit.checkpoint()
    yield World(service, audit, cases)
    audit.close()
    service.close()


def _edit(rows: Rows, version: int, **changes: object) -> None:
    state = rows.state(version)
    state.update(changes)
    rows.update(version, state=json.dumps(state).encode())


def test_an_untouched_store_verifies(world: World) -> None:
    report = verify_store(world.audit)
    assert report.ok, report.findings
    assert (report.events, report.cases, report.checkpoint_size) == (15, 3, 15)


def test_a_changed_byte_in_a_row_is_named(world: World) -> None:
    rows = world.rows(0)
    raw = json.dumps(rows.state(3)).replace('"n2"', '"n9"')
    rows.update(3, state=raw.encode())
    assert world.problems() == {(ALTERED, world.cases[0], 3)}


def test_a_deleted_case_is_named(world: World) -> None:
    rows = world.rows(1)
    for version in range(1, 6):
        rows.delete(version)
    assert world.problems() == {(MISSING_CASE, world.cases[1], None)}


def test_an_inserted_event_is_named(world: World) -> None:
    rows = world.rows(2)
    topic = rows.topic(3)
    for version in range(5, 2, -1):
        rows.update(version, originator_version=version + 1)
    forged = rows.state(4) | {"payload": {"needs": ["forged"]}}
    rows.insert(3, topic, forged)
    assert (INSERTED, world.cases[2], 3) in world.problems()


def test_a_reordered_pair_is_named(world: World) -> None:
    rows = world.rows(0)
    second, third = rows.state(2), rows.state(3)
    rows.update(2, state=json.dumps(third).encode())
    rows.update(3, state=json.dumps(second).encode())
    assert (REORDERED, world.cases[0], 2) in world.problems()


def test_a_removed_event_is_named(world: World) -> None:
    rows = world.rows(1)
    rows.delete(5)
    assert world.problems() == {(MISSING, world.cases[1], 5)}


def test_a_rewritten_chain_and_log_with_recomputed_hashes_is_caught_by_the_checkpoint(
    world: World,
) -> None:
    """The forger changes event 2 and recomputes every hash in the database: the chain, the
    log's leaves and subtrees. Only the signed checkpoint (key outside the database) shows it."""
    case, rows = world.cases[0], world.rows(0)
    previous = rows.state(1)["hash"]
    for version in range(2, 6):
        state = rows.state(version)
        if version == 2:
            state["payload"] = {"needs": ["forged"]}
        event = parse_state(json.dumps(state).encode())
        assert event is not None
        state["previous_hash"] = previous
        state["hash"] = event_hash(case, version, event.relinked(previous))
        previous = state["hash"]
        rows.update(version, state=json.dumps(state).encode())
    _rebuild_log(world.audit)
    assert world.service.verify(case).ok  # the chain alone is fooled
    problems = world.problems()
    assert ("log_rewritten", "(log)", None) in problems
    assert {p for p in problems if p[1] == case} == {(ALTERED, case, 2)}


def _rebuild_log(audit: AuditService) -> None:
    with audit.engine.begin() as connection:
        connection.execute(sa.delete(logtables.leaves))
        connection.execute(sa.delete(logtables.nodes))
    audit.log.sync(audit.access.leaves_after)
    assert GENESIS == ""


def test_a_truncated_log_table_is_named_and_the_mirror_still_checks_the_events(
    world: World,
) -> None:
    with world.audit.engine.begin() as connection:
        connection.execute(sa.delete(logtables.leaves).where(logtables.leaves.c.idx >= 10))
    assert world.problems() == {("log_rewritten", "(log)", None)}


def test_area_and_since_limit_the_cases_reported_not_the_log_checked(world: World) -> None:
    rows = world.rows(0)
    rows.update(2, state=json.dumps(rows.state(2) | {"agency": "x"}).encode())
    assert verify_store(world.audit, area="999").cases == 0
    assert verify_store(world.audit, since_ms=NOW * 10).cases == 0
    everything = verify_store(world.audit, since_ms=0)
    assert (everything.cases, everything.ok) == (3, False)


def test_the_sweep_reports_an_untouched_store_as_the_exact_pass_does(world: World) -> None:
    """Events after the checkpoint, access records and filters: the streaming sweep proves the
    store and counts it as the exact pass (every leaf and row in memory) does."""
    world.audit.access.record(world.cases[0], "commune-22738", "an", "home visit planning")
    world.audit.checkpoint()
    world.audit.access.record(world.cases[1], "commune-22738", "an", "court hearing file")
    case = world.cases[2]
    world.service.record(case, "NeedsAssessed", {"needs": ["later"]}, "commune-22738", "late", NOW)
    checkpoints = [world.audit.checkpoint_of(n) for n in world.audit.log.checkpoints()]
    assert sweep(world.audit, checkpoints, lambda codes, last: True, None) is not None
    for area, since in [(None, None), ("999", None), (None, NOW * 10), (None, 0)]:
        fast = verify_store(world.audit, area, since)
        exact = verify_store(world.audit, area, since, exact=True)
        assert fast.as_json() == exact.as_json()
    assert (fast.events, fast.pending, fast.ok) == (16, 1, True)


SPREAD = Cores(workers=2, span=4, from_rows=0)
"""Worker processes on even a small store, four notification ids a task."""


def test_rows_proved_by_worker_processes_count_as_proved_in_one(world: World) -> None:
    world.audit.access.record(world.cases[0], "commune-22738", "an", "home visit planning")
    world.audit.checkpoint()
    case = world.cases[2]
    world.service.record(case, "NeedsAssessed", {"needs": ["later"]}, "commune-22738", "late", NOW)
    checkpoints = [world.audit.checkpoint_of(n) for n in world.audit.log.checkpoints()]
    assert sweep(world.audit, checkpoints, lambda codes, last: True, None, SPREAD) is not None
    for area, since in [(None, None), ("999", None), (None, NOW * 10)]:
        spread = verify_store(world.audit, area, since, cores=SPREAD)
        alone = verify_store(world.audit, area, since, cores=Cores(workers=0))
        assert spread.as_json() == alone.as_json()
    assert (spread.events, spread.pending, spread.ok) == (16, 1, True)


@pytest.mark.parametrize("cores", [Cores(workers=0), SPREAD], ids=["one process", "workers"])
def test_any_change_sends_the_sweep_to_the_exact_pass(world: World, cores: Cores) -> None:
    def swept() -> object:
        checkpoints = [world.audit.checkpoint_of(n) for n in world.audit.log.checkpoints()]
        return sweep(world.audit, checkpoints, lambda codes, last: True, None, cores)

    assert swept() is not None
    rows = world.rows(1)
    _edit(rows, 5, payload={"needs": ["n5"]})
    assert swept() is None
    _edit(rows, 5, payload={"needs": ["n4"]})
    assert swept() is not None
    rows.delete(5)
    assert swept() is None


ALONE_IN_FOURS = Cores(workers=0, span=4)
"""The sweep's own process, in stretches of four leaves."""


@pytest.mark.parametrize("cores", [ALONE_IN_FOURS, SPREAD], ids=["one process", "workers"])
def test_a_changed_or_missing_leaf_sends_the_sweep_to_the_exact_pass(
    world: World, cores: Cores
) -> None:
    """Stretches of four leaves: a leaf changed inside one, or gone from one, does not fit."""
    checkpoints = [world.audit.checkpoint_of(n) for n in world.audit.log.checkpoints()]
    leaves = logtables.leaves

    def swept() -> object:
        return sweep(world.audit, checkpoints, lambda codes, last: True, None, cores)

    assert swept() is not None
    with world.audit.engine.begin() as connection:
        entry = connection.execute(sa.select(leaves.c.entry_hash).where(leaves.c.idx == 6)).scalar()
        connection.execute(sa.update(leaves).where(leaves.c.idx == 6).values(entry_hash="0" * 64))
    assert swept() is None
    with world.audit.engine.begin() as connection:
        connection.execute(sa.update(leaves).where(leaves.c.idx == 6).values(entry_hash=entry))
    assert swept() is not None
    with world.audit.engine.begin() as connection:
        connection.execute(sa.delete(leaves).where(leaves.c.idx == 9))
    assert swept() is None


def test_a_stretch_spans_a_power_of_two_of_leaves(world: World) -> None:
    """Else its subtrees would not be the whole tree's, and the roots could not be joined."""
    checkpoints = [world.audit.checkpoint_of(n) for n in world.audit.log.checkpoints()]
    with pytest.raises(ValueError, match="power of two"):
        sweep(world.audit, checkpoints, lambda codes, last: True, None, Cores(span=6))


def _agree(world: World, cores: Cores) -> None:
    """The sweep proves the store, and ``verify_store`` then says what the exact pass says."""
    checkpoints = [world.audit.checkpoint_of(n) for n in world.audit.log.checkpoints()]
    assert sweep(world.audit, checkpoints, lambda codes, last: True, None, cores) is not None
    for area, since in [(None, None), ("999", None), (None, NOW * 10), (None, 0)]:
        fast = verify_store(world.audit, area, since, cores=cores)
        exact = verify_store(world.audit, area, since, exact=True)
        assert fast.as_json() == exact.as_json()


@pytest.mark.parametrize("cores", [ALONE_IN_FOURS, SPREAD], ids=["one process", "workers"])
def test_a_row_moved_before_notification_one_counts_in_both_passes(
    world: World, cores: Cores
) -> None:
    """The store numbers notifications from 1, but the database takes 0 or less. The sweep
    reads the rows from the smallest id, the exact pass read them after 0: a row moved to id 0
    (its leaf's source with it, which the signed root does not cover) was proved and counted
    by the sweep and not seen by the exact pass (14 events, not 15)."""
    table = events_table(world.audit.engine)
    assert table is not None
    leaves = logtables.leaves
    with world.audit.engine.begin() as connection:
        first = connection.execute(sa.select(sa.func.min(table.c.id))).scalar()
        connection.execute(sa.update(table).where(table.c.id == first).values(id=0))
        moved = sa.and_(leaves.c.kind == logtables.EVENT, leaves.c.source_id == first)
        connection.execute(sa.update(leaves).where(moved).values(source_id=0))
    _agree(world, cores)
    assert verify_store(world.audit, exact=True).events == 15


def test_two_signed_roots_for_one_size_send_the_sweep_to_the_exact_pass(world: World) -> None:
    """Two notes signed by the log's key for one size and different roots (a fork the
    checkpointer was made to sign, kept under another size in the table, which the note does
    not cover): the exact pass names the one the leaves do not give (checkpoint_inconsistent).
    The sweep kept one root per size, the last, so it checked only the root the leaves give."""
    audit = world.audit
    size = audit.log.size()
    forked = Checkpoint(audit.origin, size, bytes(32)).body
    note = sign_note(forked, audit.signer).render()
    row = {"size": -1, "note": note, "created_at": datetime.now(UTC)}
    with audit.engine.begin() as connection:
        connection.execute(sa.insert(logtables.checkpoints).values(**row))
    exact = verify_store(audit, exact=True)
    assert [f.problem for f in exact.findings] == ["checkpoint_inconsistent"]
    for cores in (ALONE_IN_FOURS, Cores(workers=0)):
        assert verify_store(audit, cores=cores).as_json() == exact.as_json()


@pytest.mark.parametrize("cores", [ALONE_IN_FOURS, SPREAD], ids=["one process", "workers"])
@pytest.mark.parametrize("index", [4, 6], ids=["at a stretch's start", "inside a stretch"])
def test_a_leaf_source_that_is_not_a_number_sends_the_sweep_to_the_exact_pass(
    world: World, cores: Cores, index: int
) -> None:
    """SQLite keeps a text in an integer column. A leaf's source id is not covered by the
    signed root and the exact pass does not read it, but the sweep cuts the rows and matches
    the leaves by it: in the sweep's own process ``int()`` (planning) or ``<`` (joining) raised
    and verification failed instead of falling back to the exact pass."""
    if world.audit.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses a text in a bigint column")
    with world.audit.engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE audit_leaves SET source_id = 'x' WHERE idx = {index}")
    exact = verify_store(world.audit, exact=True)
    assert (exact.ok, exact.events) == (True, 15)
    assert verify_store(world.audit, cores=cores).as_json() == exact.as_json()


def test_an_access_leaf_sequence_stored_as_a_fraction_is_read_as_the_exact_pass_reads_it(
    world: World,
) -> None:
    """SQLite keeps 2.5 in an integer column. The exact pass reads a leaf's sequence (an access
    leaf's record id) with ``int()``; the sweep looked the record up by the stored value and
    reported an access_altered finding the exact pass does not."""
    if world.audit.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses a fraction in an integer column")
    world.audit.access.record(world.cases[0], "commune-22738", "an", "home visit planning")
    world.audit.checkpoint()
    with world.audit.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE audit_leaves SET sequence = sequence + 0.5 WHERE kind = 'access'"
        )
    _agree(world, ALONE_IN_FOURS)
