"""Dashboard users are data: hashed passwords, roles, the area each one may see."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.web.users import UserBook, UserRecordError, make_user

PASSWORD = "correct horse battery"
IN_582 = {"province_code": "58", "district_code": "582", "commune_code": "22738"}
IN_585 = {"province_code": "58", "district_code": "585", "commune_code": "22783"}


def test_the_file_keeps_a_hash_and_a_user_logs_in_only_with_the_password(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    UserBook(path).put(make_user("minh", "district_supervisor", "585", PASSWORD, "district-585"))
    assert PASSWORD not in path.read_text() and "$argon2id$" in path.read_text()
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    book = UserBook(path)
    assert book.authenticate("minh", PASSWORD) is not None
    assert book.authenticate("minh", "wrong password!") is None
    assert book.authenticate("nobody", PASSWORD) is None


def test_a_changed_password_applies_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    running = UserBook(path)
    UserBook(path).put(make_user("kim", "auditor", "", PASSWORD))
    assert running.authenticate("kim", PASSWORD) is not None
    UserBook(path).set_password("kim", "a brand new passphrase")
    assert running.authenticate("kim", PASSWORD) is None
    assert running.authenticate("kim", "a brand new passphrase") is not None


def test_a_district_supervisor_sees_the_district_and_an_auditor_everything_read_only() -> None:
    minh = make_user("minh", "district_supervisor", "585", PASSWORD, "district-585")
    lan = make_user("lan", "province_supervisor", "58", PASSWORD, "peoples-committee-khanh-hoa")
    kim = make_user("kim", "auditor", "", PASSWORD)
    assert minh.sees(IN_585) and not minh.sees(IN_582)
    assert lan.sees(IN_582) and lan.sees(IN_585)
    assert kim.sees(IN_582) and kim.read_only and not lan.read_only


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("ann", "district_supervisor", "582", "short"), "password_too_short"),
        (("ann", "district_supervisor", "", PASSWORD), "area_needed"),
        (("ann", "mayor", "582", PASSWORD), "unknown_role"),
        (("ann smith", "auditor", "", PASSWORD), "bad_user_name"),
    ],
)
def test_bad_user_records_are_refused_with_a_reason(args: tuple[str, ...], reason: str) -> None:
    with pytest.raises(UserRecordError) as refused:
        make_user(*args)
    assert refused.value.reason == reason


def test_an_agency_officer_needs_an_agency_and_sees_no_supervisors_area() -> None:
    with pytest.raises(UserRecordError) as refused:
        make_user("thu", "agency_officer", "", PASSWORD)
    assert refused.value.reason == "agency_needed"
    thu = make_user("thu", "agency_officer", "", PASSWORD, "commune-22921")
    assert thu.works_for_agency and thu.read_only  # no supervisors' follow-ups
    assert not thu.sees(IN_582)  # the board is the supervisors'; the workbench is theirs
