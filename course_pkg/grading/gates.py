"""Catalogues of the usual mistakes for assignments 01 to 04 (the LSTM's gates).

Each gate function a student writes (``forget_gate``, ``input_gate``,
``candidate``, ``output_gate``) returns only the gate, ``(N, H)``; the
reference is :mod:`course_pkg.lstm_gates` without its cache. The mistakes
are mutations of that reference, each with the text edit of the notebook's
solution that produces it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import cells, lstm_gates
from ..activations import sigmoid
from ._core import Exercise, Mistake

CH3 = 'chapter 3, "The forget gate", section "The mechanism"'
CH3_SELECTOR = ('chapter 3, "The forget gate", section "The mechanism" (the sigmoid is a '
                'selector with values in (0, 1); tanh is a limiter with values in (-1, 1))')
CH4 = 'chapter 4, "The input gate and the candidate", section "The mechanism"'
CH5 = 'chapter 5, "The cell state", section "The mechanism" (the highway)'
CH6 = 'chapter 6, "The output gate", section "The mechanism"'


__all__ = ["EXERCISES", "gate_inputs", "gate_mistakes"]


def gate_inputs(w: str, b: str):
    """Input maker for a gate ``(h_prev, x, W, b)`` with non-zero random biases."""

    def make(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
        N, D, H = dims["N"], dims["D"], dims["H"]
        h_prev = rng.uniform(-1, 1, size=(N, H)) * scale
        x = rng.normal(size=(N, D)) * scale
        gate = cells.random_params("lstm", D, H, rng, keys=(w, b), weight_scale=1.0)
        return {"h_prev": h_prev, "x": x, **gate}

    return make


def _cat(h_prev, x):
    return np.concatenate([h_prev, x], axis=1)  # (N, H + D)


def _unstable_sigmoid(a):
    return np.exp(a) / (1.0 + np.exp(a))


def _unstable_tanh(a):
    return (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))


def gate_mistakes(var: str, w: str, b: str, act: str, reread: str) -> list[Mistake]:
    """The catalogue shared by the four gates.

    ``var`` is the output's name (``f``), ``w`` and ``b`` the parameter names,
    ``act`` the right nonlinearity (``"sigmoid"`` or ``"tanh"``).
    """
    right = sigmoid if act == "sigmoid" else np.tanh
    wrong = np.tanh if act == "sigmoid" else sigmoid
    call = "sigmoid" if act == "sigmoid" else "np.tanh"
    line = f"{call}(z @ {w} + {b})"
    pre = f"z @ {w} + {b}"

    def mk(fn):
        # every mutation takes the student's argument names
        def mutated(h_prev, x, **params):
            return fn(h_prev, x, params[w], params[b])

        return mutated

    role = ("A gate is a selector: it must lie in (0, 1), the sigmoid's range, so that "
            f"{var} * (something) keeps a fraction of it." if act == "sigmoid" else
            "The candidate is a proposal of new content, positive or negative, limited "
            "to (-1, 1): that is tanh's job, not the sigmoid's (which is for gates).")
    out: list[Mistake] = [
        Mistake(
            f"{'tanh_for_sigmoid' if act == 'sigmoid' else 'sigmoid_for_tanh'}",
            f"you used {'tanh' if act == 'sigmoid' else 'the sigmoid'} where "
            f"{'the sigmoid' if act == 'sigmoid' else 'tanh'} belongs",
            role,
            CH3_SELECTOR,
            mk(lambda h, x, W, bb: wrong(_cat(h, x) @ W + bb)),
            ((line, f"{'np.tanh' if act == 'sigmoid' else 'sigmoid'}({pre})"),),
        ),
        Mistake(
            "missing_bias",
            f"you left out the bias {b}",
            f"add {b} to the product before the nonlinearity: {var} = {call}(z @ {w} + {b}). "
            "The bias sets the gate's default when the inputs say nothing.",
            reread,
            mk(lambda h, x, W, bb: right(_cat(h, x) @ W)),
            ((pre, f"z @ {w}"),),
        ),
        Mistake(
            "bias_after_activation",
            f"you added the bias {b} after the nonlinearity instead of inside it",
            f"the bias belongs inside: {call}(z @ {w} + {b}); added outside it moves the "
            "values out of the nonlinearity's range.",
            reread,
            mk(lambda h, x, W, bb: right(_cat(h, x) @ W) + bb),
            ((line, f"{call}(z @ {w}) + {b}"),),
        ),
        Mistake(
            "concat_order",
            "you concatenated [x, h_prev] instead of [h_prev, x]",
            f"this course stacks the previous hidden state first: z = [h_prev, x], so rows "
            f"[:H] of {w} read h_prev and rows [H:] read x (np.concatenate([h_prev, x], "
            "axis=1)).",
            'appendix A, "Notation and conventions", and ' + reread,
            mk(lambda h, x, W, bb: right(np.concatenate([x, h], axis=1) @ W + bb)),
            (("[h_prev, x]", "[x, h_prev]"),),
        ),
        Mistake(
            "input_only",
            "you used only the input x and left out the previous hidden state h_prev",
            f"the gate reads both: z = [h_prev, x] (shape (N, H + D)) times {w} (shape "
            "(H + D, H)). The memory of what came before is what makes it recurrent.",
            reread,
            mk(lambda h, x, W, bb: right(x @ W[h.shape[1]:] + bb)),
            ((f"z @ {w}", f"x @ {w}[h_prev.shape[1]:]"),),
        ),
        Mistake(
            "hidden_only",
            "you used only the previous hidden state h_prev and left out the input x",
            f"the gate reads both: z = [h_prev, x] (shape (N, H + D)) times {w}.",
            reread,
            mk(lambda h, x, W, bb: right(h @ W[: h.shape[1]] + bb)),
            ((f"z @ {w}", f"h_prev @ {w}[: h_prev.shape[1]]"),),
        ),
        Mistake(
            "column_convention",
            f"you used the column-vector convention ({w}.T @ z.T), which returns (H, N)",
            "rows are samples in this course: z is (N, H + D) and the product is "
            f"z @ {w}, which gives (N, H). Papers write W [h, x] for one column vector.",
            'appendix A, "Notation and conventions"',
            mk(lambda h, x, W, bb: right(W.T @ _cat(h, x).T + bb[:, None])),
            ((line, f"{call}({w}.T @ z.T + {b}[:, None])"),),
        ),
        Mistake(
            "elementwise_product",
            "you wrote `*` (entry by entry) where the matrix product `@` belongs",
            f"z @ {w} is a matrix product: (N, H + D) @ (H + D, H) -> (N, H). `*` "
            "multiplies matching entries and needs equal (broadcastable) shapes.",
            reread,
            mk(lambda h, x, W, bb: right(_cat(h, x) * W + bb)),
            ((f"z @ {w}", f"z * {w}"),),
        ),
        Mistake(
            "bias_column",
            f"you reshaped the bias into a column ({b}[:, None], shape (H, 1))",
            f"{b} has shape (H,) and broadcasts along the rows of the (N, H) product "
            "as it is; a column broadcasts the wrong way.",
            reread,
            mk(lambda h, x, W, bb: right(_cat(h, x) @ W + bb[:, None])),
            ((f"+ {b})", f"+ {b}[:, None])"),),
        ),
        Mistake(
            "returned_cache",
            f"you returned a tuple ({var}, cache) like course_pkg does",
            f"this assignment's function returns only {var}, the (N, H) array: write "
            f"`return {var}`.",
            "the assignment's contract at the top of the notebook",
            mk(lambda h, x, W, bb: (right(_cat(h, x) @ W + bb), (_cat(h, x), W))),
            ((f"return {var}", f"return {var}, (z, {w}, {var})"),),
        ),
        Mistake(
            "float32",
            "you converted the result to float32",
            "keep float64: the gradient checks of later assignments need the precision.",
            "the assignment's contract at the top of the notebook",
            mk(lambda h, x, W, bb: right(_cat(h, x) @ W + bb).astype(np.float32)),
            ((f"return {var}", f"return {var}.astype(np.float32)"),),
        ),
    ]
    if act == "sigmoid":
        out += [
            Mistake(
                "sigmoid_sign",
                "you wrote the sigmoid with the wrong sign, 1 / (1 + exp(+a))",
                "sigmoid(a) = 1 / (1 + exp(-a)): large positive scores give values near 1. "
                "Use course_pkg.activations.sigmoid, which is also stable.",
                CH3_SELECTOR,
                mk(lambda h, x, W, bb: right(-(_cat(h, x) @ W + bb))),
                ((line, f"1 / (1 + np.exp({pre}))"),),
            ),
            Mistake(
                "unstable_sigmoid",
                "you computed the sigmoid as exp(a) / (1 + exp(a)), which overflows to "
                "inf / inf = NaN for large scores",
                "use course_pkg.activations.sigmoid (already imported as `sigmoid`), which "
                "never passes a large positive number to exp.",
                CH3_SELECTOR,
                mk(lambda h, x, W, bb: _unstable_sigmoid(_cat(h, x) @ W + bb)),
                ((line, f"np.exp({pre}) / (1 + np.exp({pre}))"),),
            ),
        ]
    else:
        out.append(
            Mistake(
                "unstable_tanh",
                "you computed tanh from exponentials, which overflows to inf / inf = NaN "
                "for large scores",
                "use np.tanh, which is stable for any input.",
                CH3_SELECTOR,
                mk(lambda h, x, W, bb: _unstable_tanh(_cat(h, x) @ W + bb)),
                ((line, f"(np.exp({pre}) - np.exp(-({pre}))) / "
                        f"(np.exp({pre}) + np.exp(-({pre})))"),),
            )
        )
    return out


def _gate_exercise(name, assignment, var, w, b, act, reread, ref_fn, word):
    call = "sigmoid" if act == "sigmoid" else "tanh"
    return Exercise(
        name=name,
        assignment=assignment,
        signature=f"{name}(h_prev, x, {w}, {b}) -> {var}",
        equation=f"{var} = {call}([h_prev, x] @ {w} + {b}), with [h_prev, x] of shape "
                 f"(N, H + D), {w} of shape (H + D, H), {b} of shape (H,), {var} of shape (N, H)"
                 f" ({word})",
        reread=reread,
        arg_names=("h_prev", "x", w, b),
        reference=lambda **kw: ref_fn(kw["h_prev"], kw["x"], kw[w], kw[b])[0],
        make_inputs=gate_inputs(w, b),
        default_dims={"N": 3, "D": 4, "H": 5},
        mistakes=gate_mistakes(var, w, b, act, reread),
    )


FORGET_GATE = _gate_exercise("forget_gate", "01_forget_gate", "f", "W_f", "b_f", "sigmoid",
                             CH3, lstm_gates.forget_gate, "the forget gate")
INPUT_GATE = _gate_exercise("input_gate", "02_input_gate", "i", "W_i", "b_i", "sigmoid", CH4,
                            lstm_gates.input_gate, "the input gate")
CANDIDATE = _gate_exercise("candidate", "02_input_gate", "g", "W_g", "b_g", "tanh", CH4,
                           lstm_gates.candidate, "the candidate")
OUTPUT_GATE = _gate_exercise("output_gate", "04_output_gate", "o", "W_o", "b_o", "sigmoid",
                             CH6, lstm_gates.output_gate, "the output gate")


# --- 03: the cell update and its gradient -----------------------------------------------


def _state_inputs(names, dc: bool = False):
    def make(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
        N, H = dims["N"], dims["H"]
        out = {}
        if dc:
            out["dc"] = rng.normal(size=(N, H)) * scale
        for n in names:
            if n in ("f", "i", "o"):
                out[n] = rng.uniform(0.05, 0.95, size=(N, H))
            elif n == "g":
                out[n] = rng.uniform(-0.95, 0.95, size=(N, H))
            else:  # c_prev, c: unbounded cell states
                out[n] = rng.normal(size=(N, H)) * 2.0 * scale
        return out

    return make


def _cell_in_place(f, c_prev, i, g):
    c_prev *= f
    c_prev += i * g
    return c_prev


CELL_UPDATE = Exercise(
    name="cell_update",
    assignment="03_cell_state",
    signature="cell_update(f, c_prev, i, g) -> c",
    equation="c = f * c_prev + i * g (entry by entry; every array (N, H))",
    reread=CH5,
    arg_names=("f", "c_prev", "i", "g"),
    reference=lambda f, c_prev, i, g: lstm_gates.cell_update(f, c_prev, i, g)[0],
    make_inputs=_state_inputs(("f", "c_prev", "i", "g")),
    default_dims={"N": 3, "H": 5},
    mistakes=[
        Mistake("matmul_for_elementwise",
                "you wrote the matrix product `@` where the entry-by-entry product `*` belongs",
                "each memory slot is kept or written on its own: c = f * c_prev + i * g, "
                "all (N, H), multiplied entry by entry.",
                CH5, lambda f, c_prev, i, g: f @ c_prev + i @ g,
                (("f * c_prev + i * g", "f @ c_prev + i @ g"),)),
        Mistake("forgot_forget_gate",
                "you added to c_prev without letting the forget gate scale it (c_prev + i * g)",
                "the forget gate decides what to keep: f * c_prev (after the linear-algebra "
                "exam you drop what calculus will not need).",
                CH5, lambda f, c_prev, i, g: c_prev + i * g,
                (("f * c_prev + i * g", "c_prev + i * g"),)),
        Mistake("forgot_input_gate",
                "you added the candidate g without filtering it by the input gate",
                "write i * g: the input gate chooses which of the candidate's proposals are "
                "worth storing (not everything will be on the exam).",
                CH5, lambda f, c_prev, i, g: f * c_prev + g,
                (("f * c_prev + i * g", "f * c_prev + g"),)),
        Mistake("swapped_gates",
                "you swapped the gates: i * c_prev + f * g",
                "the forget gate scales the old memory (f * c_prev) and the input gate scales "
                "the candidate (i * g).",
                CH5, lambda f, c_prev, i, g: i * c_prev + f * g,
                (("f * c_prev + i * g", "i * c_prev + f * g"),)),
        Mistake("squashed_cell",
                "you passed the new cell state through tanh",
                "the cell state is the highway: it is only scaled and added to, never "
                "squashed, so gradients can travel along it. tanh comes later, in h = o * tanh(c).",
                CH5, lambda f, c_prev, i, g: np.tanh(f * c_prev + i * g),
                (("c = f * c_prev + i * g", "c = np.tanh(f * c_prev + i * g)"),)),
        Mistake("overwrote_memory",
                "you replaced the memory with the new content (c = i * g) and dropped c_prev",
                "keep the old memory, scaled by f, and add the new: c = f * c_prev + i * g.",
                CH5, lambda f, c_prev, i, g: i * g,
                (("c = f * c_prev + i * g", "c = i * g"),)),
        Mistake("in_place",
                "you updated c_prev in place (c_prev *= f; c_prev += i * g)",
                "compute a new array, c = f * c_prev + i * g: the caller (and the backward "
                "pass) still needs the old c_prev.",
                CH5, _cell_in_place,
                (("c = f * c_prev + i * g  # (N, H)\n    return c",
                  "c_prev *= f\n    c_prev += i * g\n    return c_prev"),)),
        Mistake("returned_cache",
                "you returned a tuple (c, cache) like course_pkg does",
                "this assignment's function returns only c: `return c`.",
                "the assignment's contract at the top of the notebook",
                lambda f, c_prev, i, g: (f * c_prev + i * g, (f, c_prev, i, g)),
                (("return c", "return c, (f, c_prev, i, g)"),)),
    ],
)


def _cell_backward_ref(dc, f, c_prev, i, g):
    return lstm_gates.cell_update_backward(dc, (f, c_prev, i, g))


def _cell_backward_in_place(dc, f, c_prev, i, g):
    df = dc * c_prev
    dc *= f
    dc_prev = dc
    return df, dc_prev, dc * g, dc * i


CELL_UPDATE_BACKWARD = Exercise(
    name="cell_update_backward",
    assignment="03_cell_state",
    signature="cell_update_backward(dc, f, c_prev, i, g) -> (df, dc_prev, di, dg)",
    equation="df = dc * c_prev, dc_prev = dc * f, di = dc * g, dg = dc * i",
    reread=CH5,
    arg_names=("dc", "f", "c_prev", "i", "g"),
    reference=_cell_backward_ref,
    make_inputs=_state_inputs(("f", "c_prev", "i", "g"), dc=True),
    default_dims={"N": 3, "H": 5},
    mistakes=[
        Mistake("forgot_f_in_dc_prev",
                "you passed dc straight to c_prev (dc_prev = dc), forgetting the factor f",
                "c = f * c_prev + ..., so dc/dc_prev = f and dc_prev = dc * f. The forget "
                "gate is the only thing on the highway: what was forgotten gets no gradient.",
                CH5, lambda dc, f, c_prev, i, g: (dc * c_prev, dc, dc * g, dc * i),
                (("dc_prev = dc * f", "dc_prev = dc"),)),
        Mistake("tanh_on_highway",
                "you multiplied dc_prev by a tanh derivative (1 - tanh(c_prev)**2)",
                "no tanh sits between c_prev and c: the highway only multiplies by f, which is "
                "why gradients survive many steps along it.",
                CH5, lambda dc, f, c_prev, i, g: (dc * c_prev, dc * f * (1 - np.tanh(c_prev) ** 2),
                                                  dc * g, dc * i),
                (("dc_prev = dc * f", "dc_prev = dc * f * (1 - np.tanh(c_prev) ** 2)"),)),
        Mistake("swapped_di_dg",
                "you swapped the gradients of i and g (di = dc * i, dg = dc * g)",
                "in the product i * g, each factor's gradient is dc times the *other* factor: "
                "di = dc * g, dg = dc * i.",
                CH5, lambda dc, f, c_prev, i, g: (dc * c_prev, dc * f, dc * i, dc * g),
                (("di = dc * g  # (N, H)\n    dg = dc * i",
                  "di = dc * i  # (N, H)\n    dg = dc * g"),)),
        Mistake("df_uses_f",
                "you computed df as dc * f instead of dc * c_prev",
                "in f * c_prev, the gradient for f is dc times the other factor, c_prev.",
                CH5, lambda dc, f, c_prev, i, g: (dc * f, dc * f, dc * g, dc * i),
                (("df = dc * c_prev", "df = dc * f"),)),
        Mistake("wrong_order",
                "you returned the gradients in the wrong order (dc_prev, df, ...)",
                "return df, dc_prev, di, dg, the order of the contract.",
                "the assignment's contract",
                lambda dc, f, c_prev, i, g: (dc * f, dc * c_prev, dc * g, dc * i),
                (("return df, dc_prev, di, dg", "return dc_prev, df, di, dg"),)),
        Mistake("in_place",
                "you scaled dc in place (dc *= f), changing the caller's array",
                "write dc_prev = dc * f, a new array; dc is still needed for di and dg.",
                CH5, _cell_backward_in_place,
                (("dc_prev = dc * f", "dc *= f\n    dc_prev = dc"),)),
    ],
)


# --- 04: the hidden state -------------------------------------------------------------------


def _hidden_in_place(o, c):
    np.tanh(c, out=c)
    return o * c


HIDDEN_STATE = Exercise(
    name="hidden_state",
    assignment="04_output_gate",
    signature="hidden_state(o, c) -> h",
    equation="h = o * tanh(c) (entry by entry; o, c and h are (N, H))",
    reread=CH6,
    arg_names=("o", "c"),
    reference=lambda o, c: lstm_gates.hidden_state(o, c)[0],
    make_inputs=_state_inputs(("o", "c")),
    default_dims={"N": 3, "H": 5},
    mistakes=[
        Mistake("c_for_tanh_c",
                "you used c where tanh(c) belongs (h = o * c)",
                "the cell state is unbounded; tanh squashes it into (-1, 1) before the output "
                "gate picks what to show: h = o * tanh(c). (You bring to the exam what you "
                "know, in a form you can write down.)",
                CH6, lambda o, c: o * c, (("o * np.tanh(c)", "o * c"),)),
        Mistake("tanh_outside",
                "you applied tanh after the gate: tanh(o * c)",
                "squash first, then select: h = o * tanh(c).",
                CH6, lambda o, c: np.tanh(o * c), (("o * np.tanh(c)", "np.tanh(o * c)"),)),
        Mistake("sigmoid_for_tanh",
                "you squashed c with the sigmoid instead of tanh",
                "tanh keeps the sign of the memory; the sigmoid (a selector, 0 to 1) would "
                "turn every memory positive.",
                CH3_SELECTOR, lambda o, c: o * sigmoid(c),
                (("o * np.tanh(c)", "o * sigmoid(c)"),)),
        Mistake("added",
                "you added the gate instead of multiplying by it (o + tanh(c))",
                "a gate acts by multiplication: 0 blocks, 1 lets through.",
                CH6, lambda o, c: o + np.tanh(c), (("o * np.tanh(c)", "o + np.tanh(c)"),)),
        Mistake("matmul_for_elementwise",
                "you wrote `@` where the entry-by-entry product `*` belongs",
                "h = o * tanh(c), entry by entry: both are (N, H).",
                CH6, lambda o, c: o @ np.tanh(c), (("o * np.tanh(c)", "o @ np.tanh(c)"),)),
        Mistake("in_place",
                "you squashed c in place (np.tanh(c, out=c)), destroying the cell state",
                "c is the memory carried to the next step: compute np.tanh(c) into a new array.",
                CH6, _hidden_in_place,
                (("h = o * np.tanh(c)", "np.tanh(c, out=c)\n    h = o * c"),)),
        Mistake("returned_cache",
                "you returned a tuple (h, cache) like course_pkg does",
                "this assignment's function returns only h: `return h`.",
                "the assignment's contract at the top of the notebook",
                lambda o, c: (o * np.tanh(c), (o, np.tanh(c))),
                (("return h", "return h, (o, np.tanh(c))"),)),
    ],
)


#: The exercises of assignments 01 to 04, in course order.
EXERCISES = (FORGET_GATE, INPUT_GATE, CANDIDATE, CELL_UPDATE, CELL_UPDATE_BACKWARD, OUTPUT_GATE,
             HIDDEN_STATE)
