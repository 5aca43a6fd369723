"""A report as the renderers see it: translated text and cells, nothing left to compute.

A cell is a count, a measure (hours, a share), or None when it is hidden to protect small
numbers. The first row of ``Table.rows`` names the columns; a table's last row is its total
when ``has_total`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.runtime.i18n import Translator

Cell = int | float | None
HIDDEN = "x"


@dataclass(frozen=True)
class Table:
    code: str
    title: str
    definition: str
    basis: str
    unconfirmed: bool
    header: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]
    has_total: bool = True
    share_columns: tuple[int, ...] = ()  # indexes of cells that are shares (0..1)


@dataclass(frozen=True)
class Report:
    lang: str
    title: str
    period: str
    area: str
    as_of: datetime
    as_of_text: str
    events: int
    published: bool
    threshold: int
    meta: tuple[tuple[str, str], ...]
    tables: tuple[Table, ...]
    trend_title: str
    trend: tuple[tuple[str, Cell], ...]
    notes: tuple[str, ...]


def cell_text(table: Table, index: int, value: Cell, t: Translator) -> str:
    """A cell as people read it, in the translator's language (hidden cells as ``x``)."""
    if value is None:
        return HIDDEN
    if index in table.share_columns:
        return t.percent(float(value))
    return t.number(value)


def cell_plain(table: Table, index: int, value: Cell) -> str:
    """A cell for machines (CSV): digits with a dot, shares as fractions, hidden as ``x``."""
    if value is None:
        return HIDDEN
    if index in table.share_columns:
        return f"{float(value):.4f}"
    return str(value)
