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
Nothing is imported eagerly: ``from course_pkg.experiments import
gradient_flow`` loads only what that module needs.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import TypeVar

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
