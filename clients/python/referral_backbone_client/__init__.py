"""The Referral Backbone's client for agency systems, with no server dependency.

Over Kafka (``AgencyClient``): publish steps to the agency's intake topic with personal data
sealed to the backbone's key, read the inbox and open what is sealed to the agency, read the
rejections. Over HTTP (``ApiClient``, standard library only): the same through ``/api``.
The ``.avsc`` schemas of the contract ship inside the package (``contract.SCHEMAS``).
"""

from referral_backbone_client.agency import AgencyClient, InboxItem, Rejection
from referral_backbone_client.api import ApiClient, ApiError
from referral_backbone_client.connection import Connection
from referral_backbone_client.contract import Contract
from referral_backbone_client.errors import ClientError
from referral_backbone_client.sealing import KeyPair, generate_keypair, open_sealed, seal

__all__ = [
    "AgencyClient",
    "ApiClient",
    "ApiError",
    "ClientError",
    "Connection",
    "Contract",
    "InboxItem",
    "KeyPair",
    "Rejection",
    "generate_keypair",
    "open_sealed",
    "seal",
]
