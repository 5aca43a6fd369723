"""Long variants run only when asked for by hand: ``pytest -m long tests/integration/scale``."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "long" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="long variant: run by hand with -m long")
    for item in items:
        if item.get_closest_marker("long"):
            item.add_marker(skip)
