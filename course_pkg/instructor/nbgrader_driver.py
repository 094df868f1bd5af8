"""The commands that run nbgrader: autograde and feedback (release: release.py, export: export.py).

Each runs ``python -m nbgrader ... --CourseDirectory.root=DIR`` as a
subprocess in the course directory (:func:`run_nbgrader`) and reports what
it did and where the results are, in the course's own words (nbgrader's log
is summarised, its expected warnings explained).
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Sequence

import nbformat

from .coursedir import check_assignment, course_root, submissions
from .errors import CourseError, progress, say
from .notebooks import BEGIN_HIDDEN, read_notebook

__all__ = ["cmd_autograde", "cmd_feedback", "nbgrader_failure", "run_nbgrader"]


def run_nbgrader(root: pathlib.Path, *argv: str, progress_total: int = 0,
                 progress_pattern: str | None = None) -> tuple[int, list[str]]:
    """Run nbgrader in ``root``; return its exit code and log lines."""
    cmd = [sys.executable, "-m", "nbgrader", *argv, f"--CourseDirectory.root={root}"]
    env = dict(os.environ)
    # nbgrader runs `alembic` (its database migrations) from PATH: use this environment's
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1, env=env)
    lines = []
    bar = progress(None, total=progress_total, unit="nb") if progress_total else None
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if bar is not None and progress_pattern and re.search(progress_pattern, line):
            bar.update(1)
    code = proc.wait()
    if bar is not None:
        bar.close()
    return code, lines


def nbgrader_failure(what: str, lines: list[str]) -> CourseError:
    """A CourseError quoting the error lines (or the tail) of nbgrader's log."""
    errors = [ln for ln in lines if "ERROR" in ln or "Error" in ln] or lines[-15:]
    return CourseError(f"nbgrader {what} failed:\n  " + "\n  ".join(errors[-15:]))


def _hidden_cells(source_nb: pathlib.Path) -> set[str]:
    nb = read_notebook(source_nb)
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if BEGIN_HIDDEN in c.source and "nbgrader" in c.metadata}


def _scores(
    root: pathlib.Path, aid: str, students: Sequence[str]
) -> list[tuple[str, float, float]]:
    from nbgrader.api import Gradebook, MissingEntry

    out = []
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for s in students:
            try:
                sub = gb.find_submission(aid, s)
            except MissingEntry:
                continue
            out.append((s, float(sub.score), float(sub.max_score)))
    return out


def _quarantine_unreadable(root: pathlib.Path, aid: str,
                           students: Sequence[str]) -> dict[str, str]:
    """Move unreadable submitted notebooks aside (kept, renamed); ``student -> reason``.

    nbgrader then finds no notebook for them and records 0 for every test,
    a definite score instead of an aborted run; the file is kept next to
    where it was, as ``<id>.ipynb.unreadable``, for the instructor to look at.
    """
    bad = {}
    for s in students:
        path = root / "submitted" / s / aid / f"{aid}.ipynb"
        if not path.exists():
            continue
        try:
            nbformat.validate(nbformat.read(path, as_version=4))
        except Exception as err:  # any way of not being a notebook
            kept = path.with_name(path.name + ".unreadable")
            path.replace(kept)
            bad[s] = f"unreadable notebook ({type(err).__name__}: {str(err)[:120]}); kept as {kept}"
    return bad


def _test_statuses(root: pathlib.Path, aid: str, student: str) -> dict[str, list[str]]:
    """``status -> [test cell ids]`` for the tests that did not pass, from the graded notebook."""
    from .trusted_execute import ENAME_STATUS

    path = root / "autograded" / student / aid / f"{aid}.ipynb"
    if not path.exists():
        return {}
    out: dict[str, list[str]] = {}
    for cell in read_notebook(path).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                out.setdefault(ENAME_STATUS.get(o.get("ename"), "failed"), []).append(grade_id)
    return out


