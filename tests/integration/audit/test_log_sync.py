"""The log's sync appends in chunks, on both stores: the same tree as appending at once, a
prefix the next sync continues after a sync stopped mid-way, and a sync overtaken by another
loses on the primary key and continues from where the log then ends."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from services.audit import merkle, store
from services.audit.service import AuditService
from services.cases.application import CaseService
from services.runtime.settings import Settings

NOW = 1_700_000_000_000
EVENTS = 17  # not a multiple of the chunk, nor a power of two


@pytest.fixture
def audit(
    make_settings: Callable[..., Settings], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AuditService]:
    monkeypatch.setattr(store, "CHUNK", 5)
    settings = make_settings(database_url=database_url)
    service = CaseService.from_settings(settings)
    audit = AuditService.from_settings(settings)
    case = str(uuid.uuid4())
    service.report(case, {"channel": "hotline"}, "hotline-111", f"{case}-0", NOW)
    for n in range(1, EVENTS):
        fields = {"needs": [f"n{n}"]}
        service.record(case, "NeedsAssessed", fields, "commune-22738", f"{case}-{n}", NOW)
    yield audit
    audit.close()
    service.close()


def stored_nodes(audit: AuditService) -> dict[tuple[int, int], bytes]:
    with audit.engine.connect() as connection:
        rows = connection.execute(sa.select(store.nodes)).all()
    return {(int(level), int(idx)): bytes(value) for level, idx, value in rows}


def expected_tree(audit: AuditService) -> merkle.MemoryTree:
    return merkle.MemoryTree(leaf.hash for leaf in audit.log.leaves())


def test_a_sync_in_chunks_stores_every_complete_subtree_of_the_whole_tree(
    audit: AuditService,
) -> None:
    assert audit.sync() == EVENTS
    tree = expected_tree(audit)
    every = {(lv, i): h for lv, level in enumerate(tree.levels) for i, h in enumerate(level)}
    assert stored_nodes(audit) == every
    assert audit.log.root(EVENTS) == tree.root()
    assert [leaf.sequence for leaf in audit.log.leaves()] == list(range(1, EVENTS + 1))


def test_a_sync_stopped_after_a_chunk_leaves_a_prefix_the_next_sync_completes(
    audit: AuditService, monkeypatch: pytest.MonkeyPatch
) -> None:
    append = store.LogStore._append
    calls = []

    def dies_on_the_second_chunk(self: store.LogStore, *args: object) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process is stopped between two transactions
        return append(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(store.LogStore, "_append", dies_on_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        audit.sync()
    assert audit.log.size() == 5
    assert audit.log.root(5) == merkle.MemoryTree(leaf.hash for leaf in audit.log.leaves()).root()
    monkeypatch.setattr(store.LogStore, "_append", append)
    assert audit.sync() == EVENTS
    assert audit.log.root(EVENTS) == expected_tree(audit).root()
    assert [leaf.sequence for leaf in audit.log.leaves()] == list(range(1, EVENTS + 1))


def test_a_sync_that_another_overtook_loses_on_the_key_and_continues_after_it(
    audit: AuditService, monkeypatch: pytest.MonkeyPatch
) -> None:
    append = store.LogStore._append
    other = store.LogStore(audit.engine)
    calls = []

    def overtaken_on_its_second_chunk(self: store.LogStore, *args: object) -> int:
        calls.append(1)
        if len(calls) == 2:  # another process appends the next chunks first
            monkeypatch.setattr(store.LogStore, "_append", append)
            assert other.sync(audit.access.leaves_after) == EVENTS
        return append(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(store.LogStore, "_append", overtaken_on_its_second_chunk)
    assert audit.sync() == EVENTS
    assert len(calls) == 2  # the overtaken chunk was refused, and nothing was left to add
    assert [leaf.sequence for leaf in audit.log.leaves()] == list(range(1, EVENTS + 1))
    tree = expected_tree(audit)
    every = {(lv, i): h for lv, level in enumerate(tree.levels) for i, h in enumerate(level)}
    assert stored_nodes(audit) == every
