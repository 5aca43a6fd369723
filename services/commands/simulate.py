"""``backbone simulate``: a simulated Ninh Thuận province publishing case flows over Kafka."""

from __future__ import annotations

import argparse
import secrets
from typing import Any

from services.commands.common import settings_for
from services.ops.health import watch
from services.runtime.logs import get_logger
from services.simulator.runner import Options
from services.simulator.wiring import AgencyClients, build_simulator

log = get_logger(__name__)
EPILOG = """Time scheme: every case is released with its story back-dated (it began hours to
months ago). Steps whose time is past are published at once with their back-dated occurred_at;
steps still in the future are published SPEED times faster than planned, with the publication
instant as occurred_at (never in the future). Some cases have a late step (stalled, then
recovering within --recover-within seconds) or a missing one (stays stalled). Needs provisioned
agency credentials (services.kafka.provision: topics, users, keys)."""


def register(subparsers: Any) -> None:
    text = "simulate the province's agencies publishing realistic case flows over Kafka"
    parser = subparsers.add_parser(
        "simulate",
        help=text,
        description=text,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--cases", type=_count, default=0, help="cases to tell (default 0: no limit)")
    add("--rate", type=_positive, default=20.0, help="new cases per minute (default 20)")
    add("--seed", type=int, default=None, help="random seed (default: a fresh one, logged)")
    add(
        "--speed",
        type=_at_least(1),
        default=3600.0,
        help="simulated seconds per real second for steps still to come (default 3600)",
    )
    add(
        "--duration",
        type=_at_least(0),
        default=0.0,
        help="stop after this many seconds (default 0: run until stopped or done)",
    )
    add(
        "--recover-within",
        type=_positive,
        default=90.0,
        help="seconds within which a just-overdue late step arrives (default 90)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    stop = watch(settings, "simulator")
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    options = Options(
        cases=args.cases,
        rate=args.rate,
        speed=args.speed,
        duration=args.duration,
        recover_within=args.recover_within,
    )
    log.info(
        "simulator.starting",
        seed=seed,
        cases=options.cases,
        rate=options.rate,
        speed=options.speed,
        duration=options.duration,
    )
    clients = AgencyClients(settings)
    try:
        build_simulator(settings, options, seed, clients).run(stop)
    finally:
        clients.close()
    return 0


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _at_least(low: float) -> Any:
    def check(text: str) -> float:
        value = float(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low:g}")
        return value

    return check
