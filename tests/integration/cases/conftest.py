"""The case service on each store, for the tests of recording, reading and tampering."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from services.cases.application import CaseService
from services.runtime.settings import Settings


@pytest.fixture
def service(make_settings: Callable[..., Settings], database_url: str) -> Iterator[CaseService]:
    app = CaseService.from_settings(make_settings(database_url=database_url))
    yield app
    app.close()
