"""``course report ID``: the instructor's page for one assignment.

A course directory is made by ``course init``; its gradebook and autograded
notebooks are written the way ``course autograde`` leaves them (nbgrader's
Gradebook API; each test cell's verdict from trusted grading, written by
``verdict_output``), for students with an honest solution, catalogued
mistakes, an infinite loop, an unreadable notebook and a submission never
autograded. The page is checked as text, then opened in Debian's chromium
(Playwright, headless): the figures decode, the tables are there, and the
re-teach links name a real section of the book (opened in the browser when
the book is built).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import sys
import urllib.parse
import warnings

import nbformat
import pytest

from course_pkg import grading
from course_pkg.instructor import cli
from course_pkg.instructor.report import book_link, collect, render
from course_pkg.instructor.trusted import grade_submission
from course_pkg.instructor.trusted_execute import verdict_output

AID = "01_forget_gate"
ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("COURSE_REQUIRE_BROWSER") == "1"
# Loops on the tests' inputs, not on the notebook's own example (2 samples).
LOOP = ("    if h_prev.shape[0] != 2:\n        while True:\n            pass\n"
        "    return sigmoid(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)\n")


def _with_body(source: dict, body: str) -> dict:
    nb = json.loads(json.dumps(source))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "forget_gate":
            src = "".join(cell["source"])
            start, end = src.index("### BEGIN SOLUTION"), src.index("### END SOLUTION")
            cell["source"] = src[:start] + "### BEGIN SOLUTION\n" + body + "    " + src[end:]
    return nb


def _edited(source: dict, key: str) -> dict:
    nb = json.loads(json.dumps(source))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "forget_gate":
            src = "".join(cell["source"])
            for old, new in grading.get_exercise("forget_gate").mistake(key).edit:
                assert old in src
                src = src.replace(old, new, 1)
            cell["source"] = src
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course directory as `course autograde` leaves it; ``(root, results by student)``."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("report") / "course"
    # nbgrader creates the gradebook with `alembic`, found on PATH: this environment's
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    assert cli.main(["init", str(root)]) == 0
    source_path = root / "source" / AID / f"{AID}.ipynb"
    source = json.loads(source_path.read_text())
    keys = [m.key for m in grading.get_exercise("forget_gate").mistakes if m.edit][:2]
    submissions = {"ana": source, "bob": _edited(source, keys[0]),
                   "cleo": _edited(source, keys[0]), "dan": _with_body(source, LOOP),
                   "eve": _edited(source, keys[1])}
    results = {s: grade_submission(source, nb, timeout=0.5, variant=grading.variant(s, AID))
               for s, nb in submissions.items()}
    tests = [c for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
             and not c["metadata"]["nbgrader"].get("solution")]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb, warnings.catch_warnings():
        # nbgrader's add_submission trips SQLAlchemy's autoflush warning (a RuntimeWarning,
        # an error under this project's pytest settings); nbgrader's own runs ignore it.
        warnings.simplefilter("ignore", RuntimeWarning)
        gb.update_or_create_assignment(AID)
        gb.add_notebook(AID, AID)
        for c in tests:
            md = c["metadata"]["nbgrader"]
            gb.add_grade_cell(md["grade_id"], AID, AID, max_score=md["points"], cell_type="code")
        for student in [*results, "gus"]:  # gus: unreadable, nbgrader records 0
            gb.add_student(student)
            sub = gb.add_submission(AID, student)
            scores = {r.grade_id: r.score for r in results.get(student, [])}
            for g in sub.notebooks[0].grades:
                g.auto_score = scores.get(g.name, 0.0)
            gb.db.commit()
    for student, rs in results.items():
        nb = nbformat.from_dict(json.loads(json.dumps(source)))
        by_id = {r.grade_id: r for r in rs}
        for cell in nb.cells:
            r = by_id.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
            if r is not None and cell.cell_type == "code":
                cell.outputs = [nbformat.from_dict(o) for o in verdict_output(r)]
        (root / "autograded" / student / AID).mkdir(parents=True)
        nbformat.write(nb, root / "autograded" / student / AID / f"{AID}.ipynb")
        (root / "submitted" / student / AID).mkdir(parents=True)
        (root / "submitted" / student / AID / f"{AID}.ipynb").write_text("{}")
    for student, name in (("gus", f"{AID}.ipynb.unreadable"), ("fay", f"{AID}.ipynb")):
        (root / "submitted" / student / AID).mkdir(parents=True)
        (root / "submitted" / student / AID / name).write_text("not a notebook")
    return root, results, keys


def test_report_data(course):
    root, results, keys = course
    data = collect(root, AID)
    assert data.scores == {**{s: sum(r.score for r in rs) for s, rs in results.items()},
                           "gus": 0.0}
    assert data.scores["ana"] == data.max_score > 0
    first = [r.grade_id for r in results["ana"]]
    assert list(data.cells) == first  # the notebook's order
    for gid, (mx, per) in data.cells.items():
        assert per == {**{s: next(r.score for r in rs if r.grade_id == gid)
                          for s, rs in results.items()}, "gus": 0.0}
        assert mx == next(r.max_score for r in results["ana"] if r.grade_id == gid)
    assert sorted(data.mistakes[("forget_gate", keys[0])]) == ["bob", "cleo"]
    assert data.mistakes[("forget_gate", keys[1])] == ["eve"]
    statuses = {s: {status for status, _, _ in items} for s, items in data.problems.items()}
    assert statuses == {"dan": {"timeout"}, "gus": {"unreadable"}, "fay": {"not autograded"}}


def test_book_links_name_real_sections():
    ex = grading.get_exercise("forget_gate")
    url = book_link(ex.mistakes[0].reread, "https://example.org/course")
    assert url is not None and url.startswith("https://example.org/course/book/03_forget_gate")
    page, anchor = urllib.parse.urlsplit(url).path, urllib.parse.urlsplit(url).fragment
    md = (ROOT / "book" / pathlib.Path(page).name).with_suffix(".md").read_text()
    titles = re.findall(r"^##+ (.+?)\s*$", md, re.M)
    assert anchor in {re.sub(r"[^a-z0-9]+", "-", t.lower()).strip("-") for t in titles}
    assert book_link(ex.mistakes[0].reread, None) is None
    assert book_link("re-read the equation", "https://example.org") is None


def test_command_writes_the_page(course, tmp_path, capsys):
    root, _, keys = course
    out = tmp_path / "reports"
    code = cli.main(["--course-dir", str(root), "report", AID, "--out", str(out),
                     "--book-url", "https://example.org/course"])
    assert code == 0, capsys.readouterr().err
    page = (out / f"{AID}.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    assert keys[0] in page and "https://example.org/course/book/03_forget_gate.html#" in page
    assert "timeout" in page and "not autograded" in page and "unreadable" in page
    assert "timeout 1" in capsys.readouterr().out


def test_bad_input_is_refused(course, tmp_path, capsys):
    root, _, _ = course
    assert cli.main(["--course-dir", str(root), "report", "99_nothing"]) == 2
    assert "Known assignments" in capsys.readouterr().err
    assert cli.main(["--course-dir", str(tmp_path), "report", AID]) == 2
    assert "not a course directory" in capsys.readouterr().err
    empty = tmp_path / "empty"
    assert cli.main(["init", str(empty)]) == 0
    assert cli.main(["--course-dir", str(empty), "report", AID]) == 2
    assert "course autograde" in capsys.readouterr().err


@pytest.mark.browser
def test_report_in_a_real_browser(course, tmp_path):
    if not pathlib.Path(CHROMIUM).exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"{CHROMIUM} missing [COURSE_REQUIRE_BROWSER=1]")
        pytest.skip(f"{CHROMIUM} missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    root, _, keys = course
    built = ROOT / "_build" / "html"
    book_url = built.as_uri() if (built / "index.html").is_file() else "https://example.org/c"
    page_path = tmp_path / f"{AID}.html"
    page_path.write_text(render(collect(root, AID), book_url), encoding="utf-8")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda req: errors.append(req.url))
            page.goto(page_path.as_uri())
            for img in ("#histogram", "#pass-rates"):
                width = page.eval_on_selector(img, "el => el.complete && el.naturalWidth")
                assert width and width > 100, img
            assert page.locator("#cells tbody tr").count() == len(collect(root, AID).cells)
            assert page.locator("#mistakes tbody tr").count() == 2
            assert keys[0] in page.locator("#mistakes tbody tr").first.inner_text()
            problems = page.locator("#problems").inner_text()
            assert "dan" in problems and "timeout" in problems
            links = page.eval_on_selector_all("#mistakes a", "els => els.map(a => a.href)")
            assert links and all(href.startswith(book_url) for href in links)
            if book_url.startswith("file:"):  # the built book: the section must be there
                for href in set(links):
                    page.goto(href)
                    anchor = urllib.parse.urlsplit(href).fragment
                    assert page.evaluate(f"!!document.getElementById({anchor!r})"), href
            assert not errors, errors
        finally:
            browser.close()
