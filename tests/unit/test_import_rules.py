"""The plan of the house, kept true: which folder may import which, and where each process is
put together (``docs/DESIGN.md``, "Map of the code").

Imports are read from the source (every ``import``, also those inside functions), so a lazy
import breaks a rule as surely as one at the top of a module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cli import COMMANDS

REPO_ROOT = Path(__file__).resolve().parents[2]

PACKAGES = ("events", "services", "projections", "deploy")
DESIGN = REPO_ROOT / "docs" / "DESIGN.md"
MAP_HEADING = "### Processes: command → wiring → parts"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for package in PACKAGES
    for path in sorted((REPO_ROOT / package).rglob("*.py"))
}


def imported(path: Path) -> set[str]:
    """The project modules ``path`` imports (``from a import b`` names ``a.b`` when it is one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                found.add(whole if whole in MODULES else node.module)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def modules_in(package: str) -> Iterator[tuple[str, Path]]:
    return ((name, path) for name, path in MODULES.items() if within(name, package))


def is_wiring(name: str) -> bool:
    last = name.rpartition(".")[2]
    return last == "wiring" or last.endswith("_wiring")


def test_the_runtime_layer_imports_nothing_of_the_parts_it_serves() -> None:
    """Settings, logs, the database engine, the stop flag, Kafka clients and metrics serve the
    write side and the read side alike, so they may use neither."""
    wrong = {
        name: sorted(
            other
            for other in imported(path)
            if within(other, "projections")
            or (within(other, "services") and not within(other, "services.runtime"))
        )
        for name, path in modules_in("services.runtime")
    }
    assert {name: bad for name, bad in wrong.items() if bad} == {}


def test_the_read_side_imports_only_the_runtime_layer_of_services() -> None:
    """projections/ reads the case events; only its composition root may reach the write side
    (the agency directory, the Kafka adapters) to hand it what it needs."""
    wrong = {
        name: sorted(
            other
            for other in imported(path)
            if within(other, "services") and not within(other, "services.runtime")
        )
        for name, path in modules_in("projections")
        if name != "projections.wiring"
    }
    assert {name: bad for name, bad in wrong.items() if bad} == {}


def test_the_contract_and_the_launchers_import_neither_side() -> None:
    wrong = {
        name: sorted(o for o in imported(path) if within(o, "services") or within(o, "projections"))
        for package in ("events", "deploy")
        for name, path in modules_in(package)
    }
    assert {name: bad for name, bad in wrong.items() if bad} == {}


def test_only_the_commands_import_a_wiring_module() -> None:
    """A process is put together in one place, reached from its command; a part that imported a
    wiring module would build another process's parts behind its back."""
    wrong = {
        name: sorted(other for other in imported(path) if is_wiring(other))
        for name, path in MODULES.items()
        if not (within(name, "services.commands") or name == "services.cli")
    }
    assert {name: bad for name, bad in wrong.items() if bad} == {}


# -- the map in docs/DESIGN.md ---------------------------------------------------------------


def process_rows() -> list[tuple[str, list[str], list[str], list[str]]]:
    """(process, command modules, wiring modules, parts) of each row of the map's table."""
    text = DESIGN.read_text(encoding="utf-8")
    assert MAP_HEADING in text, f"docs/DESIGN.md has no section {MAP_HEADING!r}"
    section = text.split(MAP_HEADING, 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`backbone"):
            continue
        process, commands, wirings, parts = ([*re.findall(r"`([^`]+)`", c)] for c in cells)
        rows.append((process[0], commands, wirings, parts))
    return rows


ROWS = process_rows()


def test_the_map_names_the_processes() -> None:
    named = {process for process, *_ in ROWS}
    for process in ("intake", "relay", "projections run", "simulate", "serve", "witness"):
        assert f"backbone {process}" in named


@pytest.mark.parametrize(
    ("process", "commands", "wirings", "parts"), ROWS, ids=[r[0] for r in ROWS]
)
def test_each_process_goes_from_its_command_through_its_wiring_to_its_parts(
    process: str, commands: list[str], wirings: list[str], parts: list[str]
) -> None:
    for path in commands + wirings + parts:
        assert (REPO_ROOT / path).exists(), f"{process}: the map names {path}, which is not there"
    for command in commands:
        name = module_name(REPO_ROOT / command)
        assert name in COMMANDS, f"{process}: {command} is not in services/cli.py's table"
        assert process.split()[1] in COMMANDS[name], f"{command} does not register {process}"
        uses = imported(REPO_ROOT / command)
        for wiring in wirings:
            assert module_name(REPO_ROOT / wiring) in uses, f"{command} does not use {wiring}"


def test_every_wiring_module_is_on_the_map() -> None:
    mapped = {module_name(REPO_ROOT / path) for _, _, wirings, _ in ROWS for path in wirings}
    assert {name for name in MODULES if is_wiring(name)} == mapped
