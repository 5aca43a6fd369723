"""Sealing personal data to a public key (libsodium sealed boxes, via PyNaCl).

Keys travel as base64 text of the 32 raw key bytes. Anyone can seal to a public key; only the
holder of the private key can open the result. Sealed blobs are Curve25519/XSalsa20-Poly1305
sealed boxes, readable by any libsodium binding (`crypto_box_seal_open`).
"""

import base64
import binascii
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from events.errors import ContractError, Reason


@dataclass(frozen=True)
class KeyPair:
    """A Curve25519 key pair as base64 text; keep `private_key` secret."""

    public_key: str
    private_key: str


def generate_keypair() -> KeyPair:
    """A fresh key pair."""
    private = PrivateKey.generate()
    return KeyPair(_text(bytes(private.public_key)), _text(bytes(private)))


def public_key_of(private_key_b64: str) -> str:
    """The public key belonging to a private key."""
    return _text(bytes(PrivateKey(_key_bytes(private_key_b64)).public_key))


def seal(public_key_b64: str, data: bytes) -> bytes:
    """Encrypt `data` so that only the holder of the matching private key can read it."""
    return bytes(SealedBox(PublicKey(_key_bytes(public_key_b64))).encrypt(data))


def open_sealed(private_key_b64: str, data: bytes) -> bytes:
    """Decrypt what `seal` produced for this key pair."""
    box = SealedBox(PrivateKey(_key_bytes(private_key_b64)))
    try:
        return bytes(box.decrypt(data))
    except CryptoError:
        raise ContractError(
            Reason.NOT_OPENABLE, "sealed data is damaged or was sealed to another key"
        ) from None


def _key_bytes(key_b64: str) -> bytes:
    try:
        raw = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ContractError(Reason.BAD_KEY, "a key must be base64 text") from None
    if len(raw) != PublicKey.SIZE:
        raise ContractError(Reason.BAD_KEY, f"a key must be {PublicKey.SIZE} bytes, got {len(raw)}")
    return raw


def _text(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
