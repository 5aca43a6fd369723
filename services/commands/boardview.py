"""How the stalled board and a case look to a person, and their JSON for scripts.

Human output: the person's language and the province's clock (a :class:`Translator`), agencies
and areas by code *and* name, the agency that must act resolved on the day. Tables fit an
80-column terminal by wrapping text; a case id and an agency id are never cut (they must paste
into ``backbone case`` and the agency commands). JSON: codes as they are plus the resolved
agency and the names, instants in ISO 8601 with their offset.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from projections.labels import level_label, role_label, rule_title
from projections.queries import CaseTimeline, StalledCase
from projections.responsible import Responsibility
from projections.stalled import ObligationStatus
from services.runtime.i18n import Translator

TIME_WIDTH = len("10/03/2026 00:00")
AGENCY_WIDTH = len("(peoples-committee-ninh-thuan)")  # the longest agency id, in brackets
DUE_WIDTH = len("Chậm 100 ngày 23 giờ")  # the longest "late by" in either language


def stalled_table(
    found: list[StalledCase],
    at: datetime,
    t: Translator,
    names: Responsibility,
    limit: int | None = None,
) -> Group:
    """The board: each stalled case's heading (id, level, area) on a line of its own, its
    overdue obligations in a table below it.

    The heading stands outside the table so that the 36 characters of a case id never take a
    column's width: at 80 columns the "Responsible" column keeps room for the longest agency id
    (on a line of its own, whole, to be copied) beside the due time. Every case's table has the
    same columns and widths, so the board still reads as one table under one header.
    """
    title = t.gettext("Stalled cases as of {at}: {count}").format(
        at=t.datetime(at), count=len(found)
    )
    if limit is not None and len(found) > limit:
        title += " (" + t.gettext("first {limit}").format(limit=limit) + ")"
    columns = (
        (t.gettext("Obligation"), "text"),
        (t.gettext("Responsible"), "agency"),
        (_zoned("Due", at, t), "due"),
    )
    parts: list[RenderableType] = [Text(title, style="bold"), _table(*columns, expand=True)]
    for case in found[:limit]:
        heading = Text.assemble(
            (case.case_id, "bold"),
            f" · {level_label(case.level, t)} · {_area(case.area, names)}",
            style="red" if case.level > 1 else "",
        )
        rows = _table(*columns, expand=True, header=False)
        for status, who in zip(case.overdue, case.responsible, strict=True):
            late = t.gettext("Late by") + " " + _late(at - status.due_at, t)
            rows.add_row(
                rule_title(status.obligation.rule_id, t),
                _who(status, who, t, names, apart=True),
                f"{_due(status, t)}\n{late}",
            )
        parts += [heading, rows]
    return Group(*parts)


def case_tables(view: CaseTimeline, t: Translator, names: Responsibility) -> Group:
    """A case's timeline and the obligations open at the view's instant."""
    timeline = _table(
        ("#", "short"),
        (t.gettext("Step"), "text"),
        (t.gettext("Agency"), "text"),
        (_zoned("Occurred", view.at, t), "time"),
        (_zoned("Recorded", view.at, t), "time"),
    )
    for s in view.steps:
        name = names.agency_name(s.agency, t.lang)
        agency = f"{s.agency} ({name})" if name else s.agency
        timeline.add_row(
            str(s.sequence),
            s.event_type,
            agency,
            _clock(s.occurred_at, t),
            _clock(s.recorded_at, t),
        )
    obligations = _table(
        (t.gettext("Obligation"), "text"),
        (t.gettext("Responsible"), "text"),
        (_zoned("Due", view.at, t), "time"),
        (t.gettext("Status"), "text"),
    )
    for status, who in zip(view.open, view.responsible, strict=True):
        obligations.add_row(
            rule_title(status.obligation.rule_id, t) + "\n" + status.obligation.citation,
            _who(status, who, t, names),
            _due(status, t),
            level_label(status.level, t),
        )
    heading = f"{t.gettext('Case')} {view.case_id} · {_area(view.area, names)}"
    opened = t.gettext("Open obligations as of {at}").format(at=t.datetime(view.at))
    return Group(
        Text(heading, style="bold", no_wrap=True),
        Text(t.gettext("Timeline"), style="bold"),
        timeline,
        Text(opened, style="bold"),
        obligations,
    )


def status_json(
    s: ObligationStatus, at: datetime, who: str | None, names: Responsibility
) -> dict[str, Any]:
    ob = s.obligation
    return {
        "rule_id": ob.rule_id,
        "key": ob.key,
        "responsible_role": ob.responsible_role,
        "responsible_agency": who,
        "responsible_agency_name": names.agency_name(who) if who else None,
        "opened_at": ob.opened_at.isoformat(),
        "due_at": s.due_at.isoformat(),
        "level": s.level,
        "overdue_hours": round(max(0.0, (at - s.due_at).total_seconds() / 3600), 1),
        "extended": ob.extended,
        "citation": ob.citation,
        "confirmed": ob.confirmed,
    }


def stalled_json(case: StalledCase, at: datetime, names: Responsibility) -> dict[str, Any]:
    overdue = [
        status_json(s, at, who, names)
        for s, who in zip(case.overdue, case.responsible, strict=True)
    ]
    area_names = {
        f"{k.removesuffix('_code')}_name": names.area_name(v) for k, v in case.area.items()
    }
    return {
        "case_id": case.case_id,
        "level": case.level,
        **case.area,
        **area_names,
        "overdue": overdue,
    }


def case_json(view: CaseTimeline, names: Responsibility) -> dict[str, Any]:
    steps = [
        {
            "sequence": s.sequence,
            "step": s.event_type,
            "agency": s.agency,
            "agency_name": names.agency_name(s.agency) or None,
            "role": s.role,
            "occurred_at": s.occurred_at.isoformat(),
            "recorded_at": s.recorded_at.isoformat(),
        }
        for s in view.steps
    ]
    return {
        "case_id": view.case_id,
        "as_of": view.at.isoformat(),
        **view.area,
        "steps": steps,
        "open_obligations": [
            status_json(s, view.at, who, names)
            for s, who in zip(view.open, view.responsible, strict=True)
        ],
    }


def _table(*columns: tuple[str, str], expand: bool = False, header: bool = True) -> Table:
    """A table whose columns are ``(header, kind)``: "time" a date and time (16 wide, never
    cut), "due" a due time above how late it is (one width on every case's table), "short" a
    number or a level, "agency" an agency's name and id (as wide as the longest id, which is
    never cut), "text" wraps to share what is left of the width."""
    table = Table(
        box=box.SIMPLE_HEAD, pad_edge=False, expand=expand, show_header=header, show_edge=not expand
    )
    for title, kind in columns:
        if kind == "time":
            table.add_column(title, min_width=TIME_WIDTH, overflow="fold")
        elif kind == "due":
            table.add_column(title, width=DUE_WIDTH, overflow="fold")
        elif kind == "short":
            table.add_column(title, no_wrap=True)
        elif kind == "agency":
            table.add_column(title, overflow="fold", width=AGENCY_WIDTH)
        else:
            table.add_column(title, overflow="fold", ratio=1)
    return table


def _clock(instant: datetime, t: Translator) -> str:
    """Date and time on the province's clock; the zone is in the column's header."""
    return t.datetime(instant).rsplit(" ", 1)[0]


def _due(status: ObligationStatus, t: Translator) -> str:
    """The due time, marked when it rests on an unconfirmed figure (docs/LEGAL.md)."""
    unconfirmed = "" if status.obligation.confirmed else "\n" + t.gettext("(unconfirmed)")
    return _clock(status.due_at, t) + unconfirmed


def _zoned(header: str, at: datetime, t: Translator) -> str:
    """A time column's header with the province's zone, e.g. "Due (UTC+07:00)"."""
    return f"{t.gettext(header)} ({t.datetime(at).rsplit(' ', 1)[1]})"


def _who(
    status: ObligationStatus,
    agency: str | None,
    t: Translator,
    names: Responsibility,
    apart: bool = False,
) -> str:
    """The agency that must act, by name and id (the id on a line of its own when ``apart``);
    the role when the directory has none."""
    if agency is None:
        return role_label(status.obligation.responsible_role, t)
    name = names.agency_name(agency, t.lang)
    if not name:
        return agency
    return f"{name}\n({agency})" if apart else f"{name} ({agency})"


def _area(area: dict[str, str], names: Responsibility) -> str:
    code = area.get("commune_code") or area.get("district_code") or area.get("province_code", "")
    name = names.area_name(code)
    return f"{code} {name}" if name else code


def _late(delta: timedelta, t: Translator) -> str:
    hours = int(delta.total_seconds() // 3600)
    return t.gettext("{days}d {hours}h").format(days=hours // 24, hours=hours % 24)
