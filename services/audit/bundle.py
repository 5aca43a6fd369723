"""Evidence bundles: one JSON file that proves a set of case events offline (see docs/AUDIT.md).

A bundle holds the events (the fields their hash covers), each event's leaf index and RFC 6962
inclusion proof against one checkpoint, that checkpoint as a C2SP signed note with the
witnesses' cosignatures, the log's and the witnesses' verifier keys, the verification policy
and the Avro schemas. ``verify_bundle`` needs nothing else: no database, no broker.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.audit import merkle
from services.audit.note import Checkpoint, Note, NoteError, Verifier, verify_cosignature
from services.audit.note import verify_note as check_note
from services.audit.rows import RowEvent
from services.cases.chain import event_hash

FORMAT = "referral-backbone-audit-bundle/v1"
ERASED = "erased"
_EVENT_FIELDS = (
    "step", "payload", "agency", "role", "occurred_at", "recorded_at", "submission_id",
    "previous_hash", "hash",
)  # fmt: skip


@dataclass
class BundleCheck:
    entries: int = 0
    cosignatures: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def entry(
    index: int, case_id: str, sequence: int, event: RowEvent, proof: Sequence[bytes], erased: bool
) -> dict[str, Any]:
    fields = {name: getattr(event, name) for name in _EVENT_FIELDS}
    return {
        "leaf_index": index,
        "case_id": case_id,
        "sequence": sequence,
        "event": fields | {"personal_data": event.sealed_personal_data},
        "personal_data_state": ERASED
        if erased
        else ("sealed" if event.sealed_personal_data else ""),
        "inclusion_proof": [base64.b64encode(p).decode() for p in proof],
    }


def _personal_state(sealed: str, erased: bool) -> str:
    """Empty (none recorded), "sealed" (key held by the backbone) or "erased" (key destroyed)."""
    if not sealed:
        return ""
    return ERASED if erased else "sealed"


def bundle(
    checkpoint_note: str,
    log_vkey: str,
    witnesses: Mapping[str, str],
    required: int,
    entries: list[dict[str, Any]],
    schemas: Mapping[str, Any],
    selection: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "selection": dict(selection),
        "log_vkey": log_vkey,
        "witness_vkeys": dict(witnesses),
        "policy": {"required_cosignatures": required},
        "checkpoint": checkpoint_note,
        "entries": entries,
        "schemas": dict(schemas),
    }


def verify_bundle(data: Mapping[str, Any], trusted: Sequence[str] = ()) -> BundleCheck:
    """Check every entry's hash and proof, the log's signature and the cosignature policy.

    ``trusted``: vkeys obtained out of band; when given, keys in the bundle must be among them.
    """
    check = BundleCheck()
    if data.get("format") != FORMAT:
        check.problems.append(f"not a {FORMAT} file")
        return check
    try:
        log_key, witness_keys = _keys(data, trusted)
        note = Note.parse(str(data["checkpoint"]))
        check_note(note, log_key)
        checkpoint = Checkpoint.parse(note.text)
    except (NoteError, KeyError, ValueError) as error:
        check.problems.append(f"checkpoint: {error}")
        return check
    for key in witness_keys:
        try:
            verify_cosignature(note, key)
            check.cosignatures += 1
        except NoteError:
            continue
    required = int(data.get("policy", {}).get("required_cosignatures", 0))
    if check.cosignatures < required:
        check.problems.append(
            f"policy: {required} witness cosignatures required, {check.cosignatures} valid"
        )
    for item in data.get("entries", []):
        check.entries += 1
        problem = _check_entry(item, checkpoint)
        if problem:
            check.problems.append(problem)
    return check


def _keys(data: Mapping[str, Any], trusted: Sequence[str]) -> tuple[Verifier, list[Verifier]]:
    keys = [str(data["log_vkey"]), *map(str, data.get("witness_vkeys", {}).values())]
    if trusted:
        strangers = [k for k in keys if k.strip() not in {t.strip() for t in trusted}]
        if strangers:
            raise NoteError(f"keys not in the trusted list: {strangers}")
    return Verifier.from_vkey(keys[0]), [Verifier.from_vkey(k) for k in keys[1:]]


def _check_entry(item: Mapping[str, Any], checkpoint: Checkpoint) -> str:
    where = f"event {item.get('case_id')}#{item.get('sequence')}"
    try:
        fields = dict(item["event"])
        sealed = fields.pop("personal_data")
        event = RowEvent(**fields, sealed_personal_data=sealed)
        if event_hash(str(item["case_id"]), int(item["sequence"]), event) != event.hash:
            return f"{where}: altered (its content does not give its hash)"
        proof = [base64.b64decode(p, validate=True) for p in item["inclusion_proof"]]
        leaf = merkle.leaf_hash(bytes.fromhex(event.hash))
        merkle.verify_inclusion(
            leaf, int(item["leaf_index"]), checkpoint.size, proof, checkpoint.root
        )
    except merkle.ProofError as error:
        return f"{where}: not in the checkpointed log ({error})"
    except (KeyError, TypeError, ValueError) as error:
        return f"{where}: malformed ({error})"
    return ""


def load(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data
