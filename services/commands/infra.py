"""``backbone kafka|postgres start|stop|status``: the local real parts."""

from __future__ import annotations

import argparse
from typing import Any

from deploy.kafka.cluster import LocalKafkaCluster, local_kafka, start_local
from deploy.kafka.launcher import LocalKafka
from deploy.postgres.launcher import LocalPostgres
from services.commands.common import add_command_group, print_json, settings_for


def register(subparsers: Any) -> None:
    for part, helptext in (
        ("kafka", "the local Apache Kafka broker (KRaft, from Maven Central)"),
        ("postgres", "the local private PostgreSQL cluster"),
    ):
        actions = add_command_group(subparsers, part, helptext)
        for action in ("start", "stop", "status"):
            sub = actions.add_parser(
                action, help=f"{action} {part}", description=f"{action} {part}"
            )
            sub.set_defaults(func=_handler(part, action), brokers=1)
            if part == "kafka" and action == "start":
                sub.add_argument(
                    "--brokers",
                    type=int,
                    default=1,
                    choices=range(1, 10),
                    metavar="N",
                    help="KRaft nodes on loopback (3: a replicated cluster); default 1",
                )


def _handler(part: str, action: str) -> Any:
    def handle(args: argparse.Namespace) -> int:
        settings = settings_for(args)
        launcher: LocalKafka | LocalKafkaCluster | LocalPostgres = (
            local_kafka(settings.home / "kafka")
            if part == "kafka"
            else LocalPostgres(settings.home / "postgres")
        )
        if action == "start":
            started = (
                start_local(settings.home / "kafka", args.brokers)
                if part == "kafka"
                else launcher.start()
            )
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
