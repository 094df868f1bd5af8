"""Every public name of every course_pkg module is exercised by some test.

A public function is a function listed in a module's ``__all__`` (classes
and constants are exercised through the functions that return or use them). "Exercised" is checked
textually: the name must appear in at least one test file other than this
one. Crude, but it fails the moment a new public function lands untested.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import pkgutil
import re

import pytest

import course_pkg

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Modules that need optional heavy dependencies at import time are still
# importable here (torch is only imported inside functions).
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(course_pkg.__path__, prefix="course_pkg.")
    if not m.name.endswith("__main__")
)


def _test_corpus() -> str:
    texts = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name != "test_api_coverage.py":
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


CORPUS = _test_corpus()


def test_every_module_declares_all():
    missing = []
    for name in MODULES:
        module = importlib.import_module(name)
        if not name.rsplit(".", 1)[-1].startswith("_") and not hasattr(module, "__all__"):
            if module.__name__ != "course_pkg" and not hasattr(module, "__path__"):
                missing.append(name)
    assert not missing, f"modules without __all__ (declare the public API): {missing}"


@pytest.mark.parametrize("module_name", MODULES)
def test_public_names_are_tested(module_name):
    module = importlib.import_module(module_name)
    untested = [
        name
        for name in getattr(module, "__all__", [])
        if inspect.isfunction(getattr(module, name, None))
        and not re.search(rf"\b{re.escape(name)}\b", CORPUS)
    ]
    assert not untested, (
        f"{module_name} exports {untested} but no test mentions them; "
        "add a test that calls each one."
    )
