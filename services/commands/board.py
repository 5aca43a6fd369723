"""The stalled board that ``backbone run`` keeps on the terminal while the backbone works.

On a terminal the board is redrawn in place (``rich.live``), sized to the window; elsewhere (a
pipe, a file) each refresh is printed below the last.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from types import TracebackType

import sqlalchemy as sa
from eventsourcing.persistence import OperationalError as StoreBusy
from rich.console import Group, RenderableType
from rich.live import Live
from rich.text import Text

from projections.queries import stalled_cases
from projections.readmodel import ReadModel
from projections.responsible import load_responsibility
from services.cases.agencies import load_agencies
from services.commands.boardview import stalled_table
from services.commands.common import people
from services.commands.projections import console
from services.reporting.application import ReportingService
from services.reports.dutyboard import duties_table, reporting_duties
from services.runtime.database import read_model_db
from services.runtime.logs import get_logger
from services.runtime.settings import Settings

# Lines above the board's rows (counts, title, header) and per case (id row, ~2 obligations).
BOARD_CHROME = 6
LINES_PER_CASE = 3
log = get_logger(__name__)


class BoardScreen:
    """How many cases are open and stalled, and the most overdue ones, kept up to date."""

    def __init__(self, settings: Settings, args: argparse.Namespace) -> None:
        self.settings = settings
        self.t = people(args, settings)
        self.names = load_responsibility(settings.config_dir, load_agencies(settings.config_dir))
        self.console = console()
        self.live: Live | None = None
        self.sendings: ReportingService | None = None

    def __enter__(self) -> BoardScreen:
        if self.console.is_terminal:
            self.live = Live(
                Text("Waiting for the first board..."),
                console=self.console,
                auto_refresh=False,
                vertical_overflow="crop",
            )
            self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.live is not None:
            self.live.stop()
        if self.sendings is not None:
            self.sendings.close()

    def _sendings(self) -> ReportingService:
        """The reports' sendings, opened at the first board and kept for the next ones."""
        if self.sendings is None:
            self.sendings = ReportingService.from_settings(self.settings)
        return self.sendings

    def refresh(self) -> None:
        board = self.render()
        if board is None:
            return
        if self.live is not None:
            self.live.update(board, refresh=True)
        else:
            self.console.print(board)

    def render(self) -> RenderableType | None:
        """The board now; None when the read model is busy (the next refresh shows it)."""
        rows = max(1, (self.console.height - BOARD_CHROME) // LINES_PER_CASE)
        db = read_model_db(self.settings)
        now = datetime.now(UTC)
        try:
            model = ReadModel().create(db)
            with db.connect() as conn:
                open_cases = conn.execute(
                    sa.select(sa.func.count()).select_from(model.cases).where(model.cases.c.is_open)
                ).scalar_one()
                found = stalled_cases(conn, model, now, responsibility=self.names)
        except sa.exc.OperationalError as error:  # the projection may hold a write lock
            log.info("board.skipped", error=type(error).__name__)
            return None
        finally:
            db.dispose()
        counts = self.t.gettext("{open} open cases, {stalled} stalled").format(
            open=open_cases, stalled=len(found)
        )
        parts: list[RenderableType] = [
            Text(counts, style="bold"),
            stalled_table(found, now, self.t, self.names, limit=rows),
        ]
        try:
            duties = reporting_duties(self.settings, now, self._sendings())
        except (sa.exc.OperationalError, StoreBusy) as error:  # the intake may hold the store
            log.info("board.duties_skipped", error=type(error).__name__)
            duties = []
        if duties:
            parts.append(duties_table(duties, self.t))
        return Group(*parts)
