"""The Referral Backbone's HTTP API for agency systems (standard library only)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

__all__ = ["ApiClient", "ApiError"]


class ApiError(Exception):
    """An answer other than 2xx: ``status``, the stable ``reason`` and the ``detail``."""

    def __init__(self, status: int, reason: str, detail: str, retry_after: float = 0.0) -> None:
        super().__init__(f"{status} {reason}: {detail}")
        self.status = status
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


class ApiClient:
    """One agency system's connection to the API at ``base_url`` (ending in ``/api``)."""

    def __init__(self, base_url: str, key: str, timeout_s: float = 60.0, retries: int = 3):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout_s = timeout_s
        self.retries = retries

    def submit(self, step: str, record: dict[str, Any]) -> str:
        """Publish one step; return its submission id (resending it is harmless)."""
        answer = self._call("POST", "/submissions", {"step": step, "record": record})
        return str(answer["submission_id"])

    def status(self, submission_id: str, wait: float = 0.0) -> dict[str, Any]:
        """``recorded`` (with ``event_id``), ``rejected`` (with ``reason``) or ``pending``."""
        path = f"/submissions/{urllib.parse.quote(submission_id)}?wait={wait}"
        return self._call("GET", path)

    def inbox(self, cursor: str = "", limit: int = 100) -> dict[str, Any]:
        return self._page("/inbox", cursor, limit)

    def rejections(self, cursor: str = "", limit: int = 100) -> dict[str, Any]:
        return self._page("/rejections", cursor, limit)

    def case_events(self, case_id: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self._call(
            "GET", f"/cases/{urllib.parse.quote(case_id)}/events"
        )["events"]
        return events

    def stalled(self) -> list[dict[str, Any]]:
        cases: list[dict[str, Any]] = self._call("GET", "/stalled")["cases"]
        return cases

    def _page(self, path: str, cursor: str, limit: int) -> dict[str, Any]:
        query = urllib.parse.urlencode({"cursor": cursor, "limit": limit})
        return self._call("GET", f"{path}?{query}")

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """One request; a 429 is retried after the Retry-After the API gives."""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(
                self.base_url + path,
                data=data,
                method=method,
                headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                    loaded: dict[str, Any] = json.loads(answer.read())
                    return loaded
            except urllib.error.HTTPError as error:
                failure = _error(error)
                if failure.status != 429 or attempt == self.retries:
                    raise failure from None
                time.sleep(failure.retry_after)
        raise AssertionError("unreachable")


def _error(error: urllib.error.HTTPError) -> ApiError:
    try:
        body = json.loads(error.read())
        reason, detail = str(body["reason"]), str(body["detail"])
    except (ValueError, KeyError, TypeError):
        reason, detail = "http_error", str(error.reason)
    retry = error.headers.get("Retry-After", "0") if error.headers else "0"
    return ApiError(error.code, reason, detail, float(retry) if retry.isdigit() else 0.0)
