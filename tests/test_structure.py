"""The code's shape, checked (docs/architecture.md): modules stay small enough to read,
and one module's private helpers are not another's API."""

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "ombud"
LIMIT = 500


def _modules():
    return [p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts]


def test_no_module_is_over_500_lines():
    long = {
        str(path.relative_to(SOURCE)): count
        for path in _modules()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not long, f"split these by use case or by model: {long}"


def test_no_private_name_is_imported_from_another_module():
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ombud"):
                found += [
                    f"{path.relative_to(SOURCE)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert not found, f"make these public, or keep them in their module: {found}"


def test_the_checks_see_the_source():
    assert len(_modules()) > 100
