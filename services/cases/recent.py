"""The cases this process saved or read last, kept for the next batch that touches them.

The intake reads submissions keyed by case id, so the next steps of a case it recorded mostly
come to it again, a batch or two later; reading and replaying the case once more would then be
most of the work of recording them. A kept case may be behind the store: another writer (the
web's follow-ups, an erasure order, another intake after a rebalance of the submission
partitions) may have recorded on it since. Recording copes with that without trusting the copy:
an event recorded on a case that moved on takes a version that is already stored, so the store's
unique (case, version) refuses the whole batch, which is then applied again to its cases as read;
and a refusal decided on a kept case stands only once the store shows that case where the copy
had it (:meth:`services.cases.application.CaseService._record_batch`). A copy could only be
ahead of the store if committed events vanished from under the running process; ``backbone
restore`` refuses a store that is not empty, so a restore is a new store and processes started
on it.

A case is taken out while a batch works on it, and put back only after the batch's transaction
committed: a batch that fails or collides leaves no copy behind. Bounded by events, not cases,
since a long case weighs more.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from threading import Lock

from services.cases.domainmodel import Case

MAX_EVENTS = 20_000
"""Events of the kept cases, at most: some tens of megabytes."""


class RecentCases:
    """Cases by id, the least recently kept dropped first."""

    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self._max_events = max_events
        self._cases: OrderedDict[str, Case] = OrderedDict()
        self._events = 0
        self._lock = Lock()  # the web records from several threads

    def take(self, case_ids: Iterable[str]) -> dict[str, Case]:
        """The kept cases among ``case_ids``, no longer kept (the caller's until it puts them
        back)."""
        taken = {}
        with self._lock:
            for case_id in case_ids:
                case = self._cases.pop(case_id, None)
                if case is not None:
                    self._events -= case.version
                    taken[case_id] = case
        return taken

    def keep(self, cases: Mapping[str, Case | None]) -> None:
        """Keep ``cases`` (None: not reported, not kept) as they stand in the store now."""
        with self._lock:
            for case_id, case in cases.items():
                if case is None:
                    continue
                old = self._cases.pop(case_id, None)
                if old is not None:
                    self._events -= old.version
                self._cases[case_id] = case
                self._events += case.version
            while self._events > self._max_events and self._cases:
                _, dropped = self._cases.popitem(last=False)
                self._events -= dropped.version

    def clear(self) -> None:
        with self._lock:
            self._cases.clear()
            self._events = 0
