"""Run ``backbone`` sub-commands as real processes with a test's settings, to kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from services.runtime.settings import Settings


def env_for(settings: Settings) -> dict[str, str]:
    """The BACKBONE_* variables that reproduce ``settings`` in a child process."""
    return {**os.environ, **settings.as_environment()}


def spawn(settings: Settings, *args: str, log: Path) -> subprocess.Popen[bytes]:
    """Start ``backbone ARGS`` in its own process, output to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            backbone_argv(*args),
            env=env_for(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(processes: list[subprocess.Popen[bytes]], timeout: float = 30) -> None:
    """SIGTERM them all at once (they stop side by side), then wait for each; kill what is
    still running after ``timeout`` seconds."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


def backbone_argv(*args: str) -> list[str]:
    """``backbone ARGS`` as this interpreter runs it (the checkout's code, not an install)."""
    return [sys.executable, "-m", "services.cli", *args]


def run(
    settings: Settings, *args: str, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``backbone ARGS`` to completion with ``settings`` (``stdin`` typed into it, if
    given); capture its output."""
    return subprocess.run(
        backbone_argv(*args),
        env=env_for(settings),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_in_terminal(settings: Settings, *args: str, timeout: float = 120) -> tuple[int, str]:
    """Run ``backbone ARGS`` in a pseudo-terminal, as a person at a terminal would; its exit
    code and everything it wrote to the terminal (stdout and stderr, as the person sees it)."""
    import pty
    import select
    import time

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        backbone_argv(*args),
        env=env_for(settings),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    seen, deadline = bytearray(), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            chunk = _read(controller) if ready else b""
            seen += chunk
            if ready and not chunk:
                break
        return proc.wait(timeout=max(1.0, deadline - time.monotonic())), seen.decode()
    finally:
        os.close(controller)
        if proc.poll() is None:
            proc.kill()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal closed: the process has exited
        return b""
