"""Webhooks: an agency's inbox messages and alerts, POSTed to its system, signed, retried.

Each agency may register one URL (HTTPS; plain HTTP only to a loopback address, for tests and
local trials) and gets a secret. Every delivery is a JSON POST with
``X-Backbone-Id`` (the event or alert id: the receiver drops duplicates by it),
``X-Backbone-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>``. A delivery that
fails (no answer, or not 2xx) is retried with a doubling pause; after ``max_attempts`` it is set
aside in ``webhook_failures`` for the operator (``backbone agencies webhook failures``) and
the next message goes on. Offsets are committed only once each message is delivered or set
aside, so a crash delivers again: at least once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from kafka import KafkaConsumer

from events import Codec, ContractError, Topics
from services.api.apikeys import write_private
from services.api.records import inbox_json, to_json
from services.runtime import metrics
from services.runtime.logs import get_logger
from services.runtime.supervisor import StopFlag
from services.runtime.tables import create_tables, insert_once

log = get_logger(__name__)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
metadata = sa.MetaData()
failures = sa.Table(
    "webhook_failures",
    metadata,
    sa.Column("agency", sa.String(100), primary_key=True),
    sa.Column("message_id", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)


@dataclass(frozen=True)
class Hook:
    agency: str
    url: str
    secret: str


class HookFile:
    """The registered webhooks: an owner-only JSON file (secrets must be known to sign)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def hooks(self) -> dict[str, Hook]:
        if not self.path.exists():
            return {}
        rows = json.loads(self.path.read_text(encoding="utf-8"))["hooks"]
        return {row["agency"]: Hook(**row) for row in rows}

    def register(self, agency: str, url: str) -> Hook:
        """Set the agency's URL with a fresh secret (shown once to the operator)."""
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
            raise ValueError("a webhook URL must be https:// (http:// only to a loopback address)")
        hook = Hook(agency, url, secrets.token_urlsafe(32))
        self._save({**self.hooks(), agency: hook})
        return hook

    def remove(self, agency: str) -> bool:
        hooks = self.hooks()
        found = hooks.pop(agency, None) is not None
        self._save(hooks)
        return found

    def _save(self, hooks: dict[str, Hook]) -> None:
        rows = [vars(hook) for hook in hooks.values()]
        write_private(self.path, json.dumps({"hooks": rows}, indent=2))


def signature(secret: str, body: bytes) -> str:
    """The ``X-Backbone-Signature`` header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(hook: Hook, message_id: str, body: bytes, timeout_s: float) -> None:
    """One delivery attempt; raises unless the receiver answered 2xx."""
    request = urllib.request.Request(
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Backbone-Id": message_id,
            "X-Backbone-Signature": signature(hook.secret, body),
        },
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as answer:
        if not 200 <= answer.status < 300:
            raise urllib.error.HTTPError(hook.url, answer.status, "not 2xx", answer.headers, None)


class Deliverer:
    """Delivers the inbox and alert topics of every agency with a webhook."""

    def __init__(
        self,
        hooks: HookFile,
        consumer: KafkaConsumer,
        codec: Codec,
        topics: Topics,
        engine: sa.Engine,
        send: Callable[[Hook, str, bytes], None],
        max_attempts: int,
        backoff_s: float,
    ) -> None:
        self.hooks = hooks
        self.consumer = consumer
        self.codec = codec
        self.topics = topics
        self.engine = engine
        self.send = send
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        create_tables(metadata, engine)

    def run(self, stop: StopFlag) -> None:
        hooks = self.hooks.hooks()
        names = [self.topics.inbox(a) for a in hooks] + [self.topics.alerts_for(a) for a in hooks]
        log.info("webhooks.started", agencies=sorted(hooks))
        if not names:
            return
        self.consumer.subscribe(names)
        while not stop.stopped:
            batch = self.consumer.poll(timeout_ms=200, max_records=100)
            done = all(self._deliver(hooks, r, stop) for rs in batch.values() for r in rs)
            if batch and done:
                self.consumer.commit()
        self.consumer.close(autocommit=False)  # a batch cut short is delivered again

    def _deliver(self, hooks: dict[str, Hook], record: Any, stop: StopFlag) -> bool:
        """Deliver or set aside one message; False when stopping cut the retries short."""
        agency = record.topic.rpartition(".")[2]
        message = self._message(record.topic, bytes(record.value or b""))
        hook = hooks.get(agency)
        if message is None or hook is None:
            return True
        message_id, body = message
        error = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.send(hook, message_id, body)
                log.info("webhooks.delivered", agency=agency, id=message_id, attempt=attempt)
                return True
            except Exception as failed:  # any failure of the receiver or the network
                error = type(failed).__name__
                log.warning("webhooks.failed", agency=agency, id=message_id, attempt=attempt)
                metrics.delivery_failed("webhook", agency)
                if attempt < self.max_attempts and stop.wait(self.backoff_s * 2 ** (attempt - 1)):
                    return False
        self._set_aside(agency, message_id, body, error)
        return True

    def _message(self, topic: str, value: bytes) -> tuple[str, bytes] | None:
        if topic.startswith(f"{self.topics.prefix}.inbox."):
            item = inbox_json(self.codec, value)
            kind, ident = "inbox", item["event_id"] if item else ""
        else:
            try:
                item = to_json(self.codec.decode(value).record)
            except ContractError:
                item = None
            kind, ident = "alert", item["alert_id"] if item else ""
        if item is None:
            return None
        body = {"id": ident, "kind": kind, "message": item}
        return ident, json.dumps(body, ensure_ascii=False).encode()

    def _set_aside(self, agency: str, message_id: str, body: bytes, error: str) -> None:
        row = {
            "agency": agency,
            "message_id": message_id,
            "kind": json.loads(body)["kind"],
            "attempts": self.max_attempts,
            "last_error": error,
            "body": body.decode(),
        }
        insert_once(self.engine, failures, row)  # False: set aside before a crash, already listed
        log.error("webhooks.set_aside", agency=agency, id=message_id, error=error)


def failed_deliveries(engine: sa.Engine) -> list[dict[str, Any]]:
    """What was set aside, for the operator (bodies hold no personal data in clear)."""
    create_tables(metadata, engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(failures).order_by(failures.c.agency)).mappings().all()
    return [dict(row) for row in rows]
