"""Agency commands: provision and list agencies, submit, read inbox and rejections."""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from events import Codec, ContractError, Reason
from services.audit.accesslog import MIN_PURPOSE, PurposeRequired, record_openings
from services.cases.agencies import load_agencies
from services.commands.api import register_agency_actions
from services.commands.common import (
    add_command_group,
    add_json_option,
    add_output_options,
    case_uuid,
    parse_instant,
    people,
    print_json,
    require_broker,
    settings_for,
)
from services.commands.errors import UserError
from services.commands.submission import check_agency, check_fields, check_step
from services.kafka.agency import AgencyClient, InboxItem, RejectedSubmission
from services.kafka.provision import credentials_file, provision
from services.runtime.sentences import localize
from services.vocabulary import load_vocabulary


def register(subparsers: Any) -> None:
    _register_agencies(subparsers)
    _register_submit(subparsers)
    for name, func, what in (
        ("inbox", inbox, "case events addressed to"),
        ("rejections", rejections, "rejected submissions of"),
    ):
        text = f"read the new {what} an agency (as that agency)"
        parser = subparsers.add_parser(name, help=text, description=text)
        parser.add_argument("--agency", required=True)
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait")
        parser.add_argument("--max", type=int, default=500, help="at most this many")
        add_output_options(parser)
        if name == "inbox":
            reveal = "print the personal data opened with the agency's key"
            parser.add_argument("--reveal-personal", action="store_true", help=reveal)
            why = "why the personal data is opened (required with --reveal-personal; recorded)"
            parser.add_argument("--purpose", default="", help=why)
            parser.add_argument("--actor", default=getpass.getuser(), help="who opens it")
        parser.set_defaults(func=func)


def _register_agencies(subparsers: Any) -> None:
    text = "the agencies of the directory: provision their topics and users, or list them"
    actions = add_command_group(subparsers, "agencies", text)
    text = "create topics, SCRAM users, ACLs, credentials files and inbox keys (idempotent)"
    actions.add_parser("provision", help=text, description=text).set_defaults(func=provision_all)
    text = "list the agencies with their role and whether they are provisioned"
    listing = actions.add_parser("list", help=text, description=text)
    add_json_option(listing)
    listing.set_defaults(func=list_agencies)
    register_agency_actions(actions)


def _register_submit(subparsers: Any) -> None:
    text = "publish one step as an agency; prints its submission id"
    parser = subparsers.add_parser("submit", help=text, description=text)
    parser.add_argument("step", help="wire name, e.g. CaseReported")
    parser.add_argument("--agency", required=True)
    parser.add_argument("--case", required=True, dest="case_id", help="case id (a UUID)")
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="K=V",
        help="step field; arrays comma-separated, times ISO or ms",
    )
    parser.add_argument("--json", dest="json_file", metavar="FILE|-", help="fields as JSON")
    parser.add_argument(
        "--personal",
        action="append",
        default=[],
        metavar="K=V",
        help="personal data (sealed to the backbone before it leaves)",
    )
    parser.add_argument("--occurred-at", type=parse_instant, help="ISO time (UTC if no zone)")
    parser.add_argument("--submission-id", help="resend under this id (default: a new UUID)")
    parser.set_defaults(func=submit)


