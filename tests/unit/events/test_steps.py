"""The step list read without fastavro is the codec's list of step wire names."""

from events import Codec, steps
from events.steps import STEP_NAMES

NOT_STEPS = {"CaseEvent", "Rejection", "PersonalData", "Alert"}


def test_step_names_are_the_contract_records_other_than_envelopes() -> None:
    assert Codec.from_directory().wire_names - NOT_STEPS == STEP_NAMES
    assert "CaseReported" in STEP_NAMES and "PersonalDataErased" in STEP_NAMES


def test_every_step_the_code_names_is_a_current_step_schema() -> None:
    named = {v for k, v in vars(steps).items() if k.isupper() and isinstance(v, str)}
    assert named and named <= STEP_NAMES
