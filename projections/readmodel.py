"""The read models' tables (SQLAlchemy Core), on the store's database by default.

One ``ReadModel`` is a full set of tables under a name prefix: the live one has none, a rebuild
writes beside it under ``rebuild_``. Instants are epoch milliseconds (BIGINT) on both SQLite and
PostgreSQL, so comparisons and indexes behave the same on both.

- ``stalled_cases``: per case, the last sequence applied, the engine's context, its area codes,
  open or closed, and what was last reported (stalled, level, how many times it stalled).
- ``stalled_obligations``: one row per obligation. Two partial indexes keep the hot questions
  proportional to their answers: open obligations by due time ("overdue now" is a range scan
  over open rows only) and obligations by their next level change (the timer's work list).
- ``timeline_steps``: the ordered steps of each case, who and when, no personal data.
- ``projection_positions``: the next Kafka offset per partition, written with the changes.
- ``projection_outbox``: alerts and rejections to publish, marked once the broker acked them.
- ``stats_cases``, ``stats_case_forms``: what periodic reports count (``projections/statistics``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from deploy.postgres.roles import grant_read
from projections.columns import MILLIS, area_columns
from projections.statistics.tables import case_table, form_table
from services.runtime.tables import create_tables, despite_racing_creators

REBUILD_PREFIX = "rebuild_"


@dataclass
class ReadModel:
    """All read-model tables under ``prefix``."""

    prefix: str = ""
    metadata: sa.MetaData = field(default_factory=sa.MetaData)

    def __post_init__(self) -> None:
        self.cases = _cases(self.metadata, self.prefix)
        self.obligations = _obligations(self.metadata, self.prefix)
        self.timeline = _timeline(self.metadata, self.prefix)
        self.positions = _positions(self.metadata, self.prefix)
        self.outbox = _outbox(self.metadata, self.prefix)
        self.stats_cases = case_table(self.metadata, self.prefix)
        self.stats_forms = form_table(self.metadata, self.prefix)

    def create(self, engine: sa.Engine) -> ReadModel:
        """Create the tables that do not exist yet (another process may be creating them too)
        and let the read-only role (dashboard, reports) read the read models, nothing else."""
        create_tables(self.metadata, engine)
        despite_racing_creators(lambda: grant_read(engine, self.readable_tables))
        return self

    @property
    def readable_tables(self) -> tuple[sa.Table, ...]:
        """What the read-only role may ``SELECT``: the read models, not positions or outbox."""
        return (self.cases, self.obligations, self.timeline, self.stats_cases, self.stats_forms)

    def drop(self, engine: sa.Engine) -> None:
        """Drop every table of this model."""
        self.metadata.drop_all(engine)

    @property
    def state_tables(self) -> tuple[sa.Table, ...]:
        """The tables a rebuild reproduces (the outbox belongs to the live process only)."""
        return (
            self.cases,
            self.obligations,
            self.timeline,
            self.positions,
            self.stats_cases,
            self.stats_forms,
        )


def _cases(metadata: sa.MetaData, prefix: str) -> sa.Table:
    return sa.Table(
        f"{prefix}stalled_cases",
        metadata,
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("last_sequence", sa.Integer, nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        *area_columns(),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.Column("stalled", sa.Boolean, nullable=False, default=False),
        sa.Column("level", sa.SmallInteger, nullable=False, default=0),
        sa.Column("stall_count", sa.Integer, nullable=False, default=0),
    )


def _obligations(metadata: sa.MetaData, prefix: str) -> sa.Table:
    table = sa.Table(
        f"{prefix}stalled_obligations",
        metadata,
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("rule_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("opened_seq", sa.Integer, primary_key=True),
        sa.Column("opened_at", MILLIS, nullable=False),
        sa.Column("due_at", MILLIS, nullable=False),
        sa.Column("earliest_due_at", MILLIS, nullable=False),
        sa.Column("max_due_at", MILLIS),
        sa.Column("closed_at", MILLIS),
        sa.Column("closed_by", sa.String(64)),
        sa.Column("responsible_role", sa.String(64), nullable=False),
        sa.Column("responsible_agency", sa.String(100)),
        sa.Column("citation", sa.Text, nullable=False),
        sa.Column("due_history", sa.Text, nullable=False),
        sa.Column("met_late", sa.Boolean, nullable=False),
        sa.Column("extended", sa.Integer, nullable=False),
        sa.Column("extension_refused", sa.Boolean, nullable=False),
        sa.Column("reported_level", sa.SmallInteger, nullable=False, default=0),
        sa.Column("wake_at", MILLIS),
        # When the opening and the closing steps were recorded (what "as of" sees); NULL in rows
        # of a read model made before they were kept: then the business times stand in.
        sa.Column("known_at", MILLIS),
        sa.Column("closed_known_at", MILLIS),
        sa.Column("counted_from", MILLIS),  # start of a start_event rule's count (NULL: opened_at)
        # False: the due time rests on an unconfirmed figure or an unannounced holiday (NULL in
        # rows made before the flag was kept: shown as confirmed until the read model is rebuilt).
        sa.Column("confirmed", sa.Boolean),
        sa.Column("extension_refusal", sa.String(32)),  # why an extension was refused (or NULL)
    )
    open_only = table.c.closed_at.is_(None)
    waking = table.c.wake_at.isnot(None)
    sa.Index(
        f"ix_{prefix}open_due", table.c.due_at, sqlite_where=open_only, postgresql_where=open_only
    )
    sa.Index(f"ix_{prefix}wake", table.c.wake_at, sqlite_where=waking, postgresql_where=waking)
    sa.Index(f"ix_{prefix}asof_due", table.c.earliest_due_at)
    return table


def _timeline(metadata: sa.MetaData, prefix: str) -> sa.Table:
    return sa.Table(
        f"{prefix}timeline_steps",
        metadata,
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(100), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("occurred_at", MILLIS, nullable=False),
        sa.Column("recorded_at", MILLIS, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
    )


def _positions(metadata: sa.MetaData, prefix: str) -> sa.Table:
    return sa.Table(
        f"{prefix}projection_positions",
        metadata,
        sa.Column("topic", sa.String(255), primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
    )


def _outbox(metadata: sa.MetaData, prefix: str) -> sa.Table:
    table = sa.Table(
        f"{prefix}projection_outbox",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.LargeBinary, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("created_at", MILLIS, nullable=False),
        sa.Column("published_at", MILLIS),
    )
    unsent = table.c.published_at.is_(None)
    sa.Index(f"ix_{prefix}outbox_unsent", table.c.id, sqlite_where=unsent, postgresql_where=unsent)
    return table
