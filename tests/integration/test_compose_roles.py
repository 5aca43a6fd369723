"""docker-compose.yml's PostgreSQL init script, run as the postgres image runs it (psql as the
superuser named in POSTGRES_USER, passwords in the environment) on a throw-away local cluster:
the backbone's role owns its database and is no superuser; the reader cannot write."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from deploy.postgres.launcher import LocalPostgres
from deploy.postgres.roles import OWNER_ROLE, READER_ROLE

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "compose-roles.sh"

pytestmark = pytest.mark.integration


def _dsn(url: sa.URL, user: str, password: str, database: str) -> str:
    return psycopg.conninfo.make_conninfo(
        host=url.host, port=url.port, user=user, password=password, dbname=database
    )


def test_the_roles_script_makes_a_non_superuser_owner_and_a_reader(tmp_path: Path) -> None:
    cluster = LocalPostgres(tmp_path / "pg", durable=False)
    try:
        cluster.start()
        admin = sa.make_url(cluster.admin_url())
        admin_dsn = _dsn(admin, str(admin.username), str(admin.password), "postgres")
        with psycopg.connect(admin_dsn, autocommit=True) as conn:  # an empty cluster, as in compose
            conn.execute("DROP DATABASE backbone")
            conn.execute(f"DROP ROLE {OWNER_ROLE}")
            conn.execute(f"DROP ROLE {READER_ROLE}")
        env = {
            **os.environ,
            "POSTGRES_USER": str(admin.username),
            "PGHOST": str(admin.host),
            "PGPORT": str(admin.port),
            "PGPASSWORD": str(admin.password),
            "POSTGRES_APP_PASSWORD": "app secret 'quoted'",
            "POSTGRES_READER_PASSWORD": "reader secret",
        }
        done = subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

        owner = _dsn(admin, OWNER_ROLE, "app secret 'quoted'", "backbone")
        with psycopg.connect(owner, autocommit=True) as conn:
            row = conn.execute(
                "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles"
                " WHERE rolname = current_user"
            ).fetchone()
            assert row == (False, False, False, False)
            owns = conn.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'backbone'"
            ).fetchone()
            assert owns == (OWNER_ROLE,)
            conn.execute("CREATE TABLE cases (id int)")
            conn.execute(f"GRANT SELECT ON cases TO {READER_ROLE}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("COPY cases FROM PROGRAM 'true'")
        with psycopg.connect(_dsn(admin, READER_ROLE, "reader secret", "backbone")) as conn:
            assert conn.execute("SELECT count(*) FROM cases").fetchone() == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("CREATE TABLE mine (id int)")
    finally:
        cluster.destroy()
