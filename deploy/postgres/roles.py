"""Least privilege in PostgreSQL: who may do what in the backbone's databases.

- the *admin* (the cluster's superuser) only creates roles and databases;
- the *owner* role (``backbone_app``) owns the backbone's database and every table in it and is
  what every backbone process connects as: no superuser, no ``CREATEDB``/``CREATEROLE``, so no
  ``COPY ... FROM PROGRAM`` and no reading of server files;
- the *reader* role (``backbone_reader``) may connect and ``SELECT`` the read models only
  (granted by the projection when it creates them, :func:`grant_read`): for the dashboard and
  the reports. It cannot write anything, nor read the event store or the case keys.

Passwords travel to the server inside SQL literals over the connection, never on a command line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import psycopg
import sqlalchemy as sa
from psycopg import sql

OWNER_ROLE = "backbone_app"
READER_ROLE = "backbone_reader"
_LIMITS = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"


def provision(admin_dsn: str, database: str, passwords: Mapping[str, str]) -> None:
    """Make the owner and reader roles (or reset their passwords) and ``database`` owned by the
    owner, with nothing in it that the owner does not own. Idempotent; run at every start.

    ``admin_dsn``: a libpq connection string of a superuser on the cluster's ``postgres`` database.
    ``passwords``: the passwords of :data:`OWNER_ROLE` and :data:`READER_ROLE`.
    """
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for role in (OWNER_ROLE, READER_ROLE):
            _ensure_role(conn, role, passwords[role])
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if exists.fetchone():
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(database), sql.Identifier(OWNER_ROLE)
                )
            )
        else:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(database), sql.Identifier(OWNER_ROLE)
                )
            )
    inside = psycopg.conninfo.make_conninfo(admin_dsn, dbname=database)
    with psycopg.connect(inside, autocommit=True) as conn:
        _hand_over(conn, database)


def _ensure_role(conn: psycopg.Connection[tuple[object, ...]], role: str, password: str) -> None:
    found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    verb = "ALTER" if found else "CREATE"
    conn.execute(
        sql.SQL(verb + " ROLE {} " + _LIMITS + " PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(password)
        )
    )


def _hand_over(conn: psycopg.Connection[tuple[object, ...]], database: str) -> None:
    """Give the owner every table an earlier version made as superuser; shut others out."""
    owner, reader = sql.Identifier(OWNER_ROLE), sql.Identifier(READER_ROLE)
    conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(owner))
    conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(reader))
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
    conn.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), reader)
    )
    kinds = {"r": "TABLE", "p": "TABLE", "S": "SEQUENCE", "v": "VIEW", "m": "MATERIALIZED VIEW"}
    others = conn.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = ANY(%s)"
        " AND pg_get_userbyid(c.relowner) <> %s",
        (list(kinds), OWNER_ROLE),
    ).fetchall()
    for name, kind in others:
        conn.execute(
            sql.SQL("ALTER " + kinds[str(kind)] + " {} OWNER TO {}").format(
                sql.Identifier(str(name)), owner
            )
        )


def grant_read(engine: sa.Engine, tables: Iterable[sa.Table]) -> None:
    """Let the reader role ``SELECT`` ``tables`` (PostgreSQL with that role only; else nothing)."""
    if engine.dialect.name != "postgresql":
        return
    quote = engine.dialect.identifier_preparer
    role = {"r": READER_ROLE}
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), role).first() is None:
            return
        # Processes starting together would update the same catalogue rows at once ("tuple
        # concurrently updated"): one grants at a time, and only what is still missing.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('backbone.grant_read'))"))
        for table in tables:
            target = quote.format_table(table)
            held = conn.execute(
                sa.text("SELECT has_table_privilege(:r, :t, 'SELECT')"), role | {"t": target}
            ).scalar_one()
            if not held:
                conn.execute(sa.text(f"GRANT SELECT ON {target} TO {quote.quote(READER_ROLE)}"))
