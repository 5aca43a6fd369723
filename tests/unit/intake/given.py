"""What the intake's rules are tested with: records as an agency sends them, and a translator.

No broker, no store: records are plain values with a consumer record's attributes, the agency
directory and the vocabulary are the deployed ones, and the clocks are the tests' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from events import Codec, Topics, generate_keypair
from services.cases import errors
from services.cases.agencies import load_agencies
from services.cases.application import StepRequest
from services.cases.views import RecordedStep
from services.intake.bounds import Bounds
from services.intake.holding import Holds
from services.intake.refusals import IntakeRefusal
from services.intake.translator import Disposition, Plan, StepTranslator
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.vocabulary import load_vocabulary
from tests.unit.events.samples import SAMPLES

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)  # half an hour after the samples' steps
MAX_BYTES = 262_144
HOLD_S = 30.0
CODEC = Codec.from_directory()
KEYS = generate_keypair()
TOPICS = Topics("backbone")
AGENCIES = load_agencies(DEFAULT_CONFIG_DIR)
HOTLINE = "hotline-111"


@dataclass
class Record:
    """A record as the intake reads it from an agency's intake topic."""

    value: bytes | None
    topic: str = f"backbone.intake.{HOTLINE}"
    partition: int = 0
    offset: int = 7
    timestamp: int = 0


@dataclass
class Clock:
    """Monotonic seconds that move only when a test says so."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def translator(
    *, private_key: str = KEYS.private_key, clock: Clock | None = None, codec: Any = CODEC
) -> StepTranslator:
    bounds = Bounds(load_vocabulary(DEFAULT_CONFIG_DIR), MAX_BYTES, clock=lambda: NOW)
    holds = Holds(HOLD_S, clock or Clock())
    return StepTranslator(codec, TOPICS, private_key, bounds, AGENCIES, holds)


def sent(wire_name: str, **changed: Any) -> Record:
    """The sample ``wire_name`` record with ``changed`` fields, encoded, on the hotline's topic."""
    return Record(CODEC.encode(wire_name, SAMPLES[wire_name] | changed))


def plan(record: Record) -> Plan:
    return translator().plan(record)


def refusal(record: Record) -> IntakeRefusal:
    planned = plan(record)
    assert isinstance(planned, IntakeRefusal), planned
    return planned


def decided(
    the_translator: StepTranslator, record: Record, answer: RecordedStep | errors.CaseError
) -> Disposition:
    """The fate of ``record``, planned into a step request that the case service ``answer``ed."""
    request = the_translator.plan(record)
    assert isinstance(request, StepRequest), request
    [outcome] = the_translator.decide([record], [request], [answer])
    return outcome
