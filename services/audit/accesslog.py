"""Who opened a child's personal data: an append-only, hash-chained access log.

Each opening records who (agency and person), which case, when and the stated purpose; an
opening without a purpose is refused before anything is decrypted. Each record carries the
SHA-256 of its canonical content and of its predecessor's hash, and ``previous_hash`` is
unique, so two writers cannot both chain onto the same record (the loser tries again). The
records become leaves of the Merkle log (``LogStore.sync``), so a checkpoint covers them.

``open_personal_data`` is the one way for the CLI, the web pages and the API to read personal
data: it checks the purpose, reads, records, and only then returns the data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import sqlalchemy as sa

from events.instants import now_millis
from services.cases.errors import CaseError
from services.runtime.database import database_engine
from services.runtime.settings import Settings
from services.runtime.tables import create_tables

ATTEMPTS = 20
MIN_PURPOSE = 5

metadata = sa.MetaData()
access_log = sa.Table(
    "audit_access",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("agency", sa.String(100), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("opened_at", sa.BigInteger, nullable=False),
    sa.Column("previous_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("hash", sa.String(64), nullable=False),
)


class PurposeRequired(CaseError):
    reason = "purpose_required"

    def __init__(self) -> None:
        super().__init__(
            "state why you open this child's personal data (--purpose), e.g. "
            "'home visit planning'; every opening is recorded"
        )


@dataclass(frozen=True)
class AccessRecord:
    id: int
    case_id: str
    agency: str
    actor: str
    purpose: str
    opened_at: int  # epoch ms
    previous_hash: str
    hash: str


def access_hash(record: AccessRecord) -> str:
    content = asdict(record)
    del content["id"], content["hash"]
    content["kind"] = "access"
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AccessLog:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        create_tables(metadata, engine)

    def record(self, case_id: str, agency: str, actor: str, purpose: str) -> AccessRecord:
        """Append one opening; refuses a missing or token purpose."""
        if len(purpose.strip()) < MIN_PURPOSE:
            raise PurposeRequired()
        for attempt in range(ATTEMPTS):
            try:
                return self._append(case_id, agency, actor, purpose.strip())
            except sa.exc.IntegrityError:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _append(self, case_id: str, agency: str, actor: str, purpose: str) -> AccessRecord:
        with self.engine.begin() as connection:
            last = connection.execute(
                sa.select(access_log.c.hash).order_by(access_log.c.id.desc()).limit(1)
            ).scalar()
            now = now_millis()
            draft = AccessRecord(0, case_id, agency, actor, purpose, now, last or "", "")
            digest = access_hash(draft)
            values = {k: v for k, v in asdict(draft).items() if k != "id"} | {"hash": digest}
            key = connection.execute(access_log.insert().values(**values)).inserted_primary_key
        assert key is not None
        return replace(draft, id=int(key[0]), hash=digest)

    def entries(
        self, case_id: str | None = None, agency: str | None = None, since: int | None = None
    ) -> list[AccessRecord]:
        query = sa.select(access_log).order_by(access_log.c.id)
        if case_id:
            query = query.where(access_log.c.case_id == case_id)
        if agency:
            query = query.where(access_log.c.agency == agency)
        if since is not None:
            query = query.where(access_log.c.opened_at >= since)
        with self.engine.connect() as connection:
            return [AccessRecord(**row._asdict()) for row in connection.execute(query)]

    def leaves_after(self, last_id: int = 0) -> list[tuple[int, str, str]]:
        """(id, case id, hash) of the records after ``last_id``, for the Merkle log."""
        query = (
            sa.select(access_log.c.id, access_log.c.case_id, access_log.c.hash)
            .where(access_log.c.id > last_id)
            .order_by(access_log.c.id)
        )
        with self.engine.connect() as connection:
            return [(int(i), str(c), str(h)) for i, c, h in connection.execute(query)]


def verify_access_chain(records: list[AccessRecord]) -> list[dict[str, Any]]:
    """Findings for records whose content or link does not match their hash."""
    findings: list[dict[str, Any]] = []
    previous = ""
    for record in records:
        if access_hash(record) != record.hash:
            findings.append(_finding(record, "altered", "the record does not match its hash"))
        elif record.previous_hash != previous:
            findings.append(_finding(record, "missing", "the record before it is gone"))
        previous = record.hash
    return findings


def _finding(record: AccessRecord, problem: str, detail: str) -> dict[str, Any]:
    return {"access_id": record.id, "case_id": record.case_id, "problem": problem, "detail": detail}


def open_personal_data(
    read: Callable[[str, str], dict[str, str]],
    log: AccessLog,
    case_id: str,
    agency: str,
    actor: str,
    purpose: str,
) -> dict[str, str]:
    """Read a case's personal data for ``agency``/``actor`` with a stated ``purpose``.

    ``read`` is ``CaseService.read_personal_data`` (which checks the agency may read it);
    the opening is recorded before the data is returned, and not at all if reading failed.
    """
    if len(purpose.strip()) < MIN_PURPOSE:
        raise PurposeRequired()
    data = read(case_id, agency)
    log.record(case_id, agency, actor, purpose)
    return data


def record_openings(
    settings: Settings, agency: str, actor: str, purpose: str, items: Sequence[Any]
) -> None:
    """Record each inbox item whose personal data an agency's user is about to see."""
    cases = [item.event["case_id"] for item in items if getattr(item, "personal_data", None)]
    if not cases:
        return
    engine = database_engine(settings)
    try:
        log = AccessLog(engine)
        for case_id in cases:
            log.record(str(case_id), agency, actor, purpose)
    finally:
        engine.dispose()
