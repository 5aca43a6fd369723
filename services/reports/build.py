"""From the read model's figures to a translated report, suppressed when it is published.

Tables by area take the areas as rows (districts, or the province for cases after districts were
abolished; communes when the report is narrowed to one area) and the categories as columns,
with totals. A published report (``published``) hides small counts and what would reveal them
(``suppress.py``); an internal one shows every count. No table holds anything about a person:
only counts, shares and hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from projections.statistics.catalogue import Catalogue, Indicator
from projections.statistics.figures import Figures
from services.reports.model import Cell, Report, Table
from services.reports.suppress import suppressed, suppressed_series
from services.runtime.i18n import Translator

NOT_GIVEN = "(not given)"


@dataclass(frozen=True)
class Names:
    """People's names of areas, agencies and rules (codes stay codes when unnamed)."""

    areas: dict[str, str]
    agencies: dict[str, str]


def build_report(
    figures: Figures,
    catalogue: Catalogue,
    names: Names,
    t: Translator,
    *,
    published: bool,
    threshold: int,
) -> Report:
    """The report of ``figures`` in ``t``'s language."""
    shape = _Shape(figures, catalogue, names, t, threshold if published else 0)
    # The tables by area share their row totals: a total hidden in one is hidden in all, so
    # that no table shows what another hid (repeat until no table hides a new total).
    for _ in range(len(figures.cases_by_area) + 2):
        by_area = shape.area_tables()
        hidden = {r for table in by_area for r in _hidden_totals(table, t)}
        if hidden <= shape.forced:
            break
        shape = replace(shape, forced=shape.forced | frozenset(hidden))
    tables = (
        *by_area,
        shape.deadlines(catalogue["RB-DEADLINES"]),
        shape.step_times(catalogue["RB-STEPTIME"]),
        shape.stalled(catalogue["RB-STALLED"]),
    )
    months = [n for _, n in figures.months]
    hide = suppressed_series(months, sum(months), shape.threshold) if published else []
    trend = tuple(
        (label, None if hide and hide[i] else n) for i, (label, n) in enumerate(figures.months)
    )
    area = names.areas.get(figures.area or "", figures.area or t.gettext("Whole province"))
    meta = (
        (
            t.gettext("Period"),
            f"{figures.period.label} ({t.date(figures.period.first)} - "
            f"{t.date(figures.period.last)})",
        ),
        (t.gettext("Area"), area),
        (t.gettext("Data as of"), t.datetime(figures.as_of, seconds=True)),
        (t.gettext("Case-events on record"), t.number(figures.events)),
    )
    notes = [t.gettext("Cases are counted in the period in which they were reported.")]
    if published:
        notes.append(
            t.gettext(
                "x: hidden to protect small numbers (fewer than {threshold}), or hidden so that "
                "totals do not reveal a hidden number."
            ).format(threshold=threshold)
        )
    notes.append(t.gettext("Figures marked (unconfirmed) rest on a definition not yet checked."))
    return Report(
        lang=t.lang,
        title=t.gettext("Child protection report"),
        period=figures.period.label,
        area=area,
        as_of=figures.as_of,
        as_of_text=t.datetime(figures.as_of, seconds=True),
        events=figures.events,
        published=published,
        threshold=threshold,
        meta=meta,
        tables=tables,
        trend_title=t.gettext("Cases reported per month"),
        trend=trend,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class _Shape:
    figures: Figures
    catalogue: Catalogue
    names: Names
    t: Translator
    threshold: int  # 0: show everything
    forced: frozenset[int] = frozenset()  # rows of the area tables whose total must be hidden

    def area_tables(self) -> tuple[Table, ...]:
        """The tables whose rows are the areas, with the cases by area as their totals."""
        c, t = self.catalogue, self.t
        return (
            self.by_area(c["0101"], "child_sex", t.gettext("Abused children by sex")),
            self.by_area(c["0101"], "child_age_group", t.gettext("Abused children by age group")),
            self.by_area(c["0101"], "setting", t.gettext("Abused children by setting")),
            self.by_area(c["RB-FORM"], "form", None),
            self.by_area(c["RB-CHANNEL"], "channel", t.gettext("Cases by reporting channel")),
            self.by_area(c["RB-CHANNEL"], "agency", t.gettext("Cases by receiving agency")),
            self.in_time(c["RB-INTIME"]),
        )

    def by_area(self, ind: Indicator, dimension: str, title: str | None) -> Table:
        counts = self.figures.by[dimension]
        areas = self._areas()
        values = self._ordered({v for _, v in counts})
        grid = [[counts.get((a, v), 0) for v in values] for a in areas]
        totals = [self.figures.cases_by_area.get(a, 0) for a in areas]
        header = [self._category(dimension, v) for v in values] + [self.t.gettext("Total")]
        return self._counts(ind, title, grid, totals, header)

    def in_time(self, ind: Indicator) -> Table:
        areas = self._areas()
        late = [self.figures.late_cases_by_area.get(a, 0) for a in areas]
        totals = [self.figures.cases_by_area.get(a, 0) for a in areas]
        grid = [[n - k, k] for n, k in zip(totals, late, strict=True)]
        header = [self.t.gettext("Supported in time"), self.t.gettext("Late or overdue")]
        table = self._counts(ind, None, grid, totals, [*header, self.t.gettext("Total")])
        return _with_share(table, self.t.gettext("Share in time"))

    def deadlines(self, ind: Indicator) -> Table:
        rules = list(self.figures.deadlines)
        d = self.figures.deadlines
        grid = [[d[r].on_time, d[r].late, d[r].overdue, d[r].pending] for r in rules]
        header = [
            self.t.gettext("Met on time"),
            self.t.gettext("Met late"),
            self.t.gettext("Still overdue"),
            self.t.gettext("Not yet due"),
            self.t.gettext("Total"),
        ]
        labels = [self.t.gettext(self.catalogue.label(r)) for r in rules]
        table = self._counts(
            ind, None, grid, [sum(g) for g in grid], header, labels, "Deadline rule"
        )
        return _with_share(table, self.t.gettext("Share met on time"), fell_due=3)

    def step_times(self, ind: Indicator) -> Table:
        rows: list[tuple[str, tuple[Cell, ...]]] = []
        for step in self.catalogue.steps:
            reached, mid, p90 = self.figures.step_summary(step)
            shown: tuple[Cell, ...] = (reached, mid, p90)
            if 0 < reached < self.threshold:
                shown = (None, None, None)
            rows.append((self.t.gettext(self.catalogue.label(step)), shown))
        header = (
            self.t.gettext("Step"),
            self.t.gettext("Cases"),
            self.t.gettext("Median hours"),
            self.t.gettext("90th percentile hours"),
        )
        return _table(ind, self.t, None, header, tuple(rows), has_total=False)

    def stalled(self, ind: Indicator) -> Table:
        found = self.figures.stalled
        agencies = sorted({a for a, _ in found})
        grid = [[found.get((a, 1), 0), found.get((a, 2), 0)] for a in agencies]
        header = [self.t.gettext("Overdue"), self.t.gettext("Escalated"), self.t.gettext("Total")]
        labels = [
            self.names.agencies.get(a) or self.t.gettext(self.catalogue.label(a)) for a in agencies
        ]
        return self._counts(
            ind, None, grid, [sum(g) for g in grid], header, labels, "Responsible agency"
        )

    def _counts(
        self,
        ind: Indicator,
        title: str | None,
        grid: list[list[int]],
        totals: list[int],
        header: Sequence[str],
        labels: Sequence[str] | None = None,
        row_header: str = "Area",
    ) -> Table:
        width = len(header) - 1
        full = [[*row, total] for row, total in zip(grid, totals, strict=True)]
        full.append([sum(row[c] for row in grid) for c in range(width)] + [sum(totals)])
        forced = {(r, width) for r in self.forced} if labels is None else set()
        mask = suppressed(full, self.threshold, forced) if self.threshold else None
        names = [*(labels if labels is not None else self._area_names()), self.t.gettext("Total")]
        rows = tuple(
            (name, tuple(None if mask and mask[r][c] else v for c, v in enumerate(full[r])))
            for r, name in enumerate(names)
        )
        return _table(ind, self.t, title, (self.t.gettext(row_header), *header), rows)

    def _areas(self) -> list[str]:
        return sorted(self.figures.cases_by_area)

    def _area_names(self) -> list[str]:
        return [self.names.areas.get(a, a) or self.t.gettext(NOT_GIVEN) for a in self._areas()]

    def _ordered(self, values: Iterable[str]) -> list[str]:
        order = {code: i for i, code in enumerate(self.catalogue.labels)}
        return sorted(values, key=lambda v: (order.get(v, len(order)), v))

    def _category(self, dimension: str, value: str) -> str:
        if dimension == "agency":
            return self.names.agencies.get(value, value)
        return self.t.gettext(self.catalogue.label(value)) if value else self.t.gettext(NOT_GIVEN)


def _table(
    ind: Indicator,
    t: Translator,
    title: str | None,
    header: tuple[str, ...],
    rows: tuple[tuple[str, tuple[Cell, ...]], ...],
    has_total: bool = True,
) -> Table:
    basis = ind.source
    return Table(
        code=ind.code,
        title=title or ind.name(t.lang),
        definition=ind.definition(t.lang),
        basis=basis,
        unconfirmed=ind.unconfirmed,
        header=header,
        rows=rows,
        has_total=has_total,
    )


def _hidden_totals(table: Table, t: Translator) -> set[int]:
    column = table.header.index(t.gettext("Total")) - 1
    return {r for r, (_, cells) in enumerate(table.rows) if cells[column] is None}


def _with_share(table: Table, name: str, fell_due: int = 2) -> Table:
    """Add the share of the first column among the first ``fell_due`` columns."""
    rows = []
    for label, cells in table.rows:
        part = cells[:fell_due]
        share: Cell = None
        if all(c is not None for c in part) and sum(part) > 0:  # type: ignore[arg-type]
            share = round(float(cells[0]) / sum(part), 4)  # type: ignore[arg-type]
        rows.append((label, (*cells, share)))
    index = len(table.header) - 1
    return Table(
        table.code,
        table.title,
        table.definition,
        table.basis,
        table.unconfirmed,
        (*table.header, name),
        tuple(rows),
        table.has_total,
        (index,),
    )
