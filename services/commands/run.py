"""``backbone run``: the whole backbone on the embedded default, until SIGTERM or Ctrl-C.

The terminal is kept for people: short progress lines while the parts start, then the next
steps, then the stalled board refreshed in place. Every process (this one included) logs to
``HOME/logs/``. One ``run`` per home (a lock); the local broker is stopped on exit only when
this run started it.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import time
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import make_url

from deploy.kafka.cluster import local_kafka
from deploy.kafka.launcher import cache_root
from services.commands.board import BoardScreen
from services.commands.common import add_lang_option
from services.commands.errors import UserError
from services.commands.serve import url_of
from services.kafka.provision import provision
from services.kafka.selfcheck import round_trip
from services.runtime.kafkaclients import broker_endpoint
from services.runtime.logs import configure_logging, get_logger
from services.runtime.settings import Settings, load_settings
from services.runtime.supervisor import StopFlag, Supervisor

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
LOCK_FILE = "run.lock"
LOG_DIR = "logs"


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
        default=5.0,
        help="refresh the stalled board every this many seconds (0: never)",
    )
    add_lang_option(parser)
    parser.set_defaults(func=run)


def say(text: str) -> None:
    """One progress line for the person at the terminal."""
    print(text, flush=True)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    home = settings.home.resolve()
    logs = home / LOG_DIR
    logs.mkdir(parents=True, exist_ok=True)
    lock = hold_run_lock(home)
    with (logs / "run.log").open("a", encoding="utf-8") as own_log:
        configure_logging(settings.log_level, settings.log_format, stream=own_log)
        try:
            return _run(args, settings, home, logs)
        finally:
            lock.close()


def hold_run_lock(home: Path) -> IO[str]:
    """Take the home's run lock for this process's life; refuse when another run holds it."""
    home.mkdir(parents=True, exist_ok=True)
    handle = (home / LOCK_FILE).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise UserError(
            "already_running",
            f"the backbone is already running on {home} (pid {holder}); watch it in its "
            "terminal, stop it there with Ctrl-C, or run another one with a different "
            "BACKBONE_HOME",
        ) from None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _run(args: argparse.Namespace, settings: Settings, home: Path, logs: Path) -> int:
    stop = StopFlag().install()
    local = None if settings.kafka_bootstrap_servers else local_kafka(home / "kafka")
    started_broker = False
    if local is not None:
        started_broker = not local.status()["running"]
        if started_broker:
            first = not any(cache_root().glob("kafka-*/lib/kafka_2.13-*.jar"))
            say(
                "Starting the local Kafka broker"
                + (" (first time: Maven fetches Kafka, about 30 s)..." if first else "...")
            )
        log.info("kafka.starting", home=str(local.home))
        endpoint = local.start()
        log.info("kafka.ready", bootstrap_servers=endpoint.bootstrap_servers)
        say(f"Broker ready at {endpoint.bootstrap_servers}.")
    try:
        processes = _processes(args.no_simulator)
        return _serve(args, settings, stop, processes, logs)
    finally:
        if local is not None and started_broker and not args.keep_broker:
            say("Stopping the local broker this run started...")
            local.stop()
            log.info("kafka.stopped")


def _processes(no_simulator: bool) -> dict[str, list[str]]:
    """The processes to start: all of PROCESSES, or all but the simulated province."""
    return {
        name: argv for name, argv in PROCESSES.items() if not (no_simulator and name == "simulator")
    }


def _serve(
    args: argparse.Namespace,
    settings: Settings,
    stop: StopFlag,
    processes: dict[str, list[str]],
    logs: Path,
) -> int:
    say("Provisioning the agencies' topics and users (first time: ~1 s per agency)...")
    round_trip(broker_endpoint(settings), f"{settings.topic_prefix}.selfcheck")
    provision(settings)
    supervisor = Supervisor(env=dict(os.environ))
    for name, argv in processes.items():
        supervisor.start(name, argv, logs / f"{name}.log")
    say(f"Started {', '.join(processes)}.")
    say(_next_steps(settings, logs))
    say(f"Supervisors' dashboard: {url_of(settings)}")
    say(f"Agency API: {url_of(settings)}api/docs")
    log.info("backbone.running", processes=sorted(processes), duration=args.duration or None)
    failed = _watch(args, settings, stop, supervisor)
    say("Stopping the processes...")
    codes = supervisor.stop()
    log.info("backbone.stopped", exit_codes=codes, failed=failed)
    if failed:
        names = ", ".join(f"{name} ({logs / (name + '.log')})" for name in failed)
        say(f"Stopped because a process failed: {names}")
    return 1 if failed else 0


def _watch(
    args: argparse.Namespace, settings: Settings, stop: StopFlag, supervisor: Supervisor
) -> list[str]:
    """Keep the board up to date until the duration is over, a stop or a failed process."""
    started = time.monotonic()
    deadline = started + args.duration if args.duration else None
    every = args.board_every
    next_board = started if every else None
    with BoardScreen(settings, args) as screen:
        while not stop.wait(0.5):
            failed = supervisor.failed()
            now = time.monotonic()
            if failed:
                return failed
            if deadline is not None and now >= deadline:
                break
            if next_board is not None and now >= next_board:
                screen.refresh()
                next_board = now + every
    return []


def _next_steps(settings: Settings, logs: Path) -> str:
    home = settings.home.resolve()
    url = make_url(settings.effective_database_url)
    data = url.database if url.get_backend_name() == "sqlite" else url.render_as_string()
    env = "" if home == Path(".backbone").resolve() else f"  export BACKBONE_HOME={home}"
    return "\n".join(
        [
            "",
            f"Logs: {logs}/",
            "  (run.log and one file per process: relay.log, intake.log, web.log, ...)",
            f"Data: {data}",
            f"Broker data: {home / 'kafka'}",
            "In another terminal, try:",
            *([env] if env else []),
            "  backbone stalled                 who must act on overdue cases",
            "  backbone case CASE_ID            one case's timeline",
            "  backbone verify CASE_ID          check a case's hash chain",
            "  backbone agencies list           the agencies",
            f"Stop: Ctrl-C here (or kill -TERM {os.getpid()})",
            "",
        ]
    )
