"""``course export``: the grades as CSV, for a spreadsheet or for an LMS gradebook import.

Formats (``--format``):

``long`` (default)
    One row per student and assignment: nbgrader's own export columns
    (``assignment, duedate, timestamp, student_id, last_name, first_name,
    email, raw_score, late_submission_penalty, score, max_score``) and
    ``late`` (``yes``/``no``, empty without a submission or a due date) and
    ``hours_late``. Times are UTC, ISO 8601 with the offset written.
``wide``
    One row per student: ``student_id, last_name, first_name, email``, one
    column per assignment, ``total, max_total`` and ``late`` (the late
    assignments and by how much).
``canvas``
    Canvas's gradebook import CSV: ``Student, ID, SIS User ID, SIS Login
    ID, Section``, one column per assignment, and a ``Points Possible`` row
    first, as in a Canvas gradebook export. Canvas matches students on ``ID``
    (Canvas user id) or the SIS ids, so these come from the class list (or
    the Canvas user ids ``course collect`` read from a Canvas download); a
    column whose name is not a Canvas assignment becomes a new assignment.
``moodle``
    Moodle's grade import CSV, laid out as Moodle's own grade export:
    ``First name, Last name, ID number, Institution, Department, Email
    address``, one column per assignment; when importing, map ``Email
    address`` to ``useremail`` or ``ID number`` to ``useridnumber``.
``detailed``
    One row per submitted test cell: ``student_id, assignment, notebook,
    cell, score, max_score, status, reason`` where status is trusted
    grading's (passed, failed, timeout, crashed, error, tampered) read from
    the autograded notebook, and reason its message.

In ``wide``, ``canvas`` and ``moodle`` a missing submission is an empty
cell (an LMS import leaves it unchanged) or 0 with ``--missing zero``. The
file is written to a temporary name and renamed: an interrupted export never
leaves a half-written file. The exit code is 3 when the file is written but
some students cannot be matched by the LMS (no id in the class list).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import pathlib
import tempfile

from .coursedir import course_root
from .errors import CourseError, say
from .roster import Roster, Student, default_roster, has_gradebook, open_gradebook

__all__ = ["CANVAS_HEADER", "EXIT_INCOMPLETE", "FORMATS", "MOODLE_HEADER", "cmd_export",
           "gather", "render"]

#: Canvas: the identity columns of a gradebook import/export, in order
CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: the Student cell of the row of points possible, as Canvas writes it in an export
CANVAS_POINTS = "    Points Possible"
#: Moodle: the user fields of a grade export, the ones an import can map from
MOODLE_HEADER = ("First name", "Last name", "ID number", "Institution", "Department",
                 "Email address")
LONG_HEADER = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
               "email", "raw_score", "late_submission_penalty", "score", "max_score", "late",
               "hours_late")
DETAILED_HEADER = ("student_id", "assignment", "notebook", "cell", "score", "max_score",
                   "status", "reason")
FORMATS = ("long", "wide", "canvas", "moodle", "detailed")
EXIT_INCOMPLETE = 3


@dataclasses.dataclass
class Result:
    """One student's result for one assignment (``submitted`` False: no submission)."""

    student_id: str
    assignment: str
    max_score: float
    submitted: bool = False
    duedate: dt.datetime | None = None
    timestamp: dt.datetime | None = None
    raw_score: float = 0.0
    penalty: float = 0.0
    seconds_late: float = 0.0
    cells: list[tuple[str, str, float, float]] = dataclasses.field(default_factory=list)

    @property
    def score(self) -> float:
        """The score after nbgrader's late penalty (never below 0)."""
        return max(0.0, self.raw_score - self.penalty)

    @property
    def late(self) -> bool | None:
        """True/False when both a submission time and a due date are known, else None."""
        if not self.submitted or self.timestamp is None or self.duedate is None:
            return None
        return self.seconds_late > 0


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    return when.replace(tzinfo=dt.UTC) if when is not None and when.tzinfo is None else when


