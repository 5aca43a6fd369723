"""A stored case event read straight into the relay's :class:`HistoryEntry`.

The relay reads every recorded event once, and the library's way there (its JSON decoder, whose
Python callback runs for every object in a state, then a domain event object, then the entry)
cost a third of the relay's own time per event. Here a state is parsed by orjson and the
library's object callback is applied to the parsed values afterwards, in the same order (inner
objects first), so the values are the ones the library would decode; the entry is built from
them without the event object. Anything this path does not know how to read the way the library
does (a cipher or compressor, an event class to upcast, JSON that orjson refuses, any number
that is not a 64-bit integer, a state not made of a case event's fields) goes the library's way,
which decodes it or raises its own error.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

from events.instants import to_millis
from services.cases.domainmodel import Case
from services.cases.views import HistoryEntry, entry_of, event_id

_CONTAINERS = (dict, list)


class EntryReader:
    """Turns stored case events into (entry, sealed personal data) pairs, as the mapper and
    :func:`entry_of` would."""

    def __init__(self, mapper: Mapper[UUID]) -> None:
        self._mapper = mapper
        transcoder = mapper.transcoder
        names = getattr(transcoder, "names", None)
        plain = mapper.cipher is None and mapper.compressor is None
        self._transcodings: dict[str, Any] | None = names if plain else None
        self._case_topics: dict[str, bool] = {}
        self._last_stamp: tuple[str, int] = ("", 0)  # a recording's text and its milliseconds

    def sealed_entry(self, stored: StoredEvent) -> tuple[HistoryEntry, str]:
        if self._transcodings is not None and self._plain_case_event(stored.topic):
            try:
                return self._direct(stored, self._transcodings)
            except Exception:  # the library's way decides: the same values, or its own error
                pass
        event = self._mapper.to_domain_event(stored)
        if not isinstance(event, Case.Event):
            raise TypeError(f"not a case event: {stored.topic}")
        return entry_of(event), event.sealed_personal_data

    def _plain_case_event(self, topic: str) -> bool:
        """Whether ``topic`` names a case event class stored as it is read (no upcasting)."""
        known = self._case_topics.get(topic)
        if known is None:
            try:
                cls = resolve_topic(topic)
            except Exception:
                cls = None
            known = (
                isinstance(cls, type)
                and issubclass(cls, Case.Event)
                and getattr(cls, "class_version", 1) == 1
            )
            self._case_topics[topic] = known
        return known

    def _direct(self, stored: StoredEvent, names: dict[str, Any]) -> tuple[HistoryEntry, str]:
        state = orjson.loads(stored.state)
        recorded_at = self._recorded_at(state, names)
        state = _revived(state, names)
        if "class_version" in state:
            raise ValueError("a versioned state: the library upcasts it")
        originator = stored.originator_id
        case_id = str(originator if type(originator) is UUID else UUID(str(originator)))
        sequence = stored.originator_version
        sealed = state["sealed_personal_data"]
        entry = HistoryEntry(
            event_id=event_id(case_id, sequence),
            case_id=case_id,
            sequence=sequence,
            step=state["step"],
            payload=dict(state["payload"]),
            agency=state["agency"],
            role=state["role"],
            occurred_at=state["occurred_at"],
            recorded_at=to_millis(state["timestamp"]) if recorded_at is None else recorded_at,
            submission_id=state["submission_id"],
            previous_hash=state["previous_hash"],
            hash=state["hash"],
            has_personal_data=bool(sealed),
        )
        return entry, sealed

    def _recorded_at(self, state: dict[str, Any], names: dict[str, Any]) -> int | None:
        """The state's timestamp in milliseconds, taken out of ``state`` if it is the library's
        usual ``datetime_iso`` object (else None: the walk revives it as any other). The events
        of a recording share their timestamp, so the last one's text and milliseconds are kept:
        decoding it and subtracting the epoch for every event cost a thirtieth of the relay's
        time an event."""
        stamp = state.get("timestamp")
        if type(stamp) is not dict or len(stamp) != 2 or stamp.get("_type_") != "datetime_iso":
            return None
        text = stamp.get("_data_")
        if type(text) is not str:
            return None
        last, millis = self._last_stamp
        if text != last:
            millis = to_millis(names["datetime_iso"].decode(text))
            self._last_stamp = (text, millis)
        del state["timestamp"]
        return millis


def _revived(value: Any, names: dict[str, Any]) -> Any:
    """``value`` with every ``{"_type_": name, "_data_": data}`` object replaced by what the
    transcoding ``name`` decodes from ``data``, innermost first: the library's object callback.

    Raises on a float: orjson reads an integer beyond 64 bits as one (the library's decoder
    keeps it an integer), and the library's rounding of a written fraction is the one to keep.
    """
    if type(value) is dict:
        for key, item in value.items():
            kind = type(item)
            if kind in _CONTAINERS:
                value[key] = _revived(item, names)
            elif kind is float:
                raise ValueError("a number the library reads")
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            return names[value["_type_"]].decode(value["_data_"])
        return value
    if type(value) is list:
        for index, item in enumerate(value):
            kind = type(item)
            if kind in _CONTAINERS:
                value[index] = _revived(item, names)
            elif kind is float:
                raise ValueError("a number the library reads")
    return value
