"""The backbone's processes start together on a new database without tripping on each other."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from services.settings import load_settings


def _open_store(home: str, database_url: str) -> None:
    from services.cases.application import CaseService
    from services.kafka.relaystate import RelayState
    from services.kafka.wiring import database_engine

    settings = load_settings(home=Path(home), database_url=database_url, log_level="ERROR")
    service = CaseService.from_settings(settings)
    RelayState(database_engine(settings), "relay")
    service.close()


def test_processes_starting_at_once_all_create_or_find_their_tables(
    database_url: str, tmp_path: Path
) -> None:
    context = multiprocessing.get_context("spawn")
    for round_ in range(2):
        home = tmp_path / f"home{round_}"
        url = database_url if round_ == 0 else database_url.replace("events.db", f"e{round_}.db")
        workers = [context.Process(target=_open_store, args=(str(home), url)) for _ in range(3)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [w.exitcode for w in workers] == [0, 0, 0]
        if not url.startswith("sqlite"):
            break  # one fresh PostgreSQL database per test
