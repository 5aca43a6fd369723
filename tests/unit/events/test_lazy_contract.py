"""The contract's vocabulary (step names, instants) loads without fastavro or PyNaCl."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("fastavro", "nacl")


def _loaded_after(statement: str) -> str:
    """The heavy top-level packages a fresh interpreter holds after ``statement``."""
    probe = (
        f"import sys; {statement}; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_importing_step_names_and_instants_loads_neither_fastavro_nor_nacl() -> None:
    statement = "import events.steps, events.instants; from events import EPOCH"
    assert _loaded_after(statement) == "[]"


def test_the_codec_and_sealing_load_them_when_first_used() -> None:
    assert _loaded_after("from events import Codec, seal") == "['fastavro', 'nacl']"


def test_every_public_name_of_the_package_resolves() -> None:
    import events

    assert all(getattr(events, name) is not None for name in events.__all__)
