"""The indicator catalogue (``indicators.toml``): what each report figure is and where it comes
from. A deployment overrides the shipped file with an ``indicators.toml`` in its config
directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from services.runtime import tomlfile

SHIPPED = Path(__file__).resolve().parent / "indicators.toml"
CATALOGUE = "indicators.toml"


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    definition_vi: str
    definition_en: str
    breakdowns: tuple[str, ...]
    source: str
    unconfirmed: bool
    cited_in: str = ""  # docs/PAGE.md#heading recording what was read of the source

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en

    def definition(self, lang: str) -> str:
        return self.definition_vi if lang == "vi" else self.definition_en


@dataclass(frozen=True)
class Catalogue:
    indicators: dict[str, Indicator]
    steps: tuple[str, ...]
    labels: dict[str, str]

    def __getitem__(self, code: str) -> Indicator:
        return self.indicators[code]

    def label(self, code: str) -> str:
        """The English label of a vocabulary code (the code itself when it has none)."""
        return self.labels.get(code, code)


@with_config(tomlfile.STRICT)
class IndicatorTable(TypedDict):
    code: str
    name_vi: str
    name_en: str
    definition_vi: str
    definition_en: str
    breakdowns: NotRequired[list[str]]
    source: str
    unconfirmed: bool
    cited_in: NotRequired[str]


@with_config(tomlfile.STRICT)
class StepOrderTable(TypedDict, total=False):
    order: list[str]  # the lifecycle steps in the order reports list them


@with_config(tomlfile.STRICT)
class CatalogueFile(TypedDict):
    indicator: list[IndicatorTable]
    steps: NotRequired[StepOrderTable]
    labels: NotRequired[dict[str, str]]  # vocabulary code -> English label


def load_catalogue(config_dir: Path | None = None) -> Catalogue:
    """The deployment's catalogue if it has one, else the shipped one."""
    path = SHIPPED
    if config_dir is not None and (config_dir / CATALOGUE).exists():
        path = config_dir / CATALOGUE
    data = tomlfile.read(path, CatalogueFile)
    indicators = {item["code"]: _indicator(item) for item in data["indicator"]}
    steps = tuple(data.get("steps", {}).get("order", ()))
    return Catalogue(indicators, steps, dict(data.get("labels", {})))


def _indicator(item: IndicatorTable) -> Indicator:
    return Indicator(
        code=item["code"],
        name_vi=item["name_vi"],
        name_en=item["name_en"],
        definition_vi=item["definition_vi"],
        definition_en=item["definition_en"],
        breakdowns=tuple(item.get("breakdowns", ())),
        source=item["source"],
        unconfirmed=item["unconfirmed"],
        cited_in=item.get("cited_in", ""),
    )
