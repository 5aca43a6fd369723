"""The verifier's fast hash (orjson) agrees with the chain's exact formula, or defers to it:
where it proves a row, its canonical bytes are the exact formula's."""

from __future__ import annotations

import json

import orjson

from services.audit.rows import StoredRow, parse_state, proven_fast, quick_hash
from services.cases.chain import event_hash, hashed_content

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


def canonical(content: object) -> bytes:
    """The chain's canonical JSON (``chain.event_hash``), as bytes."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


TRICKY_BUT_FAST = [
    {"needs": ["nơi ở", "trường học"], "note": 'Nguyễn Thị Ánh — 📞 \u2028 \x00 \x1f \x7f \\ "'},
    {"\U00010000": "astral key", "\uffff": "last BMP key", "a": 1, "B": 2, "é": 3, "": "empty"},
    {"max": 2**64 - 1, "i64": 2**63 - 1, "min": -(2**63), "zero": 0, "minus_zero": -0},
    {"yes": True, "no": False, "none": None, "deep": [[{"z": [], "y": {}}]], "digits": "9" * 40},
]


def test_orjson_writes_the_exact_canonical_bytes_for_what_the_fast_path_takes() -> None:
    for payload in TRICKY_BUT_FAST:
        stored = parse_state(state(payload))
        assert stored is not None
        content = hashed_content(CASE, 4, stored)
        assert orjson.dumps(content, option=orjson.OPT_SORT_KEYS) == canonical(content)
        # and orjson reads the stored state as the exact reader does
        assert orjson.loads(state(payload)) == json.loads(state(payload))


def test_the_fast_path_proves_exactly_the_rows_the_exact_formula_proves() -> None:
    for payload in TRICKY_BUT_FAST:
        event = parse_state(state(payload))
        assert event is not None
        exact = event_hash(CASE, 4, event)
        proven = proven_fast(CASE, 4, state(payload, hash=exact))
        assert proven is not None and proven[0] == exact
        assert proven_fast(CASE, 5, state(payload, hash=exact)) is None  # another position


def test_floats_and_integers_beyond_64_bits_leave_the_fast_path_for_the_exact_one() -> None:
    # orjson reads 2**64 as a float and may spell floats its own way: such rows are never
    # proven by it, only by the exact formula.
    for payload in [{"score": 0.1}, {"score": 1e16}, {"huge": 2**64}, {"low": -(2**63) - 1},
                    {"nested": [{"x": 1.5}]}, {"huge": 2**80, "digits": "1" * 19}]:  # fmt: skip
        event = parse_state(state(payload))
        assert event is not None
        exact = event_hash(CASE, 2, event)
        assert proven_fast(CASE, 2, state(payload, hash=exact)) is None
        assert (
            StoredRow(1, CASE, 2, parse_state(state(payload, hash=exact))).content_hash() == exact
        )


def test_an_integer_standing_in_for_a_float_of_the_same_double_is_not_proven() -> None:
    # Recorded as the float 1e19; rewritten as an integer literal orjson reads as that float.
    original = parse_state(state({"amount": 1e19}))
    assert original is not None
    signed = event_hash(CASE, 1, original)
    forged = state({"amount": 1e19}, hash=signed).replace(b"1e+19", b"10000000000000000001")
    assert b"10000000000000000001" in forged
    assert proven_fast(CASE, 1, forged) is None
    rewritten = parse_state(forged)
    assert rewritten is not None and rewritten.payload == {"amount": 10000000000000000001}
    assert StoredRow(1, CASE, 1, rewritten).content_hash() != signed


def test_what_orjson_refuses_or_reads_differently_is_never_proven_fast() -> None:
    lone_surrogate = state({"x": "a"}).replace(b'"a"', b'"\\ud800"')
    not_text = state({"x": "a"}, agency=12, role=True)
    naive_time = state(
        {"x": "a"}, timestamp={"_type_": "datetime_iso", "_data_": "2026-03-02T02:00:00"}
    )
    for stored in (lone_surrogate, not_text, naive_time, b"not json", b"[]"):
        assert proven_fast(CASE, 1, stored) is None


def test_a_changed_byte_is_not_proven_fast() -> None:
    event = parse_state(state({"needs": ["shelter"]}))
    assert event is not None
    exact = event_hash(CASE, 1, event)
    assert proven_fast(CASE, 1, state({"needs": ["shelter"]}, hash=exact)) is not None
    assert proven_fast(CASE, 1, state({"needs": ["shelteR"]}, hash=exact)) is None
