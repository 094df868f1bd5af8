"""Activations and their derivatives: sigmoid, tanh, softmax, masked softmax.

In the book's words (chapter "The forget gate"): the sigmoid is a *selector*,
squashing any score into (0, 1) so it can say "how much of this to let
through"; tanh is a *limiter*, keeping values in (-1, 1) so repeated
additions cannot blow up.

The derivatives are written in terms of the forward *output*, which is what a
backward pass has in its cache:

* sigmoid: ``s' = s (1 - s)``
* tanh: ``t' = 1 - t**2``
* softmax: ``dz = p * (dp - sum(dp * p))``
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array

__all__ = [
    "sigmoid",
    "sigmoid_backward",
    "tanh",
    "tanh_backward",
    "softmax",
    "softmax_backward",
    "masked_softmax",
    "masked_softmax_backward",
]


def sigmoid(z: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid, computed without overflow.

    Parameters
    ----------
    z : ndarray of shape (...)
        Scores (pre-activations).

    Returns
    -------
    ndarray of shape (...)
        Values in [0, 1] (exactly 0 or 1 only after float rounding).

    Notes
    -----
    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    For negative ``z`` the equivalent form :math:`e^{z} / (1 + e^{z})` is used,
    so ``exp`` only ever sees non-positive arguments and cannot overflow (no
    warning even for ``|z| = 1e4``).

    See Also
    --------
    Book chapter 3, "The forget gate".

    Examples
    --------
    >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))  # (...), in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # (...)


def _check_same_shape(name: str, dout: np.ndarray, out: np.ndarray, out_name: str) -> None:
    """No silent broadcasting: the upstream gradient has the forward output's shape."""
    if np.shape(dout) != np.shape(out):
        raise ValueError(
            f"{name} has shape {np.shape(dout)}, expected {np.shape(out)} (the shape of "
            f"{out_name}, the forward output). Check that the gradient belongs to this output."
        )


def sigmoid_backward(dout: np.ndarray, s: np.ndarray) -> np.ndarray:
    r"""Gradient through a sigmoid, given its output ``s``.

    Parameters
    ----------
    dout : ndarray of shape (...)
        Upstream gradient :math:`\partial L / \partial s`.
    s : ndarray of shape (...)
        The sigmoid's output (from the forward cache); same shape as ``dout``.

    Returns
    -------
    ndarray of shape (...)
        :math:`\partial L / \partial z`.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial z} = \frac{\partial L}{\partial s}\, s (1 - s)

    See Also
    --------
    sigmoid
    Book chapter 3, "The forget gate" (the gate's derivative).
    """
    _check_same_shape("dout", dout, s, "s")
    return dout * s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    r"""Hyperbolic tangent, values in (-1, 1).

    Parameters
    ----------
    z : ndarray of shape (...)

    Returns
    -------
    ndarray of shape (...)
        Values in (-1, 1) (exactly :math:`\pm 1` only after float rounding).

    Notes
    -----
    .. math:: \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1

    See Also
    --------
    sigmoid
    Book chapter 4, "The input gate and the candidate" (tanh as a limiter).

    Examples
    --------
    >>> tanh(np.array([-1e4, 0.0, 1e4]))
    array([-1.,  0.,  1.])
    """
    return np.tanh(z)


def tanh_backward(dout: np.ndarray, t: np.ndarray) -> np.ndarray:
    r"""Gradient through tanh, given its output ``t``.

    Parameters
    ----------
    dout : ndarray of shape (...)
        Upstream gradient :math:`\partial L / \partial t`.
    t : ndarray of shape (...)
        The tanh output (from the forward cache); same shape as ``dout``.

    Returns
    -------
    ndarray of shape (...)
        :math:`\partial L / \partial z`.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial z} = \frac{\partial L}{\partial t}\,(1 - t^2)

    See Also
    --------
    tanh
    Book chapter 2, "When memory fades" (the factor :math:`1 - t^2 \le 1`).
    """
    _check_same_shape("dout", dout, t, "t")
    return dout * (1.0 - t * t)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``, shifted by the maximum for stability.

    Parameters
    ----------
    z : ndarray of shape (..., K)
        Scores.
    axis : int
        Axis to normalise over (the last one by default).

    Returns
    -------
    ndarray of shape (..., K)
        Positive, summing to 1 along ``axis``.

    Notes
    -----
    .. math:: p_j = \frac{e^{z_j - \max_k z_k}}{\sum_k e^{z_k - \max_k z_k}}

    Subtracting the maximum changes nothing mathematically and keeps ``exp``
    from overflowing.

    See Also
    --------
    masked_softmax
    Book chapter 10, "Attention" (weights over the source).

    Examples
    --------
    >>> softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    z = np.asarray(z)
    shifted = z - np.max(z, axis=axis, keepdims=True)  # (..., K), max 0
    e = np.exp(shifted)  # (..., K), in (0, 1]
    return e / np.sum(e, axis=axis, keepdims=True)  # (..., K)


