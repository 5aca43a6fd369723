"""The ``backbone`` command: one sub-command per use, each with ``--help``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from deploy.process import private_umask

# Each module adds its sub-commands with ``register(subparsers)``; the table says which, so a
# command imports only its own module (the dashboard's, the reports' and the API's libraries
# take seconds to import, and agencies' scripts run ``backbone`` often). A unit test keeps the
# table equal to what each module registers.
COMMANDS: dict[str, tuple[str, ...]] = {
    "services.commands.run": ("run",),
    "services.commands.infra": ("kafka", "postgres"),
    "services.commands.relay": ("relay",),
    "services.commands.cases": ("history", "verify", "forget"),
    "services.commands.intake": ("intake",),
    "services.commands.agency": ("agencies", "submit", "inbox", "rejections"),
    "services.commands.simulate": ("simulate",),
    "services.commands.projections": ("projections", "stalled", "case"),
    "services.commands.audit": ("audit",),
    "services.commands.witness": ("witness",),
    "services.commands.report": ("report", "report-sent"),
    "services.commands.serve": ("serve",),
    "services.commands.users": ("users",),
    "services.commands.api": ("api",),
    "services.commands.alerts": ("alerts",),
    "services.commands.webhooks": ("webhooks",),
    "services.commands.backup": ("backup", "restore"),
    "services.commands.status": ("status",),
}
COMMAND_MODULES = tuple(COMMANDS)


def modules_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The command modules that parsing ``argv`` needs: the chosen command's, else all of them
    (for ``--help``, or a typo that argparse answers with the list of commands)."""
    known = {name for names in COMMANDS.values() for name in names}
    chosen = next((arg for arg in argv if arg in known), None)
    owners = tuple(module for module, names in COMMANDS.items() if chosen in names)
    return owners or COMMAND_MODULES


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backbone",
        description="Referral Backbone: one shared case history for child-protection agencies.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = COMMAND_MODULES if argv is None else modules_for(argv)
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from services.commands.errors import INTERRUPTED, run_guarded

    # Whatever this process and its children write (store, logs, keys) is the owner's only.
    private_umask()
    try:
        given = sys.argv[1:] if argv is None else list(argv)
        args = build_parser(given).parse_args(given)
        return run_guarded(args)
    except KeyboardInterrupt:  # Ctrl-C while starting up: quiet too
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
