"""Run ``backbone`` sub-commands as real processes with a test's settings, to kill them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from services.settings import Settings


def env_for(settings: Settings) -> dict[str, str]:
    """The BACKBONE_* variables that reproduce ``settings`` in a child process."""
    return {**os.environ, **settings.as_environment()}


def spawn(settings: Settings, *args: str, log: Path) -> subprocess.Popen[bytes]:
    """Start ``backbone ARGS`` in its own process, output to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", *args],
            env=env_for(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def run(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``backbone ARGS`` to completion with ``settings``; capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env_for(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
