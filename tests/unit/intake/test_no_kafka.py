"""The intake's rules import no Kafka: they are tested, and can be reused, without a broker.

Read from the source of every module of ``services/intake/``, so that an import added inside a
function or under ``TYPE_CHECKING`` is caught as well as one at the top; and checked once by
importing them all, so that nothing they import brings a Kafka client in either.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import services.intake

PACKAGE = Path(services.intake.__file__).parent
FORBIDDEN = ("kafka", "services.kafka")


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports (relative imports resolved within services.intake)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "services.intake" if node.level else ""
            names.add(".".join(part for part in (base, node.module or "") if part))
    return names


def _forbidden(name: str) -> bool:
    return any(name == root or name.startswith(f"{root}.") for root in FORBIDDEN)


def test_no_module_of_the_intake_rules_imports_kafka_or_the_kafka_adapter() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 5, "the intake's modules were not found"
    found = {path.name: sorted(filter(_forbidden, imported(path))) for path in modules}
    assert {name: bad for name, bad in found.items() if bad} == {}


def test_the_check_sees_an_import_of_kafka_in_any_form(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import kafka.errors\nfrom services.kafka import bounds\n"
        "def later():\n    from kafka import KafkaProducer\n"
    )
    caught = sorted(filter(_forbidden, imported(probe)))
    assert caught == ["kafka", "kafka.errors", "services.kafka"]


def test_importing_the_intake_rules_loads_no_kafka_client() -> None:
    modules = ", ".join(f"services.intake.{path.stem}" for path in sorted(PACKAGE.glob("*.py")))
    loaded = "sorted(m for m in sys.modules if m.split('.')[0] == 'kafka')"
    probe = f"import sys, {modules}; print({loaded})"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
