"""Names that say one thing: within ``services/`` and within ``projections/`` a class (or a type
alias) name is defined once, and two modules share a base name only where the name is a role
every part has."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("services", "projections")

# Module names that say a part's role, the same in each part (docs/DESIGN.md): its composition
# root, its refusals, its web app, its application service and domain model, and the facade a
# composition root builds for it. A module of services/commands/ is the command of the part of
# the same name (commands/relay.py runs kafka/relay.py), so it may share that name.
ROLES = frozenset({"wiring", "errors", "app", "application", "domainmodel", "service"})


def _type_names(path: Path) -> list[tuple[str, int]]:
    """The classes of a module, at any depth, and its module-level CapWords names (type
    aliases, ``TypedDict("Name", ...)``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [(node.name, node.lineno) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id[:1].isupper() and not target.id.isupper():
            found.append((target.id, node.lineno))
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_no_type_name_is_defined_twice_in_a_package() -> None:
    for package in PACKAGES:
        places: dict[str, list[str]] = defaultdict(list)
        for path in _modules(package):
            for name, line in _type_names(path):
                places[name].append(f"{path.relative_to(ROOT)}:{line}")
        twice = {name: where for name, where in places.items() if len(where) > 1}
        assert twice == {}, f"{package}/ defines these names more than once"


def test_no_two_modules_of_a_package_share_a_name_unless_it_is_a_role() -> None:
    for package in PACKAGES:
        places: dict[str, list[str]] = defaultdict(list)
        for path in _modules(package):
            if path.name != "__init__.py" and path.parent.name != "commands":
                places[path.stem].append(str(path.relative_to(ROOT)))
        shared = {
            name: where for name, where in places.items() if len(where) > 1 and name not in ROLES
        }
        assert shared == {}, f"{package}/ has modules of the same name doing different things"
