"""``backbone run``: the whole backbone on the embedded default, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from deploy.kafka.launcher import LocalKafka
from services.commands.board import show_board
from services.commands.common import settings_for
from services.commands.serve import url_of
from services.kafka.clients import broker_endpoint
from services.kafka.provision import provision
from services.kafka.selfcheck import round_trip
from services.logs import get_logger
from services.settings import Settings
from services.supervisor import StopFlag, Supervisor

log = get_logger(__name__)

# The long-running processes of the backbone, as ``backbone`` sub-command arguments.
PROCESSES: dict[str, list[str]] = {
    "relay": ["relay"],
    "intake": ["intake"],
    "simulator": ["simulate"],
    "projections": ["projections", "run"],
    "checkpointer": ["audit", "checkpointer"],
    "alerts": ["alerts", "route"],
    "web": ["serve"],
}


def register(subparsers: Any) -> None:
    text = "run the backbone: local broker, store, processes (and the simulated province)"
    parser = subparsers.add_parser("run", help=text, description=text)
    parser.add_argument(
        "--duration",
        type=float,
        default=0.0,
        help="stop by itself after this many seconds (0: run until stopped)",
    )
    parser.add_argument(
        "--keep-broker", action="store_true", help="leave the local broker running on exit"
    )
    parser.add_argument(
        "--no-simulator", action="store_true", help="do not start the simulated province"
    )
    parser.add_argument(
        "--board-every",
        type=float,
        default=20.0,
        help="print the stalled board every this many seconds (0: never)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    stop = StopFlag().install()
    local = None if settings.kafka_bootstrap_servers else LocalKafka(settings.home / "kafka")
    if local is not None:
        log.info("kafka.starting", home=str(local.home))
        log.info("kafka.ready", bootstrap_servers=local.start().bootstrap_servers)
    try:
        processes = _processes(args.no_simulator)
        return _serve(settings, stop, args.duration, processes, args.board_every)
    finally:
        if local is not None and not args.keep_broker:
            local.stop()
            log.info("kafka.stopped")


def _processes(no_simulator: bool) -> dict[str, list[str]]:
    """The processes to start: all of PROCESSES, or all but the simulated province."""
    return {
        name: argv for name, argv in PROCESSES.items() if not (no_simulator and name == "simulator")
    }


def _serve(
    settings: Settings,
    stop: StopFlag,
    duration: float,
    processes: dict[str, list[str]],
    board_every: float,
) -> int:
    endpoint = broker_endpoint(settings)
    round_trip(endpoint, f"{settings.topic_prefix}.selfcheck")
    provision(settings)
    supervisor = Supervisor(env=dict(os.environ))
    for name, argv in processes.items():
        supervisor.start(name, argv)
    log.info("backbone.running", processes=sorted(processes), duration=duration or None)
    print(f"Supervisors' dashboard: {url_of(settings)}", flush=True)
    started = time.monotonic()
    deadline = started + duration if duration else None
    next_board = started + board_every if board_every else None
    failed: list[str] = []
    while not stop.wait(1.0):
        failed = supervisor.failed()
        if failed or (deadline is not None and time.monotonic() >= deadline):
            break
        if next_board is not None and time.monotonic() >= next_board:
            show_board(settings)
            next_board += board_every
    codes = supervisor.stop()
    log.info("backbone.stopped", exit_codes=codes, failed=failed)
    return 1 if failed else 0
