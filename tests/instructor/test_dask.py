"""``course autograde ID --dask tcp://HOST:PORT`` on a real Dask cluster.

A ``dask scheduler`` and two ``dask worker --nthreads 1`` processes on 127.0.0.1
(fixture ``dask_cluster``) grade a small class: the notebooks travel to the workers
through the Dask client, the results come back the same way, and the scores equal
those of grading on this machine.
"""

from __future__ import annotations

import os

import pytest
from scale_helpers import AID, RIGHT, WRONG, course

from course_pkg.instructor import dask_backend, parallel
from course_pkg.instructor.errors import CourseError
from course_pkg.instructor.sandbox import sandbox_problem

PROBLEM = sandbox_problem()
pytestmark = [pytest.mark.nbgrader, pytest.mark.skipif(
    PROBLEM is not None and os.environ.get("COURSE_REQUIRE_SANDBOX") != "1",
    reason=f"no sandbox here: {PROBLEM}")]

CLASS = {"ana": (RIGHT, None), "bo": (WRONG, None), "cy": (RIGHT, None),
         "dee": (WRONG, None), "eve": (RIGHT, None), "fay": (RIGHT, None)}


def test_dask_workers_grade_and_the_scores_match_local_grading(dask_cluster, make_class):
    course_dir = make_class(CLASS)
    out = course("--course-dir", course_dir, "autograde", AID, "--dask",
                 dask_cluster.address).stdout
    assert f"on the Dask cluster {dask_cluster.address}" in out and "6 graded" in out
    state = course_dir / parallel.STATE_DIR / AID
    workers = {parallel.read_result(course_dir, AID, s)["worker"] for s in CLASS}
    pids = {int(w.rsplit(":", 1)[1]) for w in workers}
    assert pids <= set(dask_cluster.worker_pids) and os.getpid() not in pids
    with parallel.open_gradebook(course_dir) as gb:
        remote = {s.student.id: s.score for s in gb.find_assignment(AID).submissions}
    assert set(remote) == set(CLASS)
    # the same class graded on this machine
    for p in state.iterdir():
        p.unlink()
    course("--course-dir", course_dir, "autograde", AID, "-j", "1", "--force")
    with parallel.open_gradebook(course_dir) as gb:
        local = {s.student.id: s.score for s in gb.find_assignment(AID).submissions}
    assert remote == local
    assert len({local[s] for s in ("ana", "cy", "eve", "fay")}) == 1 > 0 < local["ana"]
    assert local["bo"] < local["ana"]


def test_an_unreachable_scheduler_is_a_clear_error():
    port = __import__("scale_helpers").free_port()
    with pytest.raises(CourseError, match="cannot reach the Dask scheduler"):
        dask_backend.grade_on_cluster(f"tcp://127.0.0.1:{port}", [], lambda r: None,
                                      connect_timeout=2)


def test_local_cluster_starts_real_processes_and_stops_every_one(tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match="at least 1 worker"):
        dask_backend.LocalDaskCluster(0, tmp_path)
    with dask_backend.LocalDaskCluster(1, tmp_path) as cluster:
        procs = list(cluster.procs)
        assert cluster.address.startswith("tcp://127.0.0.1:") and len(procs) == 2
        assert cluster.worker_pids == [procs[1].pid]
        assert all(p.poll() is None for p in procs)
    assert all(p.poll() is not None for p in procs) and cluster.procs == []
    assert "dask" in cluster.log.read_text(errors="replace").lower()
