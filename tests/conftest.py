"""Session-wide real parts (Kafka, PostgreSQL) and fresh names for every test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from deploy.kafka.launcher import BrokerEndpoint
from services.runtime.settings import Settings, load_settings
from tests.kafkatools import broker_overrides
from tests.realparts import create_database, kafka_broker, postgres_server, reader_url_of


@pytest.fixture(scope="session")
def kafka_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerEndpoint]:
    """A running Kafka 4 broker for the whole test session."""
    with kafka_broker(tmp_path_factory.mktemp("kafka")) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running PostgreSQL server for the whole test session."""
    with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture
def unique_name() -> str:
    """A fresh name for this test's topics, consumer groups and databases."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, unique_name: str) -> str:
    """A fresh, empty database: each store test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    return create_database(admin_url, unique_name)


@pytest.fixture
def db(database_url: str) -> Iterator[sa.Engine]:
    """An engine on the test's database (SQLite, then PostgreSQL), disposed after the test."""
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin_url: str, unique_name: str) -> str:
    """A fresh, empty PostgreSQL database."""
    return create_database(postgres_admin_url, unique_name)


@pytest.fixture
def postgres_reader_url(postgres_url: str) -> str:
    """The read-only role's URL of ``postgres_url``'s database (dashboard, reports): it may
    ``SELECT`` the read models once the projection has created them, and nothing else."""
    return reader_url_of(postgres_url)


@pytest.fixture
def make_settings(tmp_path: Path, unique_name: str) -> Callable[..., Settings]:
    """Settings on this test's own home, topics and keys; keyword overrides win."""

    def make(**overrides: object) -> Settings:
        base: dict[str, object] = {
            "home": tmp_path / "home",
            "topic_prefix": unique_name,
            "master_key_file": tmp_path / "master.key",
            "log_format": "json",
        }
        return load_settings(**(base | overrides))

    return make


@pytest.fixture
def kafka_settings(
    make_settings: Callable[..., Settings], kafka_endpoint: BrokerEndpoint
) -> Settings:
    """Settings on the session broker with fresh topics and an SQLite store."""
    return make_settings(**broker_overrides(kafka_endpoint))


@pytest.fixture
def kafka_settings_any_store(
    make_settings: Callable[..., Settings], kafka_endpoint: BrokerEndpoint, database_url: str
) -> Settings:
    """Settings on the session broker with fresh topics, once per store."""
    return make_settings(database_url=database_url, **broker_overrides(kafka_endpoint))
