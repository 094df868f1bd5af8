"""The experiments behind the book's figures, each seeded and deterministic.

Modules
-------
gradient_flow     gradient norm against distance; exploding gradients and clipping
                  (chapters 2 and 5)
agreement         subject-verb agreement by distance for RNN, LSTM and GRU; gate
                  activations (chapters 7 and 8)
fair_comparison   the same race with the gates started open (forget and update
                  bias 3), every seed reported (chapter 8)
highway           the LSTM's cell-state gradient along the highway alone
                  (chapter 5)
attention_dates   date translation with and without attention; accuracy by
                  source length and attention maps (chapters 9 and 10)
bottleneck        string reversal with and without attention: accuracy falls
                  with length when the content grows (chapters 9 and 10)
beam              a hand-built decoder on which greedy decoding misses the most
                  probable sequence and beam search finds it (chapter 9)

Each public experiment function runs in well under a minute on two CPU cores
at its book settings (``benchmarks/bench_experiments.py`` measures them).
The experiments made of independent training runs (every cell, distance
and seed of :mod:`agreement`; the two models of :mod:`attention_dates` and
:mod:`bottleneck`) run them in ``COURSE_EXPERIMENT_WORKERS`` processes when
that variable is above 1 (``scripts/execute_book.py`` sets it for the book
build); every run is seeded on its own and single-threaded, so the results
are the same to the last bit as one after the other.
Nothing is imported eagerly: ``from course_pkg.experiments import
gradient_flow`` loads only what that module needs.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["single_threaded_blas"]

F = TypeVar("F", bound=Callable)


@contextlib.contextmanager
def _blas_limit() -> Iterator[None]:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it the experiments are only slower
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def single_threaded_blas(func: F) -> F:
    """Run ``func`` with the BLAS library limited to one thread.

    The experiments multiply small matrices (a few dozen rows) thousands of
    times; a multi-threaded BLAS spends more time waking its threads than
    computing, and on a busy two-core machine it measured 20 to 60 times
    slower than one thread. Uses ``threadpoolctl`` when it is installed.

    Parameters
    ----------
    func : callable
        The experiment.

    Returns
    -------
    callable
        ``func`` wrapped (same name, docstring and signature); the limit holds
        only during the call.

    See Also
    --------
    Book chapter 2, "When memory fades", and the other chapters whose
    figures these experiments compute.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _blas_limit():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _workers() -> int:
    """Processes for independent runs: ``COURSE_EXPERIMENT_WORKERS`` (default 1)."""
    value = os.environ.get("COURSE_EXPERIMENT_WORKERS", "1").strip() or "1"
    try:
        workers = int(value)
    except ValueError:
        raise ValueError(
            f"COURSE_EXPERIMENT_WORKERS must be a whole number of processes, got {value!r}."
        ) from None
    return max(1, workers)


def _map_runs(func: Callable, arglist: Sequence[tuple],
              cost: Sequence[float] | None = None) -> list[Any]:
    """``[func(*args) for args in arglist]``, over several processes when allowed.

    ``func`` must be a module-level function (it is pickled by name) whose
    result depends on its arguments only. With ``COURSE_EXPERIMENT_WORKERS``
    above 1 and more than one run, the runs go to a pool of freshly spawned
    processes (never forked: the caller may be a Jupyter kernel with
    threads); the results come back in the order of ``arglist``. ``cost``
    (one estimate per run, e.g. the sequence length) starts the longest runs
    first, so that the workers finish together.
    """
    arglist = list(arglist)
    workers = min(_workers(), len(arglist))
    if workers <= 1:
        return [func(*args) for args in arglist]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        order = range(len(arglist))
        if cost is not None:
            order = sorted(order, key=lambda k: -cost[k])
        futures = {k: pool.submit(func, *arglist[k]) for k in order}
        return [futures[k].result() for k in range(len(arglist))]
