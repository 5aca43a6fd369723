"""Creating a process's own tables when several processes start at once."""

from __future__ import annotations

import sqlalchemy as sa


def create_tables(metadata: sa.MetaData, engine: sa.Engine) -> None:
    """Create the missing tables of ``metadata``.

    The intake, the relay and the projections start together on one database; two of them may
    both see a table missing and race to create it. The loser's error is harmless: look again.
    """
    try:
        metadata.create_all(engine, checkfirst=True)
    except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
        metadata.create_all(engine, checkfirst=True)
