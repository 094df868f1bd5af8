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
import time
from collections.abc import Callable, Sequence

import nbformat

from .coursedir import check_assignment, course_root, submissions
from .errors import CourseError, progress, say
from .notebooks import BEGIN_HIDDEN, read_notebook

__all__ = ["cmd_autograde", "cmd_feedback", "nbgrader_failure", "run_nbgrader"]


def run_nbgrader(root: pathlib.Path, *argv: str, progress_total: int = 0,
                 progress_pattern: str | None = None,
                 on_line: Callable[[str], None] | None = None) -> tuple[int, list[str]]:
    """Run nbgrader in ``root``; return its exit code and log lines (``on_line`` sees each)."""
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
        if on_line is not None:
            on_line(line)
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


def _scores(root: pathlib.Path, aid: str,
            students: Sequence[str]) -> list[tuple[str, float, float]]:
    from nbgrader.api import MissingEntry

    from .parallel import open_gradebook

    out = []
    with open_gradebook(root) as gb:
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


def _select_students(root: pathlib.Path, aid: str, wanted: Sequence[str] | None) -> list[str]:
    collected = submissions(root, aid)
    students = collected
    if wanted:
        unknown = sorted(set(wanted) - set(collected))
        if unknown:
            raise CourseError(
                f"unknown student(s) {', '.join(unknown)}: no submission of {aid} in "
                f"{root / 'submitted'} (collected: {', '.join(collected[:10]) or 'none'}"
                f"{', ...' if len(collected) > 10 else ''}).")
        students = [s for s in collected if s in wanted]
    if not students:
        raise CourseError(f"no submissions of {aid} in {root / 'submitted'}; run "
                          f"`course collect {aid} PATH` first.")
    return students


def _grade(root: pathlib.Path, aid: str, todo: list[str], payloads: dict, args,
           jobs: int) -> tuple[list[str], dict[str, str]]:
    """Grade ``todo`` (locally or on Dask); store each result; ``(graded, failures)``."""
    from .parallel import grade_locally, write_result

    graded: list[str] = []
    failures: dict[str, str] = {}
    if not todo:
        return graded, failures
    bar = progress(None, total=len(todo), unit="nb", desc="grading")

    def on_result(result: dict) -> None:
        if result["error"] is not None:
            failures[result["student"]] = result["error"]
        else:
            write_result(root, aid, result)
            graded.append(result["student"])
        bar.update(1)

    work = [payloads[s] for s in todo]
    try:
        if args.dask:
            from .dask_backend import grade_on_cluster

            grade_on_cluster(args.dask, work, on_result)
        else:
            grade_locally(work, jobs, on_result)
    except KeyboardInterrupt:
        bar.close()
        say(f"Interrupted: {len(graded)} of {len(todo)} submission(s) graded and kept; "
            f"run the same command again to continue.")
        raise
    finally:
        bar.close()
    return graded, failures


def _record(root: pathlib.Path, aid: str, students: list[str], args, jobs: int) -> list[str]:
    """nbgrader autograde over ``students`` only, from the stored results; its log lines.

    nbgrader's own bookkeeping (restoring cells, the gradebook) costs about as much
    per notebook as the grading: with ``jobs > 1`` it runs in ``jobs`` nbgrader
    processes on disjoint shards of the students, at the same time (short
    transactions on the same gradebook; SQLite serialises them, PostgreSQL runs them
    side by side). A shard that fails (a locked SQLite database, say) is recorded
    again on its own afterwards; every student is marked recorded only once its
    shard succeeded, so an interrupted recording is redone by the next run.
    """
    import threading

    from .parallel import STATE_DIR, mark_pending, mark_recorded

    collected = set(submissions(root, aid))
    base = ["autograde", aid, "--force", f"--TrustedExecute.course_root={root}",
            f"--TrustedExecute.timeout={args.timeout}",
            f"--TrustedExecute.results_dir={root / STATE_DIR / aid}"]
    if args.no_sandbox:
        base.append("--TrustedExecute.sandbox=False")

    def argv(shard: list[str]) -> list[str]:
        others = sorted(collected - set(shard))
        return base + (["--CourseDirectory.student_id_exclude=" + ",".join(others)]
                       if others else [])

    mark_pending(root, aid, students)
    shards = [students[k::jobs] for k in range(min(jobs, len(students)))]
    bar = progress(None, total=len(students), unit="nb", desc="recording")
    lock = threading.Lock()
    outcome: dict[int, tuple[int, list[str]]] = {}

    def run(k: int) -> None:
        def tick(line: str) -> None:
            if re.search(r"Graded \S+ of ", line):
                with lock:
                    bar.update(1)
        outcome[k] = run_nbgrader(root, *argv(shards[k]), on_line=tick)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(shards))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bar.close()
    lines: list[str] = []
    for k, shard in enumerate(shards):
        code, shard_lines = outcome.get(k, (1, ["the recording thread died"]))
        if code != 0:  # once more, alone
            code, shard_lines = run_nbgrader(root, *argv(shard))
            if code != 0:
                raise nbgrader_failure("autograde", shard_lines)
        mark_recorded(root, aid, shard)
        lines.extend(shard_lines)
    return lines