def softmax_backward(dout: np.ndarray, p: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Gradient through softmax, given its output ``p``.

    Parameters
    ----------
    dout : ndarray of shape (..., K)
        Upstream gradient :math:`\partial L / \partial p`.
    p : ndarray of shape (..., K)
        The softmax output; same shape as ``dout``.
    axis : int
        The axis the forward normalised over.

    Returns
    -------
    ndarray of shape (..., K)
        :math:`\partial L / \partial z`.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial z_j} = p_j\Big(\frac{\partial L}{\partial p_j}
              - \sum_k \frac{\partial L}{\partial p_k} p_k\Big)

    See Also
    --------
    softmax
    Book chapter 10, "Attention".
    """
    _check_same_shape("dout", dout, p, "p")
    return p * (dout - np.sum(dout * p, axis=axis, keepdims=True))  # (..., K)


def masked_softmax(z: np.ndarray, mask: np.ndarray | None, axis: int = -1) -> np.ndarray:
    r"""Softmax over the positions where ``mask`` is True; exactly 0 elsewhere.

    Parameters
    ----------
    z : ndarray of shape (..., K)
        Scores.
    mask : ndarray of bool, of a shape broadcastable to (..., K), or None
        True marks a position that may receive weight (a real source token);
        False marks padding. ``None`` means no mask.
    axis : int
        Axis to normalise over.

    Returns
    -------
    ndarray of shape (..., K)
        Non-negative, summing to 1 over unmasked positions, 0 on masked ones.

    Raises
    ------
    ValueError
        If the mask is not boolean, or a row has every position masked (its
        weights would be undefined: give every sequence at least one token).

    Notes
    -----
    .. math:: p_j = \frac{m_j e^{z_j}}{\sum_k m_k e^{z_k}}, \quad m_j \in \{0, 1\}

    The mask is the one argument that broadcasts (a source mask of shape
    (N, 1, S) serves every query of scores (N, Tq, S)); that is documented
    and deliberate, unlike a silently broadcast weight.

    See Also
    --------
    softmax
    Book chapter 10, "Attention" (padding in a batch of sources).

    Examples
    --------
    >>> masked_softmax(np.array([[1.0, 2.0, 3.0]]), np.array([[True, True, False]]))
    array([[0.26894142, 0.73105858, 0.        ]])
    """
    if mask is None:
        return softmax(z, axis=axis)
    check_array("mask", mask, tuple(f"m{i}" for i in range(mask.ndim)), {}, dtype="bool")
    mask = np.broadcast_to(mask, np.shape(z))
    if not np.all(np.any(mask, axis=axis)):
        raise ValueError(
            "mask has a row with every position masked out; attention weights over an "
            "empty set are undefined. Expected at least one True per row along "
            f"axis {axis}: check the source lengths used to build the mask."
        )
    neg = np.where(mask, z, -np.inf)
    shifted = neg - np.max(neg, axis=axis, keepdims=True)
    e = np.where(mask, np.exp(np.where(mask, shifted, 0.0)), 0.0)
    return e / np.sum(e, axis=axis, keepdims=True)


def masked_softmax_backward(dout: np.ndarray, p: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Gradient through :func:`masked_softmax`, given its output ``p``.

    Parameters
    ----------
    dout : ndarray of shape (..., K)
        Upstream gradient with respect to the weights.
    p : ndarray of shape (..., K)
        The masked softmax output (0 on masked positions).
    axis : int

    Returns
    -------
    ndarray of shape (..., K)
        Gradient with respect to the scores; exactly 0 on masked positions.

    Notes
    -----
    Masked positions have :math:`p_j = 0` and therefore receive zero gradient,
    so the ordinary softmax formula applies unchanged:
    :math:`\partial z_j = p_j(\partial p_j - \sum_k p_k \partial p_k)`.

    See Also
    --------
    masked_softmax, softmax_backward
    Book chapter 10, "Attention".
    """
    return softmax_backward(dout, p, axis=axis)
