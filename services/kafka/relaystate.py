"""The relay's durable state, kept in the store's own database.

``relay_positions``: the last notification id published, per relay. ``relay_participants``:
which agencies take part in which case (the inbox routing needs it). Both change in one
transaction, after the batch they describe has been acknowledged by the broker.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from services.runtime.tables import create_tables

metadata = sa.MetaData()
positions = sa.Table(
    "relay_positions",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)
participants = sa.Table(
    "relay_participants",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("agency", sa.String(100), primary_key=True),
)


class RelayState:
    def __init__(self, engine: sa.Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        create_tables(metadata, engine)

    def position(self) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(positions.c.position).where(positions.c.name == self.name)
            ).scalar()
        return int(found or 0)

    def participants_of(self, case_ids: Iterable[str]) -> dict[str, set[str]]:
        wanted = sorted(set(case_ids))
        found: dict[str, set[str]] = {case_id: set() for case_id in wanted}
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(participants.c.case_id, participants.c.agency).where(
                    participants.c.case_id.in_(wanted)
                )
            )
            for case_id, agency in rows:
                found[case_id].add(agency)
        return found

    def advance(self, position: int, joined: dict[str, set[str]]) -> None:
        """Move to ``position`` and record new participants, in one transaction."""
        with self.engine.begin() as conn:
            updated = conn.execute(
                positions.update().where(positions.c.name == self.name).values(position=position)
            ).rowcount
            if not updated:
                conn.execute(positions.insert().values(name=self.name, position=position))
            rows = [{"case_id": c, "agency": a} for c, agencies in joined.items() for a in agencies]
            if rows:
                conn.execute(participants.insert(), rows)
