"""Peak memory of every long-running process on a large store, beside a bare interpreter.

    python bench/bench_memory.py [--cases N] [--tail N] [--stalled-every K]
        [--database-url URL | --postgres] [--json]

Issue 17's sixth goal: each long-running process stays under 300 MB resident with 1,000,000
cases in the store. The figure only means something once the process has done its work on that
store, so the benchmark fills one and makes each process work:

1. ``--cases`` cases (default 20,000; ``--cases 1000000`` by hand) copied from template cases the
   case service recorded (valid hash chains, bench_verify's fast fill straight into the event
   table): one in ``--stalled-every`` a case reported 60 days ago and left stalled, the others
   reported and closed. They count as published (the relay starts after them) and the read
   model holds them already (the template's read-model rows, projected by the real projector,
   copied with each case's id), as in a store that has run for years.
2. ``--tail`` more cases recorded by the case service and not yet published: the relay's work.
3. Then ``intake``, ``relay``, ``projections run``, ``serve``, ``alerts route``, ``webhooks
   deliver``, ``audit checkpointer`` and ``witness`` run as real processes on a throw-away
   broker, and do their work: the relay publishes the tail, the projections consume it, the
   intake applies new submissions (published and projected in turn), the checkpointer signs a
   checkpoint over every event (its first sync of the whole store), the witness cosigns it, and
   the server answers the board, its later pages, a case page, the trends page, and the API's
   stalled list and a case's events.

What the server holds grows with the overdue obligations in scope (the board sorts and counts
them all, the API lists every stalled case), not with the cases: ``--stalled-every`` sets their
share (default one case in 20, two overdue obligations each).

Each process's resident set is sampled twice a second from start to finish; the peak is printed
beside the baseline of the same run: a bare interpreter that imports the same packages as the
processes (what any of them costs before it touches the store). Each process's log is kept in
the run's home, printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_backbone import (
    AGENCY,
    REPORT,
    PeakMemory,
    Reader,
    backbone_processes,
    bench_settings,
    measure,
    submissions,
)
from bench_verify import _chain, event_insert

from deploy.kafka.launcher import LocalKafka
from deploy.postgres.launcher import LocalPostgres
from events import Codec, Topics
from events.instants import to_millis
from projections.messages import Source
from projections.readmodel import ReadModel
from projections.wiring import build_projector
from services.api.apikeys import KeyFile
from services.audit.service import AuditService
from services.cases.agencies import load_agencies
from services.cases.application import CaseService, StepRequest
from services.kafka.provision import provision
from services.kafka.relaystate import RelayState
from services.kafka.webhooks import HookFile
from services.kafka.wiring import build_relay
from services.runtime.database import database_engine
from services.runtime.kafkaclients import broker_endpoint, ensure_topics
from services.runtime.logs import configure_logging
from services.runtime.settings import Settings
from services.web.users import UserBook, make_user

GOAL_MB = 300
CHUNK = 20_000
PASSWORD = "benchmark passphrase"
SUPERVISOR = "peoples-committee-khanh-hoa"  # a supervising agency: the API's stalled list
WITNESS = "procuracy-khanh-hoa"
PROCESSES = {
    "intake": ["intake"],
    "relay": ["relay"],
    "projections": ["projections", "run"],
    "serve": ["serve"],
    "alerts": ["alerts", "route"],
    "webhooks": ["webhooks", "deliver"],
    "checkpointer": ["audit", "checkpointer"],
    "witness": ["witness", "--agency", WITNESS, "--interval", "1"],
}
# Each process's baseline: a bare interpreter that imports what the process's command imports,
# then only waits (the code's resident set before any data). Processes with the same imports
# share one baseline interpreter.
IMPORTS = {
    "intake": "services.kafka.intake_wiring",
    "relay": "services.kafka.wiring",
    "projections": "projections.wiring",
    "serve": "services.commands.serve",
    "alerts": "services.kafka.wiring",
    "webhooks": "services.kafka.wiring",
    "checkpointer": "services.commands.audit",
    "witness": "services.commands.witness",
}


@dataclass
class Memory(PeakMemory):
    """The peak resident set of each process (sampled twice a second), and its last sample:
    a peak can be an import's passing spike, the last sample is what the process keeps."""

    last: dict[str, int] = field(default_factory=dict)

    def _run(self) -> None:
        watched = {name: psutil.Process(pid) for name, pid in self.processes.items()}
        while not self.stop.is_set():
            for name, process in watched.items():
                try:
                    self.last[name] = rss = process.memory_info().rss
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak.get(name, 0), rss)
            time.sleep(0.5)