def gather(root: pathlib.Path, roster: Roster | None = None,
           only: list[str] | None = None) -> tuple[list[str], dict[str, float],
                                                    list[Student], list[Result]]:
    """Read the gradebook: ``(assignment ids, max scores, people, results)``.

    Assignments sorted by id; students from the gradebook and the
    class list, sorted by id; one :class:`Result` per student and assignment.
    """
    from nbgrader.api import MissingEntry

    if not has_gradebook(root):
        raise CourseError(f"no gradebook in {root}: release an assignment and autograde "
                          "some submissions first.")
    with open_gradebook(root) as gb:
        assignments = sorted(gb.assignments, key=lambda a: a.name)
        known = [a.name for a in assignments]
        if only:
            unknown = sorted(set(only) - set(known))
            if unknown:
                raise CourseError(f"unknown assignment(s) {', '.join(unknown)} in the gradebook "
                                  f"(it has: {', '.join(known) or 'none'}).")
            assignments = [a for a in assignments if a.name in only]
        # the gradebook's fields, completed by the class list
        people = {s.id: Student(s.id, first_name=s.first_name or "",
                                last_name=s.last_name or "", email=s.email or "",
                                lms_id=s.lms_user_id or "") for s in gb.students}
        if roster is not None:
            for r in roster.students:
                p = people.setdefault(r.student_id, Student(r.student_id))
                for f in dataclasses.fields(Student):
                    if getattr(r, f.name):
                        setattr(p, f.name, getattr(r, f.name))
        maxes = {a.name: float(a.max_score) for a in assignments}
        results = []
        for a in assignments:
            for sid in sorted(people):
                res = Result(sid, a.name, maxes[a.name], duedate=_aware(a.duedate))
                try:
                    sub = gb.find_submission(a.name, sid)
                except MissingEntry:
                    results.append(res)
                    continue
                res.submitted = True
                res.timestamp = _aware(sub.timestamp)
                res.duedate = _aware(sub.duedate)  # with the student's extension, if any
                res.raw_score = float(sub.score)
                res.penalty = float(sub.late_submission_penalty or 0.0)
                res.seconds_late = float(sub.total_seconds_late)
                for nb in sub.notebooks:
                    for g in nb.grades:
                        res.cells.append((nb.name, g.name, float(g.score), float(g.max_score)))
                results.append(res)
    return [a.name for a in assignments], maxes, [people[k] for k in sorted(people)], results


def _num(x: float) -> str:
    return f"{x:g}"


def _time(when: dt.datetime | None) -> str:
    return when.astimezone(dt.UTC).isoformat(sep=" ") if when is not None else ""


def _statuses(root: pathlib.Path, sid: str, aid: str, notebook: str) -> dict[str, tuple[str, str]]:
    """``grade id -> (status, reason)`` read from the autograded notebook's outputs."""
    import json

    from .trusted_execute import ENAME_STATUS

    path = root / "autograded" / sid / aid / f"{notebook}.ipynb"
    if not path.is_file():
        return {}
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for cell in nb.get("cells", []):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not gid:
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                reason = " ".join(str(o.get("evalue", "")).split())[:300]
                out[gid] = (ENAME_STATUS.get(o.get("ename"), "failed"), reason)
                break
    return out


