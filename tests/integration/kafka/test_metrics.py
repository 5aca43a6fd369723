"""Issue 19 points 1 and 5: the running processes' metrics move as submissions flow, the web
server's pipeline figures show the lag of a stopped process, and ``backbone status`` says the
same in the terminal."""

from __future__ import annotations

import http.client
import json
import random
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.kafka.provision import provision
from services.ops.health import PORT_OFFSETS, port_of
from services.runtime.settings import Settings
from tests.integration.kafka.test_intake_process import Stream, publish
from tests.kafkatools import poll_until
from tests.processes import run, spawn
from tests.promql import dashboard_expressions, metric_names, rule_expressions

pytestmark = pytest.mark.integration
PROCESSES = {
    "intake": ["intake"],
    "relay": ["relay"],
    "projections": ["projections", "run"],
    "checkpointer": ["audit", "checkpointer"],
    "alerts": ["alerts", "route"],
    "web": ["serve", "--port", "0"],
}
Samples = list[tuple[str, dict[str, str], float]]


def free_base() -> int:
    """A port whose every process offset is free now, below the ephemeral range (a client
    connecting to a free ephemeral port of loopback can connect to itself)."""
    for _ in range(200):
        base = random.randrange(20000, 32000)
        if all(_free(base + offset) for offset in PORT_OFFSETS.values()):
            return base
    raise AssertionError("no free range of ports")


def _free(port: int) -> bool:
    with closing(socket.socket()) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def get(settings: Settings, process: str, path: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{port_of(settings, process)}{path}"
    try:  # the web server asks the store and the broker at each scrape: slow on a busy machine
        with urllib.request.urlopen(url, timeout=60) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), ""
    except (OSError, http.client.HTTPException):
        return 0, ""


def web_lag(settings: Settings, consumer: str) -> float | None:
    """The consumer's lag as the web server shows it; None while a scrape does not answer in
    time (each scrape asks the broker and the store: slow on a loaded machine)."""
    code, text = get(settings, "web", "/metrics")
    if code != 200:
        return None
    return total(parse(text), "backbone_consumer_lag", consumer=consumer)


def scrape(settings: Settings, process: str) -> Samples:
    code, text = get(settings, process, "/metrics")
    assert code == 200, (process, code)
    return parse(text)


def parse(text: str) -> Samples:
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(
        value
        for sample, have, value in samples
        if sample == name and all(have.get(k) == v for k, v in labels.items())
    )


def ready(settings: Settings, process: str) -> bool:
    return get(settings, process, "/healthz/ready")[0] == 200


def status(settings: Settings) -> tuple[int, dict[str, object]]:
    done = run(settings, "status", "--json")
    assert done.stdout, done.stderr[-2000:]
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
def system(
    intake_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, dict[str, subprocess.Popen[bytes]]]]:
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")  # their logs, should a test fail
    settings = intake_settings(metrics_port=free_base(), batch_size=10)
    provision(settings)
    children = {
        name: spawn(settings, *argv, log=tmp_path / f"{name}.log")
        for name, argv in PROCESSES.items()
    }
    try:
        yield settings, children
    finally:
        for child in children.values():
            child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()


def wait_ready(settings: Settings, logs: Path) -> None:
    waiting = list(PROCESSES)

    def every() -> bool:
        waiting[:] = [name for name in PROCESSES if not ready(settings, name)]
        return not waiting

    try:
        poll_until(every, 200, "every process ready")  # the web server imports for a while
    except AssertionError:
        said = {name: (logs / f"{name}.log").read_text()[-1000:] for name in waiting}
        raise AssertionError(f"not ready: {said}") from None


