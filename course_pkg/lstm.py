r"""The LSTM cell and the LSTM over a whole sequence, forward and backward.

:func:`lstm_step_forward` composes the per-gate functions of
:mod:`course_pkg.lstm_gates`, exactly as chapter 7 tells it (forget, store,
update, output). :func:`lstm_forward` computes the same thing for a whole
sequence, but fuses the four gate products into one matrix product and does
the input half of that product for all time steps at once; its backward
(:func:`lstm_backward`, backpropagation through time) likewise collects the
pre-activation gradients of every step and forms the weight gradients with
two large products at the end.

Parameters are a dict with ``W_f, W_i, W_g, W_o`` of shape ``(H + D, H)``
and ``b_f, b_i, b_g, b_o`` of shape ``(H,)``; rows ``[:H]`` of each weight
read ``h_prev`` and rows ``[H:]`` read ``x``.

References
----------
Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. Neural
Computation 9(8).
Gers, F., Schmidhuber, J. and Cummins, F. (2000). Learning to forget:
continual prediction with LSTM. Neural Computation 12(10).
Olah, C. (2015). Understanding LSTM Networks. colah.github.io.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_cache, check_params
from ._fused import fuse_gates, split_gate_grads
from .lstm_gates import (
    candidate,
    candidate_backward,
    cell_update,
    cell_update_backward,
    forget_gate,
    forget_gate_backward,
    hidden_state,
    hidden_state_backward,
    input_gate,
    input_gate_backward,
    output_gate,
    output_gate_backward,
)

__all__ = [
    "GATES",
    "lstm_param_shapes",
    "init_lstm_params",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
]

#: Gate names in the order the fused weight stacks them.
GATES = ("f", "i", "g", "o")


def lstm_param_shapes() -> dict[str, tuple[str, ...]]:
    """Symbolic shape of every LSTM parameter, keyed by name.

    Returns
    -------
    dict of str -> tuple of str
        ``{"W_f": ("H + D", "H"), "b_f": ("H",), ...}`` for the four gates, in
        the form :func:`course_pkg._checks.check_params` reads.

    See Also
    --------
    init_lstm_params
    Book appendix A, "Notation and conventions".
    """
    shapes: dict[str, tuple[str, ...]] = {}
    for gate in GATES:
        shapes[f"W_{gate}"] = ("H + D", "H")
        shapes[f"b_{gate}"] = ("H",)
    return shapes


def init_lstm_params(
    D: int,
    H: int,
    rng: np.random.Generator | int | None = 0,
    *,
    forget_bias: float = 0.0,
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    r"""Random LSTM parameters, uniform in :math:`\pm 1/\sqrt{H}` as PyTorch does.

    Parameters
    ----------
    D, H : int
        Input and hidden sizes.
    rng : numpy Generator or int seed
    forget_bias : float
        Added to ``b_f``. A value of 1 (Gers et al. 2000; Jozefowicz et al.
        2015) starts the forget gate near "keep", which helps long memories.
    dtype : numpy dtype

    Returns
    -------
    dict of ndarray
        ``W_f, W_i, W_g, W_o`` of shape (H + D, H); ``b_f, b_i, b_g, b_o`` of shape (H,).

    Notes
    -----
    .. math:: W_k, b_k \sim U\big(-1/\sqrt{H},\ 1/\sqrt{H}\big), \qquad
              b_f \leftarrow b_f + \text{forget\_bias}

    See Also
    --------
    course_pkg.init : other initialisers.
    Book chapter 3, "The forget gate" (why a positive forget bias helps);
    chapter 7, "The whole cell, through time".

    Examples
    --------
    >>> p = init_lstm_params(D=3, H=2, rng=0, forget_bias=1.0)
    >>> p["W_f"].shape, p["b_f"].shape, bool(p["b_f"].min() > 0.29)
    ((5, 2), (2,), True)
    """
    rng = np.random.default_rng(rng)
    bound = 1.0 / np.sqrt(H)
    params = {}
    for gate in GATES:
        params[f"W_{gate}"] = rng.uniform(-bound, bound, size=(H + D, H)).astype(dtype)
        params[f"b_{gate}"] = rng.uniform(-bound, bound, size=(H,)).astype(dtype)
    params["b_f"] = params["b_f"] + dtype(forget_bias)
    return params


def lstm_step_forward(
    x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, params: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, dict]:
    r"""One LSTM step, built from the four gates.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    h_prev, c_prev : ndarray of shape (N, H)
    params : dict
        See the module docstring.

    Returns
    -------
    h, c : ndarray of shape (N, H)
        New hidden and cell states.
    cache : dict
        The gates ``f, i, g, o`` (each (N, H)) and what the backward needs.

    Notes
    -----
    .. math::
        f_t &= \sigma(z_t W_f + b_f), \quad i_t = \sigma(z_t W_i + b_i), \quad
        g_t = \tanh(z_t W_g + b_g), \quad o_t = \sigma(z_t W_o + b_o) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad
        h_t = o_t \odot \tanh(c_t), \qquad z_t = [h_{t-1}, x_t]

    See Also
    --------
    Book chapter 7, "The whole cell, through time"; assignment 05.
    """
    dims: dict[str, int] = {}
    check_array("x", x, ("N", "D"), dims)
    check_array("h_prev", h_prev, ("N", "H"), dims)
    check_array("c_prev", c_prev, ("N", "H"), dims)
    check_params(params, lstm_param_shapes(), dims)
    f, f_cache = forget_gate(h_prev, x, params["W_f"], params["b_f"])
    i, i_cache = input_gate(h_prev, x, params["W_i"], params["b_i"])
    g, g_cache = candidate(h_prev, x, params["W_g"], params["b_g"])
    c, c_cache = cell_update(f, c_prev, i, g)
    o, o_cache = output_gate(h_prev, x, params["W_o"], params["b_o"])
    h, h_cache = hidden_state(o, c)
    cache = {
        "f": f, "i": i, "g": g, "o": o,
        "gate_caches": (f_cache, i_cache, g_cache, o_cache),
        "c_cache": c_cache, "h_cache": h_cache,
    }
    return h, c, cache


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray, cache: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r"""Backward pass of :func:`lstm_step_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        Gradient with respect to the step's output ``h``.
    dc : ndarray of shape (N, H)
        Gradient with respect to ``c`` arriving from the next step (zeros at
        the last step unless the loss reads the final cell state).
    cache : dict
        From :func:`lstm_step_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dh_prev, dc_prev : ndarray of shape (N, H)
    grads : dict
        Same keys and shapes as ``params``.

    Notes
    -----
    The gradient reaching :math:`c_t` has two sources, the highway from
    :math:`c_{t+1}` and the path through :math:`h_t`:

    .. math:: \partial c_t = \partial c_t^{\text{next}}
              + \partial h_t \odot o_t \odot (1 - \tanh^2 c_t)

    See Also
    --------
    lstm_step_forward
    Book chapter 7, "The whole cell, through time"; assignment 06.
    """
    check_cache(cache, ("f", "h_cache", "c_cache", "gate_caches"), "lstm_step_forward")
    shape = cache["f"].shape  # (N, H)
    check_array("dh", dh, shape)
    check_array("dc", dc, shape)
    do, dc_from_h = hidden_state_backward(dh, cache["h_cache"])
    dc_total = dc + dc_from_h  # (N, H)
    df, dc_prev, di, dg = cell_update_backward(dc_total, cache["c_cache"])
    f_cache, i_cache, g_cache, o_cache = cache["gate_caches"]
    grads = {}
    dh_prev = 0.0
    dx = 0.0
    for gate, dgate, gcache, backward in (
        ("f", df, f_cache, forget_gate_backward),
        ("i", di, i_cache, input_gate_backward),
        ("g", dg, g_cache, candidate_backward),
        ("o", do, o_cache, output_gate_backward),
    ):
        dh_part, dx_part, dW, db = backward(dgate, gcache)
        dh_prev = dh_prev + dh_part
        dx = dx + dx_part
        grads[f"W_{gate}"] = dW
        grads[f"b_{gate}"] = db
    return dx, dh_prev, dc_prev, grads


def lstm_forward(
    X: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    params: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, dict]:
    r"""Run an LSTM over a whole sequence.

    Parameters
    ----------
    X : ndarray of shape (T, N, D)
        Time-major inputs.
    h0, c0 : ndarray of shape (N, H)
        Initial states (zeros are the usual choice).
    params : dict
        See the module docstring.

    Returns
    -------
    hs : ndarray of shape (T, N, H)
        Hidden state at every step; ``hs[-1]`` is the final one.
    cs : ndarray of shape (T, N, H)
        Cell state at every step; ``cs[-1]`` is the final one.
    cache : dict
        For :func:`lstm_backward`. ``cache["gates"]`` maps ``"f", "i", "g",
        "o"`` to arrays of shape (T, N, H): the gate activations that the
        book's heatmaps plot.

    Notes
    -----
    The same equations as :func:`lstm_step_forward`, with the four products
    fused: :math:`a_t = h_{t-1} W_h + x_t W_x + b` with
    :math:`W = [W_f\,W_i\,W_g\,W_o]` of shape (H + D, 4H) split into its
    ``h`` rows :math:`W_h` and ``x`` rows :math:`W_x`. The products
    :math:`x_t W_x` for all ``t`` are one (T N, D) x (D, 4H) product.
    Sigmoids are computed as :math:`\sigma(a) = (1 + \tanh(a/2)) / 2`, which
    is exact, cannot overflow and lets one ``tanh`` call serve all four gates.

    See Also
    --------
    Book chapter 7, "The whole cell, through time"; assignment 05.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, h0 = rng.normal(size=(4, 2, 3)), np.zeros((2, 5))
    >>> hs, cs, cache = lstm_forward(X, h0, h0, init_lstm_params(3, 5, rng))
    >>> hs.shape, cs.shape, cache["gates"]["f"].shape
    ((4, 2, 5), (4, 2, 5), (4, 2, 5))
    """
    dims: dict[str, int] = {}
    check_array("X", X, ("T", "N", "D"), dims)
    check_array("h0", h0, ("N", "H"), dims)
    check_array("c0", c0, ("N", "H"), dims)
    check_params(params, lstm_param_shapes(), dims)
    T, N, D = X.shape
    H = dims["H"]
    dtype = np.result_type(X, h0, c0, *params.values())
    W_h, W_x, b = fuse_gates(params, GATES, H)  # (H, 4H), (D, 4H), (4H,)
    # Scale the pre-activations so that one tanh gives all four gates:
    # tanh(a/2) for the sigmoid gates, tanh(a) for the candidate.
    scale = np.full(4 * H, 0.5, dtype=dtype)
    scale[2 * H : 3 * H] = 1.0
    W_hs = W_h * scale  # (H, 4H)
    XW = (X.reshape(T * N, D) @ (W_x * scale)).reshape(T, N, 4 * H)  # (T, N, 4H)
    XW += b * scale
    acts = np.empty((T, N, 4 * H), dtype=dtype)  # gate activations
    hs = np.empty((T, N, H), dtype=dtype)
    cs = np.empty((T, N, H), dtype=dtype)
    tcs = np.empty((T, N, H), dtype=dtype)  # tanh(c_t)
    h, c = h0, c0
    for t in range(T):
        a = XW[t] + h @ W_hs  # (N, 4H), already scaled
        act = acts[t]
        np.tanh(a, out=act)
        act[:, : 2 * H] += 1.0
        act[:, : 2 * H] *= 0.5
        act[:, 3 * H :] += 1.0
        act[:, 3 * H :] *= 0.5
        f = act[:, :H]
        i = act[:, H : 2 * H]
        g = act[:, 2 * H : 3 * H]
        o = act[:, 3 * H :]
        c = f * c + i * g  # (N, H)
        cs[t] = c
        np.tanh(c, out=tcs[t])
        h = o * tcs[t]  # (N, H)
        hs[t] = h
    cache = {
        "X": X, "h0": h0, "c0": c0, "hs": hs, "cs": cs, "tcs": tcs, "acts": acts,
        "W_h": W_h, "W_x": W_x, "H": H,
        "gates": {gate: acts[:, :, k * H : (k + 1) * H] for k, gate in enumerate(GATES)},
    }
    return hs, cs, cache


def lstm_backward(
    dhs: np.ndarray,
    cache: dict,
    dc_last: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r"""Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    dhs : ndarray of shape (T, N, H)
        Gradient of the loss with respect to every hidden state (zeros where
        the loss does not read a step; a classifier on the last step only
        fills ``dhs[-1]``).
    cache : dict
        From :func:`lstm_forward`.
    dc_last : ndarray of shape (N, H), optional
        Gradient with respect to the final cell state ``cs[-1]`` (e.g. when an
        encoder hands its cell state to a decoder). Zeros if omitted.

    Returns
    -------
    dX : ndarray of shape (T, N, D)
    dh0, dc0 : ndarray of shape (N, H)
    grads : dict
        Same keys and shapes as ``params``.

    Notes
    -----
    Walking back from :math:`t = T` to 1, with :math:`\partial h` the sum of
    ``dhs[t]`` and the recurrent gradient from step :math:`t + 1`:

    .. math::
        \partial o_t &= \partial h_t \odot \tanh c_t, \qquad
        \partial c_t \mathrel{+}= \partial h_t \odot o_t \odot (1 - \tanh^2 c_t) \\
        \partial f_t &= \partial c_t \odot c_{t-1}, \quad
        \partial i_t = \partial c_t \odot g_t, \quad
        \partial g_t = \partial c_t \odot i_t, \quad
        \partial c_{t-1} = \partial c_t \odot f_t \\
        \partial a_t &= [\partial f_t f_t(1-f_t),\ \partial i_t i_t(1-i_t),\
        \partial g_t (1-g_t^2),\ \partial o_t o_t(1-o_t)], \qquad
        \partial h_{t-1} = \partial a_t W_h^\top

    and at the end :math:`\partial W = \sum_t z_t^\top \partial a_t`,
    :math:`\partial b = \sum_{t,n} \partial a_t`, :math:`\partial x_t = \partial a_t W_x^\top`.

    See Also
    --------
    lstm_forward
    Book chapter 7, "The whole cell, through time" (backpropagation through
    time); chapter 5, "The cell state" (the highway term :math:`\partial c_{t-1} =
    \partial c_t \odot f_t`); assignment 06.
    """
    check_cache(cache, ("X", "h0", "c0", "hs", "cs", "tcs", "acts", "W_h", "W_x", "H"),
                "lstm_forward")
    X, hs, cs, tcs, acts = cache["X"], cache["hs"], cache["cs"], cache["tcs"], cache["acts"]
    W_h, W_x, H = cache["W_h"], cache["W_x"], cache["H"]
    T, N, D = X.shape
    check_array("dhs", dhs, (T, N, H))
    dtype = acts.dtype
    dc = np.zeros((N, H), dtype=dtype)
    if dc_last is not None:
        check_array("dc_last", dc_last, (N, H))
        dc = dc + dc_last
    dh_next = np.zeros((N, H), dtype=dtype)
    das = np.empty((T, N, 4 * H), dtype=dtype)  # pre-activation gradients
    W_hT = np.ascontiguousarray(W_h.T)  # (4H, H)
    for t in range(T - 1, -1, -1):
        act = acts[t]
        f = act[:, :H]
        i = act[:, H : 2 * H]
        g = act[:, 2 * H : 3 * H]
        o = act[:, 3 * H :]
        tc = tcs[t]
        c_prev = cs[t - 1] if t > 0 else cache["c0"]
        dh = dhs[t] + dh_next  # (N, H)
        dc = dc + dh * o * (1.0 - tc * tc)  # (N, H)
        da = das[t]
        # d(activation) then through each nonlinearity, in place
        np.multiply(dc, c_prev, out=da[:, :H])
        np.multiply(dc, g, out=da[:, H : 2 * H])
        np.multiply(dc, i, out=da[:, 2 * H : 3 * H])
        np.multiply(dh, tc, out=da[:, 3 * H :])
        da[:, 2 * H : 3 * H] *= 1.0 - g * g
        da[:, :H] *= f * (1.0 - f)
        da[:, H : 2 * H] *= i * (1.0 - i)
        da[:, 3 * H :] *= o * (1.0 - o)
        dc = dc * f  # gradient handed to c_{t-1}: the highway
        dh_next = da @ W_hT  # (N, H)
    das2 = das.reshape(T * N, 4 * H)  # (T N, 4H)
    h_prevs = np.concatenate([cache["h0"][None], hs[:-1]], axis=0).reshape(T * N, H)
    dW_h = h_prevs.T @ das2  # (H, 4H)
    dW_x = X.reshape(T * N, D).T @ das2  # (D, 4H)
    db = das2.sum(axis=0)  # (4H,)
    dX = (das2 @ W_x.T).reshape(T, N, D)  # (T, N, D)
    grads = split_gate_grads(dW_h, dW_x, db, GATES, H)
    return dX, dh_next, dc, grads