def provision_all(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    granted = provision(settings)
    print_json({agency: str(credentials_file(settings, agency)) for agency in sorted(granted)})
    return 0


def list_agencies(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    rows = [
        {
            "id": a.id,
            "role": a.role,
            "area": a.area,
            "valid_from": a.valid_from,
            "valid_to": a.valid_to,
            "provisioned": credentials_file(settings, a.id).exists(),
        }
        for a in load_agencies(settings.config_dir).all()
    ]
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            mark = "provisioned" if row["provisioned"] else "-"
            print(f"{row['id']:<28} {row['role']:<15} {row['area']:<6} {mark}")
    return 0


def submit(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    codec = Codec.from_directory()
    check_step(codec, args.step)
    check_agency(load_agencies(settings.config_dir), args.agency)
    given = _json_fields(args.json_file) | _pairs(args.field)
    check_fields(codec.schema(args.step), given)
    try:
        fields = _typed(codec.schema(args.step), given)
    except ValueError as error:
        raise UserError("bad_value", f"a --field value does not fit its field: {error}") from None
    # What the intake would refuse (a ContractError), refused before sending.
    load_vocabulary(settings.config_dir).check(args.step, fields)
    require_broker(settings)
    with AgencyClient.from_settings(settings, args.agency) as client:
        submission_id = client.submit(
            args.step,
            case_uuid(args.case_id),
            fields,
            args.occurred_at,
            _pairs(args.personal) or None,
            args.submission_id,
        )
    print(submission_id)
    return 0


def inbox(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if args.reveal_personal and len(args.purpose.strip()) < MIN_PURPOSE:
        refusal = PurposeRequired()
        print_json({"error": refusal.reason, "detail": str(refusal)})
        return 2
    check_agency(load_agencies(settings.config_dir), args.agency)
    require_broker(settings)
    with AgencyClient.from_settings(settings, args.agency) as client:
        items = client.inbox(args.timeout, args.max)
    if args.reveal_personal:
        record_openings(settings, args.agency, args.actor, args.purpose, items)
    rows = [_inbox_row(item, args.reveal_personal) for item in items]
    _show(rows, args.json, ("case_id", "sequence", "event_type", "agency", "event_id"))
    return 0


def rejections(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    check_agency(load_agencies(settings.config_dir), args.agency)
    require_broker(settings)
    with AgencyClient.from_settings(settings, args.agency) as client:
        items = client.rejections(args.timeout, args.max)
    rows = [_rejection_row(item) for item in items]
    if not args.json:  # people read the sentence in their language; scripts keep the English
        t = people(args, settings)
        rows = [row | {"detail": localize(row["detail"], t)} for row in rows]
    _show(rows, args.json, ("submission_id", "reason", "detail"))
    return 0


def _inbox_row(item: InboxItem, reveal: bool) -> dict[str, Any]:
    event = {k: v for k, v in item.event.items() if k not in ("payload", "personal_data")}
    step = {k: v for k, v in item.step.items() if k != "personal_data"}
    sealed = "sealed (--reveal-personal to open)" if item.personal_data else None
    return event | {"step": step, "personal_data": item.personal_data if reveal else sealed}


def _rejection_row(item: RejectedSubmission) -> dict[str, Any]:
    row = vars(item) | {"original": base64.b64encode(item.original).decode("ascii")}
    return dict(row)


def _show(rows: list[dict[str, Any]], as_json: bool, columns: Sequence[str]) -> None:
    if as_json:
        print_json(rows)
        return
    for row in rows:
        print("  ".join(str(row[column]) for column in columns))
    print(f"({len(rows)} new)", file=sys.stderr)


def _pairs(items: Sequence[str]) -> dict[str, str]:
    pairs = dict(item.split("=", 1) for item in items if "=" in item)
    bad = [item for item in items if "=" not in item]
    if bad:
        raise SystemExit(f"expected KEY=VALUE, got {bad}")
    return pairs


JSON_OBJECT = "write the fields as one JSON object with names in double quotes"


def _json_fields(source: str | None) -> dict[str, Any]:
    """The fields in ``--json`` (a file, or ``-``: standard input); a file that cannot be read
    or holds no JSON object is refused with where to look, not taken for an unexpected failure."""
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        message = f"cannot read --json {source} as text; check the path and that it is UTF-8 JSON"
        raise UserError("unreadable_json", message) from None
    try:
        loaded = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        message = f"--json {source} is not JSON ({where}); {JSON_OBJECT}"
        raise UserError("bad_json", message) from None
    if not isinstance(loaded, dict):
        message = f"--json {source} holds no JSON object of fields; {JSON_OBJECT}"
        raise UserError("bad_json", message)
    return loaded


def _typed(schema: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """Text from the command line in the types the step's schema asks for."""
    kinds = {field["name"]: field["type"] for field in schema["fields"]}
    typed: dict[str, Any] = {}
    for name, value in fields.items():
        try:
            typed[name] = _value(name, kinds.get(name), value)
        except (ValueError, argparse.ArgumentTypeError):
            raise SystemExit(
                f"schema_violation: {name} must be {_kind_name(kinds.get(name))}"
            ) from None
    return typed


BOOLEANS = {"true": True, "false": False}


def _value(name: str, kind: Any, value: Any) -> Any:
    if isinstance(kind, Mapping) and kind.get("logicalType") == "timestamp-millis":
        return (
            parse_instant(value) if isinstance(value, str) and not value.isdigit() else int(value)
        )
    if isinstance(kind, Mapping) and kind.get("type") == "array" and isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, str):
        return value
    if kind == "boolean":
        if value not in BOOLEANS:  # "maybe" must not become false
            raise ContractError(
                Reason.NOT_A_BOOLEAN, f"{name} must be `true` or `false`, not {value[:20]!r}"
            )
        return BOOLEANS[value]
    return int(value) if kind in ("int", "long") else value


def _kind_name(kind: Any) -> str:
    if isinstance(kind, Mapping) and kind.get("logicalType") == "timestamp-millis":
        return "an ISO 8601 time or milliseconds since 1970"
    return "a whole number" if kind in ("int", "long") else f"of type {kind}"
