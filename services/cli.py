"""The ``backbone`` command: one sub-command per use, each with ``--help``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from deploy.process import private_umask

# Each module adds its sub-commands with ``register(subparsers)``.
COMMAND_MODULES = (
    "services.commands.run",
    "services.commands.infra",
    "services.commands.relay",
    "services.commands.cases",
    "services.commands.agency",
    "services.commands.simulate",
    "services.commands.projections",
    "services.commands.audit",
    "services.commands.report",
    "services.commands.serve",
    "services.commands.users",
    "services.commands.api",
    "services.commands.backup",
    "services.commands.status",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backbone",
        description="Referral Backbone: one shared case history for child-protection agencies.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from services.commands.errors import INTERRUPTED, run_guarded

    # Whatever this process and its children write (store, logs, keys) is the owner's only.
    private_umask()
    try:
        args = build_parser().parse_args(argv)
        return run_guarded(args)
    except KeyboardInterrupt:  # Ctrl-C while starting up: quiet too
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
