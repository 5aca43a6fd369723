"""The stalled board that ``backbone run`` prints while the backbone works."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from projections.queries import stalled_cases
from projections.readmodel import ReadModel
from projections.wiring import read_model_db
from services.commands.projections import console, stalled_table
from services.logs import get_logger
from services.reports.board import duties_table, english, reporting_duties
from services.settings import Settings

BOARD_ROWS = 12
log = get_logger(__name__)


def show_board(settings: Settings) -> None:
    """Print how many cases are open and stalled, and the most overdue ones."""
    db = read_model_db(settings)
    now = datetime.now(UTC)
    try:
        with db.connect() as conn:
            model = ReadModel().create(db)
            open_cases = conn.execute(
                sa.select(sa.func.count()).select_from(model.cases).where(model.cases.c.is_open)
            ).scalar_one()
            found = stalled_cases(conn, model, now)
    except sa.exc.OperationalError as error:  # the projection may hold a write lock: next time
        log.info("board.skipped", error=type(error).__name__)
        return
    finally:
        db.dispose()
    out = console()
    out.print(f"\n[bold]{open_cases}[/] open cases, [bold red]{len(found)}[/] stalled")
    out.print(stalled_table(found, now, limit=BOARD_ROWS))
    if duties := reporting_duties(settings, now):
        out.print(duties_table(duties, english(settings)))
