"""``course autograde -j N``: parallel sandboxed grading, one gradebook writer, resumable.

* the same class graded with ``-j 1`` and ``-j 2`` gets identical scores and
  identical graded notebooks' verdicts, one gradebook row per student;
* a fork bomb in one worker does not starve the honest students graded next to it
  (each worker's students run as a uid of their own: RLIMIT_NPROC is per uid);
* a run killed half-way continues where it stopped: the students already graded
  are not graded again, nobody is lost or recorded twice;
* the building blocks: uid slots, atomic writes, the plan of a run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from scale_helpers import AID, FORK_BOMB, RIGHT, WRONG, collect, course

from course_pkg.instructor import parallel, roster
from course_pkg.instructor.sandbox import sandbox_problem

PROBLEM = sandbox_problem()
needs_sandbox = pytest.mark.skipif(
    PROBLEM is not None and os.environ.get("COURSE_REQUIRE_SANDBOX") != "1",
    reason=f"no sandbox here: {PROBLEM}")

CLASS = {"ana": (RIGHT, None), "bo": (WRONG, None), "cy": (RIGHT, None),
         "bomb": (WRONG, FORK_BOMB), "dee": (RIGHT, None), "eve": (RIGHT, None)}


def gradebook_rows(course_dir):
    """``student -> [scores]`` of every submission row of the assignment."""
    rows: dict[str, list[float]] = {}
    with parallel.open_gradebook(course_dir) as gb:
        for sub in gb.find_assignment(AID).submissions:
            rows.setdefault(sub.student.id, []).append(float(sub.score))
    return rows


def verdicts(course_dir, student):
    nb = json.loads((course_dir / "autograded" / student / AID / f"{AID}.ipynb").read_text())
    return [(c["metadata"].get("nbgrader", {}).get("grade_id"),
             [(o.get("output_type"), o.get("ename")) for o in c.get("outputs", [])])
            for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.fixture(scope="module")
def graded_twice(make_class):
    course_dir = make_class(CLASS)
    serial = course("--course-dir", course_dir, "autograde", AID, "-j", "1", "--timeout", "3")
    rows1 = gradebook_rows(course_dir)
    notebooks1 = {s: verdicts(course_dir, s) for s in CLASS}
    par = course("--course-dir", course_dir, "autograde", AID, "-j", "2", "--force",
                 "--timeout", "3")
    return {"dir": course_dir, "serial": serial.stdout, "parallel": par.stdout,
            "rows1": rows1, "rows2": gradebook_rows(course_dir), "nb1": notebooks1,
            "nb2": {s: verdicts(course_dir, s) for s in CLASS}}


@pytest.mark.nbgrader
@needs_sandbox
def test_parallel_scores_equal_serial_scores(graded_twice):
    g = graded_twice
    assert set(g["rows1"]) == set(CLASS)
    assert all(len(v) == 1 for v in g["rows2"].values())  # one row per student
    # the same score for every student, the fork bomb included: its forked copies
    # leave at once instead of talking to the grader, so it scores as the plain wrong
    # answer (bo) in both runs
    assert g["rows2"] == g["rows1"]
    assert g["rows1"]["bomb"] == g["rows1"]["bo"]
    # and the same verdict per test cell
    assert g["nb2"] == g["nb1"]
    assert "6 graded" in g["parallel"] and "in 2 parallel worker(s)" in g["parallel"]


@pytest.mark.nbgrader
@needs_sandbox
def test_a_fork_bomb_does_not_starve_the_honest_students(graded_twice):
    rows = graded_twice["rows2"]
    full = max(v[0] for v in rows.values())
    assert full > 0
    assert [rows[s][0] for s in ("ana", "cy", "dee", "eve")] == [full] * 4
    assert rows["bomb"][0] == rows["bo"][0] < full


@pytest.mark.nbgrader
@needs_sandbox
def test_a_killed_run_continues_where_it_stopped(graded_twice, tmp_path):
    course_dir = graded_twice["dir"]
    late = {f"late{k}": (RIGHT if k % 2 else WRONG, None) for k in range(5)}
    collect(course_dir, tmp_path / "subs", late)
    state = course_dir / parallel.STATE_DIR / AID
    cmd = [sys.executable, "-m", "course_pkg.instructor.cli", "--course-dir", str(course_dir),
           "autograde", AID, "-j", "1", "--timeout", "3"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while len(list(state.glob("late*.json"))) < 2:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    stored = {p.stem for p in state.glob("late*.json")}
    assert 2 <= len(stored) < 5
    out = course("--course-dir", course_dir, "autograde", AID, "-j", "2", "--timeout",
                 "3").stdout
    assert f": {5 - len(stored)} to grade" in out  # the stored ones are not graded again
    assert f"{len(CLASS)} already autograded, skipped" in out
    rows = gradebook_rows(course_dir)
    assert set(rows) == set(CLASS) | set(late)
    assert all(len(v) == 1 for v in rows.values())
    full = rows["ana"][0]
    assert [rows[f"late{k}"][0] == full for k in range(5)] == [k % 2 == 1 for k in range(5)]
    again = course("--course-dir", course_dir, "autograde", AID, "--timeout", "3").stdout
    assert ": 0 to grade" in again and "0 recorded" in again


def test_each_process_takes_its_own_uid():
    mine = parallel.worker_uid()
    assert mine in parallel.UID_SLOTS and parallel.worker_uid() == mine
    code = ("from course_pkg.instructor import parallel\n"
            "print(parallel.worker_uid())")
    other = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True).stdout)
    assert other in parallel.UID_SLOTS and other != mine


def test_write_atomic_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "sub" / "r.json"
    parallel.write_atomic(path, "one")
    parallel.write_atomic(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]


def test_default_jobs_is_the_number_of_usable_cpus():
    assert parallel.default_jobs() == len(os.sched_getaffinity(0))


def test_gradebook_url_reads_the_course_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert parallel.gradebook_url(tmp_path) == f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert not roster.has_gradebook(tmp_path)            # sqlite file not made yet
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'postgresql://g@h/db'\n")
    assert parallel.gradebook_url(tmp_path) == "postgresql://g@h/db"
    # export, release --due and report open the same, configured gradebook
    assert roster.gradebook_url(tmp_path) == "postgresql://g@h/db"
    assert roster.has_gradebook(tmp_path)


def _fake_course(tmp_path, students):
    for folder in ("source", "release"):
        (tmp_path / folder / AID).mkdir(parents=True)
        (tmp_path / folder / AID / f"{AID}.ipynb").write_text(f'{{"{folder}": 1}}')
    for s in students:
        (tmp_path / "submitted" / s / AID).mkdir(parents=True)
        (tmp_path / "submitted" / s / AID / f"{AID}.ipynb").write_text(f'{{"{s}": 1}}')


def test_plan_sorts_students_by_what_is_left_to_do(tmp_path):
    _fake_course(tmp_path, ["a", "b", "c", "d"])
    (tmp_path / "submitted" / "d" / AID / f"{AID}.ipynb").unlink()
    first = parallel.plan(tmp_path, AID, ["a", "b", "c", "d"], timeout=10, sandbox=True,
                          force=False)
    assert isinstance(first, parallel.Plan)
    assert first.payloads["a"] == parallel.make_payload(tmp_path, AID, "a", timeout=10,
                                                        sandbox=True)
    assert (first.grade, first.record, first.done, first.missing) == (["a", "b", "c"], [], [],
                                                                      ["d"])
    for s in ("a", "b"):
        parallel.write_result(tmp_path, AID, {"student": s, "digest": first.payloads[s]["digest"],
                                              "results": [], "error": None})
    parallel.mark_pending(tmp_path, AID, ["a", "b"])
    (tmp_path / "autograded" / "a" / AID).mkdir(parents=True)
    parallel.mark_recorded(tmp_path, AID, ["a"])  # b: interrupted while recording
    again = parallel.plan(tmp_path, AID, ["a", "b", "c"], timeout=10, sandbox=True, force=False)
    assert (again.done, again.record, again.grade) == (["a"], ["b"], ["c"])
    other = parallel.plan(tmp_path, AID, ["a", "b", "c"], timeout=20, sandbox=True, force=False)
    assert other.grade == ["a", "b", "c"]  # another timeout: graded again
    forced = parallel.plan(tmp_path, AID, ["a"], timeout=10, sandbox=True, force=True)
    assert forced.grade == ["a"]
    (tmp_path / "submitted" / "a" / AID / f"{AID}.ipynb").write_text('{"new": 1}')
    resubmitted = parallel.plan(tmp_path, AID, ["a"], timeout=10, sandbox=True, force=False)
    assert resubmitted.grade == ["a"]
    assert parallel.read_result(tmp_path, AID, "nobody") is None


def test_grade_payload_reports_what_it_cannot_grade():
    payload = {"student": "x", "digest": "d", "source": "{", "released": "{}",
               "submitted": "{}", "timeout": 1.0, "load_timeout": 1.0, "sandbox": False}
    out = parallel.grade_payload(payload)
    assert out["results"] is None and out["error"].startswith("JSONDecodeError")
    assert out["worker"].endswith(f":{os.getpid()}")


def test_grade_locally_serial_calls_back_in_order():
    payloads = [{"student": s, "digest": "d", "source": "{", "released": "{}",
                 "submitted": "{}", "timeout": 1.0, "load_timeout": 1.0, "sandbox": False}
                for s in "ab"]
    got = []
    parallel.grade_locally(payloads, 1, lambda r: got.append(r["student"]))
    assert got == ["a", "b"]
    assert parallel.GRADER_VERSION


def test_uid_processes_counts_a_uids_processes():
    assert parallel.uid_processes(os.geteuid()) >= 1  # this one at least
    free = next(u for u in reversed(parallel.UID_SLOTS) if parallel.uid_processes(u) == 0)
    assert parallel.wait_uid_idle(free, timeout=1)
    assert not parallel.wait_uid_idle(os.geteuid(), timeout=0.05)
