"""A typo'd date is a rejected fact, never an overflow that stops the projection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from projections.stalled.model import FactError, instant

YEAR_9000_MS = int(datetime(9000, 1, 1, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize("value", [YEAR_9000_MS, 10**17, datetime(9999, 12, 30, tzinfo=UTC)])
def test_an_instant_beyond_any_deadline_is_a_fact_error(value: object) -> None:
    with pytest.raises(FactError):
        instant(value)


def test_an_ordinary_instant_is_accepted() -> None:
    assert instant(1_760_000_000_000) == datetime(2025, 10, 9, 8, 53, 20, tzinfo=UTC)
