"""The client's one error type, with the contract's machine-readable reason codes."""

from __future__ import annotations


class ClientError(Exception):
    """What the client refused or could not do: ``reason`` (a contract code) and ``detail``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
