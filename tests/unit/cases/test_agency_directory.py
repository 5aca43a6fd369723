"""The agency directory read from deploy/config/agencies.toml."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from events.instants import to_millis
from services.cases.agencies import ROLES, Agency, AgencyDirectory, load_agencies
from services.cases.workflow import load_workflow
from services.runtime.settings import DEFAULT_CONFIG_DIR

DIRECTORY = load_agencies(DEFAULT_CONFIG_DIR)


def test_the_province_agencies_are_listed_by_role() -> None:
    assert [a.id for a in DIRECTORY.by_role("court")] == ["court-ninh-thuan", "court-khanh-hoa"]
    police = DIRECTORY.get("police-ninh-thuan")
    assert police is not None and police.role == "police" and police.reads_personal_data


def test_an_unknown_agency_is_none() -> None:
    assert DIRECTORY.get("nobody") is None


def test_district_committees_end_with_the_2025_reorganisation() -> None:
    district = DIRECTORY.get("district-584")
    assert district is not None
    assert district.valid_on(date(2024, 5, 1))
    assert not district.valid_on(date(2025, 7, 1))


def test_every_agency_area_is_a_known_unit() -> None:
    areas = tomllib.loads((DEFAULT_CONFIG_DIR / "areas.toml").read_text(encoding="utf-8"))
    codes = {"00"} | {
        u["code"] for kind in ("province", "district", "commune") for u in areas[kind]
    }
    assert {a.area for a in DIRECTORY.all()} <= codes


def test_every_workflow_role_is_an_agency_role() -> None:
    workflow = load_workflow(DEFAULT_CONFIG_DIR / "workflow.toml")
    assert set().union(*(rule.roles for rule in workflow.steps.values())) <= ROLES


def test_an_unknown_role_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "agencies.toml").write_text(
        '[[agency]]\nid = "x"\nname = "X"\nrole = "wizard"\narea = "58"\nvalid_from = 2022-01-01\n'
    )
    with pytest.raises(ValueError, match="wizard"):
        load_agencies(tmp_path)


def test_validity_days_are_the_province_s_local_days() -> None:
    assert DIRECTORY.local_day(datetime(2025, 6, 30, 18, tzinfo=UTC)) == date(2025, 7, 1)


@pytest.mark.parametrize(
    "zone", ["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/Sao_Paulo", "Pacific/Apia"]
)
def test_the_local_day_of_epoch_milliseconds_is_the_local_day_of_the_instant(zone: str) -> None:
    """Around midnights and the clock changes of zones with summer time (Sao Paulo's began at
    midnight; Apia skipped 30 December 2011), asked in order and out of order."""
    directory = AgencyDirectory(DIRECTORY.all(), ZoneInfo(zone))
    days = [(2018, 11, 3), (2011, 12, 29), (2025, 3, 29), (2025, 6, 30)]
    starts = [datetime(*day, tzinfo=UTC) for day in days]
    instants = [
        start + timedelta(minutes=step * 7, milliseconds=offset)
        for start in starts
        for step in range(0, 48 * 60 // 7)
        for offset in (-1, 0, 1)
    ]
    for at in [*instants, *reversed(instants)]:
        assert directory.local_day_of(to_millis(at)) == directory.local_day(at), at


def test_an_unknown_time_zone_in_the_directory_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "agencies.toml").write_text('zone = "Mars/Olympus"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="Mars/Olympus"):
        load_agencies(tmp_path)


def test_every_ninh_thuan_agency_ends_with_the_merger_and_names_a_successor_in_office() -> None:
    # Issue 11, point 7: on 1 July 2025 Ninh Thuận merged into Khánh Hòa and child protection
    # moved to the Department of Health; the old agencies end on 30 June 2025.
    ended = [a for a in DIRECTORY.all() if a.area == "58" or a.area.startswith(("58", "227", "228"))
             or a.area in {"22915", "22918"}]  # fmt: skip
    assert len(ended) == 31
    for agency in ended:
        assert agency.valid_to == date(2025, 6, 30), agency.id
        if agency.role == "supervisor" and agency.area != "58":
            continue  # the district People's Committees were abolished with the districts
        successor = DIRECTORY.get(agency.successor or "")
        assert successor is not None and successor.valid_on(date(2025, 7, 1)), agency.id
        assert successor.role == agency.role, agency.id


def test_child_protection_passes_from_dolisa_to_the_department_of_health() -> None:
    last_day = DIRECTORY.in_office("dolisa-ninh-thuan", date(2025, 6, 30))
    first_day = DIRECTORY.in_office("dolisa-ninh-thuan", date(2025, 7, 1))
    assert last_day is not None and last_day.id == "dolisa-ninh-thuan"
    assert first_day is not None and first_day.id == "doh-khanh-hoa"
    assert DIRECTORY.in_office("district-582", date(2025, 7, 1)) is None  # no successor


def test_a_successor_that_is_not_listed_is_refused_at_load() -> None:
    old = Agency("old", "Old", "police", "58", date(2022, 1, 1), date(2025, 6, 30), successor="x")
    with pytest.raises(ValueError, match="successor 'x'"):
        AgencyDirectory([old])
