"""The backbone's processes start together on a new database without tripping on each other."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from services.runtime.settings import load_settings
from tests.realparts import create_database

ROUNDS = 3
PROCESSES = 4


def _open_store(home: str, database_url: str, start: Barrier) -> None:
    from projections.readmodel import ReadModel
    from services.cases.application import CaseService
    from services.kafka.relaystate import RelayState
    from services.runtime.database import database_engine

    start.wait(timeout=60)  # imports done: all processes reach for the tables at one instant
    settings = load_settings(home=Path(home), database_url=database_url, log_level="ERROR")
    service = CaseService.from_settings(settings)
    engine = database_engine(settings)
    RelayState(engine, "relay")
    ReadModel().create(engine)
    service.close()


def _fresh_url(request: pytest.FixtureRequest, backend: str, base: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{base / f'{name}.db'}"
    return create_database(request.getfixturevalue("postgres_admin_url"), name)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def test_processes_starting_at_once_all_create_or_find_their_tables(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, unique_name: str
) -> None:
    context = multiprocessing.get_context("spawn")
    for round_ in range(ROUNDS):
        url = _fresh_url(request, backend, tmp_path, f"{unique_name}r{round_}")
        home = tmp_path / f"home{round_}"
        start = context.Barrier(PROCESSES)
        workers = [
            context.Process(target=_open_store, args=(str(home), url, start))
            for _ in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [w.exitcode for w in workers] == [0] * PROCESSES, f"round {round_}"
