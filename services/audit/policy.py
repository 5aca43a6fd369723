"""The auditors' verification policy, from ``deploy/config/audit.toml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import with_config
from typing_extensions import TypedDict

from services.runtime import tomlfile

POLICY_FILE = "audit.toml"


@with_config(tomlfile.STRICT)
class AuditFile(TypedDict, total=False):
    witnesses: list[str]
    required_cosignatures: int


@dataclass(frozen=True)
class Policy:
    witnesses: tuple[str, ...] = ()
    required_cosignatures: int = 0


def load_policy(config_dir: Path) -> Policy:
    path = config_dir / POLICY_FILE
    if not path.exists():
        return Policy()
    data = tomlfile.read(path, AuditFile)
    required = data.get("required_cosignatures", 0)
    witnesses = tuple(data.get("witnesses", []))
    if not 0 <= required <= len(witnesses):
        problem = f"must be between 0 and {len(witnesses)}, the number of witnesses"
        raise tomlfile.refuse(path, "", "required_cosignatures", problem)
    return Policy(witnesses, required)
