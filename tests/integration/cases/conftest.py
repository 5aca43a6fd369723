"""The case service on each store, for the tests of recording, reading and tampering."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from services.cases.application import CaseService
from services.runtime.settings import Settings


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    """The settings of ``service``: another service made of them writes to the same store."""
    return make_settings(database_url=database_url)


@pytest.fixture
def service(settings: Settings) -> Iterator[CaseService]:
    app = CaseService.from_settings(settings)
    yield app
    app.close()