def baseline_command(module: str) -> list[str]:
    return [sys.executable, "-c", f"import time, services.cli, {module}; time.sleep(3600)"]


Template = list[tuple[str, dict[str, Any]]]  # (topic, state) of each event of a case


def templates(home: Path, settings: Settings) -> dict[str, tuple[Template, list[Source]]]:
    """Two cases the case service records in a store of its own, as rows to copy and as the
    case-events messages the relay would publish: "stalled" (reported 60 days ago, nothing
    since) and "closed" (reported and closed the same day)."""
    own = settings.model_copy(update={"database_url": f"sqlite:///{home / 'template.db'}"})
    service = CaseService.from_settings(own)
    relay = build_relay(own, service)
    past = to_millis(datetime.now(UTC) - timedelta(days=60))
    found: dict[str, tuple[Template, list[Source]]] = {}
    for n, name in enumerate(("stalled", "closed")):
        case = str(uuid.UUID(int=n))
        service.report(case, REPORT, AGENCY, f"{case}-0", past)
        if name == "closed":
            service.record(case, "CaseClosed", {"reason": "goals_met"}, AGENCY, f"{case}-1", past)
    recorder: Any = service.recorder
    table: sa.Table = recorder.events_record_cls.__table__
    for n, name in enumerate(("stalled", "closed")):
        ident = uuid.UUID(int=n)
        query = (
            sa.select(table.c.topic, table.c.state)
            .where(table.c.originator_id == ident)
            .order_by(table.c.originator_version)
        )
        with recorder.datastore.engine.connect() as connection:
            rows = [(str(t), json.loads(bytes(s))) for t, s in connection.execute(query)]
        entries = [e for _, e, _ in service.sealed_entries_since(0, 100) if e.case_id == str(ident)]
        # The relay's own encoding of each event on case-events (no deliveries: inboxes aside).
        messages = [relay._messages_of(entry, [])[0] for entry in entries]
        sources = [Source(m.topic, 0, i, m.key, m.value) for i, m in enumerate(messages)]
        found[name] = (rows, sources)
    service.close()
    return found


def fill_events(settings: Settings, found: dict[str, Template], cases: int, every: int) -> int:
    """``cases`` cases copied from the templates, straight into the event table, marked
    published; returns the number of events."""
    engine = database_engine(settings)
    CaseService.from_settings(settings).close()  # the event table exists
    postgres = engine.dialect.name == "postgresql"
    sql = event_insert(engine)
    batch: list[tuple[Any, ...]] = []
    events = 0
    for n in range(cases):
        case = _case_uuid(n)
        copies = found["stalled" if n % every == 0 else "closed"]
        for sequence, (topic, state) in enumerate(_chain(case, copies), start=1):
            batch.append((case if postgres else case.bytes, sequence, topic, state))
        if len(batch) >= CHUNK or n == cases - 1:
            with engine.begin() as connection:
                connection.exec_driver_sql(sql, batch)
            events += len(batch)
            batch.clear()
    with engine.connect() as connection:
        last = connection.exec_driver_sql("SELECT max(id) FROM cases_events").scalar() or 0
    RelayState(engine, "case-events").advance(int(last), {})
    engine.dispose()
    return events


