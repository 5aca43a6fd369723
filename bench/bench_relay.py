"""The relay beside a raw produce of the same messages with the same producer, same run.

    python bench/bench_relay.py [--events N] [--rounds R] [--store sqlite|postgresql]
                                [--database-url URL] [--json]

Starts a throw-away local broker, provisions the backbone's topics, records N events (cases of
one report and nine assessments, personal data on every fifth report) in a fresh SQLite store,
or on PostgreSQL (``--store postgresql``): in a throw-away local cluster (Debian's
``postgresql``), or in the empty database ``--database-url`` names. Then it times the relay
publishing them all (``Relay.step`` until it has nothing left: read, route, seal, encode,
produce, wait for the acknowledgements, move the position). The baseline sends the very
messages the relay sent, batch by batch, through the relay's own producer settings
(``reliable_producer``; the bench checks that the two producers' settings that shape a
produce are equal, and prints them) and waits for each batch's acknowledgements the same way.
Both producers are made before their clock starts, and one untimed pass of each first warms
up the new broker and the process (a cold broker's first produce ran at half speed, and the
relay's first pass at two thirds: whoever went first paid for it). Then, ``--rounds`` times
(5), the baseline and the relay from the start of the store, interleaved batch by batch (so
that a burst of load from other processes falls on both alike), the baseline's batch first in
even rounds and the relay's step first in odd ones; the share is the median of the rounds' own
ratios, the rates the medians of the rounds' times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench_backbone import AGENCY, REPORT, STEPS_PER_CASE, bench_settings
from kafka import KafkaProducer

from deploy.kafka.launcher import LocalKafka
from deploy.postgres.launcher import LocalPostgres
from events.instants import now_millis
from services.cases.application import CaseService, StepRequest
from services.kafka import relaystate
from services.kafka.provision import provision
from services.kafka.relay import Message, Relay
from services.kafka.relaystate import RelayState
from services.kafka.wiring import build_relay
from services.runtime.kafkaclients import reliable_producer
from services.runtime.logs import configure_logging
from services.runtime.settings import Settings

PERSONAL_EVERY = 5
# The producer settings that shape a produce: the goal compares the relay with a raw produce
# of the same messages "with the same producer settings".
PRODUCER_SETTINGS = (
    "acks",
    "linger_ms",
    "batch_size",
    "compression_type",
    "enable_idempotence",
    "max_in_flight_requests_per_connection",
    "max_request_size",
)
PERSONAL = {"child_name": "Nguyễn Thị Bé", "child_address": "Phước Dân, Ninh Phước"}


class MemoryState(RelayState):
    """A relay position and participants kept in memory: plans the same batches again."""

    def __init__(self) -> None:
        self._position = 0
        self._participants: dict[str, set[str]] = {}

    def position(self) -> int:
        return self._position

    def participants_of(self, case_ids: Iterable[str]) -> dict[str, set[str]]:
        return {c: set(self._participants.get(c, set())) for c in set(case_ids)}

    def advance(self, position: int, joined: dict[str, set[str]]) -> None:
        self._position = position
        for case_id, agencies in joined.items():
            self._participants.setdefault(case_id, set()).update(agencies)


def record(service: CaseService, events: int) -> None:
    now = now_millis()
    requests: list[StepRequest] = []
    for n in range(events):
        if n % STEPS_PER_CASE == 0:
            case_id = str(uuid.uuid4())
            personal = PERSONAL if (n // STEPS_PER_CASE) % PERSONAL_EVERY == 0 else None
            step = StepRequest(case_id, "CaseReported", REPORT, AGENCY, f"r{n}", now, personal)
        else:
            fields = {"needs": ["counselling"]}
            step = StepRequest(case_id, "NeedsAssessed", fields, AGENCY, f"s{n}", now)
        requests.append(step)
        if len(requests) == 200:
            service.record_many(requests)
            requests = []
    if requests:
        service.record_many(requests)


def relay_seconds(relay: Relay) -> float:
    relay.producer()  # made before the clock starts, as the baseline's is
    start = time.perf_counter()
    while relay.step():
        pass
    return time.perf_counter() - start


def planned_batches(settings: Settings, service: CaseService) -> list[list[Message]]:
    """The messages the relay sends, batch by batch (planned again, not timed)."""
    capture = build_relay(settings, service)
    capture.state = MemoryState()
    batches: list[list[Message]] = []

    def sent(messages: list[Message]) -> list[Any]:
        batches.append(messages)
        return []

    capture._send = sent  # type: ignore[method-assign]
    capture._await = lambda futures: None  # type: ignore[method-assign]
    while capture.step():
        pass
    return batches


def producer_settings(producer: KafkaProducer) -> dict[str, Any]:
    return {name: producer.config[name] for name in PRODUCER_SETTINGS}


def raw_seconds(settings: Settings, batches: list[list[Message]]) -> float:
    producer = reliable_producer(settings)
    try:
        return sum(raw_batch_times(producer, batch)[0] for batch in batches)
    finally:
        producer.close(timeout=5)


def raw_batch_times(producer: KafkaProducer, batch: list[Message]) -> tuple[float, float]:
    """One batch of the baseline, sent, then every acknowledgement awaited as the relay does:
    its wall-clock and CPU seconds (the process's, the producer's
    sender thread included)."""
    start, cpu = time.perf_counter(), time.process_time()
    futures = [producer.send(m.topic, m.value, key=m.key) for m in batch]
    producer.flush()
    for future in futures:
        future.get(timeout=0)
    return time.perf_counter() - start, time.process_time() - cpu


def relay_step_times(relay: Relay) -> tuple[float, float, int]:
    """One step of the relay (its batch published, the next planned meanwhile): its wall-clock
    and CPU seconds (the process's, the producer's sender thread included) and its events."""
    start, cpu = time.perf_counter(), time.process_time()
    events = relay.step()
    return time.perf_counter() - start, time.process_time() - cpu, events


def bench(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    on_postgres = args.store == "postgresql" or bool(args.database_url)
    postgres = LocalPostgres(home / "postgres", durable=False)
    throwaway = on_postgres and not args.database_url
    broker = LocalKafka(home / "kafka")
    endpoint = broker.start()
    try:
        url = postgres.start() if throwaway else args.database_url
        settings = bench_settings(home, endpoint, url)
        provision(settings)
        service = CaseService.from_settings(settings)
        try:
            record(service, args.events)
            batches = planned_batches(settings, service)
            raw_seconds(settings, batches)  # warm-ups, untimed
            producer = same_producer_settings(settings, service)
            rounds = [one_round(settings, service, batches, n % 2 == 1) for n in range(args.rounds)]
        finally:
            service.close()
    finally:
        broker.stop()
        if throwaway:
            postgres.destroy()
    messages = sum(len(batch) for batch in batches)
    relay_s = statistics.median(r["relay_s"] for r in rounds)
    raw_s = statistics.median(r["raw_s"] for r in rounds)
    relay_cpu = statistics.median(r["relay_cpu_s"] for r in rounds) / args.events * 1e6
    raw_cpu = statistics.median(r["raw_cpu_s"] for r in rounds) / args.events * 1e6
    return {
        "store": "postgresql" if on_postgres else "sqlite",
        "events": args.events,
        "messages": messages,
        "relay_events_per_s": args.events / relay_s,
        "relay_messages_per_s": messages / relay_s,
        "raw_messages_per_s": messages / raw_s,
        "share_of_raw": statistics.median(r["raw_s"] / r["relay_s"] for r in rounds),
        "relay_cpu_us_per_event": relay_cpu,
        "raw_cpu_us_per_event": raw_cpu,
        "relay_own_cpu_us_per_event": relay_cpu - raw_cpu,
        "producer": producer,
        "rounds": rounds,
    }


def same_producer_settings(settings: Settings, service: CaseService) -> dict[str, Any]:
    """The relay's producer settings, once it has published the store (its untimed warm-up);
    refused if the baseline's differ."""
    relay = fresh_relay(settings, service)
    relay_seconds(relay)
    relays = producer_settings(relay.producer())
    relay._reset_producer()
    raw = reliable_producer(settings)
    try:
        raws = producer_settings(raw)
    finally:
        raw.close(timeout=5)
    if relays != raws:
        raise SystemExit(f"the baseline's producer is not the relay's: {raws} != {relays}")
    return relays


