"""Generate the instructor source notebooks from the assignments' jupytext sources.

Each assignment is written once, as real Python, in jupytext's percent
format: ``assignments/<id>/<id>.py``. A ``# %% [markdown]`` line opens a
markdown cell, a ``# %%`` line a code cell, and nbgrader's cell metadata
sits on that line, e.g.::

    # %% nbgrader={"grade": true, "grade_id": "test_forget_gate_shape", ...}

Solution cells keep ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and hidden
tests ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``, exactly as
nbgrader expects. :func:`build_notebook` reads a source and returns the
notebook: the course's kernel metadata, stable cell ids, and a first
"generated from ..." banner cell for instructors (removed from every
student version). :func:`build_all` writes ``<out>/<id>/<id>.ipynb`` for
every source, or with ``check=True`` only lists the stale ones.
"""

from __future__ import annotations

import json
import os
import pathlib

import nbformat

from .nbconfig import BANNER_ID

__all__ = ["BANNER", "build_all", "build_notebook", "cell_ids", "render"]

#: The first cell of every generated notebook (the instructor source).
BANNER = ("*Generated from `assignments/{aid}/{aid}.py`: edit that file, then run "
          "`make assignments`. Do not edit this notebook by hand.*")

NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

#: Cell metadata that only records jupytext's layout of the .py file.
JUPYTEXT_LAYOUT = ("lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker")


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def cell_ids(cells) -> list[str]:
    """Stable, readable cell ids.

    An nbgrader cell's id is its ``grade_id``; the others are named after
    their role: ``header`` (first markdown cell), ``imports`` (first code
    cell), ``about-<f>`` before the solution cell of ``f``, ``tests-<f>``
    before its first test, ``scratch-md`` and ``scratch`` for the ungraded
    scratch space; any other cell is ``cell-<k>``.
    """
    ids: list[str] = []
    last_solution = None
    for k, cell in enumerate(cells):
        following = cells[k + 1] if k + 1 < len(cells) else None
        meta = _nbgrader(cell)
        if meta.get("grade_id"):
            cid = meta["grade_id"]
            if meta.get("solution"):
                last_solution = cid
        elif cell.cell_type == "markdown" and "header" not in ids:
            cid = "header"
        elif cell.cell_type == "code" and "imports" not in ids:
            cid = "imports"
        elif cell.cell_type == "markdown" and cell.source.startswith("## Scratch space"):
            cid = "scratch-md"
        elif cell.cell_type == "code" and ids and ids[-1] == "scratch-md":
            cid = "scratch"
        elif following is not None and _nbgrader(following).get("solution"):
            cid = f"about-{_nbgrader(following)['grade_id']}"
        elif following is not None and _nbgrader(following).get("grade") and last_solution:
            cid = f"tests-{last_solution}"
        else:
            cid = f"cell-{k}"
        if cid in ids:
            raise ValueError(f"two cells would have the id {cid!r}: give each graded cell "
                             "a unique grade_id")
        ids.append(cid)
    return ids


def build_notebook(source: str | os.PathLike) -> nbformat.NotebookNode:
    """The instructor notebook of the jupytext source ``assignments/<id>/<id>.py``."""
    import jupytext

    source = pathlib.Path(source)
    aid = source.stem
    nb = jupytext.read(source, fmt="py:percent")
    cells = []
    for cell in nb.cells:
        for key in JUPYTEXT_LAYOUT:
            cell.metadata.pop(key, None)
        cells.append(cell)
    banner = nbformat.v4.new_markdown_cell(BANNER.format(aid=aid))
    cells = [banner, *cells]
    for cell, cid in zip(cells, [BANNER_ID, *cell_ids(cells[1:])], strict=True):
        cell.id = cid
    out = nbformat.v4.new_notebook()
    out.metadata = json.loads(json.dumps(NOTEBOOK_METADATA))
    out.cells = cells
    nbformat.validate(out)
    return out


def render(nb: nbformat.NotebookNode) -> str:
    """The notebook's JSON text: sorted keys, one-space indent, final newline."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def build_all(sources: str | os.PathLike, out: str | os.PathLike, *,
              check: bool = False) -> tuple[list[pathlib.Path], list[pathlib.Path]]:
    """Build ``out/<id>/<id>.ipynb`` from every ``sources/<id>/<id>.py``.

    Returns ``(written, stale)``: with ``check=True`` nothing is written and
    ``stale`` lists the notebooks that are missing or differ from their
    source, plus generated notebooks whose source no longer exists.
    """
    sources, out = pathlib.Path(sources), pathlib.Path(out)
    paths = sorted(p for p in sources.glob("*/*.py") if p.stem == p.parent.name)
    if not paths:
        raise FileNotFoundError(f"no assignment sources <id>/<id>.py in {sources}")
    written, stale = [], []
    for src in paths:
        text = render(build_notebook(src))
        target = out / src.stem / f"{src.stem}.ipynb"
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if check:
            stale.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".ipynb.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    ids = {p.stem for p in paths}
    stale += [p for p in sorted(out.glob("*/*.ipynb")) if p.stem not in ids]
    return written, stale
