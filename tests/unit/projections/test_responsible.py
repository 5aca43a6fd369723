"""Who must act: the rule's role resolved to the agency of the case's area, on the day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from projections.responsible import Responsibility, load_responsibility
from services.cases.agencies import Agency, AgencyDirectory, load_agencies
from services.runtime.settings import DEFAULT_CONFIG_DIR

AREA = {"province_code": "58", "district_code": "582", "commune_code": "22741"}
NEW_AREA = {"province_code": "56", "district_code": "", "commune_code": "22924"}
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
BEFORE_MERGER = datetime(2025, 5, 2, 3, tzinfo=UTC)


def test_a_commune_role_is_the_commune_agency_of_the_cases_commune() -> None:
    names = load_responsibility(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))
    assert names.agency_for("receiving_point", None, NEW_AREA, NOW) == "commune-22924"
    assert names.agency_for("commune_chairman", None, NEW_AREA, NOW) == "commune-22924"


def test_a_provincial_role_falls_back_from_commune_to_province() -> None:
    names = load_responsibility(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))
    assert names.agency_for("police_investigation_agency", None, NEW_AREA, NOW) == (
        "police-khanh-hoa"
    )


def test_an_agency_named_by_the_step_wins() -> None:
    names = load_responsibility(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))
    assert names.agency_for("referral_recipient", "hospital-khanh-hoa", NEW_AREA, NOW) == (
        "hospital-khanh-hoa"
    )


def test_before_the_merger_an_old_case_names_the_ninh_thuan_agencies() -> None:
    names = load_responsibility(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))
    assert names.agency_for("receiving_point", None, AREA, BEFORE_MERGER) == "commune-22741"
    assert names.agency_for("police_investigation_agency", None, AREA, BEFORE_MERGER) == (
        "police-ninh-thuan"
    )


def test_after_the_merger_an_old_case_names_the_successors_of_its_ended_agencies() -> None:
    # A case of 2025 in an abolished commune of Ninh Thuận, still open in 2026: every obligation
    # names an agency that exists (agencies.toml's successors), never an ended one.
    names = load_responsibility(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))
    assert names.agency_for("receiving_point", None, AREA, NOW) == "commune-22921"
    assert names.agency_for("police_investigation_agency", None, AREA, NOW) == "police-khanh-hoa"
    assert names.agency_for("social_affairs", None, AREA, NOW) == "doh-khanh-hoa"
    assert names.agency_for("referral_recipient", "hospital-ninh-thuan", AREA, NOW) == (
        "hospital-khanh-hoa"
    )
    day = names.directory.local_day(NOW)
    for role in ("receiving_point", "police_investigation_agency", "court", "legal_aid"):
        found = names.agency_for(role, None, AREA, NOW)
        agency = names.directory.get(found or "")
        assert agency is not None and agency.valid_on(day), role


def test_the_agency_valid_on_the_provinces_day_is_chosen_after_a_reorganisation() -> None:
    old = Agency("dolisa", "DOLISA", "social_affairs", "58", date(2022, 1, 1), date(2025, 6, 30))
    new = Agency("health-dept", "Health", "social_affairs", "58", date(2025, 7, 1))
    names = Responsibility(AgencyDirectory([old, new]), {}, {})
    # 30 June 2025 at 18:00 UTC is already 1 July in Vietnam.
    assert names.agency_for(
        "social_affairs", None, AREA, datetime(2025, 6, 30, 16, tzinfo=UTC)
    ) == ("dolisa")
    assert names.agency_for(
        "social_affairs", None, AREA, datetime(2025, 6, 30, 18, tzinfo=UTC)
    ) == ("health-dept")


def test_names_of_agencies_and_areas_come_from_the_data_files() -> None:
    names = load_responsibility(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))
    assert names.area_name("58") == "Ninh Thuận"
    assert "Police" in names.agency_name("police-khanh-hoa")
    assert names.agency_for("no_such_role", None, AREA, NOW) is None
