"""The domain imports only the standard library, ``eventsourcing`` and itself (STYLE rule 3)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
ALLOWED = frozenset({"eventsourcing", "domain"})
DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__"})


def foreign_imports(source: str) -> list[str]:
    """The modules ``source`` imports from outside the standard library, eventsourcing and domain."""
    imported: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.append(node.module or "")
        elif isinstance(node, ast.Call) and _dynamic_import_of(node):
            imported.append(_dynamic_import_of(node))
    return [
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] not in ALLOWED
    ]


def _dynamic_import_of(call: ast.Call) -> str:
    """The module name of an ``importlib.import_module("x")`` or ``__import__("x")`` call."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in DYNAMIC_IMPORTERS and call.args and isinstance(call.args[0], ast.Constant):
        return str(call.args[0].value)
    return ""


DOMAIN_MODULES = sorted(DOMAIN.rglob("*.py"))


def test_the_check_sees_the_domain_modules() -> None:
    assert {path.name for path in DOMAIN_MODULES} >= {
        "__init__.py",
        "actors.py",
        "application.py",
        "case.py",
        "clock.py",
        "errors.py",
        "ppr.py",
    }


@pytest.mark.parametrize(
    "module", DOMAIN_MODULES, ids=[str(p.relative_to(DOMAIN)) for p in DOMAIN_MODULES]
)
def test_a_domain_module_imports_only_the_standard_library_and_eventsourcing(
    module: Path,
) -> None:
    assert foreign_imports(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "import sqlalchemy.orm",
        "import json, redis",
        "import marshmallow as ma",
        "from rq import Queue",
        "from service.errors import problem",
        "def later():\n    import psycopg\n",
        "if TYPE_CHECKING:\n    from projections.cases import CaseList\n",
        "import importlib\nimportlib.import_module('orjson')\n",
        "__import__('webhooks')",
    ],
)
def test_the_check_catches_an_import_from_outside(source: str) -> None:
    assert len(foreign_imports(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "import json\nfrom datetime import datetime",
        "from collections.abc import Iterator",
        "from eventsourcing.domain import Aggregate, event",
        "import eventsourcing.persistence",
        "from domain.case import Case",
        "from . import clock\nfrom .errors import NotFound",
    ],
)
def test_the_check_allows_the_standard_library_eventsourcing_and_domain(source: str) -> None:
    assert foreign_imports(source) == []
