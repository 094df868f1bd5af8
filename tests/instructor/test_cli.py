"""The `course` command: fast unit tests, then one end-to-end run with real nbgrader.

The end-to-end part (marker ``nbgrader``) builds a course directory in a
temporary folder, releases every assignment, autogrades a simulated class
(the solution, the blank release, and for 01 and 03 one submission per
catalogued mistake, made by editing the solution source) and checks every
score against an in-process run of the same code, the feedback HTML (the
mistake is named, the hidden tests are not shown) and the CSV export.
Autograde is sequential (about 3 s per command plus 1 s per notebook), so the
full class is limited to two assignments.
"""

from __future__ import annotations

import copy
import csv
import html
import io
import json
import os
import re
import warnings
import zipfile

import nbformat
import pytest
from helpers import run_in_process, solution_body, source_notebook

from course_pkg import grading
from course_pkg.instructor import cli
from course_pkg.instructor.notebooks import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    read_notebook,
    write_notebook,
)

STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
FULL = ("01_forget_gate", "03_cell_state")


def run_cli(*argv, capsys=None):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr() if capsys else None
    return code, out


# --- unit tests (no nbgrader process) ---------------------------------------------------


def test_init_refuses_a_folder_inside_the_repository(root, capsys):
    code, out = run_cli("init", root / "tmp-course", capsys=capsys)
    assert code == 2 and "inside the repository" in out.err
    assert not (root / "tmp-course").exists()


def test_init_writes_config_and_links_source(tmp_path, capsys):
    code, out = run_cli("init", tmp_path / "c", capsys=capsys)
    assert code == 0 and "Created course directory" in out.out
    cfg = (tmp_path / "c" / "nbgrader_config.py").read_text()
    assert "apply_config" in cfg and 'source_directory = "source"' in cfg
    assert (tmp_path / "c" / "source" / "01_forget_gate" / "01_forget_gate.ipynb").exists()
    code, out = run_cli("init", tmp_path / "c", capsys=capsys)
    assert code == 2 and "already a course directory" in out.err


def test_commands_need_a_course_directory(tmp_path, capsys):
    code, out = run_cli("--course-dir", tmp_path, "release", "01_forget_gate", capsys=capsys)
    assert code == 2 and "not a course directory" in out.err


def test_unknown_assignment_id(tmp_path, capsys):
    run_cli("init", tmp_path / "c")
    code, out = run_cli("--course-dir", tmp_path / "c", "release", "09_nope", capsys=capsys)
    assert code == 2 and "unknown assignment id '09_nope'" in out.err
    assert "01_forget_gate" in out.err


def test_release_refuses_when_submissions_exist_before_touching_anything(tmp_path, capsys):
    course = tmp_path / "c"
    run_cli("init", course)
    release = course / "release" / "01_forget_gate"
    release.mkdir(parents=True)
    (release / "01_forget_gate.ipynb").write_text("{}")
    sub = course / "submitted" / "ana" / "01_forget_gate"
    sub.mkdir(parents=True)
    (sub / "01_forget_gate.ipynb").write_text("{}")
    code, out = run_cli("--course-dir", course, "release", "01_forget_gate", capsys=capsys)
    assert code == 2 and "refusing to regenerate" in out.err and "#1646" in out.err
    assert (release / "01_forget_gate.ipynb").read_text() == "{}"


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def test_collect_refuses_unsafe_zip_paths(tmp_path, capsys):
    course = tmp_path / "c"
    run_cli("init", course)
    bad = tmp_path / "bad.zip"
    _zip(bad, {"ana/01_forget_gate/01_forget_gate.ipynb": "{}",
               "../../evil.txt": "x"})
    code, out = run_cli("--course-dir", course, "collect", "01_forget_gate", bad, capsys=capsys)
    assert code == 2 and "unsafe paths" in out.err
    assert not (tmp_path / "evil.txt").exists()
    assert not any((course / "submitted").glob("*/*"))
    assert not [p for p in course.iterdir() if p.name.startswith(".collect")]


def test_collect_skips_malformed_and_keeps_the_rest(tmp_path, root, capsys):
    course = tmp_path / "c"
    run_cli("init", course)
    good = nbformat.writes(source_notebook("01_forget_gate"))
    z = tmp_path / "subs.zip"
    _zip(z, {"export/ana/01_forget_gate/01_forget_gate.ipynb": good,
             "export/bob/01_forget_gate/01_forget_gate.ipynb": '{"cells": ['})
    code, out = run_cli("--course-dir", course, "collect", "01_forget_gate", z, capsys=capsys)
    assert code == 3  # something was skipped
    assert "Collected 1 submission" in out.out
    assert "skipped export/bob/01_forget_gate/01_forget_gate.ipynb" in out.out
    assert "not valid notebook JSON" in out.out and "1 collected, 1 skipped" in out.out
    assert (course / "submitted/ana/01_forget_gate/01_forget_gate.ipynb").exists()
    assert (course / "submitted/ana/01_forget_gate/timestamp.txt").exists()
    assert not (course / "submitted/bob").exists()
    # a second collect finds the same submission: nothing is overwritten
    code, out = run_cli("--course-dir", course, "collect", "01_forget_gate", z, capsys=capsys)
    assert "already collected, unchanged: ana" in out.out


