"""JSON on the recording path: orjson's C encoder where it writes the very bytes the standard
library writes, the standard library everywhere else.

Recording encodes every event twice (the canonical JSON its chain hash is taken over, and the
state the store keeps), and ``json``'s encoder took about a fifth of the time spent per event.
For text, booleans, null, integers and lists and objects of them with text keys, orjson writes
what ``json`` writes with compact separators and ``ensure_ascii=False`` (keys sorted by code
point when asked: UTF-8 byte order is code point order). It spells floats its own way
(``1e-7`` for ``1e-07``, ``null`` for infinity) and serializes types that ``json`` hands to
``default`` (UUIDs, dataclasses) or walks differently (subclasses), so only a value made of
exactly those plain types takes orjson; anything else, or anything orjson refuses (an integer
beyond 64 bits, nesting too deep), is written by ``json``. The bytes are the same either way
(tests/unit/cases/test_canonical_json.py).

Every event's payload is walked once for this, when the rules admit it (they walk it anyway): a
payload found plain becomes a :class:`PlainDict`, which the checks of its canonical form and of
its stored state then take in one look-up, as they take a text.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


class PlainDict(dict[str, Any]):
    """A dict that was plain (:func:`is_plain`) when it was made: a new event's payload.

    Made only by copying a dict found plain, and not changed after (an event's payload is what
    its hash was taken over: a change would already break the chain). orjson and ``json`` write
    it as the dict it is."""

    __slots__ = ()


PLAIN_VALUES = PLAIN_SCALARS | {PlainDict}
"""The exact types :func:`is_plain` accepts without looking inside."""
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def is_plain(value: Any) -> bool:
    """True when ``value`` is made of text, integers, booleans, null, lists and objects with
    text keys only (exact types: no float, no subclass but :class:`PlainDict`)."""
    kind = type(value)
    if kind in PLAIN_VALUES:
        return True
    if kind is dict:
        for key, item in value.items():  # loops, not all(): this runs for every event
            if type(key) is not str or (type(item) not in PLAIN_VALUES and not is_plain(item)):
                return False
        return True
    if kind is list:
        for item in value:  # noqa: SIM110 (a loop: all() over a generator costs a frame)
            if type(item) not in PLAIN_VALUES and not is_plain(item):
                return False
        return True
    return False


def canonical_json(content: dict[str, Any], plain: bool = False) -> bytes:
    """``json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` as
    UTF-8: the canonical form hashes are taken over. ``plain``: the caller knows ``content``
    is (:func:`is_plain`), having made it of values it checked."""
    if plain or is_plain(content):
        try:
            return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, say: json decides
            pass
    return _CANONICAL.encode(content).encode("utf-8")
