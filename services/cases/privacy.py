"""Field-level encryption of personal data with one key per case (crypto-shredding).

Each case gets a random 32-byte key, stored wrapped (encrypted) by the master key in the
``case_keys`` table of the event store's database. Personal data enters events only sealed with
the case key. ``shred`` destroys the case key: every copy of the sealed data, in the store, in
backups and on Kafka, becomes unreadable, while the rest of the history stays auditable.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.secret
import nacl.utils
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deploy.process import create_once
from services.cases.errors import PersonalDataErasedError
from services.cases.rowinsert import Along, RowInsert
from services.ops.erasures import add_erasure
from services.runtime.database import open_database
from services.runtime.logs import get_logger
from services.runtime.tables import create_tables, insert_once

KEY_SIZE = nacl.secret.SecretBox.KEY_SIZE
log = get_logger(__name__)

metadata = sa.MetaData()
case_keys = sa.Table(
    "case_keys",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
)

_KEYS_OF = sa.select(case_keys.c.case_id, case_keys.c.wrapped_key).where(
    case_keys.c.case_id.in_(sa.bindparam("case_ids", expanding=True))
)
"""Built once: building the statement for each batch's list of ids cost more than running it."""


def load_master_key(path: Path) -> bytes:
    """Read the master key, creating it (mode 0600) on first use."""
    key = create_once(path, nacl.utils.random(KEY_SIZE))
    if len(key) != KEY_SIZE:
        raise ValueError(f"master key file {path} must hold exactly {KEY_SIZE} bytes")
    return key


def create_key_engine(database_url: str) -> Engine:
    """An engine for the key table; on SQLite, deleted keys are overwritten on disk."""
    engine = open_database(database_url)
    if engine.dialect.name != "sqlite":
        return engine
    sa.event.listen(engine, "connect", _sqlite_secure_delete)
    return engine


