"""The simulator opens cases only in areas, and with agencies, that exist on the case's date
(the 2025 reorganisation: Ninh Thuận merged into Khánh Hòa on 1 July 2025; issue 11, point 7)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from random import Random
from zoneinfo import ZoneInfo

from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.simulator.province import load_province
from services.simulator.stories import tell
from tests.unit.simulator.helpers import LOOKAHEAD, clock

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def test_before_the_merger_the_province_is_ninh_thuan_with_its_districts() -> None:
    province = load_province(DEFAULT_CONFIG_DIR, on=date(2024, 5, 1))
    assert province.code == "58"
    assert province.first("court") == "court-ninh-thuan"
    assert province.first("social_affairs") == "dolisa-ninh-thuan"
    assert all(c.district_code for c in province.communes)


def test_after_the_merger_ninh_thuan_is_followed_to_khanh_hoa() -> None:
    province = load_province(DEFAULT_CONFIG_DIR, "58", on=date(2026, 3, 1))
    assert province.code == "56"
    assert province.first("court") == "court-khanh-hoa"
    # Child protection moved to the Department of Health.
    assert province.first("social_affairs") == "doh-khanh-hoa"
    assert {c.code for c in province.communes} == {"22921", "22924", "22927", "22930"}
    assert province.since == date(2025, 7, 1)


def test_no_case_is_dated_before_its_commune_existed() -> None:
    # A month after the merger, stories back-dated up to 300 days would reach 2024; they start
    # on 1 July 2025 (local) at the earliest instead.
    now = datetime(2025, 8, 1, 3, tzinfo=UTC)
    province = load_province(DEFAULT_CONFIG_DIR, on=now.date())
    rng = Random(3)
    reported = [tell(rng, province, clock(), now, LOOKAHEAD).reported_at for _ in range(60)]
    assert min(at.astimezone(LOCAL).date() for at in reported) >= date(2025, 7, 1)
    assert any(at.astimezone(LOCAL).date() == date(2025, 7, 1) for at in reported)
