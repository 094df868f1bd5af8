"""Catalogues of the usual mistakes for assignments 05 and 06 (the whole LSTM).

The mutations are written once, as a readable reference with switches
(:func:`step`, :func:`sequence`, :func:`bptt`); each catalogued mistake
flips one switch. The tests check that the switch-free versions agree with
:mod:`course_pkg.lstm`, so the catalogue cannot drift from the package.

:func:`check_gradient_checker` grades the student's own gradient check
(assignment 06): it must pass a correct backward and catch broken ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from .. import cells
from .. import lstm as ref_lstm
from ..activations import sigmoid
from ._core import Exercise, Mistake

CH7_STEP = 'chapter 7, "The whole cell, through time", section "One step, four moves"'
CH7_SEQ = 'chapter 7, "The whole cell, through time", section "The whole sequence"'
CH7_BPTT = ('chapter 7, "The whole cell, through time", section "Backpropagation through '
            'time"')
CH5 = 'chapter 5, "The cell state", section "The mechanism" (the highway)'
__all__ = ["EXERCISES", "step", "sequence", "bptt", "check_gradient_checker"]

CONTRACT = "the assignment's contract at the top of the notebook"


def _params(rng: np.random.Generator, D: int, H: int) -> dict[str, np.ndarray]:
    return cells.random_params("lstm", D, H, rng)  # non-zero biases


# --- 05: one step ---------------------------------------------------------------------------


def step(x, h_prev, c_prev, params, *, concat="hx", f_weights="f", o_weights="o",
         g_act="tanh", h_source="c", cell_tanh=False, biases=True, in_place=False,
         out="hc"):
    """The LSTM step with switches; the defaults give the right answer."""
    z = (np.concatenate([h_prev, x], axis=1) if concat == "hx"
         else np.concatenate([x, h_prev], axis=1))  # (N, H + D)

    def pre(k):
        a = z @ params[f"W_{k}"]  # (N, H)
        return a + params[f"b_{k}"] if biases else a

    f = sigmoid(pre(f_weights))
    i = sigmoid(pre("i"))
    g = np.tanh(pre("g")) if g_act == "tanh" else sigmoid(pre("g"))
    o = sigmoid(pre(o_weights))
    if in_place:
        c_prev *= f
        c_prev += i * g
        c = c_prev
    else:
        c = f * c_prev + i * g  # (N, H)
    if cell_tanh:
        c = np.tanh(c)
    if h_source == "c":
        h = o * np.tanh(c)
    elif h_source == "c_prev":
        h = o * np.tanh(c_prev)
    else:  # "raw"
        h = o * c
    if out == "ch":
        return c, h
    if out == "cache":
        return h, c, {"f": f, "i": i, "g": g, "o": o}
    return h, c


def _step_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    N, D, H = dims["N"], dims["D"], dims["H"]
    return {
        "x": rng.normal(size=(N, D)) * scale,
        "h_prev": rng.uniform(-1, 1, size=(N, H)),
        "c_prev": rng.normal(size=(N, H)) * 2.0,
        "params": _params(rng, D, H),
    }


def _ref_step(x, h_prev, c_prev, params):
    h, c, _ = ref_lstm.lstm_step_forward(x, h_prev, c_prev, params)
    return h, c


_m = Mistake  # a short name for the catalogue below


STEP_EQ = ("z = [h_prev, x]; f = sigmoid(z @ W_f + b_f); i = sigmoid(z @ W_i + b_i); "
           "g = tanh(z @ W_g + b_g); o = sigmoid(z @ W_o + b_o); c = f * c_prev + i * g; "
           "h = o * tanh(c)")

LSTM_STEP_FORWARD = Exercise(
    name="lstm_step_forward",
    assignment="05_lstm_forward",
    signature="lstm_step_forward(x, h_prev, c_prev, params) -> (h, c)",
    equation=STEP_EQ,
    reread=CH7_STEP,
    arg_names=("x", "h_prev", "c_prev", "params"),
    reference=_ref_step,
    make_inputs=_step_inputs,
    default_dims={"N": 3, "D": 4, "H": 5},
    mistakes=[
        _m("concat_order", "you concatenated [x, h_prev] instead of [h_prev, x]",
           "z = np.concatenate([h_prev, x], axis=1): rows [:H] of every weight read h_prev.",
           'appendix A, "Notation and conventions"', partial(step, concat="xh"),
           (("[h_prev, x]", "[x, h_prev]"),)),
        _m("forget_gate_with_input_weights",
           "your forget gate uses the input gate's parameters (W_i, b_i)",
           "each gate has its own weights: f uses W_f and b_f.",
           CH7_STEP, partial(step, f_weights="i"),
           (('params["W_f"] + params["b_f"]', 'params["W_i"] + params["b_i"]'),)),
        _m("output_gate_with_candidate_weights",
           "your output gate uses the candidate's parameters (W_g, b_g)",
           "each gate has its own weights: o uses W_o and b_o.",
           CH7_STEP, partial(step, o_weights="g"),
           (('params["W_o"] + params["b_o"]', 'params["W_g"] + params["b_g"]'),)),
        _m("candidate_sigmoid", "you used the sigmoid for the candidate g",
           "g proposes content, positive or negative: g = tanh(...). Sigmoids are for gates.",
           'chapter 4, "The input gate and the candidate"', partial(step, g_act="sigmoid"),
           (("g = np.tanh(", "g = sigmoid("),)),
        _m("h_from_old_cell", "you computed h from the old cell state (o * tanh(c_prev))",
           "update the memory first, then read it: h = o * tanh(c) with the new c.",
           CH7_STEP, partial(step, h_source="c_prev"),
           (("h = o * np.tanh(c)", "h = o * np.tanh(c_prev)"),)),
        _m("c_for_tanh_c", "you used c where tanh(c) belongs (h = o * c)",
           "h = o * tanh(c): tanh keeps h in (-1, 1) whatever the size of the memory.",
           'chapter 6, "The output gate"', partial(step, h_source="raw"),
           (("h = o * np.tanh(c)", "h = o * c"),)),
        _m("squashed_cell", "you passed the new cell state through tanh",
           "c = f * c_prev + i * g exactly: the highway is never squashed.",
           CH5, partial(step, cell_tanh=True),
           (("c = f * c_prev + i * g", "c = np.tanh(f * c_prev + i * g)"),)),
        _m("missing_biases", "you left out the biases",
           "every gate adds its bias inside the nonlinearity: sigmoid(z @ W_f + b_f), ...",
           CH7_STEP, partial(step, biases=False),
           tuple((f' + params["b_{k}"]', "") for k in "figo")),
        _m("returned_c_h", "you returned (c, h) instead of (h, c)",
           "return h, c in this order (the contract).", CONTRACT, partial(step, out="ch"),
           (("return h, c", "return c, h"),)),
        _m("in_place", "you updated c_prev in place",
           "write c = f * c_prev + i * g into a new array; c_prev belongs to the caller.",
           CH5, partial(step, in_place=True),
           (("c = f * c_prev + i * g", "c_prev *= f\n    c_prev += i * g\n    c = c_prev"),)),
        _m("returned_cache", "you returned a cache as well, like course_pkg does",
           "this assignment's step returns only (h, c).", CONTRACT, partial(step, out="cache"),
           (("return h, c", "return h, c, {}"),)),
    ],
)


# --- 05: the sequence --------------------------------------------------------------------


def sequence(X, h0, c0, params, *, carry="hc", store_first=False, reverse=False,
             dtype=None, out="all"):
    """The LSTM over a sequence, with switches; the defaults give the right answer."""
    T, N, _ = X.shape
    H = h0.shape[1]
    hs = np.zeros((T, N, H), dtype=dtype or X.dtype)
    cs = np.zeros((T, N, H), dtype=dtype or X.dtype)
    h, c = h0, c0
    steps = reversed(range(T)) if reverse else range(T)
    for t in steps:
        if store_first:
            hs[t], cs[t] = h, c
        h_in = h if "h" in carry else h0
        c_in = c if "c" in carry else c0
        h, c = _ref_step(X[t], h_in, c_in, params)
        if not store_first:
            hs[t], cs[t] = h, c
    if out == "last":
        return h, c
    if out == "swapped":
        return cs, hs
    if out == "cache":
        return hs, cs, {}
    return hs, cs


def _seq_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    T, N, D, H = dims["T"], dims["N"], dims["D"], dims["H"]
    return {
        "X": rng.normal(size=(T, N, D)) * scale,
        "h0": rng.uniform(-1, 1, size=(N, H)),
        "c0": rng.normal(size=(N, H)),
        "params": _params(rng, D, H),
    }


def _ref_sequence(X, h0, c0, params):
    hs, cs, _ = ref_lstm.lstm_forward(X, h0, c0, params)
    return hs, cs


LSTM_FORWARD = Exercise(
    name="lstm_forward",
    assignment="05_lstm_forward",
    signature="lstm_forward(X, h0, c0, params) -> (hs, cs)",
    equation="for t = 0 .. T-1: h, c = lstm_step_forward(X[t], h, c, params); hs[t], cs[t] = h, c",
    reread=CH7_SEQ,
    arg_names=("X", "h0", "c0", "params"),
    reference=_ref_sequence,
    make_inputs=_seq_inputs,
    default_dims={"T": 4, "N": 3, "D": 2, "H": 5},
    isolate={"lstm_step_forward": _ref_step},
    mistakes=[
        _m("state_not_carried", "every step starts again from h0 and c0",
           "carry the state: feed the h and c returned by step t into step t + 1 "
           "(h, c = lstm_step_forward(X[t], h, c, params)).",
           CH7_SEQ, partial(sequence, carry=""),
           (("lstm_step_forward(X[t], h, c, params)", "lstm_step_forward(X[t], h0, c0, params)"),)),
        _m("cell_not_carried", "you carried h but restarted every step from c0",
           "the cell state is the memory that travels furthest: carry c as well as h.",
           CH7_SEQ, partial(sequence, carry="h"),
           (("lstm_step_forward(X[t], h, c, params)", "lstm_step_forward(X[t], h, c0, params)"),)),
        _m("stored_previous_state",
           "you stored each state before computing the step, so hs is shifted by one",
           "hs[t] is the state after reading X[t]: call the step first, then store.",
           CH7_SEQ, partial(sequence, store_first=True),
           (("h, c = lstm_step_forward(X[t], h, c, params)\n        hs[t] = h\n        cs[t] = c",
             "hs[t] = h\n        cs[t] = c\n"
             "        h, c = lstm_step_forward(X[t], h, c, params)"),)),
        _m("reversed_time", "you ran the sequence backwards in time",
           "the forward pass reads X[0] first: for t in range(T).",
           CH7_SEQ, partial(sequence, reverse=True),
           (("for t in range(T):", "for t in reversed(range(T)):"),)),
        _m("float32_buffers", "you allocated hs and cs as float32",
           "allocate them with the inputs' dtype (dtype=X.dtype), float64 here.",
           CONTRACT, partial(sequence, dtype=np.float32),
           (("dtype=X.dtype", "dtype=np.float32"),)),
        _m("returned_last", "you returned only the final (h, c), not every step",
           "return hs and cs of shape (T, N, H): the classifier, the attention and the "
           "backward pass need every step.", CONTRACT, partial(sequence, out="last"),
           (("return hs, cs", "return h, c"),)),
        _m("returned_swapped", "you returned (cs, hs) instead of (hs, cs)",
           "return hs, cs in this order.", CONTRACT, partial(sequence, out="swapped"),
           (("return hs, cs", "return cs, hs"),)),
        _m("returned_cache", "you returned a cache as well, like course_pkg does",
           "this assignment's forward returns only (hs, cs).", CONTRACT,
           partial(sequence, out="cache"), (("return hs, cs", "return hs, cs, {}"),)),
    ],
)


# --- 06: backpropagation through time ------------------------------------------------------


def bptt(dhs, X, h0, c0, params, *, highway_f=True, recurrent_dh=True, carry_dc=True,
         tanh_derivative=True, f_derivative="sigmoid", accumulate=True, sum_bias=True,
         in_place=False, reverse=True, transpose_w=True, do_uses="tanh_c"):
    """BPTT written step by step, with switches; the defaults give the right answer."""
    hs, cs, cache = ref_lstm.lstm_forward(X, h0, c0, params)
    f, i, g, o = (cache["gates"][k] for k in "figo")  # each (T, N, H)
    T, N, _D = X.shape
    H = h0.shape[1]
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dX = np.zeros_like(X)
    dh_next = np.zeros((N, H))
    dc_next = np.zeros((N, H))
    for t in (reversed(range(T)) if reverse else range(T)):
        h_prev = hs[t - 1] if t > 0 else h0
        c_prev = cs[t - 1] if t > 0 else c0
        z = np.concatenate([h_prev, X[t]], axis=1)  # (N, H + D)
        if in_place:
            dhs[t] += dh_next
            dh = dhs[t]
        else:
            dh = dhs[t] + dh_next if recurrent_dh else dhs[t]  # (N, H)
        tc = np.tanh(cs[t])  # (N, H)
        do = dh * (tc if do_uses == "tanh_c" else cs[t])
        dc_h = dh * o[t] * (1 - tc**2) if tanh_derivative else dh * o[t]
        dc = dc_next + dc_h if carry_dc else dc_h
        df = dc * c_prev
        di = dc * g[t]
        dg = dc * i[t]
        dc_next = dc * f[t] if highway_f else dc
        da_f = df * f[t] * (1 - f[t]) if f_derivative == "sigmoid" else df * (1 - f[t] ** 2)
        dz = 0
        for k, da in (("f", da_f), ("i", di * i[t] * (1 - i[t])),
                      ("g", dg * (1 - g[t] ** 2)), ("o", do * o[t] * (1 - o[t]))):
            if accumulate:
                grads["W_" + k] += z.T @ da  # (H + D, H)
            else:
                grads["W_" + k] = z.T @ da
            grads["b_" + k] += da.sum(axis=0) if sum_bias else da
            W = params["W_" + k]
            dz = dz + da @ (W.T if transpose_w else W)  # (N, H + D)
        dh_next = dz[:, :H]
        dX[t] = dz[:, H:]
    return dX, dh_next, dc_next, grads


def _bptt_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    out = _seq_inputs(rng, dims, scale)
    T, N, H = dims["T"], dims["N"], dims["H"]
    return {"dhs": rng.normal(size=(T, N, H)) * scale, **out}


def _ref_bptt(dhs, X, h0, c0, params):
    _, _, cache = ref_lstm.lstm_forward(X, h0, c0, params)
    return ref_lstm.lstm_backward(dhs, cache)


LSTM_BACKWARD = Exercise(
    name="lstm_backward",
    assignment="06_lstm_backward",
    signature="lstm_backward(dhs, X, h0, c0, params) -> (dX, dh0, dc0, grads)",
    equation=("for t = T-1 .. 0: dh = dhs[t] + dh_next; do = dh * tanh(c_t); "
              "dc = dc_next + dh * o * (1 - tanh(c_t)**2); df = dc * c_prev; di = dc * g; "
              "dg = dc * i; dc_next = dc * f; then through the gates' nonlinearities, "
              "dW += z.T @ da, db += sum(da), dz = da @ W.T"),
    reread=CH7_BPTT,
    arg_names=("dhs", "X", "h0", "c0", "params"),
    reference=_ref_bptt,
    make_inputs=_bptt_inputs,
    default_dims={"T": 4, "N": 3, "D": 2, "H": 5},
    mistakes=[
        _m("forgot_f_in_dc_prev",
           "you passed the cell gradient to the previous step without the factor f "
           "(dc_next = dc)",
           "c_t = f_t * c_{t-1} + ..., so the gradient handed back along the highway is "
           "dc * f_t: only what was kept receives gradient.",
           CH5, partial(bptt, highway_f=False), (("dc_next = dc * f[t]", "dc_next = dc"),)),
        _m("no_recurrent_dh",
           "you ignored the gradient arriving at h_t from step t + 1 (dh = dhs[t])",
           "h_t feeds the next step's gates too: dh = dhs[t] + dh_next.",
           CH7_BPTT, partial(bptt, recurrent_dh=False),
           (("dh = dhs[t] + dh_next", "dh = dhs[t]"),)),
        _m("no_cell_carry",
           "you dropped the gradient arriving along the highway from c_{t+1}",
           "the cell gradient has two sources: dc = dc_next + dh * o * (1 - tanh(c)**2).",
           CH5, partial(bptt, carry_dc=False), (("dc = dc_next + ", "dc = "),)),
        _m("missing_tanh_derivative",
           "you forgot the tanh derivative when going from h to c",
           "h = o * tanh(c), so dc gets dh * o * (1 - tanh(c)**2).",
           'chapter 6, "The output gate"', partial(bptt, tanh_derivative=False),
           (("dh * o[t] * (1 - tc**2)", "dh * o[t]"),)),
        _m("tanh_derivative_for_sigmoid",
           "you used tanh's derivative (1 - f**2) for the forget gate, a sigmoid",
           "a sigmoid's derivative, in terms of its output s, is s * (1 - s).",
           'chapter 3, "The forget gate"', partial(bptt, f_derivative="tanh"),
           (("df * f[t] * (1 - f[t])", "df * (1 - f[t] ** 2)"),)),
        _m("overwrote_weight_gradients",
           "you overwrote the weight gradients at every step instead of adding them up",
           "the same weights act at every step: dW is the sum over t (grads[...] += ...).",
           CH7_BPTT, partial(bptt, accumulate=False),
           (('grads["W_" + k] += z.T @ da', 'grads["W_" + k] = z.T @ da'),)),
        _m("bias_not_summed", "you did not sum the bias gradient over the batch",
           "db has shape (H,): sum da over the samples, da.sum(axis=0).",
           CH7_BPTT, partial(bptt, sum_bias=False),
           (("da.sum(axis=0)", "da"),)),
        _m("in_place", "you added dh_next into dhs in place (dhs[t] += dh_next)",
           "dhs belongs to the caller: dh = dhs[t] + dh_next makes a new array.",
           CH7_BPTT, partial(bptt, in_place=True),
           (("dh = dhs[t] + dh_next", "dhs[t] += dh_next\n        dh = dhs[t]"),)),
        _m("forward_in_time", "you walked forwards in time; BPTT walks backwards",
           "gradients flow from the last step to the first: for t in reversed(range(T)).",
           CH7_BPTT, partial(bptt, reverse=False),
           (("for t in reversed(range(T)):", "for t in range(T):"),)),
        _m("weights_not_transposed", "you multiplied by W instead of W.T going backwards",
           "forward z @ W, so backward dz = da @ W.T: (N, H) @ (H, H + D).",
           CH7_BPTT, partial(bptt, transpose_w=False),
           (('da @ params["W_" + k].T', 'da @ params["W_" + k]'),)),
        _m("do_uses_c", "you computed do with c instead of tanh(c)",
           "h = o * tanh(c), so do = dh * tanh(c).",
           'chapter 6, "The output gate"', partial(bptt, do_uses="c"),
           (("do = dh * tc", "do = dh * cs[t]"),)),
    ],
)


# --- 06: the student's gradient check ------------------------------------------------------


def _broken(flag: str) -> Callable[..., Any]:
    return partial(bptt, **{flag: False})


def _dc0_wrong(dhs, X, h0, c0, params):
    dX, dh0, dc0, grads = bptt(dhs, X, h0, c0, params)
    return dX, dh0, dc0 * 0.5, grads


def _db_o_wrong(dhs, X, h0, c0, params):
    dX, dh0, dc0, grads = bptt(dhs, X, h0, c0, params)
    return dX, dh0, dc0, {**grads, "b_o": grads["b_o"] * 1.1}


BROKEN_BACKWARDS: dict[str, tuple[Callable[..., Any], str]] = {
    "forgot_f_in_dc_prev": (_broken("highway_f"), "forgets the factor f on the highway"),
    "dc0_wrong": (_dc0_wrong, "returns a wrong gradient for c0 only"),
    "db_o_wrong": (_db_o_wrong, "returns a wrong gradient for b_o only"),
}


def check_gradient_checker(gradient_check: Callable[..., Any]) -> None:
    """Grade the student's ``gradient_check(backward, seed=0)`` (assignment 06).

    It must (1) return a result with ``.ok`` and an entry for every input and
    parameter, (2) pass a correct backward, (3) fail each of a few broken ones.
    """
    expected = {"X", "h0", "c0"} | {f"{p}_{g}" for p in "Wb" for g in "figo"}
    try:
        result = gradient_check(bptt, seed=3)
    except NotImplementedError:
        raise AssertionError("gradient_check is not implemented yet: replace "
                             "`raise NotImplementedError()` with your code.") from None
    if not hasattr(result, "ok") or not isinstance(result, Mapping):
        raise AssertionError(
            "gradient_check should return what course_pkg.gradcheck.check_gradients returns "
            f"(a result with .ok), got {type(result).__name__}.")
    missing = sorted(expected - set(result))
    if missing:
        raise AssertionError(
            f"your gradient check does not cover {missing}: pass every input (X, h0, c0) and "
            "every parameter to check_gradients, or a wrong gradient there would go unseen.")
    if not result.ok:
        raise AssertionError(
            "your gradient check rejects a correct backward pass:\n" + str(result) +
            "\nCheck that your loss is sum(hs * dhs) with the same dhs you give the backward, "
            "and that the loss reads the arrays that check_gradients perturbs (a closure, "
            f"no copies). Re-read: {CH7_BPTT}.")
    for key, (broken, what) in BROKEN_BACKWARDS.items():
        res = gradient_check(broken, seed=3)
        if res.ok:
            raise AssertionError(
                f"your gradient check passes a backward that {what} (mistake '{key}'). A check "
                "that cannot fail is no check: compare every analytic gradient with its "
                "numerical estimate, for every variable.")


#: The exercises of assignments 05 and 06, in course order.
EXERCISES = (LSTM_STEP_FORWARD, LSTM_FORWARD, LSTM_BACKWARD)
