"""Small-cell suppression: small counts hidden, and no hidden count recoverable from a total."""

from __future__ import annotations

from services.reports.suppress import suppressed, suppressed_series


def lines_hiding_exactly_one(mask: list[list[bool]]) -> list[str]:
    rows = [f"row {r}" for r, line in enumerate(mask) if sum(line) == 1]
    cols = [f"col {c}" for c in range(len(mask[0])) if sum(row[c] for row in mask) == 1]
    return rows + cols


def test_small_counts_are_hidden_and_large_ones_and_zeros_shown() -> None:
    grid = [[3, 10, 0, 13], [8, 12, 6, 26], [11, 22, 6, 39]]
    mask = suppressed(grid, 5)
    assert mask[0][0]  # 3 < 5
    assert not mask[0][2]  # a zero reveals nobody
    assert not mask[1][2]  # 6 is not small, and no line needs it hidden


def test_a_row_with_one_hidden_count_hides_another_so_the_total_does_not_give_it_away() -> None:
    # Row 0: 3 hidden; without more, 13 - 10 - 0 = 3. Column 0: 3 hidden; 11 - 8 = 3.
    grid = [[3, 10, 0, 13], [8, 12, 6, 26], [11, 22, 6, 39]]
    mask = suppressed(grid, 5)
    assert lines_hiding_exactly_one(mask) == []
    assert sum(map(sum, mask)) >= 4  # at least a rectangle of four


def test_the_smallest_shown_count_is_the_one_hidden_second() -> None:
    grid = [[2, 9, 30, 41], [20, 25, 30, 75], [22, 34, 60, 116]]
    mask = suppressed(grid, 5)
    assert mask[0][0] and mask[0][1]  # 9 is the row's smallest other count
    assert not mask[0][2]


def test_a_table_without_small_counts_is_left_whole() -> None:
    grid = [[5, 6, 11], [7, 8, 15], [12, 14, 26]]
    assert not any(map(any, suppressed(grid, 5)))


def test_a_single_small_month_hides_a_second_one() -> None:
    assert suppressed_series([10, 2, 7, 0], 19, 5) == [False, True, True, False, False]
