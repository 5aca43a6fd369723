"""Composition root of ``backbone serve``: the dashboard built from the settings."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from projections.readmodel import ReadModel
from projections.responsible import load_responsibility
from services.api.backend import Backend
from services.cases.agencies import load_agencies
from services.cases.application import CaseService
from services.runtime.database import reader_engine
from services.runtime.settings import Settings
from services.web.app import create_app
from services.web.deps import CaseRecorder, Clock, Dashboard
from services.web.places import load_places
from services.web.users import UserBook
from services.web.workbench.service import build_workbench


def system_clock() -> datetime:
    return datetime.now(UTC)


def session_key(path: Path) -> str:
    """The key that signs session cookies, made on first start (owner-readable only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def build_dashboard(
    settings: Settings, agency_backend: Callable[[], Backend], clock: Clock = system_clock
) -> Dashboard:
    """``agency_backend``: the agency API's backend, which the workbench submits through
    (``backbone serve`` passes the mounted API's; ``services.api.wiring.backend_factory``
    builds one at first use)."""
    agencies = load_agencies(settings.config_dir)
    responsibility = load_responsibility(settings.config_dir, agencies)

    @cache
    def cases() -> CaseRecorder:
        return CaseService.from_settings(settings)

    return Dashboard(
        reader=reader_engine(settings),
        model=ReadModel(),
        users=UserBook(settings.effective_users_file),
        places=load_places(settings.config_dir, agencies),
        zone=agencies.zone,
        clock=clock,
        cases=cases,
        session_key=session_key(settings.effective_web_session_key_file),
        secure_cookies=settings.web_secure_cookies,
        refresh_seconds=settings.web_refresh_seconds,
        settings=settings,
        workbench=build_workbench(settings, agency_backend),
        responsibility=responsibility,
    )


def build_app(
    settings: Settings,
    *,
    agency_backend: Callable[[], Backend],
    clock: Clock = system_clock,
    mounts: Mapping[str, ASGIApp | APIRouter] | None = None,
) -> FastAPI:
    """The whole web process: the dashboard and whatever is mounted beside it (``/api``...)."""
    return create_app(build_dashboard(settings, agency_backend, clock), mounts=mounts)
