"""Agency API keys: kept hashed, rotated without downtime, revoked at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.api.apikeys import KeyFile, key_id_of

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_a_key_is_shown_once_and_kept_only_as_a_hash(tmp_path: Path) -> None:
    keys = KeyFile(tmp_path / "api-keys.json")
    issued = keys.create("hotline-111", T0)
    stored = (tmp_path / "api-keys.json").read_text()
    assert issued.key_id in stored
    assert issued.key.split("_", 2)[2] not in stored
    assert (tmp_path / "api-keys.json").stat().st_mode & 0o777 == 0o600
    assert keys.authenticate(issued.key, T0) == "hotline-111"


def test_a_forged_or_malformed_key_authenticates_no_one(tmp_path: Path) -> None:
    keys = KeyFile(tmp_path / "api-keys.json")
    issued = keys.create("hotline-111", T0)
    forged = issued.key[:-2] + ("AA" if not issued.key.endswith("AA") else "BB")
    for presented in (forged, "", "rbk_", "Bearer x", issued.key_id):
        assert keys.authenticate(presented, T0) is None
    assert key_id_of(forged) == issued.key_id
    assert key_id_of("not a key") == ""


def test_rotation_keeps_the_old_key_for_the_grace_period_only(tmp_path: Path) -> None:
    keys = KeyFile(tmp_path / "api-keys.json")
    old = keys.create("hotline-111", T0)
    new = keys.rotate("hotline-111", timedelta(hours=24), T0)
    during, after = T0 + timedelta(hours=23), T0 + timedelta(hours=25)
    assert keys.authenticate(old.key, during) == keys.authenticate(new.key, during)
    assert keys.authenticate(old.key, after) is None
    assert keys.authenticate(new.key, after) == "hotline-111"


def test_revocation_ends_keys_at_once_and_only_that_agencys(tmp_path: Path) -> None:
    keys = KeyFile(tmp_path / "api-keys.json")
    first, second = keys.create("hotline-111", T0), keys.create("hotline-111", T0)
    other = keys.create("police-ninh-thuan", T0)
    assert keys.revoke("hotline-111", first.key_id) == 1
    assert keys.authenticate(first.key, T0) is None
    assert keys.authenticate(second.key, T0) == "hotline-111"
    assert keys.revoke("hotline-111") == 1
    assert keys.authenticate(second.key, T0) is None
    assert keys.authenticate(other.key, T0) == "police-ninh-thuan"
