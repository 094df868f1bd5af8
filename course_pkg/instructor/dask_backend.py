"""``course autograde ID --dask tcp://HOST:PORT``: the grading on a Dask cluster.

The workers of an existing Dask ``distributed`` cluster (started with
``dask scheduler`` and ``dask worker``, by dask-jobqueue on a batch system or by
the Dask Kubernetes operator) grade the submissions. A worker needs only the
installed course environment (``course_pkg`` with its pinned dependencies, and
Debian's bubblewrap for the sandbox): each task carries one submission's notebooks
as JSON text through the Dask client and returns the scores as JSON
(:func:`~.parallel.grade_payload`); nothing travels through a shared filesystem.
The instructor's machine stores each result as it arrives and records them in the
gradebook (:mod:`.parallel`), so a run that is interrupted (the cluster lost,
Ctrl-C) continues where it stopped.

:class:`LocalDaskCluster` starts a real scheduler and workers on 127.0.0.1 (the
same ``dask scheduler`` / ``dask worker`` commands as on a cluster): to try
``--dask`` on one machine, and what the tests and ``benchmarks/bench_grading.py``
grade on.
"""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from .errors import CourseError

__all__ = ["LocalDaskCluster", "grade_on_cluster"]


class LocalDaskCluster:
    """``dask scheduler`` and ``workers`` ``dask worker`` processes on 127.0.0.1.

    Each worker is single-threaded without a nanny, so one worker grades one
    submission at a time, as one process of ``-j`` does. The processes log to
    ``directory/dask.log`` and keep their scratch files in ``directory``.

    Parameters
    ----------
    workers : int
        Number of worker processes (>= 1).
    directory : path
        A folder for the log and the workers' files (created if missing).
    start_timeout : float
        Seconds to wait for the scheduler and every worker.

    Examples
    --------
    ::

        with LocalDaskCluster(2, tmp) as cluster:
            subprocess.run(["course", "autograde", "01_forget_gate", "--dask",
                            cluster.address])
    """

    def __init__(self, workers: int, directory: str | os.PathLike, *,
                 start_timeout: float = 120.0):
        if int(workers) < 1:
            raise ValueError(f"a Dask cluster needs at least 1 worker, got {workers}")
        self.workers = int(workers)
        self.directory = pathlib.Path(directory)
        self.start_timeout = float(start_timeout)
        self.address = ""
        self.procs: list[subprocess.Popen] = []

    @property
    def worker_pids(self) -> list[int]:
        """The pids of the worker processes (the scheduler's is not among them)."""
        return [p.pid for p in self.procs[1:]]

    @property
    def log(self) -> pathlib.Path:
        """The file the scheduler and the workers write their output to."""
        return self.directory / "dask.log"

    def start(self) -> str:
        """Start the processes and wait until every worker has joined; the address.

        If anything goes wrong (a timeout, Ctrl-C) the processes already started
        are stopped before the error propagates.
        """
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> str:
        dask = pathlib.Path(sys.executable).parent / "dask"
        if not dask.is_file():
            raise CourseError(f"the `dask` command is missing ({dask}); install the "
                              "`distributed` package into this environment (make env)")
        self.directory.mkdir(parents=True, exist_ok=True)
        with socket.socket() as s:  # a free port on loopback
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        with open(self.log, "ab") as log:  # each child keeps its own copy of the descriptor
            common = dict(stdout=log, stderr=subprocess.STDOUT, cwd=self.directory,
                          start_new_session=True)
            self.procs.append(subprocess.Popen(
                [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                 "--no-dashboard"], **common))
            for _ in range(self.workers):
                self.procs.append(subprocess.Popen(
                    [str(dask), "worker", self.address, "--nthreads", "1", "--no-nanny",
                     "--no-dashboard", "--host", "127.0.0.1", "--local-directory",
                     str(self.directory)], **common))
        from distributed import Client

        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                with Client(self.address, timeout=10) as client:
                    client.wait_for_workers(self.workers,
                                            timeout=max(1.0, deadline - time.monotonic()))
                return self.address
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    tail = self.log.read_text(errors="replace")[-3000:]
                    raise CourseError(f"the local Dask cluster did not start within "
                                      f"{self.start_timeout:.0f} s; its log ends with:\n"
                                      f"{tail}") from None
                time.sleep(0.5)

    def stop(self) -> None:
        """Stop the workers, then the scheduler (SIGTERM, SIGKILL after 5 s)."""
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs = []

    def __enter__(self) -> LocalDaskCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def grade_on_cluster(address: str, payloads: Sequence[dict[str, Any]],
                     on_result: Callable[[dict[str, Any]], None], *,
                     connect_timeout: float = 30.0) -> int:
    """Grade ``payloads`` on the Dask cluster at ``address``; ``on_result`` as each ends.

    Parameters
    ----------
    address : str
        The scheduler, ``tcp://HOST:PORT``.
    payloads : sequence of dict
        From :func:`~.parallel.make_payload`, one per submission.
    on_result : callable
        Called in this process with each :func:`~.parallel.grade_payload` result,
        in the order they finish.
    connect_timeout : float
        Seconds to wait for the scheduler.

    Returns
    -------
    int
        The number of workers the scheduler had when the grading started.
    """
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - a pinned dependency
        raise CourseError("--dask needs the `distributed` package (pip install "
                          "distributed)") from None
    from .parallel import grade_payload

    try:
        client = Client(address, timeout=connect_timeout)
    except (OSError, TimeoutError) as err:
        raise CourseError(f"cannot reach the Dask scheduler at {address} ({err}); start one "
                          "with `dask scheduler` and workers with `dask worker "
                          f"{address}`") from None
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        if workers == 0:
            client.wait_for_workers(1, timeout=connect_timeout)
            workers = len(client.scheduler_info().get("workers", {}))
        keys = [f"course-grade-{p['student']}-{p['digest'][:16]}" for p in payloads]
        # pure=False: a resubmitted notebook is a new task; retries: a worker lost mid-task
        futures = client.map(grade_payload, list(payloads), key=keys, pure=False, retries=2)
        try:
            for future in as_completed(futures):
                on_result(future.result())
        except BaseException:
            client.cancel(futures)
            raise
        return workers
    finally:
        client.close()
