"""The per-agency rate: a burst at once, then the sustained rate; agencies apart."""

from __future__ import annotations

from services.api.limits import RateLimiter, retry_after


def test_a_burst_passes_then_the_rate_decides() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.wait_needed("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait_needed("a") == 0.5
    assert limiter.wait_needed("b") == 0.0
    now[0] = 0.5
    assert limiter.wait_needed("a") == 0.0
    assert retry_after(0.2) == "1" and retry_after(2.01) == "3"
