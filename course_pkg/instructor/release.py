"""``course release``: the student versions of the assignments, and their due dates.

``course release ID`` runs ``nbgrader generate_assignment`` (refused once
submissions exist: regenerating would delete ``release/ID`` and change the
source the submissions are graded against, nbgrader issue #1646).
``course release --all`` releases every assignment of the course with a
progress bar, keeping those that already have submissions.
``--due 2027-01-15T23:59`` stores the due date in the gradebook's
assignment table (nbgrader's ``duedate``, in UTC); a time without an offset
is a wall-clock time of ``--tz`` or of this computer's timezone
(:mod:`.timestamps`). The due date can be set or moved (``--due none``
clears it) after submissions exist: only the gradebook changes then.
Submissions later than the due date are flagged late in ``course export``;
nbgrader's late-submission plugin decides any penalty (none by default).
"""

from __future__ import annotations

import datetime as dt
import pathlib

from .coursedir import check_assignment, course_root, source_dir, submissions
from .errors import CourseError, progress, say
from .roster import has_gradebook, open_gradebook
from .timestamps import describe, parse_time, utc_naive

__all__ = ["cmd_release", "set_due_date"]


def _existing_submissions(root: pathlib.Path, aid: str) -> list[str]:
    existing = {f: submissions(root, aid, f) for f in ("submitted", "autograded", "feedback")}
    return [f"{f}/{s}/{aid}" for f, students in existing.items() for s in students]


def set_due_date(root: pathlib.Path, aid: str, due: dt.datetime | None) -> None:
    """Store ``due`` (aware; None clears it) as assignment ``aid``'s due date in the gradebook."""
    with open_gradebook(root) as gb:
        assignment = gb.update_or_create_assignment(aid)
        assignment.duedate = utc_naive(due) if due is not None else None
        gb.db.commit()


def due_date(root: pathlib.Path, aid: str) -> dt.datetime | None:
    """Assignment ``aid``'s due date (aware UTC), or None."""
    if not has_gradebook(root):
        return None
    from nbgrader.api import MissingEntry

    with open_gradebook(root) as gb:
        try:
            when = gb.find_assignment(aid).duedate
        except MissingEntry:
            return None
    return when.replace(tzinfo=dt.UTC) if when is not None else None


def _generate(root: pathlib.Path, aid: str) -> list[pathlib.Path]:
    """Run nbgrader generate_assignment for ``aid``; the files written."""
    from .nbgrader_driver import nbgrader_failure, run_nbgrader

    release = root / "release" / aid
    argv = ["generate_assignment", aid]
    if release.exists():
        argv.append("--force")
    code, lines = run_nbgrader(root, *argv)
    if code != 0:
        raise nbgrader_failure("generate_assignment", lines)
    return sorted(p.relative_to(root) for p in release.rglob("*") if p.is_file())


def _refusal(aid: str, found: list[str]) -> CourseError:
    return CourseError(
        f"refusing to regenerate {aid}: {len(found)} submission folder(s) exist "
        f"({', '.join(found[:5])}{' ...' if len(found) > 5 else ''}). Regenerating "
        f"would delete release/{aid} (nbgrader issue #1646) and change the source the "
        "submissions are graded against. Nothing was changed. To publish a corrected "
        f"version, give it a new id (e.g. {aid}_v2). To change only the due date: "
        f"course release {aid} --due DATE.")


def _parse_due(args) -> tuple[bool, dt.datetime | None]:
    """``(given, due)``: whether --due was given, and the date (None for ``none``)."""
    text = getattr(args, "due", None)
    if text is None:
        return False, None
    if text.strip().lower() in ("none", "clear", ""):
        return True, None
    return True, parse_time(text, getattr(args, "tz", None))


def cmd_release(args) -> int:
    """``course release ID [--due DATE]`` or ``course release --all``: see the module docstring."""
    root = course_root(args)
    given, due = _parse_due(args)
    tz = getattr(args, "tz", None)
    if getattr(args, "all", False):
        if args.assignment_id:
            raise CourseError("give either an assignment id or --all, not both.")
        if given:
            raise CourseError("--due with --all: assignments have different due dates; set "
                              "each with `course release ID --due DATE`.")
        return _release_all(root)
    if not args.assignment_id:
        raise CourseError("which assignment? Give its id (course release 01_forget_gate) "
                          "or --all.")
    aid = args.assignment_id
    check_assignment(root, aid)
    found = _existing_submissions(root, aid)
    if found and not given:
        raise _refusal(aid, found)
    if found:
        set_due_date(root, aid, due)
        say(f"{aid} has {len(found)} submission folder(s): not regenerated. Due date set to "
            f"{describe(due, tz)} in {root / 'gradebook.db'}.")
        say("Late flags in `course export` follow it; autograde again (--force) to recompute "
            "nbgrader's late penalties, if you use them.")
        return 0
    if (root / "release" / aid).exists():
        say(f"Replacing the existing release {root / 'release' / aid} (no submissions yet).")
    say(f"Generating the student version of {aid} (nbgrader generate_assignment, a few "
        "seconds) ...")
    files = _generate(root, aid)
    say(f"Released {aid}: student version in {root / 'release' / aid}")
    for f in files:
        say(f"  {f}")
    say("It has no solutions and no hidden tests; the gradebook records the source checksums.")
    if given:
        set_due_date(root, aid, due)
        say(f"Due: {describe(due, tz)} (stored in the gradebook; later submissions are "
            "flagged late in `course export`).")
    else:
        current = due_date(root, aid)
        say(f"Due: {describe(current, tz)}" if current else
            f"No due date set (course release {aid} --due 2027-01-15T23:59 sets one).")
    return 0


def _release_all(root: pathlib.Path) -> int:
    ids = sorted(p.name for p in source_dir(root).iterdir() if (p / f"{p.name}.ipynb").exists())
    if not ids:
        raise CourseError(f"no assignments in {source_dir(root)}.")
    released, kept, failed = [], [], []
    bar = progress(ids, desc="release", unit="assignment")
    for aid in bar:
        bar.set_postfix_str(aid)
        found = _existing_submissions(root, aid)
        if found:
            kept.append((aid, len(found)))
            continue
        try:
            files = _generate(root, aid)
        except CourseError as exc:
            failed.append((aid, str(exc)))
            continue
        released.append(aid)
        bar.write(f"Released {aid}: {', '.join(str(f) for f in files)}")
    say(f"Released {len(released)} of {len(ids)} assignments into {root / 'release'}/"
        + (f": {', '.join(released)}" if released else ""))
    for aid, n in kept:
        say(f"  kept {aid}: it has {n} submission folder(s); regenerating would change what "
            "they are graded against")
    for aid, why in failed:
        say(f"  FAILED {aid}: {why}")
    say("Set due dates with: course release ID --due 2027-01-15T23:59")
    return 2 if failed else 0
