"""The shape of ``deploy/config/workflow.toml``, read by the strict TOML reader.

Apart from :mod:`services.cases.workflow` so that the domain model, which imports the rules,
stays free of pydantic; ``load_workflow`` imports this module when it reads a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from services.runtime import tomlfile


@with_config(tomlfile.STRICT)
class ReferenceTable(TypedDict):
    step: str
    field: str
    optional: NotRequired[bool]
    addressee: NotRequired[str]


@with_config(tomlfile.STRICT)
class StepRuleTable(TypedDict):
    roles: list[str]
    states: NotRequired[list[str]]
    first: NotRequired[bool]
    once: NotRequired[bool]
    requires: NotRequired[list[str]]
    requires_any: NotRequired[list[str]]
    defines: NotRequired[str]
    refers_to: NotRequired[ReferenceTable]
    choices: NotRequired[dict[str, list[str]]]


@with_config(tomlfile.STRICT)
class WorkflowFile(TypedDict):
    steps: dict[str, StepRuleTable]


def read_workflow_file(path: Path) -> WorkflowFile:
    """The workflow file at ``path``, checked against its shape."""
    return tomlfile.read(path, WorkflowFile)
