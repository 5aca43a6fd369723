"""Which agencies receive a recorded step in their inbox: rules from ``routing.toml``.

Pure: given a step, its payload, its author and the case's participants, say who gets it and
whether the message may carry personal data.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from services.cases.agencies import AgencyDirectory
from services.runtime import tomlfile

ROUTING_FILE = "routing.toml"
REMEMBERED_OFFICES = 100_000  # (agency, day) answers kept; a year of 270 agencies


@dataclass(frozen=True)
class Route:
    steps: frozenset[str]
    roles: frozenset[str] = frozenset()
    area_field: str = ""
    addressee_field: str = ""
    personal_data: bool = False


class Delivery(NamedTuple):
    """One inbox message to send (a tuple: one or more for every event relayed)."""

    agency: str
    personal_data: bool


@dataclass(frozen=True)
class Router:
    routes: tuple[Route, ...]
    agencies: AgencyDirectory
    participants_see_all: bool = True
    # Who holds an agency's office on a day, and who has a role: asked for every event relayed,
    # answered from the directory once (the directory does not change while a process runs).
    _offices: dict[tuple[str, date], str | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _role_areas: dict[tuple[str, str | None], list[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def deliveries(
        self,
        step: str,
        payload: Mapping[str, Any],
        author: str,
        participants: Collection[str],
        on: date | None = None,
    ) -> list[Delivery]:
        """The inbox messages for one recorded step (never to its own author); agencies chosen
        by role are those that exist ``on`` the step's local day (after the 2025 merger, the
        Khánh Hòa ones), all of them when no day is given."""
        chosen: dict[str, bool] = {}
        if self.participants_see_all:
            chosen = dict.fromkeys(self._in_office(participants, on), False)
        for route in self.routes:
            if step in route.steps:
                for agency in self._recipients(route, payload, on):
                    chosen[agency] = chosen.get(agency, False) or self._may_read(route, agency)
        chosen.pop(author, None)
        return [Delivery(agency, pii) for agency, pii in sorted(chosen.items())]

    def _recipients(self, route: Route, payload: Mapping[str, Any], on: date | None) -> list[str]:
        found: list[str] = []
        if route.addressee_field and isinstance(payload.get(route.addressee_field), str):
            found.append(payload[route.addressee_field])
        area = payload.get(route.area_field) if route.area_field else None
        for role in route.roles:
            # An area whose agency ended (the 2025 merger) is served by its successor in office.
            found += self._in_office(self._of_role(role, route.area_field, area), on)
        return [agency for agency in found if self.agencies.get(agency) is not None]

    def _of_role(self, role: str, area_field: str, area: Any) -> list[str]:
        """The agencies of ``role``, those of ``area`` only when the route names an area field
        (a report is routed by its commune: the agencies of the role were filtered for every
        report, among hundreds of communes in a province). Remembered by role and area text."""
        if area_field and not isinstance(area, str):  # no area given: whatever equals it
            return [a.id for a in self.agencies.by_role(role) if a.area == area]
        key = (role, area if area_field else None)
        found = self._role_areas.get(key)
        if found is None:
            agencies = self.agencies.by_role(role)
            if area_field:
                agencies = [a for a in agencies if a.area == area]
            if len(self._role_areas) >= REMEMBERED_OFFICES:
                self._role_areas.clear()
            found = self._role_areas[key] = [a.id for a in agencies]
        return found

    def _in_office(self, agencies: Collection[str], on: date | None) -> list[str]:
        """The agencies, each ended one replaced by its successor in office ``on``."""
        if on is None:
            return list(agencies)
        found = (self._in_office_one(agency, on) for agency in agencies)
        return [agency for agency in found if agency is not None]

    def _in_office_one(self, agency_id: str, on: date) -> str | None:
        key = (agency_id, on)
        if key not in self._offices:
            if len(self._offices) >= REMEMBERED_OFFICES:
                self._offices.clear()
            holder = self.agencies.in_office(agency_id, on)
            self._offices[key] = holder.id if holder is not None else None
        return self._offices[key]

    def _may_read(self, route: Route, agency_id: str) -> bool:
        agency = self.agencies.get(agency_id)
        return route.personal_data and agency is not None and agency.reads_personal_data


@with_config(tomlfile.STRICT)
class RouteTable(TypedDict):
    steps: list[str]
    roles: NotRequired[list[str]]
    area_field: NotRequired[str]
    addressee_field: NotRequired[str]
    personal_data: NotRequired[bool]


@with_config(tomlfile.STRICT)
class RoutingFile(TypedDict, total=False):
    participants_see_all: bool
    route: list[RouteTable]


def load_router(config_dir: Path, agencies: AgencyDirectory) -> Router:
    """Read ``routing.toml``; a broken file fails at start-up, naming the route."""
    path = config_dir / ROUTING_FILE
    document = tomlfile.read(path, RoutingFile)
    routes = document.get("route", [])
    for number, table in enumerate(routes, start=1):
        if not table["steps"]:
            raise tomlfile.refuse(path, f"route[{number}]", "steps", "names no step")
    return Router(tuple(map(_route, routes)), agencies, document.get("participants_see_all", True))


def _route(table: RouteTable) -> Route:
    return Route(
        steps=frozenset(table["steps"]),
        roles=frozenset(table.get("roles", ())),
        area_field=table.get("area_field", ""),
        addressee_field=table.get("addressee_field", ""),
        personal_data=table.get("personal_data", False),
    )
