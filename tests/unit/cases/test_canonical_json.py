"""The recording path's fast JSON writes the very bytes the standard library writes: the
chain's canonical form (hashes depend on every byte) and the event state the store keeps."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from services.cases.canonical import PlainDict, canonical_json, is_plain
from services.cases.chain import hashed_content
from services.cases.domainmodel import Case, Submission
from services.cases.recorder import StateTranscoder
from services.cases.workflow import load_workflow
from services.runtime.settings import DEFAULT_CONFIG_DIR

WORKFLOW = load_workflow(DEFAULT_CONFIG_DIR / "workflow.toml")


class Colour(StrEnum):
    RED = "red"


TEXTS = ["", "plain", "Nguyễn Văn An", "tab\tnew\nline", "\x00\x1f\x7f", "\u2028\u2029", "😀"]
VALUES: list[Any] = [
    *TEXTS,
    0,
    -1,
    2**63 - 1,
    -(2**63),
    2**64 - 1,
    2**70,  # beyond 64 bits: orjson refuses, json writes it
    True,
    False,
    None,
    [],
    {},
    ["school", ["nested", {"b": 1, "a": None}]],
    {"z": 1, "a": 2, "é": 3, "😀": 4, "\uff5a": 5, "": 6},  # code point order, astral last
    1.5,
    1e16,  # orjson would write 1e16, json writes 1e+16
    1e-7,  # orjson writes 1e-7, json writes 1e-07
    Colour.RED,
]


def standard(content: Any) -> bytes:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_canonical_form_is_the_standard_librarys_byte_for_byte(value: Any) -> None:
    content = {"case_id": "c", "sequence": 3, "payload": {"field": value, "list": [value]}}
    assert canonical_json(content) == standard(content)


def test_only_exact_plain_types_count_as_plain() -> None:
    assert is_plain({"a": [1, "x", None, True, {"b": []}]})
    assert not is_plain({"a": 1.5})
    assert not is_plain({"a": Colour.RED})
    assert not is_plain({1: "integer key"})
    assert not is_plain({"a": (1, 2)})
    assert is_plain({"a": PlainDict({"b": 1})})


@pytest.mark.parametrize("value", [*VALUES, (1, "x")], ids=repr)
def test_a_new_events_payload_is_marked_plain_exactly_when_it_is(value: Any) -> None:
    """The rules' walk of a payload decides whether the event's copy is a PlainDict, which the
    canonical form and the stored state then take as plain without looking inside: both are
    still the standard library's bytes."""
    payload = {"field": value, "list": [value]}
    submission = Submission("CaseReported", payload, "hotline-111", "hotline", 1000, "s0")
    event = Case.report(UUID(int=1), submission, WORKFLOW).last_event
    assert (type(event.payload) is PlainDict) is is_plain(payload)
    assert event.payload == payload
    content = hashed_content(str(event.originator_id), 1, event) | {"payload": payload}
    assert event.hash == hashlib.sha256(standard(content)).hexdigest()
    stored = {
        k: v for k, v in vars(event).items() if k not in ("originator_id", "originator_version")
    }
    assert fast_transcoder().encode(stored) == library_transcoder().encode(
        stored | {"payload": payload}
    )


def test_a_state_of_plain_values_and_instants_is_written_as_the_library_writes_it() -> None:
    """Only one datetime, the timestamp, is transcoded without a walk of the state's values."""
    instant = datetime(2026, 12, 3, 12, 19, 55, 615000, tzinfo=UTC)
    later = instant + timedelta(days=1)
    states = [
        {"timestamp": instant, "payload": PlainDict({"round": 1}), "step": "S"},
        {"timestamp": instant, "payload": PlainDict(), "due": later},
        {"timestamp": instant, "due": instant},
        {"due": later, "step": "S"},
        {"timestamp": instant, "payload": PlainDict(), "amount": 1e-7},
        {"step": "S", "round": 2**70},
    ]
    for state in states:
        assert fast_transcoder().encode(state) == library_transcoder().encode(state), state


def test_a_plain_payload_beside_a_value_orjson_spells_its_own_way_is_hashed_as_json_writes_it() -> (
    None
):
    """A plain payload alone does not make the event's canonical form plain: its other values
    are looked at too (an instant given as a float, which orjson would write as 1e-7)."""
    submission = Submission("CaseReported", {"round": 1}, "hotline-111", "hotline", 1e-7, "s0")  # type: ignore[arg-type]
    event = Case.report(UUID(int=1), submission, WORKFLOW).last_event
    content = hashed_content(str(event.originator_id), 1, event)
    assert event.hash == hashlib.sha256(standard(content)).hexdigest()


def library_transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


def fast_transcoder() -> StateTranscoder:
    transcoder = StateTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


@pytest.mark.parametrize("value", [*VALUES, UUID(int=7), Decimal("1.10")], ids=repr)
def test_an_event_state_is_written_as_the_library_writes_it(value: Any) -> None:
    state = {
        "timestamp": datetime(2026, 12, 3, 12, 19, 55, 615000, tzinfo=UTC),
        "step": "NeedsAssessed",
        "payload": {"needs": [value], "round": 3},
        "occurred_at": 1_700_000_000_000,
        "sealed_personal_data": "",
    }
    written = fast_transcoder().encode(state)
    assert written == library_transcoder().encode(state)
    assert library_transcoder().decode(written) == state


def test_an_instant_in_another_zone_keeps_its_offset_and_the_state_is_left_as_it_was() -> None:
    """The transcoder keeps the last datetime it wrote: an equal instant given in another zone
    is still written as the library writes it, and a state is encoded without being altered."""
    transcoder = fast_transcoder()
    utc = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
    hanoi = utc.astimezone(timezone(timedelta(hours=7)))
    for instant in (utc, hanoi, hanoi, utc):
        state = {"timestamp": instant, "step": "CaseReported", "payload": {"round": 1}}
        copy = dict(state)
        assert transcoder.encode(state) == library_transcoder().encode(state)
        assert state == copy and state["timestamp"] is instant