def _sqlite_secure_delete(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


class KeyStore:
    """Per-case keys, wrapped by the master key, in the ``case_keys`` table."""

    def __init__(self, engine: Engine, master_key: bytes, erasure_list: Path | None = None) -> None:
        self._engine = engine
        self._master = nacl.secret.SecretBox(master_key)
        self._erasure_list = erasure_list  # kept apart from the store (services.ops.erasures)
        self._key_inserts: dict[str, RowInsert] = {}  # by dialect name

    def create_table(self) -> None:
        """Create ``case_keys`` if it does not exist."""
        create_tables(metadata, self._engine)

    def ensure_key(self, case_id: str) -> None:
        """Give the case a key unless it has one (or had one: a shredded key stays gone)."""
        wrapped = self._master.encrypt(nacl.utils.random(KEY_SIZE))
        row = {"case_id": case_id, "wrapped_key": bytes(wrapped), "created_at": _now()}
        if not insert_once(self._engine, case_keys, row):
            return
        log.info("case.key_created", case_id=case_id)

    def seal(self, case_id: str, personal_data: Mapping[str, str]) -> str:
        """Encrypt ``personal_data`` with the case key; base64 text for the event."""
        return seal_with(self._case_key(case_id), personal_data)

    def unseal(self, case_id: str, sealed: str) -> dict[str, str]:
        """Decrypt what :meth:`seal` produced; raises once the key is shredded."""
        return unseal_with(self._case_key(case_id), case_id, sealed)

    def keys_of(
        self, case_ids: Iterable[str], connection: sa.Connection | None = None
    ) -> dict[str, bytes | None]:
        """The keys of the given cases in one query: None for a shredded one, absent if none;
        read on ``connection`` when given (the store's, in the batch's read)."""
        wanted = sorted(set(case_ids))
        if not wanted:
            return {}
        if connection is not None:
            rows = connection.execute(_KEYS_OF, {"case_ids": wanted}).all()
        else:
            with self._engine.connect() as own:
                rows = own.execute(_KEYS_OF, {"case_ids": wanted}).all()
        return {
            case_id: None if wrapped is None else bytes(self._master.decrypt(wrapped))
            for case_id, wrapped in rows
        }

    def batch(
        self,
        case_ids: Iterable[str],
        connection: sa.Connection | None = None,
        *,
        unstored: Iterable[str] = (),
    ) -> BatchKeys:
        """The keys a batch of submissions on ``case_ids`` may need: read now on
        ``connection`` when given (with the batch's cases, in one read), else on first use.
        ``unstored``: cases of the batch found with no events stored, which have no key."""
        keys = BatchKeys(self, case_ids, unstored)
        if connection is not None:
            keys.read(connection)
        return keys

    def key_insert(self, dialect: sa.Dialect) -> RowInsert:
        """The INSERT of new keys (case id, wrapped key, created at) in ``dialect``: one
        statement for a batch's keys (a Core insert of a few rows on PostgreSQL was a round trip
        per row, a fifth of a batch with personal data)."""
        insert = self._key_inserts.get(dialect.name)
        if insert is None:
            columns = ("case_id", "wrapped_key", "created_at")
            insert = self._key_inserts[dialect.name] = RowInsert(case_keys, columns, dialect)
        return insert

    def new_key(self) -> tuple[bytes, bytes]:
        """A fresh case key, and the same wrapped by the master key."""
        key = nacl.utils.random(KEY_SIZE)
        return key, bytes(self._master.encrypt(key))

    def shred(self, case_id: str) -> None:
        """Destroy the case key for good (idempotent)."""
        erase = (
            case_keys.update()
            .where(case_keys.c.case_id == case_id, case_keys.c.wrapped_key.is_not(None))
            .values(wrapped_key=None, shredded_at=_now())
        )
        if self._erasure_list is not None:  # listed first: a restore must find it
            add_erasure(self._erasure_list, case_id)
        with self._engine.begin() as connection:
            connection.execute(erase)
        log.info("case.key_shredded", case_id=case_id)

    def is_shredded(self, case_id: str) -> bool:
        """True when the case had a key and it was destroyed."""
        row = self._row(case_id)
        return row is not None and row.wrapped_key is None

    def close(self) -> None:
        self._engine.dispose()

    def _case_key(self, case_id: str) -> bytes:
        row = self._row(case_id)
        if row is None or row.wrapped_key is None:
            raise PersonalDataErasedError(case_id)
        return bytes(self._master.decrypt(row.wrapped_key))

    def _row(self, case_id: str) -> sa.Row[Any] | None:
        query = sa.select(case_keys).where(case_keys.c.case_id == case_id)
        with self._engine.connect() as connection:
            return connection.execute(query).first()


class BatchKeys:
    """The case keys of one batch: read in one query, new ones inserted in the batch's own
    transaction (:meth:`write`), so that a key exists exactly when the events sealed with it do
    (or did: a shredded key stays gone). Hence a case with no events stored has no key either,
    and is not asked for (``unstored``): a batch of new cases reads no keys. Should another
    writer store such a case meanwhile, its events and key collide with this batch's when it is
    saved, and nothing of the batch is kept."""

    def __init__(
        self, store: KeyStore, case_ids: Iterable[str], unstored: Iterable[str] = ()
    ) -> None:
        self._store = store
        self._unstored = set(unstored)
        self._case_ids = set(case_ids) | self._unstored
        self._known: dict[str, bytes | None] | None = None
        self._created: dict[str, bytes] = {}

    def read(self, connection: sa.Connection) -> None:
        """Read the keys of the batch's cases now, on ``connection``."""
        if self._case_ids and self._known is None:
            self._known = self._store.keys_of(self._case_ids - self._unstored, connection)

    def ensure_key(self, case_id: str) -> None:
        """Give the case a key unless it has one (or had one)."""
        known = self._keys(case_id)
        if case_id not in known:
            known[case_id], self._created[case_id] = self._store.new_key()

    def seal(self, case_id: str, personal_data: Mapping[str, str]) -> str:
        return seal_with(self._key(case_id), personal_data)

    def unseal(self, case_id: str, sealed: str) -> dict[str, str]:
        return unseal_with(self._key(case_id), case_id, sealed)

    @contextmanager
    def for_step(self) -> Iterator[None]:
        """Keys created inside are dropped again if the step is refused (raises), so that a
        refused step in a batch that is saved leaves no key behind."""
        before = set(self._created)
        try:
            yield
        except BaseException:
            for case_id in set(self._created) - before:
                del self._created[case_id]
                if self._known is not None:
                    self._known.pop(case_id, None)
            raise

    def insert(self, dialect: sa.Dialect) -> Along | None:
        """The insert of the keys created for this batch and their rows (None: none made), to
        go in with the batch's events, in its transaction (on PostgreSQL in their statement:
        a round trip of its own was most of what personal data added to a batch)."""
        if not self._created:
            return None
        now = _now()
        rows = [(case_id, wrapped, now) for case_id, wrapped in self._created.items()]
        return self._store.key_insert(dialect), rows

    def log_created(self) -> None:
        """Log the keys the batch made, once they are saved."""
        for case_id in self._created:
            log.info("case.key_created", case_id=case_id)

    def _keys(self, case_id: str) -> dict[str, bytes | None]:
        if self._known is None:
            self._case_ids.add(case_id)
            self._known = self._store.keys_of(self._case_ids - self._unstored)
        elif case_id not in self._case_ids:
            self._case_ids.add(case_id)
            self._known |= self._store.keys_of([case_id])
        return self._known

    def _key(self, case_id: str) -> bytes:
        key = self._keys(case_id).get(case_id)
        if key is None:
            raise PersonalDataErasedError(case_id)
        return key


def seal_with(key: bytes, personal_data: Mapping[str, str]) -> str:
    """Encrypt ``personal_data`` with a case key; base64 text for the event."""
    plain = json.dumps(dict(personal_data), sort_keys=True).encode("utf-8")
    return base64.b64encode(bytes(nacl.secret.SecretBox(key).encrypt(plain))).decode("ascii")


def unseal_with(key: bytes, case_id: str, sealed: str) -> dict[str, str]:
    """Decrypt what :func:`seal_with` produced with the same key."""
    try:
        plain = nacl.secret.SecretBox(key).decrypt(base64.b64decode(sealed))
    except nacl.exceptions.CryptoError:
        raise ValueError(f"sealed personal data of case {case_id} is corrupt") from None
    data: dict[str, str] = json.loads(plain)
    return data


def _now() -> datetime:
    return datetime.now(UTC)
