"""``course export-student``: the student versions of the assignments, for the book."""

from __future__ import annotations

import pathlib

from .coursedir import packaged_assignments
from .errors import CourseError, progress, say
from .notebooks import read_notebook, student_version, write_notebook

__all__ = ["cmd_export_student"]


def cmd_export_student(args) -> int:
    """``course export-student --out DIR``: write DIR/<id>.ipynb without solutions."""
    source = pathlib.Path(args.source).resolve() if args.source else packaged_assignments()
    notebooks = sorted(source.glob("*/*.ipynb"))
    notebooks = [p for p in notebooks if p.stem == p.parent.name]
    if not notebooks:
        raise CourseError(f"no assignments found in {source} (expected <id>/<id>.ipynb).")
    out = pathlib.Path(args.out).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for nb_path in progress(notebooks, desc="export", unit="nb"):
        nb = student_version(read_notebook(nb_path))
        write_notebook(nb, out / nb_path.name)
        written.append(out / nb_path.name)
    say(f"Wrote {len(written)} student notebook(s) (no solutions, no hidden tests) to {out}:")
    for p in written:
        say(f"  {p.name}")
    return 0
