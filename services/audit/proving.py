"""Proving the store's stretches on every core the machine has.

What costs whole-store verification most is proving each row (parsing its JSON, writing the
hashed content canonically, hashing it: about twice what reading the row costs) and hashing
the log's leaves into the Merkle tree. Stretches of the store prove independently of each
other (``stretch``), so a large store's stretches are proved by worker processes, a few ahead
of the sweep, which joins their summaries in order. A small store's stretches are proved in
turn in the sweep's own process: starting workers costs more than it saves.

A stretch that does not fit an intact store, or a worker that fails (it logs why to the shared
standard error), ends the sweep (``Misfit``); the exact pass then reads everything itself and
names what is wrong.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

import sqlalchemy as sa

from services.audit.stretch import Misfit, Stretch, Summary, summarize
from services.runtime.database import open_database


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Cores:
    """How the stretches' proofs are spread over processes."""

    workers: int = field(default_factory=_cpus)
    """Worker processes; 0 proves in the sweep's own process. One per core by default."""
    span: int = 16_384
    """Leaves (and notification ids past the log) in a stretch: a power of two, so that a
    stretch's subtrees are the whole tree's. What a worker reads and sends back at once."""
    from_rows: int = 150_000
    """The smallest store proved by workers: below it, starting them costs more than it saves."""
    ahead: int = 2
    """Stretches queued per worker beyond the one the sweep is reading: bounds the memory held."""

    def __post_init__(self) -> None:
        # Refused here, not in ``stretch.plan`` alone: the sweep reads a ValueError out of
        # planning as a value of the wrong type in the store and hands over to the exact pass.
        if self.span < 1 or self.span & (self.span - 1):
            raise ValueError(f"a stretch spans a power of two of leaves, not {self.span}")


def summaries(
    engine: sa.Engine, stretches: Sequence[Stretch], cores: Cores
) -> Generator[Summary, None, None]:
    """Each stretch's summary, in order; raises Misfit at the first that does not fit."""
    if not stretches:
        return
    rows = stretches[-1].end_row - stretches[0].first_row
    if cores.workers < 1 or rows < cores.from_rows:
        for stretch in stretches:
            yield summarize(engine, stretch)
        return
    url = engine.url.render_as_string(hide_password=False)
    queued = cores.workers * cores.ahead
    with _Workers(url, cores.workers) as workers:
        for n, stretch in enumerate(stretches):
            workers.ask(n, stretch)
            if n >= queued:
                yield workers.answer(n - queued)
        for n in range(max(0, len(stretches) - queued), len(stretches)):
            yield workers.answer(n)


class _Workers:
    """Worker processes (``python -m services.audit.proving URL``), stretch ``n`` to worker
    ``n`` modulo their number, so answers come back in order by reading the workers in turn.
    Plain processes rather than ``multiprocessing``: that would run the caller's main script
    again in each worker, and a script without a ``__main__`` guard would recurse."""

    def __init__(self, url: str, count: int) -> None:
        home = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        env = os.environ | {"PYTHONPATH": home if not path else home + os.pathsep + path}
        command = [sys.executable, "-m", "services.audit.proving", url]
        self.processes = [
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            for _ in range(count)
        ]

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()

    def ask(self, n: int, stretch: Stretch) -> None:
        pipe = self.processes[n % len(self.processes)].stdin
        assert pipe is not None
        try:
            _send(pipe, stretch)
        except BrokenPipeError:
            raise Misfit from None  # the worker is gone

    def answer(self, n: int) -> Summary:
        pipe = self.processes[n % len(self.processes)].stdout
        assert pipe is not None
        summary = _receive(pipe)
        if not isinstance(summary, Summary):
            raise Misfit  # the stretch does not fit, or the worker is gone
        return summary


def _send(pipe: IO[bytes], thing: object) -> None:
    data = pickle.dumps(thing, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(len(data).to_bytes(8, "big"))
    pipe.write(data)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> object:
    """The next object sent, or None when the other end is gone (even half-way through)."""
    header = pipe.read(8)
    if len(header) < 8:
        return None
    size = int.from_bytes(header, "big")
    data = pipe.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def serve(url: str, tasks: BinaryIO, answers: BinaryIO) -> None:
    """A worker's loop: for each stretch received, its summary (None when it does not fit),
    each pickled and preceded by its length, until the sweep closes the pipe."""
    engine = open_database(url)
    while isinstance(stretch := _receive(tasks), Stretch):
        try:
            _send(answers, summarize(engine, stretch))
        except Misfit:
            _send(answers, None)
    engine.dispose()


if __name__ == "__main__":
    serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