def test_collect_missing_path(tmp_path, capsys):
    course = tmp_path / "c"
    run_cli("init", course)
    code, out = run_cli("--course-dir", course, "collect", "01_forget_gate",
                        tmp_path / "nope.zip", capsys=capsys)
    assert code == 2 and "no such file" in out.err


def test_check_reports_malformed_and_missing_notebooks(tmp_path, capsys):
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [')
    code, out = run_cli("check", bad, capsys=capsys)
    assert code == 2 and "not valid notebook JSON" in out.err
    code, out = run_cli("check", tmp_path / "missing.ipynb", capsys=capsys)
    assert code == 2 and "no such notebook" in out.err


def test_export_student_writes_every_assignment(tmp_path, capsys):
    code, _out = run_cli("export-student", "--out", tmp_path / "student", capsys=capsys)
    assert code == 0
    files = sorted(p.name for p in (tmp_path / "student").iterdir())
    assert files == [f"{a}.ipynb" for a in grading.ASSIGNMENTS]
    for f in (tmp_path / "student").iterdir():
        text = f.read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text
        json.loads(text)


# --- end to end with real nbgrader -----------------------------------------------------


def fill(nb, bodies):
    """Put solution bodies (name -> text between the markers) into a notebook."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        name = cell.metadata.get("nbgrader", {}).get("grade_id")
        if name in bodies:
            if BEGIN_SOLUTION in cell.source:  # instructor source
                start = cell.source.index(BEGIN_SOLUTION) + len(BEGIN_SOLUTION)
                end = cell.source.index(END_SOLUTION)
                cell.source = cell.source[:start] + bodies[name] + cell.source[end:]
            else:  # released version
                cell.source = cell.source.replace(STUB, bodies[name].strip("\n").rstrip())
    return nb


def class_of(aid, src, full):
    """{student: (bodies, note)} for one assignment."""
    solutions = {ex.name: solution_body(src, ex.name) for ex in grading.exercises(aid)}
    if aid == "06_lstm_backward":
        solutions["gradient_check"] = solution_body(src, "gradient_check")
    students = {"sol": (solutions, "solution"), "blank": ({}, "blank")}
    if full:
        for ex in grading.exercises(aid):
            for m in ex.mistakes:
                body = solutions[ex.name]
                for old, new in m.edit:
                    body = body.replace(old, new)
                students[f"m-{ex.name}-{m.key}".replace("_", "-")] = (
                    {**solutions, ex.name: body}, m)
    if aid == "06_lstm_backward":
        warn = solutions["gradient_check"].replace(
            "    rng = np.random.default_rng(seed)",
            "    import warnings\n    warnings.warn('this may take a while', RuntimeWarning)"
            "\n    rng = np.random.default_rng(seed)")
        students["warn"] = ({**solutions, "gradient_check": warn}, "stderr warning")
    return students


@pytest.fixture(scope="module")
def graded(tmp_path_factory, root):
    base = tmp_path_factory.mktemp("e2e")
    course = base / "course"
    assert cli.main(["init", str(course)]) == 0
    os.environ["COURSE_DIR"] = str(course)
    expected, notes = {}, {}
    try:
        for aid in grading.ASSIGNMENTS:
            assert cli.main(["--course-dir", str(course), "release", aid]) == 0
            src = source_notebook(aid)
            released = read_notebook(course / "release" / aid / f"{aid}.ipynb")
            assert "make assignments" not in nbformat.writes(released), "banner released"
            subs = base / f"subs-{aid}"
            for student, (bodies, note) in class_of(aid, src, aid in FULL).items():
                write_notebook(fill(released, bodies), subs / student / aid / f"{aid}.ipynb")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    # the hidden tests draw this student's variant, as autograde does
                    variant = grading.variant(student, aid,
                                              os.environ.get("COURSE_VARIANT_SALT", ""))
                    results = run_in_process(fill(src, bodies) if bodies else _blank(src),
                                             variant=variant)
                expected[student, aid] = sum(r.points for r in results)
                notes[student, aid] = note
            if aid == "01_forget_gate":
                _special_students(released, src, subs, expected, notes)
                zpath = base / "subs.zip"
                with zipfile.ZipFile(zpath, "w") as zf:
                    for p in subs.rglob("*"):
                        if p.is_file():
                            zf.write(p, p.relative_to(subs).as_posix())
                assert cli.main(["--course-dir", str(course), "collect", aid, str(zpath)]) == 0
            else:
                assert cli.main(["--course-dir", str(course), "collect", aid, str(subs)]) == 0
            assert cli.main(["--course-dir", str(course), "autograde", aid]) == 0
        for aid in FULL:
            assert cli.main(["--course-dir", str(course), "feedback", aid]) == 0
        assert cli.main(["--course-dir", str(course), "export", "--csv",
                         str(base / "grades.csv")]) == 0
    finally:
        os.environ.pop("COURSE_DIR", None)
    return course, base, expected, notes


def _blank(src):
    from nbgrader.preprocessors import ClearSolutions

    nb, _ = ClearSolutions().preprocess(copy.deepcopy(src), {})
    return nb


def _special_students(released, src, subs, expected, notes):
    aid = "01_forget_gate"
    body = {"forget_gate": solution_body(src, "forget_gate")}
    full = sum(r.points for r in run_in_process(fill(src, body)))
    # a deleted test cell is restored and scores 0
    nb = fill(released, body)
    nb.cells = [c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") != "test_forget_gate_known"]
    write_notebook(nb, subs / "deleted" / aid / f"{aid}.ipynb")
    expected["deleted", aid] = full - 2
    notes["deleted", aid] = "deleted test cell"
    # stripped metadata on a test cell: treated as deleted, the real one is restored
    nb = fill(released, body)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_forget_gate_range":
            c.metadata = {}
    write_notebook(nb, subs / "stripped" / aid / f"{aid}.ipynb")
    expected["stripped", aid] = full - 1
    notes["stripped", aid] = "stripped metadata"
    # an edited test cell is overwritten from the source
    nb = copy.deepcopy(released)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_forget_gate_shape":
            c.source = "pass  # always passes"
    write_notebook(nb, subs / "edited" / aid / f"{aid}.ipynb")
    expected["edited", aid] = 0
    notes["edited", aid] = "edited test cell"


def _scores(base):
    with open(base / "grades.csv", newline="") as fh:
        # nbgrader lists every student for every assignment; unsubmitted rows have
        # no timestamp
        return {(r["student_id"], r["assignment"]): float(r["score"])
                for r in csv.DictReader(fh) if r["timestamp"]}


@pytest.mark.nbgrader
def test_every_submission_gets_exactly_the_expected_score(graded):
    _course, base, expected, notes = graded
    scores = _scores(base)
    assert set(scores) == set(expected)
    wrong = {k: (scores[k], expected[k], str(notes[k])[:40]) for k in expected
             if scores[k] != expected[k]}
    assert not wrong
    for aid in grading.ASSIGNMENTS:
        assert scores["blank", aid] == 0
        assert scores["sol", aid] > 0
    assert scores["warn", "06_lstm_backward"] == scores["sol", "06_lstm_backward"]
    assert scores["edited", "01_forget_gate"] == 0


@pytest.mark.nbgrader
def test_feedback_names_the_mistake_and_hides_the_hidden_tests(graded):
    course, _base, _expected, notes = graded
    for aid in FULL:
        for (student, a), note in notes.items():
            if a != aid:
                continue
            page = course / "feedback" / student / aid / f"{aid}.html"
            text = html.unescape(re.sub(r"<[^>]+>", " ", page.read_text()))
            assert "BEGIN HIDDEN TESTS" not in text
            assert "grading.check_reference(" not in text
            assert "check_inputs_unchanged(" not in text
            if isinstance(note, grading.Mistake):
                assert note.summary in text, (student, note.key)
                assert "Re-read:" in text


@pytest.mark.nbgrader
def test_release_refuses_once_submissions_exist(graded, capsys):
    course, *_ = graded
    nb = course / "release" / "01_forget_gate" / "01_forget_gate.ipynb"
    before = nb.stat().st_mtime_ns
    code, out = run_cli("--course-dir", course, "release", "01_forget_gate", capsys=capsys)
    assert code == 2 and "refusing" in out.err
    assert nb.stat().st_mtime_ns == before


@pytest.mark.nbgrader
def test_csv_export_lists_every_student(graded):
    _course, base, expected, _ = graded
    rows = list(csv.DictReader(io.StringIO((base / "grades.csv").read_text())))
    submitted = [r for r in rows if r["timestamp"]]
    assert len(submitted) == len(expected)
    students = {s for s, _ in expected}
    assert len(rows) == len(students) * len(grading.ASSIGNMENTS)
    assert {"student_id", "assignment", "score", "max_score"} <= set(rows[0])


@pytest.mark.nbgrader
def test_course_check_exit_codes(graded, capsys):
    _course, base, *_ = graded
    sol = base / "subs-01_forget_gate" / "sol" / "01_forget_gate" / "01_forget_gate.ipynb"
    blank = base / "subs-01_forget_gate" / "blank" / "01_forget_gate" / "01_forget_gate.ipynb"
    code, out = run_cli("check", sol, capsys=capsys)
    assert code == 0 and "3 of 3 visible tests passed" in out.out, out.out
    code, out = run_cli("check", blank, capsys=capsys)
    assert code == 1 and "FAIL" in out.out and "not implemented yet" in out.out
    mistake = base / "subs-01_forget_gate" / "m-forget-gate-concat-order" / "01_forget_gate"
    code, out = run_cli("check", mistake / "01_forget_gate.ipynb", capsys=capsys)
    assert code == 1 and "concatenated [x, h_prev]" in out.out
