"""``backbone submit`` and ``backbone rejections`` as an agency would script them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from services.cases.application import CaseService
from services.kafka.provision import provision
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import new_case_id, payload
from tests.integration.kafka.conftest import AGENCIES, history, small_config
from tests.kafkatools import poll_until
from tests.processes import run

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(intake_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    """The small directory and Ninh Thuận's police, which ended on 30 June 2025."""
    config = small_config(tmp_path / "config-merged", (*AGENCIES, "police-ninh-thuan"))
    made = intake_settings(config_dir=config)
    provision(made)
    return made


def backbone(settings: Settings, *args: str, stdin: str = "") -> str:
    done = run(settings, *args, timeout=60, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_submit_prints_the_submission_id_and_rejections_give_the_reason(
    settings: Settings, service: CaseService, intake: StopFlag
) -> None:
    case_id = new_case_id()
    fields = payload("CaseReported")
    del fields["forms_of_abuse"]  # given with --field below, as a list typed on the line
    submitted = backbone(
        settings,
        "submit",
        "CaseReported",
        "--agency",
        "hotline-111",
        "--case",
        case_id,
        "--json",
        "-",
        "--field",
        "forms_of_abuse=neglect,sexual_abuse",
        "--personal",
        "child_name=Lan",
        "--occurred-at",
        "2025-03-14T08:30:00+07:00",
        stdin=json.dumps(fields),
    ).strip()
    poll_until(lambda: len(history(service, case_id)) == 1, 30, "the report recorded")
    entry = history(service, case_id)[0]
    assert (entry.submission_id, entry.agency) == (submitted, "hotline-111")
    assert entry.payload["forms_of_abuse"] == ["neglect", "sexual_abuse"]
    assert entry.occurred_at == 1741915800000

    backbone(
        settings,
        "submit",
        "VerdictDelivered",
        "--agency",
        "court-khanh-hoa",
        "--case",
        case_id,
        "--field",
        "outcome=convicted",
    )
    shown = backbone(
        settings, "rejections", "--agency", "court-khanh-hoa", "--json", "--timeout", "20"
    )
    assert [r["reason"] for r in json.loads(shown)] == ["missing_prerequisite"]

    # The same refusal read by a person (Vietnamese by default): the workflow's sentence, in words.
    backbone(settings, "submit", "VerdictDelivered", "--agency", "court-khanh-hoa",
             "--case", case_id, "--field", "outcome=convicted")  # fmt: skip
    shown = backbone(settings, "rejections", "--agency", "court-khanh-hoa", "--timeout", "20")
    assert "missing_prerequisite" in shown
    assert "không được ghi VerdictDelivered khi vụ việc đang ở trạng thái mở: cần ghi" in shown
    assert "not allowed while" not in shown


def test_a_step_sent_as_an_ended_agency_is_rejected_in_vietnamese_naming_its_successor(
    settings: Settings, service: CaseService, intake: StopFlag
) -> None:
    # Ninh Thuận's police ended with the 2025 merger: the intake refuses its step of today, and
    # the person reading the rejections (Vietnamese by default) learns who acts for it.
    backbone(settings, "submit", "PoliceReportReceived", "--agency", "police-ninh-thuan",
             "--case", new_case_id(), "--field", "report_id=r-1")  # fmt: skip
    shown = backbone(settings, "rejections", "--agency", "police-ninh-thuan", "--timeout", "20")
    assert "agency_not_valid" in shown
    assert "cơ quan 'police-ninh-thuan' không tồn tại vào ngày" in shown
    assert "từ đó 'police-khanh-hoa' đảm nhận thay" in shown
