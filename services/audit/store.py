"""The Merkle log in the event store's database: leaves, complete subtrees, checkpoints.

``audit_leaves`` lists every log entry in log order (a recorded case event, fed from the event
store in notification order, or an access-log record), ``audit_nodes`` keeps the hash of every
complete subtree so roots and proofs cost O(log n) look-ups, ``audit_checkpoints`` keeps each
signed checkpoint (inserted once, never updated) and ``audit_cosignatures`` the witnesses'
cosignatures. ``sync`` appends what the store recorded since the last entry, a chunk per
transaction; a concurrent ``sync`` loses on the primary key and tries again from where the log
then ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

import sqlalchemy as sa

from services.audit import merkle
from services.audit.rows import scan
from services.runtime.tables import create_tables, insert_once

EVENT = "event"
ACCESS = "access"
ATTEMPTS = 10
CHUNK = 20_000
"""Entries per transaction of a sync: a chunk's rows are what a sync holds in memory."""
T = TypeVar("T")
AccessFeed = Callable[[int], Iterable[tuple[int, str, str]]]

metadata = sa.MetaData()
leaves = sa.Table(
    "audit_leaves",
    metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("source_id", sa.BigInteger, nullable=False),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
)
nodes = sa.Table(
    "audit_nodes",
    metadata,
    sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
)
checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
cosignatures = sa.Table(
    "audit_cosignatures",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("witness", sa.String(200), primary_key=True),
    sa.Column("note", sa.Text, nullable=False),
)


@dataclass(slots=True)
class Leaf:
    """One log entry; for an access record ``sequence`` is the record's id."""

    index: int
    kind: str
    case_id: str
    sequence: int
    entry_hash: str

    @property
    def hash(self) -> bytes:
        return merkle.leaf_hash(bytes.fromhex(self.entry_hash))


