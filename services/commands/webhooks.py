"""``backbone webhooks deliver``: POST agencies' inbox messages and alerts to their webhooks."""

from __future__ import annotations

import argparse
from typing import Any

from services.commands.common import add_command_group, settings_for
from services.ops.health import watch


def register(subparsers: Any) -> None:
    text = "POST agencies' inbox messages and alerts to their webhooks (signed, retried)"
    verbs = add_command_group(subparsers, "webhooks", text)
    verbs.add_parser("deliver", help=text, description=text).set_defaults(func=deliver)


def deliver(args: argparse.Namespace) -> int:
    from services.kafka.wiring import build_deliverer

    settings = settings_for(args)
    build_deliverer(settings).run(watch(settings, "webhooks"))
    return 0
