"""Personal data never reaches a log line or a stored row in clear (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
import structlog

from services.cases import errors
from services.cases.application import CaseService

NOW = 1_700_000_000_000
PERSONAL = {
    "child_name": "Pinang Thị Hồng Nhung",
    "child_birth_date": "2014-03-09",
    "child_address": "Thôn Suối Khô, xã Phước Bình",
    "child_contact": "0912 345 678",
    "reporter_name": "Katơr Văn Minh",
    "reporter_contact": "minh.reporter@example.vn",
}


def clear_forms(value: str) -> list[bytes]:
    """The ways a value could sit in clear in a row or a log: raw UTF-8 and JSON-escaped."""
    return [value.encode("utf-8"), json.dumps(value)[1:-1].encode("ascii")]


def stored_bytes(engine: sa.Engine) -> bytes:
    """Every value of every table, as the driver returns it (no type processing)."""
    dump = bytearray()
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            for row in connection.exec_driver_sql(f'SELECT * FROM "{table}"'):
                for value in row:
                    dump += _as_bytes(value)
    return bytes(dump)


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def work_on_a_case(service: CaseService) -> str:
    case_id = str(uuid.uuid4())
    service.report(case_id, {"channel": "hotline"}, "hotline-111", "s0", NOW, PERSONAL)
    service.record(
        case_id,
        "TransferredToCommune",
        {"commune_code": "22783"},
        "hotline-111",
        "s1",
        NOW,
        {"child_contact": PERSONAL["child_contact"]},
    )
    assert service.read_personal_data(case_id, "commune-22930") == PERSONAL
    with pytest.raises(errors.CaseError):
        service.record(
            case_id,
            "NeedsAssessed",
            {"child_name": PERSONAL["child_name"]},
            "commune-22783",
            "s2",
            NOW,
        )
    service.verify(case_id)
    return case_id


def test_no_personal_data_in_logs(service: CaseService, capfd: pytest.CaptureFixture[str]) -> None:
    with structlog.testing.capture_logs() as captured:
        case_id = work_on_a_case(service)
    out, err = capfd.readouterr()
    logged = (repr(captured) + out + err).encode("utf-8")
    assert case_id.encode() in logged
    for value in PERSONAL.values():
        assert not any(form in logged for form in clear_forms(value)), value


def test_no_personal_data_in_stored_rows(service: CaseService, settings_url: str) -> None:
    work_on_a_case(service)
    engine = sa.create_engine(settings_url)
    try:
        dump = stored_bytes(engine)
    finally:
        engine.dispose()
    assert b"CaseReported" in dump
    for value in PERSONAL.values():
        assert not any(form in dump for form in clear_forms(value)), value


@pytest.fixture
def settings_url(service: CaseService) -> str:
    url = service.env.get("SQLALCHEMY_URL")
    assert url
    return url
