"""Agencies and legal bases have Vietnamese names as data, shown per the user's language."""

from __future__ import annotations

import tomllib

from projections.policyfile import DEFAULT_POLICY_PATH
from services.cases.agencies import load_agencies
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.web.places import load_citations, load_places


def test_every_agency_has_its_vietnamese_name() -> None:
    directory = load_agencies(DEFAULT_CONFIG_DIR)
    missing = [a.id for a in directory.all() if not a.name_vi]
    assert not missing
    police = directory.get("police-khanh-hoa")
    assert police is not None and police.name_in("vi") == "Công an tỉnh Khánh Hòa"


def test_every_citation_of_the_policy_has_its_vietnamese_text() -> None:
    with DEFAULT_POLICY_PATH.open("rb") as file:
        cited = set(_citations(tomllib.load(file)))
    assert len(cited) > 20 and cited <= set(load_citations(DEFAULT_CONFIG_DIR))


def _citations(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [str(node["citation"])] if "citation" in node else []
        return own + [c for value in node.values() for c in _citations(value)]
    if isinstance(node, list):
        return [c for value in node for c in _citations(value)]
    return []


def test_a_citation_is_shown_in_the_users_language_and_unknown_text_as_written() -> None:
    places = load_places(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))
    english = "Law on Children 2016 art. 52: plan approved by the commune chairman"
    assert places.citation(english, "vi").startswith("Luật Trẻ em 2016, Điều 52")
    assert places.citation(english, "en") == english
    assert places.citation("A province's own rule", "vi") == "A province's own rule"
    assert places.agency_name("hotline-111", "vi").startswith("Tổng đài điện thoại quốc gia")
