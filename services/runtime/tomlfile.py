"""One strict reader for every TOML configuration file (``deploy/config/``, the policy, users).

Each loader describes its file as a ``TypedDict`` marked :data:`STRICT` (unknown keys forbidden,
no coercion: ``"3"`` is not a number, ``1`` is not ``true``) and reads it with :func:`read`.
Whatever is wrong comes back as one :class:`ConfigFileError` naming the file, the table and the
key, with a machine ``reason``; the command line prints it as one line (never a traceback). The
loaders then check what a schema cannot say (an unknown agency, a rule naming an unknown step).

Nothing here imports the case, Kafka-adapter, command or projection code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

STRICT = ConfigDict(extra="forbid", strict=True)
"""The configuration of every file schema: pass it to ``pydantic.with_config``."""

T = TypeVar("T")


class ConfigFileError(ValueError):
    """A configuration file that cannot be used: ``reason`` for machines, a sentence for people.

    ``reason`` is one of ``config_missing_file``, ``config_unreadable``, ``config_syntax``,
    ``config_unknown_key``, ``config_missing_key``, ``config_wrong_type``, and
    ``config_invalid`` for what a loader checks beyond the schema (:func:`refuse`).
    """

    def __init__(self, reason: str, path: Path, table: str, key: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.path, self.table, self.key = reason, path, table, key


def refuse(path: Path, table: str, key: str, problem: str) -> ConfigFileError:
    """A refusal (to raise) of what the schema cannot say: ``problem`` of ``key`` in ``table``
    (``(top level)``, ``agency[4]``, as :func:`read` names them)."""
    message = f"{path}: table {table or '(top level)'}: '{key}' {problem}"
    return ConfigFileError("config_invalid", path, table or "(top level)", key, message)


def read(path: Path, schema: type[T]) -> T:
    """The file at ``path``, parsed and checked against ``schema`` (a strict ``TypedDict``)."""
    return check(parse(path), schema, path)


def parse(path: Path) -> dict[str, Any]:
    """The file at ``path`` as TOML, unchecked; a missing or malformed file is refused."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigFileError(
            "config_missing_file", path, "", "", f"{path}: the file does not exist"
        ) from None
    except OSError as error:
        raise ConfigFileError(
            "config_unreadable", path, "", "", f"{path}: cannot be read ({error.strerror})"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigFileError(
            "config_syntax", path, "", "", f"{path}: not valid TOML ({error})"
        ) from None


def check(document: Mapping[str, Any], schema: type[T], path: Path) -> T:
    """``document`` (read from ``path``) checked against ``schema``; the first fault refused."""
    try:
        return TypeAdapter(schema).validate_python(document)
    except ValidationError as error:
        raise _refusal(path, document, error.errors()) from None


_KINDS = {"extra_forbidden": "config_unknown_key", "missing": "config_missing_key"}


def _refusal(
    path: Path, document: Mapping[str, Any], errors: Sequence[ErrorDetails]
) -> ConfigFileError:
    # A union (a string or a table) reports one error per branch; the one that reaches deepest
    # into the document is the one that says what is wrong. A misspelt key is reported both as
    # unknown and as missing: the unknown one is what the person typed, so it is named.
    located = [(_located(document, error["loc"], error["type"]), error) for error in errors]
    (steps, error) = max(
        located, key=lambda pair: (len(pair[0]), pair[1]["type"] == "extra_forbidden")
    )
    reason = _KINDS.get(error["type"], "config_wrong_type")
    key = str(steps[-1]) if steps else ""
    table = _table_name(steps[:-1])
    where = f"{path}: table {table}"
    if reason == "config_unknown_key":
        message = f"{where} has the unknown key '{key}'; remove it or correct its spelling"
    elif reason == "config_missing_key":
        message = f"{where} lacks the required key '{key}'"
    else:
        wanted = error["msg"].removeprefix("Input should be ").removeprefix("Value error, ")
        message = f"{where}: '{key}' should be {wanted}, not {error['input']!r}"
    return ConfigFileError(reason, path, table, key, message)


def _located(document: object, loc: tuple[int | str, ...], kind: str) -> list[int | str]:
    """The steps of ``loc`` that are keys or indexes of ``document`` (dropping the names pydantic
    gives union branches); a missing key is kept, as the last step."""
    steps: list[int | str] = []
    node = document
    for index, step in enumerate(loc):
        inside = _child(node, step)
        if inside is not _ABSENT:
            node = inside
        elif not (kind == "missing" and index == len(loc) - 1):
            continue
        steps.append(step)
    return steps


_ABSENT = object()


def _child(node: object, step: int | str) -> object:
    if isinstance(node, Mapping):
        return node.get(step, _ABSENT)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return _ABSENT


def _table_name(steps: Sequence[int | str]) -> str:
    """``agency[4]`` (the fourth ``[[agency]]``), ``rules[1].deadline``; the file's top level
    is ``(top level)``."""
    name = ""
    for step in steps:
        name += f"[{step + 1}]" if isinstance(step, int) else f"{'.' if name else ''}{step}"
    return name or "(top level)"
