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
    z : ndarray of any shape

    Returns
    -------
    ndarray of the same shape, values in [0, 1]

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
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dout: np.ndarray, s: np.ndarray) -> np.ndarray:
    r"""Gradient through a sigmoid, given its output ``s``.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial z} = \frac{\partial L}{\partial s}\, s (1 - s)
    """
    return dout * s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    r"""Hyperbolic tangent, values in (-1, 1).

    Notes
    -----
    .. math:: \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}
    """
    return np.tanh(z)


def tanh_backward(dout: np.ndarray, t: np.ndarray) -> np.ndarray:
    r"""Gradient through tanh, given its output ``t``.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial z} = \frac{\partial L}{\partial t}\,(1 - t^2)
    """
    return dout * (1.0 - t * t)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``, shifted by the maximum for stability.

    Notes
    -----
    .. math:: p_j = \frac{e^{z_j - \max_k z_k}}{\sum_k e^{z_k - \max_k z_k}}
    """
    z = np.asarray(z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(dout: np.ndarray, p: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Gradient through softmax, given its output ``p``.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial z_j} = p_j\Big(\frac{\partial L}{\partial p_j}
              - \sum_k \frac{\partial L}{\partial p_k} p_k\Big)
    """
    return p * (dout - np.sum(dout * p, axis=axis, keepdims=True))


def masked_softmax(z: np.ndarray, mask: np.ndarray | None, axis: int = -1) -> np.ndarray:
    r"""Softmax over the positions where ``mask`` is True; exactly 0 elsewhere.

    Parameters
    ----------
    z : ndarray
        Scores.
    mask : ndarray of bool, broadcastable to ``z``, or None
        True marks a position that may receive weight (a real source token);
        False marks padding. ``None`` means no mask.
    axis : int
        Axis to normalise over.

    Returns
    -------
    ndarray of ``z``'s shape
        Non-negative, summing to 1 over unmasked positions, 0 on masked ones.

    Raises
    ------
    ValueError
        If the mask is not boolean, or a row has every position masked (its
        weights would be undefined: give every sequence at least one token).

    Notes
    -----
    .. math:: p_j = \frac{m_j e^{z_j}}{\sum_k m_k e^{z_k}}, \quad m_j \in \{0, 1\}
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
    """Gradient through :func:`masked_softmax`, given its output ``p``.

    Masked positions have ``p = 0`` and therefore receive zero gradient, so the
    ordinary softmax formula applies unchanged.
    """
    return softmax_backward(dout, p, axis=axis)
