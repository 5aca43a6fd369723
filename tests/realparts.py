"""Where the tests get their real Kafka broker and PostgreSQL server from.

In order: the environment (``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL``), testcontainers when
a Docker engine answers, else the project's own launchers in ``deploy/``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from deploy.kafka.launcher import BrokerEndpoint, LocalKafka
from deploy.postgres.launcher import LocalPostgres
from deploy.postgres.roles import OWNER_ROLE, READER_ROLE, provision

# The backbone's roles on the test server, with passwords of this test session.
ROLE_PASSWORDS = {role: secrets.token_urlsafe(18) for role in (OWNER_ROLE, READER_ROLE)}


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
    """Yield a superuser's URL of a server on which tests may create databases."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
    elif docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="psycopg") as container:
            yield container.get_connection_url()
    else:
        cluster = LocalPostgres(home, durable=False)
        try:
            cluster.start()
            yield cluster.admin_url()
        finally:
            cluster.destroy()


def create_database(admin_url: str, name: str) -> str:
    """Create an empty database next to ``admin_url``'s, owned by the backbone's owner role
    (not a superuser), and return the owner's URL: what the backbone's processes use."""
    admin = sa.make_url(admin_url)
    dsn = admin.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    provision(dsn, name, ROLE_PASSWORDS)
    return _as_role(admin.set(database=name), OWNER_ROLE)


def reader_url_of(url: str) -> str:
    """The read-only role's URL of the same database (dashboard, reports)."""
    return _as_role(sa.make_url(url), READER_ROLE)


def _as_role(url: sa.URL, role: str) -> str:
    with_role = url.set(username=role, password=ROLE_PASSWORDS[role])
    return with_role.render_as_string(hide_password=False)
