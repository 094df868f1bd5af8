"""Catalogue of the usual mistakes for assignment 07 (one GRU step, Cho's variant).

Assignment 07 uses the Cho et al. (2014) candidate, in which the reset gate
scales ``h_prev`` *before* the product,
``n = tanh([r * h_prev, x] W_n + b_n)``: it reads with the same
concatenation ``[h_prev, x]`` as every LSTM gate, so students reuse what
they know. The reset-after variant of PyTorch and cuDNN is catalogued as a
mistake *for this assignment* and explained in chapter 8. The update follows
PyTorch's convention ``h = (1 - z) * n + z * h_prev``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np

from .. import cells
from .. import gru as ref_gru
from ..activations import sigmoid
from ._core import Exercise, Mistake

CH8 = 'chapter 8, "The GRU", section "The equations"'
__all__ = ["EXERCISES", "step"]

CONTRACT = "the assignment's contract at the top of the notebook"


def step(x, h_prev, params, *, concat="hx", swap_zr=False, reset="before", n_act="tanh",
         z_act="sigmoid", update="pytorch", biases=True, out="h"):
    """The Cho-variant GRU step with switches; the defaults give the right answer."""
    H = h_prev.shape[1]

    def cat(a, b):
        return np.concatenate([a, b] if concat == "hx" else [b, a], axis=1)  # (N, H + D)

    def pre(inp, k):
        a = inp @ params[f"W_{k}"]  # (N, H)
        return a + params[f"b_{k}"] if biases else a

    hx = cat(h_prev, x)
    kz, kr = ("r", "z") if swap_zr else ("z", "r")
    z = sigmoid(pre(hx, kz)) if z_act == "sigmoid" else np.tanh(pre(hx, kz))
    r = sigmoid(pre(hx, kr))
    if reset == "before":
        a_n = pre(cat(r * h_prev, x), "n")
    elif reset == "after":
        W_n = params["W_n"]
        if concat == "hx":
            a_n = x @ W_n[H:] + r * (h_prev @ W_n[:H])
        else:
            a_n = x @ W_n[: W_n.shape[0] - H] + r * (h_prev @ W_n[W_n.shape[0] - H:])
        a_n = a_n + params["b_n"] if biases else a_n
    else:  # "none": the reset gate is ignored
        a_n = pre(hx, "n")
    n = np.tanh(a_n) if n_act == "tanh" else sigmoid(a_n)
    if update == "pytorch":
        h = (1 - z) * n + z * h_prev
    elif update == "flipped":
        h = z * n + (1 - z) * h_prev
    else:  # "no_old": the old state is dropped
        h = (1 - z) * n
    if out == "cache":
        return h, {"z": z, "r": r, "n": n}
    return h


def _inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    N, D, H = dims["N"], dims["D"], dims["H"]
    params = cells.random_params("gru", D, H, rng, variant="cho")  # non-zero biases
    return {
        "x": rng.normal(size=(N, D)) * scale,
        "h_prev": rng.uniform(-1, 1, size=(N, H)),
        "params": params,
    }


def _ref(x, h_prev, params):
    return ref_gru.gru_step_forward(x, h_prev, params, variant="cho")[0]


_m = Mistake  # a short name for the catalogue below


GRU_STEP_FORWARD = Exercise(
    name="gru_step_forward",
    assignment="07_gru",
    signature="gru_step_forward(x, h_prev, params) -> h",
    equation=("hx = [h_prev, x]; z = sigmoid(hx @ W_z + b_z); r = sigmoid(hx @ W_r + b_r); "
              "n = tanh([r * h_prev, x] @ W_n + b_n); h = (1 - z) * n + z * h_prev"),
    reread=CH8,
    arg_names=("x", "h_prev", "params"),
    reference=_ref,
    make_inputs=_inputs,
    default_dims={"N": 3, "D": 4, "H": 5},
    mistakes=[
        _m("flipped_update", "you interpolated the other way round: h = z * n + (1 - z) * h_prev",
           "this course follows PyTorch: z near 1 keeps the old state, "
           "h = (1 - z) * n + z * h_prev. Both conventions exist in the literature; the "
           "contract fixes one.",
           CH8, partial(step, update="flipped"),
           (("h = (1 - z) * n + z * h_prev", "h = z * n + (1 - z) * h_prev"),)),
        _m("reset_ignored", "you did not apply the reset gate in the candidate",
           "the reset gate decides how much of the old state the candidate may read: "
           "n = tanh([r * h_prev, x] @ W_n + b_n).",
           CH8, partial(step, reset="none"), (("[r * h_prev, x]", "[h_prev, x]"),)),
        _m("reset_after_product",
           "you applied the reset gate after the product (the reset-after variant of "
           "PyTorch/cuDNN)",
           "this assignment uses Cho's variant: reset h_prev first, then multiply, "
           "n = tanh([r * h_prev, x] @ W_n + b_n). Chapter 8 compares the two.",
           CH8, partial(step, reset="after"),
           (('np.tanh(hr @ params["W_n"] + params["b_n"])',
             'np.tanh(x @ params["W_n"][h_prev.shape[1]:] + params["b_n"] '
             '+ r * (h_prev @ params["W_n"][: h_prev.shape[1]]))'),)),
        _m("swapped_gates", "you swapped the update and reset gates' parameters",
           "z uses W_z and b_z (it interpolates); r uses W_r and b_r (it filters h_prev).",
           CH8, partial(step, swap_zr=True),
           (('params["W_z"] + params["b_z"])  # (N, H) update',
             'params["W_r"] + params["b_r"])  # (N, H) update'),
            ('params["W_r"] + params["b_r"])  # (N, H) reset',
             'params["W_z"] + params["b_z"])  # (N, H) reset'))),
        _m("candidate_sigmoid", "you used the sigmoid for the candidate n",
           "n is new content, positive or negative: tanh. Sigmoids are for the gates.",
           CH8, partial(step, n_act="sigmoid"), (("n = np.tanh(", "n = sigmoid("),)),
        _m("update_gate_tanh", "you used tanh for the update gate z",
           "z is a gate: a sigmoid, in (0, 1), so that (1 - z) and z share the work.",
           CH8, partial(step, z_act="tanh"), (("z = sigmoid(", "z = np.tanh("),)),
        _m("dropped_old_state", "you dropped the old state: h = (1 - z) * n",
           "the GRU keeps part of the old state: h = (1 - z) * n + z * h_prev. That sum is "
           "its highway.",
           CH8, partial(step, update="no_old"),
           (("h = (1 - z) * n + z * h_prev", "h = (1 - z) * n"),)),
        _m("concat_order", "you concatenated [x, h_prev] instead of [h_prev, x]",
           "rows [:H] of every weight read h_prev: np.concatenate([h_prev, x], axis=1).",
           'appendix A, "Notation and conventions"', partial(step, concat="xh"),
           (("[h_prev, x]", "[x, h_prev]"), ("[r * h_prev, x]", "[x, r * h_prev]"))),
        _m("missing_biases", "you left out the biases",
           "every product gets its bias inside the nonlinearity: sigmoid(hx @ W_z + b_z), ...",
           CH8, partial(step, biases=False),
           tuple((f' + params["b_{k}"]', "") for k in "zrn")),
        _m("returned_cache", "you returned a cache as well, like course_pkg does",
           "this assignment's step returns only h.", CONTRACT, partial(step, out="cache"),
           (("return h", "return h, {}"),)),
    ],
)


#: The exercises of assignment 07, in course order.
EXERCISES = (GRU_STEP_FORWARD,)
