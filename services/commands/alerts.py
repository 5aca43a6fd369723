"""``backbone alerts``: route the projections' alerts to the supervising agencies (a process),
and e-mail each supervisor the stalled cases of its area (once)."""

from __future__ import annotations

import argparse
from typing import Any

from services.cases.agencies import load_agencies
from services.commands.common import add_command_group, print_json, settings_for
from services.ops.health import watch


def register(subparsers: Any) -> None:
    text = "alerts to supervising agencies: copy each to backbone.alerts.<agency> it names"
    verbs = add_command_group(subparsers, "alerts", text)
    verbs.add_parser("route", help=text, description=text).set_defaults(func=route_alerts)
    text = "e-mail each supervisor of deploy/config/digest.toml the stalled cases of its area"
    verbs.add_parser("email-digest", help=text, description=text).set_defaults(func=email_digest)


def route_alerts(args: argparse.Namespace) -> int:
    from services.kafka.wiring import build_alert_router

    settings = settings_for(args)
    build_alert_router(settings).run(watch(settings, "alerts"))
    return 0


def email_digest(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from projections.queries import Filters, stalled_cases
    from projections.readmodel import ReadModel
    from services.cases.agencies import Agency
    from services.digest import load_recipients, send_digests
    from services.runtime.database import read_model_db

    settings = settings_for(args)
    agencies = load_agencies(settings.config_dir)
    db, now = read_model_db(settings), datetime.now(UTC)
    model = ReadModel().create(db)

    def stalled_in(agency: Agency) -> list[Any]:
        area = None if agency.area == "00" else agency.area
        with db.connect() as conn:
            return stalled_cases(conn, model, now, filters=Filters(area=area))

    recipients = load_recipients(settings.config_dir, agencies)
    sent = send_digests(settings, recipients, stalled_in, now, str(agencies.zone))
    print_json({"sent": sent})
    return 0
