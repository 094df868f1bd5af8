"""scripts/execute_book.py: which chapters it executes, and in which order (no execution)."""

from __future__ import annotations

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("execute_book",
                                                  ROOT / "scripts" / "execute_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_toc_notebook_and_nothing_else():
    script = _script()
    found = script.notebooks(ROOT)
    assert found, "no chapter found"
    for path in found:
        assert "```{code-cell}" in path.read_text(encoding="utf8"), path
    names = {p.name for p in found}
    assert "08_gru.md" in names
    assert not any(n.startswith("appendix_") or n == "intro.md" for n in names)


def test_same_settings_as_the_book():
    cfg = _script().book_config(ROOT)
    assert cfg["mode"] == "cache"
    assert cfg["cache"] == ROOT / ".jupyter_cache"
    assert cfg["run_in_temp"] is False


def test_hints_name_existing_chapters():
    script = _script()
    for name, seconds in script.load_hints().items():
        assert (ROOT / name).is_file(), name
        assert seconds > 0
