"""C2SP signed notes, checkpoints and cosignatures: formats an independent tool can check."""

from __future__ import annotations

import pytest

from services.audit.note import (
    COSIGNATURE_V1,
    Checkpoint,
    Note,
    NoteError,
    Signer,
    Verifier,
    cosign,
    sign_note,
    verify_cosignature,
    verify_note,
)

# The example of Go's golang.org/x/mod/sumdb/note documentation, an independent implementation.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_NOTE = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n"
)

LOG = Signer("example.org/log", bytes(range(32)))
WITNESS = Signer("witness.example.org", bytes(range(1, 33)), COSIGNATURE_V1)


def test_a_note_signed_by_go_verifies_here() -> None:
    verify_note(Note.parse(GO_NOTE), Verifier.from_vkey(GO_VKEY))


def test_a_note_round_trips_and_an_edited_text_fails() -> None:
    body = Checkpoint("example.org/log", 12, bytes(32)).body
    rendered = sign_note(body, LOG).render()
    parsed = Note.parse(rendered)
    verify_note(parsed, Verifier.from_vkey(LOG.verifier.vkey))
    assert Checkpoint.parse(parsed.text) == Checkpoint("example.org/log", 12, bytes(32))
    with pytest.raises(NoteError):
        verify_note(Note.parse(rendered.replace("\n12\n", "\n13\n")), LOG.verifier)


def test_a_cosignature_verifies_with_its_timestamp_and_not_on_another_checkpoint() -> None:
    note = sign_note(Checkpoint("example.org/log", 3, bytes(32)).body, LOG)
    cosigned = note.with_signature(*cosign(note, WITNESS, 1_700_000_000))
    again = Note.parse(cosigned.render())
    assert verify_cosignature(again, WITNESS.verifier) == 1_700_000_000
    other = sign_note(Checkpoint("example.org/log", 4, bytes(32)).body, LOG)
    moved = other.with_signature(*again.signatures[1])
    with pytest.raises(NoteError):
        verify_cosignature(moved, WITNESS.verifier)


def test_a_vkey_with_a_wrong_key_id_is_refused() -> None:
    name, _, material = LOG.verifier.vkey.split("+", 2)
    with pytest.raises(NoteError):
        Verifier.from_vkey(f"{name}+00000000+{material}")