def test_figures_move_with_submissions_and_show_the_lag_of_a_stopped_process(
    system: tuple[Settings, dict[str, subprocess.Popen[bytes]]], tmp_path: Path
) -> None:
    settings, children = system
    wait_ready(settings, tmp_path)
    assert all(get(settings, name, "/healthz/live")[0] == 200 for name in PROCESSES)
    assert total(scrape(settings, "intake"), "backbone_records_total") == 0

    stream = Stream(["hotline-111", "police-khanh-hoa"], cases=10, garbage_every=5)
    publish(settings, stream)
    sent = stream.submissions + stream.garbage

    def intake_counted() -> bool:
        return total(scrape(settings, "intake"), "backbone_records_total") == sent

    poll_until(intake_counted, 90, "the intake counted every submission")
    intake = scrape(settings, "intake")
    assert total(intake, "backbone_rejections_total", reason="not_single_object") == 2
    assert total(intake, "backbone_records_total", agency="police-khanh-hoa") == 16
    assert total(intake, "backbone_batch_size_sum", process="intake") >= sent
    assert total(intake, "process_resident_memory_bytes") > 10 * 2**20

    def caught_up() -> bool:
        # Each web scrape asks the store and the broker: on a loaded machine one may not answer
        # in time, which is "not yet" here, as in ``web_lag``; the figures are what is tested.
        code, text = get(settings, "web", "/metrics")
        if code != 200:
            return False
        web = parse(text)
        lag = total(web, "backbone_consumer_lag") + total(web, "backbone_relay_backlog")
        return lag == 0 and total(web, "backbone_store_position") == stream.submissions

    poll_until(caught_up, 180, "relay and projections caught up")
    assert total(scrape(settings, "relay"), "backbone_batch_size_sum") == stream.submissions
    projections = scrape(settings, "projections")
    assert total(projections, "backbone_batch_size_sum") >= stream.submissions
    assert total(projections, "backbone_projection_last_review_timestamp_seconds") > 0
    code, healthy = status(settings)
    assert (code, healthy["healthy"]) == (0, True), json.dumps(healthy)
    assert healthy["processes"]["intake"]["records"] == sent  # type: ignore[index]

    # The projections stop: the web server's figures show their lag, status says behind.
    children["projections"].send_signal(signal.SIGTERM)
    assert children["projections"].wait(timeout=60) == 0
    more = Stream(["hotline-111"], cases=4)
    publish(settings, more)

    poll_until(lambda: web_lag(settings, "projections") == more.submissions, 180,
               "lag of the projections")  # fmt: skip
    code, behind = status(settings)
    assert (code, behind["healthy"]) == (1, False)
    assert behind["processes"]["projections"]["answered"] is False  # type: ignore[index]
    assert sum(behind["projection_lag"].values()) == more.submissions  # type: ignore[attr-defined]

    # The intake is killed: what agencies send waits on their intake partitions.
    children["intake"].send_signal(signal.SIGKILL)
    children["intake"].wait(timeout=30)
    last = Stream(["police-khanh-hoa"], cases=2)
    publish(settings, last)

    poll_until(lambda: web_lag(settings, "intake") == last.submissions, 180, "lag of the intake")
    table = run(settings, "status", "--lang", "en")
    assert table.returncode == 1
    assert "Intake lag" in table.stdout and "not answering" in table.stdout


def test_the_rules_and_dashboard_read_only_names_a_running_system_exposes(
    system: tuple[Settings, dict[str, subprocess.Popen[bytes]]], tmp_path: Path
) -> None:
    settings, _ = system
    wait_ready(settings, tmp_path)
    publish(settings, Stream(["hotline-111"], cases=2, garbage_every=1))

    def counted() -> bool:
        relay, intake = scrape(settings, "relay"), scrape(settings, "intake")
        return all(
            (
                total(relay, "backbone_batch_size_count") > 0,
                total(intake, "backbone_records_total") > 0,
                total(intake, "backbone_rejections_total") > 0,
            )
        )

    poll_until(counted, 90, "a batch of each")
    exposed = {"up"} | {name for process in PROCESSES for name, _, _ in scrape(settings, process)}
    used = set().union(
        *map(metric_names, [*rule_expressions().values(), *dashboard_expressions().values()])
    )
    # Delivery failures appear once a webhook or an e-mail fails (tests/unit/ops).
    assert used - exposed <= {"backbone_delivery_failures_total"}, used - exposed
