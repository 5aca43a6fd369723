"""The verifier's fast hash (orjson) agrees with the chain's exact formula, or defers to it."""

from __future__ import annotations

import json

from services.audit.rows import StoredRow, parse_state, quick_hash
from services.cases.chain import event_hash

CASE = "6f0c2a43-8d1e-4a53-9a5e-2b1f3f1d6c11"


def state(payload: object, **extra: object) -> bytes:
    fields = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-03-02T02:00:00.123000+00:00"},
        "step": "NeedsAssessed",
        "payload": payload,
        "agency": "xã-22738",
        "role": "commune",
        "occurred_at": 1_772_416_800_000,
        "submission_id": "s-1",
        "sealed_personal_data": "",
        "previous_hash": "ab" * 32,
        "hash": "",
    }
    return json.dumps(fields | extra, ensure_ascii=False).encode()


def test_the_fast_hash_is_the_exact_one_for_what_a_store_holds() -> None:
    payloads = [
        {"needs": ["nơi ở", "trường học"], "risk": None, "ok": True, "n": -7},
        {"note": 'quote " backslash \\ newline \n tab \t bell \x07 del \x7f line-sep \u2028'},
        {"z": {"b": 1, "a": [{"y": 2, "x": "é"}]}, "A": "upper before lower", "é": "non-ASCII key"},
        {"big": 2**62, "emoji": "\U0001f600", "empty": {}, "list": []},
    ]
    for payload in payloads:
        event = parse_state(state(payload))
        assert event is not None
        assert quick_hash(CASE, 3, event) == event_hash(CASE, 3, event)


def test_what_the_fast_encoder_cannot_write_is_hashed_by_the_exact_formula() -> None:
    event = parse_state(state({"huge": 2**80}))  # beyond orjson's 64-bit integers
    assert event is not None
    assert quick_hash(CASE, 1, event) is None
    exact = event_hash(CASE, 1, event)
    stored = parse_state(state({"huge": 2**80}, hash=exact))
    assert StoredRow(1, CASE, 1, stored).content_hash() == exact


def test_an_integer_beyond_64_bits_is_read_as_the_integer_it_is() -> None:
    event = parse_state(state({"huge": 2**80, "negative": -(2**64)}))
    assert event is not None
    assert event.payload == {"huge": 2**80, "negative": -(2**64)}


def test_a_float_spelled_differently_still_gets_the_exact_hash() -> None:
    event = parse_state(state({"score": 1e16}))
    assert event is not None
    exact = event_hash(CASE, 2, event)
    stored = parse_state(state({"score": 1e16}, hash=exact))
    assert StoredRow(1, CASE, 2, stored).content_hash() == exact


def test_a_changed_payload_does_not_give_the_stored_hash() -> None:
    original = parse_state(state({"needs": ["shelter"]}))
    assert original is not None
    stored = parse_state(state({"needs": ["school"]}, hash=event_hash(CASE, 1, original)))
    assert stored is not None
    assert StoredRow(1, CASE, 1, stored).content_hash() != stored.hash
