"""A rebuild while the live projection keeps reading compares both up to one fixed position.

The live model here reads past the rebuild's position (new steps arrive during the rebuild).
Compared whole, the two would differ for that reason alone; compared up to the fixed
position, the cases changed after it are left out and the rest agrees.
"""

from __future__ import annotations

import pytest

from projections.readmodel import REBUILD_PREFIX, ReadModel
from projections.rebuild import changed_since, compare, replay_to
from projections.wiring import build_feed
from services.runtime.settings import Settings
from tests.integration.projections.builders import DAY, HOUR, T0, CaseStory, FakeClock, projector
from tests.integration.projections.conftest import Projection, publish

pytestmark = pytest.mark.integration


def test_the_live_model_ahead_of_the_rebuild_is_compared_up_to_the_fixed_position(
    kafka_settings: Settings, projection: Projection
) -> None:
    early = [CaseStory().add("CaseReported", T0, commune_code=c) for c in ("22738", "22741")]
    publish(kafka_settings, early)
    projection.drain(2)

    rebuilding = projector(
        kafka_settings, projection.db, FakeClock(T0 + 3 * DAY), ReadModel(REBUILD_PREFIX)
    )
    messages, fixed = replay_to(rebuilding, build_feed(kafka_settings), 100)
    assert messages == 2

    # Meanwhile the live model reads one more step of a known case and a new case.
    early[0].add("TransferredToCommune", T0 + HOUR, commune_code="22738")
    publish(kafka_settings, [early[0]], start=1)
    late = CaseStory().add("CaseReported", T0 + HOUR, commune_code="22744")
    publish(kafka_settings, [late])
    projection.drain(4)
    live = ReadModel().create(projection.db)

    whole = compare(projection.db, live, rebuilding.model, T0 + 3 * DAY)
    assert not whole.equal  # the spurious difference a whole comparison would report

    left_out = changed_since(projection.db, live, build_feed(kafka_settings), fixed)
    assert left_out == {early[0].case_id, late.case_id}
    fixed_compare = compare(projection.db, live, rebuilding.model, T0 + 3 * DAY, left_out, fixed)
    assert fixed_compare.equal and fixed_compare.left_out == 2
