"""Small-cell suppression for published tables, with secondary suppression.

A table is a grid of counts whose last row and last column are totals. A count above zero and
below the threshold is hidden (primary). Then every line (a row with its total, a column with
its total) that hides exactly one entry hides one more, its smallest shown entry (a positive one
first), so that no hidden count can be worked out by subtracting the shown ones from a total;
this repeats until no line hides exactly one. Zeros are shown: a zero reveals nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Grid = Sequence[Sequence[int]]


def suppressed(
    grid: Grid, threshold: int, forced: Iterable[tuple[int, int]] = ()
) -> list[list[bool]]:
    """Which entries of ``grid`` (totals in its last row and column) to hide; ``forced``
    entries (row, column) are hidden whatever their value (hidden in another table)."""
    rows, cols = len(grid), len(grid[0]) if grid else 0
    hidden = [[0 < grid[r][c] < threshold for c in range(cols)] for r in range(rows)]
    for r, c in forced:
        hidden[r][c] = True
    lines = [[(r, c) for c in range(cols)] for r in range(rows)]
    lines += [[(r, c) for r in range(rows)] for c in range(cols)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(hidden[r][c] for r, c in line) != 1:
                continue
            shown = [(r, c) for r, c in line if not hidden[r][c]]
            if not shown:
                continue
            r, c = min(shown, key=lambda rc: (grid[rc[0]][rc[1]] == 0, grid[rc[0]][rc[1]], rc))
            hidden[r][c] = True
            changed = True
    return hidden


def suppressed_series(values: Sequence[int], total: int, threshold: int) -> list[bool]:
    """Hidden entries of a series whose sum is published (the last flag is the total's)."""
    return suppressed([[*values, total]], threshold)[0]