class LogStore:
    """Read and append the log; ``access_entries`` feeds access-log records into it."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        create_tables(metadata, engine)

    def size(self) -> int:
        with self.engine.connect() as connection:
            found = connection.execute(sa.select(sa.func.max(leaves.c.idx))).scalar()
        return 0 if found is None else int(found) + 1

    def sync(self, access: AccessFeed | None = None) -> int:
        """Append the events recorded since the last entry, then the access records
        ``access(last id)`` gives as (id, case id, hash); returns the new size."""
        for _ in range(ATTEMPTS - 1):
            try:
                return self._sync_once(access)
            except sa.exc.IntegrityError:
                continue
        return self._sync_once(access)

    def _sync_once(self, access: AccessFeed | None) -> int:
        """Append in chunks of ``CHUNK`` entries, one transaction each, carrying only the
        right edge of the tree (one subtree per level) from chunk to chunk: memory stays flat
        however much the store holds, and a sync stopped mid-way leaves a log the next one
        continues (every committed chunk is a whole prefix: leaves with their subtrees)."""
        size = self.size()
        last_event, last_access = self._last_sources()
        keys = merkle.edge(size)
        found = self._fetch(set(keys)) if keys else {}
        edge = {level: found[(level, i)] for level, i in keys}
        entries = self._entries(last_event, last_access, access)
        while chunk := list(islice(entries, CHUNK)):
            size = self._append(size, chunk, edge)
        return size

    def _entries(
        self, last_event: int, last_access: int, access: AccessFeed | None
    ) -> Iterator[tuple[str, int, str, int, str]]:
        """(kind, source id, case id, sequence, hash) of what the log lacks, events first."""
        for row in scan(self.engine, after=last_event):
            digest = "" if row.event is None else row.event.hash
            yield EVENT, row.notification_id, row.case_id, row.sequence, digest
        if access is not None:
            yield from ((ACCESS, s, c, s, h) for s, c, h in access(last_access) if s > last_access)

    def _append(
        self, size: int, chunk: list[tuple[str, int, str, int, str]], edge: dict[int, bytes]
    ) -> int:
        """Write ``chunk`` from index ``size`` in one transaction; ``edge`` (the complete
        subtree of each level along the right edge) is consumed and grown as leaves join."""
        leaf_rows: list[tuple[Any, ...]] = []
        node_rows: list[tuple[int, int, bytes]] = []
        for index, (kind, source, case_id, sequence, digest) in enumerate(chunk, size):
            entry = _hex32(digest)
            leaf_rows.append((index, kind, source, case_id, sequence, entry))
            leaf = merkle.leaf_hash(bytes.fromhex(entry))
            # The left siblings new_nodes reads are exactly the edge's subtrees it merges.
            made = merkle.new_nodes(index, leaf, lambda level, _: edge.pop(level))
            top, _, edge[top] = made[-1]
            node_rows += made
        with self.engine.begin() as connection:
            _insert_all(connection, leaves, leaf_rows)
            _insert_all(connection, nodes, node_rows)
        return size + len(chunk)

    def _last_sources(self) -> tuple[int, int]:
        """The last event's notification id and the last access record's id in the log
        (both grow with the index: read backwards along the primary key, not a full scan)."""

        def last(kind: str) -> int:
            query = (
                sa.select(leaves.c.source_id)
                .where(leaves.c.kind == kind)
                .order_by(leaves.c.idx.desc())
                .limit(1)
            )
            with self.engine.connect() as connection:
                found = connection.execute(query).scalar()
            return 0 if found is None else int(found)

        return last(EVENT), last(ACCESS)

    def _fetch(self, keys: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        levels = sorted({level for level, _ in keys})
        wanted = sa.or_(
            *(
                sa.and_(nodes.c.level == lv, nodes.c.idx.in_([i for v, i in keys if v == lv]))
                for lv in levels
            )
        )
        query = sa.select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(wanted)
        with self.engine.connect() as connection:
            found = {(int(lv), int(i)): bytes(h) for lv, i, h in connection.execute(query)}
        missing = keys - found.keys()
        if missing:
            raise merkle.ProofError(f"the log lacks subtrees {sorted(missing)[:3]}")
        return found

    def root(self, size: int) -> bytes:
        return self._with_nodes(lambda read: merkle.root(read, size))

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self._with_nodes(lambda read: merkle.inclusion_proof(read, index, size))

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self._with_nodes(lambda read: merkle.consistency_proof(read, first, second))

    def _with_nodes(self, compute: Callable[[merkle.NodeReader], T]) -> T:
        """Run ``compute`` twice: once to learn which subtrees it needs, once with them
        fetched in one query per level."""
        wanted: set[tuple[int, int]] = set()

        def note(level: int, index: int) -> bytes:
            wanted.add((level, index))
            return bytes(32)

        compute(note)
        found = self._fetch(wanted) if wanted else {}
        return compute(lambda level, index: found[(level, index)])

    def leaves(self, start: int = 0, end: int | None = None) -> list[Leaf]:
        query = sa.select(leaves).where(leaves.c.idx >= start).order_by(leaves.c.idx)
        if end is not None:
            query = query.where(leaves.c.idx < end)
        with self.engine.connect() as connection:
            # Unpacked as tuples: a Row's attribute look-up costs more than the rest together.
            # One string per case and per kind, not per leaf (a million leaves are read at once).
            names: dict[str, str] = {}
            return [
                Leaf(
                    int(idx),
                    names.setdefault(kind, kind),
                    names.setdefault(case_id, case_id),
                    int(sequence),
                    entry_hash,
                )
                for idx, kind, _, case_id, sequence, entry_hash in connection.execute(query)
            ]

    def add_checkpoint(self, size: int, note: str) -> bool:
        """Store a signed checkpoint once; False when one of that size is already stored."""
        row = {"size": size, "note": note, "created_at": datetime.now(UTC)}
        return insert_once(self.engine, checkpoints, row)

    def latest_checkpoint(self) -> str | None:
        """The largest checkpoint's note (read alone: witnesses ask every few seconds, and
        the stored notes only grow)."""
        query = sa.select(checkpoints.c.note).order_by(checkpoints.c.size.desc()).limit(1)
        with self.engine.connect() as connection:
            note = connection.execute(query).scalar()
        return None if note is None else str(note)

    def checkpoints(self) -> list[str]:
        query = sa.select(checkpoints.c.note).order_by(checkpoints.c.size)
        with self.engine.connect() as connection:
            return [str(note) for note in connection.execute(query).scalars()]

    def add_cosignature(self, size: int, witness: str, note: str) -> None:
        insert_once(self.engine, cosignatures, {"size": size, "witness": witness, "note": note})

    def cosigned(self, size: int) -> list[str]:
        query = sa.select(cosignatures.c.note).where(cosignatures.c.size == size)
        with self.engine.connect() as connection:
            return [str(note) for note in connection.execute(query).scalars()]


def _insert_all(connection: sa.Connection, table: sa.Table, rows: Sequence[Any]) -> None:
    """One executemany of ``rows`` (tuples in the table's column order), sent to the driver
    as they are: SQLAlchemy's per-row parameter processing cost more than the database's work
    (two fifths of a sync, profiled); the log's columns are integers, text and bytes, which
    both drivers take as they are. A taken key still raises ``sa.exc.IntegrityError``."""
    mark = "%s" if connection.dialect.paramstyle in ("format", "pyformat") else "?"
    names = ", ".join(column.name for column in table.columns)
    marks = ", ".join(mark for _ in table.columns)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def _hex32(digest: str) -> str:
    """A stored hash as 64 hex digits; anything else (an unreadable row) as zeros."""
    try:
        return bytes.fromhex(digest).hex() if len(digest) == 64 else "0" * 64
    except ValueError:
        return "0" * 64
