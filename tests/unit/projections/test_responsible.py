"""Who must act: the rule's role resolved to the agency of the case's area, on the day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from projections.responsible import Responsibility, load_responsibility
from services.cases.agencies import Agency, AgencyDirectory
from services.settings import DEFAULT_CONFIG_DIR

AREA = {"province_code": "58", "district_code": "582", "commune_code": "22741"}
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_a_commune_role_is_the_commune_agency_of_the_cases_commune() -> None:
    names = load_responsibility(DEFAULT_CONFIG_DIR)
    assert names.agency_for("receiving_point", None, AREA, NOW) == "commune-22741"
    assert names.agency_for("commune_chairman", None, AREA, NOW) == "commune-22741"


def test_a_provincial_role_falls_back_from_commune_to_province() -> None:
    names = load_responsibility(DEFAULT_CONFIG_DIR)
    assert names.agency_for("police_investigation_agency", None, AREA, NOW) == "police-ninh-thuan"


def test_an_agency_named_by_the_step_wins() -> None:
    names = load_responsibility(DEFAULT_CONFIG_DIR)
    assert names.agency_for("referral_recipient", "hospital-ninh-thuan", AREA, NOW) == (
        "hospital-ninh-thuan"
    )


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
    names = load_responsibility(DEFAULT_CONFIG_DIR)
    assert names.area_name("58") == "Ninh Thuận"
    assert "Police" in names.agency_name("police-ninh-thuan")
    assert names.agency_for("no_such_role", None, AREA, NOW) is None
