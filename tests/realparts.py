"""Where the tests get their real Kafka broker and PostgreSQL server from.

In order: the environment (``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL``), testcontainers when
a Docker engine answers, else the project's own launchers in ``deploy/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from deploy.kafka.launcher import BrokerEndpoint, LocalKafka
from deploy.postgres.launcher import LocalPostgres


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextmanager
def kafka_broker(home: Path) -> Iterator[BrokerEndpoint]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield BrokerEndpoint(
            bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            username=os.environ.get("KAFKA_USERNAME", ""),
            password=os.environ.get("KAFKA_PASSWORD", ""),
            security_protocol=os.environ.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
        )
    elif docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as container:
            yield BrokerEndpoint(container.get_bootstrap_server(), "", "", "PLAINTEXT")
    else:
        broker = LocalKafka(home)
        try:
            yield broker.start()
        finally:
            broker.stop()


@contextmanager
def postgres_server(home: Path) -> Iterator[str]:
    """Yield an admin URL of a server on which tests may create databases."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
    elif docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="psycopg") as container:
            yield container.get_connection_url()
    else:
        cluster = LocalPostgres(home, durable=False)
        try:
            yield cluster.start()
        finally:
            cluster.destroy()


def create_database(admin_url: str, name: str) -> str:
    """Create an empty database next to ``admin_url``'s and return its URL."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
