r"""Losses with their gradients: softmax cross-entropy (with a padding mask),
sigmoid binary cross-entropy, and the linear read-out of hidden states scored
by softmax cross-entropy (the usual loss of a recurrent language model).

Both are computed from *logits*, never from probabilities, so that the
log-sum-exp (softmax) and softplus (sigmoid) forms keep them finite for any
finite input: no ``log(0)``, no overflow warning.

The masked cross-entropy is what a sequence-to-sequence model (chapters 9 and
10) trains with: target sequences in one batch have different lengths, the
short ones are padded at the end, and the padded positions must not count.
``mask`` plays the role of PyTorch's ``ignore_index``: the loss is the mean
over the positions where the mask is True.

References
----------
Goodfellow, I., Bengio, Y. and Courville, A. (2016). Deep Learning, sections
6.2.2 (softmax units) and 6.2.2.2 (sigmoid units). MIT Press.
PyTorch documentation, ``torch.nn.functional.cross_entropy`` and
``binary_cross_entropy_with_logits`` (the reference the tests compare to).
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array
from .activations import sigmoid

__all__ = [
    "readout_backward",
    "readout_cross_entropy",
    "sigmoid_binary_cross_entropy",
    "softmax_cross_entropy",
]


def _batch_shape(ndim: int) -> tuple[str, ...]:
    """Symbolic names ``("B0", "B1", ...)`` for the leading axes of a batch."""
    return tuple(f"B{k}" for k in range(ndim))


def softmax_cross_entropy(
    logits: np.ndarray,
    targets: np.ndarray,
    mask: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    r"""Mean softmax cross-entropy over the unmasked positions, and its gradient.

    Parameters
    ----------
    logits : ndarray of shape (..., V)
        Unnormalised scores over a vocabulary of size ``V``; for a decoder,
        shape (T, N, V).
    targets : ndarray of int, shape (...)
        The correct class at each position, ``logits.shape[:-1]``. Ids must lie
        in ``[0, V)`` wherever ``mask`` is True; masked positions may hold
        anything (a padding id, or -100 as in PyTorch).
    mask : ndarray of bool, shape (...), optional
        True marks a position that counts (a real target token); False marks
        padding. ``None`` counts every position.

    Returns
    -------
    loss : float
        Mean negative log-probability of the targets over the counted positions.
    dlogits : ndarray of shape (..., V)
        Gradient of ``loss`` with respect to ``logits``; exactly zero at
        masked positions.

    Raises
    ------
    ValueError
        If a shape disagrees, ``logits`` is not a finite float array,
        ``targets`` is not an int array or holds an id outside ``[0, V)`` at a
        counted position, ``mask`` is not boolean, or every position is masked.

    Notes
    -----
    With :math:`m_k \in \{0, 1\}` the mask, :math:`M = \sum_k m_k` and
    :math:`y_k` the target at position :math:`k`:

    .. math::
        L = \frac{1}{M} \sum_k m_k \Big(\log \sum_j e^{z_{kj}} - z_{k y_k}\Big),
        \qquad
        \frac{\partial L}{\partial z_{kj}} = \frac{m_k}{M}\big(p_{kj} - [j = y_k]\big)

    where :math:`p_k = \operatorname{softmax}(z_k)`. The log-sum-exp is taken
    after subtracting :math:`\max_j z_{kj}`, so ``exp`` never overflows.

    See Also
    --------
    Book chapter 9, "Encoder-decoder and the bottleneck" (training with teacher
    forcing and padded targets); chapter 10, "Attention".

    Examples
    --------
    >>> logits = np.array([[2.0, 0.0], [0.0, 0.0]])
    >>> loss, dz = softmax_cross_entropy(logits, np.array([0, 1]), np.array([True, False]))
    >>> round(loss, 4)
    0.1269
    >>> dz[1]
    array([0., 0.])
    """
    if not isinstance(logits, np.ndarray) or logits.ndim < 1:
        raise ValueError(
            "logits must be a numpy array of shape (..., V) with at least one axis, "
            f"got {type(logits).__name__} with shape {getattr(logits, 'shape', None)}."
        )
    batch = _batch_shape(logits.ndim - 1)
    dims: dict[str, int] = {}
    check_array("logits", logits, (*batch, "V"), dims)
    check_array("targets", targets, batch, dims, dtype="int")
    V = dims["V"]
    if mask is None:
        counted = np.ones(targets.shape, dtype=bool)
    else:
        check_array("mask", mask, batch, dims, dtype="bool")
        counted = mask
    M = int(np.count_nonzero(counted))
    if M == 0:
        raise ValueError(
            f"mask has no True entry (shape {mask.shape}): the mean over zero positions is "
            "undefined. Expected at least one counted target; check how the mask was built."
        )
    ids = targets[counted]
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        bad = int(ids[(ids < 0) | (ids >= V)][0])
        raise ValueError(
            f"targets holds id {bad} at a counted position, expected ids in [0, V={V}). "
            "Check the vocabulary size, or mask that position out."
        )
    safe = np.where(counted, targets, 0)  # (...,) valid ids everywhere
    shifted = logits - np.max(logits, axis=-1, keepdims=True)  # (..., V)
    e = np.exp(shifted)  # (..., V), in (0, 1]
    sum_e = np.sum(e, axis=-1, keepdims=True)  # (..., 1)
    log_z = np.log(sum_e)[..., 0]  # (...,)
    picked = np.take_along_axis(shifted, safe[..., None], axis=-1)[..., 0]  # (...,)
    nll = log_z - picked  # (...,) >= 0
    weight = counted.astype(logits.dtype) / logits.dtype.type(M)  # (...,)
    loss = float(np.sum(nll * weight))
    dlogits = e / sum_e  # (..., V) softmax
    np.put_along_axis(
        dlogits, safe[..., None],
        np.take_along_axis(dlogits, safe[..., None], axis=-1) - 1.0, axis=-1,
    )
    dlogits *= weight[..., None]  # (..., V)
    if mask is not None:
        dlogits[~counted] = 0.0  # exact +0 (not -0) at masked positions
    return loss, dlogits


def sigmoid_binary_cross_entropy(
    logits: np.ndarray,
    targets: np.ndarray,
    mask: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    r"""Mean binary cross-entropy of sigmoid outputs, computed from logits.

    Parameters
    ----------
    logits : ndarray of any shape
        One score per binary decision (for the agreement task, shape (N,):
        "were" versus "was").
    targets : ndarray of the same shape
        Labels in ``[0, 1]`` (float, int or bool; soft labels allowed).
    mask : ndarray of bool of the same shape, optional
        True marks a counted position; ``None`` counts every position.

    Returns
    -------
    loss : float
        Mean over the counted positions.
    dlogits : ndarray of ``logits``' shape
        Gradient of ``loss``; zero at masked positions.

    Raises
    ------
    ValueError
        If shapes disagree, ``logits`` is not finite float, a target lies
        outside ``[0, 1]``, the mask is not boolean or masks everything.

    Notes
    -----
    With :math:`\sigma` the sigmoid,
    :math:`\ell = -y \log \sigma(z) - (1 - y)\log(1 - \sigma(z))`, rewritten in
    the overflow-free form

    .. math::
        \ell(z, y) = \max(z, 0) - z y + \log\big(1 + e^{-|z|}\big), \qquad
        \frac{\partial \ell}{\partial z} = \sigma(z) - y .

    See Also
    --------
    Book chapter 7, "The whole cell, through time" (the agreement classifier).

    Examples
    --------
    >>> loss, dz = sigmoid_binary_cross_entropy(np.array([0.0, 1e4]), np.array([1.0, 1.0]))
    >>> round(loss, 6)
    0.346574
    """
    if not isinstance(logits, np.ndarray):
        raise ValueError(f"logits must be a numpy array, got {type(logits).__name__}.")
    shape = _batch_shape(logits.ndim)
    dims: dict[str, int] = {}
    check_array("logits", logits, shape, dims)
    if not isinstance(targets, np.ndarray):
        raise ValueError(
            f"targets must be a numpy array of shape {logits.shape}, "
            f"got {type(targets).__name__}."
        )
    if targets.dtype == np.bool_ or np.issubdtype(targets.dtype, np.integer):
        targets = targets.astype(logits.dtype)
    check_array("targets", targets, shape, dims)
    if targets.size and (targets.min() < 0 or targets.max() > 1):
        raise ValueError(
            f"targets must lie in [0, 1], got values in [{targets.min()}, {targets.max()}]. "
            "Binary labels are 0 and 1."
        )
    if mask is None:
        weight = np.full(logits.shape, 1.0 / max(logits.size, 1), dtype=logits.dtype)
        if logits.size == 0:
            raise ValueError("logits is empty: the mean over zero positions is undefined.")
    else:
        check_array("mask", mask, shape, dims, dtype="bool")
        M = int(np.count_nonzero(mask))
        if M == 0:
            raise ValueError(
                "mask has no True entry: the mean over zero positions is undefined. "
                "Expected at least one counted target."
            )
        weight = mask.astype(logits.dtype) / logits.dtype.type(M)
    softplus = np.log1p(np.exp(-np.abs(logits)))  # log(1 + e^{-|z|}), no overflow
    per = np.maximum(logits, 0.0) - logits * targets + softplus
    loss = float(np.sum(per * weight))
    dlogits = (sigmoid(logits) - targets) * weight
    return loss, dlogits.astype(logits.dtype, copy=False)


def readout_backward(dlogits: np.ndarray, hs: np.ndarray, W: np.ndarray,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Backward of the linear read-out :math:`y_t = h_t W + b` of every hidden state.

    Parameters
    ----------
    dlogits : ndarray of shape (T, N, V)
        Gradient of the loss with respect to the read-out's outputs.
    hs : ndarray of shape (T, N, H)
        The hidden states that were read out.
    W : ndarray of shape (H, V)

    Returns
    -------
    dhs : ndarray of shape (T, N, H)
    dW : ndarray of shape (H, V)
    db : ndarray of shape (V,)

    Notes
    -----
    .. math:: \partial h_t = \partial y_t W^\top, \quad
        \partial W = \sum_t h_t^\top \partial y_t, \quad
        \partial b = \sum_{t, n} \partial y_{tn}

    See Also
    --------
    readout_cross_entropy
    Book chapter 12, "Training recurrent networks in practice".
    """
    dims: dict[str, int] = {}
    check_array("hs", hs, ("T", "N", "H"), dims)
    check_array("W", W, ("H", "V"), dims)
    check_array("dlogits", dlogits, ("T", "N", "V"), dims)
    T, N, H = hs.shape
    dW = hs.reshape(T * N, H).T @ dlogits.reshape(T * N, -1)  # (H, T N) @ (T N, V) -> (H, V)
    return dlogits @ W.T, dW, dlogits.sum(axis=(0, 1))  # (T, N, H), (H, V), (V,)


