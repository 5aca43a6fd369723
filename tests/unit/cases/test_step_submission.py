"""A step request becomes the submission the aggregate decides on: the agency's own id and
role, the fields as plain values, nothing sealed yet."""

from __future__ import annotations

from datetime import UTC, datetime

from services.cases.agencies import load_agencies
from services.cases.domainmodel import Submission
from services.cases.recording import StepBatch, StepRequest
from services.cases.workflow import load_workflow
from services.runtime.settings import DEFAULT_CONFIG_DIR

AGENCIES = load_agencies(DEFAULT_CONFIG_DIR)
WORKFLOW = load_workflow(DEFAULT_CONFIG_DIR / "workflow.toml")
T0 = 1_700_000_000_000


def test_a_request_is_submitted_as_the_dataclass_would_make_it() -> None:
    fields = {"needs": ("school", "shelter"), "due": datetime.fromtimestamp(1, UTC), "round": 2}
    request = StepRequest("case", "NeedsAssessed", fields, "commune-22738", "s1", T0)
    batch = StepBatch({}, None, workflow=WORKFLOW, agencies=AGENCIES, find=lambda _: None)  # type: ignore[arg-type]
    submission = batch._submission(request)
    agency = AGENCIES.get("commune-22738")
    assert agency is not None
    payload = {"needs": ["school", "shelter"], "due": 1000, "round": 2}
    expected = Submission("NeedsAssessed", payload, agency.id, agency.role, T0, "s1")
    assert submission == expected
    assert vars(submission) == vars(expected)  # the same attributes, in the same order
    assert list(vars(submission)) == list(vars(expected))
