"""No hidden state: nothing in course_pkg remembers anything between calls.

* Module-level values are immutable (tuples, frozensets, read-only mappings):
  no list, dict, set or array that one call could change for the next.
* No ``global`` statements and no memoisation (``functools.cache``,
  ``lru_cache``) in the package source.
* Forward functions return their cache and leave their inputs untouched, and
  the same call twice gives bit-identical results (checked for every public
  forward in ``test_bad_input.py``'s table, see
  :func:`test_bad_input.test_valid_call_is_pure_and_repeatable`).

``course_pkg.grading`` and ``course_pkg.instructor`` belong to the assignments tooling
and are not covered here.
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import pkgutil
import types

import numpy as np
import pytest

import course_pkg

PKG = pathlib.Path(course_pkg.__file__).parent
EXCLUDED = ("course_pkg.grading", "course_pkg.instructor")
MODULES = sorted(
    m.name for m in pkgutil.walk_packages(course_pkg.__path__, prefix="course_pkg.")
    if not m.name.startswith(EXCLUDED)
)
MUTABLE = (list, dict, set, bytearray, np.ndarray)


@pytest.mark.parametrize("module_name", ["course_pkg", *MODULES])
def test_no_mutable_module_level_values(module_name):
    module = importlib.import_module(module_name)
    bad = [
        f"{name} ({type(value).__name__})"
        for name, value in vars(module).items()
        if not name.startswith("__") and isinstance(value, MUTABLE)
        and not isinstance(value, types.ModuleType)
    ]
    assert not bad, (
        f"{module_name} has mutable module-level values {bad}: make them tuples or "
        "types.MappingProxyType so no call can change what the next one sees"
    )


def _sources():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        name = ".".join(rel.parts)
        if not name.startswith(EXCLUDED):
            yield name, path


@pytest.mark.parametrize(("module_name", "path"), list(_sources()), ids=lambda v: str(v))
def test_no_global_statements_or_memoisation(module_name, path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Global | ast.Nonlocal):
            problems.append(f"line {node.lineno}: {type(node).__name__.lower()} statement")
        if isinstance(node, ast.Attribute) and node.attr in ("cache", "lru_cache") \
                and isinstance(node.value, ast.Name) and node.value.id == "functools":
            problems.append(f"line {node.lineno}: functools.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module == "functools" \
                and any(a.name in ("cache", "lru_cache") for a in node.names):
            problems.append(f"line {node.lineno}: from functools import cache")
    assert not problems, f"{module_name}: {problems}"


def test_read_only_constants_cannot_be_changed():
    from course_pkg import dates, diagrams, plotting, torch_interop, train

    for mapping in (dates.DATE_FORMATS, diagrams.PART_COLORS, plotting.MODEL_COLORS,
                    torch_interop.TORCH_GATE_ORDER, train.DEFAULT_LR):
        with pytest.raises(TypeError):
            mapping["new"] = None  # type: ignore[index]
