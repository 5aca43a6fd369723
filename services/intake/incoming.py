"""What the intake's rules read of a record consumed from an intake topic.

A Kafka consumer record has these attributes; so do the tests' plain records, so the rules are
exercised without a broker.
"""

from __future__ import annotations

from typing import Protocol


class ReadRecord(Protocol):
    """A record read at ``offset`` of ``topic``'s ``partition``, sent at ``timestamp`` (ms)."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...

    @property
    def timestamp(self) -> int: ...

    @property
    def value(self) -> bytes | None: ...
