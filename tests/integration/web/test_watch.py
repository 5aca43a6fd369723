"""The live board's cheap mark moves exactly when a board could have changed."""

from __future__ import annotations

from collections.abc import Callable

from projections.readmodel import ReadModel
from services.runtime.database import read_model_db
from services.runtime.settings import Settings
from services.web.watch import read_mark
from tests.integration.projections.builders import DAY, HOUR, T0, CaseStory, FakeClock, Offsets
from tests.integration.projections.builders import projector as make_projector


def test_the_mark_moves_when_a_due_time_passes_an_escalation_comes_or_events_arrive(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    db, model = read_model_db(settings), ReadModel()
    story = CaseStory().add("CaseReported", T0)
    proj = make_projector(settings, db, FakeClock(T0))
    offsets = Offsets()
    proj.handle(offsets.sources(story.messages))
    with db.connect() as conn:
        fresh = read_mark(conn, model, T0 + HOUR)
        assert fresh[1:] == (0, 0)  # nothing due yet
        overdue = read_mark(conn, model, T0 + 25 * HOUR)  # the 24-hour transfer is late
        assert overdue[0] == fresh[0] and overdue[1:] == (1, 0)
        escalated = read_mark(conn, model, T0 + 49 * HOUR)  # late by its whole allowed time
        assert escalated[1:] == (1, 1)
    story.add("TransferredToCommune", T0 + 2 * DAY + HOUR)
    proj.handle(offsets.sources(story.messages[1:]))
    with db.connect() as conn:
        recovered = read_mark(conn, model, T0 + 49 * HOUR)
    assert recovered[0] > fresh[0]  # an event was projected: boards are read again
