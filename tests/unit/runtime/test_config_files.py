"""Every configuration file the backbone reads goes through the strict TOML reader: a copy with a
misspelt key, or with a value of the wrong type, is refused naming the file, the table and the
key; the shipped files load."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from projections.calendarfile import load_calendar
from projections.escalation import load_addressing
from projections.policyfile import DEFAULT_POLICY_PATH, load_policy
from projections.responsible import ROLES_FILE, load_responsibility
from projections.statistics.catalogue import SHIPPED as SHIPPED_CATALOGUE
from projections.statistics.catalogue import load_catalogue
from projections.statistics.duties import load_reporting
from services.audit.policy import load_policy as load_audit_policy
from services.cases.agencies import load_agencies
from services.cases.workflow import load_workflow
from services.digest import load_recipients
from services.kafka.retention import load_retention
from services.kafka.routing import load_router
from services.runtime.areas import load_areas
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.runtime.tomlfile import ConfigFileError
from services.vocabulary import load_vocabulary
from services.web.places import load_citations
from services.web.users import UserBook, make_user

Loader = Callable[[Path], object]
"""Reads one file of a configuration directory (a copy of ``deploy/config`` and the rest)."""

LOADERS: dict[str, Loader] = {
    "agencies.toml": load_agencies,
    "areas.toml": load_areas,
    "audit.toml": load_audit_policy,
    "citations.toml": load_citations,
    "digest.toml": lambda folder: load_recipients(folder, load_agencies(folder)),
    "escalation.toml": lambda folder: load_addressing(folder, load_agencies(folder)),
    "holidays.toml": lambda folder: load_calendar(folder / "holidays.toml"),
    "reporting.toml": load_reporting,
    "retention.toml": load_retention,
    "routing.toml": lambda folder: load_router(folder, load_agencies(folder)),
    "vocabulary.toml": load_vocabulary,
    "workflow.toml": lambda folder: load_workflow(folder / "workflow.toml"),
    "policy.toml": lambda folder: load_policy(folder / "policy.toml"),
    "responsible.toml": lambda folder: load_responsibility(
        folder, load_agencies(folder), folder / "responsible.toml"
    ),
    "indicators.toml": load_catalogue,
    "users.toml": lambda folder: UserBook(folder / "users.toml").all(),
}

# file, the table header after which a misspelt key is put, the table as the refusal names it,
# the key
UNKNOWN_KEYS = [
    ("agencies.toml", "[[agency]]", "agency[1]", "nmae"),
    ("areas.toml", "[[province]]", "province[1]", "nmae"),
    ("audit.toml", "", "(top level)", "witness"),
    ("citations.toml", "[[citation]]", "citation[1]", "fr"),
    ("digest.toml", "[[recipient]]", "recipient[1]", "emial"),
    ("escalation.toml", "[[level]]", "level[1]", "rule"),
    ("holidays.toml", "[years.2025]", "years.2025", "chekced"),
    ("reporting.toml", "[[duty]]", "duty[1]", "due"),
    ("retention.toml", "[intake]", "intake", "hours"),
    ("routing.toml", "[[route]]", "route[1]", "role"),
    ("vocabulary.toml", "[channel]", "channel", "feilds"),
    ("workflow.toml", "[steps.CaseReported]", "steps.CaseReported", "role"),
    ("policy.toml", "[settings]", "settings", "roll_over"),
    ("responsible.toml", "", "(top level)", "rolse"),
    ("indicators.toml", "[[indicator]]", "indicator[1]", "nmae_en"),
    ("users.toml", "[[user]]", "user[1]", "passwd"),
]

# file, the key whose first line gets a value of the wrong type, that value, the table
WRONG_TYPES = [
    ("agencies.toml", "area", "0", "agency[1]"),
    ("areas.toml", "code", "58", "province[1]"),
    ("audit.toml", "required_cosignatures", '"1"', "(top level)"),
    ("citations.toml", "en", "1", "citation[1]"),
    ("digest.toml", "email", "7", "recipient[1]"),
    ("escalation.toml", "level", '"1"', "level[1]"),
    ("holidays.toml", "checked", '"no"', "years.2025"),
    ("reporting.toml", "notice_days", '"30"', "(top level)"),
    ("retention.toml", "retention_hours", '"168"', "intake"),
    ("routing.toml", "participants_see_all", '"yes"', "(top level)"),
    ("vocabulary.toml", "province", '"CaseReported.province_code"', "areas"),
    ("workflow.toml", "first", '"yes"', "steps.CaseReported"),
    ("policy.toml", "roll_over_rest_days", "1", "settings"),
    ("responsible.toml", "receiving_point", "1", "roles"),
    ("indicators.toml", "code", "101", "indicator[1]"),
    ("users.toml", "role", "1", "user[1]"),
]


AUDITOR = make_user("an", "auditor", "", "a long password")  # hashed once: argon2 is slow


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of everything the backbone reads, in one folder, with one user."""
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder, ignore=shutil.ignore_patterns("*.py"))
    for path in (DEFAULT_POLICY_PATH, ROLES_FILE, SHIPPED_CATALOGUE):
        shutil.copy(path, folder / path.name)
    UserBook(folder / "users.toml").put(AUDITOR)
    return folder


def test_every_file_of_the_config_directory_has_its_cases() -> None:
    shipped = {path.name for path in DEFAULT_CONFIG_DIR.glob("*.toml")}
    assert shipped <= set(LOADERS)
    assert {case[0] for case in UNKNOWN_KEYS} == {case[0] for case in WRONG_TYPES} == set(LOADERS)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_the_shipped_file_loads(config: Path, name: str) -> None:
    assert LOADERS[name](config)


@pytest.mark.parametrize(("name", "header", "table", "key"), UNKNOWN_KEYS)
def test_an_unknown_key_is_refused_naming_file_table_and_key(
    config: Path, name: str, header: str, table: str, key: str
) -> None:
    path = config / name
    text = path.read_text(encoding="utf-8")
    line = f'{key} = "x"\n'
    if header:
        assert f"\n{header}\n" in text
        text = text.replace(f"\n{header}\n", f"\n{header}\n{line}", 1)
    else:
        text = line + text
    path.write_text(text, encoding="utf-8")
    _assert_refused(config, name, ("config_unknown_key", path, table, key))


@pytest.mark.parametrize(("name", "key", "value", "table"), WRONG_TYPES)
def test_a_wrong_type_is_refused_naming_file_table_and_key(
    config: Path, name: str, key: str, value: str, table: str
) -> None:
    path = config / name
    line = re.compile(rf"^{key} = .*$", re.MULTILINE)
    text, count = line.subn(f"{key} = {value}", path.read_text(encoding="utf-8"), count=1)
    assert count == 1
    path.write_text(text, encoding="utf-8")
    _assert_refused(config, name, ("config_wrong_type", path, table, key))


def _assert_refused(folder: Path, name: str, expected: tuple[str, Path, str, str]) -> None:
    """Loading ``name`` from ``folder`` is refused for (reason, path, table, key), and the
    sentence a person reads names the file, the table and the key."""
    with pytest.raises(ConfigFileError) as refused:
        LOADERS[name](folder)
    error = refused.value
    assert (error.reason, error.path, error.table, error.key) == expected
    _, path, table, key = expected
    assert str(path) in str(error) and f"table {table}" in str(error) and f"'{key}'" in str(error)
