"""The erasure list: every case whose key was destroyed, kept beside the master key.

It lives apart from the store (with the master key, which an operator keeps on another disk or
in a vault), so that a restore of an older backup can destroy again the keys of the cases erased
after that backup was taken.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ERASURES_FILE = "erasures.json"


def erasures_file(master_key_file: Path) -> Path:
    """Where the erasure list of the store whose master key is ``master_key_file`` is kept."""
    return master_key_file.parent / ERASURES_FILE


def read_erasures(path: Path) -> set[str]:
    """The case ids in the list (none when it does not exist yet)."""
    if not path.exists():
        return set()
    return {str(case_id) for case_id in json.loads(path.read_text(encoding="utf-8"))}


def write_erasures(path: Path, case_ids: set[str]) -> None:
    """Replace the list, owner-only from the first byte, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(sorted(case_ids), file, indent=0)
    tmp.replace(path)


def add_erasure(path: Path, case_id: str) -> None:
    """Add ``case_id`` (idempotent)."""
    known = read_erasures(path)
    if case_id not in known:
        write_erasures(path, known | {case_id})
