"""Columns the read-model tables share: instants, and the area codes of a case.

Instants are epoch milliseconds (BIGINT) on SQLite and PostgreSQL alike, so comparisons and
indexes behave the same on both; a case's area is its three unit codes, "" where it has none.
"""

from __future__ import annotations

import sqlalchemy as sa

from projections.casefile import AREA_FIELDS

MILLIS = sa.BigInteger


def area_columns() -> list[sa.Column[str]]:
    """New columns for a case's province, district and commune codes."""
    return [sa.Column(name, sa.String(16), nullable=False, default="") for name in AREA_FIELDS]
