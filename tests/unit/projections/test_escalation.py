"""Alerts are addressed to the supervisors of the case's area, by escalation level."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from events import Codec, Topics
from projections.casefile import CaseFile
from projections.escalation import Addressing, load_addressing
from projections.messages import Outbox
from projections.stalled.alerts import Alert
from services.cases.agencies import Agency, AgencyDirectory, load_agencies
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.runtime.tomlfile import ConfigFileError
from tests.unit.projections.builders import Story

AREA = {"province_code": "58", "district_code": "582", "commune_code": "22738"}
BEFORE_2025_REFORM = datetime(2024, 5, 1, 3, tzinfo=UTC)
AFTER_2025_REFORM = datetime(2026, 5, 1, 3, tzinfo=UTC)
PROVINCE = ["dolisa-ninh-thuan", "peoples-committee-ninh-thuan"]
CRIMINAL = ["court-ninh-thuan", "police-ninh-thuan", "procuracy-ninh-thuan"]
EVERYONE = sorted(["district-582", *PROVINCE, *CRIMINAL])


@pytest.fixture(scope="module")
def addressing() -> Addressing:
    return load_addressing(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))


def test_an_overdue_case_is_told_to_its_district_people_s_committee(
    addressing: Addressing,
) -> None:
    assert addressing.recipients(1, AREA, BEFORE_2025_REFORM) == ["district-582"]


def test_an_escalated_case_is_told_to_the_province_and_still_to_its_district(
    addressing: Addressing,
) -> None:
    told = addressing.recipients(2, AREA, BEFORE_2025_REFORM)
    assert told == ["district-582", *PROVINCE]


def test_without_districts_an_overdue_case_goes_to_the_province(addressing: Addressing) -> None:
    # The old case's province ended too: its People's Committee's successor is told.
    assert addressing.recipients(1, AREA, AFTER_2025_REFORM) == ["peoples-committee-khanh-hoa"]


def test_the_day_districts_ended_is_the_province_s_local_day_not_utc(
    addressing: Addressing,
) -> None:
    # The district's last day is 2025-06-30; 18:00 UTC that day is 01:00 on 1 July in Vietnam.
    last_evening_utc = datetime(2025, 6, 30, 16, 59, tzinfo=UTC)
    first_morning_local = datetime(2025, 6, 30, 18, 0, tzinfo=UTC)
    assert addressing.recipients(1, AREA, last_evening_utc) == ["district-582"]
    assert addressing.recipients(1, AREA, first_morning_local) == ["peoples-committee-khanh-hoa"]


def test_a_recovery_is_told_to_everyone_a_level_would_have_told(addressing: Addressing) -> None:
    told = addressing.recipients(0, AREA, BEFORE_2025_REFORM)
    assert told == EVERYONE


def test_a_broken_entry_fails_loudly(tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "escalation.toml").write_text('[[level]]\nlevel = 1\nroles = ["supervisor"]\n')
    with pytest.raises(ConfigFileError, match=r"level\[1\] lacks the required key 'area'"):
        load_addressing(folder, load_agencies(DEFAULT_CONFIG_DIR))


def test_a_recovery_alert_on_the_wire_names_the_supervisors_to_notify(
    addressing: Addressing,
) -> None:
    codec = Codec.from_directory()
    outbox = Outbox(codec, Topics("backbone"), addressing)
    case = CaseFile.new("0b7f3e12-58c4-4a9d-8e21-7c3d9f6a5b40")
    case.area.update(AREA)
    alert = Alert("a:recovered:1", "recovered", case.state.case_id, 0, None, BEFORE_2025_REFORM)

    row = outbox.alert(alert, case, raised_at=BEFORE_2025_REFORM)

    notify = codec.decode(row["value"]).record["notify"]
    assert notify == EVERYONE


def test_a_late_alert_goes_to_the_supervisors_in_office_when_it_is_raised(
    addressing: Addressing,
) -> None:
    outbox = Outbox(Codec.from_directory(), Topics("backbone"), addressing)
    case = CaseFile.new("0b7f3e12-58c4-4a9d-8e21-7c3d9f6a5b40")
    case.area.update(AREA)
    stalled_before_reform = Alert("a:stalled:1", "stalled", case.state.case_id, 1, None,
                                  BEFORE_2025_REFORM)  # fmt: skip

    row = outbox.alert(stalled_before_reform, case, raised_at=AFTER_2025_REFORM)

    assert Codec.from_directory().decode(row["value"]).record["notify"] == [
        "peoples-committee-khanh-hoa"
    ]


@pytest.mark.parametrize(
    "rule_id",
    ["police_settle_report", "investigation_serious", "prosecution_serious", "trial_opens"],
)
def test_a_criminal_track_stall_reaches_the_procuracy_court_and_police(
    addressing: Addressing, rule_id: str
) -> None:
    # Plan §IV.10 (court and procuracy) and §IV.9.a (police); the district supervisor as before.
    told = addressing.recipients(1, AREA, BEFORE_2025_REFORM, rule_id)
    assert told == sorted(["district-582", *CRIMINAL])


def test_a_social_protection_stall_does_not_reach_the_criminal_agencies(
    addressing: Addressing,
) -> None:
    told = addressing.recipients(2, AREA, BEFORE_2025_REFORM, "support_plan_drafted")
    assert told == ["district-582", *PROVINCE]


def test_a_stalled_alert_on_the_wire_names_the_procuracy_for_a_police_deadline(
    addressing: Addressing,
) -> None:
    outbox = Outbox(Codec.from_directory(), Topics("backbone"), addressing)
    case = CaseFile.new("0b7f3e12-58c4-4a9d-8e21-7c3d9f6a5b40")
    case.area.update(AREA)
    story = Story().add("PoliceReportReceived", BEFORE_2025_REFORM, report_id="r1")
    (report,) = story.state().obligations
    alert = Alert("a:stalled:1", "stalled", case.state.case_id, 1, report, BEFORE_2025_REFORM)
    notify = (
        Codec.from_directory()
        .decode(outbox.alert(alert, case, raised_at=BEFORE_2025_REFORM)["value"])
        .record["notify"]
    )
    assert "procuracy-ninh-thuan" in notify and "police-ninh-thuan" in notify


def test_an_old_case_s_stall_after_its_agencies_ended_reaches_their_successors(
    addressing: Addressing,
) -> None:
    # Ninh Thuận's procuracy ended on 30 June 2025 here; agencies.toml names its successor.
    old = Agency("procuracy-ninh-thuan", "old", "procuracy", "58", date(2022, 1, 1),
                 date(2025, 6, 30), successor="procuracy-khanh-hoa")  # fmt: skip
    new = Agency("procuracy-khanh-hoa", "new", "procuracy", "56", date(2025, 7, 1))
    merged = replace(addressing, agencies=AgencyDirectory([old, new]))
    told = merged.recipients(1, AREA, AFTER_2025_REFORM, "investigation_serious")
    assert told == ["procuracy-khanh-hoa"]
    assert merged.recipients(1, AREA, BEFORE_2025_REFORM, "investigation_serious") == [
        "procuracy-ninh-thuan"
    ]


def test_a_case_of_the_merged_province_reaches_its_agencies(addressing: Addressing) -> None:
    area = {"province_code": "56", "commune_code": "22921"}  # a commune made in 2025, no district
    told = addressing.recipients(2, area, AFTER_2025_REFORM, "support_plan_drafted")
    assert told == ["doh-khanh-hoa", "peoples-committee-khanh-hoa"]
