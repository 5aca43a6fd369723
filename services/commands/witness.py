"""``backbone witness``: an agency's witness of the audit log, cosigning checkpoints and raising
an alarm on a fork, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
from typing import Any

from services.audit.wiring import witness_for
from services.commands.common import settings_for
from services.ops.health import watch

ALARMED = 3  # the exit code when the witness saw the log fork or shrink


def register(subparsers: Any) -> None:
    text = "run as a witness for an agency: cosign checkpoints, raise an alarm on a fork"
    witness = subparsers.add_parser("witness", help=text, description=text)
    witness.add_argument("--agency", required=True)
    witness.add_argument("--interval", type=float, default=5.0, help="seconds between looks")
    witness.add_argument("--once", action="store_true", help="look once and exit")
    witness.add_argument(
        "--no-publish", action="store_true", help="keep cosignatures in the store only (no broker)"
    )
    witness.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    stop = watch(settings, "witness")
    alarmed = False
    with witness_for(settings, args.agency, publish=not args.no_publish) as witness:
        witness.resume()
        while not stop.stopped:
            outcome = witness.step()
            alarmed = alarmed or outcome.kind == "alarm"
            if args.once or stop.wait(args.interval):
                break
    return ALARMED if alarmed else 0
