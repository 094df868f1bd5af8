"""Shared test configuration.

* ``torch``-marked tests need PyTorch. Without it they are skipped, unless
  ``COURSE_REQUIRE_TORCH=1`` (set by ``.ci/run``), in which case they fail:
  CI must run the live comparisons. The golden fixtures in
  ``tests/fixtures/`` keep the numerics checked on machines without torch.
* ``browser``-marked tests need Debian's chromium at /usr/bin/chromium;
  ``COURSE_REQUIRE_BROWSER=1`` turns a missing browser into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
CHROMIUM = pathlib.Path("/usr/bin/chromium")

HAVE_TORCH = importlib.util.find_spec("torch") is not None
REQUIRE_TORCH = os.environ.get("COURSE_REQUIRE_TORCH") == "1"
REQUIRE_BROWSER = os.environ.get("COURSE_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config, items):
    # With COURSE_REQUIRE_TORCH=1 nothing is skipped: a torch test then fails
    # on its `import torch`, which is the point.
    for item in items:
        if "torch" in item.keywords and not HAVE_TORCH and not REQUIRE_TORCH:
            item.add_marker(pytest.mark.skip(
                reason="torch not installed (pip install torch==2.13.0); "
                       "golden fixtures still check the numerics"))
        if "browser" in item.keywords and not CHROMIUM.exists() and not REQUIRE_BROWSER:
            item.add_marker(pytest.mark.skip(
                reason="/usr/bin/chromium missing (apt-get install chromium)"))


@pytest.fixture
def rng():
    """A seeded generator, fresh for every test."""
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def fixtures_dir():
    return FIXTURES
