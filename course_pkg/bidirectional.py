r"""A bidirectional recurrent layer: one cell reads left to right, another right to left.

A forward cell reads :math:`x_1, \dots, x_T` and produces
:math:`\overrightarrow{h}_t`, which summarises the past up to step
:math:`t`. A second cell, with its own parameters, reads the reversed
sequence :math:`x_T, \dots, x_1` and produces :math:`\overleftarrow{h}_t`,
which summarises the future from step :math:`t` on. The layer's output at
step :math:`t` is the concatenation

.. math:: y_t = [\overrightarrow{h}_t,\ \overleftarrow{h}_t] \quad \text{of shape } (N, 2H),

so every position sees the whole sequence (Schuster and Paliwal 1997). The
two directions share nothing but their input, so the backward pass is the
two cells' own backward passes, one of them on reversed time.

Any cell of the registry (:mod:`course_pkg.cells`) works: ``"rnn"``,
``"lstm"``, ``"gru"``. Shapes: ``X`` (T, N, D), output (T, N, 2H), each
state entry (N, H). All sequences of a batch have length T (no padding):
with padding the reverse cell would have to start at each sequence's own
last token, which this reference does not do.

Final states follow PyTorch's ``h_n``: the forward cell's state after
:math:`x_T` and the reverse cell's state after :math:`x_1` (its last step).

References
----------
Schuster, M. and Paliwal, K. K. (1997). Bidirectional recurrent neural
networks. IEEE Transactions on Signal Processing 45(11).
Graves, A. and Schmidhuber, J. (2005). Framewise phoneme classification with
bidirectional LSTM and other neural network architectures. Neural Networks 18.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import cells
from ._checks import check_array, check_cache

__all__ = ["bidirectional_forward", "bidirectional_backward"]


def _check_states(name: str, states: Any, spec: cells.CellSpec, N: int, H: int) -> tuple:
    """``states`` must be a pair (forward, reverse) of cell states; None means zeros."""
    if states is None:
        zero = cells.zero_state(spec, N, H)
        return zero, zero
    if not isinstance(states, tuple | list) or len(states) != 2:
        raise ValueError(
            f"{name} must be a pair (forward state, reverse state), each a tuple of "
            f"{spec.n_states} array(s) of shape (N, H) = ({N}, {H}); got "
            f"{type(states).__name__}."
        )
    out = []
    for direction, state in zip(("forward", "reverse"), states):
        if not isinstance(state, tuple | list) or len(state) != spec.n_states:
            raise ValueError(
                f"{name} ({direction} direction) must be a tuple of {spec.n_states} array(s) "
                f"{spec.state_names} for the {spec.name}, got {type(state).__name__}."
            )
        for sname, s in zip(spec.state_names, state):
            check_array(f"{name} ({direction} {sname})", s, (N, H))
        out.append(tuple(state))
    return tuple(out)


def bidirectional_forward(
    X: np.ndarray,
    params_fwd: Mapping[str, np.ndarray],
    params_bwd: Mapping[str, np.ndarray],
    cell: str = "lstm",
    state0: tuple | None = None,
) -> tuple[np.ndarray, tuple, dict]:
    r"""Run a bidirectional layer: a forward cell, a reverse cell, outputs concatenated.

    Parameters
    ----------
    X : ndarray of shape (T, N, D)
        Time-major inputs.
    params_fwd, params_bwd : dict of ndarray
        The two cells' parameters (same cell, same sizes, independent values),
        e.g. from :func:`course_pkg.cells.init_params`.
    cell : {"rnn", "lstm", "gru"}
        The cell of both directions (the GRU is the reset-after one).
    state0 : pair of cell states, optional
        ``(state_fwd, state_bwd)``, each ``(h,)`` or ``(h, c)`` with arrays of
        shape (N, H); zeros when None.

    Returns
    -------
    out : ndarray of shape (T, N, 2H)
        ``out[t, :, :H]`` is the forward cell's :math:`h_t`, ``out[t, :, H:]``
        the reverse cell's state after reading :math:`x_T, \dots, x_t`.
    state_last : pair of cell states
        The forward cell's state after :math:`x_T` and the reverse cell's after
        :math:`x_1` (PyTorch's ``h_n`` / ``c_n`` order).
    cache : dict
        For :func:`bidirectional_backward`.

    Notes
    -----
    .. math::
        \overrightarrow{h}_t = \text{cell}(x_t, \overrightarrow{h}_{t-1}), \qquad
        \overleftarrow{h}_t = \text{cell}'(x_t, \overleftarrow{h}_{t+1}), \qquad
        y_t = [\overrightarrow{h}_t, \overleftarrow{h}_t]

    The reverse cell is the ordinary forward pass run on ``X[::-1]``; its
    outputs are flipped back so that ``out[t]`` lines up with ``X[t]``.

    See Also
    --------
    bidirectional_backward, course_pkg.stacked.stacked_forward
    Book chapter 12, "Training recurrent networks in practice".

    Examples
    --------
    >>> from course_pkg.cells import init_params
    >>> X = np.random.default_rng(0).normal(size=(5, 2, 3))
    >>> out, (s_f, s_b), _ = bidirectional_forward(
    ...     X, init_params("lstm", 3, 4, 1), init_params("lstm", 3, 4, 2))
    >>> same_f = bool(np.allclose(out[-1, :, :4], s_f[0]))
    >>> same_b = bool(np.allclose(out[0, :, 4:], s_b[0]))
    >>> out.shape, same_f, same_b
    ((5, 2, 8), True, True)
    """
    spec = cells.get_cell(cell)
    dims: dict[str, int] = {}
    check_array("X", X, ("T", "N", "D"), dims)
    D_f, H = cells.cell_sizes(spec, params_fwd)
    D_b, H_b = cells.cell_sizes(spec, params_bwd)
    if (D_b, H_b) != (D_f, H):
        raise ValueError(
            f"params_bwd has sizes (D, H) = {(D_b, H_b)} but params_fwd has {(D_f, H)}: "
            "both directions must read the same input and have the same hidden size."
        )
    N = dims["N"]
    s_f, s_b = _check_states("state0", state0, spec, N, H)
    hs_f, last_f, cache_f = spec.forward(X, s_f, dict(params_fwd))
    # (T, N, H), in reverse time
    hs_r, last_b, cache_b = spec.forward(X[::-1], s_b, dict(params_bwd))
    out = np.concatenate([hs_f, hs_r[::-1]], axis=2)  # (T, N, 2H)
    cache = {"spec": spec, "shape": (X.shape[0], N, H), "cache_f": cache_f, "cache_b": cache_b}
    return out, (last_f, last_b), cache


def bidirectional_backward(
    dout: np.ndarray, cache: dict, dstate_last: tuple | None = None
) -> tuple[np.ndarray, tuple, tuple[dict, dict]]:
    r"""Backward pass of :func:`bidirectional_forward`.

    Parameters
    ----------
    dout : ndarray of shape (T, N, 2H)
        Gradient of the loss with respect to the layer's output.
    cache : dict
        From :func:`bidirectional_forward`.
    dstate_last : pair of cell states, optional
        Gradients with respect to ``state_last`` (zeros when None).

    Returns
    -------
    dX : ndarray of shape (T, N, D)
        The sum of what the two directions send to each input.
    dstate0 : pair of cell states
        Gradients with respect to ``state0``.
    grads : pair of dict
        ``(grads_fwd, grads_bwd)``, keys and shapes of the two parameter dicts.

    Notes
    -----
    The output splits into the two directions,
    :math:`\partial \overrightarrow{h}_t = \partial y_t^{[:H]}` and
    :math:`\partial \overleftarrow{h}_t = \partial y_t^{[H:]}`; each cell runs
    its own BPTT (the reverse one on reversed time) and the input receives
    both: :math:`\partial x_t = \partial x_t^{\rightarrow} + \partial x_t^{\leftarrow}`.

    See Also
    --------
    bidirectional_forward
    Book chapter 12, "Training recurrent networks in practice".
    """
    check_cache(cache, ("spec", "shape", "cache_f", "cache_b"), "bidirectional_forward")
    spec = cache["spec"]
    T, N, H = cache["shape"]
    check_array("dout", dout, (T, N, 2 * H))
    ds_f, ds_b = (None, None) if dstate_last is None else _check_states(
        "dstate_last", dstate_last, spec, N, H)
    dX_f, d0_f, g_f = spec.backward(np.ascontiguousarray(dout[:, :, :H]), cache["cache_f"], ds_f)
    dX_r, d0_b, g_b = spec.backward(np.ascontiguousarray(dout[::-1, :, H:]), cache["cache_b"],
                                    ds_b)
    dX = dX_f + dX_r[::-1]  # (T, N, D)
    return dX, (d0_f, d0_b), (g_f, g_b)
