r"""The gated recurrent unit (GRU): two gates and one state.

The GRU keeps the LSTM's idea (gates decide what to keep and what to write)
with less machinery: the cell state and the hidden state merge into one
``h``, and a single *update gate* ``z`` plays both the forget and the input
role, interpolating between the old state and a candidate ``n``. A *reset
gate* ``r`` decides how much of the old state the candidate may read.

Two variants are in use and differ only in where ``r`` is applied:

``"cho"`` (Cho et al. 2014)
    ``r`` scales ``h_prev`` *before* the product:
    :math:`n = \tanh([r \odot h_{t-1}, x_t] W_n + b_n)`.
``"reset_after"`` (default; PyTorch, cuDNN, Keras ``reset_after=True``)
    ``r`` scales the *result* of the product, which has its own bias
    ``b_hn``: :math:`n = \tanh(x_t W_{n,x} + b_n + r \odot (h_{t-1} W_{n,h} + b_{hn}))`.
    All three recurrent products then share one input, ``h_prev``, and fuse
    into a single (N, H) x (H, 3H) product per step.

Both use PyTorch's convention for the update,
:math:`h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}` (``z`` near 1 keeps the
old state). This is also Cho et al.'s own equation 7; Chung et al. (2014)
and Olah (2015) write the same cell with the roles of ``z`` and ``1 - z``
swapped (see the book's appendix A).

The step functions are composed of one small function per gate
(:func:`~course_pkg.gru_gates.update_gate`, :func:`~course_pkg.gru_gates.reset_gate`,
:func:`~course_pkg.gru_gates.gru_candidate`, :func:`~course_pkg.gru_gates.gru_state_update`),
which live in :mod:`course_pkg.gru_gates` as chapter 8 presents them (import
them, and :data:`~course_pkg.gru_gates.VARIANTS`, from there). :func:`gru_forward`
and :func:`gru_backward` fuse the gates, do the input products for all time
steps at once and form the weight gradients with large products at the end.

Parameters are a dict with ``W_z, W_r, W_n`` of shape ``(H + D, H)`` (rows
``[:H]`` read ``h_prev``, rows ``[H:]`` read ``x``), ``b_z, b_r, b_n`` of
shape ``(H,)``, and for ``"reset_after"`` also ``b_hn`` of shape ``(H,)``.

References
----------
Cho, K. et al. (2014). Learning phrase representations using RNN
encoder-decoder for statistical machine translation. EMNLP.
Chung, J., Gulcehre, C., Cho, K. and Bengio, Y. (2014). Empirical evaluation
of gated recurrent neural networks on sequence modeling. arXiv:1412.3555.
PyTorch documentation, ``torch.nn.GRU`` (the reset-after equations).
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_cache, check_params
from ._fused import fuse_gates, split_gate_grads
from .gru_gates import (
    check_variant,
    gru_candidate,
    gru_candidate_backward,
    gru_state_update,
    gru_state_update_backward,
    reset_gate,
    reset_gate_backward,
    update_gate,
    update_gate_backward,
)

__all__ = [
    "GATES",
    "gru_backward",
    "gru_forward",
    "gru_param_shapes",
    "gru_step_backward",
    "gru_step_forward",
    "init_gru_params",
]

#: Gate names in the order the fused weights stack them.
GATES = ("z", "r", "n")


def gru_param_shapes(variant: str = "reset_after") -> dict[str, tuple[str, ...]]:
    """Symbolic shape of every GRU parameter of ``variant``, keyed by name.

    Parameters
    ----------
    variant : {"reset_after", "cho"}

    Returns
    -------
    dict of str -> tuple of str
        ``W_z, W_r, W_n`` -> ``("H + D", "H")``; ``b_z, b_r, b_n`` (and ``b_hn``
        for ``"reset_after"``) -> ``("H",)``.

    See Also
    --------
    init_gru_params
    Book chapter 8, "The GRU".
    """
    check_variant(variant)
    shapes: dict[str, tuple[str, ...]] = {}
    for gate in GATES:
        shapes[f"W_{gate}"] = ("H + D", "H")
        shapes[f"b_{gate}"] = ("H",)
    if variant == "reset_after":
        shapes["b_hn"] = ("H",)
    return shapes


def _check_gru_params(params: object, variant: str, dims: dict[str, int]) -> None:
    check_params(params, gru_param_shapes(variant), dims)
    if variant == "cho" and "b_hn" in params:  # type: ignore[operator]
        raise ValueError(
            "params has key 'b_hn', which only the 'reset_after' variant uses, but "
            "variant='cho'. Pass variant='reset_after', or drop 'b_hn' (or fold it into "
            "b_n only if r is 1) when converting to the Cho variant."
        )


def init_gru_params(
    D: int,
    H: int,
    rng: np.random.Generator | int | None = 0,
    variant: str = "reset_after",
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    r"""Random GRU parameters, uniform in :math:`\pm 1/\sqrt{H}` as PyTorch does.

    Parameters
    ----------
    D, H : int
        Input and hidden sizes.
    rng : numpy Generator or int seed
    variant : {"reset_after", "cho"}
        ``"reset_after"`` adds the recurrent candidate bias ``b_hn``.
    dtype : numpy dtype

    Returns
    -------
    dict of ndarray
        ``W_z, W_r, W_n`` of shape (H + D, H); ``b_z, b_r, b_n`` (and ``b_hn``)
        of shape (H,).

    Notes
    -----
    .. math:: W_k, b_k \sim U\big(-1/\sqrt{H},\ 1/\sqrt{H}\big)

    See Also
    --------
    Book chapter 8, "The GRU".

    Examples
    --------
    >>> sorted(init_gru_params(3, 2, rng=0, variant="cho"))
    ['W_n', 'W_r', 'W_z', 'b_n', 'b_r', 'b_z']
    """
    check_variant(variant)
    rng = np.random.default_rng(rng)
    bound = 1.0 / np.sqrt(H)
    return {
        name: rng.uniform(-bound, bound, size=(H + D, H) if name[0] == "W" else (H,)).astype(dtype)
        for name in gru_param_shapes(variant)
    }


# --- one step ----------------------------------------------------------------


def gru_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    params: dict[str, np.ndarray],
    variant: str = "reset_after",
) -> tuple[np.ndarray, dict]:
    r"""One GRU step, built from the gate functions.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    h_prev : ndarray of shape (N, H)
    params : dict
        See the module docstring.
    variant : {"reset_after", "cho"}

    Returns
    -------
    h : ndarray of shape (N, H)
    cache : dict
        The gates ``z, r, n`` (each (N, H)) and what the backward needs.

    Notes
    -----
    .. math::
        z_t &= \sigma([h_{t-1}, x_t] W_z + b_z), \qquad
        r_t = \sigma([h_{t-1}, x_t] W_r + b_r) \\
        n_t &= \tanh([r_t \odot h_{t-1}, x_t] W_n + b_n) \quad \text{(cho)} \\
        n_t &= \tanh(x_t W_n^{[H:]} + b_n + r_t \odot (h_{t-1} W_n^{[:H]} + b_{hn}))
        \quad \text{(reset\_after)} \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    See Also
    --------
    Book chapter 8, "The GRU"; assignment 07.
    """
    check_variant(variant)
    dims: dict[str, int] = {}
    check_array("x", x, ("N", "D"), dims)
    check_array("h_prev", h_prev, ("N", "H"), dims)
    _check_gru_params(params, variant, dims)
    z, z_cache = update_gate(h_prev, x, params["W_z"], params["b_z"])
    r, r_cache = reset_gate(h_prev, x, params["W_r"], params["b_r"])
    n, n_cache = gru_candidate(
        h_prev, x, r, params["W_n"], params["b_n"], params.get("b_hn"), variant=variant
    )
    h, h_cache = gru_state_update(z, n, h_prev)
    cache = {
        "z": z, "r": r, "n": n, "variant": variant,
        "z_cache": z_cache, "r_cache": r_cache, "n_cache": n_cache, "h_cache": h_cache,
    }
    return h, cache


def gru_step_backward(
    dh: np.ndarray, cache: dict
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r"""Backward pass of :func:`gru_step_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        Gradient with respect to the step's output ``h``.
    cache : dict
        From :func:`gru_step_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dh_prev : ndarray of shape (N, H)
    grads : dict
        Same keys and shapes as ``params``.

    Notes
    -----
    ``h_prev`` reaches ``h`` along four paths (directly through :math:`z`,
    and through the update gate, the reset gate and the candidate), so
    :math:`\partial h_{t-1}` is the sum of four terms; ``x`` along three.

    See Also
    --------
    gru_step_forward
    Book chapter 8, "The GRU"; assignment 07.
    """
    check_cache(cache, ("h_cache", "n_cache", "r_cache", "z_cache"), "gru_step_forward")
    dz, dn, dh_prev = gru_state_update_backward(dh, cache["h_cache"])
    dh_n, dx, dr, dW_n, db_n, db_hn = gru_candidate_backward(dn, cache["n_cache"])
    dh_r, dx_r, dW_r, db_r = reset_gate_backward(dr, cache["r_cache"])
    dh_z, dx_z, dW_z, db_z = update_gate_backward(dz, cache["z_cache"])
    dh_prev = dh_prev + dh_n + dh_r + dh_z  # (N, H)
    dx = dx + dx_r + dx_z  # (N, D)
    grads = {"W_z": dW_z, "b_z": db_z, "W_r": dW_r, "b_r": db_r, "W_n": dW_n, "b_n": db_n}
    if db_hn is not None:
        grads["b_hn"] = db_hn
    return dx, dh_prev, grads


# --- whole sequence, fused -----------------------------------------------------


def gru_forward(
    X: np.ndarray,
    h0: np.ndarray,
    params: dict[str, np.ndarray],
    variant: str = "reset_after",
) -> tuple[np.ndarray, dict]:
    r"""Run a GRU over a whole sequence.

    Parameters
    ----------
    X : ndarray of shape (T, N, D)
        Time-major inputs.
    h0 : ndarray of shape (N, H)
        Initial hidden state.
    params : dict
        See the module docstring.
    variant : {"reset_after", "cho"}

    Returns
    -------
    hs : ndarray of shape (T, N, H)
        Hidden state at every step; ``hs[-1]`` is the final one.
    cache : dict
        For :func:`gru_backward`. ``cache["gates"]`` maps ``"z", "r", "n"`` to
        arrays of shape (T, N, H).

    Notes
    -----
    The equations of :func:`gru_step_forward`, with the input products of all
    three gates and all steps done as one (T N, D) x (D, 3H) product. Per step,
    reset-after needs one (N, H) x (H, 3H) product; Cho needs an (N, H) x
    (H, 2H) product for ``z, r`` and then :math:`(r \odot h) W_n^{[:H]}`.
    Sigmoids are computed as :math:`(1 + \tanh(a/2)) / 2` (exact, no overflow).

    See Also
    --------
    Book chapter 8, "The GRU".

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, h0 = rng.normal(size=(4, 2, 3)), np.zeros((2, 5))
    >>> params = init_gru_params(3, 5, rng, variant="cho")
    >>> hs, cache = gru_forward(X, h0, params, variant="cho")
    >>> hs.shape, sorted(cache["gates"])
    ((4, 2, 5), ['n', 'r', 'z'])
    """
    check_variant(variant)
    dims: dict[str, int] = {}
    check_array("X", X, ("T", "N", "D"), dims)
    check_array("h0", h0, ("N", "H"), dims)
    _check_gru_params(params, variant, dims)
    T, N, D = X.shape
    H = dims["H"]
    dtype = np.result_type(X, h0, *params.values())
    W_h, W_x, b = fuse_gates(params, GATES, H)  # (H, 3H), (D, 3H), (3H,)
    XW = (X.reshape(T * N, D) @ W_x).reshape(T, N, 3 * H)  # (T, N, 3H)
    XW += b
    acts = np.empty((T, N, 3 * H), dtype=dtype)  # z, r, n
    hs = np.empty((T, N, H), dtype=dtype)
    # reset-after: the recurrent candidate product h W_nh + b_hn; Cho: r * h_prev
    aux = np.empty((T, N, H), dtype=dtype)
    W_zr_h = W_h[:, : 2 * H]  # (H, 2H)
    W_nh = np.ascontiguousarray(W_h[:, 2 * H :])  # (H, H)
    h = h0
    for t in range(T):
        act = acts[t]
        if variant == "reset_after":
            hW = h @ W_h  # (N, 3H)
            np.tanh(0.5 * (XW[t, :, : 2 * H] + hW[:, : 2 * H]), out=act[:, : 2 * H])
            np.add(hW[:, 2 * H :], params["b_hn"], out=aux[t])  # (N, H)
        else:
            np.tanh(0.5 * (XW[t, :, : 2 * H] + h @ W_zr_h), out=act[:, : 2 * H])  # (N, 2H)
        act[:, : 2 * H] += 1.0
        act[:, : 2 * H] *= 0.5
        z = act[:, :H]
        r = act[:, H : 2 * H]
        if variant == "reset_after":
            np.tanh(XW[t, :, 2 * H :] + r * aux[t], out=act[:, 2 * H :])
        else:
            np.multiply(r, h, out=aux[t])
            np.tanh(XW[t, :, 2 * H :] + aux[t] @ W_nh, out=act[:, 2 * H :])  # (N, H)
        n = act[:, 2 * H :]
        h = n + z * (h - n)  # (1 - z) n + z h, (N, H)
        hs[t] = h
    cache = {
        "X": X, "h0": h0, "hs": hs, "acts": acts, "aux": aux, "variant": variant,
        "W_h": W_h, "W_x": W_x, "H": H,
        "gates": {g: acts[:, :, k * H : (k + 1) * H] for k, g in enumerate(GATES)},
    }
    return hs, cache


def gru_backward(
    dhs: np.ndarray, cache: dict
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r"""Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dhs : ndarray of shape (T, N, H)
        Gradient of the loss with respect to every hidden state.
    cache : dict
        From :func:`gru_forward`.

    Returns
    -------
    dX : ndarray of shape (T, N, D)
    dh0 : ndarray of shape (N, H)
    grads : dict
        Same keys and shapes as ``params``.

    Notes
    -----
    Walking back, with :math:`\partial h` the sum of ``dhs[t]`` and the
    recurrent gradient from step :math:`t + 1`:

    .. math::
        \partial z &= \partial h \odot (h_{t-1} - n), \quad
        \partial n = \partial h \odot (1 - z), \quad
        \partial a_n = \partial n \odot (1 - n^2) \\
        \partial a_z &= \partial z \odot z (1 - z), \quad
        \partial a_r = \partial r \odot r (1 - r)

    with :math:`\partial r = \partial a_n \odot \hat h` (reset-after,
    :math:`\hat h = h_{t-1} W_n^{[:H]} + b_{hn}`) or
    :math:`\partial r = (\partial a_n W_n^{[:H]\top}) \odot h_{t-1}` (Cho).
    The pre-activation gradients of all steps are kept, and the weight
    gradients are formed at the end as (H, T N) x (T N, 3H) and
    (D, T N) x (T N, 3H) products.

    See Also
    --------
    gru_forward
    Book chapter 8, "The GRU".
    """
    check_cache(cache, ("X", "h0", "hs", "acts", "aux", "variant", "W_h", "W_x", "H"),
                "gru_forward")
    X, hs, acts, aux = cache["X"], cache["hs"], cache["acts"], cache["aux"]
    W_h, W_x, H, variant = cache["W_h"], cache["W_x"], cache["H"], cache["variant"]
    T, N, D = X.shape
    check_array("dhs", dhs, (T, N, H))
    dtype = acts.dtype
    # das[t] = [da_z, da_r, da_n]: gradients at the input-side pre-activations.
    das = np.empty((T, N, 3 * H), dtype=dtype)
    # reset-after: dgh[t] = [da_z, da_r, r * da_n], the gradient at h W_h (+ b_hn)
    dgh = np.empty((T, N, 3 * H), dtype=dtype) if variant == "reset_after" else None
    W_hT = np.ascontiguousarray(W_h.T)  # (3H, H)
    W_zr_hT = np.ascontiguousarray(W_h[:, : 2 * H].T)  # (2H, H)
    W_nhT = np.ascontiguousarray(W_h[:, 2 * H :].T)  # (H, H)
    dh_next = np.zeros((N, H), dtype=dtype)
    for t in range(T - 1, -1, -1):
        act = acts[t]
        z = act[:, :H]
        r = act[:, H : 2 * H]
        n = act[:, 2 * H :]
        h_prev = hs[t - 1] if t > 0 else cache["h0"]
        dh = dhs[t] + dh_next  # (N, H)
        da = das[t]
        np.multiply(dh * (1.0 - z), 1.0 - n * n, out=da[:, 2 * H :])  # da_n
        da_n = da[:, 2 * H :]
        np.multiply(dh * (h_prev - n), z * (1.0 - z), out=da[:, :H])  # da_z
        if variant == "reset_after":
            np.multiply(da_n * aux[t], r * (1.0 - r), out=da[:, H : 2 * H])  # da_r
            g = dgh[t]
            g[:, : 2 * H] = da[:, : 2 * H]
            np.multiply(da_n, r, out=g[:, 2 * H :])
            dh_next = dh * z + g @ W_hT  # (N, H)
        else:
            drh = da_n @ W_nhT  # (N, H): gradient at r * h_prev
            np.multiply(drh * h_prev, r * (1.0 - r), out=da[:, H : 2 * H])  # da_r
            dh_next = dh * z + drh * r + da[:, : 2 * H] @ W_zr_hT  # (N, H)
    das2 = das.reshape(T * N, 3 * H)  # (T N, 3H)
    h_prevs = np.concatenate([cache["h0"][None], hs[:-1]], axis=0).reshape(T * N, H)
    if variant == "reset_after":
        dgh2 = dgh.reshape(T * N, 3 * H)  # (T N, 3H)
        dW_h = h_prevs.T @ dgh2  # (H, 3H)
        db_hn = dgh2[:, 2 * H :].sum(axis=0)  # (H,)
    else:
        dW_h = np.empty((H, 3 * H), dtype=dtype)
        dW_h[:, : 2 * H] = h_prevs.T @ das2[:, : 2 * H]  # (H, 2H)
        dW_h[:, 2 * H :] = aux.reshape(T * N, H).T @ das2[:, 2 * H :]  # (H, H)
    dW_x = X.reshape(T * N, D).T @ das2  # (D, 3H)
    db = das2.sum(axis=0)  # (3H,)
    dX = (das2 @ W_x.T).reshape(T, N, D)  # (T, N, D)
    grads = split_gate_grads(dW_h, dW_x, db, GATES, H)
    if variant == "reset_after":
        grads["b_hn"] = db_hn
    return dX, dh_next, grads
