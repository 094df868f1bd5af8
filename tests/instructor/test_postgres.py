"""A PostgreSQL gradebook (``course init --db postgresql://...``) with concurrent writers.

A real PostgreSQL server (fixture ``postgres``: Debian's binaries, a temporary data
directory, a free port of 127.0.0.1). Two graders autograde disjoint halves of a class
at the same time into the same gradebook, one with ``-j 2`` on this machine and one
on a Dask cluster: every student ends with exactly one submission row and the score
of grading alone; regrading adds no row.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from scale_helpers import AID, RIGHT, WRONG, course

from course_pkg.instructor import parallel
from course_pkg.instructor.sandbox import sandbox_problem

PROBLEM = sandbox_problem()
pytestmark = [pytest.mark.nbgrader, pytest.mark.skipif(
    PROBLEM is not None and os.environ.get("COURSE_REQUIRE_SANDBOX") != "1",
    reason=f"no sandbox here: {PROBLEM}")]

CLASS = {f"s{k}": (RIGHT if k % 3 else WRONG, None) for k in range(8)}


def _rows(url):
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT s.student_id, count(*) FROM submitted_assignment s "
                    "GROUP BY s.student_id")
        return dict(cur.fetchall())


def test_concurrent_graders_lose_no_grade(postgres, dask_cluster, make_class):
    url = postgres.new_database()
    course_dir = make_class(CLASS, db=url)
    assert f"db_url = {url!r}" in (course_dir / "nbgrader_config.py").read_text()
    assert parallel.gradebook_url(course_dir) == url
    assert not (course_dir / "gradebook.db").exists()
    students = sorted(CLASS)
    base = [sys.executable, "-m", "course_pkg.instructor.cli", "--course-dir", str(course_dir),
            "autograde", AID]
    first = [a for s in students[::2] for a in ("--student", s)]
    second = [a for s in students[1::2] for a in ("--student", s)]
    procs = [subprocess.Popen([*base, "-j", "2", *first], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True),
             subprocess.Popen([*base, "--dask", dask_cluster.address, *second],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert "postgresql://postgres@127.0.0.1" in outs[0][0]
    assert _rows(url) == {s: 1 for s in students}
    with parallel.open_gradebook(course_dir) as gb:
        scores = {s.student.id: s.score for s in gb.find_assignment(AID).submissions}
    full = scores["s1"]
    assert full > 0 and [scores[s] == full for s in students] == [
        k % 3 != 0 for k in range(8)]
    course("--course-dir", course_dir, "autograde", AID, "-j", "2", "--force")
    assert _rows(url) == {s: 1 for s in students}
    with parallel.open_gradebook(course_dir) as gb:
        assert {s.student.id: s.score for s in gb.find_assignment(AID).submissions} == scores


def test_init_refuses_a_malformed_database_url(tmp_path):
    proc = course("init", tmp_path / "c", "--db", "gradebook.db", check=False)
    assert proc.returncode == 2 and "--db must be a database URL" in proc.stderr
    assert not (tmp_path / "c").exists()
