"""``backbone relay``: publish recorded events to case-events and the agencies' inboxes."""

from __future__ import annotations

import argparse
from typing import Any

from services.commands.common import settings_for
from services.kafka.wiring import build_relay
from services.ops.health import watch


def register(subparsers: Any) -> None:
    text = "relay recorded events, in store order, to case-events and the agency inboxes"
    parser = subparsers.add_parser("relay", help=text, description=text)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    stop = watch(settings, "relay")
    relay = build_relay(settings)
    try:
        relay.run(stop, idle_wait=settings.poll_interval_ms / 1000)
    finally:
        relay.service.close()
    return 0
