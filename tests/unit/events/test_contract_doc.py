import re

from events import SCHEMA_DIR, Codec, Reason

CONTRACT = (SCHEMA_DIR.parent / "CONTRACT.md").read_text(encoding="utf-8")


def test_the_documented_fingerprints_are_those_of_the_current_schemas() -> None:
    codec = Codec.from_directory()
    documented = dict(re.findall(r"^\| (\w+) \| `([0-9a-f]{16})` \|$", CONTRACT, re.MULTILINE))
    assert documented == {name: codec.fingerprint(name).hex() for name in codec.wire_names}


def test_every_error_reason_is_documented() -> None:
    assert all(f"| `{reason}` |" in CONTRACT for reason in Reason)
