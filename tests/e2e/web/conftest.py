"""What the browser tests of this folder share: one headless Chromium per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver

from tests.e2e.web.browser import chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One session for the module's tests, which go on from one another's pages."""
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()
