r"""Weight initialisers: Xavier/Glorot, He, orthogonal and identity.

A recurrent network multiplies by the same weight matrix at every step, so
the scale it starts with decides whether signals and gradients shrink or grow
as they travel back through time (chapter 2). These functions draw a weight
of a given shape with a scale chosen for that purpose.

Convention: weights are used as ``z @ W`` with ``W`` of shape
``(fan_in, fan_out)`` -- for a gate, ``(H + D, H)`` -- so ``shape[0]`` is the
fan-in and ``shape[1]`` the fan-out. (PyTorch stores ``(out, in)`` and reads
its fans the other way round; the variances below are the same.)

References
----------
Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training
deep feedforward neural networks. AISTATS.
He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into rectifiers:
surpassing human-level performance on ImageNet classification. ICCV.
Saxe, A. M., McClelland, J. L. and Ganguli, S. (2014). Exact solutions to the
nonlinear dynamics of learning in deep linear neural networks. ICLR.
Le, Q. V., Jaitly, N. and Hinton, G. E. (2015). A simple way to initialize
recurrent networks of rectified linear units. arXiv:1504.00941.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "fans",
    "he_normal",
    "he_uniform",
    "identity",
    "orthogonal",
    "xavier_normal",
    "xavier_uniform",
]


def _check_shape(shape: object) -> tuple[int, int]:
    if (
        not isinstance(shape, Sequence)
        or len(shape) != 2
        or not all(isinstance(s, int | np.integer) and not isinstance(s, bool) for s in shape)
        or any(s <= 0 for s in shape)
    ):
        raise ValueError(
            f"shape must be a pair of positive ints (fan_in, fan_out), e.g. (H + D, H), "
            f"got {shape!r}."
        )
    return int(shape[0]), int(shape[1])


def _check_gain(gain: float) -> float:
    gain = float(gain)
    if not (math.isfinite(gain) and gain > 0):
        raise ValueError(f"gain must be a positive finite number, got {gain!r}.")
    return gain


def fans(shape: Sequence[int]) -> tuple[int, int]:
    r"""Fan-in and fan-out of a weight of shape ``(fan_in, fan_out)``.

    Parameters
    ----------
    shape : tuple of two ints
        ``(fan_in, fan_out)``, e.g. ``(H + D, H)`` for a gate weight.

    Returns
    -------
    fan_in, fan_out : int

    Notes
    -----
    The weight is used as :math:`z W` with :math:`z` of width
    :math:`n_\text{in}`, so :math:`n_\text{in}` = ``shape[0]`` and
    :math:`n_\text{out}` = ``shape[1]`` (PyTorch stores the transpose).

    See Also
    --------
    xavier_uniform, he_normal
    Book chapter 2, "When memory fades" (initialisation).

    Examples
    --------
    >>> fans((10, 4))
    (10, 4)
    """
    return _check_shape(shape)


def xavier_uniform(
    shape: Sequence[int],
    rng: np.random.Generator | int | None = 0,
    gain: float = 1.0,
    *,
    dtype: type = np.float64,
) -> np.ndarray:
    r"""Glorot/Xavier uniform initialisation.

    Parameters
    ----------
    shape : tuple of two ints
        ``(fan_in, fan_out)``, e.g. ``(H + D, H)``.
    rng : numpy Generator or int seed
    gain : float
        Multiplies the bound (e.g. 5/3 for tanh, as PyTorch suggests).
    dtype : numpy dtype

    Returns
    -------
    ndarray of shape ``shape``

    Notes
    -----
    Glorot and Bengio (2010) keep the variance of activations (forward) and of
    gradients (backward) unchanged from layer to layer by compromising between
    the two fans:

    .. math::
        W_{jk} \sim U(-a, a), \quad a = \text{gain} \sqrt{\frac{6}{n_\text{in} + n_\text{out}}},
        \quad \operatorname{Var}(W_{jk}) = \frac{2\,\text{gain}^2}{n_\text{in} + n_\text{out}}

    See Also
    --------
    xavier_normal
    Book chapter 2, "When memory fades" (initialisation against vanishing
    and exploding gradients).
    """
    fan_in, fan_out = _check_shape(shape)
    gain = _check_gain(gain)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return np.random.default_rng(rng).uniform(-a, a, size=(fan_in, fan_out)).astype(dtype)


def xavier_normal(
    shape: Sequence[int],
    rng: np.random.Generator | int | None = 0,
    gain: float = 1.0,
    *,
    dtype: type = np.float64,
) -> np.ndarray:
    r"""Glorot/Xavier normal initialisation.

    Parameters
    ----------
    shape : tuple of two ints
        ``(fan_in, fan_out)``.
    rng : numpy Generator or int seed
    gain : float
    dtype : numpy dtype

    Returns
    -------
    ndarray of shape ``shape``

    Notes
    -----
    .. math::
        W_{jk} \sim \mathcal N(0, \sigma^2), \quad
        \sigma = \text{gain} \sqrt{\frac{2}{n_\text{in} + n_\text{out}}}

    (Glorot and Bengio 2010.)

    See Also
    --------
    xavier_uniform
    Book chapter 2, "When memory fades" (initialisation).
    """
    fan_in, fan_out = _check_shape(shape)
    gain = _check_gain(gain)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return np.random.default_rng(rng).normal(0.0, std, size=(fan_in, fan_out)).astype(dtype)


def _he_fan(shape: Sequence[int], mode: str) -> int:
    fan_in, fan_out = _check_shape(shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}.")


def he_normal(
    shape: Sequence[int],
    rng: np.random.Generator | int | None = 0,
    *,
    mode: str = "fan_in",
    dtype: type = np.float64,
) -> np.ndarray:
    r"""He/Kaiming normal initialisation, for ReLU layers.

    Parameters
    ----------
    shape : tuple of two ints
        ``(fan_in, fan_out)``.
    rng : numpy Generator or int seed
    mode : {"fan_in", "fan_out"}
        Preserve the forward variance (``fan_in``) or the backward one.
    dtype : numpy dtype

    Returns
    -------
    ndarray of shape ``shape``

    Notes
    -----
    A ReLU zeroes half of its inputs, halving the variance; He et al. (2015)
    compensate with a factor 2:

    .. math:: W_{jk} \sim \mathcal N\!\left(0, \frac{2}{n}\right), \quad n = n_\text{in}

    Equals ``torch.nn.init.kaiming_normal_(w, nonlinearity="relu")``.

    See Also
    --------
    he_uniform, xavier_normal
    Book chapter 2, "When memory fades" (initialisation).
    """
    n = _he_fan(shape, mode)
    std = math.sqrt(2.0 / n)
    return np.random.default_rng(rng).normal(0.0, std, size=tuple(shape)).astype(dtype)


def he_uniform(
    shape: Sequence[int],
    rng: np.random.Generator | int | None = 0,
    *,
    mode: str = "fan_in",
    dtype: type = np.float64,
) -> np.ndarray:
    r"""He/Kaiming uniform initialisation, for ReLU layers.

    Parameters
    ----------
    shape : tuple of two ints
        ``(fan_in, fan_out)``.
    rng : numpy Generator or int seed
    mode : {"fan_in", "fan_out"}
    dtype : numpy dtype

    Returns
    -------
    ndarray of shape ``shape``

    Notes
    -----
    .. math::
        W_{jk} \sim U(-a, a), \quad a = \sqrt{\frac{6}{n}}, \quad
        \operatorname{Var}(W_{jk}) = \frac{2}{n}

    (He et al. 2015.)

    See Also
    --------
    he_normal, xavier_uniform
    Book chapter 2, "When memory fades" (initialisation).
    """
    n = _he_fan(shape, mode)
    a = math.sqrt(6.0 / n)
    return np.random.default_rng(rng).uniform(-a, a, size=tuple(shape)).astype(dtype)


def orthogonal(
    shape: Sequence[int],
    rng: np.random.Generator | int | None = 0,
    gain: float = 1.0,
    *,
    dtype: type = np.float64,
) -> np.ndarray:
    r"""A random (semi-)orthogonal matrix, drawn uniformly (Haar measure).

    Parameters
    ----------
    shape : tuple of two ints
        ``(rows, cols)``. For a square recurrent weight ``(H, H)`` the result
        is orthogonal; for a tall one the columns are orthonormal; for a wide
        one the rows are.
    rng : numpy Generator or int seed
    gain : float
        Scales the result.
    dtype : numpy dtype

    Returns
    -------
    ndarray of shape ``shape``
        :math:`W^\top W = \text{gain}^2 I` if rows >= cols, else
        :math:`W W^\top = \text{gain}^2 I`.

    Notes
    -----
    Draw :math:`A` with i.i.d. standard normal entries, factor
    :math:`A = QR`, and fix the signs so that the diagonal of :math:`R` is
    positive:

    .. math:: W = \text{gain} \cdot Q \operatorname{diag}(\operatorname{sign}(R_{jj}))

    Without the sign fix the distribution of :math:`Q` depends on the QR
    routine and is not uniform. All singular values of an orthogonal matrix
    are 1, so repeated multiplication by it neither shrinks nor grows a
    vector: Saxe et al. (2014) show this gives depth-independent learning
    times in deep linear networks, which is why it is a popular start for
    recurrent weights.

    See Also
    --------
    identity
    Book chapter 2, "When memory fades".
    """
    rows, cols = _check_shape(shape)
    gain = _check_gain(gain)
    big, small = max(rows, cols), min(rows, cols)
    a = np.random.default_rng(rng).standard_normal((big, small))  # (big, small)
    q, r = np.linalg.qr(a)  # q (big, small), r (small, small)
    signs = np.where(np.diag(r) < 0, -1.0, 1.0)  # (small,)
    q = q * signs  # (big, small)
    if rows < cols:
        q = q.T  # (rows, cols)
    return (gain * q).astype(dtype)


def identity(shape: Sequence[int], gain: float = 1.0, *, dtype: type = np.float64) -> np.ndarray:
    r"""Identity initialisation for a recurrent weight (IRNN, Le et al. 2015).

    Parameters
    ----------
    shape : tuple of two ints
        ``(H, H)`` for a pure recurrent matrix, or ``(H + D, H)`` for the
        course's stacked gate weight that reads ``[h_prev, x]``.
    gain : float
        Value on the diagonal (Le et al. use 1; a smaller value such as 0.5
        is sometimes more stable).
    dtype : numpy dtype

    Returns
    -------
    ndarray of shape ``shape``
        ``gain`` on the diagonal of the first ``cols`` rows, zeros elsewhere.
        For ``(H + D, H)`` this is the identity on the rows ``[:H]`` that read
        ``h_prev`` and zeros on the rows ``[H:]`` that read ``x``.

    Raises
    ------
    ValueError
        If ``rows < cols`` (there is no ``h_prev`` block to put the identity in).

    Notes
    -----
    .. math:: W = \begin{bmatrix} \text{gain}\, I_H \\ 0_{D \times H} \end{bmatrix}

    With a ReLU (or a nearly linear) recurrence and zero bias, the state is
    copied unchanged from step to step, so gradients neither vanish nor
    explode at the start of training. The input rows are left at zero on
    purpose: fill them with a small random initialiser yourself, e.g.
    ``W = identity((H + D, H)); W[H:] = xavier_uniform((D, H), rng)``.

    See Also
    --------
    orthogonal
    Book chapter 2, "When memory fades" (initialisation).

    Examples
    --------
    >>> identity((3, 2))
    array([[1., 0.],
           [0., 1.],
           [0., 0.]])
    """
    rows, cols = _check_shape(shape)
    gain = _check_gain(gain)
    if rows < cols:
        raise ValueError(
            f"identity needs rows >= cols (a square (H, H) weight or a stacked (H + D, H) "
            f"weight), got shape {tuple(shape)}."
        )
    return (gain * np.eye(rows, cols)).astype(dtype)
