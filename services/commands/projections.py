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

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from projections.queries import Filters, case_view, stalled_cases
from projections.readmodel import REBUILD_PREFIX, ReadModel
from projections.rebuild import (
    REPLAY_BATCH,
    Comparison,
    changed_since,
    compare,
    replace_live,
    replay_to,
)
from projections.responsible import Responsibility, load_responsibility
from projections.statistics.duties import duty_json
from projections.wiring import build_feed, build_projector, build_runner
from services.cases.agencies import load_agencies
from services.commands.boardview import case_json, case_tables, stalled_json, stalled_table
from services.commands.common import (
    add_as_of_option,
    add_command_group,
    add_json_option,
    add_output_options,
    case_uuid,
    past_instant,
    people,
    print_json,
    settings_for,
)
from services.commands.errors import UserError, unknown_name
from services.ops.health import watch
from services.reports.dutyboard import duties_table, reporting_duties
from services.runtime.database import read_model_db

# Width when the output is not a terminal (a pipe, a file): wide enough not to fold names.
PIPE_WIDTH = 160


def register(subparsers: Any) -> None:
    text = "the read models: stalled cases and case timelines from case-events"
    actions = add_command_group(subparsers, "projections", text)
    text = "project case-events into the read models until SIGTERM"
    actions.add_parser("run", help=text, description=text).set_defaults(func=run)
    text = "replay case-events from offset 0 into fresh tables and compare them with the live ones"
    rebuild = actions.add_parser("rebuild", help=text, description=text)
    rebuild.add_argument("--replace", action="store_true", help="then replace the live tables")
    add_json_option(rebuild)
    rebuild.set_defaults(func=rebuild_model)
    _register_stalled(subparsers)
    _register_case(subparsers)


def _register_stalled(subparsers: Any) -> None:
    text = "list the stalled cases: open obligations past their due time"
    parser = subparsers.add_parser("stalled", help=text, description=text)
    parser.add_argument("--agency", help="responsible agency (e.g. a referral's addressee)")
    parser.add_argument("--role", help="responsible role (e.g. commune_chairman)")
    parser.add_argument("--area", help="province, district or commune code")
    add_as_of_option(parser)
    add_output_options(parser)
    parser.set_defaults(func=show_stalled)


def _register_case(subparsers: Any) -> None:
    text = "show one case's timeline across agencies and its open obligations"
    parser = subparsers.add_parser("case", help=text, description=text)
    parser.add_argument("case_id")
    add_as_of_option(parser)
    add_output_options(parser)
    parser.set_defaults(func=show_case)


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    stop = watch(settings, "projections")
    build_runner(settings).run(stop)
    return 0


def rebuild_model(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    projector = build_projector(settings, ReadModel(REBUILD_PREFIX))
    batch = max(settings.batch_size, REPLAY_BATCH)
    messages, fixed = replay_to(projector, build_feed(settings), batch)
    live = ReadModel().create(projector.db)
    left_out = (
        None if args.replace else changed_since(projector.db, live, build_feed(settings), fixed)
    )
    result = compare(projector.db, live, projector.model, projector.clock(), left_out, fixed)
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
    as_of = past_instant(args.as_of)
    at = as_of or datetime.now(UTC)
    names = load_responsibility(settings.config_dir, load_agencies(settings.config_dir))
    filters = Filters(args.agency, args.role, args.area)
    db = read_model_db(settings)
    try:
        model = ReadModel().create(db)
        with db.connect() as conn:
            _check_filters(filters, names, conn, model)
            _check_agency_in_office(filters, names, at)
            found = stalled_cases(
                conn, model, at, as_of=as_of is not None, filters=filters, responsibility=names
            )
    finally:
        db.dispose()
    duties = reporting_duties(settings, at)
    if args.json:
        cases = [stalled_json(c, at, names) for c in found]
        reports = [duty_json(d) for d in duties]
        print_json({"as_of": at.isoformat(), "cases": cases, "reporting_duties": reports})
    else:
        t = people(args, settings)
        console().print(stalled_table(found, at, t, names))
        if duties:
            console().print(duties_table(duties, t))
    return 0


def show_case(args: argparse.Namespace) -> int:
    case_id = case_uuid(args.case_id)
    settings = settings_for(args)
    at = past_instant(args.as_of) or datetime.now(UTC)
    names = load_responsibility(settings.config_dir, load_agencies(settings.config_dir))
    db = read_model_db(settings)
    try:
        with db.connect() as conn:
            view = case_view(conn, ReadModel().create(db), case_id, at, names)
    finally:
        db.dispose()
    if view is None:
        raise UserError(
            "unknown_case",
            f"no case {case_id} in the read model; check the id (cases are listed by "
            "`backbone stalled`), or wait a moment if it was just reported",
        )
    if args.json:
        print_json(case_json(view, names))
    else:
        console().print(case_tables(view, people(args, settings), names))
    return 0


def _check_filters(
    filters: Filters, names: Responsibility, conn: sa.Connection, model: ReadModel
) -> None:
    """A filter that matches no known agency, role or area is a typo, not "nothing overdue"."""
    if filters.agency and not names.knows_agency(filters.agency):
        known = [agency.id for agency in names.directory.all()]
        raise unknown_name("agency", filters.agency, known, "backbone agencies list")
    if filters.area and not names.area_name(filters.area):
        raise unknown_name("area", filters.area, names.area_names, "deploy/config/areas.toml")
    if filters.role:
        used = conn.execute(sa.select(model.obligations.c.responsible_role).distinct()).scalars()
        known_roles = names.known_roles() | set(used)
        if filters.role not in known_roles:
            raise unknown_name("role", filters.role, known_roles, "backbone stalled --json")


def _check_agency_in_office(filters: Filters, names: Responsibility, at: datetime) -> None:
    """An agency that had ended by ``at`` is responsible for nothing then: say who is, rather
    than print an empty board (an old case's obligations are its successor's)."""
    agency = names.directory.get(filters.agency or "")
    day = names.directory.local_day(at)
    if agency is None or agency.valid_on(day):
        return
    acting = names.directory.in_office(agency.id, day)
    instead = (
        f"use --agency {acting.id}, which took over its cases"
        if acting
        else ("it has no successor; filter by --area instead")
    )
    raise UserError(
        "agency_not_in_office",
        f"agency {agency.id!r} did not exist on {day.isoformat()}; {instead}",
    )


def _comparison(result: Comparison) -> dict[str, Any]:
    return {
        "equal": result.equal,
        "stalled_equal": result.stalled_equal,
        "live_stalled": result.live_stalled,
        "rebuilt_stalled": result.rebuilt_stalled,
        "tables": [vars(check) for check in result.tables],
        "fixed_position": result.fixed_position,
        "left_out_cases": result.left_out,
    }


def _comparison_table(result: Comparison, messages: int, replaced: bool) -> Table:
    verdict = "equal" if result.equal else "DIFFERENT"
    since = (
        f"; {result.left_out} cases changed since the fixed position left out"
        if result.left_out
        else ""
    )
    table = Table(
        title=f"Rebuild from {messages} messages: {verdict}"
        + (" (live replaced)" if replaced else "")
        + since
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


def console() -> Console:
    """A console; when the output is not a terminal, wide enough not to cut ids and names."""
    return Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)
