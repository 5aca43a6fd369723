"""An example agency system on the Referral Backbone, using only referral-backbone-client.

    python example_agency.py keygen KEYFILE        make the inbox key pair, print the public key
    python example_agency.py run CONFIG KEYFILE    report a case, refer it, read the inbox and
                                                   the rejection of a duplicate; print JSON

CONFIG is a JSON file of what the operator hands over: ``bootstrap_servers``,
``security_protocol``, ``topic_prefix``, ``credentials_file`` and ``backbone_public_key``
(and ``ssl_cafile``, the CA's PEM file, with ``SASL_SSL``).
The case data is fictional. The JSON shows personal data only as a SHA-256 per field: a real
system keeps what it opens in its own store, never in its output or logs.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from referral_backbone_client import AgencyClient, Connection, InboxItem, generate_keypair

PERSONAL = {
    "child_name": "Trần Thị Lan",
    "child_birth_date": "2015-06-01",
    "child_address": "Thôn Hòa Thạnh, xã Phước Hải",
    "child_contact": "",
    "reporter_name": "Nguyễn Văn An",
    "reporter_contact": "0905 000 111",
}


def keygen(keyfile: Path) -> None:
    """The private key stays in ``keyfile`` (owner only); the operator registers the public one."""
    pair = generate_keypair()
    descriptor = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump({"public_key": pair.public_key, "private_key": pair.private_key}, out)
    print(pair.public_key)


def run(config_file: Path, keyfile: Path) -> None:
    given = json.loads(config_file.read_text(encoding="utf-8"))
    connection = Connection.from_credentials_file(
        Path(given["credentials_file"]),
        given["bootstrap_servers"],
        security_protocol=given["security_protocol"],
        topic_prefix=given["topic_prefix"],
        ssl_cafile=given.get("ssl_cafile"),
    )
    private_key = json.loads(keyfile.read_text(encoding="utf-8"))["private_key"]
    with AgencyClient(connection, given["backbone_public_key"], private_key) as agency:
        print(json.dumps(scenario(agency), ensure_ascii=False))


def scenario(agency: AgencyClient) -> dict[str, Any]:
    now, case_id = datetime.now(UTC), str(uuid.uuid4())
    report = {"case_id": case_id, "occurred_at": now, "channel": "police",
              "forms_of_abuse": ["violence"], "setting": "family", "child_sex": "female",
              "child_age_group": "6-11", "province_code": "58", "district_code": "582",
              "commune_code": "22738", "risk_level": "high"}  # fmt: skip
    agency.submit("CaseReported", report, PERSONAL)
    referral = {"case_id": case_id, "occurred_at": now, "referral_id": "r-1",
                "to_agency": "hospital-khanh-hoa", "service": "medical", "due_at": 0}  # fmt: skip
    agency.submit("ReferralSent", referral)
    # The same case reported again under a new submission id: the backbone rejects it.
    duplicate = agency.contract.encode(
        "CaseReported", {**report, "submission_id": str(uuid.uuid4())}
    )
    agency.publish(case_id, duplicate)
    inbox, rejections = read_until_answered(agency)
    return {
        "reported_case": case_id,
        "sent_personal_data": fingerprints(PERSONAL),
        "inbox": [_item(item) for item in inbox],
        "rejection": {
            "reason": rejections[0].reason,
            "detail": rejections[0].detail,
            "original_matches_sent": rejections[0].original == duplicate,
        },
        "server_side": sorted(m for m in sys.modules if m.split(".")[0] in ("services", "events")),
    }


def read_until_answered(agency: AgencyClient, within_s: float = 60) -> tuple[list[Any], list[Any]]:
    """The inbox until it brings personal data, and the rejections until one arrives."""
    inbox: list[InboxItem] = []
    rejections: list[Any] = []
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and not (rejections and any(i.personal_data for i in inbox)):
        inbox += agency.inbox(timeout_s=0.5)
        rejections += agency.rejections(timeout_s=0.5)
    if not rejections:
        sys.exit("no rejection arrived")
    return inbox, rejections


def _item(item: InboxItem) -> dict[str, Any]:
    return {
        "case_id": item.event["case_id"],
        "event_type": item.step_name,
        "personal_data": fingerprints(item.personal_data) if item.personal_data else None,
    }


def fingerprints(personal_data: dict[str, str]) -> dict[str, str]:
    """Each field's SHA-256 (hex of its UTF-8 text): comparable, and nothing in clear."""
    return {name: hashlib.sha256(text.encode()).hexdigest() for name, text in personal_data.items()}


if __name__ == "__main__":
    if sys.argv[1:2] == ["keygen"] and len(sys.argv) == 3:
        keygen(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["run"] and len(sys.argv) == 4:
        run(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(__doc__)