def fill_read_model(
    settings: Settings, found: dict[str, list[Source]], cases: int, every: int
) -> None:
    """The read model as the projections left it after the ``cases`` cases: each template's
    rows, projected by the real projector into tables of their own, copied under each case's
    id into the live tables."""
    scratch = ReadModel("tpl_")
    projector = build_projector(settings, scratch)
    live = ReadModel().create(projector.db)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, sources in found.items():
        projector.handle(sources)
        case_id = str(uuid.UUID(bytes=_source_key(sources)))
        rows[name] = {}
        with projector.db.connect() as conn:
            for table in _copied(scratch):
                query = sa.select(table).where(table.c.case_id == case_id)
                rows[name][table.name] = [dict(r) for r in conn.execute(query).mappings()]
    scratch.drop(projector.db)
    for start in range(0, cases, CHUNK):
        with projector.db.begin() as conn:
            for table, source in zip(_copied(live), _copied(scratch), strict=True):
                copied = [
                    row | {"case_id": str(_case_uuid(n))}
                    for n in range(start, min(start + CHUNK, cases))
                    for row in rows["stalled" if n % every == 0 else "closed"][source.name]
                ]
                if copied:
                    conn.execute(table.insert(), copied)
    projector.db.dispose()


def _copied(model: ReadModel) -> tuple[sa.Table, ...]:
    return (model.cases, model.obligations, model.timeline, model.stats_cases, model.stats_forms)


def _source_key(sources: list[Source]) -> bytes:
    assert sources[0].key is not None
    return uuid.UUID(sources[0].key.decode()).bytes


def _case_uuid(n: int) -> uuid.UUID:
    return uuid.UUID(int=(1 << 100) + n)  # apart from the templates' and the tail's ids


def record_tail(settings: Settings, cases: int) -> None:
    """``cases`` reported cases recorded by the case service, not yet published."""
    service = CaseService.from_settings(settings)
    now = int(time.time() * 1000)
    try:
        for start in range(0, cases, 500):
            service.record_many(
                [
                    StepRequest(str(uuid.uuid4()), "CaseReported", REPORT, AGENCY, f"t-{n}", now)
                    for n in range(start, min(start + 500, cases))
                ]
            )
    finally:
        service.close()


def wait_until(what: str, done: Callable[[], bool], timeout: float) -> float | None:
    """Seconds until ``done()``; None (and a line on stderr) when not done after ``timeout``:
    the other processes' figures still count."""
    start = time.perf_counter()
    while not done():
        if time.perf_counter() - start > timeout:
            print(f"{what}: not done after {timeout:.0f} s", file=sys.stderr)
            return None
        time.sleep(0.5)
    return time.perf_counter() - start


def scalar(engine: sa.Engine, sql: str) -> int:
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql(sql).scalar() or 0)
    except sa.exc.OperationalError:  # a table not created yet
        return 0


def serve_pages(settings: Settings, case_id: str) -> int:
    """Log in as an auditor (every case in scope) and ask the dashboard and the API for their
    pages; returns how many answered 200."""
    base = f"http://127.0.0.1:{settings.web_port}"
    answered = 0
    with httpx.Client(base_url=base, timeout=600, follow_redirects=True) as web:
        token = re.search(r'name="csrf" value="([^"]+)"', web.get("/login").text)
        assert token is not None, "no login form"
        form = {"username": "kim", "password": PASSWORD, "csrf": token[1]}
        assert web.post("/login", data=form).status_code == 200
        for path in (
            "/",
            "/?page=40",
            "/?sort=case",
            "/board/rows",
            f"/cases/{case_id}",
            "/trends",
        ):
            answer = web.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            answered += 1
    key = KeyFile(settings.effective_api_keys_file).create(SUPERVISOR).key
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"{base}/api", headers=headers, timeout=600) as api:
        for path in ("/stalled", f"/cases/{case_id}/events", "/inbox"):
            answer = api.get(path)
            assert answer.status_code in (200, 404), (path, answer.status_code, answer.text)
            answered += 1
    return answered


