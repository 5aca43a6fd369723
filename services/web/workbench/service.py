"""What the workbench's pages need, built once by the composition root (``wiring.py``)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from events.codec import MARKER
from events.steps import SCHEMA_DIR
from projections.responsible import Responsibility, load_responsibility
from services.api.backend import Backend
from services.audit.accesslog import AccessLog
from services.cases.agencies import Agency, AgencyDirectory, load_agencies
from services.cases.application import WORKFLOW_FILE
from services.cases.workflow import Workflow, load_workflow
from services.runtime.database import database_engine
from services.runtime.settings import Settings
from services.vocabulary import Vocabulary, load_vocabulary


@dataclass
class Workbench:
    """The contract, the rules and the agency API's path, for the agency officers' pages."""

    agencies: AgencyDirectory
    workflow: Workflow
    vocabulary: Vocabulary
    responsibility: Responsibility
    backend_factory: Callable[[], Backend]  # the agency API's backend (the same path)
    access_engine: Callable[[], sa.Engine]  # where the personal-data openings are recorded
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _backend: Backend | None = None
    _access: AccessLog | None = None

    @property
    def backend(self) -> Backend:
        with self._lock:
            self._backend = self._backend or self.backend_factory()
            return self._backend

    @property
    def access_log(self) -> AccessLog:
        with self._lock:
            self._access = self._access or AccessLog(self.access_engine())
            return self._access

    def agency(self, agency_id: str) -> Agency | None:
        return self.agencies.get(agency_id)

    def schema(self, step: str) -> Mapping[str, Any]:
        return _schema(step)

    @cached_property
    def personal_prefix(self) -> str:
        """Base64 of the header of an encoded ``PersonalData`` (marker and fingerprint): the
        browser writes the Avro body after it, then seals the whole."""
        from events import Codec

        return base64.b64encode(
            MARKER + Codec.from_directory().fingerprint("PersonalData")
        ).decode()


def _schema(step: str) -> Mapping[str, Any]:
    path = SCHEMA_DIR / f"{step}.avsc"
    loaded: Mapping[str, Any] = json.loads(path.read_text())
    return loaded


def build_workbench(settings: Settings, backend: Callable[[], Backend]) -> Workbench:
    config: Path = settings.config_dir
    agencies = load_agencies(config)

    def access_engine() -> sa.Engine:
        return database_engine(settings)

    return Workbench(
        agencies=agencies,
        workflow=load_workflow(config / WORKFLOW_FILE),
        vocabulary=load_vocabulary(config),
        responsibility=load_responsibility(config, agencies),
        backend_factory=backend,
        access_engine=access_engine,
    )
