"""A command loads only its own module: the table in ``services/cli.py`` says which module
registers which commands, and stays true."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from services.cli import COMMANDS, modules_for


@pytest.mark.parametrize("module", sorted(COMMANDS))
def test_the_table_names_exactly_the_commands_a_module_registers(module: str) -> None:
    subparsers = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).register(subparsers)
    assert tuple(subparsers.choices) == COMMANDS[module]


def test_a_command_needs_only_its_own_module() -> None:
    assert modules_for(["stalled", "--agency", "x", "--lang", "en"]) == (
        "services.commands.projections",
    )


def test_help_and_a_typo_see_every_command() -> None:
    assert modules_for(["--help"]) == tuple(COMMANDS)
    assert modules_for(["staled"]) == tuple(COMMANDS)


def test_the_supervisors_board_does_not_load_the_web_server() -> None:
    probe = (
        "import sys; from services.cli import build_parser;"
        "build_parser(['stalled']).parse_args(['stalled', '--json']);"
        "print(sorted(m for m in ('fastapi', 'reportlab', 'openpyxl') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
