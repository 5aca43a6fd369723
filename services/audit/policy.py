"""The auditors' verification policy, from ``deploy/config/audit.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

POLICY_FILE = "audit.toml"


@dataclass(frozen=True)
class Policy:
    witnesses: tuple[str, ...] = ()
    required_cosignatures: int = 0


def load_policy(config_dir: Path) -> Policy:
    path = config_dir / POLICY_FILE
    if not path.exists():
        return Policy()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    required = int(data.get("required_cosignatures", 0))
    witnesses = tuple(str(w) for w in data.get("witnesses", []))
    if not 0 <= required <= len(witnesses):
        raise ValueError(f"{path}: required_cosignatures must be between 0 and {len(witnesses)}")
    return Policy(witnesses, required)