def readout_cross_entropy(
    hs: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    targets: np.ndarray,
    mask: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Read every hidden state out linearly, score it by softmax cross-entropy, and backward.

    Parameters
    ----------
    hs : ndarray of shape (T, N, H)
        Hidden states, time-major.
    W : ndarray of shape (H, V)
    b : ndarray of shape (V,)
    targets : ndarray of int, shape (T, N)
    mask : ndarray of bool, shape (T, N), optional
        The positions that count (see :func:`softmax_cross_entropy`).

    Returns
    -------
    loss : float
        Mean cross-entropy over the counted positions.
    dhs : ndarray of shape (T, N, H)
        Gradient with respect to ``hs``: what a recurrent backward pass takes
        (the ``chunk_loss`` of :func:`course_pkg.truncated.truncated_bptt_step`).
    dW : ndarray of shape (H, V)
    db : ndarray of shape (V,)
    logits : ndarray of shape (T, N, V)
        The read-out's outputs :math:`y_t`.

    Notes
    -----
    .. math:: y_t = h_t W + b, \qquad
        L = -\frac{1}{M} \sum_{t, n} m_{tn}
            \log \operatorname{softmax}(y_{tn})_{\text{target}_{tn}}

    then :func:`readout_backward` with :math:`\partial L / \partial y`.

    See Also
    --------
    softmax_cross_entropy, readout_backward
    Book chapter 12, "Training recurrent networks in practice".
    """
    dims: dict[str, int] = {}
    check_array("hs", hs, ("T", "N", "H"), dims)
    check_array("W", W, ("H", "V"), dims)
    check_array("b", b, ("V",), dims)
    logits = hs @ W + b  # (T, N, V)
    loss, dlogits = softmax_cross_entropy(logits, targets, mask)
    dhs, dW, db = readout_backward(dlogits, hs, W)
    return loss, dhs, dW, db, logits
