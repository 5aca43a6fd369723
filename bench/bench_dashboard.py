"""Dashboard server time: the board's first page and one case page, beside the raw queries.

    python bench/bench_dashboard.py [--cases N] [--stalled N] [--requests N] [--json]

N open cases (default 100,000; the issue's figure is ``--cases 1000000``) are bulk-loaded into
the read model on a temp SQLite file, the first ``--stalled`` (default 10,000) of them overdue.
An auditor (who sees every case) asks for the board's first page and for one case page
``--requests`` times each through the ASGI app in process (FastAPI's test client: routing,
session, query, templates; no network). Baselines from the same run: the read model's queries
behind each page (``stalled_cases`` for the board, ``case_view`` for the case), and the raw
SQL under the board (the open overdue obligations joined to their cases, every row fetched),
timed the same way. p50 and p95 of each.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_projections import BASE_MS, bulk_load

from events.instants import from_millis, to_millis
from projections.queries import case_view, stalled_cases
from projections.readmodel import ReadModel
from services.api.wiring import backend_factory
from services.runtime.database import reader_engine
from services.runtime.logs import configure_logging
from services.runtime.settings import load_settings
from services.web.users import UserBook, make_user
from services.web.wiring import build_app

PASSWORD = "benchmark passphrase"


def percentiles(work: Callable[[], Any], requests: int) -> dict[str, float]:
    """p50 and p95 of ``work``'s wall time in milliseconds (after one warm-up call)."""
    work()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=20)
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(cuts[18], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--stalled", type=int, default=10_000, help="at most 10,000")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    configure_logging("WARNING")  # the login's log line would precede the JSON on stdout
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = load_settings(home=home, web_secure_cookies=False, log_level="WARNING")
        model = ReadModel()
        writer = sa.create_engine(settings.effective_database_url)
        bulk_load(writer, model, args.cases)
        writer.dispose()
        db = reader_engine(settings)
        UserBook(settings.effective_users_file).put(make_user("kim", "auditor", "", PASSWORD))
        # Overdue rows fall due one second apart from BASE_MS: this instant sees --stalled of them.
        at = from_millis(BASE_MS) + timedelta(seconds=args.stalled - 0.5)
        case_id = "case-0000005"
        with TestClient(
            build_app(settings, agency_backend=backend_factory(settings), clock=lambda: at)
        ) as client:
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            assert token is not None
            form = {"username": "kim", "password": PASSWORD, "csrf": token[1]}
            client.post("/login", data=form)
            page = client.get("/")
            assert page.status_code == 200 and case_id in page.text

            def board() -> None:
                assert client.get("/").status_code == 200

            def case() -> None:
                assert client.get(f"/cases/{case_id}").status_code == 200

            def raw_board() -> None:
                with db.connect() as conn:
                    assert len(stalled_cases(conn, model, at)) == args.stalled

            def raw_sql() -> None:
                obs, cases = model.obligations, model.cases
                query = (
                    sa.select(obs, cases.c.province_code, cases.c.district_code)
                    .join(cases, cases.c.case_id == obs.c.case_id)
                    .where(obs.c.closed_at.is_(None), obs.c.due_at < to_millis(at))
                )
                with db.connect() as conn:
                    assert len(conn.execute(query).all()) == args.stalled

            def raw_case() -> None:
                with db.connect() as conn:
                    assert case_view(conn, model, case_id, at) is not None

            figures = {
                "cases": args.cases,
                "stalled": args.stalled,
                "board_page": percentiles(board, args.requests),
                "board_raw_query": percentiles(raw_board, args.requests),
                "board_raw_sql": percentiles(raw_sql, args.requests),
                "case_page": percentiles(case, args.requests),
                "case_raw_query": percentiles(raw_case, args.requests),
            }
        db.dispose()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{args.cases:,} open cases, {args.stalled:,} stalled (SQLite, in-process ASGI)")
    for name, raw in (("board_page", "board_raw_query"), ("case_page", "case_raw_query")):
        page, base = figures[name], figures[raw]
        print(
            f"{name:<11} p50 {page['p50_ms']:>8} ms  p95 {page['p95_ms']:>8} ms   "
            f"raw query p50 {base['p50_ms']:>8} ms  p95 {base['p95_ms']:>8} ms"
        )
    print(f"peak RSS of the process (loader, app, client): {figures['peak_rss_mb']} MB")
    sql = figures["board_raw_sql"]
    print(f"{'':<11} {'':>28}   raw SQL   p50 {sql['p50_ms']:>8} ms  p95 {sql['p95_ms']:>8} ms")


if __name__ == "__main__":
    main()
