r"""The GRU's gates, one small function each, forward and backward.

These are the teaching versions: chapter 8 shows them one at a time and
assignment 07 asks students to compose them into a step.
:mod:`course_pkg.gru` builds the cell from them (:func:`course_pkg.gru.gru_step_forward`)
and fuses the three products into one for the whole sequence
(:func:`course_pkg.gru.gru_forward`).

Conventions (the book's appendix A, "Notation and conventions", and
``docs/notation.md``): one step ``x`` is ``(N, D)``, states are
``(N, H)``; the two sigmoid gates read ``[h_prev, x]`` of shape ``(N, H + D)``
through a weight of shape ``(H + D, H)`` (rows ``[:H]`` read ``h_prev``, rows
``[H:]`` read ``x``) and a bias of shape ``(H,)``.

.. math::

    z_t &= \sigma([h_{t-1}, x_t] W_z + b_z)  &\text{update gate}\\
    r_t &= \sigma([h_{t-1}, x_t] W_r + b_r)  &\text{reset gate}\\
    n_t &= \tanh([r_t \odot h_{t-1}, x_t] W_n + b_n)
        &\text{candidate, "cho"}\\
    n_t &= \tanh(x_t W_n^{[H:]} + b_n + r_t \odot (h_{t-1} W_n^{[:H]} + b_{hn}))
        &\text{candidate, "reset\_after"}\\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}  &\text{state update}

Only the candidate depends on the variant: ``"cho"`` (Cho et al. 2014)
applies ``r`` to ``h_prev`` before the product, ``"reset_after"`` (PyTorch,
cuDNN; the default) to the result of the product, which has its own bias
``b_hn``. The update follows PyTorch's convention (``z`` near 1 keeps the old
state), which is also Cho et al.'s equation 7.

References
----------
Cho, K. et al. (2014). Learning phrase representations using RNN
encoder-decoder for statistical machine translation. EMNLP.
Chung, J., Gulcehre, C., Cho, K. and Bengio, Y. (2014). Empirical evaluation
of gated recurrent neural networks on sequence modeling. arXiv:1412.3555.
PyTorch documentation, ``torch.nn.GRU`` (the reset-after equations).

See Also
--------
course_pkg.gru : the GRU cell and the fused sequence forward and backward.
Book chapter 8, "The GRU"; assignment 07.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_cache, check_gate_cache, check_gate_inputs
from .activations import sigmoid, sigmoid_backward, tanh, tanh_backward

__all__ = [
    "VARIANTS",
    "gru_candidate",
    "gru_candidate_backward",
    "gru_state_update",
    "gru_state_update_backward",
    "reset_gate",
    "reset_gate_backward",
    "update_gate",
    "update_gate_backward",
]

#: Accepted values of ``variant``.
VARIANTS = ("reset_after", "cho")


def check_variant(variant: object) -> str:
    """Return ``variant`` if it is one of :data:`VARIANTS`, else raise ValueError."""
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise ValueError(
            f"variant must be one of {VARIANTS}, got {variant!r}. Use 'reset_after' "
            "(PyTorch/cuDNN, the default) or 'cho' (Cho et al. 2014: reset before the product)."
        )
    return variant


def update_gate(
    h_prev: np.ndarray, x: np.ndarray, W_z: np.ndarray, b_z: np.ndarray
) -> tuple[np.ndarray, tuple]:
    r"""Update gate: how much of the old state to keep (the rest is rewritten).

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
    x : ndarray of shape (N, D)
    W_z : ndarray of shape (H + D, H)
    b_z : ndarray of shape (H,)

    Returns
    -------
    z : ndarray of shape (N, H), values in (0, 1)
    cache : tuple

    Notes
    -----
    .. math:: z_t = \sigma([h_{t-1}, x_t] W_z + b_z)

    It does the work of the LSTM's forget gate (keep :math:`z`) and input gate
    (write :math:`1 - z`) at once.

    See Also
    --------
    Book chapter 8, "The GRU"; assignment 07.
    """
    H = check_gate_inputs(h_prev, x, W_z, b_z, "W_z", "b_z")
    hx = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    z = sigmoid(hx @ W_z + b_z)  # (N, H + D) @ (H + D, H) -> (N, H)
    return z, (hx, W_z, z, H)


def update_gate_backward(dz: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    r"""Backward pass of :func:`update_gate`.

    Parameters
    ----------
    dz : ndarray of shape (N, H)
        Upstream gradient with respect to ``z``.
    cache : tuple
        From :func:`update_gate`.

    Returns
    -------
    dh_prev : ndarray of shape (N, H)
    dx : ndarray of shape (N, D)
    dW_z : ndarray of shape (H + D, H)
    db_z : ndarray of shape (H,)

    Notes
    -----
    With :math:`a = [h_{t-1}, x_t] W_z + b_z`: :math:`\partial a = \partial z \odot z(1 - z)`,
    :math:`\partial W_z = [h_{t-1}, x_t]^\top \partial a`,
    :math:`\partial b_z = \sum_n \partial a`,
    :math:`[\partial h_{t-1}, \partial x_t] = \partial a\, W_z^\top`.

    See Also
    --------
    update_gate
    Book chapter 8, "The GRU"; assignment 07.
    """
    hx, W_z, z, H = check_gate_cache(dz, cache, "dz", "update_gate")
    da = sigmoid_backward(dz, z)  # (N, H): gradient at hx @ W_z + b_z
    dhx = da @ W_z.T  # (N, H) @ (H, H + D) -> (N, H + D)
    return dhx[:, :H], dhx[:, H:], hx.T @ da, da.sum(axis=0)  # dh_prev, dx, dW_z, db_z


def reset_gate(
    h_prev: np.ndarray, x: np.ndarray, W_r: np.ndarray, b_r: np.ndarray
) -> tuple[np.ndarray, tuple]:
    r"""Reset gate: how much of the old state the candidate may read.

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
    x : ndarray of shape (N, D)
    W_r : ndarray of shape (H + D, H)
    b_r : ndarray of shape (H,)

    Returns
    -------
    r : ndarray of shape (N, H), values in (0, 1)
    cache : tuple

    Notes
    -----
    .. math:: r_t = \sigma([h_{t-1}, x_t] W_r + b_r)

    See Also
    --------
    Book chapter 8, "The GRU"; assignment 07.
    """
    H = check_gate_inputs(h_prev, x, W_r, b_r, "W_r", "b_r")
    hx = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    r = sigmoid(hx @ W_r + b_r)  # (N, H + D) @ (H + D, H) -> (N, H)
    return r, (hx, W_r, r, H)


def reset_gate_backward(dr: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    r"""Backward pass of :func:`reset_gate`.

    Parameters
    ----------
    dr : ndarray of shape (N, H)
        Upstream gradient with respect to ``r``.
    cache : tuple
        From :func:`reset_gate`.

    Returns
    -------
    dh_prev : ndarray of shape (N, H)
    dx : ndarray of shape (N, D)
    dW_r : ndarray of shape (H + D, H)
    db_r : ndarray of shape (H,)

    Notes
    -----
    With :math:`a = [h_{t-1}, x_t] W_r + b_r`: :math:`\partial a = \partial r \odot r(1 - r)`,
    :math:`\partial W_r = [h_{t-1}, x_t]^\top \partial a`,
    :math:`\partial b_r = \sum_n \partial a`,
    :math:`[\partial h_{t-1}, \partial x_t] = \partial a\, W_r^\top`.

    See Also
    --------
    reset_gate
    Book chapter 8, "The GRU"; assignment 07.
    """
    hx, W_r, r, H = check_gate_cache(dr, cache, "dr", "reset_gate")
    da = sigmoid_backward(dr, r)  # (N, H): gradient at hx @ W_r + b_r
    dhx = da @ W_r.T  # (N, H) @ (H, H + D) -> (N, H + D)
    return dhx[:, :H], dhx[:, H:], hx.T @ da, da.sum(axis=0)  # dh_prev, dx, dW_r, db_r


def gru_candidate(
    h_prev: np.ndarray,
    x: np.ndarray,
    r: np.ndarray,
    W_n: np.ndarray,
    b_n: np.ndarray,
    b_hn: np.ndarray | None = None,
    variant: str = "reset_after",
) -> tuple[np.ndarray, tuple]:
    r"""Candidate state: a proposal for the new ``h``, reading the reset old state.

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
    x : ndarray of shape (N, D)
    r : ndarray of shape (N, H)
        Reset gate.
    W_n : ndarray of shape (H + D, H)
    b_n : ndarray of shape (H,)
    b_hn : ndarray of shape (H,), required for ``"reset_after"``
        Bias of the recurrent product (PyTorch's ``b_hn``); must be None for ``"cho"``.
    variant : {"reset_after", "cho"}

    Returns
    -------
    n : ndarray of shape (N, H), values in (-1, 1)
    cache : tuple

    Notes
    -----
    .. math::
        \text{cho:}\quad n_t &= \tanh([r_t \odot h_{t-1}, x_t] W_n + b_n) \\
        \text{reset\_after:}\quad n_t &= \tanh(x_t W_n^{[H:]} + b_n
            + r_t \odot (h_{t-1} W_n^{[:H]} + b_{hn}))

    See Also
    --------
    Book chapter 8, "The GRU"; assignment 07.
    """
    check_variant(variant)
    dims: dict[str, int] = {}
    check_array("h_prev", h_prev, ("N", "H"), dims)
    check_array("x", x, ("N", "D"), dims)
    check_array("r", r, ("N", "H"), dims)
    check_array("W_n", W_n, ("H + D", "H"), dims)
    check_array("b_n", b_n, ("H",), dims)
    H = dims["H"]
    if variant == "reset_after":
        if b_hn is None:
            raise ValueError("b_hn of shape (H,) is required when variant='reset_after'.")
        check_array("b_hn", b_hn, ("H",), dims)
        hn = h_prev @ W_n[:H] + b_hn  # (N, H)
        n = tanh(x @ W_n[H:] + b_n + r * hn)  # (N, H)
        return n, (variant, h_prev, x, r, W_n, hn, n)
    if b_hn is not None:
        raise ValueError("b_hn must be None when variant='cho' (the Cho GRU has no b_hn).")
    zin = np.concatenate([r * h_prev, x], axis=1)  # (N, H + D)
    n = tanh(zin @ W_n + b_n)  # (N, H)
    return n, (variant, h_prev, x, r, W_n, zin, n)


def gru_candidate_backward(dn: np.ndarray, cache: tuple) -> tuple:
    r"""Backward pass of :func:`gru_candidate`.

    Parameters
    ----------
    dn : ndarray of shape (N, H)
        Upstream gradient with respect to ``n``.
    cache : tuple
        From :func:`gru_candidate` (it records the variant).

    Returns
    -------
    dh_prev : ndarray of shape (N, H)
    dx : ndarray of shape (N, D)
    dr : ndarray of shape (N, H)
    dW_n : ndarray of shape (H + D, H)
    db_n : ndarray of shape (H,)
    db_hn : ndarray of shape (H,), or None for ``"cho"``

    Notes
    -----
    With :math:`\partial a = \partial n \odot (1 - n^2)` and
    :math:`\hat h = h_{t-1} W_n^{[:H]} + b_{hn}` (reset-after):
    :math:`\partial r = \partial a \odot \hat h`,
    :math:`\partial \hat h = \partial a \odot r`. Cho: with
    :math:`\partial(r \odot h) = \partial a\, (W_n^{[:H]})^\top`,
    :math:`\partial r = \partial(r \odot h) \odot h_{t-1}` and
    :math:`\partial h_{t-1} = \partial(r \odot h) \odot r`.

    See Also
    --------
    gru_candidate
    Book chapter 8, "The GRU"; assignment 07.
    """
    check_cache(cache, ("variant", "h_prev", "x", "r", "W_n", "hn or zin", "n"),
                "gru_candidate", as_tuple=True)
    variant, h_prev, x, r, W_n, extra, n = cache
    check_array("dn", dn, n.shape)
    H = h_prev.shape[1]
    da = tanh_backward(dn, n)  # (N, H)
    if variant == "reset_after":
        hn = extra
        dhn = da * r  # (N, H)
        dW_n = np.concatenate([h_prev.T @ dhn, x.T @ da], axis=0)  # (H + D, H)
        return dhn @ W_n[:H].T, da @ W_n[H:].T, da * hn, dW_n, da.sum(axis=0), dhn.sum(axis=0)
    zin = extra
    dzin = da @ W_n.T  # (N, H + D)
    drh = dzin[:, :H]  # (N, H): gradient at r * h_prev
    return drh * r, dzin[:, H:], drh * h_prev, zin.T @ da, da.sum(axis=0), None


def gru_state_update(
    z: np.ndarray, n: np.ndarray, h_prev: np.ndarray
) -> tuple[np.ndarray, tuple]:
    r"""New hidden state: keep a share ``z`` of the old one, take the rest from ``n``.

    Parameters
    ----------
    z : ndarray of shape (N, H)
        Update gate.
    n : ndarray of shape (N, H)
        Candidate.
    h_prev : ndarray of shape (N, H)

    Returns
    -------
    h : ndarray of shape (N, H)
    cache : tuple

    Notes
    -----
    .. math:: h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    So :math:`\partial h_t / \partial h_{t-1}` contains :math:`\operatorname{diag}(z_t)`
    directly: when ``z`` is near 1 the gradient passes unsquashed, like the
    LSTM's cell-state highway.

    See Also
    --------
    Book chapter 8, "The GRU"; chapter 5 for the highway.
    """
    dims: dict[str, int] = {}
    check_array("z", z, ("N", "H"), dims)
    check_array("n", n, ("N", "H"), dims)
    check_array("h_prev", h_prev, ("N", "H"), dims)
    return (1.0 - z) * n + z * h_prev, (z, n, h_prev)


def gru_state_update_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    r"""Backward pass of :func:`gru_state_update`.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        Upstream gradient with respect to the new state ``h``.
    cache : tuple
        From :func:`gru_state_update`.

    Returns
    -------
    dz : ndarray of shape (N, H)
    dn : ndarray of shape (N, H)
    dh_prev : ndarray of shape (N, H)
        The direct path only, :math:`\partial h \odot z` (the gates add more).

    Notes
    -----
    .. math:: \partial z = \partial h \odot (h_{t-1} - n), \quad
              \partial n = \partial h \odot (1 - z), \quad
              \partial h_{t-1} = \partial h \odot z

    See Also
    --------
    gru_state_update
    Book chapter 8, "The GRU"; chapter 5, "The cell state" (the same highway).
    """
    check_cache(cache, ("z", "n", "h_prev"), "gru_state_update", as_tuple=True)
    z, n, h_prev = cache
    check_array("dh", dh, z.shape)
    return dh * (h_prev - n), dh * (1.0 - z), dh * z

