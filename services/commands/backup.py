"""``backbone backup --output DIR`` and ``backbone restore DIR``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.commands.common import print_json, settings_for
from services.ops.backup import BackupError, backup, restore


def register(subparsers: Any) -> None:
    text = "write a consistent copy of the store, with its keys kept apart"
    parser = subparsers.add_parser("backup", help=text, description=text)
    parser.add_argument("--output", type=Path, required=True, help="a new, empty directory")
    parser.add_argument("--keys", type=Path, help="where the keys go (default OUTPUT/keys)")
    parser.set_defaults(func=_backup)
    text = "bring a backup back into an empty home and re-apply the erasure list"
    parser = subparsers.add_parser("restore", help=text, description=text)
    parser.add_argument("source", type=Path, help="a directory written by backbone backup")
    parser.add_argument("--keys", type=Path, help="where its keys are (default SOURCE/keys)")
    parser.set_defaults(func=_restore)


def _backup(args: argparse.Namespace) -> int:
    return _answer(lambda: backup(settings_for(args), args.output, args.keys))


def _restore(args: argparse.Namespace) -> int:
    return _answer(lambda: restore(settings_for(args), args.source, args.keys))


def _answer(work: Callable[[], dict[str, Any]]) -> int:
    """Print the result, or the reason and a sentence (exit 2): never a traceback."""
    try:
        print_json(work())
    except BackupError as error:
        print_json({"error": error.reason, "detail": str(error)})
        return 2
    return 0
