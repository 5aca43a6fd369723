"""The stalled board in an 80-column terminal: what a supervisor must copy stays whole."""

from __future__ import annotations

import re
import uuid

from rich.console import Console

from projections.queries import StalledCase
from projections.stalled import status_as_of
from services.commands.boardview import stalled_table
from services.runtime.i18n import translator
from tests.unit.projections.builders import T0, Story, local
from tests.unit.projections.test_unconfirmed_flag import NAMES

LONGEST = ("peoples-committee-ninh-thuan", "peoples-committee-khanh-hoa")


def _board(width: int, lang: str) -> list[str]:
    state = Story().add("CaseReported", T0).state()
    at = local(2026, 3, 20)
    status = status_as_of(state.obligations, at)
    who = tuple(LONGEST[i % 2] for i in range(len(status.overdue)))
    area = {"province_code": "58"}
    case = StalledCase(str(uuid.uuid4()), status.level, area, status.overdue, who)
    out = Console(width=width, record=True, color_system=None)
    out.print(stalled_table([case, case], at, translator(lang, "Asia/Ho_Chi_Minh"), NAMES))
    return out.export_text().splitlines()


def test_at_80_columns_case_ids_and_the_longest_agency_ids_stay_whole_on_one_line() -> None:
    for lang in ("en", "vi"):
        lines = _board(80, lang)
        text = "\n".join(lines)
        assert max(len(line) for line in lines) <= 80, text
        for agency_id in LONGEST:
            assert f"({agency_id})" in text, text
        ids = re.findall(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", text)
        assert len(ids) == 2, text
        assert "(UTC+07:00)" in text


def test_the_board_names_agencies_in_the_reader_s_language() -> None:
    vietnamese, english = "\n".join(_board(80, "vi")), "\n".join(_board(80, "en"))
    assert "Ủy ban nhân dân tỉnh Khánh Hòa" in vietnamese and "People's Committee" not in vietnamese
    assert "People's Committee of Khánh" in english
