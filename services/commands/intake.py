"""``backbone intake``: apply the agencies' submissions to the store, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
from typing import Any

from services.commands.common import settings_for
from services.kafka.intake_wiring import run_intake
from services.ops.health import watch


def register(subparsers: Any) -> None:
    text = "apply the agencies' submissions to the store; rejections go back to each agency"
    subparsers.add_parser("intake", help=text, description=text).set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    run_intake(settings, watch(settings, "intake"))
    return 0
