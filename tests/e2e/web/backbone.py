"""A backbone for the browser tests: settings on the session broker with the sample agencies,
topics and users provisioned, and a wait until what a test reported reached the read model."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from deploy.kafka.launcher import BrokerEndpoint
from projections.readmodel import ReadModel
from services.kafka.provision import provision
from services.runtime.database import read_model_db
from services.runtime.settings import Settings, load_settings
from services.web.users import UserBook
from tests.integration.kafka.conftest import AGENCIES, small_config
from tests.integration.web.conftest import add_users
from tests.kafkatools import broker_overrides, poll_until

PROCESSES = (("intake",), ("relay",), ("projections", "run"))


def provisioned(
    root: Path, endpoint: BrokerEndpoint, prefix: str, offices: tuple[str, ...], **overrides: object
) -> tuple[Settings, UserBook]:
    """Settings under ``root`` on fresh topics named after ``prefix``, the sample agencies and
    ``offices`` provisioned, and the book of the sample users (to add more)."""
    settings = load_settings(
        home=root / "home",
        config_dir=small_config(root / "config", (*AGENCIES, *offices)),
        topic_prefix=f"{prefix}{uuid.uuid4().hex[:10]}",
        master_key_file=root / "master.key",
        **broker_overrides(endpoint),
        topic_partitions=2,
        poll_interval_ms=100,
        **overrides,
    )
    provision(settings)
    return settings, add_users(settings.effective_users_file)


def wait_projected(
    settings: Settings, query: Callable[[ReadModel], sa.Select[tuple[object]]], rows: int, what: str
) -> None:
    """Wait until ``query`` of the read model finds ``rows`` rows (the projection runs apart)."""
    db, model = read_model_db(settings), ReadModel()

    def projected() -> bool:
        try:
            with db.connect() as conn:
                return len(conn.execute(query(model)).all()) == rows
        except sa.exc.DatabaseError:
            return False  # the projection has not made its tables yet

    try:
        poll_until(projected, 240, what)
    finally:
        db.dispose()
