"""The administrative units of ``deploy/config/areas.toml``, read once, strictly, for every part.

The dashboard names places from it, the simulator draws its communes, the vocabulary takes the
area codes, reports and the supervisors' views name areas: each reads the file here, so a unit
with a misspelt key or a number where a code belongs is refused naming file, table and key.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from services.runtime import tomlfile

AREAS_FILE = "areas.toml"
LEVELS = ("province", "district", "commune")


@with_config(tomlfile.STRICT)
class ProvinceTable(TypedDict):
    code: str
    name: str
    valid_from: NotRequired[date]
    valid_to: NotRequired[date]
    successor: NotRequired[str]  # the province that took it over


@with_config(tomlfile.STRICT)
class DistrictTable(TypedDict):
    code: str
    name: str
    kind: NotRequired[str]  # city, town, district
    province: str
    valid_from: NotRequired[date]
    valid_to: NotRequired[date]


@with_config(tomlfile.STRICT)
class CommuneTable(TypedDict):
    code: str
    name: str
    district: NotRequired[str]  # absent for a commune made in 2025, directly in its province
    province: NotRequired[str]
    valid_from: NotRequired[date]
    valid_to: NotRequired[date]
    sample: NotRequired[bool]


@with_config(tomlfile.STRICT)
class AreasFile(TypedDict, total=False):
    province: list[ProvinceTable]
    district: list[DistrictTable]
    commune: list[CommuneTable]


def load_areas(config_dir: Path) -> AreasFile:
    """``areas.toml`` of ``config_dir``, checked against its shape."""
    return tomlfile.read(config_dir / AREAS_FILE, AreasFile)


def area_names(areas: AreasFile) -> dict[str, str]:
    """Code to name of every province, district and commune."""
    units: list[ProvinceTable | DistrictTable | CommuneTable] = [
        *areas.get("province", []),
        *areas.get("district", []),
        *areas.get("commune", []),
    ]
    return {unit["code"]: unit["name"] for unit in units}
