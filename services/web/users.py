"""Dashboard users as data: who they are, their role, the area they supervise, their language.

The file (``BACKBONE_USERS_FILE``, default ``$BACKBONE_HOME/users.toml``) is managed by
``backbone users add|passwd|list``; passwords are kept as argon2id hashes only. The dashboard
reads the file again when it changes, so a new password or a removed user applies at once.

Roles and what they see:

- ``district_supervisor``: the cases of one district (``area`` is its code);
- ``province_supervisor``: the cases of the province (``area`` is the province code);
- ``auditor``: every case, read-only (no follow-up);
- ``agency_officer``: a person of one agency (``agency``) that has no case system of its own:
  the agency workbench (``/work``) shows the cases the agency takes part in, and the steps its
  role (``agencies.toml``) may record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, NotRequired, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import with_config
from typing_extensions import TypedDict

from services.runtime import tomlfile
from services.runtime.i18n import LANGUAGES, Language, language

Role = Literal["district_supervisor", "province_supervisor", "auditor", "agency_officer"]
ROLES: tuple[Role, ...] = get_args(Role)
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class UserRecordError(ValueError):
    """A user record that cannot be accepted; ``reason`` is machine-readable."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class User:
    """One person who may log in to the dashboard."""

    name: str
    role: Role
    area: str  # province or district code; "" for an auditor (everything)
    password_hash: str
    agency: str = ""  # the supervisor's office (follow-ups), or the officer's agency
    language: Language = "vi"

    @property
    def read_only(self) -> bool:
        return self.role in ("auditor", "agency_officer") or not self.agency

    @property
    def works_for_agency(self) -> bool:
        """An agency officer: the workbench, not the supervisors' board."""
        return self.role == "agency_officer"

    def sees(self, area: Mapping[str, str]) -> bool:
        """Whether a case in ``area`` (its province, district and commune codes) is in scope."""
        if self.role == "auditor":
            return True
        return not self.works_for_agency and bool(self.area) and self.area in area.values()


def hash_password(password: str) -> str:
    """An argon2id hash of a password long enough to resist guessing."""
    if len(password) < MIN_PASSWORD:
        raise UserRecordError("password_too_short", f"use at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def make_user(
    name: str, role: str, area: str, password: str, agency: str = "", lang: str = "vi"
) -> User:
    """A checked user record (the password hashed)."""
    if not name or not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise UserRecordError("bad_user_name", "a user name is letters, digits, '.', '-' or '_'")
    checked = _role(role)
    if checked == "agency_officer" and not agency:
        raise UserRecordError("agency_needed", "an agency officer needs the id of their agency")
    if checked not in ("auditor", "agency_officer") and not area:
        raise UserRecordError(
            "area_needed", "a supervisor needs the code of the area they supervise"
        )
    return User(name, checked, area, hash_password(password), agency, language(lang))


class UserBook:
    """The users file, read again whenever it changed on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, User] = {}

    def all(self) -> list[User]:
        self._refresh()
        return list(self._users.values())

    def get(self, name: str) -> User | None:
        self._refresh()
        return self._users.get(name)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password is theirs; None otherwise (same cost either way)."""
        user = self.get(name)
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    def put(self, user: User) -> None:
        """Add or replace a user and write the file (atomically, readable by its owner only)."""
        self._refresh()
        self._users[user.name] = user
        self._write()

    def set_password(self, name: str, password: str) -> User:
        user = self._known(name)
        changed = replace(user, password_hash=hash_password(password))
        self.put(changed)
        return changed

    def set_language(self, name: str, lang: str) -> User:
        changed = replace(self._known(name), language=language(lang))
        self.put(changed)
        return changed

    def _known(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise UserRecordError("unknown_user", f"there is no user {name!r}; add it first")
        return user

    def _refresh(self) -> None:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            self._users, self._stamp = {}, None
            return
        stamp = (status.st_mtime_ns, status.st_size)
        if stamp != self._stamp:
            tables = tomlfile.read(self.path, UsersFile).get("user", [])
            self._users = {u.name: u for u in map(self._user, enumerate(tables, start=1))}
            self._stamp = stamp

    def _user(self, numbered: tuple[int, UserTable]) -> User:
        number, table = numbered
        if table["role"] not in ROLES:
            raise tomlfile.refuse(
                self.path, f"user[{number}]", "role", f"is not a role: {table['role']!r}"
            )
        lang = table.get("language", "vi")
        return User(
            name=table["name"],
            role=_role(table["role"]),
            area=table.get("area", ""),
            password_hash=table["password_hash"],
            agency=table.get("agency", ""),
            language=language(lang) if lang in LANGUAGES else "vi",
        )

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# Dashboard users: managed by `backbone users`; passwords are argon2id hashes."]
        for user in self._users.values():
            lines += ["", "[[user]]"]
            for key in ("name", "role", "area", "agency", "language", "password_hash"):
                lines.append(f"{key} = {json.dumps(getattr(user, key), ensure_ascii=False)}")
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        temporary.replace(self.path)
        self._stamp = None


def _role(value: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    raise UserRecordError(
        "unknown_role", f"unknown role {value!r}; choose one of: {', '.join(ROLES)}"
    )


@with_config(tomlfile.STRICT)
class UserTable(TypedDict):
    name: str
    role: str
    area: NotRequired[str]
    agency: NotRequired[str]
    language: NotRequired[str]
    password_hash: str


@with_config(tomlfile.STRICT)
class UsersFile(TypedDict, total=False):
    user: list[UserTable]