def cmd_autograde(args) -> int:
    """``course autograde ID``: trusted grading through nbgrader, then a summary.

    Every test cell ends with a score and a reason: the summary lists the
    students whose code timed out, crashed, changed a test cell or handed in
    an unreadable notebook.
    """
    root = course_root(args)
    aid = args.assignment_id
    source_nb = check_assignment(root, aid)
    collected = submissions(root, aid)
    students = collected
    if args.student:
        unknown = sorted(set(args.student) - set(collected))
        if unknown:
            raise CourseError(
                f"unknown student(s) {', '.join(unknown)}: no submission of {aid} in "
                f"{root / 'submitted'} (collected: {', '.join(collected[:10]) or 'none'}"
                f"{', ...' if len(collected) > 10 else ''}).")
        students = [s for s in collected if s in args.student]
    if not students:
        raise CourseError(f"no submissions of {aid} in {root / 'submitted'}; run "
                          f"`course collect {aid} PATH` first.")
    if not (root / "release" / aid).exists():
        raise CourseError(f"{aid} was never released in {root}; run `course release {aid}`.")
    if args.timeout <= 0:
        raise CourseError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    if args.no_sandbox:
        say("WARNING: --no-sandbox: the students' code runs unconfined, with your user's "
            "rights, network and files. Use it only to debug the grader.")
    unreadable = _quarantine_unreadable(root, aid, students)
    argv = ["autograde", aid, f"--TrustedExecute.course_root={root}",
            f"--TrustedExecute.timeout={args.timeout}"]
    if args.no_sandbox:
        argv.append("--TrustedExecute.sandbox=False")
    if args.student:
        argv.append("--student=" + ",".join(students))
    if args.force:
        argv.append("--force")
    say(f"Autograding {len(students)} submission(s) of {aid}, each in the grading sandbox "
        f"with {args.timeout:g} s per call of a student's function.")
    code, lines = run_nbgrader(root, *argv, progress_total=len(students),
                               progress_pattern=r"Graded \S+ of |Skipping existing")
    if code != 0:
        raise nbgrader_failure("autograde", lines)
    notes = []
    current = "?"
    hidden = _hidden_cells(source_nb)
    for line in lines:
        m = re.search(r"submitted/([^/\s]+)/" + re.escape(aid), line)
        if m:
            current = m.group(1)
        m = re.search(r"Attribute '(\w+)' for cell (\S+) has changed", line)
        if m and m.group(2) not in hidden:
            notes.append(f"{current}: the {m.group(1)} of locked cell {m.group(2)} was "
                         "changed; nbgrader restored it from the source")
    problems: dict[str, list[str]] = {}
    for s, score, max_score in _scores(root, aid, students):
        statuses = _test_statuses(root, aid, s)
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(statuses.items())
                           if k != "failed")
        say(f"  {s:<20} {score:g} / {max_score:g}" + (f"   ({detail})" if detail else ""))
        for status in statuses:
            if status != "failed":
                problems.setdefault(status, []).append(s)
    for s, reason in unreadable.items():
        say(f"  {s:<20} 0: {reason}")
        problems.setdefault("unreadable notebook", []).append(s)
    for note in notes:
        say(f"  note: {note}")
    for status, who in sorted(problems.items()):
        say(f"  {status}: {len(who)} student(s): {', '.join(sorted(who))}")
    say(f"Autograded notebooks are in {root / 'autograded'}/<student>/{aid}/; scores are in "
        f"{root / 'gradebook.db'}. Next: course feedback {aid}")
    return 0


def cmd_feedback(args) -> int:
    """``course feedback ID``: nbgrader generate_feedback (hidden tests removed)."""
    root = course_root(args)
    aid = args.assignment_id
    check_assignment(root, aid)
    students = submissions(root, aid, "autograded")
    if not students:
        raise CourseError(f"nothing autograded for {aid}; run `course autograde {aid}` first.")
    argv = ["generate_feedback", aid]
    if args.force:
        argv.append("--force")
    code, lines = run_nbgrader(root, *argv, progress_total=len(students),
                            progress_pattern=r"Converting notebook")
    if code != 0:
        raise nbgrader_failure("generate_feedback", lines)
    files = sorted((root / "feedback").glob(f"*/{aid}/*.html"))
    say(f"Wrote {len(files)} feedback file(s) for {aid} (hidden tests removed):")
    for f in files:
        say(f"  {f}")
    return 0
