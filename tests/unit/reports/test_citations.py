"""Every indicator and reporting duty cites its source inside the repository: ``cited_in``
names a heading of a page under docs/ whose table row holds the code, name and source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deploy.config import __file__ as config_init
from projections.statistics.catalogue import load_catalogue
from projections.statistics.duties import load_reporting

ROOT = Path(config_init).resolve().parents[2]
CATALOGUE = load_catalogue()
DUTIES = load_reporting(Path(config_init).parent).duties
CITED = [(i.code, i.name_vi, i.source, i.cited_in) for i in CATALOGUE.indicators.values()] + [
    (d.id, d.name_vi, d.source, d.cited_in) for d in DUTIES
]


def anchor(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading (lower case, spaces to hyphens)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def section(cited_in: str) -> str:
    page, _, fragment = cited_in.partition("#")
    assert page.startswith("docs/") and fragment, cited_in
    text = (ROOT / page).read_text(encoding="utf-8")
    parts = re.split(r"(?m)^#+ (.+)$", text)
    bodies = {anchor(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}
    assert fragment in bodies, f"{cited_in}: no such heading"
    return bodies[fragment]


@pytest.mark.parametrize(("code", "name", "source", "cited_in"), CITED, ids=[c[0] for c in CITED])
def test_each_source_is_written_in_the_docs_heading_it_names(
    code: str, name: str, source: str, cited_in: str
) -> None:
    rows = [row for row in section(cited_in).splitlines() if row.startswith(f"| {code} |")]
    assert len(rows) == 1, f"{code}: no row in {cited_in}"
    assert f"| {name} |" in rows[0] and f"| {source} |" in rows[0]


def test_no_source_points_outside_the_repository() -> None:
    for _, _, source, cited_in in CITED:
        assert "/work/" not in source + cited_in and "http" not in cited_in
