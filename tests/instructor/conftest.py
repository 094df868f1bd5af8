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
import subprocess
import tempfile

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


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """A real Dask cluster: one scheduler and two single-threaded workers."""
    if importlib.util.find_spec("distributed") is None:
        if REQUIRE_DASK:
            pytest.fail("COURSE_REQUIRE_DASK=1 but the `distributed` package is missing")
        pytest.skip("the `distributed` package is missing (make env)")
    from course_pkg.instructor.dask_backend import LocalDaskCluster

    with LocalDaskCluster(2, tmp_path_factory.mktemp("dask")) as cluster:
        yield cluster
