"""The one way a process opens the store's database: an SQLAlchemy engine per URL.

Every process (relay, intake, projections, web, API, audit, backup) opens its engines here, so
the choices that keep several processes on one database well-behaved are made once: on SQLite a
writer waits up to 30 s for another's lock instead of failing at once; on PostgreSQL a pooled
connection the server has dropped (a restart, an idle timeout) is replaced before use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from deploy.process import private_home

if TYPE_CHECKING:  # not imported at run time: a verification worker opens an engine here and
    # nothing else, and loading the settings' libraries cost it a third of its start.
    from services.runtime.settings import Settings

SQLITE_LOCK_WAIT_S = 30


def open_database(url: str | sa.URL, pool_size: int | None = None) -> sa.Engine:
    """An engine on ``url``; ``pool_size``: connections kept open on a server database."""
    driver = url.drivername if isinstance(url, sa.URL) else url.partition(":")[0]
    if driver.startswith("sqlite"):
        # No pre-ping: a file's connection is never dropped by a server, and a ping per
        # checkout would cost every batch of the relay and the projections a query.
        return sa.create_engine(url, connect_args={"timeout": SQLITE_LOCK_WAIT_S})
    sizing = {} if pool_size is None else {"pool_size": pool_size}
    return sa.create_engine(url, pool_pre_ping=True, **sizing)


def database_engine(settings: Settings) -> sa.Engine:
    """The store's database, where the processes keep their own small tables too."""
    return open_database(settings.effective_database_url)


def read_model_db(settings: Settings) -> sa.Engine:
    """The store's database, its embedded SQLite file's home created when missing (the read
    models are often the first thing a fresh home is asked for)."""
    if not settings.database_url:
        private_home(settings.home, settings.embedded_store)
    return database_engine(settings)


def reader_engine(settings: Settings) -> sa.Engine:
    """The read models' database as the dashboard reads it (``BACKBONE_WEB_DATABASE_URL``)."""
    url = settings.effective_web_database_url
    if url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
    return open_database(url, pool_size=5)
