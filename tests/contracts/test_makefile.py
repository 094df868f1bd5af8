"""`make help` lists every target of the Makefile, one line each."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest


def test_make_help_lists_every_target(root):
    text = (root / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):(?!=)", text, re.M))
    assert {"help", "env", "assignments", "lint", "test-fast", "test", "book"} <= targets
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-s", "help"], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    listed = [re.match(r"make ([\w-]+)\s+\S", line) for line in out.splitlines()]
    assert all(listed), f"a help line does not read 'make TARGET  what it does': {out}"
    names = [m.group(1) for m in listed]
    assert len(names) == len(set(names))
    assert set(names) == targets
