"""``backbone run`` as a person watches it: in an 80-column terminal, a readable board.

The main job runs in a pseudo-terminal of 80 columns and 30 lines, as in a person's terminal
window. The screen must show the progress lines, where the logs are, the board with full case
ids (they must paste into ``backbone case``) and no JSON log line; a second ``run`` on the same
home is refused while the first runs.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

COLUMNS, LINES = 80, 30
# Cursor moves and erasures start a new place on the screen; colours and modes are dropped.
MOVES = re.compile(r"\x1b\[[0-9;?]*[ABCDEFGHJK]|\r")
STYLES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
CASE_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
CUT_ID = re.compile(r"\b[0-9a-f]{6,}…")


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "BACKBONE_HOME": str(home), "TERM": "xterm-256color"}
    env.pop("BACKBONE_KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


def _spawn_in_terminal(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        argv, env=env, stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True
    )
    os.close(terminal)
    return proc, controller


def _read_available(fd: int, wait: float) -> bytes:
    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal closed: the process has exited
        return b""


@pytest.mark.integration
def test_run_shows_a_readable_board_at_80_columns_and_refuses_a_second_run(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    argv = [sys.executable, "-m", "services.cli", "run", "--duration", "60", "--board-every", "2"]
    proc, fd = _spawn_in_terminal([*argv, "--lang", "en"], _env(home))
    screen = bytearray()
    second: subprocess.Popen[str] | None = None
    deadline = time.monotonic() + 300
    try:
        # Keep reading the terminal while the second run starts (a full terminal would block).
        while proc.poll() is None and time.monotonic() < deadline:
            screen += _read_available(fd, 0.5)
            if second is None and b"Stop: Ctrl-C" in screen:
                second = subprocess.Popen(
                    argv, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
        screen += _read_available(fd, 0.5)
        assert proc.wait(timeout=120) == 0, screen.decode(errors="replace")
        assert second is not None, "the first run never said it was running"
        second_out, second_err = second.communicate(timeout=120)
    finally:
        for process in (proc, second):
            if process is not None and process.poll() is None:
                process.kill()
        os.close(fd)

    # A redraw moves the cursor up and rewrites lines: each piece written is a line of its own.
    text = STYLES.sub("", MOVES.sub("\n", screen.decode("utf-8", errors="replace")))
    (tmp_path / "screen.txt").write_text(text, encoding="utf-8")  # for a person to look at
    lines = text.splitlines()
    assert "Starting the local Kafka broker" in text and "Broker ready at" in text
    assert f"Logs: {home.resolve() / 'logs'}/" in text and "backbone stalled" in text
    assert "open cases" in text and "Stalled cases as of" in text and "UTC+07:00" in text
    assert not [line for line in lines if line.lstrip().startswith("{")], "JSON log on screen"
    assert not CUT_ID.search(text), "a case id was cut"
    # Paths stay whole (to be copied); every other line fits the terminal.
    board = [line for line in lines if str(home.resolve()) not in line]
    assert all(len(line) <= COLUMNS for line in board), max(board, key=len)
    stalled = re.findall(r"open cases, (\d+) stalled", text)
    if stalled and int(stalled[-1]) > 0:
        assert CASE_ID.search(text), "a stalled case is shown without its full id"
    assert "backbone.running" in (home / "logs" / "run.log").read_text()

    assert second.returncode == 2 and "Traceback" not in second_err and second_out == ""
    assert "already running" in second_err and str(home.resolve()) in second_err
    # The broker this run started is stopped with it.
    assert "pid" not in json.loads((home / "kafka" / "state.json").read_text())
