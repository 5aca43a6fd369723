"""Webhook delivery to a receiver that fails and then recovers: nothing lost, nothing doubled
once the receiver drops duplicates by id; a message that never gets through is set aside."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from events import Codec, Topics
from services.kafka.webhooks import HookFile, failed_deliveries, signature
from services.kafka.wiring import build_deliverer
from services.runtime.database import database_engine
from services.runtime.kafkaclients import broker_endpoint, ensure_topics
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import alert_record
from tests.kafkatools import poll_until, produce

pytestmark = pytest.mark.integration
AGENCY = "hotline-111"


class Receiver(http.server.BaseHTTPRequestHandler):
    """Fails the first ``failures`` requests and always fails ids in ``refused``."""

    failures = 0
    refused: set[str] = set()
    received: list[tuple[str, bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ident = self.headers["X-Backbone-Id"]
        if Receiver.failures > 0 or ident in Receiver.refused:
            Receiver.failures -= 1
            self.send_response(503)
        else:
            Receiver.received.append((ident, body, self.headers["X-Backbone-Signature"]))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.failures, Receiver.refused, Receiver.received = 3, set(), []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_a_receiver_that_fails_then_recovers_gets_everything_once_by_id(
    settings: Settings, receiver: str
) -> None:
    quick = settings.model_copy(update={"webhook_backoff_seconds": 0.05, "webhook_max_attempts": 8})
    hook = HookFile(quick.effective_webhooks_file).register(AGENCY, receiver)
    alerts = [alert_record([AGENCY]) for _ in range(4)]
    Receiver.refused = {alerts[2]["alert_id"]}  # this one never gets through
    topic = Topics(quick.topic_prefix).alerts_for(AGENCY)
    ensure_topics(broker_endpoint(quick), [topic], 1, 1)
    codec = Codec.from_directory()
    produce(broker_endpoint(quick), topic, [codec.encode("Alert", a) for a in alerts])
    stop = StopFlag()
    worker = threading.Thread(target=build_deliverer(quick).run, args=(stop,))
    worker.start()
    engine = database_engine(quick)
    try:
        poll_until(lambda: len(failed_deliveries(engine)) == 1, 60, "the refused one set aside")
        poll_until(lambda: len({r[0] for r in Receiver.received}) == 3, 30, "the others")
    finally:
        stop.set()
        worker.join(timeout=30)
    delivered = {ident for ident, _, _ in Receiver.received}
    assert delivered == {a["alert_id"] for a in alerts} - Receiver.refused
    for ident, body, signed in Receiver.received:
        assert signed == signature(hook.secret, body)
        assert json.loads(body)["id"] == ident and json.loads(body)["kind"] == "alert"
    [aside] = failed_deliveries(engine)
    assert (aside["message_id"], aside["attempts"]) == (alerts[2]["alert_id"], 8)
