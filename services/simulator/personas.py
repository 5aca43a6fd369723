"""Synthetic personal data: Vietnamese-style names built from syllable lists, never real people.

Every record is visibly fake: addresses are in a "Thôn Giả Lập" (simulated hamlet) and phone
numbers start with 000, which no Vietnamese number does.
"""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Chamaléa")
MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Mỹ", "Kim")
MIDDLE_MALE = ("Văn", "Minh", "Đức", "Quốc", "Hữu")
GIVEN = (
    "An",
    "Bình",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Khánh",
    "Lan",
    "Linh",
    "Mai",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tú",
    "Vy",
    "Yến",
)
AGE_RANGES = {"0-5": (0, 5), "6-11": (6, 11), "12-15": (12, 15), "16-17": (16, 17)}
FAKE_HAMLET = "Thôn Giả Lập"
FAKE_PHONE_PREFIX = "000"


def full_name(rng: Random, sex: str) -> str:
    """A made-up name: family name, middle name for the sex, one or two given syllables."""
    middle = rng.choice(MIDDLE_FEMALE if sex == "female" else MIDDLE_MALE)
    given = " ".join(rng.sample(GIVEN, rng.choice((1, 1, 2))))
    return f"{rng.choice(FAMILY)} {middle} {given}"


def phone(rng: Random) -> str:
    """A number no phone has (Vietnamese numbers never start with 000)."""
    return f"{FAKE_PHONE_PREFIX} {rng.randint(100, 999)} {rng.randint(100, 999)}"


def birth_date(rng: Random, age_group: str, on: date) -> date:
    """A birth date that puts the child in ``age_group`` on ``on``."""
    low, high = AGE_RANGES[age_group]
    return on - timedelta(days=rng.randint(low * 365 + 1, high * 365 + 364))


def personal_data(
    rng: Random, sex: str, age_group: str, commune_name: str, on: date
) -> dict[str, str]:
    """The six PersonalData fields of a report, all synthetic."""
    return {
        "child_name": full_name(rng, sex),
        "child_birth_date": birth_date(rng, age_group, on).isoformat(),
        "child_address": f"{FAKE_HAMLET} {rng.randint(1, 9)}, {commune_name}",
        "child_contact": phone(rng),
        "reporter_name": full_name(rng, rng.choice(("female", "male"))),
        "reporter_contact": phone(rng),
    }
