"""Inbox routing rules: who sees a recorded step, and who may get personal data with it."""

from __future__ import annotations

from datetime import date

from services.cases.agencies import load_agencies
from services.kafka.routing import Delivery, Router, load_router
from services.runtime.settings import DEFAULT_CONFIG_DIR


def _router() -> Router:
    return load_router(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))


def test_a_referral_goes_to_the_agency_it_names_with_personal_data() -> None:
    deliveries = _router().deliveries(
        "ReferralSent", {"to_agency": "hospital-ninh-thuan"}, "hotline-111", set()
    )
    assert deliveries == [Delivery("hospital-ninh-thuan", personal_data=True)]


def test_a_report_goes_to_the_commune_where_it_happened_and_to_social_affairs() -> None:
    deliveries = _router().deliveries(
        "CaseReported", {"commune_code": "22741"}, "hotline-111", set(), date(2024, 5, 1)
    )
    assert {d.agency for d in deliveries} == {"commune-22741", "dolisa-ninh-thuan"}


def test_a_role_route_skips_agencies_that_did_not_exist_on_the_step_s_day() -> None:
    # Khánh Hòa's Department of Health exists from 1 July 2025: not told of a 2024 report.
    deliveries = _router().deliveries(
        "CaseReported", {"commune_code": "22741"}, "hotline-111", set(), date(2024, 5, 1)
    )
    assert "doh-khanh-hoa" not in {d.agency for d in deliveries}


def test_a_report_in_a_commune_that_ended_goes_to_the_commune_that_took_it_over() -> None:
    # Commune 22741 ended on 30 June 2025; Phường Phan Rang (22921) acts for it since.
    deliveries = _router().deliveries(
        "CaseReported", {"commune_code": "22741"}, "hotline-111", set(), date(2026, 11, 22)
    )
    assert {d.agency for d in deliveries} == {"commune-22921", "doh-khanh-hoa"}
    assert all(d.personal_data for d in deliveries)


def test_participants_see_later_steps_without_personal_data() -> None:
    deliveries = _router().deliveries(
        "CourtAccepted", {}, "court-ninh-thuan", {"hotline-111", "police-ninh-thuan"}
    )
    assert deliveries == [
        Delivery("hotline-111", personal_data=False),
        Delivery("police-ninh-thuan", personal_data=False),
    ]


def test_the_author_does_not_receive_its_own_step() -> None:
    deliveries = _router().deliveries("CaseClosed", {}, "dolisa-ninh-thuan", {"dolisa-ninh-thuan"})
    assert deliveries == []


def test_an_agency_that_may_not_read_personal_data_never_gets_it() -> None:
    router = _router()
    reader = router.agencies.get("doet-ninh-thuan")
    assert reader is not None and not reader.reads_personal_data
    deliveries = router.deliveries(
        "ReferralSent", {"to_agency": "doet-ninh-thuan"}, "commune-22741", set()
    )
    assert deliveries == [Delivery("doet-ninh-thuan", personal_data=False)]


def test_a_recommendation_to_prosecute_also_notifies_the_procuracy() -> None:
    deliveries = _router().deliveries(
        "ProsecutionRecommended",
        {"to_agency": "police-ninh-thuan"},
        "dolisa-ninh-thuan",
        set(),
        date(2024, 5, 1),
    )
    assert {d.agency for d in deliveries} == {"police-ninh-thuan", "procuracy-ninh-thuan"}


def test_an_old_case_s_participants_that_ended_are_told_through_their_successors() -> None:
    # The police of Ninh Thuận took part before the 2025 merger; a step of 2026 reaches the
    # Khánh Hòa police that took over its cases, not an agency that no longer exists.
    deliveries = _router().deliveries(
        "CourtAccepted", {}, "court-khanh-hoa", {"hotline-111", "police-ninh-thuan"},
        date(2026, 3, 2),
    )  # fmt: skip
    assert {d.agency for d in deliveries} == {"hotline-111", "police-khanh-hoa"}
