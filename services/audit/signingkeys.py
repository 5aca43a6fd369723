"""The log's and the witnesses' Ed25519 keys: seeds in owner-only files, vkeys beside them."""

from __future__ import annotations

from pathlib import Path

import nacl.utils

from deploy.process import create_once
from services.audit.note import COSIGNATURE_V1, ED25519, Signer, Verifier
from services.runtime.settings import Settings


def log_origin(settings: Settings) -> str:
    """The checkpoint origin line: names this log (one per deployment and topic prefix)."""
    return f"referral-backbone.local/{settings.topic_prefix}"


def audit_dir(settings: Settings) -> Path:
    return settings.home / "audit"


def log_signer(settings: Settings) -> Signer:
    """The log's checkpoint key, created on first use in the home (mode 0600)."""
    return _signer(audit_dir(settings) / "log.key", log_origin(settings), ED25519)


def log_verifier(settings: Settings) -> Verifier:
    return log_signer(settings).verifier


def witness_signer(settings: Settings, agency: str) -> Signer:
    """An agency's cosigning key (tlog-cosignature, algorithm 0x04)."""
    path = settings.home / "witnesses" / agency / "witness.key"
    return _signer(path, f"witness.{agency}.referral-backbone.local", COSIGNATURE_V1)


def witness_vkey_file(settings: Settings, agency: str) -> Path:
    return settings.home / "witnesses" / agency / "witness.vkey"


def _signer(path: Path, name: str, algorithm: int) -> Signer:
    seed = create_once(path, nacl.utils.random(32))
    if len(seed) != 32:
        raise ValueError(f"key file {path} must hold exactly 32 bytes")
    signer = Signer(name, seed, algorithm)
    vkey = path.with_suffix(".vkey")
    if not vkey.exists():
        vkey.write_text(signer.verifier.vkey + "\n", encoding="utf-8")
    return signer
