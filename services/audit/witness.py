"""A witness: an agency that cosigns the log's checkpoints only while the log stays append-only.

The witness keeps the last checkpoint it accepted in its own state file (written atomically,
so a SIGKILL leaves the previous or the new state, and a cosignature not yet published is
published again on restart). For each newer checkpoint it checks the log's signature and an
RFC 6962 consistency proof from the accepted one, then cosigns (C2SP tlog-cosignature).
A smaller tree (``shrank``), another tree of the same size or a failing proof (``forked``)
or a bad signature raise an alarm instead, and the accepted checkpoint stays where it was.

The proofs come from a ``LogSource``; ``StoreSource`` serves them from the store's database
(the log has no HTTP endpoint yet; the protocol is what an endpoint would implement).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from deploy.process import read_state, write_state
from services.audit import merkle
from services.audit.note import Checkpoint, Note, NoteError, Signer, Verifier, cosign, verify_note
from services.audit.service import AuditService
from services.runtime.logs import get_logger

log = get_logger(__name__)
Publish = Callable[[dict[str, Any]], None]
SHRANK, FORKED, BAD_SIGNATURE = "shrank", "forked", "bad_signature"


class LogSource(Protocol):
    def latest(self) -> str | None: ...
    def consistency(self, first: int, second: int) -> list[bytes]: ...
    def add_cosignature(self, size: int, witness: str, note: str) -> None: ...


@dataclass
class StoreSource:
    audit: AuditService

    def latest(self) -> str | None:
        return self.audit.latest()

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self.audit.log.consistency(first, second)

    def add_cosignature(self, size: int, witness: str, note: str) -> None:
        self.audit.log.add_cosignature(size, witness, note)


@dataclass(frozen=True)
class Outcome:
    kind: str  # "cosigned", "unchanged", "alarm"
    size: int
    reason: str = ""


class Witness:
    def __init__(
        self,
        agency: str,
        signer: Signer,
        log_key: Verifier,
        state_file: Path,
        source: LogSource,
        publish: Publish,
    ) -> None:
        self.agency, self.signer, self.log_key = agency, signer, log_key
        self.state_file, self.source, self.publish = state_file, source, publish

    def resume(self) -> None:
        """Publish a cosignature that a crash left unpublished."""
        state = read_state(self.state_file)
        if state and not state.get("published"):
            self._announce(int(state["size"]), str(state["cosigned"]))

    def step(self) -> Outcome:
        offered = self.source.latest()
        if offered is None:
            return Outcome("unchanged", 0)
        try:
            note = Note.parse(offered)
            verify_note(note, self.log_key)
            checkpoint = Checkpoint.parse(note.text)
        except NoteError as error:
            return self._alarm(BAD_SIGNATURE, 0, str(error), offered)
        state = read_state(self.state_file)
        if state:
            size, root = int(state["size"]), base64.b64decode(state["root"])
            problem = self._problem(size, root, checkpoint)
            if problem:
                return self._alarm(problem[0], checkpoint.size, problem[1], offered)
            if checkpoint.size == size:
                return Outcome("unchanged", size)
        cosigned = note.with_signature(*cosign(note, self.signer, int(time.time()))).render()
        write_state(
            self.state_file,
            {
                "size": checkpoint.size,
                "root": base64.b64encode(checkpoint.root).decode(),
                "cosigned": cosigned,
                "published": False,
            },
        )
        self._announce(checkpoint.size, cosigned)
        log.info("witness.cosigned", agency=self.agency, size=checkpoint.size)
        return Outcome("cosigned", checkpoint.size)

    def _problem(self, size: int, root: bytes, new: Checkpoint) -> tuple[str, str] | None:
        if new.size < size:
            return SHRANK, f"the log offers {new.size} entries after {size} were accepted"
        if new.size == size:
            return None if new.root == root else (FORKED, f"two different trees of size {size}")
        try:
            proof = self.source.consistency(size, new.size)
            merkle.verify_consistency(size, new.size, root, new.root, proof)
        except merkle.ProofError as error:
            return FORKED, str(error)
        return None

    def _announce(self, size: int, cosigned: str) -> None:
        self.source.add_cosignature(size, self.signer.name, cosigned)
        self.publish({"kind": "cosignature", "agency": self.agency, "size": size, "note": cosigned})
        state = read_state(self.state_file)
        write_state(self.state_file, state | {"published": True})

    def _alarm(self, reason: str, size: int, detail: str, offered: str) -> Outcome:
        log.error("witness.alarm", agency=self.agency, reason=reason, detail=detail)
        self.publish(
            {"kind": "alarm", "agency": self.agency, "reason": reason, "detail": detail,
             "offered": offered}
        )  # fmt: skip
        return Outcome("alarm", size, reason)
