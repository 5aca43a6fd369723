"""Creating a process's own tables when several processes start at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

T = TypeVar("T")

# Each lost race means another process has just created one of the tables, so a few more looks
# are enough for any of our table sets; past that, the error is a real one.
ATTEMPTS = 6

_LOST_RACE = (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError)


def despite_racing_creators(create: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run ``create`` (check-then-create DDL), looking again when another process wins a race.

    The intake, the relay and the projections start together on one database; two of them may
    both see a table missing and both issue ``CREATE``. The loser's error depends on the database
    ("already exists" on SQLite, a unique violation in ``pg_type`` on PostgreSQL); it is harmless
    because the table now exists, so the next check finds it.
    """
    for _ in range(attempts - 1):
        try:
            return create()
        except _LOST_RACE:
            continue
    return create()


def create_tables(metadata: sa.MetaData, engine: sa.Engine) -> None:
    """Create the missing tables of ``metadata``, tolerating other processes doing the same."""
    despite_racing_creators(lambda: metadata.create_all(engine, checkfirst=True))
