"""An event's id is the name-based UUID of its case and sequence, however the case id is spelt."""

import uuid
from uuid import UUID, uuid5

import pytest

from services.cases.views import EVENT_ID_NAMESPACE, event_id

CASE = "3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b"


def _uuid5_of(case_id: str, sequence: int) -> str:
    return str(uuid5(EVENT_ID_NAMESPACE, f"{UUID(case_id)}/{sequence}"))


@pytest.mark.parametrize("sequence", [0, 1, 17, 123_456])
def test_the_id_is_the_uuid5_of_case_and_sequence(sequence: int) -> None:
    assert event_id(CASE, sequence) == _uuid5_of(CASE, sequence)


@pytest.mark.parametrize("spelling", [CASE.upper(), CASE.replace("-", ""), "{" + CASE + "}"])
def test_another_spelling_of_the_case_id_gives_the_same_id(spelling: str) -> None:
    assert event_id(spelling, 3) == event_id(CASE, 3)


def test_random_cases_get_the_uuid5_id() -> None:
    cases = [str(uuid.uuid4()) for _ in range(200)]
    assert [event_id(c, 2) for c in cases] == [_uuid5_of(c, 2) for c in cases]


def test_the_id_is_a_version_5_uuid() -> None:
    assert UUID(event_id(CASE, 1)).version == 5
