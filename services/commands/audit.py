"""Audit commands: checkpoints, the checkpointer, evidence bundles, the access log, and
``verify --all`` (registered by the cases module); the witness has its own (``witness.py``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress

from events import Topics
from events.instants import from_millis, to_millis
from projections.responsible import load_responsibility
from services.audit.bundle import load, verify_bundle
from services.audit.export import NothingToExport, Selection, export
from services.audit.policy import load_policy
from services.audit.rows import events_table
from services.audit.service import AuditService
from services.audit.signingkeys import witness_vkey_file
from services.audit.verify import VerificationReport, verify_store
from services.audit.wiring import text_publisher
from services.cases.agencies import load_agencies
from services.commands.common import (
    add_command_group,
    add_json_option,
    add_lang_option,
    add_output_options,
    case_uuid,
    parse_instant,
    people,
    print_json,
    settings_for,
)
from services.commands.errors import unknown_name
from services.commands.submission import check_agency
from services.ops.health import watch
from services.runtime.i18n import Translator


def register(subparsers: Any) -> None:
    text = "the audit log: checkpoints, evidence bundles, who opened personal data"
    actions = add_command_group(subparsers, "audit", text)
    text = "bring the log up to date and sign a checkpoint now; prints the signed note"
    one = actions.add_parser("checkpoint", help=text, description=text)
    one.add_argument("--publish", action="store_true", help="also publish it on Kafka")
    one.set_defaults(func=checkpoint)
    text = "sign a checkpoint every BACKBONE_AUDIT_CHECKPOINT_SECONDS and publish it"
    actions.add_parser("checkpointer", help=text, description=text).set_defaults(func=checkpointer)
    _register_export(actions)
    text = "check an evidence bundle offline (no database, no broker needed)"
    check = actions.add_parser("verify-bundle", help=text, description=text)
    check.add_argument("file", type=Path)
    check.add_argument("--trust", type=Path, help="file of verifier keys obtained out of band")
    add_output_options(check)
    check.set_defaults(func=check_bundle)
    text = "list who opened personal data: which case, when, why"
    access = actions.add_parser("access", help=text, description=text)
    access.add_argument("case_id", nargs="?")
    access.add_argument("--agency")
    access.add_argument("--since", type=parse_instant, help="ISO date or time (UTC if no zone)")
    add_lang_option(access)
    add_json_option(access)
    access.set_defaults(func=list_access)


def _register_export(actions: Any) -> None:
    text = "write a self-contained evidence bundle for a case, an area or a period"
    out = actions.add_parser("export", help=text, description=text)
    which = out.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", dest="case_id")
    which.add_argument("--area", help="province, district or commune code")
    which.add_argument("--period", type=_period, metavar="START..END", help="ISO dates or times")
    out.add_argument("-o", "--output", type=Path, required=True)
    out.set_defaults(func=export_bundle)


def checkpoint(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    audit = AuditService.from_settings(settings)
    try:
        note = audit.checkpoint()
    finally:
        audit.close()
    if args.publish:
        publish = text_publisher(settings, settings.kafka_username)
        publish(Topics(settings.topic_prefix).checkpoints, note)
    sys.stdout.write(note)
    return 0


def checkpointer(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    stop = watch(settings, "checkpointer")
    audit = AuditService.from_settings(settings)
    publish = text_publisher(settings, settings.kafka_username)
    published = -1
    try:
        while not stop.stopped:
            note = audit.checkpoint()
            size = audit.checkpoint_of(note).size
            if size != published:  # after a restart the latest is published again: harmless
                publish(Topics(settings.topic_prefix).checkpoints, note)
                published = size
            stop.wait(settings.audit_checkpoint_seconds)
    finally:
        audit.close()
    return 0


def export_bundle(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    policy = load_policy(settings.config_dir)
    witnesses = {
        agency: witness_vkey_file(settings, agency).read_text(encoding="utf-8").strip()
        for agency in policy.witnesses
        if witness_vkey_file(settings, agency).exists()
    }
    period = args.period
    selection = Selection(args.case_id, args.area, period)
    audit = AuditService.from_settings(settings)
    try:
        data = export(audit, selection, witnesses, policy.required_cosignatures)
    except NothingToExport as error:
        print_json({"error": "nothing_to_export", "detail": str(error)})
        return 2
    finally:
        audit.close()
    args.output.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print_json({"file": str(args.output), "entries": len(data["entries"])})
    return 0


def check_bundle(args: argparse.Namespace) -> int:
    try:
        data = load(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print_json({"error": "unreadable_bundle", "detail": str(error)})
        return 2
    trusted = args.trust.read_text(encoding="utf-8").split() if args.trust else []
    result = verify_bundle(data, trusted)
    summary = {
        "ok": result.ok,
        "entries": result.entries,
        "cosignatures": result.cosignatures,
        "problems": result.problems,
        "keys": "trusted list" if trusted else "taken from the bundle: compare them out of band",
    }
    if args.json:
        print_json(summary)
    else:
        t = people(args, settings_for(args))
        verdict = t.gettext("VERIFIED") if result.ok else t.gettext("NOT VERIFIED")
        line = t.gettext("{verdict}: {entries} events, {cosignatures} cosignatures")
        print(
            line.format(verdict=verdict, entries=result.entries, cosignatures=result.cosignatures)
        )
        for problem in result.problems:
            print(f"  {problem}")
    return 0 if result.ok else 1


def list_access(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    since = to_millis(args.since) if args.since else None
    # A mistyped case or agency must be refused, not answered with "0 openings".
    case_id = case_uuid(args.case_id) if args.case_id else None
    if args.agency:
        check_agency(load_agencies(settings.config_dir), args.agency)
    audit = AuditService.from_settings(settings)
    try:
        records = audit.access.entries(case_id, args.agency, since)
    finally:
        audit.close()
    if args.json:
        print_json([vars(r) | {"opened_at": _iso(r.opened_at)} for r in records])
        return 0
    t = people(args, settings)
    for r in records:
        when = t.datetime(from_millis(r.opened_at))
        print(f"{when}  {r.case_id}  {r.agency}/{r.actor}  {r.purpose}")
    print(t.gettext("{count} openings of personal data").format(count=len(records)))
    return 0


def verify_all(args: argparse.Namespace) -> int:
    """``backbone verify --all``: the whole store against the signed checkpoints."""
    settings = settings_for(args)
    since = to_millis(args.since) if args.since else None
    if args.area:  # a typo must not read as "0 cases, intact"
        names = load_responsibility(settings.config_dir, load_agencies(settings.config_dir))
        if not names.area_name(args.area):
            raise unknown_name("area", args.area, names.area_names, "deploy/config/areas.toml")
    audit = AuditService.from_settings(settings)
    try:
        report = _with_progress(audit, lambda p: verify_store(audit, args.area, since, p))
    finally:
        audit.close()
    if args.json:
        print_json(report.as_json())
    else:
        _print_report(report, people(args, settings))
    return 0 if report.ok else 1


def _with_progress(
    audit: AuditService, run: Callable[[Any], VerificationReport]
) -> VerificationReport:
    if not sys.stderr.isatty():
        return run(None)
    table = events_table(audit.engine)
    total = 0
    if table is not None:
        with audit.engine.connect() as connection:
            count = sa.select(sa.func.count()).select_from(table)
            total = int(connection.execute(count).scalar() or 0)
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("verify", total=total or None)
        return run(lambda done: bar.update(task, completed=done))


def _print_report(report: VerificationReport, t: Translator) -> None:
    for f in report.findings:
        where = f.case_id if f.sequence is None else f"{f.case_id} #{f.sequence}"
        print(f"{t.gettext(f.problem)}  {where}  {f.detail}")
    line = t.gettext("{events} events in {cases} cases, checkpoint of {size}: {verdict}")
    verdict = t.gettext("intact") if report.ok else t.gettext("TAMPERED")
    print(line.format(events=report.events, cases=report.cases, size=report.checkpoint_size,
                      verdict=verdict))  # fmt: skip


def _period(text: str) -> tuple[int, int]:
    start, sep, end = text.partition("..")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected START..END, got {text!r}")
    return (to_millis(parse_instant(start)), to_millis(parse_instant(end)))


def _iso(ms: int) -> str:
    return from_millis(ms).isoformat()
