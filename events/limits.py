"""Bounds of the contract that need no data file: text lengths, array sizes, plausible times.

One table of limits for every text field of every record an agency sends (``LIMITS``, by field
name, with ``OVERRIDES`` for the field names two records use differently); CONTRACT.md shows
it and a test checks the two agree and that no text field of a step schema is left without a
limit. A refusal names the field and the sizes, never the value (it may be personal data, and
an oversized value must not reach a log in full).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from events.errors import ContractError, Reason

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

ID = 100
CODE = 64
AREA_CODE = 16
TEXT = 500
ITEMS = 50
"""At most this many items in any array."""
SEALED_BYTES = 16_384
"""At most this many bytes of sealed personal data."""

LIMITS: Mapping[str, int] = {
    # ids chosen by agencies (a UUID is 36 characters)
    "submission_id": ID,
    "case_id": ID,
    "referral_id": ID,
    "plan_id": ID,
    "report_id": ID,
    "item_id": ID,
    "to_agency": ID,
    "facility": ID,
    "provider": ID,
    "supervisor": ID,
    "chased_agency": ID,
    # codes of the vocabulary (deploy/config/vocabulary.toml)
    "channel": CODE,
    "forms_of_abuse": CODE,
    "setting": CODE,
    "child_sex": CODE,
    "child_age_group": CODE,
    "risk_level": CODE,
    "measure": CODE,
    "needs": CODE,
    "service": CODE,
    "responsible_role": CODE,
    "reason": CODE,
    "scope": CODE,
    "given_by": CODE,
    "crime_category": CODE,
    "outcome": CODE,
    "decision": CODE,
    "authority": CODE,
    "court_level": CODE,
    # administrative units (deploy/config/areas.toml)
    "province_code": AREA_CODE,
    "district_code": AREA_CODE,
    "commune_code": AREA_CODE,
    # other text
    "obligation": 200,
    "note": TEXT,
    # personal data (checked once the backbone has opened it)
    "child_name": 200,
    "child_birth_date": 10,
    "child_address": TEXT,
    "child_contact": 200,
    "reporter_name": 200,
    "reporter_contact": 200,
}
OVERRIDES: Mapping[str, int] = {
    "ReferralDeclined.reason": TEXT,  # free text there, a code elsewhere
}


def limit_of(wire_name: str, field: str) -> int:
    """The most characters ``field`` of ``wire_name`` may hold (``TEXT`` if not listed)."""
    return OVERRIDES.get(f"{wire_name}.{field}", LIMITS.get(field, TEXT))


def check_lengths(wire_name: str, record: Mapping[str, Any]) -> None:
    """Refuse (``field_too_long``) a text, array or sealed blob beyond its limit."""
    for field, value in record.items():
        _check_value(wire_name, field, value)


def _check_value(wire_name: str, field: str, value: Any) -> None:
    where = f"{wire_name}.{field}"
    if isinstance(value, str):
        most = limit_of(wire_name, field)
        if len(value) > most:
            _too_long(where, f"{len(value)} characters, at most {most}")
        if _CONTROL.search(value):  # e.g. NUL, which no PostgreSQL text column takes
            raise ContractError(
                Reason.CONTROL_CHARACTER,
                f"{where} holds a control character (other than tab or line break); "
                "remove it and send again",
            )
    elif isinstance(value, bytes) and len(value) > SEALED_BYTES:
        _too_long(where, f"{len(value)} bytes, at most {SEALED_BYTES}")
    elif isinstance(value, list):
        if len(value) > ITEMS:
            _too_long(where, f"{len(value)} items, at most {ITEMS}")
        for item in value:
            if isinstance(item, Mapping):
                for name, inner in item.items():
                    _check_value(wire_name, name, inner)
            else:
                _check_value(wire_name, field, item)


def _too_long(where: str, sizes: str) -> None:
    raise ContractError(Reason.FIELD_TOO_LONG, f"{where} is {sizes}; shorten it and send again")


def check_occurred_at(
    occurred_at: datetime, now: datetime, skew: timedelta, floor: datetime
) -> None:
    """Refuse a step dated beyond ``now + skew`` or before ``floor`` (a typo, a wrong clock)."""
    when = occurred_at.astimezone(UTC)
    if when > now + skew:
        raise ContractError(
            Reason.OCCURRED_IN_FUTURE,
            f"occurred_at {when:%Y-%m-%dT%H:%M:%SZ} is more than {_minutes(skew)} after the "
            "backbone's clock; send when the step happened (UTC), or fix the sender's clock",
        )
    if when < floor:
        raise ContractError(
            Reason.OCCURRED_TOO_EARLY,
            f"occurred_at {when:%Y-%m-%dT%H:%M:%SZ} is before {floor:%Y-%m-%d}, the earliest "
            "date the backbone accepts; check the date (milliseconds, not seconds, since 1970)",
        )


def _minutes(skew: timedelta) -> str:
    return f"{skew / timedelta(minutes=1):g} minutes"
