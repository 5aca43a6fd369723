"""Codes the simulated agencies use in their submissions, with how often each is chosen.

The codes are those of ``deploy/config/vocabulary.toml`` (read once, at import, like the data
constant it is): a code added there is drawn too, with ``OTHERWISE`` as its weight, and a
weight for a code the file does not have stops the import. Weights are rough, plausible shares
for a demonstration, not statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from random import Random
from typing import TypeVar

from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.vocabulary import Vocabulary, load_vocabulary

T = TypeVar("T")
Weighted = Sequence[tuple[T, float]]
OTHERWISE = 0.01
"""Weight of a code of the file the shares below do not mention."""
VOCABULARY = load_vocabulary(DEFAULT_CONFIG_DIR)


def weighted(
    name: str, shares: Mapping[str, float], vocabulary: Vocabulary = VOCABULARY
) -> Weighted[str]:
    """Every code of list ``name`` with its share (``OTHERWISE`` when not given), file order."""
    codes = vocabulary.codes(name)
    unknown = sorted(set(shares) - set(codes))
    if unknown:
        raise ValueError(f"the simulator weighs codes {unknown} that list {name!r} does not have")
    return tuple((code, shares.get(code, OTHERWISE)) for code in codes)


def only(name: str, codes: Sequence[str], vocabulary: Vocabulary = VOCABULARY) -> tuple[str, ...]:
    """``codes``, each checked to be a code of list ``name`` (for choices a flow must make)."""
    weighted(name, dict.fromkeys(codes, 1.0), vocabulary)
    return tuple(codes)


FORMS_OF_ABUSE = weighted(
    "form_of_abuse",
    {
        "sexual_abuse": 0.35,
        "violence": 0.30,
        "neglect": 0.2,
        "labour_exploitation": 0.08,
        "trafficking": 0.02,
        "other": 0.05,
    },
)
SETTINGS = weighted(
    "setting",
    {"family": 0.55, "school": 0.15, "community": 0.2, "online": 0.05, "workplace": 0.05},
)
# A simulated child's sex and age are always known (its synthetic birth date needs the age).
SEXES = weighted("sex", {"female": 0.6, "male": 0.4, "unknown": 0.0})
AGE_GROUPS = weighted(
    "age_group", {"0-5": 0.15, "6-11": 0.35, "12-15": 0.38, "16-17": 0.12, "unknown": 0.0}
)
RISK_LEVELS = weighted("risk_level", {"low": 0.25, "medium": 0.45, "high": 0.30})
MEASURES = only("measure", ("temporary_separation", "emergency_shelter", "emergency_medical_care"))
NEEDS = only(
    "service", ("counselling", "medical", "legal_aid", "education_support", "family_support")
)
CRIME_CATEGORIES = weighted(
    "crime_category",
    {"less_serious": 0.25, "serious": 0.35, "very_serious": 0.25, "especially_serious": 0.15},
)
SETTLE_OUTCOMES = weighted(
    "settle_outcome", {"instituted": 0.8, "not_instituted": 0.15, "suspended": 0.05}
)
VERDICTS = weighted("verdict", {"convicted": 0.9, "acquitted": 0.05, "returned": 0.05})
DECLINE_REASONS = VOCABULARY.codes("decline_reason")
CLOSE_REASONS = weighted("close_reason", {"goals_met": 0.8, "moved_away": 0.1, "transferred": 0.1})


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
