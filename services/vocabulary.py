"""The vocabulary of the contract's coded fields: ``deploy/config/vocabulary.toml``.

One typed, strict reading for every part of the backbone: the intake refuses a code that is not
listed (``unknown_code``), the simulator draws its codes from here, and the CLI, the dashboard
and the reports show ``label(field, code, lang)``. Administrative-unit fields take their codes
and names from ``areas.toml``. A mistake in either file (an unknown key, a wrong type, a field
bound twice) stops the reading with an error that names the file, the table and the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from events import ContractError, Reason
from services.runtime import tomlfile
from services.runtime.areas import AREAS_FILE, load_areas

VOCABULARY_FILE = "vocabulary.toml"
LANGUAGES = ("vi", "en")
AREA_LEVELS = ("province", "district", "commune")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_FIELD = re.compile(r"^[A-Z][A-Za-z0-9]*(\.[a-z][a-z0-9_]*){1,2}$")
_LIST_KEYS = frozenset({"fields", "may_be_empty", "codes"})


class VocabularyError(tomlfile.ConfigFileError):
    """The vocabulary or areas file is wrong; the text names file, table and key."""

    def __init__(self, file: str, table: str, key: str, problem: str) -> None:
        message = f"{file}: [{table}] {key}: {problem}"
        super().__init__("config_invalid", Path(file), table, key, message)
        self.file = file


@with_config(tomlfile.STRICT)
class LabelTable(TypedDict):
    vi: str
    en: str


@with_config(tomlfile.STRICT)
class CodeListTable(TypedDict):
    fields: list[str]  # "Record.field" names that take the list's codes
    may_be_empty: NotRequired[list[str]]
    codes: dict[str, LabelTable]


@with_config(tomlfile.STRICT)
class AreaBindingTable(TypedDict, total=False):
    province: list[str]
    district: list[str]
    commune: list[str]
    may_be_empty: list[str]


@with_config(tomlfile.STRICT)
class AreaBindingFile(TypedDict, total=False):
    areas: AreaBindingTable  # the fields that take codes of areas.toml, by level


@dataclass(frozen=True)
class Label:
    """The words for one code."""

    vi: str
    en: str

    def in_language(self, lang: str) -> str:
        """The label in ``lang`` ("vi" or "en"; anything else gets Vietnamese)."""
        return self.en if lang.lower().startswith("en") else self.vi


@dataclass(frozen=True)
class CodeList:
    """One list of codes and the fields that take them."""

    name: str
    fields: tuple[str, ...]
    may_be_empty: frozenset[str]
    labels: Mapping[str, Label]
    """Code -> label, in file order."""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.labels)


@dataclass(frozen=True)
class Vocabulary:
    """Every list of codes (areas included, named by level) and which field takes which."""

    lists: Mapping[str, CodeList]

    def codes(self, name: str) -> tuple[str, ...]:
        """The codes of list ``name`` (e.g. "channel", "commune"), in file order."""
        if name not in self.lists:
            raise KeyError(f"no vocabulary list {name!r}; lists: {sorted(self.lists)}")
        return self.lists[name].codes

    def list_of(self, field: str) -> CodeList | None:
        """The list a field takes its codes from: ``field`` is a list name or "Record.field"."""
        if field in self.lists:
            return self.lists[field]
        return next((cl for cl in self.lists.values() if field in cl.fields), None)

    def label(self, field: str, code: str, lang: str = "vi") -> str:
        """The label of ``code`` in ``lang``; the code itself when it has none (never fails)."""
        code_list = self.list_of(field)
        found = code_list.labels.get(code) if code_list else None
        return found.in_language(lang) if found else code

    def unknown_codes(self, wire_name: str, record: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(field, value) for every value of a coded field of the record not in its list."""
        unknown: list[tuple[str, str]] = []
        for code_list in self.lists.values():
            for field in code_list.fields:
                record_name, *path = field.split(".")
                if record_name != wire_name:
                    continue
                for value in _values(record, path):
                    empty_ok = value == "" and field in code_list.may_be_empty
                    if not empty_ok and value not in code_list.labels:
                        unknown.append((field, value))
        return unknown

    def check(self, wire_name: str, record: Mapping[str, Any]) -> None:
        """Refuse (``unknown_code``) a record with a code its list does not have."""
        unknown = self.unknown_codes(wire_name, record)
        if unknown:
            field, value = unknown[0]
            name = next(cl.name for cl in self.lists.values() if field in cl.fields)
            where = f"{name!r} in {AREAS_FILE if name in AREA_LEVELS else VOCABULARY_FILE}"
            raise ContractError(
                Reason.UNKNOWN_CODE,
                f"{field} = {value!r} is not a code of the list {where}; "
                "use one of the codes listed there",
            )


def _values(record: Mapping[str, Any], path: Sequence[str]) -> Iterator[str]:
    value = record.get(path[0])
    items = value if isinstance(value, list) else [value]
    for item in items:
        if len(path) > 1:
            yield from _values(item, path[1:]) if isinstance(item, Mapping) else ()
        elif isinstance(item, str):
            yield item


