"""Agency systems' API keys: stored hashed in one owner-only JSON file the operator manages.

A key reads ``rbk_<key id>_<secret>``. The file keeps the key id, the agency and the SHA-256 of
the secret (the secret has 256 random bits, so a plain hash cannot be reversed by guessing);
the key itself is shown once, when it is made. Rotation makes a new key and lets the agency's
older keys live on for a grace period, so a system switches keys without downtime; revocation
ends keys at once. The API reads the file again whenever it changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

PREFIX = "rbk"


@dataclass(frozen=True)
class StoredKey:
    """One key as the file keeps it: never the key itself."""

    key_id: str
    agency: str
    sha256: str
    created_at: str
    expires_at: str = ""
    revoked: bool = False

    def valid_at(self, now: datetime) -> bool:
        return not self.revoked and (
            not self.expires_at or datetime.fromisoformat(self.expires_at) > now
        )


@dataclass(frozen=True)
class IssuedKey:
    """A key just made: hand ``key`` to the agency once, it is not kept."""

    key_id: str
    agency: str
    key: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(presented: str) -> str:
    """The key id inside a presented key ('' when it is not shaped like one): safe to log."""
    parts = presented.split("_", 2)
    ok = len(parts) == 3 and parts[0] == PREFIX and len(parts[1]) == 12 and parts[1].isalnum()
    return parts[1] if ok else ""


class KeyFile:
    """The key file: operator commands change it, the API checks keys against it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._keys: dict[str, StoredKey] = {}

    def keys(self) -> list[StoredKey]:
        return sorted(self._load().values(), key=lambda k: (k.agency, k.created_at))

    def authenticate(self, presented: str, now: datetime | None = None) -> str | None:
        """The agency whose valid key this is, or None."""
        stored = self._load().get(key_id_of(presented))
        if stored is None:
            return None
        secret = presented.split("_", 2)[2]
        if not hmac.compare_digest(stored.sha256, _digest(secret)):
            return None
        return stored.agency if stored.valid_at(now or datetime.now(UTC)) else None

    def create(self, agency: str, now: datetime | None = None) -> IssuedKey:
        """A new key for ``agency``; its other keys stay valid."""
        when = now or datetime.now(UTC)
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        stored = StoredKey(key_id, agency, _digest(secret), when.isoformat())
        self._save({**self._load(), key_id: stored})
        return IssuedKey(key_id, agency, f"{PREFIX}_{key_id}_{secret}")

    def rotate(self, agency: str, grace: timedelta, now: datetime | None = None) -> IssuedKey:
        """A new key; the agency's current keys expire after ``grace`` (two valid meanwhile)."""
        when = now or datetime.now(UTC)
        ends = (when + grace).isoformat()
        kept = {
            key_id: replace(k, expires_at=ends)
            if k.agency == agency and k.valid_at(when) and (not k.expires_at or k.expires_at > ends)
            else k
            for key_id, k in self._load().items()
        }
        self._save(kept)
        return self.create(agency, when)

    def revoke(self, agency: str, key_id: str = "") -> int:
        """End the agency's keys (or just ``key_id``) now; return how many were ended."""
        keys = self._load()
        ended = [
            k.key_id
            for k in keys.values()
            if k.agency == agency and not k.revoked and key_id in ("", k.key_id)
        ]
        self._save({**keys, **{i: replace(keys[i], revoked=True) for i in ended}})
        return len(ended)

    def _load(self) -> dict[str, StoredKey]:
        with self._lock:
            try:
                mtime = self.path.stat().st_mtime_ns
            except FileNotFoundError:
                return {}
            if mtime != self._mtime:
                rows = json.loads(self.path.read_text(encoding="utf-8"))["keys"]
                self._keys = {row["key_id"]: StoredKey(**row) for row in rows}
                self._mtime = mtime
            return dict(self._keys)

    def _save(self, keys: dict[str, StoredKey]) -> None:
        write_private(self.path, json.dumps({"keys": [asdict(k) for k in keys.values()]}, indent=2))


def write_private(path: Path, text: str) -> None:
    """Owner-only from the first byte, replaced whole so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    tmp.replace(path)
