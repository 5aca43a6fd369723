"""The public wire contract of the referral backbone (see CONTRACT.md).

Avro schemas in `schemas/`, the single-object codec, topic names and personal-data sealing.
No business rules live here.
"""

from events.codec import EPOCH, MARKER, NAMESPACE, SCHEMA_DIR, Codec, Decoded
from events.errors import ContractError, Reason
from events.sealing import KeyPair, generate_keypair, open_sealed, public_key_of, seal
from events.topics import Topics
from events.versions import Schema, SchemaVersion, load_schema, schema_fingerprint

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