def cmd_autograde(args) -> int:
    """``course autograde ID``: trusted grading in parallel, recorded by nbgrader, a summary.

    The submissions are graded in ``-j`` local processes or on a Dask cluster
    (``--dask``), each result stored as it arrives; nbgrader then records them
    all in the gradebook (:mod:`.parallel`). A run that is interrupted continues
    where it stopped. Every test cell ends with a score and a reason: the summary
    lists the students whose code timed out, crashed, changed a test cell or
    handed in an unreadable notebook, and any submission that could not be graded.
    """
    from .parallel import default_jobs, gradebook_url, plan

    root = course_root(args)
    aid = args.assignment_id
    source_nb = check_assignment(root, aid)
    students = _select_students(root, aid, args.student)
    if not (root / "release" / aid).exists():
        raise CourseError(f"{aid} was never released in {root}; run `course release {aid}`.")
    if args.timeout <= 0:
        raise CourseError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    jobs = getattr(args, "jobs", None) or default_jobs()
    if jobs < 1:
        raise CourseError(f"-j/--jobs must be at least 1, got {jobs}")
    dask = getattr(args, "dask", None)
    args.dask = dask
    if args.no_sandbox:
        say("WARNING: --no-sandbox: the students' code runs unconfined, with your user's "
            "rights, network and files. Use it only to debug the grader.")
    unreadable = _quarantine_unreadable(root, aid, students)
    todo = plan(root, aid, students, timeout=args.timeout, sandbox=not args.no_sandbox,
                force=args.force)
    where = (f"on the Dask cluster {dask}" if dask
             else f"in {jobs} parallel worker(s)" if jobs > 1 else "one after the other")
    say(f"Autograding {len(students)} submission(s) of {aid}: {len(todo.grade)} to grade "
        f"{where}, each in the grading sandbox with {args.timeout:g} s per call of a "
        f"student's function" + (f"; {len(todo.record)} graded earlier, to record"
                                 if todo.record else "")
        + (f"; {len(todo.done)} already autograded, skipped (--force to regrade)"
           if todo.done else "") + ".")
    start = time.perf_counter()
    graded, failures = _grade(root, aid, todo.grade, todo.payloads, args, jobs)
    grading_seconds = time.perf_counter() - start
    to_record = sorted(todo.record + graded)
    lines = _record(root, aid, to_record, args, jobs) if to_record else []
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
    url = gradebook_url(root)
    for s, score, max_score in _scores(root, aid, [s for s in students if s not in failures]):
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
    for s in todo.missing:
        if s not in unreadable:
            problems.setdefault("no notebook", []).append(s)
    for note in notes:
        say(f"  note: {note}")
    for status, who in sorted(problems.items()):
        say(f"  {status}: {len(who)} student(s): {', '.join(sorted(who))}")
    total = time.perf_counter() - start
    say(f"Done in {total:.1f} s: {len(graded)} graded"
        + (f" ({grading_seconds / len(graded):.2f} s per notebook of grading {where})"
           if graded else "")
        + f", {len(to_record)} recorded in the gradebook, {len(todo.done)} skipped "
        f"(already autograded), {len(failures)} failed.")
    for s, reason in sorted(failures.items()):
        say(f"  NOT GRADED {s}: {reason}")
    where_db = root / "gradebook.db" if url.startswith("sqlite") else _redact(url)
    say(f"Autograded notebooks are in {root / 'autograded'}/<student>/{aid}/; scores are in "
        f"{where_db}. Next: course feedback {aid}")
    if failures:
        say(f"{len(failures)} submission(s) could not be graded (listed above); fix the cause "
            "and run the same command again: only they are graded.")
        return 1
    return 0


def _redact(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


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
