"""Personal data in simulated reports is synthetic and visibly so."""

from __future__ import annotations

from datetime import date
from random import Random

from services.simulator import personas
from services.simulator.personas import FAKE_HAMLET, FAKE_PHONE_PREFIX, FAMILY, GIVEN


def _people(count: int) -> list[dict[str, str]]:
    rng = Random(9)
    return [
        personas.personal_data(rng, "female", "6-11", "Xã Cà Ná", date(2026, 5, 1))
        for _ in range(count)
    ]


def test_names_are_built_from_the_syllable_lists() -> None:
    for person in _people(50):
        for name in (person["child_name"], person["reporter_name"]):
            words = name.split()
            assert words[0] in FAMILY and all(w in GIVEN for w in words[2:])


def test_addresses_and_phones_are_visibly_fake() -> None:
    for person in _people(50):
        assert person["child_address"].startswith(FAKE_HAMLET)
        assert person["child_contact"].startswith(FAKE_PHONE_PREFIX)
        assert person["reporter_contact"].startswith(FAKE_PHONE_PREFIX)


def test_the_birth_date_fits_the_age_group() -> None:
    for person in _people(50):
        born = date.fromisoformat(person["child_birth_date"])
        age = (date(2026, 5, 1) - born).days // 365
        assert 6 <= age <= 11
