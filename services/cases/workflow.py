"""The workflow rules of a case, parsed from ``deploy/config/workflow.toml``.

Which step may follow which, and which agency role may record it, is data: a province or a
later law changes the file, not the code. This module only uses the standard library, so the
domain model may import it; the file's shape and its strict reading are in
:mod:`services.cases.workflowfile`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OPEN = "open"
CLOSED = "closed"
STATES = frozenset({OPEN, CLOSED})


@dataclass(frozen=True)
class Reference:
    """A step field that must name an id defined by an earlier step."""

    step: str
    field: str
    optional: bool = False
    addressee: str = ""
    """Field of the referred step naming the only agency that may answer it ("" = anyone)."""


@dataclass(frozen=True)
class StepRule:
    """What must hold for one step to be recorded."""

    step: str
    roles: frozenset[str]
    states: frozenset[str] = frozenset({OPEN})
    first: bool = False
    once: bool = False
    requires: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    defines: str = ""
    refers_to: Reference | None = None
    choices: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Workflow:
    """All step rules, by wire name."""

    steps: Mapping[str, StepRule]

    def rule(self, step: str) -> StepRule | None:
        """The rule of ``step``, or None when the step is unknown."""
        return self.steps.get(step)


def load_workflow(path: Path) -> Workflow:
    """Read and check a workflow file; a fault is refused naming the file, table and key."""
    # Imported here: the file's shape needs pydantic, which the domain model does without.
    from services.cases.workflowfile import read_workflow_file
    from services.runtime.tomlfile import refuse

    try:
        return parse_workflow(read_workflow_file(path))
    except WorkflowError as error:
        raise refuse(path, error.table, error.key, str(error)) from None


class WorkflowError(ValueError):
    """A rule the workflow cannot hold: ``table`` and ``key`` say where it is."""

    def __init__(self, table: str, key: str, problem: str) -> None:
        super().__init__(problem)
        self.table, self.key = table, key


def parse_workflow(document: Mapping[str, Any]) -> Workflow:
    """Build a :class:`Workflow` from a parsed TOML document (``[steps.<WireName>]`` tables)."""
    steps = {name: _parse_rule(name, table) for name, table in document["steps"].items()}
    _check_names(steps)
    return Workflow(steps=steps)


def _parse_rule(name: str, table: Mapping[str, Any]) -> StepRule:
    states = frozenset(table.get("states", [OPEN]))
    if not states <= STATES:
        raise WorkflowError(f"steps.{name}", "states", f"unknown states {sorted(states - STATES)}")
    reference = table.get("refers_to")
    return StepRule(
        step=name,
        roles=frozenset(table["roles"]),
        states=states,
        first=bool(table.get("first", False)),
        once=bool(table.get("once", False)),
        requires=tuple(table.get("requires", ())),
        requires_any=tuple(table.get("requires_any", ())),
        defines=str(table.get("defines", "")),
        refers_to=Reference(**reference) if reference else None,
        choices={key: frozenset(values) for key, values in table.get("choices", {}).items()},
    )


def _check_names(steps: Mapping[str, StepRule]) -> None:
    """Every step a rule mentions must itself be a step of the workflow."""
    for rule in steps.values():
        referred = (rule.refers_to.step,) if rule.refers_to else ()
        for key, named in (
            ("requires", rule.requires),
            ("requires_any", rule.requires_any),
            ("refers_to", referred),
        ):
            if unknown := sorted(set(named) - set(steps)):
                raise WorkflowError(f"steps.{rule.step}", key, f"names unknown steps {unknown}")
