"""Runs the backbone's long-running processes side by side and stops them together."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.runtime.logs import get_logger

log = get_logger(__name__)


@dataclass
class Supervisor:
    """Start child commands; on stop, SIGTERM them all and wait for each to exit."""

    env: dict[str, str]
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, args: Sequence[str], log_file: Path | None = None) -> None:
        """Start ``backbone ARGS``; its output goes to ``log_file`` when one is given."""
        cmd = [sys.executable, "-m", "services.cli", *args]
        if log_file is None:
            self.children[name] = subprocess.Popen(cmd, env=self.env)
        else:
            with log_file.open("ab") as out:
                self.children[name] = subprocess.Popen(
                    cmd,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
        log.info("process.started", process=name, pid=self.children[name].pid)

    def failed(self) -> list[str]:
        return [n for n, p in self.children.items() if p.poll() not in (None, 0)]

    def stop(self, timeout: float = 30.0) -> dict[str, int]:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        codes: dict[str, int] = {}
        for name, child in self.children.items():
            try:
                codes[name] = child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                codes[name] = child.wait()
            log.info("process.stopped", process=name, exit_code=codes[name])
        return codes


class StopFlag:
    """Set by SIGTERM or SIGINT; long-running loops check it between batches."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def install(self) -> StopFlag:
        signal.signal(signal.SIGTERM, self._set)
        signal.signal(signal.SIGINT, self._set)
        return self

    def _set(self, signum: int, frame: object) -> None:
        log.info("process.stopping", signal=signal.Signals(signum).name)
        self._event.set()

    def set(self) -> None:
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return true when a stop was asked for."""
        return self._event.wait(seconds)
