"""What every sub-command needs: the settings and the logger, set up once."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from deploy.process import tighten
from services.logs import configure_logging
from services.settings import Settings, load_settings


def settings_for(args: argparse.Namespace) -> Settings:
    """Read the environment once and configure logging for this process."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    # A home made by an earlier version (or another umask) becomes owner-only again.
    tighten(settings.home)
    return settings


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def parse_instant(text: str) -> datetime:
    """An ISO date or time from the command line; UTC when it names no zone."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
