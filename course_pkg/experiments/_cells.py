r"""One dispatch on the cell kind for the RNN, LSTM and GRU experiments.

:mod:`course_pkg.experiments.gradient_flow` steps a cell by hand (one step
forward and backward at a time) and :mod:`course_pkg.experiments.agreement`
runs whole sequences; both must pick :mod:`course_pkg.rnn`,
:mod:`course_pkg.lstm` or :mod:`course_pkg.gru` by name. This private module
does that once, behind a uniform interface: the LSTM's state is the pair
``(h, c)`` and the other cells' is ``(h,)``.

References
----------
Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. Neural
Computation 9(8).
Cho, K. et al. (2014). Learning phrase representations using RNN
encoder-decoder for statistical machine translation. EMNLP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def step_functions(cell: str) -> tuple[Callable, Callable]:
    r"""One-step forward and backward of ``cell`` on a tuple state.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}

    Returns
    -------
    forward : callable
        ``forward(x, state, params) -> (state, cache)``; ``x`` (N, D), each
        state entry (N, H).
    backward : callable
        ``backward(dstate, cache) -> dstate_prev`` (the input and parameter
        gradients are dropped).

    See Also
    --------
    Book chapter 2, "When memory fades" (gradients through time).
    """
    if cell == "rnn":
        from ..rnn import rnn_step_backward as step_bwd
        from ..rnn import rnn_step_forward as step_fwd
    elif cell == "lstm":
        from ..lstm import lstm_step_backward, lstm_step_forward

        def fwd(x, state, params):
            h, c, cache = lstm_step_forward(x, state[0], state[1], params)
            return (h, c), cache

        def bwd(dstate, cache):
            _, dh_prev, dc_prev, _ = lstm_step_backward(dstate[0], dstate[1], cache)
            return (dh_prev, dc_prev)

        return fwd, bwd
    else:
        from ..gru import gru_step_backward as step_bwd
        from ..gru import gru_step_forward as step_fwd

    def fwd1(x, state, params):
        h, cache = step_fwd(x, state[0], params)
        return (h,), cache

    def bwd1(dstate, cache):
        _, dh_prev, _ = step_bwd(dstate[0], cache)
        return (dh_prev,)

    return fwd1, bwd1


def sequence_forward(
    cell: str, X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray]
) -> tuple[np.ndarray, Any]:
    r"""Run ``cell`` over a whole sequence from ``h0`` (and ``c0 = h0`` for the LSTM).

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    X : ndarray of shape (T, N, D)
    h0 : ndarray of shape (N, H)
    params : dict of ndarray
        The cell's parameters only.

    Returns
    -------
    hs : ndarray of shape (T, N, H)
    cache : dict
        The cell's own cache, for :func:`sequence_backward`.

    See Also
    --------
    Book chapter 7, "The whole cell, through time".
    """
    if cell == "rnn":
        from ..rnn import rnn_forward

        return rnn_forward(X, h0, params)
    if cell == "lstm":
        from ..lstm import lstm_forward

        hs, _, cache = lstm_forward(X, h0, h0, params)
        return hs, cache
    from ..gru import gru_forward

    return gru_forward(X, h0, params)


def sequence_backward(cell: str, dhs: np.ndarray, cache: Any) -> dict[str, np.ndarray]:
    r"""Parameter gradients of ``cell`` given the gradient on every hidden state.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    dhs : ndarray of shape (T, N, H)
    cache : dict
        From :func:`sequence_forward`.

    Returns
    -------
    dict of ndarray
        Same keys and shapes as the cell's parameters.

    See Also
    --------
    Book chapter 7, "The whole cell, through time".
    """
    if cell == "rnn":
        from ..rnn import rnn_backward

        return rnn_backward(dhs, cache)[2]
    if cell == "lstm":
        from ..lstm import lstm_backward

        return lstm_backward(dhs, cache)[3]
    from ..gru import gru_backward

    return gru_backward(dhs, cache)[2]
