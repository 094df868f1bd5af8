"""``course export --format ...`` and ``course release --due/--all``, on a hand-made gradebook.

The gradebook is written through nbgrader's API (no autograde run): two
assignments, one with a due date, three students, one late submission and
one autograded notebook whose test cell timed out. The headers are checked
against the formats' documented headers, written out below with their source.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import warnings

import pytest

from course_pkg import grading
from course_pkg.instructor import cli
from course_pkg.instructor.export import (
    CANVAS_HEADER,
    EXIT_INCOMPLETE,
    MOODLE_HEADER,
    gather,
    render,
)
from course_pkg.instructor.release import cmd_release, set_due_date
from course_pkg.instructor.roster import load_roster, open_gradebook
from course_pkg.instructor.timestamps import (
    describe,
    nbgrader_timestamp,
    parse_time,
    read_timestamp,
    timezone,
    utc_naive,
)

# Canvas Instructor Guide, "How do I import grades in the Gradebook?"
# (community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807)
# and a Canvas gradebook export: the identity columns, in this order, then one column per
# assignment; the first row under the header holds the points possible.
CANVAS_DOCUMENTED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"
# MoodleDocs, "Grade export" / "Grade import" (docs.moodle.org/en/Grade_import: "the import
# file format is the same as the corresponding export format"; map "Email address" to
# useremail or "ID number" to useridnumber): the user fields of a grade export.
MOODLE_DOCUMENTED = ["First name", "Last name", "ID number", "Institution", "Department",
                     "Email address"]
# nbgrader's CsvExportPlugin (nbgrader/plugins/export.py, 0.9): its columns, in order.
NBGRADER_DOCUMENTED = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                       "first_name", "email", "raw_score", "late_submission_penalty", "score",
                       "max_score"]

A1, A2 = "01_forget_gate", "02_input_gate"
DUE = dt.datetime(2027, 1, 15, 22, 59)  # UTC


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("gb") / "c"
    assert cli.main(["init", str(root)]) == 0
    with warnings.catch_warnings(), open_gradebook(root) as gb:
        # nbgrader's add_submission trips SQLAlchemy's autoflush warning (nbgrader's own code)
        warnings.simplefilter("ignore")
        gb.add_assignment(A1, duedate=DUE)
        gb.add_assignment(A2)
        for aid, cells in ((A1, [("test_shape", 1), ("test_known", 2)]), (A2, [("test_i", 3)])):
            gb.add_notebook(aid, aid)
            for gid, pts in cells:
                gb.add_grade_cell(gid, aid, aid, max_score=pts, cell_type="code")
        gb.add_student("ana", first_name="Ana", last_name="María", email="ana@uni.edu",
                       lms_user_id="1234")
        gb.add_student("bob", first_name="Bob", last_name="Stone")
        gb.add_student("cy")
        for sid, aid, when, scores in (
            ("ana", A1, DUE + dt.timedelta(hours=2), {"test_shape": 1, "test_known": 2}),
            ("ana", A2, DUE, {"test_i": 3}),
            ("bob", A1, DUE - dt.timedelta(days=1), {"test_shape": 1, "test_known": 0}),
        ):
            sub = gb.add_submission(aid, sid, timestamp=when)
            for g in sub.notebooks[0].grades:
                g.auto_score = scores[g.name]
        gb.db.commit()
    # bob's autograded notebook: test_known timed out (trusted grading's verdict output)
    nb = {"cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test_shape"}},
         "outputs": [], "source": ""},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test_known"}},
         "outputs": [{"output_type": "error", "ename": "TimeoutError",
                      "evalue": "forget_gate did not return within 10 s (an infinite loop?)",
                      "traceback": []}], "source": ""}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = root / "autograded" / "bob" / A1 / f"{A1}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(nb))
    return root


@pytest.fixture
def course(template, tmp_path):
    dest = tmp_path / "c"
    shutil.copytree(template, dest, symlinks=True)
    return dest


def export(course, tmp_path, fmt, *extra, capsys=None):
    out = tmp_path / f"{fmt}.csv"
    code = cli.main(["--course-dir", str(course), "export", "--csv", str(out), "--format", fmt,
                     *map(str, extra)])
    printed = capsys.readouterr() if capsys else None
    rows = list(csv.reader(io.StringIO(out.read_text()))) if out.exists() else []
    return code, rows, printed


def test_long_format_is_nbgraders_with_late_flags(course, tmp_path, capsys):
    code, rows, out = export(course, tmp_path, "long", capsys=capsys)
    assert code == 0
    assert rows[0][:len(NBGRADER_DOCUMENTED)] == NBGRADER_DOCUMENTED
    assert rows[0][len(NBGRADER_DOCUMENTED):] == ["late", "hours_late"]
    table = {(r[3], r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert len(table) == 3 * 2
    ana = table["ana", A1]
    assert ana["duedate"] == "2027-01-15 22:59:00+00:00"
    assert ana["timestamp"] == "2027-01-16 00:59:00+00:00"
    assert (ana["late"], ana["hours_late"], ana["score"], ana["max_score"]) == (
        "yes", "2.00", "3", "3")
    assert table["bob", A1]["late"] == "no" and table["bob", A1]["score"] == "1"
    assert table["cy", A1]["timestamp"] == "" and table["cy", A1]["late"] == ""
    assert table["ana", A2]["late"] == ""  # no due date, no flag
    assert "1 late submission(s): ana/01_forget_gate" in out.out
    assert "no due date (no late flags) for: 02_input_gate" in out.out


def test_wide_format_has_one_row_per_student(course, tmp_path):
    code, rows, _ = export(course, tmp_path, "wide")
    assert code == 0
    assert rows[0] == ["student_id", "last_name", "first_name", "email", A1, A2, "total",
                       "max_total", "late"]
    body = {r[0]: r for r in rows[1:]}
    assert body["ana"][4:] == ["3", "3", "6", "6", f"{A1} (2.0 h)"]
    assert body["bob"][4:] == ["1", "", "1", "6", ""]
    assert body["cy"][4:7] == ["", "", "0"]
    code, rows, _ = export(course, tmp_path, "wide", "--missing", "zero")
    assert {r[0]: r for r in rows[1:]}["cy"][4:6] == ["0", "0"]


def test_canvas_format_matches_the_documented_import_layout(course, tmp_path, capsys):
    code, rows, out = export(course, tmp_path, "canvas", capsys=capsys)
    assert rows[0] == [*CANVAS_DOCUMENTED, A1, A2] and list(CANVAS_HEADER) == CANVAS_DOCUMENTED
    assert rows[1][0].strip() == CANVAS_POINTS_ROW and rows[1][1:] == ["", "", "", "", "3", "3"]
    body = {r[0]: r for r in rows[2:]}
    assert body["María, Ana"] == ["María, Ana", "1234", "", "", "", "3", "3"]
    # bob and cy have no Canvas identity in the gradebook: written, but flagged
    assert code == EXIT_INCOMPLETE
    assert "2 student(s) without Canvas user id (lms_id) or SIS id" in out.out
    assert "bob, cy" in out.out


def test_canvas_and_moodle_identities_come_from_the_class_list(course, tmp_path, capsys):
    (course / "students.csv").write_text(
        "student_id,first_name,last_name,email,lms_id,sis_user_id,sis_login_id,id_number,"
        "section\n"
        "ana,Ana,María,ana@uni.edu,1234,S1,ana.m,1001,A\n"
        "bob,Bob,Stone,bob@uni.edu,1235,S2,bob.s,1002,B\n"
        "cy,Cy,Young,cy@uni.edu,1236,S3,cy.y,1003,B\n"
        "dee,Dee,Long,dee@uni.edu,1237,S4,dee.l,1004,A\n", encoding="utf-8")
    code, rows, _ = export(course, tmp_path, "canvas", capsys=capsys)
    assert code == 0
    body = {r[1]: r for r in rows[2:]}
    assert body["1235"] == ["Stone, Bob", "1235", "S2", "bob.s", "B", "1", ""]
    assert body["1237"][5:] == ["", ""]  # on the class list, never submitted
    code, rows, _ = export(course, tmp_path, "moodle", capsys=capsys)
    assert code == 0
    assert rows[0] == [*MOODLE_DOCUMENTED, A1, A2] and list(MOODLE_HEADER) == MOODLE_DOCUMENTED
    body = {r[5]: r for r in rows[1:]}
    assert body["ana@uni.edu"] == ["Ana", "María", "1001", "", "", "ana@uni.edu", "3", "3"]
    # --roster overrides the default class list
    other = tmp_path / "other.csv"
    other.write_text("student_id,email\nana,a2@uni.edu\n", encoding="utf-8")
    code, rows, _ = export(course, tmp_path, "moodle", "--roster", other, capsys=capsys)
    assert code == EXIT_INCOMPLETE and "a2@uni.edu" in {r[5] for r in rows}


def test_detailed_format_lists_every_test_cell_with_its_status(course, tmp_path):
    code, rows, _ = export(course, tmp_path, "detailed")
    assert code == 0
    assert rows[0] == ["student_id", "assignment", "notebook", "cell", "score", "max_score",
                       "status", "reason"]
    cells = {(r[0], r[1], r[3]): r for r in rows[1:]}
    assert len(cells) == 5  # 2 + 1 for ana, 2 for bob, none for cy
    assert cells["bob", A1, "test_known"][4:] == [
        "0", "2", "timeout", "forget_gate did not return within 10 s (an infinite loop?)"]
    assert cells["bob", A1, "test_shape"][6] == "passed"


def test_render_and_gather_directly(course):
    assignments, maxes, people, results = gather(course, load_roster_or_none(course), [A1])
    assert assignments == [A1] and maxes == {A1: 3.0}
    assert [p.student_id for p in people] == ["ana", "bob", "cy"]
    text, unmatched = render("moodle", course, assignments, maxes, people, results)
    assert unmatched == ["bob", "cy"] and text.startswith("First name,")


def load_roster_or_none(course):
    path = course / "students.csv"
    return load_roster(path) if path.exists() else None


def test_bad_export_requests_change_nothing(course, tmp_path, capsys):
    out = tmp_path / "grades.csv"
    out.write_text("keep me")
    code = cli.main(["--course-dir", str(course), "export", "--csv", str(out),
                     "--assignment", "09_nope"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown assignment(s) 09_nope" in err and A1 in err
    assert out.read_text() == "keep me"
    code = cli.main(["--course-dir", str(course), "export", "--csv",
                     str(tmp_path / "no" / "such" / "g.csv")])
    assert code == 2 and "does not exist" in capsys.readouterr().err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --- due dates and release ----------------------------------------------------------------

def test_parse_time_and_friends():
    assert parse_time("2027-01-15T23:59", "Europe/Paris") == dt.datetime(
        2027, 1, 15, 22, 59, tzinfo=dt.UTC)
    assert parse_time("2027-07-15 23:59", "Europe/Paris").hour == 21  # summer time
    assert parse_time("2027-01-15T23:59Z") == dt.datetime(2027, 1, 15, 23, 59, tzinfo=dt.UTC)
    assert parse_time("2027-01-15T23:59-05:00").hour == 4
    with pytest.raises(Exception, match="expected ISO 8601 such as 2027-01-15T23:59"):
        parse_time("15/01/2027")
    with pytest.raises(Exception, match="unknown timezone 'Mars/Olympus'"):
        timezone("Mars/Olympus")
    when = dt.datetime(2027, 1, 15, 22, 59, tzinfo=dt.UTC)
    assert utc_naive(when) == dt.datetime(2027, 1, 15, 22, 59)
    assert nbgrader_timestamp(when) == "2027-01-15 22:59:00.000000 UTC"
    assert read_timestamp(nbgrader_timestamp(when)) == when
    assert read_timestamp("not a time") is None
    assert describe(when, "Europe/Paris") == "2027-01-15 23:59 CET (2027-01-15 22:59 UTC)"


def test_due_date_can_be_moved_once_submissions_exist(course, capsys):
    sub = course / "submitted" / "ana" / A1
    sub.mkdir(parents=True)
    (sub / f"{A1}.ipynb").write_text("{}")
    code = cli.main(["--course-dir", str(course), "release", A1])
    assert code == 2 and "To change only the due date" in capsys.readouterr().err
    code = cli.main(["--course-dir", str(course), "release", A1, "--due", "2027-01-16T23:59",
                     "--tz", "UTC"])
    out = capsys.readouterr().out
    assert code == 0 and "not regenerated" in out and "2027-01-16 23:59 UTC" in out
    assert not (course / "release" / A1).exists()
    with open_gradebook(course) as gb:
        assert gb.find_assignment(A1).duedate == dt.datetime(2027, 1, 16, 23, 59)
    # ana's submission (2027-01-16 00:59) is now on time
    code, rows, _ = export(course, course.parent, "long")
    ana = next(r for r in rows if r[0] == A1 and r[3] == "ana")
    assert ana[11] == "no"
    set_due_date(course, A1, None)
    with open_gradebook(course) as gb:
        assert gb.find_assignment(A1).duedate is None


@pytest.mark.parametrize(("argv", "message"), [
    (["release"], "which assignment?"),
    (["release", A1, "--all"], "either an assignment id or --all"),
    (["release", "--all", "--due", "2027-01-15T23:59"], "--due with --all"),
    (["release", A1, "--due", "next friday"], "cannot read the date-time 'next friday'"),
    (["release", A1, "--due", "2027-01-15T23:59", "--tz", "Nowhere"], "unknown timezone"),
])
def test_release_refuses_unclear_requests_before_doing_anything(course, capsys, argv, message):
    code = cli.main(["--course-dir", str(course), *argv])
    assert code == 2 and message in capsys.readouterr().err
    assert not (course / "release").exists()


def test_cmd_release_is_the_release_command():
    assert cli.build_parser().parse_args(["release", "--all"]).func.resolve() is cmd_release


@pytest.mark.nbgrader
def test_release_all_with_real_nbgrader(tmp_path, capsys):
    course = tmp_path / "c"
    assert cli.main(["init", str(course)]) == 0
    sub = course / "submitted" / "ana" / A2
    sub.mkdir(parents=True)
    (sub / f"{A2}.ipynb").write_text("{}")
    capsys.readouterr()
    assert cli.main(["--course-dir", str(course), "release", "--all"]) == 0
    out = capsys.readouterr().out
    n = len(grading.ASSIGNMENTS)
    assert f"Released {n - 1} of {n} assignments" in out and f"kept {A2}" in out
    assert (course / "release" / A1 / f"{A1}.ipynb").exists()
    assert not (course / "release" / A2).exists()
    assert cli.main(["--course-dir", str(course), "release", A1, "--due",
                     "2027-01-15T23:59+01:00"]) == 0
    with open_gradebook(course) as gb:
        assert gb.find_assignment(A1).duedate == DUE
