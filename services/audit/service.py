"""Composition of the audit side for one process: the log, the access log, the log's key.

``checkpoint`` brings the log up to date with the store, copies the new leaves to a mirror
file in the home (beside the signing key, out of the database's reach: when every hash in the
database was rewritten the verifier still knows which event each leaf was), signs a C2SP
checkpoint and stores it once.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

import sqlalchemy as sa

from services.audit.accesslog import AccessLog
from services.audit.note import Checkpoint, Note, Signer, Verifier, sign_note, verify_note
from services.audit.signingkeys import audit_dir, log_origin, log_signer
from services.audit.store import CHUNK, Leaf, LogStore
from services.runtime.database import open_database
from services.runtime.settings import Settings

MIRROR = "leaves.log"


def audit_engine(database_url: str) -> sa.Engine:
    return open_database(database_url)


class AuditService:
    def __init__(self, engine: sa.Engine, signer: Signer, origin: str, home: Path) -> None:
        self.engine = engine
        self.log = LogStore(engine)
        self.access = AccessLog(engine)
        self.signer = signer
        self.origin = origin
        self.mirror = home / MIRROR

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditService:
        engine = audit_engine(settings.effective_database_url)
        return cls(engine, log_signer(settings), log_origin(settings), audit_dir(settings))

    @property
    def verifier(self) -> Verifier:
        return self.signer.verifier

    def sync(self) -> int:
        return self.log.sync(self.access.leaves_after)

    def checkpoint(self) -> str:
        """Sign and store a checkpoint of the whole log as it stands; the signed note."""
        size = self.sync()
        self._mirror_up_to(size)
        body = Checkpoint(self.origin, size, self.log.root(size)).body
        note = sign_note(body, self.signer).render()
        if not self.log.add_checkpoint(size, note):
            stored = self.latest()
            return stored if stored is not None else note
        return note

    def latest(self) -> str | None:
        return self.log.latest_checkpoint()

    def checkpoint_of(self, note: str) -> Checkpoint:
        """The checkpoint a stored note states, after checking the log's signature."""
        parsed = Note.parse(note)
        verify_note(parsed, self.verifier)
        return Checkpoint.parse(parsed.text)

    def mirrored(self) -> list[Leaf]:
        """The leaves copied to the home, in log order."""
        if not self.mirror.exists():
            return []
        found = []
        for line in self.mirror.read_text(encoding="utf-8").splitlines():
            index, kind, case_id, sequence, digest = line.split(" ")
            found.append(Leaf(int(index), kind, case_id, int(sequence), digest))
        return found

    def _mirror_up_to(self, size: int) -> None:
        """Append leaves up to ``size``; a lock keeps two checkpointing processes apart."""
        self.mirror.parent.mkdir(parents=True, exist_ok=True)
        with (self.mirror.parent / ".mirror.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            have = self._mirrored_size()
            if have >= size:
                return
            with self.mirror.open("a", encoding="utf-8") as file:
                # A chunk at a time: the first checkpoint of a full store copies a million.
                for start in range(have, size, CHUNK):
                    file.writelines(
                        f"{leaf.index} {leaf.kind} {leaf.case_id} {leaf.sequence} "
                        f"{leaf.entry_hash}\n"
                        for leaf in self.log.leaves(start, min(start + CHUNK, size))
                    )

    def _mirrored_size(self) -> int:
        """One past the last index in the mirror, read from its tail."""
        if not self.mirror.exists() or self.mirror.stat().st_size == 0:
            return 0
        with self.mirror.open("rb") as file:
            file.seek(max(0, self.mirror.stat().st_size - 400))
            last = file.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        return int(last.split(b" ", 1)[0]) + 1

    def close(self) -> None:
        self.engine.dispose()