class Sink(http.server.BaseHTTPRequestHandler):
    """The agencies' systems behind the webhooks: count each POST, answer 204."""

    received = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Sink.received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def webhook_sink(settings: Settings) -> http.server.ThreadingHTTPServer:
    """A local receiver, registered as every agency's webhook."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hooks = HookFile(settings.effective_webhooks_file)
    agencies = [agency.id for agency in load_agencies(settings.config_dir).all()]
    for agency in agencies:
        hooks.register(agency, f"http://127.0.0.1:{server.server_address[1]}/hook")
    # The alerts router makes an agency's alerts topic on its first alert; made here, the
    # deliverer's subscription finds every topic from the start.
    topics = Topics(settings.topic_prefix)
    alerts = [topics.alerts_for(agency) for agency in agencies]
    ensure_topics(broker_endpoint(settings), alerts, settings.topic_partitions, 1)
    return server


def settled(count: Callable[[], int], quiet_s: float = 3.0) -> Callable[[], bool]:
    """Done once ``count()`` is above 0 and has not moved for ``quiet_s`` seconds."""
    seen = {"value": -1, "since": time.perf_counter()}

    def done() -> bool:
        value = count()
        if value != seen["value"]:
            seen.update(value=value, since=time.perf_counter())
        return value > 0 and time.perf_counter() - seen["since"] >= quiet_s

    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run(args: argparse.Namespace) -> dict[str, Any]:
    configure_logging("WARNING")
    home = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    broker = LocalKafka(home / "kafka")
    endpoint = broker.start()
    settings = bench_settings(
        home,
        endpoint,
        args.database_url,
        audit_checkpoint_seconds=2.0,
        web_port=free_port(),
        web_secure_cookies=False,
    )
    figures: dict[str, Any] = {"cases": args.cases, "tail": args.tail, "intake": args.submissions}
    figures["store"] = sa.make_url(settings.effective_database_url).get_backend_name()
    try:
        provision(settings)
        found = templates(home, settings)
        started = time.perf_counter()
        stored = fill_events(settings, {k: v[0] for k, v in found.items()}, args.cases, args.every)
        fill_read_model(settings, {k: v[1] for k, v in found.items()}, args.cases, args.every)
        record_tail(settings, args.tail)
        figures["fill_s"] = round(time.perf_counter() - started, 1)
        UserBook(settings.effective_users_file).put(make_user("kim", "auditor", "", PASSWORD))
        sink = webhook_sink(settings)
        figures |= work(args, settings, home)
        figures["webhooks_delivered"] = Sink.received
        sink.shutdown()
        figures["events_filled"] = stored
    finally:
        broker.stop()
        print(f"(logs of the processes in {home})", file=sys.stderr)
    return figures


def work(args: argparse.Namespace, settings: Settings, home: Path) -> dict[str, Any]:
    """Start the processes and the baseline, make each do its work, return the figures."""
    env = {**settings.as_environment(), "BACKBONE_LOG_LEVEL": "WARNING"}
    engine = database_engine(settings)
    codec, topics = Codec.from_directory(), Topics(settings.topic_prefix)
    baselines = {m: subprocess.Popen(baseline_command(m), env=env) for m in set(IMPORTS.values())}
    took: dict[str, float | None] = {}
    try:
        with backbone_processes(home, list(PROCESSES.values()), env) as running:
            pids = {name: running[command[0]].pid for name, command in PROCESSES.items()}
            bare = {f"baseline {m}": p.pid for m, p in baselines.items()}
            memory = Memory(pids | bare)
            memory.start()
            last = scalar(engine, "SELECT max(id) FROM cases_events")
            took["relay"] = wait_until(
                "relay", lambda: RelayState(engine, "case-events").position() >= last, 3600
            )
            cases = args.cases + args.tail
            count = "SELECT count(*) FROM stalled_cases"
            took["projections"] = wait_until(
                "projections", lambda: scalar(engine, count) >= cases, 3600
            )

            def sid_of(value: bytes) -> tuple[str, float | None]:  # Reader's (id, recorded at)
                return codec.decode(value).record["submission_id"], None

            reader = Reader(settings, topics.case_events, sid_of).start()
            steps = list(submissions(codec, args.submissions))
            begun = time.perf_counter()
            measure(settings, reader, topics.intake(AGENCY), steps, None)
            took["intake"] = time.perf_counter() - begun
            reader.stop.set()
            cases += args.submissions // 10
            took["projections_intake"] = wait_until(
                "projections", lambda: scalar(engine, count) >= cases, 3600
            )
            took["serve"], answered = _timed(lambda: serve_pages(settings, str(_case_uuid(0))))
            events = scalar(engine, "SELECT count(*) FROM cases_events")
            took["checkpointer"] = wait_until(
                "checkpointer", lambda: checkpoint_size(settings) >= events, 7200
            )
            took["webhooks"] = wait_until("webhooks", settled(lambda: Sink.received), 300)
            witnessed = home / "witnesses" / WITNESS / "state.json"
            took["witness"] = wait_until("witness", lambda: witness_size(witnessed) >= events, 600)
            time.sleep(1.0)  # a last sample of everyone at rest
            memory.stop.set()
            peaks = {k: round(v / 2**20, 1) for k, v in memory.peak.items()}
            kept = {k: round(v / 2**20, 1) for k, v in memory.last.items()}
            for name, process in running.items():
                assert process.poll() is None, f"{name} exited with {process.returncode}"
    finally:
        for baseline in baselines.values():
            baseline.terminate()
            baseline.wait(timeout=30)
        engine.dispose()
    return {
        "events_at_end": events,
        "pages_answered": answered,
        "peak_rss_mb": {name: peaks[name] for name in PROCESSES},
        "end_rss_mb": {name: kept[name] for name in PROCESSES},
        "baseline_rss_mb": {name: peaks[f"baseline {m}"] for name, m in IMPORTS.items()},
        "baseline_end_rss_mb": {name: kept[f"baseline {m}"] for name, m in IMPORTS.items()},
        "work_s": {k: None if v is None else round(v, 1) for k, v in took.items()},
    }


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def checkpoint_size(settings: Settings) -> int:
    audit = AuditService.from_settings(settings)
    try:
        note = audit.latest()
        return audit.checkpoint_of(note).size if note else 0
    except sa.exc.OperationalError:
        return 0
    finally:
        audit.close()


def witness_size(state: Path) -> int:
    try:
        return int(json.loads(state.read_text())["size"])
    except (OSError, ValueError, KeyError):
        return 0


def report(figures: dict[str, Any]) -> None:
    print(
        f"\n{figures['cases']:,} cases stored ({figures['events_filled']:,} events, "
        f"{figures['store']}), {figures['tail']:,} to relay, {figures['intake']:,} submissions; "
        f"fill {figures['fill_s']} s"
    )
    head = "process        peak MB  baseline  x base    end MB  baseline  x base   work s"
    print(f"{head}   goal: peak < {GOAL_MB} MB")
    for name, peak in figures["peak_rss_mb"].items():
        base, end = figures["baseline_rss_mb"][name], figures["end_rss_mb"][name]
        base_end = figures["baseline_end_rss_mb"][name]
        seconds = figures["work_s"].get(name, "")
        flag = "" if peak < GOAL_MB else "  OVER"
        print(
            f"{name:<13}{peak:>8.1f}{base:>10.1f}{peak / base:>8.2f}"
            f"{end:>10.1f}{base_end:>10.1f}{end / base_end:>8.2f}{seconds!s:>9}{flag}"
        )
    print("(baseline: a bare interpreter importing what the process's command imports; its peak")
    print(" is an import's passing spike, its end is what it keeps; end: the last sample)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases already in the store")
    parser.add_argument("--tail", type=int, default=2_000, help="cases for the relay to publish")
    parser.add_argument("--submissions", type=int, default=1_000, help="steps for the intake")
    parser.add_argument("--stalled-every", dest="every", type=int, default=20)
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database")
    parser.add_argument("--postgres", action="store_true", help="on a throw-away local cluster")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, contextlib.ExitStack() as stack:
        if args.postgres:
            cluster = LocalPostgres(Path(home) / "postgres", durable=False)
            args.database_url = cluster.start()
            stack.callback(cluster.destroy)
        figures = run(args)
    if args.json:
        print(json.dumps(figures))
    else:
        report(figures)


if __name__ == "__main__":
    main()
