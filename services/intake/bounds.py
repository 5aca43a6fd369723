"""What the intake checks before the case rules.

Sizes (the maximum submission size, the contract's field limits), a plausible ``occurred_at``
and known codes (``deploy/config/vocabulary.toml``) are refused with a reason of the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from events import ContractError, Decoded, Reason
from events.limits import check_lengths, check_occurred_at
from services.runtime.settings import Settings
from services.vocabulary import Vocabulary, load_vocabulary


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Bounds:
    """The checks and their settings; ``clock`` is the backbone's (tests give their own)."""

    vocabulary: Vocabulary
    max_bytes: int = 262_144
    skew: timedelta = timedelta(minutes=10)
    floor: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    clock: Callable[[], datetime] = field(default=_utc_now)

    @classmethod
    def from_settings(cls, settings: Settings) -> Bounds:
        return cls(
            vocabulary=load_vocabulary(settings.config_dir),
            max_bytes=settings.max_submission_bytes,
            skew=timedelta(seconds=settings.clock_skew_seconds),
            floor=datetime.combine(settings.occurred_at_floor, datetime.min.time(), UTC),
        )

    def check_size(self, value: bytes) -> None:
        """Refuse a message beyond the maximum submission size, before decoding it."""
        if len(value) > self.max_bytes:
            raise ContractError(
                Reason.SUBMISSION_TOO_LARGE,
                f"the message is {len(value)} bytes, at most {self.max_bytes} are accepted; "
                "send one step per message within the contract's field limits",
            )

    def check(self, decoded: Decoded) -> None:
        """Refuse an oversized field, an implausible occurred_at or an unknown code."""
        check_lengths(decoded.wire_name, decoded.record)
        occurred_at = decoded.record.get("occurred_at")
        if isinstance(occurred_at, datetime):
            check_occurred_at(occurred_at, self.clock(), self.skew, self.floor)
        self.vocabulary.check(decoded.wire_name, decoded.record)
