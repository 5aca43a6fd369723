"""Personal data sealed with libsodium sealed boxes (``crypto_box_seal``), keys as base64 text.

Seal to the backbone's public key before a step leaves the agency; open what the inbox brings
with the agency's own private key. The private key never leaves the agency's system.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from referral_backbone_client.errors import ClientError


@dataclass(frozen=True)
class KeyPair:
    """An inbox key pair: register ``public_key`` with the backbone, keep ``private_key``."""

    public_key: str
    private_key: str


def generate_keypair() -> KeyPair:
    """A fresh inbox key pair (``crypto_box_keypair``)."""
    private = PrivateKey.generate()
    return KeyPair(_text(bytes(private.public_key)), _text(bytes(private)))


def seal(public_key: str, data: bytes) -> bytes:
    """``data`` sealed so that only the holder of ``public_key``'s private half can open it."""
    return bytes(SealedBox(PublicKey(_key(public_key))).encrypt(data))


def open_sealed(private_key: str, sealed: bytes | str) -> bytes:
    """Open a sealed blob (raw bytes, or base64 text as the HTTP API gives it)."""
    raw = base64.b64decode(sealed, validate=True) if isinstance(sealed, str) else sealed
    try:
        return bytes(SealedBox(PrivateKey(_key(private_key))).decrypt(raw))
    except CryptoError:
        raise ClientError("not_openable", "damaged, or sealed to another key") from None


def _key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ClientError("bad_key", "a key is base64 text of 32 bytes") from None
    if len(raw) != 32:
        raise ClientError("bad_key", f"a key is 32 bytes, this one {len(raw)}")
    return raw


def _text(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
