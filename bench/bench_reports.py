"""Yearly report over N cases: seconds and peak memory beside raw aggregate SQL of the same counts.

    python bench/bench_reports.py [--cases N] [--large] [--repeat R] [--no-trace]
                                  [--database-url URL [--reuse]] [--json]

N cases (default 20,000; ``--large``: 1,000,000) reported across 2026 are bulk-loaded into the
read model on a temp SQLite file (or an empty scratch database named by ``--database-url``):
one ``stats_cases`` row each, one or two forms, two timeline steps (reported; passed to the
commune 1 to 40 hours later) and one ``report_to_commune`` obligation (met on time, met late, or
still open and overdue for 1 in 100). Then, in the same run and on the same rows:

- report: ``render_report`` for period 2026 as CSV (every figure of the report: seven
  breakdowns by area, twelve monthly counts, step times, deadlines, stalled cases);
- baseline: the same breakdown counts and monthly counts as plain ``GROUP BY`` queries, with no
  report around them (what the counting alone costs the database).

Seconds are the best of ``--repeat`` runs (default 3); peak memory is the peak of Python allocations
(``tracemalloc``) in one further run of each (``--no-trace`` skips that run), and the process's
resident peak (the database engine's own memory included) after each phase: loading, then the
baseline, then the report (the baseline first, so a higher peak after the report is the
report's). The counts of both are checked to agree.

The 1,000,000-case run (``--large``) is the issue's size: loading alone takes tens of minutes and
about 1 GB of disk, so it is run by hand, never by the test suite or CI. To measure again
without loading again, keep the database and name it: ``--large --database-url
sqlite:////path/bench.db --reuse``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from events.instants import to_millis
from projections.readmodel import ReadModel
from projections.statistics.period import parse_period
from services.reports import ReportRequest, make_report
from services.runtime.logs import configure_logging
from services.runtime.settings import load_settings

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

YEAR = parse_period("2026")
START = datetime(2025, 12, 31, 17, tzinfo=UTC)  # 1 January 2026, 00:00 in Vietnam
AS_OF = datetime(2027, 1, 10, tzinfo=UTC)
HOUR_MS = 3_600_000
CHUNK = 20_000
AREAS = (("582", "22738"), ("582", "22741"), ("584", "22783"), ("585", "22819"), ("586", "22849"))
SEXES, AGES = ("female", "male"), ("0-5", "6-11", "12-15", "16-17")
SETTINGS = ("family", "school", "community", "online")
CHANNELS = ("hotline_111", "commune_officer", "police")
FORMS = ("sexual_abuse", "violence", "neglect", "other")


def load(db: sa.Engine, model: ReadModel, cases: int, seed: int = 7) -> None:
    rng = Random(seed)
    model.drop(db)
    model.create(db)
    year_ms = 365 * 24 * HOUR_MS
    for start in range(0, cases, CHUNK):
        rows: dict[str, list[dict[str, Any]]] = {"c": [], "f": [], "t": [], "o": []}
        for i in range(start, min(start + CHUNK, cases)):
            _case(rows, f"case-{i:07d}", to_millis(START) + rng.randrange(year_ms), rng)
        with db.begin() as conn:
            conn.execute(model.stats_cases.insert(), rows["c"])
            conn.execute(model.stats_forms.insert(), rows["f"])
            conn.execute(model.timeline.insert(), rows["t"])
            conn.execute(model.obligations.insert(), rows["o"])


def _case(rows: dict[str, list[dict[str, Any]]], case_id: str, at: int, rng: Random) -> None:
    district, commune = rng.choice(AREAS)
    rows["c"].append({
        "case_id": case_id, "reported_at": at, "known_at": at, "agency": "hotline-111",
        "province_code": "58", "district_code": district, "commune_code": commune,
        "channel": rng.choice(CHANNELS), "setting": rng.choice(SETTINGS),
        "child_sex": rng.choice(SEXES), "child_age_group": rng.choice(AGES), "risk_level": "low",
    })  # fmt: skip
    for form in sorted(set(rng.choices(FORMS, k=rng.randint(1, 2)))):
        rows["f"].append({"case_id": case_id, "form": form})
    passed = at + rng.randint(1, 40) * HOUR_MS
    for seq, (step, when) in enumerate((("CaseReported", at), ("TransferredToCommune", passed))):
        rows["t"].append({
            "case_id": case_id, "sequence": seq + 1, "event_type": step, "agency": "hotline-111",
            "role": "hotline", "occurred_at": when, "recorded_at": when,
            "event_id": f"{case_id}-{seq}",
        })  # fmt: skip
    still_open = rng.random() < 0.01
    due = at + 24 * HOUR_MS
    rows["o"].append({
        "case_id": case_id, "rule_id": "report_to_commune", "key": "", "opened_seq": 1,
        "opened_at": at, "due_at": due, "earliest_due_at": due, "max_due_at": None,
        "closed_at": None if still_open else passed, "closed_by": None if still_open else "t",
        "responsible_role": "receiving_point", "responsible_agency": "hotline-111",
        "citation": "Decree 56/2017/NĐ-CP art. 26(1)", "due_history": json.dumps([[at, due, at]]),
        "met_late": (not still_open) and passed > due, "extended": 0, "extension_refused": False,
        "reported_level": 0, "wake_at": None, "known_at": at,
        "closed_known_at": None if still_open else passed, "counted_from": None,
    })  # fmt: skip


def raw_counts(db: sa.Engine) -> dict[str, int]:
    """The report's breakdown and monthly counts, as bare GROUP BY queries."""
    first, after = YEAR.bounds(ZONE)
    found: dict[str, int] = {}
    window = f"reported_at >= {first} AND reported_at < {after} AND known_at <= {to_millis(AS_OF)}"
    area = "CASE WHEN district_code != '' THEN district_code ELSE province_code END"
    with db.connect() as conn:
        for column in ("child_sex", "child_age_group", "setting", "channel", "agency"):
            sql = f"SELECT {area}, {column}, COUNT(*) FROM stats_cases WHERE {window} GROUP BY 1, 2"
            for a, v, n in conn.execute(sa.text(sql)):
                found[f"{column}:{a}:{v}"] = n
        sql = (
            f"SELECT {area}, f.form, COUNT(*) FROM stats_cases c JOIN stats_case_forms f "
            f"ON f.case_id = c.case_id WHERE {window} GROUP BY 1, 2"
        )
        for a, v, n in conn.execute(sa.text(sql)):
            found[f"form:{a}:{v}"] = n
        for month in YEAR.months():
            lo, hi = month.bounds(ZONE)
            sql = (
                f"SELECT COUNT(*) FROM stats_cases WHERE reported_at >= {lo} "
                f"AND reported_at < {hi} AND known_at <= {to_millis(AS_OF)}"
            )
            found[f"month:{month.label}"] = conn.execute(sa.text(sql)).scalar_one()
    return found


