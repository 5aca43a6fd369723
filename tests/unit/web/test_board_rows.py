"""The board reads plain values but shows exactly what ``stalled_cases`` finds, in its order."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from events.instants import from_millis
from projections.queries import Filters, by_case, overdue_now, stalled_cases
from projections.readmodel import ReadModel
from projections.responsible import load_responsibility
from projections.rows import obligation_row
from projections.stalled import DueTime, Obligation
from services.cases.agencies import load_agencies
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.web.board import PAGE_SIZE, SORTS, Board, BoardQuery, read_board

AT = datetime(2026, 3, 20, 3, 0, 0, 500, tzinfo=UTC)  # half a millisecond past a whole one
AREAS = [("58", "582", "22738"), ("58", "583", "22800"), ("58", "582", "")]


def obligation(rng: random.Random, case: int, n: int) -> Obligation:
    opened = AT - timedelta(days=rng.randint(1, 20))
    due = AT - timedelta(hours=rng.choice([-5, 1, 30, 200]), microseconds=rng.choice([0, 500]))
    due = due.replace(microsecond=due.microsecond // 1000 * 1000)  # stored to the millisecond
    known = opened + timedelta(hours=rng.choice([0, 1, 24 * 30]))  # some recorded after AT
    history = [DueTime(opened, due - timedelta(days=2), known)]
    if rng.random() < 0.5:  # an extension, sometimes recorded only after AT
        history.append(DueTime(opened, due, AT + timedelta(hours=rng.choice([-3, 3]))))
    else:
        history[0] = DueTime(opened, due, known)
    return Obligation(
        case_id=f"case-{case:03d}",
        rule_id=rng.choice(["police_verification", "legal_aid_assigned", "court_hearing"]),
        key=str(n),
        opened_seq=n,
        opened_at=opened,
        due_at=history[-1].due_at,
        responsible_role="commune",
        responsible_agency=rng.choice([None, "police-582", "court-58"]),
        citation="Law on Children 2016 art. 99",
        due_history=tuple(history),
        counted_from=rng.choice([None, opened - timedelta(days=3)]),
    )


# Who the directory says must act: a role alone, an agency of Ninh Thuận (ended 30 June 2025),
# an agency still in office.
NAMED = [("receiving_point", None), ("police_investigation_agency", "police-ninh-thuan"),
         ("referral_recipient", "court-khanh-hoa"), ("commune", "police-582")]  # fmt: skip
RESPONSIBILITY = load_responsibility(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))


def fill(db: sa.Engine, model: ReadModel, named: bool = False) -> None:
    """Sixty cases of 1-4 obligations; ``named``: each names a role and agency of ``NAMED``."""
    rng = random.Random(7)
    with db.begin() as conn:
        for case in range(60):
            province, district, commune = AREAS[case % 3]
            conn.execute(model.cases.insert().values(
                case_id=f"case-{case:03d}", last_sequence=1, context="{}", is_open=True,
                province_code=province, district_code=district, commune_code=commune,
            ))  # fmt: skip
            for n in range(rng.randint(1, 4)):
                ob = obligation(rng, case, n)
                if named:
                    role, agency = NAMED[(case + n) % len(NAMED)]
                    ob = dataclasses.replace(ob, responsible_role=role, responsible_agency=agency)
                row = obligation_row(ob) | {"reported_level": 0}
                conn.execute(model.obligations.insert().values(**row))


def reference(conn: sa.Connection, model: ReadModel, scope: str) -> list[tuple[object, ...]]:
    found = stalled_cases(conn, model, AT, filters=Filters(area=scope or None))
    return [
        (
            case.case_id,
            s.obligation.rule_id,
            s.due_at,
            s.level,
            s.obligation.responsible_agency or "",
        )
        for case in found
        for s in case.overdue
    ]


def test_every_page_in_every_sort_shows_what_stalled_cases_finds(tmp_path: Path) -> None:
    db, model = sa.create_engine(f"sqlite:///{tmp_path / 'read.db'}"), ReadModel()
    model.create(db)
    fill(db, model)
    with db.connect() as conn:
        for scope in ("", "582", "22800"):
            expected = reference(conn, model, scope)
            assert {r[3] for r in expected} == {1, 2}, "the data must give both levels"
            for sort in SORTS:
                shown, page = [], 1
                while True:
                    board = read_board(conn, model, AT, scope, BoardQuery(sort=sort, page=page))
                    shown += [
                        (r.case_id, r.rule_id, r.due_at, r.level, r.responsible_agency)
                        for r in board.rows
                    ]
                    if page >= board.pages:
                        break
                    page += 1
                key = {"late": lambda r: (r[2], r[0], r[1]), "level": lambda r: (-r[3], r[2], r[0]),
                       "case": lambda r: (r[0], r[1])}  # fmt: skip
                if sort in key:
                    assert shown == sorted(expected, key=key[sort])
                else:
                    assert sorted(map(str, shown)) == sorted(map(str, expected))
                assert board.total == len(expected) and len(board.rows) <= PAGE_SIZE
                assert board.cases == len({r[0] for r in expected})


def every_row(conn: sa.Connection, model: ReadModel, scope: str, query: BoardQuery) -> Board:
    """The board of ``query`` with the rows of every page (the last page's other figures)."""
    rows, page = [], 1
    while True:
        board = read_board(conn, model, AT, scope, dataclasses.replace(query, page=page),
                           RESPONSIBILITY)  # fmt: skip
        rows += board.rows
        if page >= board.pages:
            return dataclasses.replace(board, rows=rows)
        page += 1


def test_the_board_names_the_agency_that_must_act_on_the_day_as_stalled_cases_does(
    tmp_path: Path,
) -> None:
    db, model = sa.create_engine(f"sqlite:///{tmp_path / 'read.db'}"), ReadModel()
    model.create(db)
    fill(db, model, named=True)
    with db.connect() as conn:
        for scope in ("", "582", "22738"):
            found = stalled_cases(conn, model, AT, filters=Filters(area=scope or None),
                                  responsibility=RESPONSIBILITY)  # fmt: skip
            expected = sorted(
                (case.case_id, s.obligation.rule_id, s.due_at, who or "")
                for case in found
                for s, who in zip(case.overdue, case.responsible, strict=True)
            )
            board = every_row(conn, model, scope, BoardQuery(sort="case"))
            assert sorted((r.case_id, r.rule_id, r.due_at, r.responsible_agency)
                          for r in board.rows) == expected  # fmt: skip
            assert board.agencies == sorted({r[3] for r in expected if r[3]})
            for agency in board.agencies:  # the filter finds what stalled_cases' filter finds
                narrowed = stalled_cases(
                    conn,
                    model,
                    AT,
                    filters=Filters(agency=agency, area=scope or None),
                    responsibility=RESPONSIBILITY,
                )
                only = every_row(conn, model, scope, BoardQuery(agency=agency, sort="case"))
                assert {r.responsible_agency for r in only.rows} == {agency}
                assert sorted((r.case_id, r.rule_id, r.due_at) for r in only.rows) == sorted(
                    (c.case_id, s.obligation.rule_id, s.due_at) for c in narrowed for s in c.overdue
                )

        board = every_row(conn, model, "22738", BoardQuery(sort="case"))
        by_role = {r.responsible_role: r.responsible_agency for r in board.rows}
        # Phủ Hà's People's Committee ended with Ninh Thuận; Khánh Hòa's ward took its cases.
        assert by_role["receiving_point"] == "commune-22921"
        assert by_role["police_investigation_agency"] == "police-khanh-hoa"
        assert by_role["referral_recipient"] == "court-khanh-hoa"
        assert "police-ninh-thuan" not in board.agencies and "" not in board.agencies
        successor = every_row(conn, model, "", BoardQuery(agency="police-khanh-hoa"))
        old = every_row(conn, model, "", BoardQuery(agency="police-ninh-thuan"))
        assert successor.total > 0 and old.agency == successor.agency == "police-khanh-hoa"
        assert old.rows == successor.rows
        assert {r.responsible_role for r in successor.rows} == {"police_investigation_agency"}


def test_overdue_by_case_is_stalled_cases_answer_case_for_case(tmp_path: Path) -> None:
    """The agency API's stalled list is built from these plain values: the same cases in the
    same order, each with the same obligations, due times, levels, area and citation."""
    db, model = sa.create_engine(f"sqlite:///{tmp_path / 'read.db'}"), ReadModel()
    model.create(db)
    fill(db, model)
    with db.connect() as conn:
        for scope in ("", "582", "22800"):
            expected = [
                (case.case_id, case.level, case.area, [
                    (s.obligation.rule_id, s.obligation.key, s.due_at, s.level,
                     s.obligation.responsible_agency, s.obligation.citation)
                    for s in case.overdue
                ])
                for case in stalled_cases(conn, model, AT, filters=Filters(area=scope or None))
            ]  # fmt: skip
            found = [
                (items[0].case_id, items[0].level, items[0].area, [
                    (o.rule_id, o.key, from_millis(o.due_ms), o.level, o.responsible_agency,
                     o.citation)
                    for o in items
                ])
                for items in by_case(overdue_now(conn, model, AT, scope or None))
            ]  # fmt: skip
            assert len(expected) > 10 and found == expected
