"""Fixtures for grading at scale: a real PostgreSQL server, a real Dask cluster, a class.

* ``postgres``: Debian's PostgreSQL (``/usr/lib/postgresql/<ver>/bin``), ``initdb`` in
  a temporary data directory and ``pg_ctl start`` on a free port of 127.0.0.1 (as the
  ``postgres`` user when the tests run as root), stopped at teardown. Skipped when the
  binaries are missing, unless ``COURSE_REQUIRE_POSTGRES=1`` (set by ``.ci/run``).
* ``dask_cluster``: ``dask scheduler`` and two ``dask worker --nthreads 1`` processes
  on 127.0.0.1, from this environment; skipped without ``distributed`` unless
  ``COURSE_REQUIRE_DASK=1``.
* ``make_class``: a course directory with an assignment released and a class of
  submissions collected.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from scale_helpers import AID, collect, course, free_port


@pytest.fixture(scope="module")
def make_class(tmp_path_factory):
    """``make(students, db=None) -> course directory``, released and collected."""

    def make(students: dict, db: str | None = None) -> pathlib.Path:
        base = tmp_path_factory.mktemp("class")
        course_dir = base / "course"
        course("init", course_dir, *(["--db", db] if db else []))
        course("--course-dir", course_dir, "release", AID)
        collect(course_dir, base / "subs", students)
        return course_dir

    return make


# --- PostgreSQL ------------------------------------------------------------------------

REQUIRE_POSTGRES = os.environ.get("COURSE_REQUIRE_POSTGRES") == "1"


def _pg_bin() -> pathlib.Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(pathlib.Path(p).parts[-3]))
    return pathlib.Path(found[-1]).parent if found else None


class Postgres:
    """A running PostgreSQL server; :meth:`new_database` gives a fresh database URL."""

    def __init__(self, port: int):
        self.port = port
        self.count = 0

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        import psycopg

        self.count += 1
        name = f"gradebook_{self.count}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on a free local port, for the session."""
    pg_bin = _pg_bin()
    if pg_bin is None or importlib.util.find_spec("psycopg") is None:
        why = ("PostgreSQL binaries missing (apt-get install postgresql, or make system-deps)"
               if pg_bin is None else "psycopg missing (make env)")
        if REQUIRE_POSTGRES:
            pytest.fail(f"COURSE_REQUIRE_POSTGRES=1 but {why}")
        pytest.skip(why)
    data = pathlib.Path(tempfile.mkdtemp(prefix="course-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        shutil.chown(data, "postgres", "postgres")
        as_user = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
    port = free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    def run(*argv):
        return subprocess.run([*as_user, *map(str, argv)], check=True, capture_output=True,
                              text=True, env=env, cwd=data, timeout=120)

    run(pg_bin / "initdb", "-D", data / "db", "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run(pg_bin / "pg_ctl", "start", "-w", "-t", "60", "-D", data / "db", "-l", data / "log",
        "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=200 "
              "-c fsync=off")
    try:
        yield Postgres(port)
    finally:
        subprocess.run([*as_user, str(pg_bin / "pg_ctl"), "stop", "-m", "fast", "-D",
                        str(data / "db")], capture_output=True, env=env, cwd=data, timeout=60)
        shutil.rmtree(data, ignore_errors=True)


# --- Dask ------------------------------------------------------------------------------

REQUIRE_DASK = os.environ.get("COURSE_REQUIRE_DASK") == "1"


class DaskCluster:
    """A scheduler's address and the pids of its worker processes."""

    def __init__(self, address: str, worker_pids: list[int]):
        self.address = address
        self.worker_pids = worker_pids


def start_dask(workers: int, tmp: pathlib.Path) -> tuple[str, list[subprocess.Popen]]:
    """``dask scheduler`` and ``workers`` ``dask worker`` processes on 127.0.0.1."""
    dask = pathlib.Path(sys.executable).parent / "dask"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = []
    log = open(tmp / "dask.log", "ab")
    common = dict(stdout=log, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True)
    procs.append(subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port",
                                   str(port), "--no-dashboard"], **common))
    for _ in range(workers):
        procs.append(subprocess.Popen(
            [str(dask), "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
             "--host", "127.0.0.1", "--local-directory", str(tmp)], **common))
    from distributed import Client

    deadline = time.monotonic() + 120
    while True:
        try:
            with Client(address, timeout=10) as client:
                client.wait_for_workers(workers, timeout=max(1, deadline - time.monotonic()))
            break
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                stop_dask(procs)
                raise AssertionError((tmp / "dask.log").read_text()[-3000:]) from None
            time.sleep(0.5)
    return address, procs


def stop_dask(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """A real Dask cluster: one scheduler and two single-threaded workers."""
    if importlib.util.find_spec("distributed") is None:
        if REQUIRE_DASK:
            pytest.fail("COURSE_REQUIRE_DASK=1 but the `distributed` package is missing")
        pytest.skip("the `distributed` package is missing (make env)")
    tmp = tmp_path_factory.mktemp("dask")
    address, procs = start_dask(2, tmp)
    try:
        yield DaskCluster(address, [p.pid for p in procs[1:]])
    finally:
        stop_dask(procs)
