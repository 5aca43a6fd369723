"""The engine is a pure core: importing it pulls in no infrastructure."""

import subprocess
import sys

INFRASTRUCTURE = ("sqlalchemy", "kafka", "fastavro", "structlog", "eventsourcing", "psycopg")


def test_engine_imports_no_infrastructure() -> None:
    code = (
        "import sys, projections.stalled, projections.policy, projections.calendar\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {INFRASTRUCTURE!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
