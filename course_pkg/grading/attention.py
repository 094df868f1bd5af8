"""Catalogue of the usual mistakes for assignment 08 (scaled dot-product attention).

Students write ``scaled_dot_scores(Q, K) -> scores`` and
``attention(Q, K, V, mask=None) -> (context, weights)``; the reference is
:mod:`course_pkg.attention` without its caches. ``attention`` is graded with
the reference ``scaled_dot_scores`` in place of the student's, so a mistake
in the scores is not counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np

from .. import attention as ref_att
from ._core import Exercise, Mistake

CH10 = 'chapter 10, "Attention", section "Queries, keys and values"'
__all__ = ["EXERCISES", "scores", "attend"]

CONTRACT = "the assignment's contract at the top of the notebook"


def scores(Q, K, *, scale="sqrt", transpose="right", out="scores"):
    """Scaled dot scores with switches; the defaults give the right answer."""
    d = Q.shape[-1] if scale != "S" else K.shape[1]
    if transpose == "right":
        e = Q @ K.transpose(0, 2, 1)  # (N, Tq, S)
    elif transpose == "none":
        e = Q @ K
    elif transpose == "all":
        e = Q @ K.T
    else:  # "swapped": keys against queries, (N, S, Tq)
        e = K @ Q.transpose(0, 2, 1)
    if scale in ("sqrt", "S"):
        e = e / np.sqrt(d)
    elif scale == "d":
        e = e / d
    if out == "cache":
        return e, {}
    return e


def _score_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    N, Tq, S, d = dims["N"], dims["Tq"], dims["S"], dims["d"]
    return {"Q": rng.normal(size=(N, Tq, d)) * scale, "K": rng.normal(size=(N, S, d)) * scale}


_m = Mistake  # a short name for the catalogue below


SCALED_DOT_SCORES = Exercise(
    name="scaled_dot_scores",
    assignment="08_attention",
    signature="scaled_dot_scores(Q, K) -> scores",
    equation="scores[n, t, s] = Q[n, t] . K[n, s] / sqrt(d), i.e. Q @ K^T / sqrt(d), (N, Tq, S)",
    reread=CH10,
    arg_names=("Q", "K"),
    reference=lambda Q, K: ref_att.scaled_dot_scores(Q, K)[0],
    make_inputs=_score_inputs,
    default_dims={"N": 2, "Tq": 3, "S": 4, "d": 5},
    mistakes=[
        _m("unscaled", "you forgot to divide by sqrt(d)",
           "dot products of d-dimensional vectors grow like sqrt(d); dividing keeps the "
           "softmax from saturating into a one-hot choice.",
           CH10, partial(scores, scale="none"), (("/ np.sqrt(d)", ""),)),
        _m("scaled_by_d", "you divided by d instead of sqrt(d)",
           "the scale is 1 / sqrt(d), with d = Q.shape[-1].",
           CH10, partial(scores, scale="d"), (("/ np.sqrt(d)", "/ d"),)),
        _m("scaled_by_source_length", "you scaled by the square root of the source length S",
           "d is the size of each query/key vector, Q.shape[-1], not the number of keys.",
           CH10, partial(scores, scale="S"), (("d = Q.shape[-1]", "d = K.shape[1]"),)),
        _m("keys_not_transposed", "you multiplied Q @ K without transposing K",
           "every query meets every key: Q (N, Tq, d) @ K^T (N, d, S) -> (N, Tq, S), with "
           "K.transpose(0, 2, 1).",
           CH10, partial(scores, transpose="none"), (("K.transpose(0, 2, 1)", "K"),)),
        _m("transposed_all_axes", "you wrote K.T, which reverses all three axes (d, S, N)",
           "transpose only the last two axes: K.transpose(0, 2, 1) (or np.swapaxes(K, 1, 2)); "
           "the batch axis stays first.",
           CH10, partial(scores, transpose="all"), (("K.transpose(0, 2, 1)", "K.T"),)),
        _m("keys_against_queries", "you computed K @ Q^T, which gives (N, S, Tq)",
           "rows are queries, columns are source positions: Q @ K^T is (N, Tq, S).",
           CH10, partial(scores, transpose="swapped"),
           (("Q @ K.transpose(0, 2, 1)", "K @ Q.transpose(0, 2, 1)"),)),
        _m("returned_cache", "you returned a cache as well, like course_pkg does",
           "this function returns only the scores.", CONTRACT, partial(scores, out="cache"),
           (("return scores", "return scores, {}"),)),
    ],
)


def attend(Q, K, V, mask=None, *, masking="before", fill=-np.inf, invert=False, axis=-1,
           shift=True, values="V", transpose_weights=False, out="cw"):
    """Masked scaled dot-product attention with switches; defaults give the right answer."""
    e = scores(Q, K)  # (N, Tq, S)
    if mask is not None and masking == "before":
        m = ~mask if invert else mask
        e = np.where(m[:, None, :], e, fill)
    if shift is True or (shift == "masked" and mask is not None):
        e = e - e.max(axis=axis, keepdims=True)
    w = np.exp(e)
    w = w / w.sum(axis=axis, keepdims=True)  # (N, Tq, S)
    if mask is not None and masking == "after":
        w = w * mask[:, None, :]
    src = V if values == "V" else K
    context = (w.transpose(0, 2, 1) if transpose_weights else w) @ src  # (N, Tq, dv)
    if out == "wc":
        return w, context
    if out == "cache":
        return context, w, {}
    return context, w


def _att_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    N, Tq, S, d, dv = dims["N"], dims["Tq"], dims["S"], dims["d"], dims["dv"]
    mask = None
    if dims.get("masked", 1):
        lengths = rng.integers(1, S + 1, size=N)
        lengths[0] = max(1, S - 1) if S > 1 else 1  # at least one padded row when S > 1
        mask = np.arange(S)[None, :] < lengths[:, None]  # (N, S), True = real token
    return {
        "Q": rng.normal(size=(N, Tq, d)) * scale,
        "K": rng.normal(size=(N, S, d)) * scale,
        "V": rng.normal(size=(N, S, dv)),
        "mask": mask,
    }


def _att_ref(Q, K, V, mask=None):
    context, weights, _ = ref_att.attention_forward(Q, K, V, mask, score="scaled_dot")
    return context, weights


def _scores_ref(Q, K):
    return ref_att.scaled_dot_scores(Q, K)[0]


ATTENTION = Exercise(
    name="attention",
    assignment="08_attention",
    signature="attention(Q, K, V, mask=None) -> (context, weights)",
    equation=("scores = Q K^T / sqrt(d); masked positions set to -inf; weights = softmax over "
              "the source axis (the last); context = weights @ V"),
    reread=CH10,
    arg_names=("Q", "K", "V", "mask"),
    reference=_att_ref,
    make_inputs=_att_inputs,
    default_dims={"N": 3, "Tq": 2, "S": 4, "d": 5, "dv": 6},
    isolate={"scaled_dot_scores": _scores_ref},
    mistakes=[
        _m("mask_ignored", "you ignored the mask, so padding receives attention",
           "before the softmax, set the scores of padded positions (mask False) to -inf: "
           "np.where(mask[:, None, :], scores, -np.inf). exp(-inf) = 0, so they get no weight.",
           CH10, partial(attend, masking="none"),
           (("np.where(mask[:, None, :], scores, -np.inf)", "scores"),)),
        _m("mask_after_softmax",
           "you zeroed the padded weights after the softmax, so the weights no longer sum to 1",
           "mask the scores before the softmax, so the remaining weights are renormalised.",
           CH10, partial(attend, masking="after"),
           (("np.where(mask[:, None, :], scores, -np.inf)", "scores"),
            ("context = weights @ V",
             "if mask is not None:\n        weights = weights * mask[:, None, :]\n"
             "    context = weights @ V"))),
        _m("mask_inverted", "you inverted the mask (True means a real token, not padding)",
           "keep the scores where mask is True: np.where(mask[:, None, :], scores, -np.inf).",
           CH10, partial(attend, invert=True),
           (("np.where(mask[:, None, :]", "np.where(~mask[:, None, :]"),)),
        _m("mask_with_zero", "you set masked scores to 0 instead of -inf",
           "a score of 0 still gets weight exp(0) = 1 before normalising; -inf gets exactly 0.",
           CH10, partial(attend, fill=0.0),
           (("scores, -np.inf)", "scores, 0.0)"),)),
        _m("softmax_over_queries", "you normalised over the query axis instead of the source axis",
           "each query's weights over the source positions sum to 1: softmax over the last "
           "axis (axis=-1).",
           CH10, partial(attend, axis=1), (("axis=-1", "axis=1"),)),
        _m("unstable_softmax", "you did not subtract the maximum score before exp, which "
           "overflows to inf / inf = NaN for large scores",
           "shift the scores by their maximum along the softmax axis first; the result is "
           "unchanged and exp never sees a large positive number.",
           CH10, partial(attend, shift=False),
           (("scores = scores - scores.max(axis=-1, keepdims=True)", "scores = scores"),)),
        _m("shift_only_when_masked", "you subtracted the maximum score only when a mask is "
           "given, so without a mask large scores overflow to inf / inf = NaN",
           "shift the scores by their maximum along the softmax axis in every case, with or "
           "without a mask: the shift does not depend on the padding.",
           CH10, partial(attend, shift="masked"),
           (("-np.inf)\n    scores = scores - scores.max(axis=-1, keepdims=True)",
             "-np.inf)\n        scores = scores - scores.max(axis=-1, keepdims=True)"),)),
        _m("context_from_keys", "you averaged the keys instead of the values",
           "keys decide where to look, values are what is read: context = weights @ V.",
           CH10, partial(attend, values="K"), (("weights @ V", "weights @ K"),)),
        _m("weights_transposed", "you transposed the weights before reading the values",
           "weights (N, Tq, S) @ V (N, S, dv) -> (N, Tq, dv) as they are.",
           CH10, partial(attend, transpose_weights=True),
           (("weights @ V", "weights.transpose(0, 2, 1) @ V"),)),
        _m("returned_swapped", "you returned (weights, context) instead of (context, weights)",
           "return context, weights in this order.", CONTRACT, partial(attend, out="wc"),
           (("return context, weights", "return weights, context"),)),
        _m("returned_cache", "you returned a cache as well, like course_pkg does",
           "this function returns only (context, weights).", CONTRACT,
           partial(attend, out="cache"),
           (("return context, weights", "return context, weights, {}"),)),
    ],
)


#: The exercises of assignment 08, in course order.
EXERCISES = (SCALED_DOT_SCORES, ATTENTION)