def measure(work: Callable[[], Any], repeat: int, trace: bool) -> tuple[float, int | None, Any]:
    """Best seconds of ``repeat`` runs and the last result; with ``trace``, one more run under
    ``tracemalloc`` gives the peak of Python allocations (None without it)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    if not trace:
        return best, None, result
    tracemalloc.start()
    result = work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, result


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--large", action="store_true", help="1,000,000 cases")
    parser.add_argument("--database-url", help="an empty scratch database (default: temp SQLite)")
    parser.add_argument(
        "--reuse", action="store_true", help="the --database-url already holds the N cases"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (best kept)")
    parser.add_argument(
        "--no-trace",
        action="store_true",
        help="skip the tracemalloc run (peak memory: the process's resident peak only)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    cases = 1_000_000 if args.large else args.cases
    if args.reuse and not args.database_url:
        parser.error("--reuse needs the --database-url of an earlier run's database")
    configure_logging("WARNING", "json")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        result = run(url, cases, Path(tmp), args)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{cases:,} cases on {result['database']} (loaded in {result['load_seconds']} s)")
    for name, key in (("yearly report (CSV)  ", "report"), ("raw GROUP BY baseline", "raw_sql")):
        peak = result[f"{key}_peak_mb"]
        traced = "" if peak is None else f"   Python peak {peak:7.1f} MB"
        print(f"{name}  {result[f'{key}_seconds']:9.3f} s{traced}")
    print(
        f"process resident peak: {result['peak_rss_mb_after_load']} MB after loading, "
        f"{result['peak_rss_mb_after_raw_sql']} MB after the baseline, "
        f"{result['peak_rss_mb_after_report']} MB after the report"
    )
    print(f"counts agree: {result['counts_agree']}")


def run(url: str, cases: int, home: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Load (unless reused), then the baseline and the report, on the same rows."""
    settings = load_settings(home=home, database_url=url)
    db = sa.create_engine(url)
    started = time.perf_counter()
    if args.reuse:
        check_loaded(db, cases)
    else:
        load(db, ReadModel(), cases)
    load_s = time.perf_counter() - started
    load_rss = peak_rss_mb()
    print(f"{cases:,} cases ready in {load_s:.1f} s", file=sys.stderr)
    trace = not args.no_trace
    raw_s, raw_peak, raw = measure(lambda: raw_counts(db), args.repeat, trace)
    raw_rss = peak_rss_mb()
    request = ReportRequest(YEAR, "csv", "en", as_of=AS_OF, publish=False)
    report_s, report_peak, (_, report) = measure(
        lambda: make_report(settings, request, db), args.repeat, trace
    )
    report_rss = peak_rss_mb()
    db.dispose()
    months = [n for _, n in report.trend]
    agree = months == [raw[f"month:{m.label}"] for m in YEAR.months()] and sum(months) == sum(
        n for key, n in raw.items() if key.startswith("child_sex:")
    )
    return {
        "cases": cases,
        "database": sa.make_url(url).get_backend_name(),
        "load_seconds": None if args.reuse else round(load_s, 2),
        "report_seconds": round(report_s, 3),
        "raw_sql_seconds": round(raw_s, 3),
        "report_peak_mb": _mb(report_peak),
        "raw_sql_peak_mb": _mb(raw_peak),
        "peak_rss_mb_after_load": load_rss,
        "peak_rss_mb_after_raw_sql": raw_rss,
        "peak_rss_mb_after_report": report_rss,
        "repeat": args.repeat,
        "counts_agree": agree,
    }


def _mb(traced: int | None) -> float | None:
    return None if traced is None else round(traced / 2**20, 1)


def check_loaded(db: sa.Engine, cases: int) -> None:
    """Refuse a reused database that does not hold exactly the N cases of an earlier load."""
    with db.connect() as conn:
        found = conn.execute(sa.text("SELECT COUNT(*) FROM stats_cases")).scalar_one()
    if found != cases:
        raise SystemExit(f"the database holds {found:,} cases, not {cases:,}: load it afresh")


if __name__ == "__main__":
    main()
