r"""Attention: scores, softmax weights over the source, and the context vector.

Chapter 10's analogy: asked "What's your name?", a listener who has heard a
long story does not replay it word for word; they look back over what they
heard and weight the few sentences that matter. Here the *query* ``Q`` is
what the decoder is looking for, the *keys* ``K`` are what each source
position offers to be matched against, the *values* ``V`` are what gets
read out, and the weights are a softmax of the match *scores*.

Three score functions are provided, each with its backward:

* :func:`dot_scores` -- :math:`q \cdot k` (Luong et al. 2015, "dot");
* :func:`scaled_dot_scores` -- :math:`q \cdot k / \sqrt{d}` (Vaswani et al. 2017);
* :func:`additive_scores` -- :math:`v^\top \tanh(q W_q + k W_k + b)`
  (Bahdanau et al. 2015, "concat" in Luong et al.).

Shapes (batch-first, as in ``torch.nn.functional.scaled_dot_product_attention``):
``Q`` (N, Tq, dq), ``K`` (N, S, dk), ``V`` (N, S, dv), ``mask`` (N, S) boolean
with True marking a real source token. Scores and weights are (N, Tq, S).

References
----------
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR.
Luong, M.-T., Pham, H. and Manning, C. D. (2015). Effective approaches to
attention-based neural machine translation. EMNLP.
Vaswani, A. et al. (2017). Attention is all you need. NeurIPS.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_cache, check_params
from .activations import masked_softmax, masked_softmax_backward

__all__ = [
    "SCORES",
    "additive_param_shapes",
    "additive_scores",
    "additive_scores_backward",
    "attention_backward",
    "attention_forward",
    "dot_scores",
    "dot_scores_backward",
    "init_additive_params",
    "scaled_dot_scores",
    "scaled_dot_scores_backward",
]

#: Score names accepted by :func:`attention_forward`.
SCORES = ("dot", "scaled_dot", "additive")


def additive_param_shapes() -> dict[str, tuple[str, ...]]:
    """Symbolic shapes of the additive-attention parameters.

    Returns
    -------
    dict of str -> tuple of str
        ``W_q`` (dq, A), ``W_k`` (dk, A), ``b`` (A,), ``v`` (A,).

    See Also
    --------
    init_additive_params
    Book chapter 10, "Attention".
    """
    return {"W_q": ("dq", "A"), "W_k": ("dk", "A"), "b": ("A",), "v": ("A",)}


def init_additive_params(
    dq: int,
    dk: int,
    A: int,
    rng: np.random.Generator | int | None = 0,
    *,
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    r"""Random parameters for :func:`additive_scores`.

    Parameters
    ----------
    dq, dk : int
        Query and key sizes.
    A : int
        Size of the hidden "alignment" layer.
    rng : numpy Generator or int seed
    dtype : numpy dtype

    Returns
    -------
    dict of ndarray
        ``W_q`` (dq, A) and ``W_k`` (dk, A), Glorot-uniform; ``b`` (A,) zeros;
        ``v`` (A,) uniform in :math:`\pm 1/\sqrt{A}`.

    Notes
    -----
    .. math:: W_q \sim U\Big(\pm\sqrt{\tfrac{6}{d_q + A}}\Big), \quad
              W_k \sim U\Big(\pm\sqrt{\tfrac{6}{d_k + A}}\Big), \quad
              b = 0, \quad v \sim U(\pm 1/\sqrt{A})

    See Also
    --------
    additive_scores
    Book chapter 10, "Attention".
    """
    rng = np.random.default_rng(rng)
    bq = np.sqrt(6.0 / (dq + A))
    bk = np.sqrt(6.0 / (dk + A))
    return {
        "W_q": rng.uniform(-bq, bq, size=(dq, A)).astype(dtype),
        "W_k": rng.uniform(-bk, bk, size=(dk, A)).astype(dtype),
        "b": np.zeros(A, dtype=dtype),
        "v": rng.uniform(-1.0 / np.sqrt(A), 1.0 / np.sqrt(A), size=A).astype(dtype),
    }


def _check_qk(Q: np.ndarray, K: np.ndarray, same_d: bool) -> dict[str, int]:
    dims: dict[str, int] = {}
    check_array("Q", Q, ("N", "Tq", "dq"), dims)
    check_array("K", K, ("N", "S", "dq" if same_d else "dk"), dims)
    return dims


def dot_scores(Q: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, dict]:
    r"""Dot-product scores between every query and every key.

    Parameters
    ----------
    Q : ndarray of shape (N, Tq, d)
    K : ndarray of shape (N, S, d)

    Returns
    -------
    scores : ndarray of shape (N, Tq, S)
    cache : dict
        For :func:`dot_scores_backward`.

    Notes
    -----
    .. math:: e_{ts} = q_t \cdot k_s

    See Also
    --------
    Book chapter 10, "Attention" (Luong et al.'s "dot" score).
    """
    _check_qk(Q, K, same_d=True)
    scores = Q @ K.transpose(0, 2, 1)  # (N, Tq, d) @ (N, d, S) -> (N, Tq, S)
    return scores, {"Q": Q, "K": K, "scale": 1.0}


def dot_scores_backward(dscores: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray]:
    r"""Backward pass of :func:`dot_scores` (and of :func:`scaled_dot_scores`).

    Parameters
    ----------
    dscores : ndarray of shape (N, Tq, S)
        Upstream gradient with respect to the scores.
    cache : dict
        From :func:`dot_scores` or :func:`scaled_dot_scores` (it records the scale).

    Returns
    -------
    dQ : ndarray of shape (N, Tq, d)
    dK : ndarray of shape (N, S, d)

    Notes
    -----
    With :math:`E = c\, Q K^\top` (:math:`c = 1` or :math:`1/\sqrt{d}`):
    :math:`\partial Q = c\, \partial E\, K` and :math:`\partial K = c\, \partial E^\top Q`.

    See Also
    --------
    dot_scores, scaled_dot_scores
    Book chapter 10, "Attention"; assignment 08.
    """
    check_cache(cache, ("Q", "K", "scale"), "dot_scores or scaled_dot_scores")
    Q, K, scale = cache["Q"], cache["K"], cache["scale"]
    N, Tq, _ = Q.shape
    check_array("dscores", dscores, (N, Tq, K.shape[1]))
    dQ = (dscores @ K) * scale  # (N, Tq, S) @ (N, S, d) -> (N, Tq, d)
    dK = (dscores.transpose(0, 2, 1) @ Q) * scale  # (N, S, Tq) @ (N, Tq, d) -> (N, S, d)
    return dQ, dK


def scaled_dot_scores(Q: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, dict]:
    r"""Dot-product scores divided by :math:`\sqrt{d}`.

    Parameters
    ----------
    Q : ndarray of shape (N, Tq, d)
    K : ndarray of shape (N, S, d)

    Returns
    -------
    scores : ndarray of shape (N, Tq, S)
    cache : dict
        For :func:`scaled_dot_scores_backward`.

    Notes
    -----
    .. math:: e_{ts} = \frac{q_t \cdot k_s}{\sqrt{d}}

    If the entries of :math:`q` and :math:`k` have unit variance, :math:`q \cdot k`
    has variance :math:`d`; dividing by :math:`\sqrt{d}` keeps the softmax out
    of its saturated, near-one-hot regime as :math:`d` grows.

    See Also
    --------
    Book chapter 10, "Attention"; chapter 11, "From attention to transformers".
    """
    _check_qk(Q, K, same_d=True)
    scale = float(1.0 / np.sqrt(Q.shape[-1]))  # a Python float keeps float32 inputs float32
    scores = (Q @ K.transpose(0, 2, 1)) * scale  # (N, Tq, d) @ (N, d, S) -> (N, Tq, S)
    return scores, {"Q": Q, "K": K, "scale": scale}


def scaled_dot_scores_backward(
    dscores: np.ndarray, cache: dict
) -> tuple[np.ndarray, np.ndarray]:
    r"""Backward pass of :func:`scaled_dot_scores`.

    Parameters
    ----------
    dscores : ndarray of shape (N, Tq, S)
        Upstream gradient with respect to the scores.
    cache : dict
        From :func:`scaled_dot_scores`.

    Returns
    -------
    dQ : ndarray of shape (N, Tq, d)
    dK : ndarray of shape (N, S, d)

    Notes
    -----
    :math:`\partial Q = \partial E\, K / \sqrt{d}` and
    :math:`\partial K = \partial E^\top Q / \sqrt{d}`: the computation of
    :func:`dot_scores_backward`, which reads the scale from the cache.

    See Also
    --------
    scaled_dot_scores, dot_scores_backward
    Book chapter 10, "Attention"; assignment 08.
    """
    return dot_scores_backward(dscores, cache)


def additive_scores(
    Q: np.ndarray, K: np.ndarray, params: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict]:
    r"""Additive (Bahdanau) scores: a one-hidden-layer network on each (query, key) pair.

    Parameters
    ----------
    Q : ndarray of shape (N, Tq, dq)
    K : ndarray of shape (N, S, dk)
        Queries and keys may have different sizes.
    params : dict
        ``W_q`` (dq, A), ``W_k`` (dk, A), ``b`` (A,), ``v`` (A,); see
        :func:`init_additive_params`.

    Returns
    -------
    scores : ndarray of shape (N, Tq, S)
    cache : dict
        For :func:`additive_scores_backward`.

    Notes
    -----
    .. math:: e_{ts} = v^\top \tanh\big(q_t W_q + k_s W_k + b\big)

    The projections :math:`q_t W_q` and :math:`k_s W_k` are computed once each
    and broadcast against each other, so the cost is one (N, Tq, S, A) tanh.

    See Also
    --------
    Book chapter 10, "Attention" (Bahdanau et al. 2015).
    """
    dims = _check_qk(Q, K, same_d=False)
    check_params(params, additive_param_shapes(), dims)
    Qp = Q @ params["W_q"]  # (N, Tq, dq) @ (dq, A) -> (N, Tq, A)
    Kp = K @ params["W_k"]  # (N, S, dk) @ (dk, A) -> (N, S, A)
    hidden = np.tanh(Qp[:, :, None, :] + Kp[:, None, :, :] + params["b"])  # (N, Tq, S, A)
    scores = hidden @ params["v"]  # (N, Tq, S, A) @ (A,) -> (N, Tq, S)
    return scores, {"Q": Q, "K": K, "params": params, "hidden": hidden}


def additive_scores_backward(
    dscores: np.ndarray, cache: dict
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r"""Backward pass of :func:`additive_scores`.

    Parameters
    ----------
    dscores : ndarray of shape (N, Tq, S)
        Upstream gradient with respect to the scores.
    cache : dict
        From :func:`additive_scores`.

    Returns
    -------
    dQ : ndarray of shape (N, Tq, dq)
    dK : ndarray of shape (N, S, dk)
    dparams : dict
        ``W_q``, ``W_k``, ``b``, ``v`` with the shapes of the parameters.

    Notes
    -----
    With :math:`u_{ts} = \tanh(a_{ts})` and
    :math:`\partial a_{ts} = \partial e_{ts}\, v \odot (1 - u_{ts}^2)`:

    .. math::
        \partial v = \sum_{n,t,s} \partial e_{ts} u_{ts}, \quad
        \partial b = \sum_{n,t,s} \partial a_{ts}, \quad
        \partial (q_t W_q) = \sum_s \partial a_{ts}, \quad
        \partial (k_s W_k) = \sum_t \partial a_{ts}

    See Also
    --------
    additive_scores
    Book chapter 10, "Attention" (Bahdanau et al. 2015).
    """
    check_cache(cache, ("Q", "K", "params", "hidden"), "additive_scores")
    Q, K, params, hidden = cache["Q"], cache["K"], cache["params"], cache["hidden"]
    N, Tq, dq = Q.shape
    S, dk = K.shape[1], K.shape[2]
    A = hidden.shape[-1]
    check_array("dscores", dscores, (N, Tq, S))
    dv = np.einsum("nts,ntsa->a", dscores, hidden)  # (A,)
    da = dscores[..., None] * params["v"]  # (N, Tq, S, 1) * (A,) -> (N, Tq, S, A)
    da *= 1.0 - hidden * hidden  # (N, Tq, S, A)
    db = da.sum(axis=(0, 1, 2))  # (A,)
    dQp = da.sum(axis=2)  # (N, Tq, A)
    dKp = da.sum(axis=1)  # (N, S, A)
    dW_q = Q.reshape(N * Tq, dq).T @ dQp.reshape(N * Tq, A)  # (dq, N Tq) @ (N Tq, A) -> (dq, A)
    dW_k = K.reshape(N * S, dk).T @ dKp.reshape(N * S, A)  # (dk, N S) @ (N S, A) -> (dk, A)
    dQ = dQp @ params["W_q"].T  # (N, Tq, A) @ (A, dq) -> (N, Tq, dq)
    dK = dKp @ params["W_k"].T  # (N, S, A) @ (A, dk) -> (N, S, dk)
    return dQ, dK, {"W_q": dW_q, "W_k": dW_k, "b": db, "v": dv}


def attention_forward(
    Q: np.ndarray,
    K: np.ndarray,
    V: np.ndarray,
    mask: np.ndarray | None = None,
    score: str = "scaled_dot",
    params: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    r"""Attend from every query over the (unmasked) source positions.

    Parameters
    ----------
    Q : ndarray of shape (N, Tq, dq)
        Queries (for a Luong decoder, its hidden states).
    K : ndarray of shape (N, S, dk)
        Keys (the encoder states). ``dk`` must equal ``dq`` for the dot scores.
    V : ndarray of shape (N, S, dv)
        Values (the encoder states again, in a seq2seq model).
    mask : ndarray of bool, shape (N, S), optional
        True marks a real source token, False padding. Every row needs at
        least one True. ``None`` attends to every position.
    score : {"scaled_dot", "dot", "additive"}
        Score function.
    params : dict, optional
        Required for ``score="additive"`` (see :func:`init_additive_params`);
        ignored otherwise.

    Returns
    -------
    context : ndarray of shape (N, Tq, dv)
        Weighted average of the values for every query.
    weights : ndarray of shape (N, Tq, S)
        Attention weights: non-negative, summing to 1 over the unmasked
        positions of each row, exactly 0 on masked ones.
    cache : dict
        For :func:`attention_backward`.

    Raises
    ------
    ValueError
        On a wrong shape or dtype, NaN/inf, an unknown ``score``, missing
        additive parameters, or a mask row with no True.

    Notes
    -----
    .. math::
        e_{ts} = \operatorname{score}(q_t, k_s), \qquad
        \alpha_{ts} = \frac{m_s e^{e_{ts}}}{\sum_{s'} m_{s'} e^{e_{ts'}}}, \qquad
        c_t = \sum_s \alpha_{ts} v_s

    See Also
    --------
    Book chapter 10, "Attention"; assignment 08.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Q, K = rng.normal(size=(1, 2, 4)), rng.normal(size=(1, 3, 4))
    >>> mask = np.array([[True, True, False]])
    >>> ctx, w, _ = attention_forward(Q, K, K, mask)
    >>> w.sum(axis=-1), w[..., 2]
    (array([[1., 1.]]), array([[0., 0.]]))
    """
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}.")
    dims = _check_qk(Q, K, same_d=score != "additive")
    check_array("V", V, ("N", "S", "dv"), dims)
    if mask is not None:
        check_array("mask", mask, ("N", "S"), dims, dtype="bool")
        empty = np.flatnonzero(~mask.any(axis=1))
        if empty.size:
            raise ValueError(
                f"mask row {int(empty[0])} has no True entry (of shape (N, S)={mask.shape}): "
                "attention over an empty source is undefined. Expected at least one real "
                "token per sequence; check the source lengths used to build the mask."
            )
    if score == "additive":
        if params is None:
            raise ValueError(
                "params is required for score='additive': a dict with keys "
                "['W_q', 'W_k', 'b', 'v'] (see init_additive_params)."
            )
        scores, score_cache = additive_scores(Q, K, params)
    elif score == "dot":
        scores, score_cache = dot_scores(Q, K)
    else:
        scores, score_cache = scaled_dot_scores(Q, K)
    # (N, S) -> (N, 1, S): the same source mask for every query
    weights = masked_softmax(scores, None if mask is None else mask[:, None, :], axis=-1)
    context = weights @ V  # (N, Tq, S) @ (N, S, dv) -> (N, Tq, dv)
    cache = {"V": V, "weights": weights, "score": score, "score_cache": score_cache}
    return context, weights, cache


def attention_backward(
    dcontext: np.ndarray,
    cache: dict,
    dweights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r"""Backward pass of :func:`attention_forward`.

    Parameters
    ----------
    dcontext : ndarray of shape (N, Tq, dv)
        Gradient with respect to the context vectors.
    cache : dict
        From :func:`attention_forward`.
    dweights : ndarray of shape (N, Tq, S), optional
        Extra gradient with respect to the weights, when the loss also reads
        them (e.g. an attention-entropy penalty). Zeros if omitted.

    Returns
    -------
    dQ : ndarray of shape (N, Tq, dq)
    dK : ndarray of shape (N, S, dk)
    dV : ndarray of shape (N, S, dv)
    dparams : dict
        Gradients of the additive parameters; ``{}`` for the dot scores.

    Notes
    -----
    .. math::
        \partial V = \alpha^\top \partial C, \qquad
        \partial \alpha = \partial C\, V^\top, \qquad
        \partial e_{ts} = \alpha_{ts}\Big(\partial \alpha_{ts}
        - \sum_{s'} \alpha_{ts'} \partial \alpha_{ts'}\Big)

    Masked positions have :math:`\alpha_{ts} = 0`, so they receive no gradient.

    See Also
    --------
    attention_forward
    Book chapter 10, "Attention"; assignment 08.
    """
    check_cache(cache, ("V", "weights", "score", "score_cache"), "attention_forward")
    V, weights = cache["V"], cache["weights"]
    N, Tq, S = weights.shape
    check_array("dcontext", dcontext, (N, Tq, V.shape[2]))
    dalpha = dcontext @ V.transpose(0, 2, 1)  # (N, Tq, dv) @ (N, dv, S) -> (N, Tq, S)
    if dweights is not None:
        check_array("dweights", dweights, (N, Tq, S))
        dalpha = dalpha + dweights
    dV = weights.transpose(0, 2, 1) @ dcontext  # (N, S, Tq) @ (N, Tq, dv) -> (N, S, dv)
    dscores = masked_softmax_backward(dalpha, weights, axis=-1)  # (N, Tq, S)
    if cache["score"] == "additive":
        dQ, dK, dparams = additive_scores_backward(dscores, cache["score_cache"])
    else:
        dQ, dK = dot_scores_backward(dscores, cache["score_cache"])
        dparams = {}
    return dQ, dK, dV, dparams
