"""``backbone status``: relay backlog, projection lag, alert outbox, stalled cases."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from services.commands.common import (
    add_json_option,
    add_lang_option,
    people,
    print_json,
    settings_for,
)
from services.ops.processes import ProcessFigures
from services.ops.status import Status, gather
from services.runtime.database import read_model_db
from services.runtime.i18n import Translator


def register(subparsers: Any) -> None:
    text = "is the backbone keeping up? backlogs, lag and stalled cases (exit 1 when behind)"
    parser = subparsers.add_parser("status", help=text, description=text)
    add_lang_option(parser)
    add_json_option(parser)
    parser.set_defaults(func=show_status)


def show_status(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    engine = read_model_db(settings)
    try:
        status = gather(settings, engine)
    finally:
        engine.dispose()
    if args.json:
        print_json(status.as_json())
    else:
        Console().print(_table(status, people(args, settings)))
    return 1 if status.behind else 0


def _table(status: Status, t: Translator) -> Table:
    table = Table(title=t.gettext("Behind") if status.behind else t.gettext("Keeping up"))
    table.add_column(t.gettext("Figure"))
    table.add_column(t.gettext("Value"), justify="right")
    table.add_row(t.gettext("Store position"), t.number(status.store_position))
    for name, backlog in sorted(status.relay_backlog.items()):
        table.add_row(t.gettext("Relay backlog") + f" ({name})", t.number(backlog))
    for partition, lag in sorted(status.projection_lag.items()):
        table.add_row(t.gettext("Projection lag, partition") + f" {partition}", t.number(lag))
    table.add_row(t.gettext("Alert outbox backlog"), t.number(status.outbox_backlog))
    for (topic, partition), lag in sorted(status.intake_lag.items()):
        table.add_row(t.gettext("Intake lag") + f" {topic}:{partition}", t.number(lag))
    for level, count in sorted(status.stalled_by_level.items()):
        table.add_row(t.gettext("Stalled cases at level") + f" {level}", t.number(count))
    for (level, area), count in sorted(status.stalled_by_area.items()):
        label = t.gettext("Stalled cases at level") + f" {level}, " + t.gettext("area")
        table.add_row(f"{label} {area or '-'}", t.number(count))
    for process in status.processes:
        table.add_row(process.name, _process_line(process, t))
    if status.broker_error:
        table.add_row(t.gettext("Broker unreachable"), status.broker_error)
    return table


def _process_line(process: ProcessFigures, t: Translator) -> str:
    """Ready or not, memory, and what the process counted since it started."""
    if not process.answered:
        return t.gettext("not answering")
    state = t.gettext("ready") if process.ready else t.gettext("not ready")
    memory = t.number(process.memory_bytes // 2**20) + " MiB"
    counts = [
        (t.gettext("records"), process.records),
        (t.gettext("rejections"), process.rejections),
        (t.gettext("delivery failures"), process.delivery_failures),
    ]
    shown = ", ".join(f"{name} {t.number(n)}" for name, n in counts if n)
    return ", ".join(part for part in (state, memory, shown) if part)
