"""Statistics tables and their rows, written with the stalled read model's changes.

- ``stats_cases``: one row per reported case: when it happened and was recorded, its area, the
  channel, setting, child's sex and age group, risk level and the reporting agency.
- ``stats_case_forms``: one row per form of abuse of a case (a case may have several).

Rows are written once, when the case's ``CaseReported`` step is applied (a redelivered step
never reaches here: the projector drops it by sequence).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from events.instants import to_millis
from events.steps import CASE_REPORTED
from projections.casefile import AREA_FIELDS
from projections.columns import MILLIS, area_columns

VOCABULARY = ("channel", "setting", "child_sex", "child_age_group", "risk_level")


def case_table(metadata: sa.MetaData, prefix: str) -> sa.Table:
    table = sa.Table(
        f"{prefix}stats_cases",
        metadata,
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("reported_at", MILLIS, nullable=False),
        sa.Column("known_at", MILLIS, nullable=False),
        sa.Column("agency", sa.String(100), nullable=False),
        *area_columns(),
        *(sa.Column(name, sa.String(64), nullable=False, default="") for name in VOCABULARY),
    )
    sa.Index(f"ix_{prefix}stats_reported", table.c.reported_at)
    return table


def form_table(metadata: sa.MetaData, prefix: str) -> sa.Table:
    return sa.Table(
        f"{prefix}stats_case_forms",
        metadata,
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("form", sa.String(64), primary_key=True),
    )


def statistics_rows(
    steps: Iterable[tuple[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Case rows and form rows for the ``CaseReported`` facts among ``steps``."""
    cases: list[dict[str, Any]] = []
    forms: list[dict[str, Any]] = []
    for _, fact in steps:
        if fact.event_type != CASE_REPORTED:
            continue
        fields = fact.fields
        cases.append(
            {
                "case_id": fact.case_id,
                "reported_at": to_millis(fact.occurred_at),
                "known_at": to_millis(fact.recorded_at),
                "agency": fact.agency,
                **{name: str(fields.get(name) or "") for name in (*AREA_FIELDS, *VOCABULARY)},
            }
        )
        for form in sorted(set(fields.get("forms_of_abuse") or ())):
            forms.append({"case_id": fact.case_id, "form": str(form)})
    return cases, forms
