"""Composition root of ``backbone simulate``: the province, the policy, one client per agency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from random import Random

from services.kafka.agency import AgencyClient
from services.runtime.settings import Settings
from services.simulator.deadlines import load_clock
from services.simulator.province import load_province, require_roles
from services.simulator.runner import Options, Simulator, Submitter
from services.simulator.stories import tell
from services.simulator.story import Story

ROLES_NEEDED = (
    "hotline",
    "social_affairs",
    "police",
    "health",
    "legal_aid",
    "procuracy",
    "court",
    "education",
)


def build_simulator(
    settings: Settings, options: Options, seed: int, clients: AgencyClients
) -> Simulator:
    """A simulator publishing as the province's agencies through ``clients``."""
    return Simulator(teller(settings, options, seed), clients, options)


def teller(settings: Settings, options: Options, seed: int) -> Callable[[datetime], Story]:
    """``tell(now)`` on the configured province and deadline policy, seeded once per run.

    A late step whose deadline just passed comes back within ``options.recover_within`` real
    seconds: that many seconds of compressed time, ``speed`` times as many simulated.
    """
    province = load_province(settings.config_dir)
    require_roles(province, ROLES_NEEDED)
    clock = load_clock(settings.config_dir)
    rng = Random(seed)
    lookahead = timedelta(seconds=options.recover_within * options.speed)
    return lambda now: tell(rng, province, clock, now, lookahead)


class AgencyClients:
    """One AgencyClient per agency, made on its first submission and kept until closed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[str, AgencyClient] = {}

    def __call__(self, agency: str) -> Submitter:
        if agency not in self._clients:
            self._clients[agency] = AgencyClient.from_settings(self.settings, agency)
        return self._clients[agency]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
