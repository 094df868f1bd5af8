"""``course check``: run a notebook's visible tests in a fresh kernel, as a student would."""

from __future__ import annotations

import pathlib

from .coursedir import packaged_assignments
from .errors import CourseError, say
from .notebooks import execute, read_notebook, student_version, test_results
from .trusted import tampered_tests

__all__ = ["cmd_check"]


def cmd_check(args) -> int:
    """``course check NB``: exit 0 if every visible test passes, 1 otherwise."""
    path = pathlib.Path(args.notebook).expanduser().resolve()
    nb = read_notebook(path)
    if not any(c.metadata.get("nbgrader", {}).get("grade") for c in nb.cells):
        raise CourseError(f"{path} has no test cells: is it an assignment notebook?")
    released = packaged_assignments() / path.stem / f"{path.stem}.ipynb"
    if released.exists():  # a renamed copy ("...-Copy1") is not compared
        for reason in tampered_tests(student_version(read_notebook(released)), nb).values():
            say(f"WARNING: {reason}. Restore it from a fresh copy of the assignment.")
    say(f"Running {path.name} in a fresh kernel (your file is not modified)...")
    try:
        executed = execute(nb, cwd=path.parent, timeout=args.timeout)
    except Exception as exc:
        raise CourseError(f"could not run {path.name}: {type(exc).__name__}: {exc}") from None
    results = test_results(executed)
    visible = [r for r in results if not r.hidden or r.points < r.max_points]
    hidden = [r for r in results if r.hidden and r.points == r.max_points]
    for r in visible:
        mark = "PASS" if r.passed else "FAIL"
        say(f"{mark}  {r.grade_id}  ({r.points:g}/{r.max_points:g})")
        if not r.passed:
            for line in r.message.splitlines():
                say(f"      {line}")
    got = sum(r.points for r in visible)
    total = sum(r.max_points for r in visible)
    n_ok = sum(r.passed for r in visible)
    hidden_pts = sum(r.max_points for r in hidden)
    say(f"\n{n_ok} of {len(visible)} visible tests passed ({got:g} of {total:g} points).")
    if hidden:
        say(f"{len(hidden)} hidden test cell(s) ({hidden_pts:g} points) run when your "
            "notebook is graded.")
    return 0 if n_ok == len(visible) else 1
