"""The personal data the relay seals to an agency's inbox, found without replaying the case.

A case has personal data exactly when it has a live key (keys are created with the first
sealed data and destroyed by an erasure), so one query on the key table per batch tells which
cases need any work at all. The relay reads events in store order, so the latest sealed data of
a case is the one its own events last carried: remembered for the most recent cases, and read
back from the case's newest events (no replay) after a restart or for a case not seen lately.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable

from events.steps import PERSONAL_DATA_ERASED
from services.cases.privacy import KeyStore, unseal_with
from services.cases.views import HistoryEntry
from services.runtime.logs import get_logger

log = get_logger(__name__)
REMEMBERED_CASES = 10_000


class PersonalDataSource:
    """The clear personal data of a case as of the event being relayed, or {} if none."""

    def __init__(
        self,
        keys: KeyStore,
        latest_sealed: Callable[[str], str],
        remembered: int = REMEMBERED_CASES,
    ) -> None:
        self._keys = keys
        self._latest_sealed = latest_sealed
        self._remembered = remembered
        self._sealed: OrderedDict[str, str] = OrderedDict()
        self._batch: list[str] = []
        self._batch_keys: dict[str, bytes | None] | None = None

    def start_batch(self, case_ids: Iterable[str]) -> None:
        """A new batch on these cases: their keys are read once, when first needed."""
        self._batch = sorted(set(case_ids))
        self._batch_keys = None

    def saw(self, entry: HistoryEntry, sealed: str) -> None:
        """Note what an event (in store order) says about its case's personal data."""
        if entry.step == PERSONAL_DATA_ERASED:
            self._remember(entry.case_id, "")
        elif sealed:
            self._remember(entry.case_id, sealed)

    def forget(self) -> None:
        """Drop what was remembered: events seen may be planned again (a failed batch), and
        an earlier event must not be given data that a later one brought."""
        self._sealed.clear()
        self._batch_keys = None

    def clear(self, case_id: str, agency: str) -> dict[str, str]:
        """The case's personal data in clear for ``agency`` (its route allows it), or {}."""
        key = self._keys_of_batch().get(case_id)
        if key is None:  # never had any, or the key was shredded
            return {}
        sealed = self._sealed.get(case_id)
        if sealed is None:
            sealed = self._latest_sealed(case_id)
            self._remember(case_id, sealed)
        if not sealed:
            return {}
        log.info("case.personal_data_read", case_id=case_id, agency=agency)
        return unseal_with(key, case_id, sealed)

    def _keys_of_batch(self) -> dict[str, bytes | None]:
        if self._batch_keys is None:
            self._batch_keys = self._keys.keys_of(self._batch)
        return self._batch_keys

    def _remember(self, case_id: str, sealed: str) -> None:
        self._sealed[case_id] = sealed
        self._sealed.move_to_end(case_id)
        while len(self._sealed) > self._remembered:
            self._sealed.popitem(last=False)
