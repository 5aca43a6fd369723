"""The ``backbone`` command: help everywhere, and the main job starts and stops cleanly."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cli import build_parser
from tests.e2e.web.browser import free_port
from tests.kafkatools import poll_until


def _subcommand_paths(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _subcommand_paths(sub, (*prefix, name))


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    paths = list(_subcommand_paths(build_parser()))
    assert ("run",) in paths and ("kafka", "start") in paths
    for path in paths:
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args([*path, "--help"])
        assert exited.value.code == 0
        assert "usage: backbone " + " ".join(path) in capsys.readouterr().out


@pytest.mark.integration
def test_run_starts_the_backbone_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "BACKBONE_HOME": str(tmp_path / "home"), "BACKBONE_LOG_FORMAT": "json"}
    env["BACKBONE_WEB_PORT"] = str(free_port())  # the dashboard, on a port no other test uses
    env.pop("BACKBONE_KAFKA_BOOTSTRAP_SERVERS", None)
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        run_log = tmp_path / "home" / "logs" / "run.log"
        poll_until(
            lambda: run_log.exists() and "backbone.running" in run_log.read_text(),
            180,
            "backbone running",
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    events = [
        json.loads(line)["event"]
        for line in run_log.read_text().splitlines()
        if line.startswith("{")
    ]
    assert events.index("kafka.ready") < events.index("backbone.running")
    assert f"dashboard: http://localhost:{env['BACKBONE_WEB_PORT']}/" in log_path.read_text()
    assert '"process": "web"' in run_log.read_text()  # started beside the other processes
    assert events[-2:] == ["backbone.stopped", "kafka.stopped"]
    state = json.loads((tmp_path / "home" / "kafka" / "state.json").read_text())
    assert "pid" not in state
