"""C2SP signed notes, checkpoints and cosignatures with Ed25519 (pure, PyNaCl).

* ``signed-note``: a UTF-8 text ending in a newline, an empty line, then one line per signature,
  ``— <key name> <base64(4-byte key ID || signature)>``. An Ed25519 key's ID is
  ``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` and the signature covers the text.
  A verifier key travels as a *vkey*: ``<name>+<hex key ID>+<base64(0x01 || public key)>``.
* ``tlog-checkpoint``: the note text is ``<origin>\\n<tree size>\\n<base64 root hash>\\n``.
* ``tlog-cosignature`` (v1, Ed25519): key ID with algorithm byte 0x04, the signature is
  ``base64(key ID || u64 big-endian timestamp || Ed25519 signature)`` over
  ``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

DASH = "\u2014"
ED25519 = 0x01
COSIGNATURE_V1 = 0x04


class NoteError(ValueError):
    """A note, checkpoint or signature that is malformed or does not verify."""


def key_id(name: str, algorithm: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A named public key and the kind of signature it makes (note or cosignature)."""

    name: str
    public_key: bytes
    algorithm: int = ED25519

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.algorithm, self.public_key)

    @property
    def vkey(self) -> str:
        material = base64.b64encode(bytes([self.algorithm]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def from_vkey(cls, text: str) -> Verifier:
        try:
            name, hex_id, material = text.strip().split("+", 2)
            raw = base64.b64decode(material, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError(f"not a verifier key: {text!r}") from None
        verifier = cls(name, raw[1:], raw[0])
        if len(raw) != 33 or verifier.key_id.hex() != hex_id.lower():
            raise NoteError(f"verifier key {name!r} does not match its key ID")
        return verifier


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key."""

    name: str
    seed: bytes
    algorithm: int = ED25519

    @property
    def verifier(self) -> Verifier:
        public = bytes(SigningKey(self.seed).verify_key)
        return Verifier(self.name, public, self.algorithm)

    def sign(self, message: bytes) -> bytes:
        return bytes(SigningKey(self.seed).sign(message).signature)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    @property
    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or not lines[1].isdigit() or not lines[0]:
            raise NoteError("a checkpoint is origin, size and root hash, one per line")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except binascii.Error:
            raise NoteError("the checkpoint's root hash is not base64") from None
        if len(root) != 32:
            raise NoteError("the checkpoint's root hash is not 32 bytes")
        return cls(lines[0], int(lines[1]), root)


@dataclass(frozen=True)
class Note:
    """A note text and its signature lines (name, raw base64-decoded signature)."""

    text: str
    signatures: tuple[tuple[str, bytes], ...] = ()

    def render(self) -> str:
        lines = "".join(
            f"{DASH} {name} {base64.b64encode(raw).decode()}\n" for name, raw in self.signatures
        )
        return f"{self.text}\n{lines}"

    @classmethod
    def parse(cls, rendered: str) -> Note:
        text, sep, block = rendered.rpartition("\n\n")
        if not sep or not block.endswith("\n"):
            raise NoteError("a signed note is text, an empty line, then signature lines")
        signatures = []
        for line in block[:-1].split("\n"):
            parts = line.split(" ")
            if len(parts) != 3 or parts[0] != DASH:
                raise NoteError(f"malformed signature line {line!r}")
            try:
                signatures.append((parts[1], base64.b64decode(parts[2], validate=True)))
            except binascii.Error:
                raise NoteError(f"signature of {parts[1]!r} is not base64") from None
        return cls(text + "\n", tuple(signatures))

    def with_signature(self, name: str, raw: bytes) -> Note:
        return Note(self.text, (*self.signatures, (name, raw)))

    def _signature_by(self, verifier: Verifier) -> bytes | None:
        for name, raw in self.signatures:
            if name == verifier.name and raw[:4] == verifier.key_id:
                return raw[4:]
        return None


def sign_note(text: str, signer: Signer) -> Note:
    if not text.endswith("\n"):
        raise NoteError("a note text ends with a newline")
    return Note(text, ((signer.name, signer.verifier.key_id + signer.sign(text.encode())),))


def verify_note(note: Note, verifier: Verifier) -> None:
    """Raise NoteError unless ``verifier`` signed the note's text."""
    signature = note._signature_by(verifier)
    if signature is None:
        raise NoteError(f"the note carries no signature by {verifier.name}")
    _check(verifier, note.text.encode(), signature)


def cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(note: Note, signer: Signer, timestamp: int) -> tuple[str, bytes]:
    """A cosignature line (name, raw) for the checkpoint note; ``signer`` uses algorithm 0x04."""
    stamp = struct.pack(">Q", timestamp)
    signature = signer.sign(cosigned_message(note.text, timestamp))
    return signer.name, signer.verifier.key_id + stamp + signature


def verify_cosignature(note: Note, verifier: Verifier) -> int:
    """The timestamp of ``verifier``'s valid cosignature on the note; NoteError otherwise."""
    raw = note._signature_by(verifier)
    if raw is None or len(raw) != 72:
        raise NoteError(f"the checkpoint carries no cosignature by {verifier.name}")
    (timestamp,) = struct.unpack(">Q", raw[:8])
    _check(verifier, cosigned_message(note.text, timestamp), raw[8:])
    return int(timestamp)


def _check(verifier: Verifier, message: bytes, signature: bytes) -> None:
    try:
        VerifyKey(verifier.public_key).verify(message, signature)
    except (BadSignatureError, ValueError):
        raise NoteError(f"the signature by {verifier.name} does not verify") from None
