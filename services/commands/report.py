"""``backbone report``: the periodic report of a period, as CSV, Excel, HTML or PDF.

It reads the read model only. The report states the instant its data was taken as of; giving
that instant back with ``--as-of`` reproduces the same figures (and the same CSV bytes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from projections.statistics.period import BadPeriod, parse_period
from services.commands.common import parse_instant, print_json, settings_for
from services.reports import FORMATS, ReportRequest, file_name, make_report
from services.reports.render_pdf import FontsMissing
from services.runtime.i18n import LANGUAGES, UnknownLanguage, language


def register(subparsers: Any) -> None:
    text = "write the periodic report of a period (tables by area, trends, legal basis)"
    parser = subparsers.add_parser("report", help=text, description=text)
    parser.add_argument(
        "--period", required=True, help="2026, 2026-H1, 2026-Q2, 2026-03 or 2026-01-01..2026-03-31"
    )
    parser.add_argument("--area", help="a province, district or commune code (default: all)")
    parser.add_argument("--format", choices=FORMATS, default="csv")
    parser.add_argument("--lang", default="vi", help=f"one of {', '.join(LANGUAGES)}")
    parser.add_argument("--as-of", type=parse_instant, help="take the data as recorded by then")
    parser.add_argument("--output", help="file to write ('-': standard output)")
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


def write_report(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    try:
        request = ReportRequest(
            period=parse_period(args.period),
            format=args.format,
            lang=language(args.lang),
            area=args.area,
            as_of=args.as_of,
            publish=args.publish,
        )
        content, report = make_report(settings, request)
    except (BadPeriod, UnknownLanguage, FontsMissing) as error:
        print_json({"error": error.reason, "detail": str(error)})
        return 2
    if args.output == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return 0
    target = Path(args.output or file_name(request))
    target.write_bytes(content)
    print_json(
        {
            "written": str(target),
            "as_of": report.as_of.isoformat(),
            "events": report.events,
            "published": report.published,
            "reproduce": f"--as-of {report.as_of.isoformat()}",
        }
    )
    return 0
