"""Module paths kept for one release after the renovation: each re-exports the same objects from the new home,
and nothing inside the package imports them."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "admission_flow"

SHIMS = {
    "admission_flow.model": ("admission_flow.domain.inputs", "admission_flow.domain.records"),
    "admission_flow.machine": ("admission_flow.engine.machine",),
    "admission_flow.workflow.catalog": ("admission_flow.engine.catalog",),
    "admission_flow.sweeper": ("admission_flow.worker",),
    "admission_flow.scenario": ("admission_flow.testing.scenario",),
}


@pytest.mark.parametrize("old", sorted(SHIMS))
def test_a_deprecated_path_re_exports_the_objects_of_the_new_one(old: str) -> None:
    shim = importlib.import_module(old)
    homes = [importlib.import_module(new) for new in SHIMS[old]]
    assert shim.__doc__ is not None and shim.__doc__.startswith("Deprecated path, kept for one release: import from")
    names = [name for name in vars(shim) if not name.startswith("_")]
    assert names
    for name in names:
        assert any(getattr(home, name, None) is getattr(shim, name) for home in homes), name


def test_nothing_in_the_package_imports_a_deprecated_path() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [f"{path.relative_to(PACKAGE)}: {m}" for m in modules if m in SHIMS]
    assert offenders == []
