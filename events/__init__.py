"""The public wire contract of the referral backbone (see CONTRACT.md).

Avro schemas in `schemas/`, the single-object codec, topic names and personal-data sealing.
No business rules live here.

The names below load their module on first use (PEP 562): the step names (`events.steps`) and
instants (`events.instants`) are standard library only, and importing them must not load
fastavro or PyNaCl, which the pure domain and deadline engine stay free of.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from events.codec import MARKER, NAMESPACE, Codec, Decoded
    from events.errors import ContractError, Reason
    from events.instants import EPOCH
    from events.sealing import KeyPair, generate_keypair, open_sealed, public_key_of, seal
    from events.steps import SCHEMA_DIR
    from events.topics import Topics
    from events.versions import Schema, SchemaVersion, load_schema, schema_fingerprint

_HOMES = {
    "EPOCH": "instants",
    "MARKER": "codec",
    "NAMESPACE": "codec",
    "SCHEMA_DIR": "steps",
    "Codec": "codec",
    "Decoded": "codec",
    "ContractError": "errors",
    "Reason": "errors",
    "KeyPair": "sealing",
    "generate_keypair": "sealing",
    "open_sealed": "sealing",
    "public_key_of": "sealing",
    "seal": "sealing",
    "Topics": "topics",
    "Schema": "versions",
    "SchemaVersion": "versions",
    "load_schema": "versions",
    "schema_fingerprint": "versions",
}

__all__ = [
    "EPOCH",
    "MARKER",
    "NAMESPACE",
    "SCHEMA_DIR",
    "Codec",
    "ContractError",
    "Decoded",
    "KeyPair",
    "Reason",
    "Schema",
    "SchemaVersion",
    "Topics",
    "generate_keypair",
    "load_schema",
    "open_sealed",
    "public_key_of",
    "schema_fingerprint",
    "seal",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'events' has no attribute {name!r}")
    value = getattr(import_module(f"events.{home}"), name)
    globals()[name] = value
    return value
