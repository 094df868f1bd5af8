"""The ``course`` command: one documented command per step of the grading workflow.

Instructor (on a course directory made by ``course init``, nbgrader's layout)::

    course init ~/lstm-course              # course directory outside the repository
    course --course-dir ~/lstm-course release 01_forget_gate --due 2027-01-15T23:59
    course --course-dir ~/lstm-course collect 01_forget_gate submissions.zip
    course --course-dir ~/lstm-course autograde 01_forget_gate   # -j N, --dask tcp://...
    course --course-dir ~/lstm-course feedback 01_forget_gate
    course --course-dir ~/lstm-course export --csv grades.csv  # --format canvas|moodle|...
    course --course-dir ~/lstm-course report 01_forget_gate
    course gradescope 01_forget_gate       # a Gradescope autograder zip

Student and book::

    course check 01_forget_gate.ipynb      # run the visible tests, exit 1 on failure
    course export-student --out book/_student

``--course-dir`` defaults to ``$COURSE_DIR`` or the current directory. Every
step says what it did and where the results are. nbgrader runs as a
subprocess (``python -m nbgrader ... --CourseDirectory.root=DIR``).

This module parses the arguments and dispatches; each command lives in the
module of its concept (see :mod:`course_pkg.instructor`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from .errors import CourseError

__all__ = ["build_parser", "main"]


def _command(module: str, name: str) -> Callable[..., int]:
    """``module.name``, imported when the command runs: `course --help` and a mistyped
    command answer at once, without loading nbformat and nbgrader."""

    def resolve() -> Callable[..., int]:
        return getattr(importlib.import_module(f".{module}", __package__), name)

    def run(args) -> int:
        return resolve()(args)

    run.__name__ = name
    run.resolve = resolve
    return run


cmd_init = _command("coursedir", "cmd_init")
cmd_release = _command("release", "cmd_release")
cmd_collect = _command("collect", "cmd_collect")
cmd_autograde = _command("nbgrader_driver", "cmd_autograde")
cmd_feedback = _command("nbgrader_driver", "cmd_feedback")
cmd_export = _command("export", "cmd_export")
cmd_check = _command("selfcheck", "cmd_check")
cmd_export_student = _command("student_export", "cmd_export_student")
cmd_gradescope = _command("gradescope", "cmd_gradescope")
cmd_report = _command("report", "cmd_report")


def build_parser() -> argparse.ArgumentParser:
    """The ``course`` argument parser, one sub-command per step of the workflow."""
    parser = argparse.ArgumentParser(
        prog="course", description="Release, collect, autograde and check the course's "
        "nbgrader assignments.", epilog="Instructor guide: docs/instructors.md")
    parser.add_argument("--course-dir", default=os.environ.get("COURSE_DIR", "."),
                        help="course directory made by `course init` (default: $COURSE_DIR "
                             "or the current directory)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("init", help="create a course directory outside the repository")
    p.add_argument("dir")
    p.add_argument("--copy", action="store_true",
                   help="copy the source notebooks instead of linking to them")
    p.add_argument("--course-id", default="lstm-attention")
    p.add_argument("--source", help="folder of <id>/<id>.ipynb instructor notebooks "
                   "(default: the ones installed with course_pkg)")
    p.add_argument("--db", metavar="URL",
                   help="gradebook database (nbgrader's db_url), e.g. "
                        "postgresql://grader@dbhost/course for several graders or machines "
                        "(default: sqlite gradebook.db in the course directory)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("release", help="generate the student version of an assignment")
    p.add_argument("assignment_id", nargs="?")
    p.add_argument("--all", action="store_true",
                   help="release every assignment (those with submissions are kept)")
    p.add_argument("--due", metavar="DATE", help="due date, ISO 8601: 2027-01-15T23:59 "
                   "(local time, or --tz), 2027-01-15T23:59+01:00; 'none' clears it")
    p.add_argument("--tz", metavar="ZONE", help="timezone of a --due without an offset "
                   "(IANA name, e.g. Europe/Paris; default: this computer's)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("collect", help="copy submissions (folder or zip) into submitted/",
                       description="Copy hand-ins into submitted/<student>/<id>/. Layouts: "
                       "<student>/<id>/<id>.ipynb, <student>/<id>.ipynb, <student>_<id>.ipynb, "
                       "Canvas and Moodle bulk downloads. Exit code 3 if anything was skipped.")
    p.add_argument("assignment_id")
    p.add_argument("path", help="folder or .zip of hand-ins")
    p.add_argument("--map", metavar="CSV", help="class list mapping LMS ids, names and emails "
                   "to student ids (default: <course>/students.csv if it exists)")
    p.add_argument("--tz", metavar="ZONE", help="timezone of the zip's file times when the zip "
                   "does not say (IANA name, e.g. Europe/Paris; default: local time)")
    p.add_argument("--replace", action="store_true",
                   help="replace collected submissions even by older ones (the earlier one is "
                        "kept under superseded/)")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("autograde", help="autograde the collected submissions")
    p.add_argument("assignment_id")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--force", action="store_true", help="regrade already autograded ones")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds one call of a student's function may take (default 10)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the students' code unconfined (debugging only)")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="grade in N parallel sandboxed workers (default: the number of "
                        "CPUs); an interrupted run continues where it stopped")
    p.add_argument("--dask", metavar="tcp://HOST:PORT",
                   help="grade on the workers of this Dask distributed scheduler instead")
    p.set_defaults(func=cmd_autograde)

    p = sub.add_parser("feedback", help="write the feedback HTML (hidden tests removed)")
    p.add_argument("assignment_id")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("export", help="export every grade to a CSV file",
                       description="Write the grades as CSV: long (one row per student and "
                       "assignment, with due date and late flags), wide (one row per student), "
                       "canvas or moodle (gradebook import files), detailed (one row per test "
                       "cell).")
    p.add_argument("--csv", required=True, metavar="FILE")
    p.add_argument("--format", default="long",
                   choices=("long", "wide", "canvas", "moodle", "detailed"),
                   help="default: long")
    p.add_argument("--roster", metavar="CSV", help="class list with LMS identities "
                   "(default: <course>/students.csv if it exists)")
    p.add_argument("--assignment", action="append", metavar="ID",
                   help="only this assignment (repeatable)")
    p.add_argument("--missing", choices=("blank", "zero"), default="blank",
                   help="the grade of a missing submission in wide/canvas/moodle "
                        "(default: blank, which an LMS import leaves unchanged)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("check", help="run a notebook's visible tests (exit 1 on failure)")
    p.add_argument("notebook")
    p.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("export-student",
                       help="write DIR/<id>.ipynb student versions for the book")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--source", help="folder of <id>/<id>.ipynb instructor notebooks "
                   "(default: the ones installed with course_pkg)")
    p.set_defaults(func=cmd_export_student)

    p = sub.add_parser("gradescope", help="build a Gradescope autograder zip of an assignment")
    p.add_argument("assignment_id")
    p.add_argument("--out", metavar="ZIP", help="zip file or folder (default: "
                   "./<id>_gradescope.zip)")
    p.add_argument("--force", action="store_true", help="replace an existing zip")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds one call of a student's function may take (default 10)")
    p.add_argument("--no-variants", action="store_true",
                   help="hidden tests use the notebook's fixed seeds for every student")
    p.add_argument("--source", help="folder of <id>/<id>.ipynb instructor notebooks "
                   "(default: the course directory's, else the ones installed)")
    p.set_defaults(func=cmd_gradescope)

    p = sub.add_parser("report", help="an HTML report of an autograded assignment")
    p.add_argument("assignment_id")
    p.add_argument("--out", metavar="DIR", help="folder for <id>.html (default: "
                   "<course dir>/reports)")
    p.add_argument("--book-url", help="the published book, for the re-teach links "
                   "(default: $COURSE_BOOK_URL, else the local _build/html)")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``course`` with ``argv``; return the exit code (2 for a CourseError)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CourseError as exc:
        print(f"course {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
