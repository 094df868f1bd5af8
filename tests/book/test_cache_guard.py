"""scripts/cache_guard.py clears the book's execution cache when course_pkg changes."""

from __future__ import annotations

import importlib.util
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load():
    path = ROOT / "scripts" / "cache_guard.py"
    spec = importlib.util.spec_from_file_location("cache_guard", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cache_kept_when_unchanged_and_cleared_when_package_changes(tmp_path, monkeypatch):
    guard = _load()
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "course_pkg", root / "course_pkg",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "requirements.lock").write_text("numpy==2.0\n")
    monkeypatch.setattr(guard, "ROOT", root)
    cache = tmp_path / "cache"
    build = tmp_path / "_build"
    args = ["--cache", str(cache), "--build", str(build)]

    assert guard.main(args) == 0  # first build: stamp written
    (cache / "executed.db").write_text("results")
    (build / ".doctrees").mkdir(parents=True)
    assert guard.main(args) == 0  # unchanged: cache and environment kept
    assert (cache / "executed.db").exists()
    assert (build / ".doctrees").exists()

    module = root / "course_pkg" / "experiments" / "agreement.py"
    module.write_text(module.read_text() + "\n# a changed default\n")
    assert guard.main(args) == 0  # changed: cache and environment cleared
    assert not (cache / "executed.db").exists()
    assert not (build / ".doctrees").exists()
    assert (cache / guard.STAMP_NAME).read_text().strip() == guard.source_hash(root)


def test_hash_depends_on_content_not_on_timestamps(tmp_path):
    guard = _load()
    root = tmp_path / "repo"
    (root / "course_pkg").mkdir(parents=True)
    (root / "course_pkg" / "a.py").write_text("x = 1\n")
    (root / "requirements.lock").write_text("")
    first = guard.source_hash(root)
    (root / "course_pkg" / "a.py").write_text("x = 1\n")
    assert guard.source_hash(root) == first
    (root / "course_pkg" / "a.py").write_text("x = 2\n")
    assert guard.source_hash(root) != first
