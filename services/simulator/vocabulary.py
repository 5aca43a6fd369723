"""Codes the simulated agencies use in their submissions, with how often each is chosen.

The backbone has no vocabulary data file yet; these codes follow the national reporting
categories of LEGAL.md (forms of abuse, settings, sex, age groups) and the sample records of the
contract tests. Weights are rough, plausible shares for a demonstration, not statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random
from typing import TypeVar

T = TypeVar("T")
Weighted = Sequence[tuple[T, float]]

FORMS_OF_ABUSE: Weighted[str] = (
    ("sexual_abuse", 0.35),
    ("violence", 0.30),
    ("neglect", 0.2),
    ("labour_exploitation", 0.08),
    ("trafficking", 0.02),
    ("other", 0.05),
)
SETTINGS: Weighted[str] = (
    ("family", 0.55),
    ("school", 0.15),
    ("community", 0.2),
    ("online", 0.05),
    ("workplace", 0.05),
)
SEXES: Weighted[str] = (("female", 0.6), ("male", 0.4))
AGE_GROUPS: Weighted[str] = (("0-5", 0.15), ("6-11", 0.35), ("12-15", 0.38), ("16-17", 0.12))
RISK_LEVELS: Weighted[str] = (("low", 0.25), ("medium", 0.45), ("high", 0.30))
MEASURES = ("temporary_separation", "emergency_shelter", "emergency_medical_care")
NEEDS = ("counselling", "medical", "legal_aid", "education_support", "family_support")
CRIME_CATEGORIES: Weighted[str] = (
    ("less_serious", 0.25),
    ("serious", 0.35),
    ("very_serious", 0.25),
    ("especially_serious", 0.15),
)
SETTLE_OUTCOMES: Weighted[str] = (
    ("instituted", 0.8),
    ("not_instituted", 0.15),
    ("suspended", 0.05),
)
VERDICTS: Weighted[str] = (("convicted", 0.9), ("acquitted", 0.05), ("returned", 0.05))
DECLINE_REASONS = ("outside_our_area", "service_not_available", "capacity_full")
CLOSE_REASONS: Weighted[str] = (("goals_met", 0.8), ("moved_away", 0.1), ("transferred", 0.1))


def pick(rng: Random, choices: Weighted[T]) -> T:
    """One choice, drawn by weight."""
    values = [value for value, _ in choices]
    return rng.choices(values, weights=[weight for _, weight in choices])[0]


def pick_some(rng: Random, choices: Weighted[T], most: int = 2) -> list[T]:
    """One to ``most`` distinct choices, drawn by weight, in vocabulary order."""
    wanted = rng.randint(1, most)
    chosen: set[T] = set()
    while len(chosen) < wanted:
        chosen.add(pick(rng, choices))
    return [value for value, _ in choices if value in chosen]