def fresh_relay(settings: Settings, service: CaseService) -> Relay:
    """A relay that has published nothing yet (its position and participants removed)."""
    relay = build_relay(settings, service)
    with relay.state.engine.begin() as conn:
        conn.execute(relaystate.positions.delete())
        conn.execute(relaystate.participants.delete())
    return relay


def one_round(
    settings: Settings, service: CaseService, batches: list[list[Message]], relay_first: bool
) -> dict[str, float]:
    """The baseline and the relay from the start of the store, interleaved batch by batch
    (one batch of one, then the same batch of the other), so that both meet the same load on
    a shared machine: another process's burst of a second or two fell on one side whole when
    each ran the whole store in turn (single rounds swung from 35 % to 120 %). Nothing runs
    between the timed pieces: a step returns once its batch is acknowledged and the next one
    planned, and the baseline's batch once it is acknowledged."""
    relay = fresh_relay(settings, service)
    relay.producer()  # both made before any clock starts
    producer = reliable_producer(settings)
    raw = [0.0, 0.0]  # wall-clock, CPU seconds
    relayed = [0.0, 0.0]
    try:
        for batch in batches:
            if not relay_first:
                _add(raw, raw_batch_times(producer, batch))
            _add(relayed, relay_step_times(relay))
            if relay_first:
                _add(raw, raw_batch_times(producer, batch))
        while True:  # the last look, which finds nothing left (in the relay's time too)
            times = relay_step_times(relay)
            _add(relayed, times)
            if not times[2]:
                break
    finally:
        producer.close(timeout=5)
        relay._reset_producer()
    return {"raw_s": raw[0], "relay_s": relayed[0], "raw_cpu_s": raw[1], "relay_cpu_s": relayed[1]}


def _add(totals: list[float], times: tuple[float, ...]) -> None:
    totals[0] += times[0]
    totals[1] += times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5, help="baseline and relay, each round")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url", default="", help="an empty PostgreSQL database (else a throw-away one)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    configure_logging(level="WARNING")
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp:
        figures = bench(args, Path(tmp))
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"{figures['store']}: {figures['events']} events, {figures['messages']} messages\n"
        f"relay       {figures['relay_messages_per_s']:>9.0f} messages/s "
        f"({figures['relay_events_per_s']:.0f} events/s)\n"
        f"raw produce {figures['raw_messages_per_s']:>9.0f} messages/s, same messages and "
        f"producer settings\n"
        f"CPU         relay {figures['relay_cpu_us_per_event']:.0f} us/event, raw produce "
        f"{figures['raw_cpu_us_per_event']:.0f}: the relay's own "
        f"{figures['relay_own_cpu_us_per_event']:.0f} us/event\n"
        f"producer    {', '.join(f'{k}={v}' for k, v in figures['producer'].items())}\n"
        f"relay at {figures['share_of_raw']:.0%} of the raw produce (goal >= 70 %), median of "
        f"{len(figures['rounds'])} rounds: "
        + ", ".join(f"{r['raw_s'] / r['relay_s']:.0%}" for r in figures["rounds"])
    )


if __name__ == "__main__":
    main()
