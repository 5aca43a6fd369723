"""Replacing the live read model with a rebuild keeps alert ids from being reused."""

from __future__ import annotations

import sqlalchemy as sa

from projections.readmodel import REBUILD_PREFIX, ReadModel
from projections.rebuild import replace_live


def _case(stall_count: int) -> dict[str, object]:
    return {"case_id": "c1", "last_sequence": 4, "context": "{}", "province_code": "58",
            "district_code": "582", "commune_code": "22738", "is_open": True,
            "stalled": False, "level": 0, "stall_count": stall_count}  # fmt: skip


def test_replacing_keeps_the_live_stall_counter_that_numbers_alerts(database_url: str) -> None:
    db = sa.create_engine(database_url)
    live, rebuilt = ReadModel().create(db), ReadModel(REBUILD_PREFIX).create(db)
    with db.begin() as conn:
        conn.execute(live.cases.insert(), [_case(stall_count=3)])
        conn.execute(rebuilt.cases.insert(), [_case(stall_count=1)])

    replace_live(db, live, rebuilt)

    with db.connect() as conn:
        rows = conn.execute(sa.select(live.cases.c.case_id, live.cases.c.stall_count)).all()
    db.dispose()
    assert [tuple(r) for r in rows] == [("c1", 3)]
