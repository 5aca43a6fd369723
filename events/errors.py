"""The one error type of the wire contract."""

from enum import StrEnum


class Reason(StrEnum):
    """Machine-readable reason codes; a `Rejection` carries one in its `reason` field."""

    NOT_SINGLE_OBJECT = "not_single_object"
    UNKNOWN_FINGERPRINT = "unknown_fingerprint"
    BAD_BODY = "bad_body"
    SCHEMA_MISMATCH = "schema_mismatch"
    SCHEMA_VIOLATION = "schema_violation"
    UNKNOWN_WIRE_NAME = "unknown_wire_name"
    BAD_SCHEMA = "bad_schema"
    BAD_KEY = "bad_key"
    NOT_OPENABLE = "not_openable"
    BAD_TOPIC_NAME = "bad_topic_name"
    UNKNOWN_CODE = "unknown_code"
    FIELD_TOO_LONG = "field_too_long"
    CONTROL_CHARACTER = "control_character"
    OCCURRED_IN_FUTURE = "occurred_in_future"
    OCCURRED_TOO_EARLY = "occurred_too_early"
    NOT_A_BOOLEAN = "not_a_boolean"
    SUBMISSION_TOO_LARGE = "submission_too_large"


class ContractError(Exception):
    """Bytes, records, keys or names that break the wire contract.

    `reason` is a stable code for machines; the message says what is wrong for people. The
    message never holds field values, so it is safe to log (values may be personal data).
    """

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.detail = message
