"""An inbox record whose personal data the agency cannot open still reaches the agency."""

from __future__ import annotations

from deploy.kafka.launcher import BrokerEndpoint
from events import Codec, Topics, generate_keypair, seal
from services.kafka.agency import AgencyClient
from tests.casefactory import PERSONAL
from tests.unit.events.samples import SAMPLES


def _inbox_record(codec: Codec, sealed_to: str) -> bytes:
    sealed = seal(sealed_to, codec.encode("PersonalData", PERSONAL))
    step = codec.encode("ReferralSent", SAMPLES["ReferralSent"])
    envelope = SAMPLES["CaseEvent"] | {"event_type": "ReferralSent", "payload": step,
                                       "personal_data": sealed}  # fmt: skip
    return codec.encode("CaseEvent", envelope)


def _client(codec: Codec, private_key: str) -> AgencyClient:
    endpoint = BrokerEndpoint("127.0.0.1:1", "hospital", "unused")
    return AgencyClient("hospital-ninh-thuan", endpoint, Topics(), "unused", private_key, codec)


def test_personal_data_sealed_to_the_agency_is_opened() -> None:
    codec, keys = Codec.from_directory(), generate_keypair()
    item = _client(codec, keys.private_key)._inbox_item(_inbox_record(codec, keys.public_key))
    assert item is not None and item.personal_data is not None
    assert item.personal_data["child_name"] == PERSONAL["child_name"]


def test_a_step_with_unopenable_personal_data_is_kept_and_flagged() -> None:
    codec, other = Codec.from_directory(), generate_keypair()
    client = _client(codec, generate_keypair().private_key)
    item = client._inbox_item(_inbox_record(codec, other.public_key))
    assert item is not None
    assert item.event_type == "ReferralSent" and item.personal_data is None
    assert item.personal_data_unreadable
