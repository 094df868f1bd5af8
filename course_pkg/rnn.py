r"""The vanilla (Elman) RNN cell and the RNN over a whole sequence.

One step squashes the previous hidden state and the current input through a
single tanh layer: the network's only memory is ``h``, rewritten completely
at every step. Chapter 1 unrolls this loop; chapter 2 shows why gradients
fade along it (every step multiplies by :math:`W_h^\top` and a tanh
derivative no larger than 1).

:func:`rnn_step_forward` / :func:`rnn_step_backward` are the readable
one-step versions. :func:`rnn_forward` does the input half of the product
for all time steps at once and :func:`rnn_backward` (backpropagation through
time) forms the weight gradients with one large product at the end, as
:mod:`course_pkg.lstm` does.

Parameters are a dict with ``W`` of shape ``(H + D, H)`` (rows ``[:H]`` read
``h_prev``, rows ``[H:]`` read ``x``) and ``b`` of shape ``(H,)``.

References
----------
Elman, J. L. (1990). Finding structure in time. Cognitive Science 14(2).
Werbos, P. J. (1990). Backpropagation through time: what it does and how to
do it. Proceedings of the IEEE 78(10).
Bengio, Y., Simard, P. and Frasconi, P. (1994). Learning long-term
dependencies with gradient descent is difficult. IEEE Trans. Neural Networks 5(2).
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_cache, check_params

__all__ = [
    "init_rnn_params",
    "rnn_backward",
    "rnn_forward",
    "rnn_param_shapes",
    "rnn_step_backward",
    "rnn_step_forward",
]


def rnn_param_shapes() -> dict[str, tuple[str, ...]]:
    """Symbolic shape of every RNN parameter, keyed by name.

    Returns
    -------
    dict of str -> tuple of str
        ``{"W": ("H + D", "H"), "b": ("H",)}``, as
        :func:`course_pkg._checks.check_params` reads it.

    See Also
    --------
    init_rnn_params
    Book appendix A, "Notation and conventions".
    """
    return {"W": ("H + D", "H"), "b": ("H",)}


def init_rnn_params(
    D: int,
    H: int,
    rng: np.random.Generator | int | None = 0,
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    r"""Random RNN parameters, uniform in :math:`\pm 1/\sqrt{H}` as PyTorch does.

    Parameters
    ----------
    D, H : int
        Input and hidden sizes.
    rng : numpy Generator or int seed
    dtype : numpy dtype

    Returns
    -------
    dict of ndarray
        ``W`` of shape (H + D, H) and ``b`` of shape (H,).

    Notes
    -----
    .. math:: W_{jk},\ b_k \sim U\big(-1/\sqrt{H},\ 1/\sqrt{H}\big)

    See Also
    --------
    course_pkg.init : Xavier, He, orthogonal and identity initialisers
        (chapter 2 compares them).
    Book chapter 1, "Why sequences need memory".
    """
    rng = np.random.default_rng(rng)
    bound = 1.0 / np.sqrt(H)
    return {
        "W": rng.uniform(-bound, bound, size=(H + D, H)).astype(dtype),
        "b": rng.uniform(-bound, bound, size=(H,)).astype(dtype),
    }


def rnn_step_forward(
    x: np.ndarray, h_prev: np.ndarray, params: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict]:
    r"""One RNN step: a single tanh layer on ``[h_prev, x]``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Current input.
    h_prev : ndarray of shape (N, H)
        Previous hidden state.
    params : dict
        ``W`` of shape (H + D, H) and ``b`` of shape (H,).

    Returns
    -------
    h : ndarray of shape (N, H)
        New hidden state, values in (-1, 1).
    cache : dict
        For :func:`rnn_step_backward`.

    Notes
    -----
    .. math:: h_t = \tanh([h_{t-1}, x_t] W + b)
              = \tanh(h_{t-1} W_h + x_t W_x + b)

    with :math:`W_h` = ``W[:H]`` and :math:`W_x` = ``W[H:]``.

    See Also
    --------
    Book chapter 1, "Why sequences need memory".
    """
    dims: dict[str, int] = {}
    check_array("x", x, ("N", "D"), dims)
    check_array("h_prev", h_prev, ("N", "H"), dims)
    check_params(params, rnn_param_shapes(), dims)
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    h = np.tanh(z @ params["W"] + params["b"])  # (N, H)
    return h, {"z": z, "h": h, "W": params["W"], "H": dims["H"]}


def rnn_step_backward(
    dh: np.ndarray, cache: dict
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r"""Backward pass of :func:`rnn_step_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        Gradient with respect to the step's output ``h``.
    cache : dict
        From :func:`rnn_step_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dh_prev : ndarray of shape (N, H)
    grads : dict
        ``W`` of shape (H + D, H) and ``b`` of shape (H,).

    Notes
    -----
    With :math:`a = z W + b`:

    .. math:: \partial a = \partial h \odot (1 - h^2), \quad
              \partial W = z^\top \partial a, \quad
              \partial b = \textstyle\sum_n \partial a, \quad
              [\partial h_{t-1}, \partial x_t] = \partial a\, W^\top

    See Also
    --------
    Book chapter 2, "When memory fades": the factor :math:`(1 - h^2) W_h^\top`
    is what repeats along the chain.
    """
    check_cache(cache, ("z", "h", "W", "H"), "rnn_step_forward")
    z, h, W, H = cache["z"], cache["h"], cache["W"], cache["H"]
    check_array("dh", dh, h.shape)
    da = dh * (1.0 - h * h)  # (N, H)
    dz = da @ W.T  # (N, H + D)
    grads = {"W": z.T @ da, "b": da.sum(axis=0)}  # (H + D, H), (H,)
    return dz[:, H:], dz[:, :H], grads


def rnn_forward(
    X: np.ndarray, h0: np.ndarray, params: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict]:
    r"""Run an RNN over a whole sequence.

    Parameters
    ----------
    X : ndarray of shape (T, N, D)
        Time-major inputs.
    h0 : ndarray of shape (N, H)
        Initial hidden state (zeros are the usual choice).
    params : dict
        ``W`` of shape (H + D, H) and ``b`` of shape (H,).

    Returns
    -------
    hs : ndarray of shape (T, N, H)
        Hidden state at every step; ``hs[-1]`` is the final one.
    cache : dict
        For :func:`rnn_backward`.

    Notes
    -----
    .. math:: h_t = \tanh(h_{t-1} W_h + x_t W_x + b), \qquad t = 1, \dots, T

    The products :math:`x_t W_x` for all ``t`` are one (T N, D) x (D, H)
    product; only :math:`h_{t-1} W_h` has to wait for the previous step.

    See Also
    --------
    Book chapter 1, "Why sequences need memory" (unrolling).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, h0 = rng.normal(size=(6, 2, 3)), np.zeros((2, 4))
    >>> hs, cache = rnn_forward(X, h0, init_rnn_params(3, 4, rng))
    >>> hs.shape, bool(np.all(np.abs(hs) < 1))
    ((6, 2, 4), True)
    """
    dims: dict[str, int] = {}
    check_array("X", X, ("T", "N", "D"), dims)
    check_array("h0", h0, ("N", "H"), dims)
    check_params(params, rnn_param_shapes(), dims)
    T, N, D = X.shape
    H = dims["H"]
    dtype = np.result_type(X, h0, *params.values())
    W = params["W"]
    W_h = np.ascontiguousarray(W[:H])  # (H, H)
    W_x = np.ascontiguousarray(W[H:])  # (D, H)
    XW = (X.reshape(T * N, D) @ W_x).reshape(T, N, H)  # (T, N, H)
    XW += params["b"]
    hs = np.empty((T, N, H), dtype=dtype)
    h = h0
    for t in range(T):
        h = np.tanh(XW[t] + h @ W_h, out=hs[t])  # (N, H)
    cache = {"X": X, "h0": h0, "hs": hs, "W_h": W_h, "W_x": W_x, "H": H}
    return hs, cache


def rnn_backward(
    dhs: np.ndarray, cache: dict
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r"""Backpropagation through time for :func:`rnn_forward`.

    Parameters
    ----------
    dhs : ndarray of shape (T, N, H)
        Gradient of the loss with respect to every hidden state (zeros where
        the loss does not read a step).
    cache : dict
        From :func:`rnn_forward`.

    Returns
    -------
    dX : ndarray of shape (T, N, D)
    dh0 : ndarray of shape (N, H)
    grads : dict
        ``W`` of shape (H + D, H) and ``b`` of shape (H,).

    Notes
    -----
    Walking back from :math:`t = T` to 1:

    .. math::
        \partial h_t &= \partial h_t^{\text{loss}} + \partial a_{t+1} W_h^\top, \qquad
        \partial a_t = \partial h_t \odot (1 - h_t^2)

    and at the end :math:`\partial W = \sum_t z_t^\top \partial a_t`,
    :math:`\partial b = \sum_{t,n} \partial a_t`,
    :math:`\partial x_t = \partial a_t W_x^\top`. The gradient that reaches
    step :math:`t - k` carries the product of :math:`k` factors
    :math:`\operatorname{diag}(1 - h^2) W_h^\top`: it vanishes or explodes
    with :math:`k` (chapter 2).

    See Also
    --------
    Book chapter 2, "When memory fades".
    """
    check_cache(cache, ("X", "h0", "hs", "W_h", "W_x", "H"), "rnn_forward")
    X, hs, W_h, W_x, H = cache["X"], cache["hs"], cache["W_h"], cache["W_x"], cache["H"]
    T, N, D = X.shape
    check_array("dhs", dhs, (T, N, H))
    dtype = hs.dtype
    das = np.empty((T, N, H), dtype=dtype)  # pre-activation gradients
    W_hT = np.ascontiguousarray(W_h.T)  # (H, H)
    dh_next = np.zeros((N, H), dtype=dtype)
    for t in range(T - 1, -1, -1):
        h = hs[t]
        np.multiply(dhs[t] + dh_next, 1.0 - h * h, out=das[t])  # (N, H)
        dh_next = das[t] @ W_hT  # (N, H)
    das2 = das.reshape(T * N, H)  # (T N, H)
    h_prevs = np.concatenate([cache["h0"][None], hs[:-1]], axis=0).reshape(T * N, H)
    dW_h = h_prevs.T @ das2  # (H, H)
    dW_x = X.reshape(T * N, D).T @ das2  # (D, H)
    dX = (das2 @ W_x.T).reshape(T, N, D)  # (T, N, D)
    grads = {"W": np.concatenate([dW_h, dW_x], axis=0), "b": das2.sum(axis=0)}
    return dX, dh_next, grads
