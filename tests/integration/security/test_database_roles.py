"""The backbone's processes and its read-only surfaces hold only the rights they need."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from projections.readmodel import ReadModel
from services.cases.application import CaseService
from services.runtime.settings import Settings
from tests.integration.security.conftest import FirstStart

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def owner(first_start: FirstStart) -> Iterator[sa.Engine]:
    """The processes' engine, with the read models and the event store created through it."""
    engine = sa.create_engine(first_start.postgres.url())
    ReadModel().create(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def reader(first_start: FirstStart, owner: sa.Engine) -> Iterator[sa.Engine]:
    engine = sa.create_engine(first_start.postgres.reader_url())
    yield engine
    engine.dispose()


def refused(engine: sa.Engine, statement: str) -> bool:
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    except sa.exc.ProgrammingError as exc:
        return "permission denied" in str(exc) or "must be superuser" in str(exc)
    return False


def test_the_processes_role_is_no_superuser_and_owns_its_tables(owner: sa.Engine) -> None:
    with owner.connect() as conn:
        role = conn.execute(
            sa.text(
                "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                "WHERE rolname = current_user"
            )
        ).one()
        owners = conn.execute(
            sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        assert tuple(role) == (False, False, False)
        assert set(owners) == {"backbone_app"}


def test_the_processes_role_cannot_run_a_shell_command(owner: sa.Engine) -> None:
    assert refused(owner, "COPY stalled_cases (case_id) FROM PROGRAM 'id'")
    assert refused(owner, "SELECT pg_read_file('/etc/passwd')")


def test_the_reader_reads_the_read_models(reader: sa.Engine) -> None:
    with reader.connect() as conn:
        for table in ("stalled_cases", "stalled_obligations", "timeline_steps"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


def test_the_reader_cannot_write_create_or_read_the_rest(
    reader: sa.Engine, first_start: FirstStart, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("store")
    settings = Settings(home=home, database_url=first_start.postgres.url())
    CaseService.from_settings(settings).close()  # the event store and the case keys
    with sa.create_engine(settings.database_url).connect() as conn:
        store_tables = set(
            conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            ).scalars()
        ) - {table.name for table in ReadModel().readable_tables}
    assert store_tables, "the event store made no table"
    assert refused(reader, "DELETE FROM stalled_cases")
    assert refused(reader, "UPDATE timeline_steps SET sequence = 0")
    assert refused(reader, "CREATE TABLE mine (a int)")
    for table in sorted(store_tables):
        assert refused(reader, f'SELECT * FROM "{table}"'), f"the reader read {table}"


def test_the_suites_databases_are_used_as_the_owner_and_read_as_the_reader(
    postgres_url: str, postgres_reader_url: str
) -> None:
    """The fixtures every other test uses hand out the same least-privilege roles."""
    owner = sa.create_engine(postgres_url)
    reader = sa.create_engine(postgres_reader_url)
    try:
        ReadModel().create(owner)
        with owner.connect() as conn:
            assert (
                conn.execute(
                    sa.text("SELECT usesuper FROM pg_user WHERE usename = current_user")
                ).scalar_one()
                is False
            )
        with reader.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM timeline_steps")).scalar_one() == 0
        assert refused(reader, "DELETE FROM timeline_steps")
        assert refused(owner, "COPY timeline_steps (case_id) FROM PROGRAM 'id'")
    finally:
        owner.dispose()
        reader.dispose()
