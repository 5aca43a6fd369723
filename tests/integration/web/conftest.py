"""Dashboard users and the dashboard's settings for the web tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from services.runtime.settings import Settings
from services.web.users import UserBook, make_user

PASSWORD = "correct horse battery"
USERS = {
    "lan": ("province_supervisor", "58", "peoples-committee-khanh-hoa"),  # old cases of 58 too
    "minh": ("district_supervisor", "585", "district-585"),
    "kim": ("auditor", "", ""),
}


def add_users(path: Path, language: str = "en") -> UserBook:
    """The three kinds of user, all with ``PASSWORD``."""
    book = UserBook(path)
    for name, (role, area, agency) in USERS.items():
        book.put(make_user(name, role, area, PASSWORD, agency, language))
    return book


@pytest.fixture(scope="session")
def users_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The users file, hashed once per session (argon2 is slow on purpose)."""
    path = tmp_path_factory.mktemp("users") / "users.toml"
    add_users(path)
    return path


@pytest.fixture
def users_file(users_template: Path, tmp_path: Path) -> Path:
    """This test's own copy of the users file (a test may change a user)."""
    return Path(shutil.copy(users_template, tmp_path / "users.toml"))


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], users_file: Path, database_url: str
) -> Settings:
    """On SQLite and on PostgreSQL (the read models' queries must agree on both)."""
    return make_settings(web_secure_cookies=False, users_file=users_file, database_url=database_url)
