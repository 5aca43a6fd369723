"""Table creation looks again when another process wins the race, and only a few times."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.runtime.tables import ATTEMPTS, despite_racing_creators


def _lost_race() -> sa.exc.IntegrityError:
    return sa.exc.IntegrityError("CREATE TABLE cases_events", {}, Exception("pg_type"))


def test_a_lost_race_is_followed_by_another_look() -> None:
    calls: list[int] = []

    def create() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _lost_race()
        return "created"

    assert despite_racing_creators(create) == "created"
    assert len(calls) == 3


def test_an_error_that_persists_is_raised_after_the_last_attempt() -> None:
    calls: list[int] = []

    def create() -> None:
        calls.append(1)
        raise _lost_race()

    with pytest.raises(sa.exc.IntegrityError):
        despite_racing_creators(create)
    assert len(calls) == ATTEMPTS


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def create() -> None:
        calls.append(1)
        raise ValueError("not a database race")

    with pytest.raises(ValueError, match="not a database race"):
        despite_racing_creators(create)
    assert calls == [1]
