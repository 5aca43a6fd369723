"""What the API remembers in the store's database: submissions it took, rejections it saw.

``api_submissions`` maps an agency's submission id to its case (the store is indexed by case),
so the status of a submission can be looked up; ``api_rejections`` holds the rejections read
from every agency's rejection topic, whoever submitted (HTTP or Kafka). Both are written
idempotently: a replayed message or a second API process writes the same row again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from services.runtime.tables import create_tables, insert_once

metadata = sa.MetaData()
submissions = sa.Table(
    "api_submissions",
    metadata,
    sa.Column("agency", sa.String(100), primary_key=True),
    sa.Column("submission_id", sa.String(100), primary_key=True),
    sa.Column("case_id", sa.String(100), nullable=False),
    sa.Column("step", sa.String(100), nullable=False),
    sa.Column("received_at", sa.BigInteger, nullable=False),
)
rejections = sa.Table(
    "api_rejections",
    metadata,
    sa.Column("agency", sa.String(100), primary_key=True),
    sa.Column("submission_id", sa.String(100), primary_key=True),
    sa.Column("reason", sa.String(100), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("rejected_at", sa.BigInteger, nullable=False),
)


@dataclass(frozen=True)
class Taken:
    """A submission the API published."""

    case_id: str
    step: str
    received_at: int


@dataclass(frozen=True)
class Rejected:
    reason: str
    detail: str
    rejected_at: int


class Ledger:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        create_tables(metadata, engine)

    def taken(self, agency: str, submission_id: str) -> Taken | None:
        row = self._row(submissions, agency, submission_id)
        return Taken(row.case_id, row.step, row.received_at) if row else None

    def _row(self, table: sa.Table, agency: str, submission_id: str) -> sa.Row[Any] | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(table).where(
                    table.c.agency == agency, table.c.submission_id == submission_id
                )
            ).first()

    def take(self, agency: str, submission_id: str, taken: Taken) -> bool:
        """Remember a submission; False when the id was taken before (a replay)."""
        values = {"agency": agency, "submission_id": submission_id} | vars(taken)
        return insert_once(self.engine, submissions, values)

    def forget(self, agency: str, submission_id: str) -> None:
        """Drop a submission that could not be published, so it may be sent again."""
        with self.engine.begin() as conn:
            conn.execute(
                submissions.delete().where(
                    submissions.c.agency == agency, submissions.c.submission_id == submission_id
                )
            )

    def rejected(self, agency: str, submission_id: str) -> Rejected | None:
        row = self._row(rejections, agency, submission_id)
        return Rejected(row.reason, row.detail, row.rejected_at) if row else None

    def reject(self, agency: str, submission_id: str, rejected: Rejected) -> None:
        """Remember a rejection (the first one of a submission id wins)."""
        if self.rejected(agency, submission_id) is not None:
            return
        values = {"agency": agency, "submission_id": submission_id} | vars(rejected)
        insert_once(self.engine, rejections, values)  # False: another API process wrote it first
