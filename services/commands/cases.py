"""Auditors' commands: replay a case's history (as it stood on a date), verify, forget."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from rich.console import Console
from rich.table import Table

from events.instants import from_millis, to_millis
from services.cases.application import CaseService
from services.cases.views import HistoryEntry
from services.commands.audit import verify_all
from services.commands.common import (
    add_as_of_option,
    add_json_option,
    add_lang_option,
    add_output_options,
    case_uuid,
    parse_instant,
    past_instant,
    people,
    print_json,
    settings_for,
)
from services.commands.errors import UserError
from services.runtime.i18n import Translator


def register(subparsers: Any) -> None:
    text = "replay a case's recorded history, optionally as it stood at a past instant"
    history = subparsers.add_parser("history", help=text, description=text)
    history.add_argument("case_id")
    add_as_of_option(history)
    add_output_options(history)
    history.set_defaults(func=show_history)

    text = "check the hash chains of cases: names the first altered, missing or moved event"
    verify = subparsers.add_parser("verify", help=text, description=text)
    verify.add_argument("case_ids", nargs="*", metavar="CASE_ID")
    verify.add_argument(
        "--all", action="store_true", help="every case, against the signed audit checkpoints"
    )
    verify.add_argument("--area", help="with --all: only cases of this area code")
    verify.add_argument("--since", type=parse_instant, help="with --all: cases changed since")
    add_lang_option(verify)
    verify.add_argument(
        "--head",
        type=_head,
        metavar="SEQUENCE:HASH",
        help="anchor one case's chain on a hash kept outside the database (e.g. the last "
        "case-events message of the case): a cut tail or a rewritten chain then shows",
    )
    add_json_option(verify)
    verify.set_defaults(func=verify_cases)

    text = "erase a case's personal data (crypto-shredding); the history stays auditable"
    forget = subparsers.add_parser("forget", help=text, description=text)
    forget.add_argument("case_id")
    forget.add_argument("--by", required=True, metavar="AGENCY", help="agency that orders it")
    forget.add_argument("--json", action="store_true", help="errors as JSON too (output is JSON)")
    forget.set_defaults(func=forget_case)


def show_history(args: argparse.Namespace) -> int:
    case_id, as_of = case_uuid(args.case_id), past_instant(args.as_of)
    settings = settings_for(args)
    service = CaseService.from_settings(settings)
    try:
        entries = service.history(case_id)
    finally:
        service.close()
    if as_of is not None:
        cutoff = to_millis(as_of)
        entries = [e for e in entries if e.recorded_at <= cutoff]
    if args.json:
        print_json([_entry_json(e) for e in entries])
    else:
        Console().print(_history_table(case_id, entries, people(args, settings)))
    return 0


def verify_cases(args: argparse.Namespace) -> int:
    if args.all:
        return verify_all(args)
    if not args.case_ids:
        print_json({"error": "no_case", "detail": "name a case, or use --all for every case"})
        return 2
    if args.head is not None and len(args.case_ids) != 1:
        raise UserError("head_needs_one_case", "--head anchors a single case: give one case id")
    case_ids = [case_uuid(text) for text in args.case_ids]
    service = CaseService.from_settings(settings_for(args))
    try:
        for case_id in case_ids:
            service.history(case_id)  # an unknown case is a mistake, not "0 events intact"
        results = [service.verify(case_id, args.head) for case_id in case_ids]
    finally:
        service.close()
    rows = [dataclasses.asdict(r) | {"ok": r.ok} for r in results]
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            verdict = (
                "intact"
                if row["ok"]
                else f"BAD at event {row['first_bad']}: {row['problem']} ({row['detail']})"
            )
            if row["legacy"]:
                verdict += f" ({row['legacy']} hashed without their recording time, first release)"
            print(f"{row['case_id']}  {row['checked']} events  {verdict}")
    return 0 if all(r.ok for r in results) else 1


def forget_case(args: argparse.Namespace) -> int:
    case_id = case_uuid(args.case_id)
    service = CaseService.from_settings(settings_for(args))
    try:
        done = service.forget(case_id, args.by)
    finally:
        service.close()
    print_json({"case_id": done.case_id, "erased_at_sequence": done.sequence})
    return 0


def _head(text: str) -> tuple[int, str]:
    sequence, _, digest = text.partition(":")
    if not sequence.isdigit() or int(sequence) < 1 or not digest:
        raise argparse.ArgumentTypeError(f"expected SEQUENCE:HASH, e.g. 3:9f2c..., got {text!r}")
    return int(sequence), digest.lower()


def _history_table(case_id: str, entries: list[HistoryEntry], t: Translator) -> Table:
    table = Table(title=f"{t.gettext('Case')} {case_id}")
    table.add_column("#")
    for column in ("Step", "Agency", "Role", "Occurred", "Recorded"):
        table.add_column(t.gettext(column), overflow="fold")
    for e in entries:
        table.add_row(
            str(e.sequence),
            e.step,
            e.agency,
            e.role,
            t.datetime(from_millis(e.occurred_at)),
            t.datetime(from_millis(e.recorded_at)),
        )
    return table


def _entry_json(entry: HistoryEntry) -> dict[str, object]:
    """The entry for scripts, its instants in ISO 8601 with their offset."""
    times = {
        "occurred_at": from_millis(entry.occurred_at),
        "recorded_at": from_millis(entry.recorded_at),
    }
    return dataclasses.asdict(entry) | {k: v.isoformat() for k, v in times.items()}
