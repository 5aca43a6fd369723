"""The sweep's side of the worker pipes: a worker gone mid-answer is a misfit, not a crash."""

from __future__ import annotations

import io
import pickle

from services.audit.proving import _receive
from services.audit.stretch import Summary


def test_an_answer_cut_short_by_a_dying_worker_reads_as_none() -> None:
    """A worker killed while writing a stretch's summary (the out-of-memory killer, on a
    stretch of many cases) leaves a length and part of the pickle in the pipe: read as a
    worker gone (None, so the sweep hands over to the exact pass), not an UnpicklingError
    out of ``verify_store``."""
    summary = Summary(3, 0, [("c", 1, "", 3, "h", 0, None)] * 100, [], {})
    data = pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)
    whole = len(data).to_bytes(8, "big") + data
    assert isinstance(_receive(io.BytesIO(whole)), Summary)
    for cut in (8, 9, len(whole) // 2, len(whole) - 1):
        assert _receive(io.BytesIO(whole[:cut])) is None
