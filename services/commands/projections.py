"""Read-model commands: ``projections run|rebuild`` and the supervisors' ``stalled`` and ``case``.

``stalled`` and ``case`` read the read model only (no broker needed); ``--as-of`` evaluates what
was on record at that instant (openings, closures and extensions by recording time), so the
answer is the one the board gave then.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from projections.queries import CaseView, Filters, StalledCase, case_view, stalled_cases
from projections.readmodel import REBUILD_PREFIX, ReadModel
from projections.rebuild import Comparison, compare, replace_live, replay
from projections.stalled import ObligationStatus
from projections.statistics.duties import duty_json
from projections.wiring import build_feed, build_projector, build_runner, read_model_db
from services.commands.common import parse_instant, print_json, settings_for
from services.reports.board import duties_table, english, reporting_duties
from services.supervisor import StopFlag

LEVELS = {0: "in time", 1: "overdue", 2: "ESCALATED"}
PIPE_WIDTH = 220


def register(subparsers: Any) -> None:
    text = "the read models: stalled cases and case timelines from case-events"
    parser = subparsers.add_parser("projections", help=text, description=text)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    text = "project case-events into the read models until SIGTERM"
    actions.add_parser("run", help=text, description=text).set_defaults(func=run)
    text = "replay case-events from offset 0 into fresh tables and compare them with the live ones"
    rebuild = actions.add_parser("rebuild", help=text, description=text)
    rebuild.add_argument("--replace", action="store_true", help="then replace the live tables")
    rebuild.add_argument("--json", action="store_true", help="JSON for scripts")
    rebuild.set_defaults(func=rebuild_model)
    _register_stalled(subparsers)
    _register_case(subparsers)


def _register_stalled(subparsers: Any) -> None:
    text = "list the stalled cases: open obligations past their due time"
    parser = subparsers.add_parser("stalled", help=text, description=text)
    parser.add_argument("--agency", help="responsible agency (e.g. a referral's addressee)")
    parser.add_argument("--role", help="responsible role (e.g. commune_chairman)")
    parser.add_argument("--area", help="province, district or commune code")
    parser.add_argument("--as-of", type=parse_instant, help="ISO date or time (UTC if no zone)")
    parser.add_argument("--json", action="store_true", help="JSON for scripts")
    parser.set_defaults(func=show_stalled)


def _register_case(subparsers: Any) -> None:
    text = "show one case's timeline across agencies and its open obligations"
    parser = subparsers.add_parser("case", help=text, description=text)
    parser.add_argument("case_id")
    parser.add_argument("--as-of", type=parse_instant, help="ISO date or time (UTC if no zone)")
    parser.add_argument("--json", action="store_true", help="JSON for scripts")
    parser.set_defaults(func=show_case)


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    stop = StopFlag().install()
    build_runner(settings).run(stop)
    return 0


def rebuild_model(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    projector = build_projector(settings, ReadModel(REBUILD_PREFIX))
    messages = replay(projector, build_feed(settings), settings.batch_size)
    live = ReadModel().create(projector.db)
    result = compare(projector.db, live, projector.model, projector.clock())
    if args.replace:
        replace_live(projector.db, live, projector.model)
    report = _comparison(result) | {"messages": messages, "replaced": bool(args.replace)}
    if args.json:
        print_json(report)
    else:
        console().print(_comparison_table(result, messages, args.replace))
    return 0 if result.equal or args.replace else 1


def show_stalled(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    db = read_model_db(settings)
    at = args.as_of or datetime.now(UTC)
    filters = Filters(args.agency, args.role, args.area)
    with db.connect() as conn:
        found = stalled_cases(
            conn, ReadModel().create(db), at, as_of=bool(args.as_of), filters=filters
        )
    duties = reporting_duties(settings, at)
    if args.json:
        cases = [_stalled_json(c, at) for c in found]
        reports = [duty_json(d) for d in duties]
        print_json({"as_of": at.isoformat(), "cases": cases, "reporting_duties": reports})
    else:
        console().print(stalled_table(found, at))
        if duties:
            console().print(duties_table(duties, english(settings)))
    return 0


def show_case(args: argparse.Namespace) -> int:
    db = read_model_db(settings_for(args))
    at = args.as_of or datetime.now(UTC)
    with db.connect() as conn:
        view = case_view(conn, ReadModel().create(db), args.case_id, at)
    if view is None:
        print_json({"error": "unknown_case", "detail": "the read model has no such case"})
        return 2
    if args.json:
        print_json(_case_json(view))
    else:
        out = console()
        out.print(_timeline_table(view))
        out.print(_obligations_table(view))
    return 0


def _status_json(s: ObligationStatus, at: datetime) -> dict[str, Any]:
    ob = s.obligation
    return {
        "rule_id": ob.rule_id,
        "key": ob.key,
        "responsible_role": ob.responsible_role,
        "responsible_agency": ob.responsible_agency,
        "opened_at": ob.opened_at.isoformat(),
        "due_at": s.due_at.isoformat(),
        "level": s.level,
        "overdue_hours": round(max(0.0, (at - s.due_at).total_seconds() / 3600), 1),
        "extended": ob.extended,
        "citation": ob.citation,
        "confirmed": ob.confirmed,
    }


def _stalled_json(case: StalledCase, at: datetime) -> dict[str, Any]:
    overdue = [_status_json(s, at) for s in case.overdue]
    return {"case_id": case.case_id, "level": case.level, **case.area, "overdue": overdue}


def _case_json(view: CaseView) -> dict[str, Any]:
    steps = [
        {
            "sequence": s.sequence,
            "step": s.event_type,
            "agency": s.agency,
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
        "open_obligations": [_status_json(s, view.at) for s in view.open],
    }


def stalled_table(found: list[StalledCase], at: datetime, limit: int | None = None) -> Table:
    """The stalled board: one row per overdue obligation (of the first ``limit`` cases)."""
    shown = f" (first {limit})" if limit is not None and len(found) > limit else ""
    table = Table(title=f"Stalled cases as of {_when(at)} UTC: {len(found)}{shown}")
    for column in ("case", "level", "area", "obligation", "responsible", "due (UTC)", "late by"):
        table.add_column(column)
    for case in found[:limit]:
        area = case.area.get("commune_code") or case.area.get("province_code", "")
        for s in case.overdue:
            who = s.obligation.responsible_agency or s.obligation.responsible_role
            table.add_row(
                case.case_id,
                LEVELS[s.level],
                area,
                _obligation_name(s),
                who,
                _due(s),
                _late(at - s.due_at),
            )
    return table


def _timeline_table(view: CaseView) -> Table:
    table = Table(title=f"Case {view.case_id}: timeline")
    for column in ("#", "step", "agency", "role", "occurred (UTC)", "recorded (UTC)"):
        table.add_column(column)
    for s in view.steps:
        table.add_row(
            str(s.sequence),
            s.event_type,
            s.agency,
            s.role,
            _when(s.occurred_at),
            _when(s.recorded_at),
        )
    return table


def _obligations_table(view: CaseView) -> Table:
    table = Table(title=f"Open obligations as of {_when(view.at)} UTC")
    for column in ("obligation", "responsible", "due (UTC)", "status", "legal basis"):
        table.add_column(column)
    for s in view.open:
        who = s.obligation.responsible_agency or s.obligation.responsible_role
        table.add_row(
            _obligation_name(s), who, _due(s), LEVELS[s.level], s.obligation.citation
        )
    return table


def _comparison(result: Comparison) -> dict[str, Any]:
    return {
        "equal": result.equal,
        "stalled_equal": result.stalled_equal,
        "live_stalled": result.live_stalled,
        "rebuilt_stalled": result.rebuilt_stalled,
        "tables": [vars(check) for check in result.tables],
    }


def _comparison_table(result: Comparison, messages: int, replaced: bool) -> Table:
    verdict = "equal" if result.equal else "DIFFERENT"
    table = Table(
        title=f"Rebuild from {messages} messages: {verdict}"
        + (" (live replaced)" if replaced else "")
    )
    for column in ("table", "live rows", "rebuilt rows", "same"):
        table.add_column(column)
    for c in result.tables:
        table.add_row(c.table, str(c.live_rows), str(c.rebuilt_rows), "yes" if c.equal else "NO")
    table.add_row(
        "stalled cases",
        str(result.live_stalled),
        str(result.rebuilt_stalled),
        "yes" if result.stalled_equal else "NO",
    )
    return table


def _obligation_name(s: ObligationStatus) -> str:
    ob = s.obligation
    return f"{ob.rule_id}:{ob.key}" if ob.key else ob.rule_id


def _due(s: ObligationStatus) -> str:
    """The due time, marked when it rests on an unconfirmed figure (docs/LEGAL.md)."""
    return _when(s.due_at) + ("" if s.obligation.confirmed else " (unconfirmed)")


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _late(delta: Any) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d {hours % 24}h"


def console() -> Console:
    """A console; when the output is not a terminal, wide enough not to cut ids and names."""
    return Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)
