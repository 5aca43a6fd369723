"""The API's one error answer: an HTTP status, a machine-readable reason and a sentence."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ApiError(Exception):
    def __init__(
        self, status: int, reason: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{reason}: {detail}")
        self.status = status
        self.reason = reason
        self.detail = detail
        self.headers = headers or {}


class ErrorBody(BaseModel):
    """Every error answer has this shape; ``reason`` is stable, ``detail`` is for people."""

    reason: str = Field(examples=["schema_violation"])
    detail: str = Field(examples=["missing field CaseReported.channel"])


def not_found(what: str) -> ApiError:
    """The same answer whether the thing is missing or belongs to another agency."""
    return ApiError(404, "not_found", f"no {what} of yours has this id")
