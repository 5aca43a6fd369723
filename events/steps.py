"""The wire names of the case steps, read from the schemas with the standard library only.

A step record starts with the common fields; the envelope, rejection, alert and personal-data
records do not. Read-side modules that must stay free of fastavro (the pure deadline engine)
learn the steps here instead of keeping a list of their own; code that names one lifecycle step
uses the constant below (a test checks each is a current step schema).
"""

import json
from pathlib import Path

SCHEMA_DIR = Path(__file__).with_name("schemas")
COMMON_FIELDS = ("submission_id", "case_id", "occurred_at")

# The lifecycle steps the code refers to by name (the rest are data: policy, labels, stories).
CASE_REPORTED = "CaseReported"
CASE_CLOSED = "CaseClosed"
CASE_REOPENED = "CaseReopened"
PERSONAL_DATA_ERASED = "PersonalDataErased"
SUPERVISOR_FOLLOWED_UP = "SupervisorFollowedUp"
DEADLINE_EXTENDED = "DeadlineExtended"


def _is_step(schema: dict[str, object]) -> bool:
    fields = schema.get("fields")
    names = (
        tuple(f["name"] for f in fields[: len(COMMON_FIELDS)]) if isinstance(fields, list) else ()
    )
    return names == COMMON_FIELDS


def step_names(directory: Path = SCHEMA_DIR) -> frozenset[str]:
    """Wire names of every current step schema in ``directory``."""
    schemas = (json.loads(path.read_text()) for path in directory.glob("*.avsc"))
    return frozenset(str(schema["name"]) for schema in schemas if _is_step(schema))


STEP_NAMES = step_names()
