"""A published report hides a total in every table by area once any of them hides it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from projections.statistics.catalogue import load_catalogue
from projections.statistics.figures import DIMENSIONS, Figures
from projections.statistics.period import parse_period
from services.reports.build import Names, build_report
from services.runtime.i18n import translator

T = translator("en", "Asia/Ho_Chi_Minh")


def figures() -> Figures:
    """Areas A, B, C with 3, 7 and 9 cases; one category each, but by sex in B: 5 girls, 2 boys."""
    f = Figures(parse_period("2026"), datetime(2027, 1, 1, tzinfo=UTC), None)
    f.cases_by_area = Counter({"A": 3, "B": 7, "C": 9})
    one_kind = Counter({("A", "x"): 3, ("B", "x"): 7, ("C", "x"): 9})
    f.by = {name: one_kind for name in (*DIMENSIONS, "form")}
    f.by["child_sex"] = Counter({("A", "female"): 3, ("B", "female"): 5, ("B", "male"): 2,
                                 ("C", "female"): 9})  # fmt: skip
    f.months = [("2026-01", 19)]
    return f


def totals(report_tables: tuple, rows: int = 4) -> list[list[object]]:  # type: ignore[type-arg]
    found = []
    for table in report_tables:
        column = table.header.index("Total") - 1
        found.append([table.rows[r][1][column] for r in range(rows)])
    return found


def test_a_total_hidden_by_one_table_is_hidden_by_every_table_by_area() -> None:
    report = build_report(
        figures(), load_catalogue(), Names({}, {}), T, published=True, threshold=5
    )
    by_area = report.tables[:7]
    # A's 3 is small. The totals column 3 + 7 + 9 = 19 would give it away, so B's 7 is hidden
    # too, in every table by area, and the grand total stays.
    assert all(row == [None, None, 9, 19] for row in totals(by_area))
    # By sex, B's 2 boys are small; B's hidden total already protects them, so its 5 girls show.
    assert report.tables[0].rows[1][1] == (5, None, None)


def test_a_forced_entry_is_hidden_and_protected_like_a_small_one() -> None:
    from services.reports.suppress import suppressed

    mask = suppressed([[7, 8, 15], [9, 9, 18], [16, 17, 33]], 5, forced=[(0, 2)])
    assert mask[0][2]
    assert sum(mask[0]) >= 2 and sum(row[2] for row in mask) >= 2


def test_an_internal_report_shows_every_count() -> None:
    report = build_report(
        figures(), load_catalogue(), Names({}, {}), T, published=False, threshold=5
    )
    assert report.tables[0].rows[1][1] == (5, 2, 7)
