"""Area and agency names for people, from ``areas.toml`` and ``agencies.toml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import with_config
from typing_extensions import TypedDict

from services.cases.agencies import AgencyDirectory
from services.runtime import tomlfile
from services.runtime.areas import load_areas

LEVELS = ("province", "district", "commune")


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str  # province | district | commune
    parent: str  # code of the unit above ("" for a province)


class Places:
    """Names of administrative units and agencies."""

    def __init__(
        self,
        places: Mapping[str, Place],
        agencies: AgencyDirectory,
        citations: Mapping[str, str] | None = None,
    ) -> None:
        self._places = dict(places)
        self.agencies = agencies
        self._citations_vi = dict(citations or {})  # English citation -> Vietnamese

    def citation(self, text: str, lang: str = "en") -> str:
        """A legal basis in ``lang``; as written (English) when ``citations.toml`` lacks it."""
        return self._citations_vi.get(text, text) if lang == "vi" else text

    def name(self, code: str) -> str:
        place = self._places.get(code)
        return place.name if place else code

    def label(self, area: Mapping[str, str]) -> str:
        """A case's area as people name it: commune, district (most precise first)."""
        codes = [area.get(f"{level}_code", "") for level in ("commune", "district", "province")]
        names = [self.name(code) for code in codes if code]
        return ", ".join(names[:2])

    def districts(self) -> list[Place]:
        return sorted(
            (p for p in self._places.values() if p.level == "district"), key=lambda p: p.name
        )

    def within(self, scope: str) -> list[Place]:
        """Districts and communes inside ``scope`` (every one when empty), for the area filter."""
        found = [
            p
            for p in self._places.values()
            if p.level != "province" and (not scope or scope in (p.code, *self._parents(p)))
        ]
        return sorted(found, key=lambda p: (LEVELS.index(p.level), p.name))

    def agency_name(self, agency_id: str | None, lang: str = "en") -> str:
        if not agency_id:
            return ""
        agency = self.agencies.get(agency_id)
        return agency.name_in(lang) if agency else agency_id

    def _parents(self, place: Place) -> list[str]:
        chain: list[str] = []
        while place.parent:
            chain.append(place.parent)
            above = self._places.get(place.parent)
            if above is None:
                break
            place = above
        return chain


def load_places(config_dir: Path, agencies: AgencyDirectory) -> Places:
    areas = load_areas(config_dir)
    places = {
        p["code"]: Place(p["code"], p["name"], "province", "") for p in areas.get("province", [])
    }
    for d in areas.get("district", []):
        places[d["code"]] = Place(d["code"], d["name"], "district", d["province"])
    for c in areas.get("commune", []):
        places[c["code"]] = Place(c["code"], c["name"], "commune", c.get("district", ""))
    return Places(places, agencies, load_citations(config_dir))


def load_citations(config_dir: Path) -> dict[str, str]:
    """English citation to Vietnamese, from ``citations.toml`` (none when it is absent)."""
    path = config_dir / "citations.toml"
    if not path.exists():
        return {}
    rows = tomlfile.read(path, CitationsFile).get("citation", [])
    return {row["en"]: row["vi"] for row in rows}


@with_config(tomlfile.STRICT)
class CitationTable(TypedDict):
    en: str
    vi: str


@with_config(tomlfile.STRICT)
class CitationsFile(TypedDict, total=False):
    citation: list[CitationTable]
