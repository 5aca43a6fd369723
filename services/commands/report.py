"""``backbone report``: the periodic report of a period, as CSV, Excel, HTML or PDF;
``backbone report-sent``: the record that a periodic report went to its recipient.

``report`` reads the read model only. The report states the instant its data was taken as of;
giving that instant back with ``--as-of`` reproduces the same figures (and the same CSV bytes).
Both print one line for a person (in ``--lang``, default ``BACKBONE_LANG``, else Vietnamese)
and one JSON object instead with ``--json``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from projections.statistics.period import BadPeriod, parse_period
from services.commands.common import (
    add_lang_option,
    parse_instant,
    people,
    print_json,
    settings_for,
)
from services.commands.errors import UserError
from services.reporting.errors import ReportingError
from services.reports import FORMATS, ReportRequest, file_name, make_report
from services.reports.render_pdf import FontsMissing
from services.runtime.i18n import Translator
from services.runtime.settings import Settings

if TYPE_CHECKING:
    from services.reporting.domainmodel import Sending


def register(subparsers: Any) -> None:
    _register_report(subparsers)
    _register_sent(subparsers)


def _register_report(subparsers: Any) -> None:
    text = "write the periodic report of a period (tables by area, trends, legal basis)"
    parser = subparsers.add_parser("report", help=text, description=text)
    parser.add_argument(
        "--period", required=True, help="2026, 2026-H1, 2026-Q2, 2026-03 or 2026-01-01..2026-03-31"
    )
    parser.add_argument("--area", help="a province, district or commune code (default: all)")
    parser.add_argument("--format", choices=FORMATS, default="csv")
    add_lang_option(parser)
    parser.add_argument("--as-of", type=parse_instant, help="take the data as recorded by then")
    parser.add_argument("--output", help="file to write ('-': standard output)")
    parser.add_argument("--json", action="store_true", help="say what was written as JSON")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--publish",
        dest="publish",
        action="store_true",
        default=None,
        help="hide small counts (default for html and pdf)",
    )
    group.add_argument(
        "--internal",
        dest="publish",
        action="store_false",
        help="show every count (default for csv and xlsx)",
    )
    parser.set_defaults(func=write_report)


def _register_sent(subparsers: Any) -> None:
    text = "record that a periodic report was sent to its recipient (the board then shows it sent)"
    parser = subparsers.add_parser("report-sent", help=text, description=text)
    parser.add_argument("duty", help="the report, as in reporting.toml: six_monthly or yearly")
    parser.add_argument("year", type=int, help="the year the report is due in, e.g. 2026")
    parser.add_argument(
        "--on", type=date.fromisoformat, help="the day it was sent (default: today)"
    )
    parser.add_argument("--reference", default="", help="the dispatch number, e.g. 45/BC-SYT")
    parser.add_argument("--by", default="", help="who sent it (an office, not a child's data)")
    parser.add_argument("--file", type=Path, help="the file sent: its SHA-256 is kept")
    parser.add_argument(
        "--as-of", type=parse_instant, help="the instant the report sent was taken as of"
    )
    parser.add_argument("--recipient", default="", help="default: the recipient on the due date")
    add_lang_option(parser)
    parser.add_argument("--json", action="store_true", help="say what was recorded as JSON")
    parser.set_defaults(func=record_sent)


def write_report(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    t = people(args, settings)
    try:
        request = ReportRequest(
            period=parse_period(args.period),
            format=args.format,
            lang=t.lang,
            area=args.area,
            as_of=args.as_of,
            publish=args.publish,
        )
        content, report = make_report(settings, request)
    except BadPeriod as error:
        raise UserError(error.reason, t.gettext(error.template).format(text=error.text)) from None
    except FontsMissing as error:
        raise UserError(error.reason, str(error)) from None
    if args.output == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return 0
    target = Path(args.output or file_name(request))
    target.write_bytes(content)
    said = {
        "written": str(target),
        "as_of": report.as_of.isoformat(),
        "events": report.events,
        "published": report.published,
        "reproduce": f"--as-of {report.as_of.isoformat()}",
    }
    if args.json:
        print_json(said)
    else:
        print(_written_line(t, said))
    return 0


def _written_line(t: Translator, said: dict[str, Any]) -> str:
    kind = t.gettext("published") if said["published"] else t.gettext("internal")
    line = t.gettext(
        "Wrote {file} ({kind}): data as of {at}, {events} case-events; "
        "the same report again: --as-of {as_of}"
    )
    at = t.datetime(datetime.fromisoformat(said["as_of"]), seconds=True)
    return line.format(
        file=said["written"], kind=kind, at=at, events=t.number(said["events"]),
        as_of=said["as_of"],
    )  # fmt: skip


def record_sent(args: argparse.Namespace) -> int:
    from services.reporting.application import ReportingService
    from services.reporting.domainmodel import Sending

    settings = settings_for(args)
    t = people(args, settings)
    today = datetime.now(UTC).astimezone(t.zone).date()
    sending = Sending(
        args.duty, args.year, args.on or today, args.recipient, args.reference, args.by,
        _digest(args.file), args.as_of.isoformat() if args.as_of else "",
    )  # fmt: skip
    service = ReportingService.from_settings(settings)
    try:
        recorded = service.record_sent(sending, today)
    except ReportingError as error:
        raise UserError(error.reason, str(error)) from None
    finally:
        service.close()
    if args.json:
        print_json(_sent_json(recorded))
    else:
        print(_sent_line(t, settings, recorded))
    return 0


def _digest(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise UserError(
            "unreadable_file", f"cannot read {str(path)!r} ({error.strerror}); give the file sent"
        ) from None


def _sent_json(sending: Sending) -> dict[str, Any]:
    return {
        "duty": sending.duty,
        "year": sending.year,
        "sent_on": sending.sent_on.isoformat(),
        "recipient": sending.recipient,
        "reference": sending.reference,
        "sha256": sending.digest,
    }


def _sent_line(t: Translator, settings: Settings, sending: Sending) -> str:
    from projections.statistics.duties import load_reporting

    reporting = load_reporting(settings.config_dir)
    duty = next(d for d in reporting.duties if d.id == sending.duty)
    names = {r.id: (r.name_vi if t.lang == "vi" else r.name_en) for r in reporting.recipients}
    line = t.gettext("Recorded: {report} {year} sent to {recipient} on {day}")
    return line.format(
        report=duty.name_vi if t.lang == "vi" else duty.name_en,
        year=sending.year,
        recipient=names.get(sending.recipient, sending.recipient),
        day=t.date(sending.sent_on),
    )