def render(fmt: str, root: pathlib.Path, assignments: list[str], maxes: dict[str, float],
           people: list[Student], results: list[Result], missing: str = "blank"
           ) -> tuple[str, list[str]]:
    """The CSV text of format ``fmt``, and warnings (students an LMS cannot match)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    by = {(r.student_id, r.assignment): r for r in results}
    warnings: list[str] = []

    def cell(sid: str, aid: str) -> str:
        r = by[sid, aid]
        if r.submitted:
            return _num(r.score)
        return "0" if missing == "zero" else ""

    if fmt == "long":
        w.writerow(LONG_HEADER)
        person = {p.student_id: p for p in people}
        for r in results:
            p = person[r.student_id]
            late = r.late
            w.writerow([r.assignment, _time(r.duedate), _time(r.timestamp), r.student_id,
                        p.last_name, p.first_name, p.email, _num(r.raw_score), _num(r.penalty),
                        _num(r.score), _num(r.max_score),
                        "" if late is None else ("yes" if late else "no"),
                        f"{r.seconds_late / 3600:.2f}" if late else ""])
    elif fmt == "wide":
        w.writerow(["student_id", "last_name", "first_name", "email", *assignments, "total",
                    "max_total", "late"])
        max_total = sum(maxes[a] for a in assignments)
        for p in people:
            rs = [by[p.student_id, a] for a in assignments]
            late = "; ".join(f"{r.assignment} ({r.seconds_late / 3600:.1f} h)"
                             for r in rs if r.late)
            w.writerow([p.student_id, p.last_name, p.first_name, p.email,
                        *(cell(p.student_id, a) for a in assignments),
                        _num(sum(r.score for r in rs if r.submitted)), _num(max_total), late])
    elif fmt == "canvas":
        w.writerow([*CANVAS_HEADER, *assignments])
        w.writerow([CANVAS_POINTS, "", "", "", "", *(_num(maxes[a]) for a in assignments)])
        for p in people:
            name = (f"{p.last_name}, {p.first_name}" if p.last_name and p.first_name
                    else p.last_name or p.first_name or p.student_id)
            if not (p.lms_id or p.sis_user_id or p.sis_login_id):
                warnings.append(p.student_id)
            w.writerow([name, p.lms_id, p.sis_user_id, p.sis_login_id, p.section,
                        *(cell(p.student_id, a) for a in assignments)])
    elif fmt == "moodle":
        w.writerow([*MOODLE_HEADER, *assignments])
        for p in people:
            if not (p.email or p.id_number):
                warnings.append(p.student_id)
            w.writerow([p.first_name, p.last_name, p.id_number, "", "", p.email,
                        *(cell(p.student_id, a) for a in assignments)])
    elif fmt == "detailed":
        w.writerow(DETAILED_HEADER)
        for r in results:
            if not r.submitted:
                continue
            statuses: dict[str, dict[str, tuple[str, str]]] = {}
            for nb, gid, score, max_score in r.cells:
                if nb not in statuses:
                    statuses[nb] = _statuses(root, r.student_id, r.assignment, nb)
                status, reason = statuses[nb].get(gid, ("", ""))
                if not status:
                    status = "passed" if score >= max_score else "partial"
                w.writerow([r.student_id, r.assignment, nb, gid, _num(score), _num(max_score),
                            status, reason])
    else:
        raise CourseError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}.")
    return buf.getvalue(), warnings


def write_atomically(out: pathlib.Path, text: str) -> None:
    """Write ``text`` to ``out`` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, out)
    finally:
        pathlib.Path(tmp).unlink(missing_ok=True)


def cmd_export(args) -> int:
    """``course export --csv FILE [--format F]``: every grade, written atomically."""
    root = course_root(args)
    fmt = getattr(args, "format", "long") or "long"
    if fmt not in FORMATS:
        raise CourseError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}.")
    out = pathlib.Path(args.csv).expanduser().resolve()
    if not out.parent.is_dir():
        raise CourseError(f"folder {out.parent} does not exist.")
    if out.is_dir():
        raise CourseError(f"{out} is a folder; give a file name such as {out / 'grades.csv'}.")
    roster = default_roster(root, getattr(args, "roster", None))
    assignments, maxes, people, results = gather(root, roster, getattr(args, "assignment", None))
    if not assignments:
        raise CourseError(f"the gradebook of {root} has no assignment yet: run "
                          "`course release ID` first.")
    text, unmatched = render(fmt, root, assignments, maxes, people, results,
                             getattr(args, "missing", "blank") or "blank")
    write_atomically(out, text)
    rows = max(0, text.count("\n") - 1 - (fmt == "canvas"))
    what = {"long": "one per student and assignment", "wide": "one per student",
            "canvas": "one per student, after the Points Possible row",
            "moodle": "one per student", "detailed": "one per submitted test cell"}[fmt]
    say(f"Wrote {out} ({fmt} format, {rows} row(s): {what}; {len(assignments)} assignment(s), "
        f"scores from {root / 'gradebook.db'}).")
    late = [r for r in results if r.late]
    nodue = [a for a in assignments if all(r.duedate is None for r in results
                                           if r.assignment == a)]
    if late:
        say(f"  {len(late)} late submission(s): " + ", ".join(
            f"{r.student_id}/{r.assignment}" for r in late[:10]) + (" ..." if len(late) > 10
                                                                    else ""))
    if nodue:
        say(f"  no due date (no late flags) for: {', '.join(nodue)} "
            "(course release ID --due DATE sets one)")
    if unmatched:
        need = ("Canvas user id (lms_id) or SIS id" if fmt == "canvas"
                else "email or ID number")
        say(f"WARNING: {len(unmatched)} student(s) without {need}: {fmt.title()} cannot "
            f"match their rows: {', '.join(unmatched[:10])}{' ...' if len(unmatched) > 10 else ''}."
            f" Add them to the class list (--roster students.csv).")
        return EXIT_INCOMPLETE
    return 0
