"""``backbone run`` as a person watches it: in an 80-column terminal, a readable board.

The main job runs in a pseudo-terminal of 80 columns and 30 lines, as in a person's terminal
window. The test watches until the simulated province's stalls reach the board and it has been
redrawn since, then presses Ctrl-C. The screen must show the progress lines, where the logs are,
no JSON log line, and a board redrawn in place whose rows a supervisor can act on: whole case ids
that paste into ``backbone case``, the agencies that must act by name and id (agencies that exist
today), due times on the province's clock; a second ``run`` on the same home is refused while the
first runs.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.cases.agencies import load_agencies
from services.runtime.settings import DEFAULT_CONFIG_DIR

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


AGENCY_ID = re.compile(r"\(([a-z0-9]+(?:-[a-z0-9]+)+)\)")
EN_TIME = re.compile(r"\b\d{1,2} [A-Z][a-z]{2,3} \d{4} \d{2}:\d{2}\b")  # "3 Dec", "10 Sept" (CLDR)
BOARD_TITLE = "Stalled cases as of"


def _text(screen: bytes) -> str:
    """What a person sees: a redraw moves the cursor up and rewrites lines, so each piece
    written is a line of its own; colours and modes are dropped."""
    return STYLES.sub("", MOVES.sub("\n", screen.decode("utf-8", errors="replace")))


def _latest_board(text: str) -> str:
    """The last board drawn in full (the one before the last title, which may be half drawn)."""
    boards = text.split(BOARD_TITLE)
    return boards[-2] if len(boards) > 2 else ""


def _has_rows(board: str) -> bool:
    return bool(CASE_ID.search(board) and AGENCY_ID.search(board))


@pytest.mark.integration
@pytest.mark.timeout(900)  # a first start fetches Kafka; on a busy machine rows take minutes
def test_run_shows_a_readable_board_at_80_columns_and_refuses_a_second_run(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    argv = [sys.executable, "-m", "services.cli", "run", "--duration", "840", "--board-every", "2"]
    proc, fd = _spawn_in_terminal([*argv, "--lang", "en"], _env(home))
    screen = bytearray()
    second: subprocess.Popen[str] | None = None
    rows_seen_in: int | None = None  # how many boards had been drawn when rows first showed
    deadline = time.monotonic() + 600
    try:
        # Keep reading the terminal while the second run starts (a full terminal would block),
        # until the simulated province's stalls are on the board and it has been redrawn since.
        while proc.poll() is None and time.monotonic() < deadline:
            screen += _read_available(fd, 0.5)
            if second is None and b"Stop: Ctrl-C" in screen:
                second = subprocess.Popen(
                    argv, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
            drawn = screen.count(BOARD_TITLE.encode())
            if rows_seen_in is None and _has_rows(_latest_board(_text(bytes(screen)))):
                rows_seen_in = drawn
            if rows_seen_in is not None and drawn >= rows_seen_in + 2 and second is not None:
                proc.send_signal(signal.SIGINT)  # Ctrl-C, as the screen says
                break
        while proc.poll() is None and time.monotonic() < deadline + 120:
            screen += _read_available(fd, 0.5)
        screen += _read_available(fd, 0.5)
        assert proc.wait(timeout=10) == 0, _text(bytes(screen))[-3000:]
        assert second is not None, "the first run never said it was running"
        second_out, second_err = second.communicate(timeout=120)
    finally:
        _stop(proc, second)
        os.close(fd)

    text = _text(bytes(screen))
    (tmp_path / "screen.txt").write_text(text, encoding="utf-8")  # for a person to look at
    lines = text.splitlines()
    assert "Starting the local Kafka broker" in text and "Broker ready at" in text
    assert f"Logs: {home.resolve() / 'logs'}/" in text and "backbone stalled" in text
    assert not [line for line in lines if line.lstrip().startswith("{")], "JSON log on screen"
    assert not CUT_ID.search(text), "a case id was cut"
    # Paths stay whole (to be copied); every other line fits the terminal.
    board_lines = [line for line in lines if str(home.resolve()) not in line]
    assert all(len(line) <= COLUMNS for line in board_lines), max(board_lines, key=len)
    assert "backbone.running" in (home / "logs" / "run.log").read_text()

    # The board is redrawn in place (the cursor goes back up), not scrolled as new text.
    assert rows_seen_in is not None, "no stalled case reached the board:\n" + text[-3000:]
    assert re.search(rb"\x1b\[\d*A", bytes(screen)), "the board is not redrawn in place"
    _assert_a_supervisor_can_act_on(_latest_board(text), home)

    assert second.returncode == 2 and "Traceback" not in second_err and second_out == ""
    # The second run was started without --lang: the refusal is in Vietnamese, the default.
    assert "hệ thống đã đang chạy" in second_err and str(home.resolve()) in second_err
    # The broker this run started is stopped with it.
    assert "pid" not in json.loads((home / "kafka" / "state.json").read_text())


def _stop(*processes: subprocess.Popen[bytes] | subprocess.Popen[str] | None) -> None:
    """Stop what is still running as its screen says (SIGTERM: the run stops its processes and
    its broker), and kill only what does not stop within a minute."""
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def _assert_a_supervisor_can_act_on(board: str, home: Path) -> None:
    """Rows with whole case ids that paste into ``backbone case``, agencies that exist today by
    name and id, and due times on the province's clock."""
    counts = re.findall(r"(\d+) open cases, (\d+) stalled", board)
    assert counts and int(counts[-1][1]) > 0, board
    assert "(UTC+07:00)" in board and EN_TIME.search(board), board  # the Due column, local
    directory = load_agencies(DEFAULT_CONFIG_DIR)
    today = directory.local_day(datetime.now(UTC))
    named = [found for found in AGENCY_ID.findall(board) if directory.get(found) is not None]
    assert named, board
    for agency_id in named:
        agency = directory.get(agency_id)
        assert agency is not None and agency.valid_on(today), f"{agency_id} has ended"
        assert agency.name.split()[0] in board  # its name is shown beside the id
    case_id = CASE_ID.findall(board)[0]
    shown = subprocess.run(
        [sys.executable, "-m", "services.cli", "case", case_id, "--lang", "en"],
        env=_env(home), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0 and case_id in shown.stdout, shown.stderr
