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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .errors import CourseError

__all__ = ["grade_on_cluster"]


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
