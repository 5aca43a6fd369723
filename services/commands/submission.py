"""Checks of ``backbone submit`` before anything is sent: the step, the agency, the fields.

A typo gets the close names and where to see them all, never a traceback nor the advice to
provision an agency that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events import Codec
from services.cases.agencies import AgencyDirectory
from services.commands.errors import UserError, unknown_name

# Fields the client fills itself (``--case``, ``--occurred-at``, ``--submission-id``,
# ``--personal``): not to be given with ``--field``.
FILLED_BY_CLIENT = frozenset({"submission_id", "case_id", "occurred_at", "personal_data"})


def check_step(codec: Codec, step: str) -> None:
    steps = sorted(name for name in codec.wire_names if name[:1].isupper())
    if step not in codec.wire_names:
        raise unknown_name("step", step, steps, "the step schemas under events/schemas/")


def check_agency(directory: AgencyDirectory, agency: str) -> None:
    if directory.get(agency) is None:
        known = [a.id for a in directory.all()]
        raise unknown_name("agency", agency, known, "backbone agencies list")


def check_fields(schema: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """Every given field belongs to the step; every required field of the step is given."""
    step = str(schema["name"])
    fields = {f["name"]: f for f in schema["fields"] if f["name"] not in FILLED_BY_CLIENT}
    allowed = ", ".join(fields) or "none"
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise UserError(
            "unknown_field",
            f"{step} has no field {', '.join(unknown)}; its fields are: {allowed}",
        )
    missing = [name for name, f in fields.items() if name not in given and not _optional(f)]
    if missing:
        raise UserError(
            "missing_field",
            f"{step} needs --field {'=..., --field '.join(missing)}=...; its fields are: {allowed}",
        )


def _optional(field: Mapping[str, Any]) -> bool:
    kind = field["type"]
    return "default" in field or (isinstance(kind, list) and "null" in kind)
