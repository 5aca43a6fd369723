"""``backbone kafka|postgres start|stop|status``: the local real parts."""

from __future__ import annotations

import argparse
from typing import Any

from deploy.kafka.launcher import LocalKafka
from deploy.postgres.launcher import LocalPostgres
from services.commands.common import print_json, settings_for


def register(subparsers: Any) -> None:
    for part, helptext in (
        ("kafka", "the local Apache Kafka broker (KRaft, from Maven Central)"),
        ("postgres", "the local private PostgreSQL cluster"),
    ):
        parser = subparsers.add_parser(part, help=helptext, description=helptext)
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for action in ("start", "stop", "status"):
            sub = actions.add_parser(
                action, help=f"{action} {part}", description=f"{action} {part}"
            )
            sub.set_defaults(func=_handler(part, action))


def _handler(part: str, action: str) -> Any:
    def handle(args: argparse.Namespace) -> int:
        settings = settings_for(args)
        launcher: LocalKafka | LocalPostgres = (
            LocalKafka(settings.home / "kafka")
            if part == "kafka"
            else LocalPostgres(settings.home / "postgres")
        )
        if action == "start":
            started = launcher.start()
            print_json({"started": part, "endpoint": _public(started)})
        elif action == "stop":
            launcher.stop()
            print_json({"stopped": part})
        else:
            print_json(launcher.status())
        return 0

    return handle


def _public(started: object) -> object:
    """What may be printed of an endpoint: never a password."""
    if isinstance(started, str):
        return started.split("@")[-1]
    return getattr(started, "bootstrap_servers", None)
