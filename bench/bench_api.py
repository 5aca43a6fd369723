"""Agency API submissions beside the Kafka intake, same broker, same backbone, same run.

    python bench/bench_api.py [--submissions N] [--paced N] [--rate R] [--workers W] [--json]

Starts a throw-away broker, provisions it, runs ``backbone intake`` and ``backbone relay`` as
real processes on an SQLite store and the agency API in this process (uvicorn, real HTTP).
For each path, N steps sent as fast as possible until the last one's event is on case-events
(submissions per second), and steps sent at R per second each timed from sending to
"recorded" (p50/p99): for the API, until ``GET /api/submissions/{id}?wait=`` says recorded;
for Kafka, until its event is read back from case-events. The Kafka intake is the baseline:
the API adds HTTP, JSON and its ledger on top of the very same path.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from bench_backbone import (
    AGENCY,
    Reader,
    backbone_processes,
    bench_settings,
    measure,
    per_second,
    percentiles_ms,
    submissions,
)

from deploy.kafka.launcher import LocalKafka
from events import Codec, Topics
from services.api.apikeys import KeyFile
from services.api.records import to_json
from services.api.serve import server
from services.api.wiring import build_api
from services.kafka.provision import provision
from services.runtime.logs import configure_logging
from services.runtime.settings import Settings


def as_json(codec: Codec, value: bytes) -> dict[str, Any]:
    decoded = codec.decode(value)
    return {"step": decoded.wire_name, "record": to_json(decoded.record)}


def post_all(
    client: httpx.Client, bodies: list[dict[str, Any]], workers: int, rate: float | None
) -> dict[str, float]:
    """POST each body (paced at ``rate`` when given); with a rate, also wait for "recorded".

    Returns submission id -> seconds from sending to "recorded" (paced) or the time sent.
    """
    seen: dict[str, float] = {}
    start = time.perf_counter()

    def one(n: int) -> None:
        if rate:
            time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        at = time.perf_counter()
        answer = client.post("/submissions", json=bodies[n])
        assert answer.status_code == 202, answer.text
        sid = answer.json()["submission_id"]
        if not rate:
            seen[sid] = at
            return
        status = client.get(f"/submissions/{sid}", params={"wait": 30}).json()
        assert status.get("status") == "recorded", status
        seen[sid] = time.perf_counter() - at

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(len(bodies))))
    return seen


def run(args: argparse.Namespace) -> dict[str, Any]:
    configure_logging("WARNING")
    home = Path(tempfile.mkdtemp(prefix="bench-api-"))
    broker = LocalKafka(home / "kafka")
    endpoint = broker.start()
    settings = bench_settings(home, endpoint, api_burst=1_000_000, api_rate_per_second=1_000_000.0)
    try:
        provision(settings)
        with backbone_processes(home, [["intake"], ["relay"]], settings.as_environment()):
            return compare(args, settings)
    finally:
        broker.stop()


def compare(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    codec, topics = Codec.from_directory(), Topics("bench")
    sid_of = lambda v: codec.decode(v).record["submission_id"]  # noqa: E731
    reader = Reader(settings, topics.case_events, sid_of).start()
    intake = topics.intake(AGENCY)
    measure(settings, reader, intake, list(submissions(codec, 10)), None)  # warm
    key = KeyFile(settings.effective_api_keys_file).create(AGENCY).key
    api = build_api(settings)
    running = server(settings, "127.0.0.1", 0, api)
    running.config.port = _free_port()
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{running.config.port}/api"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            messages = list(submissions(codec, args.submissions))
            kafka_rate = per_second(
                len(messages), measure, settings, reader, intake, messages, None
            )
            paced = list(submissions(codec, args.paced))
            kafka_lat = measure(settings, reader, intake, paced, args.rate)

            bodies = [as_json(codec, v) for _, _, v in submissions(codec, args.submissions)]
            api_rate = per_second(
                len(bodies),
                lambda: reader.wait_for(
                    set(post_all(client, bodies, args.workers, None)), timeout=600
                ),
            )
            bodies = [as_json(codec, v) for _, _, v in submissions(codec, args.paced)]
            api_lat = list(post_all(client, bodies, args.workers, args.rate).values())
    finally:
        running.should_exit = True
        thread.join(timeout=30)
        api.state.backend.close()
        reader.stop.set()
    return {
        "submissions": args.submissions,
        "paced": args.paced,
        "rate": args.rate,
        "kafka_intake": _figures(kafka_rate, kafka_lat),
        "api": _figures(api_rate, api_lat),
    }


def _figures(rate: float, latencies: list[float]) -> dict[str, float]:
    figures = {"per_second": rate} | percentiles_ms(latencies)
    return {name: round(value, 1) for name, value in figures.items()}


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--paced", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="paced steps per second")
    parser.add_argument("--workers", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"\n{'path':<22}{'steps/s (burst)':>16}{'p50 ms':>10}{'p99 ms':>10}")
    for label, key in (("Kafka intake (base)", "kafka_intake"), ("HTTP API", "api")):
        f = result[key]
        print(f"{label:<22}{f['per_second']:>16.0f}{f['p50_ms']:>10.1f}{f['p99_ms']:>10.1f}")


if __name__ == "__main__":
    main()
