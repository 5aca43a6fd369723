"""The domain models (cases, and the periodic reports' sendings) import no infrastructure."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("sqlalchemy", "kafka", "fastavro", "structlog", "nacl", "psycopg", "pydantic")


def test_importing_the_domain_model_pulls_in_no_infrastructure() -> None:
    probe = (
        "import sys, services.cases.domainmodel, services.cases.workflow, services.cases.chain,"
        " services.reporting.domainmodel;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