def load_vocabulary(config_dir: Path) -> Vocabulary:
    """Read ``vocabulary.toml`` and ``areas.toml`` from ``config_dir`` (strictly)."""
    path = config_dir / VOCABULARY_FILE
    document = tomlfile.parse(path)
    # Every table but [areas] is a list of codes: the two shapes are checked apart.
    lists = {name: table for name, table in document.items() if name != "areas"}
    tomlfile.check(lists, dict[str, CodeListTable], path)
    tomlfile.check({k: v for k, v in document.items() if k == "areas"}, AreaBindingFile, path)
    return parse_vocabulary(document, load_areas(config_dir))


def parse_vocabulary(document: Mapping[str, Any], areas: Mapping[str, Any]) -> Vocabulary:
    """Build the vocabulary from parsed TOML (pure: tests give documents directly)."""
    lists: dict[str, CodeList] = {}
    for name, table in document.items():
        if name == "areas":
            continue
        if name in AREA_LEVELS:
            raise VocabularyError(VOCABULARY_FILE, name, name, "an areas.toml level, not a list")
        lists[name] = _code_list(name, _table(VOCABULARY_FILE, "", name, table))
    lists |= _area_lists(_table(VOCABULARY_FILE, "", "areas", document.get("areas", {})), areas)
    _bound_once(lists)
    return Vocabulary(lists)


def _code_list(name: str, table: Mapping[str, Any]) -> CodeList:
    where = (VOCABULARY_FILE, name)
    for key in table:
        if key not in _LIST_KEYS:
            raise VocabularyError(*where, key, f"unknown key (allowed: {sorted(_LIST_KEYS)})")
    fields = _fields(*where, "fields", table.get("fields"))
    empty = _fields(*where, "may_be_empty", table.get("may_be_empty", []))
    codes = _table(*where, "codes", table.get("codes"))
    if not codes:
        raise VocabularyError(*where, "codes", "a list needs at least one code")
    return CodeList(name, fields, _within(where, empty, fields), _labels(name, codes))


def _labels(name: str, codes: Mapping[str, Any]) -> dict[str, Label]:
    labels: dict[str, Label] = {}
    for code, words in codes.items():
        key = f"codes.{code}"
        if not _CODE.match(code):
            raise VocabularyError(VOCABULARY_FILE, name, key, "a code is lower_snake_case")
        table = _table(VOCABULARY_FILE, name, key, words)
        if set(table) != set(LANGUAGES):
            raise VocabularyError(VOCABULARY_FILE, name, key, f"needs exactly {list(LANGUAGES)}")
        for lang in LANGUAGES:
            if not isinstance(table[lang], str) or not table[lang].strip():
                raise VocabularyError(VOCABULARY_FILE, name, f"{key}.{lang}", "non-empty text")
        labels[code] = Label(vi=table["vi"], en=table["en"])
    return labels


def _area_lists(binding: Mapping[str, Any], areas: Mapping[str, Any]) -> dict[str, CodeList]:
    allowed = {*AREA_LEVELS, "may_be_empty"}
    for key in binding:
        if key not in allowed:
            raise VocabularyError(VOCABULARY_FILE, "areas", key, f"unknown key ({sorted(allowed)})")
    empty = _fields(VOCABULARY_FILE, "areas", "may_be_empty", binding.get("may_be_empty", []))
    lists: dict[str, CodeList] = {}
    for level in AREA_LEVELS:
        fields = _fields(VOCABULARY_FILE, "areas", level, binding.get(level, []))
        labels: dict[str, Label] = {}
        for number, unit in enumerate(areas.get(level, []), start=1):
            where = (AREAS_FILE, f"{level} #{number}")
            code, name = unit.get("code"), unit.get("name")
            for key, value in (("code", code), ("name", name)):
                if not isinstance(value, str):
                    raise VocabularyError(*where, key, "must be text")
            labels[str(code)] = Label(vi=str(name), en=str(name))
        lists[level] = CodeList(level, fields, frozenset(empty) & set(fields), labels)
    _within((VOCABULARY_FILE, "areas"), empty, tuple(f for cl in lists.values() for f in cl.fields))
    return lists


def _bound_once(lists: Mapping[str, CodeList]) -> None:
    seen: dict[str, str] = {}
    for code_list in lists.values():
        for field in code_list.fields:
            if field in seen:
                problem = f"also bound to [{seen[field]}]"
                raise VocabularyError(VOCABULARY_FILE, code_list.name, field, problem)
            seen[field] = code_list.name


def _fields(file: str, table: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise VocabularyError(file, table, key, 'a list of "Record.field" names')
    bad = [item for item in value if not _FIELD.match(item)]
    if bad:
        raise VocabularyError(file, table, key, f'not "Record.field" names: {bad}')
    return tuple(value)


def _within(where: tuple[str, str], subset: Sequence[str], fields: Sequence[str]) -> frozenset[str]:
    stray = sorted(set(subset) - set(fields))
    if stray:
        raise VocabularyError(*where, "may_be_empty", f"not fields of this table: {stray}")
    return frozenset(subset)


def _table(file: str, table: str, key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise VocabularyError(file, table or key, key, "must be a table")
    return value
