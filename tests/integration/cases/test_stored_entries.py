"""The relay's read of the store (``sealed_entries_since``) gives, for every kind of stored case
event, what the library's decoding and ``entry_of`` give, on SQLite and on PostgreSQL; it goes
the library's way only where its own does not read a state the library's way."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from eventsourcing.persistence import TranscodingNotRegisteredError

from services.cases.application import CaseService
from services.cases.domainmodel import Case
from services.cases.storedentries import EntryReader
from services.cases.views import HistoryEntry, entry_of

NOW = 1_700_000_000_000


def the_librarys_way(service: CaseService) -> list[tuple[int, HistoryEntry, str]]:
    found = []
    for stored in service.recorder.select_notifications(start=0, limit=1000):
        event = service.mapper.to_domain_event(stored)
        assert isinstance(event, Case.Event)
        found.append((stored.id, entry_of(event), event.sealed_personal_data))
    return found


def library_decodes(service: CaseService, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The topics the library decodes from now on (the reader's way out)."""
    decoded: list[str] = []
    library = service.mapper.to_domain_event

    def counted(stored: Any) -> Any:
        decoded.append(stored.topic)
        return library(stored)

    monkeypatch.setattr(service.mapper, "to_domain_event", counted)
    return decoded


def test_every_kind_of_stored_event_reads_as_the_library_reads_it(
    service: CaseService, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = str(uuid.uuid4())
    service.report(
        case_id, {"channel": "hotline"}, "hotline-111", "r", NOW, {"child_name": "Đinh Thị Mai"}
    )
    fields: dict[str, Any] = {
        "needs": ["school", "trường học"],
        "plan": [{"item": "visit", "done": False, "nested": {"deep": [1, 2, None]}}],
        "note": 'a "quoted" \\ backslash and \u00e9 and \U0001f600',
        "looks_typed": {"_type_": "not-a-transcoding", "_data_": "x", "third": 1},
        "is_typed": [{"_type_": "datetime_iso", "_data_": "2025-03-21T10:00:00+00:00"}],
        "count": -7,
    }
    service.record(case_id, "NeedsAssessed", fields, "commune-22738", "s1", NOW + 1)
    service.forget(case_id, "doh-khanh-hoa")
    service.record(str(uuid.uuid4()), "CaseReported", {"channel": "web"}, "hotline-111", "r", NOW)
    expected = the_librarys_way(service)
    decoded = library_decodes(service, monkeypatch)

    read = service.sealed_entries_since(0, 1000)

    assert read == expected
    assert [entry.step for _, entry, _ in read] == [
        "CaseReported",
        "NeedsAssessed",
        "PersonalDataErased",
        "CaseReported",
    ]
    assert read[0][2] and read[0][1].has_personal_data  # the sealed data, still sealed
    assert isinstance(read[1][1].payload["is_typed"][0], datetime)  # as the library revives it
    assert decoded == []  # all read without the library's decoding


def test_an_event_read_again_or_after_another_reads_with_its_own_recording_instant(
    service: CaseService,
) -> None:
    """The reader keeps the last recording instant it decoded (a recording's events share it):
    read once more, after the same event and after another one, each event is still the
    library's."""
    case_id = str(uuid.uuid4())
    service.report(case_id, {"channel": "web"}, "hotline-111", "r", NOW)
    service.record(case_id, "NeedsAssessed", {"needs": ["school"]}, "commune-22738", "s", NOW)
    first, second = service.recorder.select_notifications(start=0, limit=1000)
    order = [first, first, second, second, first]
    reader = EntryReader(service.mapper)

    read = [reader.sealed_entry(stored) for stored in order]

    expected = {n: entry for n, entry, _ in the_librarys_way(service)}
    assert [entry for entry, _ in read] == [expected[stored.id] for stored in order]


@pytest.mark.parametrize(
    "value",
    [2**70, -(2**64), 0.1, 1e300],
    ids=["beyond 64 bits", "below 64 bits", "fraction", "exponent"],
)
def test_a_number_beyond_64_bit_integers_is_read_the_librarys_way(
    service: CaseService, monkeypatch: pytest.MonkeyPatch, value: float
) -> None:
    """orjson reads an integer beyond 64 bits as a float; the library keeps it an integer."""
    service.report(str(uuid.uuid4()), {"channel": "x", "n": [value]}, "hotline-111", "r", NOW)
    expected = the_librarys_way(service)
    decoded = library_decodes(service, monkeypatch)

    read = service.sealed_entries_since(0, 1000)

    assert read == expected
    number = read[0][1].payload["n"][0]
    assert (type(number), number) == (type(value), value)
    assert len(decoded) == 1


def test_a_state_the_library_cannot_decode_fails_with_the_librarys_error(
    service: CaseService,
) -> None:
    case_id = str(uuid.uuid4())
    strange = {"channel": "hotline", "when": {"_type_": "no-such-type", "_data_": "x"}}
    service.report(case_id, strange, "hotline-111", "r", NOW)

    with pytest.raises(Exception) as library:
        the_librarys_way(service)
    with pytest.raises(type(library.value)):
        service.sealed_entries_since(0, 1000)
    assert isinstance(library.value.__cause__, TranscodingNotRegisteredError)
