"""Sealing keys: the backbone's own key pair, and each agency's for its inbox.

Agencies seal personal data to the backbone's public key before it touches Kafka; the relay
seals what an agency may read to that agency's public key. Private keys live in files readable
by their owner only; the local set-up generates missing ones.
"""

from __future__ import annotations

import json
from pathlib import Path

from deploy.process import create_once
from events.sealing import KeyPair, generate_keypair, seal
from services.runtime.settings import Settings


def _load_or_create(path: Path) -> KeyPair:
    if path.exists():
        data = json.loads(path.read_text())
        return KeyPair(data["public_key"], data["private_key"])
    pair = generate_keypair()
    fresh = json.dumps({"public_key": pair.public_key, "private_key": pair.private_key})
    data = json.loads(create_once(path, fresh.encode()))
    return KeyPair(data["public_key"], data["private_key"])


def backbone_keypair(settings: Settings) -> KeyPair:
    """The backbone's sealing key pair (created on first use)."""
    return _load_or_create(settings.effective_sealing_key_file)


def agency_keypair(settings: Settings, agency: str) -> KeyPair:
    """An agency's inbox key pair, kept with its credentials (created on first use)."""
    return _load_or_create(settings.effective_credentials_dir / f"{agency}.key")


def register_agency_public_key(settings: Settings, agency: str, public_key: str) -> Path:
    """Keep an agency's own inbox public key; its private key then never exists here.

    A key the backbone generated before is replaced (its private half is destroyed), and
    provisioning no longer generates one for this agency: the file exists.
    """
    seal(public_key, b"")  # refuses what is not base64 of a 32-byte key (bad_key)
    path = settings.effective_credentials_dir / f"{agency}.key"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(json.dumps({"public_key": public_key, "private_key": ""}))
    tmp.replace(path)
    return path
