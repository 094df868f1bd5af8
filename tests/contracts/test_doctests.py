"""Every docstring example in course_pkg runs and prints what it claims.

The same check as ``python -m pytest --doctest-modules course_pkg``, collected
module by module with :mod:`pkgutil` so that a new module is picked up
automatically. Examples that need PyTorch (only :mod:`course_pkg.torch_interop`
may have them) are skipped when torch is not installed.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import numpy as np
import pytest

import course_pkg

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(course_pkg.__path__, prefix="course_pkg.")
)
HAVE_TORCH = importlib.util.find_spec("torch") is not None


def _examples(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = finder.find(module, module_name, globs={"np": np, **vars(module)})
    return [t for t in tests if t.examples]


def _needs_torch(test: doctest.DocTest) -> bool:
    return any("torch" in ex.source for ex in test.examples)


@pytest.mark.parametrize("module_name", ["course_pkg", *MODULES])
def test_docstring_examples(module_name):
    tests = _examples(module_name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in tests:
        if _needs_torch(test):
            assert module_name == "course_pkg.torch_interop", (
                f"{test.name} needs torch; only course_pkg.torch_interop may use it")
            if not HAVE_TORCH:
                continue
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_core_modules_have_examples():
    """The modules students read first show at least one runnable example."""
    for name in ("course_pkg.activations", "course_pkg.attention", "course_pkg.losses",
                 "course_pkg.optim", "course_pkg.dates", "course_pkg.gradcheck",
                 "course_pkg.lstm", "course_pkg.gru", "course_pkg.rnn"):
        assert _examples(name), f"{name} has no docstring example"
