"""Write the instructor source notebooks ``assignments/<id>/<id>.ipynb``.

Each assignment is written once here, as its solution, with nbgrader cell
metadata; ``nbgrader generate_assignment`` (or ``course release`` /
``course export-student``) derives the student version. Run from anywhere::

    python scripts/build_assignments.py            # write all eight
    python scripts/build_assignments.py --check    # exit 1 if a notebook is stale

The known answers of the visible tests are computed here with the reference
(``course_pkg``) and written into the cells as numbers, so a student reads
the inputs and the expected output side by side.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import textwrap
from dataclasses import dataclass, field

import nbformat
import numpy as np

from course_pkg import attention as ref_att
from course_pkg import gru as ref_gru
from course_pkg import lstm as ref_lstm
from course_pkg import lstm_gates

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "assignments"


@dataclass
class Test:
    suffix: str
    points: int
    doc: str
    code: str
    hidden: bool = False


@dataclass
class Task:
    name: str
    signature: str
    docstring: str
    solution: str
    intro: str
    tests: list[Test] = field(default_factory=list)


@dataclass
class Assignment:
    id: str
    title: str
    chapter: str  # e.g. 'Chapter 3, "The forget gate"'
    chapter_file: str  # e.g. "03_forget_gate"
    analogy: str
    contract: str
    imports: str
    tasks: list[Task]
    scratch: str = ""


def arr(a: np.ndarray) -> str:
    """Literal for an array, with enough digits for atol=1e-9."""
    a = np.asarray(a, dtype=np.float64)
    return "np.array(" + np.array2string(
        a, separator=", ", precision=12, floatmode="maxprec", max_line_width=88
    ).replace("\n", "\n" + " " * 9) + ")"


def esc(code: str) -> str:
    """Escape braces so that ``code`` survives str.format."""
    return code.replace("{", "{{").replace("}", "}}")


def fmt(template: str, **arrays: np.ndarray) -> str:
    return template.format(**{k: arr(v) for k, v in arrays.items()})


# --- shared test builders -------------------------------------------------------------------

GATE_SHAPES = '[{}, {"N": 1}, {"H": 1}, {"N": 2, "D": 1, "H": 3}]'


def hidden_reference(name: str, points: int, shapes: str, seed: int, what: str) -> Test:
    return Test(
        "random", points,
        f"Hidden test: {name} agrees with the reference on random float64 inputs with "
        f"non-zero biases, for several shapes ({what}).",
        f'grading.check_reference({name}, "{name}", shapes={shapes}, seed={seed})',
        hidden=True,
    )


def hidden_stability(name: str, points: int, scale: str, seed: int) -> Test:
    return Test(
        "stability", points,
        f"Hidden test: {name} stays finite and correct when the inputs are large "
        f"(scaled by {scale}): no overflow, no NaN.",
        f'grading.check_reference({name}, "{name}", seed={seed}, scale={scale})',
        hidden=True,
    )


def hidden_unchanged(name: str, points: int) -> Test:
    return Test(
        "inputs_unchanged", points,
        f"Hidden test: {name} leaves its arguments unchanged (no in-place updates).",
        f'grading.check_inputs_unchanged({name}, "{name}", seed=7)',
        hidden=True,
    )


def shape_test(name: str, points: int, dims: str, what: str) -> Test:
    return Test("shape", points, f"Shape and dtype: {what}.",
                f'grading.check_shape({name}, "{name}", {dims})')


def gate_task(name, var, w, b, act, word, role, ref_fn) -> Task:
    call = "sigmoid" if act == "sigmoid" else "np.tanh"
    sym = "\\sigma" if act == "sigmoid" else "\\tanh"
    h_prev = np.array([[1.0, -1.0]])
    x = np.array([[2.0]])
    W = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]])
    bias = np.array([0.0, 1.0])
    expected = ref_fn(h_prev, x, W, bias)[0]
    low, high = ("0.0", "1.0") if act == "sigmoid" else ("-1.0", "1.0")
    tests = [
        shape_test(name, 1, "N=3, D=4, H=5",
                   f"for N=3 samples, D=4 inputs and H=5 units, {var} is a float64 array "
                   "of shape (3, 5)"),
        Test("range", 1,
             f"Range: {role}, so every entry of {var} lies in [{low}, {high}].",
             f'grading.check_range({name}, "{name}", low={low}, high={high}, N=4, D=3, H=2)'),
        Test("known", 2,
             "Known answer, worked by hand: z = [h_prev, x] = [1, -1, 2], "
             f"z @ {w} + {b} = [2, -1], so {var} = {act}([2, -1]).",
             fmt(f"h_prev = {{h}}\nx = {{x}}\n{w} = {{W}}\n{b} = {{b}}\n"
                 f"expected = {{e}}\n"
                 f'grading.check_known({name}, "{name}", (h_prev, x, {w}, {b}), expected, '
                 'atol=1e-9)', h=h_prev, x=x, W=W, b=bias, e=expected)),
        hidden_reference(name, 3, GATE_SHAPES, 101, "including N = 1 and H = 1"),
        hidden_stability(name, 1, "1e3", 202),
        hidden_unchanged(name, 1),
    ]
    return Task(
        name=name,
        signature=f"def {name}(h_prev, x, {w}, {b}):",
        docstring=f'''"""{word[0].upper() + word[1:]}: {var} = {act}([h_prev, x] @ {w} + {b}).

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
        Previous hidden state.
    x : ndarray of shape (N, D)
        Current input.
    {w} : ndarray of shape (H + D, H)
        Rows [:H] read h_prev, rows [H:] read x.
    {b} : ndarray of shape (H,)

    Returns
    -------
    {var} : ndarray of shape (N, H)
        Values in ({low[:-2]}, {high[:-2]}).
    """''',
        solution=f"""z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
{var} = {call}(z @ {w} + {b})  # (N, H)
return {var}""",
        intro=(f"Write `{name}` so that it returns {word}, "
               f"${var} = {sym}([h_{{t-1}}, x_t] W_{{{var}}} + b_{{{var}}})$, "
               "for a whole batch at once."),
        tests=tests,
    )


COMMON_IMPORTS = "import numpy as np\n\nfrom course_pkg import grading\n"
CHECK_NOTE = (
    "**Check your work** before you submit: *Kernel > Restart & Run All*, or in a "
    "terminal `course check {id}.ipynb`, which runs the visible tests and names the "
    "likely mistake when one fails. Hidden tests run when your notebook is graded; "
    "their cells show what they check."
)


def assignment_01() -> Assignment:
    return Assignment(
        id="01_forget_gate",
        title="Assignment 01: the forget gate",
        chapter='Chapter 3, "The forget gate"',
        chapter_file="03_forget_gate",
        analogy=(
            "You have just sat the linear-algebra exam and the calculus exam is next. "
            "Before you open the calculus notes you clear your head, but not completely: "
            "what linear algebra shares with calculus is worth keeping, the rest can go. "
            "After an English exam you would drop nearly everything. The forget gate makes "
            "that decision for every slot of the memory, with a number between 0 (drop it) "
            "and 1 (keep it), looking at what you were thinking (`h_prev`) and what is in "
            "front of you now (`x`). (Where the analogy breaks: the gate does not delete "
            "anything for good; it only scales the memory at this step.)"
        ),
        contract=(
            "| name | shape | meaning |\n|---|---|---|\n"
            "| `h_prev` | (N, H) | previous hidden state, one row per sample |\n"
            "| `x` | (N, D) | current input |\n"
            "| `W_f` | (H + D, H) | rows `[:H]` read `h_prev`, rows `[H:]` read `x` |\n"
            "| `b_f` | (H,) | bias |\n"
            "| **returns** `f` | (N, H) | values in (0, 1) |\n\n"
            "$$f = \\sigma([h_{t-1}, x_t]\\, W_f + b_f)$$\n\n"
            "The concatenation puts `h_prev` first: `z = [h_prev, x]`, shape (N, H + D). "
            "Return only `f` (no cache)."
        ),
        imports=COMMON_IMPORTS + "from course_pkg.activations import sigmoid  # stable\n",
        tasks=[gate_task("forget_gate", "f", "W_f", "b_f", "sigmoid", "the forget gate",
                         "a gate is a selector", lstm_gates.forget_gate)],
        scratch=("# Try it: a bias of +3 keeps almost everything, -3 forgets almost "
                 "everything.\nrng = np.random.default_rng(0)\n"
                 "h_prev, x = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))\n"
                 "W_f = np.zeros((7, 3))\nprint(forget_gate(h_prev, x, W_f, np.full(3, 3.0)))"),
    )


def assignment_02() -> Assignment:
    return Assignment(
        id="02_input_gate",
        title="Assignment 02: the input gate and the candidate",
        chapter='Chapter 4, "The input gate and the candidate"',
        chapter_file="04_input_gate",
        analogy=(
            "With your head cleared, you study for calculus. Not every page of the notes "
            "will be on the exam, so you filter: the **candidate** `g` is everything the "
            "notes propose to learn, positive or negative and limited to (-1, 1) by tanh; "
            "the **input gate** `i`, a sigmoid in (0, 1), decides how much of each proposal "
            "is worth writing into memory. Only `i * g` is stored. (Where the analogy "
            "breaks: the network learns what is \"on the exam\" from the loss, nobody hands "
            "it a syllabus.)"
        ),
        contract=(
            "| name | shape | meaning |\n|---|---|---|\n"
            "| `h_prev` | (N, H) | previous hidden state |\n"
            "| `x` | (N, D) | current input |\n"
            "| `W_i`, `W_g` | (H + D, H) | rows `[:H]` read `h_prev`, rows `[H:]` read `x` |\n"
            "| `b_i`, `b_g` | (H,) | biases |\n"
            "| **returns** `i` | (N, H) | input gate, in (0, 1) |\n"
            "| **returns** `g` | (N, H) | candidate, in (-1, 1) |\n\n"
            "$$i = \\sigma([h_{t-1}, x_t]\\, W_i + b_i), \\qquad "
            "g = \\tanh([h_{t-1}, x_t]\\, W_g + b_g)$$\n\n"
            "Each function returns one array (no cache)."
        ),
        imports=COMMON_IMPORTS + "from course_pkg.activations import sigmoid  # stable\n",
        tasks=[
            gate_task("input_gate", "i", "W_i", "b_i", "sigmoid", "the input gate",
                      "a gate is a selector", lstm_gates.input_gate),
            gate_task("candidate", "g", "W_g", "b_g", "tanh", "the candidate",
                      "tanh is a limiter", lstm_gates.candidate),
        ],
    )


def assignment_03() -> Assignment:
    f = np.array([[0.5, 1.0, 0.2]])
    c_prev = np.array([[2.0, -1.0, 4.0]])
    i = np.array([[1.0, 0.0, 0.5]])
    g = np.array([[0.5, 0.9, -0.6]])
    c = lstm_gates.cell_update(f, c_prev, i, g)[0]
    dc = np.array([[1.0, 2.0, -1.0]])
    grads = lstm_gates.cell_update_backward(dc, (f, c_prev, i, g))
    update = Task(
        name="cell_update",
        signature="def cell_update(f, c_prev, i, g):",
        docstring='''"""New cell state: keep what the forget gate allows, add what i lets in.

    Parameters
    ----------
    f : ndarray of shape (N, H)
        Forget gate, in (0, 1).
    c_prev : ndarray of shape (N, H)
        Previous cell state.
    i : ndarray of shape (N, H)
        Input gate, in (0, 1).
    g : ndarray of shape (N, H)
        Candidate, in (-1, 1).

    Returns
    -------
    c : ndarray of shape (N, H)
    """''',
        solution="c = f * c_prev + i * g  # (N, H)\nreturn c",
        intro="Write `cell_update`: $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$, entry by entry.",
        tests=[
            shape_test("cell_update", 1, "N=3, H=5", "c is a float64 array of shape (3, 5)"),
            Test("known", 2,
                 "Known answer: c = f * c_prev + i * g = [0.5*2 + 1*0.5, 1*(-1) + 0*0.9, "
                 "0.2*4 + 0.5*(-0.6)].",
                 fmt("f = {f}\nc_prev = {c_prev}\ni = {i}\ng = {g}\n"
                     'grading.check_known(cell_update, "cell_update", (f, c_prev, i, g), '
                     "{c}, atol=1e-9)", f=f, c_prev=c_prev, i=i, g=g, c=c)),
            Test("highway", 1,
                 "The highway: with f = 1 and i = 0 the memory passes through unchanged.",
                 "rng = np.random.default_rng(0)\n"
                 "c_prev, g = rng.normal(size=(2, 3)), rng.uniform(-1, 1, size=(2, 3))\n"
                 "ones, zeros = np.ones((2, 3)), np.zeros((2, 3))\n"
                 'grading.check_known(cell_update, "cell_update", (ones, c_prev, zeros, g), '
                 "c_prev)"),
            hidden_reference("cell_update", 2, '[{}, {"N": 1}, {"H": 1}]', 111,
                             "including N = 1 and H = 1"),
            hidden_unchanged("cell_update", 1),
        ],
    )
    backward = Task(
        name="cell_update_backward",
        signature="def cell_update_backward(dc, f, c_prev, i, g):",
        docstring='''"""Gradients of c = f * c_prev + i * g with respect to f, c_prev, i and g.

    Parameters
    ----------
    dc : ndarray of shape (N, H)
        Gradient of the loss with respect to c.
    f, c_prev, i, g : ndarray of shape (N, H)
        The forward pass's inputs.

    Returns
    -------
    df, dc_prev, di, dg : ndarray of shape (N, H)
        In this order.
    """''',
        solution=("df = dc * c_prev  # (N, H)\n"
                  "dc_prev = dc * f  # (N, H): the highway, only rescaled by the forget gate\n"
                  "di = dc * g  # (N, H)\n"
                  "dg = dc * i  # (N, H)\n"
                  "return df, dc_prev, di, dg"),
        intro=("Write `cell_update_backward`. Since $c_t = f_t \\odot c_{t-1} + i_t \\odot "
               "g_t$, the gradient reaching $c_{t-1}$ is $\\partial c_t \\odot f_t$: the "
               "highway of chapter 5, where gradients are only rescaled by the forget gate."),
        tests=[
            shape_test("cell_update_backward", 1, "N=3, H=5",
                       "a tuple of four float64 arrays of shape (3, 5)"),
            Test("known", 2,
                 "Known answer: df = dc * c_prev, dc_prev = dc * f, di = dc * g, dg = dc * i "
                 "(same f, c_prev, i, g as above).",
                 fmt("dc = {dc}\nf = {f}\nc_prev = {c_prev}\ni = {i}\ng = {g}\n"
                     "expected = ({e0}, {e1}, {e2}, {e3})\n"
                     'grading.check_known(cell_update_backward, "cell_update_backward", '
                     "(dc, f, c_prev, i, g), expected, atol=1e-9)",
                     dc=dc, f=f, c_prev=c_prev, i=i, g=g,
                     e0=grads[0], e1=grads[1], e2=grads[2], e3=grads[3])),
            hidden_reference("cell_update_backward", 2, '[{}, {"N": 1}, {"H": 1}]', 121,
                             "including N = 1 and H = 1"),
            hidden_unchanged("cell_update_backward", 1),
        ],
    )
    return Assignment(
        id="03_cell_state",
        title="Assignment 03: the cell state and its gradient",
        chapter='Chapter 5, "The cell state"',
        chapter_file="05_cell_state",
        analogy=(
            "The cell state is a highway running the length of the sequence. Going from "
            "New York to Boston on city roads takes nine hours of lights and junctions; "
            "the highway takes four. Information on the cell state, and the gradient on "
            "the way back, only meets two gentle junctions per step: a multiplication by "
            "the forget gate and an addition of new content. No squashing nonlinearity "
            "sits on the road. (Where the analogy breaks: a highway never shrinks your "
            "car; a forget gate below 1 does shrink what travels, step after step.)"
        ),
        contract=(
            "| name | shape | meaning |\n|---|---|---|\n"
            "| `f`, `i` | (N, H) | forget and input gates, in (0, 1) |\n"
            "| `c_prev` | (N, H) | previous cell state (any real values) |\n"
            "| `g` | (N, H) | candidate, in (-1, 1) |\n"
            "| `dc` | (N, H) | gradient of the loss with respect to `c` |\n\n"
            "$$c_t = f_t \\odot c_{t-1} + i_t \\odot g_t, \\qquad "
            "\\frac{\\partial c_t}{\\partial c_{t-1}} = \\operatorname{diag}(f_t)$$\n\n"
            "`cell_update` returns `c`; `cell_update_backward` returns "
            "`(df, dc_prev, di, dg)`. Neither modifies its inputs."
        ),
        imports=COMMON_IMPORTS,
        tasks=[update, backward],
    )


def assignment_04() -> Assignment:
    o = np.array([[1.0, 0.5, 0.0]])
    c = np.array([[0.5, 100.0, -3.0]])
    h = lstm_gates.hidden_state(o, c)[0]
    hidden = Task(
        name="hidden_state",
        signature="def hidden_state(o, c):",
        docstring='''"""Hidden state: the output gate applied to the squashed cell state.

    Parameters
    ----------
    o : ndarray of shape (N, H)
        Output gate, in (0, 1).
    c : ndarray of shape (N, H)
        Cell state after the update.

    Returns
    -------
    h : ndarray of shape (N, H)
        Values in (-1, 1).
    """''',
        solution="h = o * np.tanh(c)  # (N, H)\nreturn h",
        intro="Write `hidden_state`: $h_t = o_t \\odot \\tanh(c_t)$.",
        tests=[
            shape_test("hidden_state", 1, "N=3, H=5", "h is a float64 array of shape (3, 5)"),
            Test("range", 1, "Range: h = o * tanh(c) lies in [-1, 1] even for a large cell "
                             "state.",
                 'grading.check_range(hidden_state, "hidden_state", low=-1.0, high=1.0, '
                 "scale=50.0, N=4, H=3)"),
            Test("known", 2, "Known answer: h = [1 * tanh(0.5), 0.5 * tanh(100), 0 * tanh(-3)].",
                 fmt("o = {o}\nc = {c}\n"
                     'grading.check_known(hidden_state, "hidden_state", (o, c), {h}, '
                     "atol=1e-9)", o=o, c=c, h=h)),
            hidden_reference("hidden_state", 2, '[{}, {"N": 1}, {"H": 1}]', 131,
                             "including N = 1 and H = 1"),
            hidden_unchanged("hidden_state", 1),
        ],
    )
    return Assignment(
        id="04_output_gate",
        title="Assignment 04: the output gate and the hidden state",
        chapter='Chapter 6, "The output gate"',
        chapter_file="06_output_gate",
        analogy=(
            "Exam day. Your memory (the cell state) holds far more than the questions ask "
            "for; the **output gate** chooses which parts to bring to the page, and tanh "
            "turns the raw memory into something of bounded size you can write down. What "
            "you write, `h`, is also what you carry into the next exam (statistics, which "
            "needs both linear algebra and calculus). (Where the analogy breaks: the network "
            "\"sits an exam\" at every step, not once at the end.)"
        ),
        contract=(
            "| name | shape | meaning |\n|---|---|---|\n"
            "| `h_prev` | (N, H) | previous hidden state |\n"
            "| `x` | (N, D) | current input |\n"
            "| `W_o` | (H + D, H) | rows `[:H]` read `h_prev`, rows `[H:]` read `x` |\n"
            "| `b_o` | (H,) | bias |\n"
            "| `c` | (N, H) | the updated cell state |\n\n"
            "$$o = \\sigma([h_{t-1}, x_t]\\, W_o + b_o), \\qquad h_t = o_t \\odot \\tanh(c_t)$$"
            "\n\n`output_gate` returns `o` and `hidden_state` returns `h` (no caches)."
        ),
        imports=COMMON_IMPORTS + "from course_pkg.activations import sigmoid  # stable\n",
        tasks=[
            gate_task("output_gate", "o", "W_o", "b_o", "sigmoid", "the output gate",
                      "a gate is a selector", lstm_gates.output_gate),
            hidden,
        ],
    )


def _zero_weight_params(D: int, H: int) -> tuple[dict, str]:
    biases = {"f": 2.0, "i": -1.0, "g": 0.5, "o": 1.0}
    params = {}
    for k, v in biases.items():
        params[f"W_{k}"] = np.zeros((H + D, H))
        params[f"b_{k}"] = np.full(H, v)
    code = ("params = {f\"W_{k}\": np.zeros((H + D, H)) for k in \"figo\"}\n"
            "params.update(b_f=np.full(H, 2.0), b_i=np.full(H, -1.0), "
            "b_g=np.full(H, 0.5), b_o=np.full(H, 1.0))")
    return params, code


def assignment_05() -> Assignment:
    D, H = 2, 2
    params, params_code = _zero_weight_params(D, H)
    x = np.array([[0.3, -0.7]])
    h_prev = np.array([[0.1, -0.2]])
    c_prev = np.array([[1.0, -2.0]])
    h, c, _ = ref_lstm.lstm_step_forward(x, h_prev, c_prev, params)
    X = np.array([[[0.3, -0.7]], [[1.0, 2.0]]])
    hs, cs, _ = ref_lstm.lstm_forward(X, h_prev, c_prev, params)
    step = Task(
        name="lstm_step_forward",
        signature="def lstm_step_forward(x, h_prev, c_prev, params):",
        docstring='''"""One LSTM step: forget, store, update, output.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    h_prev, c_prev : ndarray of shape (N, H)
    params : dict
        W_f, W_i, W_g, W_o of shape (H + D, H); b_f, b_i, b_g, b_o of shape (H,).

    Returns
    -------
    h, c : ndarray of shape (N, H)
        The new hidden and cell states, in this order.
    """''',
        solution=(
            "z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)\n"
            'f = sigmoid(z @ params["W_f"] + params["b_f"])  # (N, H) forget\n'
            'i = sigmoid(z @ params["W_i"] + params["b_i"])  # (N, H) input\n'
            'g = np.tanh(z @ params["W_g"] + params["b_g"])  # (N, H) candidate\n'
            'o = sigmoid(z @ params["W_o"] + params["b_o"])  # (N, H) output\n'
            "c = f * c_prev + i * g  # (N, H)\n"
            "h = o * np.tanh(c)  # (N, H)\n"
            "return h, c"),
        intro="Write `lstm_step_forward`, the four moves of chapter 7 in one function.",
        tests=[
            shape_test("lstm_step_forward", 1, "N=3, D=4, H=5",
                       "(h, c), two float64 arrays of shape (3, 5)"),
            Test("known", 2,
                 "Known answer with all weights zero, so every gate is its bias: "
                 "f = sigmoid(2), i = sigmoid(-1), g = tanh(0.5), o = sigmoid(1); "
                 "c = f * c_prev + i * g, h = o * tanh(c).",
                 fmt("D, H = 2, 2\n" + esc(params_code) + "\n"
                     "x, h_prev, c_prev = {x}, {hp}, {cp}\nexpected = ({h}, {c})\n"
                     'grading.check_known(lstm_step_forward, "lstm_step_forward", '
                     "(x, h_prev, c_prev, params), expected, atol=1e-9)",
                     x=x, hp=h_prev, cp=c_prev, h=h, c=c)),
            hidden_reference("lstm_step_forward", 3, GATE_SHAPES, 141,
                             "including N = 1 and H = 1"),
            hidden_stability("lstm_step_forward", 1, "1e3", 242),
            hidden_unchanged("lstm_step_forward", 1),
        ],
    )
    seq = Task(
        name="lstm_forward",
        signature="def lstm_forward(X, h0, c0, params):",
        docstring='''"""Run the LSTM over a whole (time-major) sequence.

    Parameters
    ----------
    X : ndarray of shape (T, N, D)
    h0, c0 : ndarray of shape (N, H)
        Initial states.
    params : dict
        As for lstm_step_forward.

    Returns
    -------
    hs, cs : ndarray of shape (T, N, H)
        The hidden and cell state after every step, in this order.
    """''',
        solution=(
            "T, N, _ = X.shape\n"
            "H = h0.shape[1]\n"
            "hs = np.zeros((T, N, H), dtype=X.dtype)\n"
            "cs = np.zeros((T, N, H), dtype=X.dtype)\n"
            "h, c = h0, c0\n"
            "for t in range(T):\n"
            "    h, c = lstm_step_forward(X[t], h, c, params)\n"
            "    hs[t] = h\n"
            "    cs[t] = c\n"
            "return hs, cs"),
        intro=("Write `lstm_forward`: call your `lstm_step_forward` once per time step, "
               "carrying `h` and `c` from one step to the next. (It is graded with a correct "
               "step function, so a mistake in the step is not counted twice.)"),
        tests=[
            shape_test("lstm_forward", 1, "T=4, N=3, D=2, H=5",
                       "(hs, cs), two float64 arrays of shape (T, N, H) = (4, 3, 5)"),
            Test("known", 2,
                 "Known answer: two steps with the zero-weight parameters above; step 0 "
                 "gives the (h, c) of the previous test, step 1 starts from them.",
                 fmt("D, H = 2, 2\n" + esc(params_code) + "\n"
                     "X, h0, c0 = {X}, {hp}, {cp}\nexpected = ({hs}, {cs})\n"
                     'grading.check_known(lstm_forward, "lstm_forward", (X, h0, c0, params), '
                     "expected, atol=1e-9)", X=X, hp=h_prev, cp=c_prev, hs=hs, cs=cs)),
            hidden_reference("lstm_forward", 3,
                             '[{}, {"T": 1}, {"N": 1}, {"H": 1}, {"T": 7, "D": 3}]', 151,
                             "including T = 1, N = 1 and H = 1"),
            hidden_unchanged("lstm_forward", 1),
        ],
    )
    return Assignment(
        id="05_lstm_forward",
        title="Assignment 05: the LSTM forward pass",
        chapter='Chapter 7, "The whole cell, through time"',
        chapter_file="07_lstm_through_time",
        analogy=(
            "Exam season, one exam after another. At each step the cell does the four "
            "things you do between two exams: forget what the next exam will not need "
            "(forget gate), pick what to study (input gate and candidate), update what you "
            "know (cell state), and sit the exam (output gate). Then the next exam comes, "
            "and you start from the memory you left with. (Where the analogy breaks: every "
            "\"exam\" uses the same weights; you do not get better at gating as the season "
            "goes on, only during training.)"
        ),
        contract=(
            "| name | shape | meaning |\n|---|---|---|\n"
            "| `x` | (N, D) | one step's input |\n"
            "| `X` | (T, N, D) | the whole sequence, time-major |\n"
            "| `h_prev`, `c_prev`, `h0`, `c0` | (N, H) | states |\n"
            "| `params` | dict | `W_f, W_i, W_g, W_o` (H + D, H); `b_f, b_i, b_g, b_o` (H,) |\n\n"
            "$$\\begin{aligned} f &= \\sigma(z W_f + b_f), & i &= \\sigma(z W_i + b_i), & "
            "g &= \\tanh(z W_g + b_g), & o &= \\sigma(z W_o + b_o),\\\\ c_t &= f \\odot "
            "c_{t-1} + i \\odot g, & h_t &= o \\odot \\tanh(c_t), & z &= [h_{t-1}, x_t] "
            "\\end{aligned}$$\n\n"
            "`lstm_step_forward` returns `(h, c)`; `lstm_forward` returns `(hs, cs)`, each "
            "(T, N, H). No caches."
        ),
        imports=COMMON_IMPORTS + "from course_pkg.activations import sigmoid  # stable\n",
        tasks=[step, seq],
    )


def assignment_06() -> Assignment:
    backward = Task(
        name="lstm_backward",
        signature="def lstm_backward(dhs, X, h0, c0, params):",
        docstring='''"""Backpropagation through time for the LSTM.

    Parameters
    ----------
    dhs : ndarray of shape (T, N, H)
        Gradient of the loss with respect to every hidden state.
    X : ndarray of shape (T, N, D)
    h0, c0 : ndarray of shape (N, H)
    params : dict
        W_f, W_i, W_g, W_o of shape (H + D, H); b_f, b_i, b_g, b_o of shape (H,).

    Returns
    -------
    dX : ndarray of shape (T, N, D)
    dh0, dc0 : ndarray of shape (N, H)
    grads : dict
        Same keys and shapes as params.
    """''',
        solution=(
            "hs, cs, cache = lstm_forward(X, h0, c0, params)\n"
            'f, i, g, o = (cache["gates"][k] for k in "figo")  # each (T, N, H)\n'
            "T, N, D = X.shape\n"
            "H = h0.shape[1]\n"
            "grads = {k: np.zeros_like(v) for k, v in params.items()}\n"
            "dX = np.zeros_like(X)\n"
            "dh_next = np.zeros((N, H))\n"
            "dc_next = np.zeros((N, H))\n"
            "for t in reversed(range(T)):\n"
            "    h_prev = hs[t - 1] if t > 0 else h0\n"
            "    c_prev = cs[t - 1] if t > 0 else c0\n"
            "    z = np.concatenate([h_prev, X[t]], axis=1)  # (N, H + D)\n"
            "    dh = dhs[t] + dh_next  # (N, H)\n"
            "    tc = np.tanh(cs[t])  # (N, H)\n"
            "    do = dh * tc\n"
            "    dc = dc_next + dh * o[t] * (1 - tc**2)  # two sources: highway and h\n"
            "    df = dc * c_prev\n"
            "    di = dc * g[t]\n"
            "    dg = dc * i[t]\n"
            "    dc_next = dc * f[t]  # the highway\n"
            "    dz = 0\n"
            '    for k, da in (("f", df * f[t] * (1 - f[t])), ("i", di * i[t] * (1 - i[t])),\n'
            '                  ("g", dg * (1 - g[t] ** 2)), ("o", do * o[t] * (1 - o[t]))):\n'
            '        grads["W_" + k] += z.T @ da  # (H + D, H)\n'
            '        grads["b_" + k] += da.sum(axis=0)  # (H,)\n'
            '        dz = dz + da @ params["W_" + k].T  # (N, H + D)\n'
            "    dh_next = dz[:, :H]\n"
            "    dX[t] = dz[:, H:]\n"
            "return dX, dh_next, dc_next, grads"),
        intro=("Write `lstm_backward`. It may call `lstm_forward` from `course_pkg.lstm` "
               "(imported above) to recompute the states and the gates: "
               '`cache["gates"]` maps `"f", "i", "g", "o"` to arrays of shape (T, N, H).'),
        tests=[
            shape_test("lstm_backward", 1, "T=4, N=3, D=2, H=5",
                       "dX (4, 3, 2), dh0 and dc0 (3, 5), grads with the keys and shapes "
                       "of params"),
            Test("zero", 1, "A zero upstream gradient gives zero gradients everywhere.",
                 "rng = np.random.default_rng(0)\n"
                 "X, h0, c0 = rng.normal(size=(3, 2, 4)), np.zeros((2, 5)), np.zeros((2, 5))\n"
                 "params = init_lstm_params(4, 5, rng)\n"
                 "zeros = (np.zeros_like(X), np.zeros((2, 5)), np.zeros((2, 5)),\n"
                 "         {k: np.zeros_like(v) for k, v in params.items()})\n"
                 'grading.check_known(lstm_backward, "lstm_backward", '
                 "(np.zeros((3, 2, 5)), X, h0, c0, params), zeros)"),
            hidden_reference("lstm_backward", 3,
                             '[{}, {"T": 1}, {"N": 1}, {"H": 1}, {"T": 6, "D": 3}]', 161,
                             "including T = 1, N = 1 and H = 1"),
            hidden_stability("lstm_backward", 1, "30.0", 262),
            hidden_unchanged("lstm_backward", 1),
        ],
    )
    check = Task(
        name="gradient_check",
        signature="def gradient_check(backward, seed=0):",
        docstring='''"""Check a BPTT implementation against central differences.

    Build a small random problem (float64) from ``seed``, take the loss
    L = sum(hs * dhs) (so dL/dhs = dhs), call
    ``backward(dhs, X, h0, c0, params)`` and compare every gradient it
    returns with a numerical one, using course_pkg.gradcheck.check_gradients.

    Parameters
    ----------
    backward : callable
        Same signature and returns as lstm_backward.
    seed : int

    Returns
    -------
    result : GradCheckResult
        What check_gradients returns, with an entry for X, h0, c0 and every
        parameter; result.ok says whether all agree.
    """''',
        solution=(
            "rng = np.random.default_rng(seed)\n"
            "T, N, D, H = 3, 2, 3, 2\n"
            "X = rng.normal(size=(T, N, D))\n"
            "h0 = rng.normal(size=(N, H))\n"
            "c0 = rng.normal(size=(N, H))\n"
            "params = init_lstm_params(D, H, rng)\n"
            "dhs = rng.normal(size=(T, N, H))\n"
            "\n"
            "def loss():\n"
            "    hs, _, _ = lstm_forward(X, h0, c0, params)\n"
            "    return float(np.sum(hs * dhs))\n"
            "\n"
            "dX, dh0, dc0, grads = backward(dhs, X, h0, c0, params)\n"
            'variables = {"X": X, "h0": h0, "c0": c0, **params}\n'
            'analytic = {"X": dX, "h0": dh0, "c0": dc0, **grads}\n'
            "return check_gradients(loss, variables, analytic)"),
        intro=("Write `gradient_check`, your own central-difference check of a backward "
               "pass (chapter 7 and `course_pkg.gradcheck`). It takes the backward as an "
               "argument, so the hidden tests can hand it a few broken ones: a check that "
               "cannot fail is no check."),
        tests=[
            Test("own_backward", 1,
                 "Your lstm_backward passes your own gradient check.",
                 "result = gradient_check(lstm_backward)\nprint(result)\n"
                 'assert result.ok, "your lstm_backward disagrees with the numerical '
                 'gradients (table above)"'),
            Test("catches_bugs", 3,
                 "Hidden test: your check passes a correct backward, covers X, h0, c0 and "
                 "every parameter, and fails each of a few broken backwards.",
                 "grading.check_gradient_checker(gradient_check)", hidden=True),
        ],
    )
    return Assignment(
        id="06_lstm_backward",
        title="Assignment 06: backpropagation through time",
        chapter='Chapter 7, "The whole cell, through time"',
        chapter_file="07_lstm_through_time",
        analogy=(
            "After the exam season, the results come back and you trace each mark to its "
            "causes, walking back from the last exam to the first: this mark came from what "
            "you wrote, which came from what you remembered, which came from what you kept "
            "after the previous exam. Along the cell state the trace takes the highway: "
            "each step back only multiplies the gradient by the forget gate. (Where the "
            "analogy breaks: the network blames every step at once, in one backward sweep, "
            "and all steps share the same weights, so their blame adds up.)"
        ),
        contract=(
            "`lstm_backward(dhs, X, h0, c0, params) -> (dX, dh0, dc0, grads)` with `dhs` "
            "(T, N, H), `dX` (T, N, D), `dh0` and `dc0` (N, H), and `grads` a dict with the "
            "keys and shapes of `params`. Do not modify `dhs` or any other input.\n\n"
            "Walking back from $t = T$ to 1, with $\\partial h_t$ = `dhs[t]` plus the "
            "gradient from step $t+1$:\n\n"
            "$$\\begin{aligned} \\partial o_t &= \\partial h_t \\odot \\tanh c_t, & "
            "\\partial c_t &= \\partial c_t^{\\text{next}} + \\partial h_t \\odot o_t \\odot "
            "(1 - \\tanh^2 c_t),\\\\ \\partial f_t &= \\partial c_t \\odot c_{t-1}, & "
            "\\partial c_{t-1}^{\\text{next}} &= \\partial c_t \\odot f_t, \\quad "
            "\\partial i_t = \\partial c_t \\odot g_t, \\quad \\partial g_t = \\partial c_t "
            "\\odot i_t \\end{aligned}$$\n\n"
            "then through each gate's nonlinearity ($\\sigma' = s(1-s)$, $\\tanh' = 1 - t^2$) "
            "to the pre-activations $\\partial a$, and $\\partial W \\mathrel{+}= z_t^\\top "
            "\\partial a$, $\\partial b \\mathrel{+}= \\sum_n \\partial a$, $\\partial z_t = "
            "\\partial a\\, W^\\top$ summed over the four gates.\n\n"
            "`gradient_check(backward, seed=0)` returns the result of "
            "`course_pkg.gradcheck.check_gradients`."
        ),
        imports=(COMMON_IMPORTS + "from course_pkg.gradcheck import check_gradients\n"
                 "from course_pkg.lstm import init_lstm_params, lstm_forward\n"),
        tasks=[backward, check],
    )


def assignment_07() -> Assignment:
    D, H = 2, 2
    params = {f"W_{k}": np.zeros((H + D, H)) for k in "zrn"}
    params.update(b_z=np.full(H, 1.0), b_r=np.full(H, -1.0), b_n=np.full(H, 0.5))
    x = np.array([[0.3, -0.7]])
    h_prev = np.array([[0.8, -0.4]])
    h = ref_gru.gru_step_forward(x, h_prev, params, variant="cho")[0]
    task = Task(
        name="gru_step_forward",
        signature="def gru_step_forward(x, h_prev, params):",
        docstring='''"""One GRU step (Cho et al. 2014's candidate, PyTorch's update convention).

    Parameters
    ----------
    x : ndarray of shape (N, D)
    h_prev : ndarray of shape (N, H)
    params : dict
        W_z, W_r, W_n of shape (H + D, H); b_z, b_r, b_n of shape (H,).

    Returns
    -------
    h : ndarray of shape (N, H)
    """''',
        solution=(
            "hx = np.concatenate([h_prev, x], axis=1)  # (N, H + D)\n"
            'z = sigmoid(hx @ params["W_z"] + params["b_z"])  # (N, H) update gate\n'
            'r = sigmoid(hx @ params["W_r"] + params["b_r"])  # (N, H) reset gate\n'
            "hr = np.concatenate([r * h_prev, x], axis=1)  # (N, H + D): reset first\n"
            'n = np.tanh(hr @ params["W_n"] + params["b_n"])  # (N, H) candidate\n'
            "h = (1 - z) * n + z * h_prev  # (N, H)\n"
            "return h"),
        intro="Write `gru_step_forward`, one step of the GRU in Cho's variant.",
        tests=[
            shape_test("gru_step_forward", 1, "N=3, D=4, H=5",
                       "h is a float64 array of shape (3, 5)"),
            Test("range", 1, "Range: with h_prev in [-1, 1], h = (1 - z) n + z h_prev stays "
                             "in [-1, 1].",
                 'grading.check_range(gru_step_forward, "gru_step_forward", low=-1.0, '
                 "high=1.0, N=4, D=3, H=2)"),
            Test("known", 2,
                 "Known answer with all weights zero: z = sigmoid(1), n = tanh(0.5) (r does "
                 "not matter when W_n is zero), h = (1 - z) * n + z * h_prev.",
                 fmt("D, H = 2, 2\n"
                     'params = {{f"W_{{k}}": np.zeros((H + D, H)) for k in "zrn"}}\n'
                     "params.update(b_z=np.full(H, 1.0), b_r=np.full(H, -1.0), "
                     "b_n=np.full(H, 0.5))\n"
                     "x, h_prev = {x}, {hp}\n"
                     'grading.check_known(gru_step_forward, "gru_step_forward", '
                     "(x, h_prev, params), {h}, atol=1e-9)", x=x, hp=h_prev, h=h)),
            hidden_reference("gru_step_forward", 3, GATE_SHAPES, 171,
                             "including N = 1 and H = 1"),
            hidden_stability("gru_step_forward", 1, "1e3", 272),
            hidden_unchanged("gru_step_forward", 1),
        ],
    )
    return Assignment(
        id="07_gru",
        title="Assignment 07: the GRU",
        chapter='Chapter 8, "The GRU"',
        chapter_file="08_gru",
        analogy=(
            "The GRU keeps the LSTM's idea with less machinery: two gates and one state. "
            "Think of a single notebook instead of a notebook plus a memory. The **update "
            "gate** `z` decides, slot by slot, how much of the old page to keep; whatever it "
            "does not keep is filled with the new draft `n`, so forgetting and writing are "
            "one decision. The **reset gate** `r` decides how much of the old page the new "
            "draft may look at. (Where the analogy breaks: nothing is copied verbatim; "
            "every slot is a blend of old and new.)"
        ),
        contract=(
            "This assignment uses **Cho et al. (2014)'s variant**: the reset gate scales "
            "`h_prev` *before* the product, so the candidate reads the same kind of "
            "concatenation as every LSTM gate. (PyTorch and cuDNN apply `r` after the "
            "product, with an extra bias `b_hn`; chapter 8 compares the two.) The update "
            "follows PyTorch's convention: `z` near 1 keeps the old state.\n\n"
            "| name | shape | meaning |\n|---|---|---|\n"
            "| `x` | (N, D) | current input |\n"
            "| `h_prev` | (N, H) | previous hidden state |\n"
            "| `params` | dict | `W_z, W_r, W_n` (H + D, H); `b_z, b_r, b_n` (H,) |\n\n"
            "$$\\begin{aligned} z &= \\sigma([h_{t-1}, x_t] W_z + b_z), & "
            "r &= \\sigma([h_{t-1}, x_t] W_r + b_r),\\\\ n &= \\tanh([r \\odot h_{t-1}, x_t] "
            "W_n + b_n), & h_t &= (1 - z) \\odot n + z \\odot h_{t-1} \\end{aligned}$$\n\n"
            "Return only `h` (no cache)."
        ),
        imports=COMMON_IMPORTS + "from course_pkg.activations import sigmoid  # stable\n",
        tasks=[task],
    )


def assignment_08() -> Assignment:
    Q = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    K = np.array([[[1.0, 1.0], [2.0, 0.0], [0.0, 3.0]]])
    scores = ref_att.scaled_dot_scores(Q, K)[0]
    Qz = np.zeros((1, 1, 2))
    Ka = np.array([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]])
    V = np.array([[[1.0, 0.0], [3.0, 2.0], [100.0, 100.0]]])
    mask = np.array([[True, True, False]])
    ctx, w, _ = ref_att.attention_forward(Qz, Ka, V, mask)
    score_task = Task(
        name="scaled_dot_scores",
        signature="def scaled_dot_scores(Q, K):",
        docstring='''"""Scaled dot-product scores between every query and every key.

    Parameters
    ----------
    Q : ndarray of shape (N, Tq, d)
    K : ndarray of shape (N, S, d)

    Returns
    -------
    scores : ndarray of shape (N, Tq, S)
    """''',
        solution=("d = Q.shape[-1]\n"
                  "scores = Q @ K.transpose(0, 2, 1) / np.sqrt(d)  # (N, Tq, S)\n"
                  "return scores"),
        intro="Write `scaled_dot_scores`: $e_{ts} = q_t \\cdot k_s / \\sqrt{d}$.",
        tests=[
            shape_test("scaled_dot_scores", 1, "N=2, Tq=3, S=4, d=5",
                       "scores is a float64 array of shape (N, Tq, S) = (2, 3, 4)"),
            Test("known", 2, "Known answer: q_0 = [1, 0] and q_1 = [0, 1] pick out the first "
                             "and second coordinate of each key, divided by sqrt(2).",
                 fmt("Q = {Q}\nK = {K}\n"
                     'grading.check_known(scaled_dot_scores, "scaled_dot_scores", (Q, K), '
                     "{s}, atol=1e-9)", Q=Q, K=K, s=scores)),
            hidden_reference("scaled_dot_scores", 2,
                             '[{}, {"N": 1}, {"Tq": 1}, {"S": 1}, {"d": 1}]', 181,
                             "including N = 1, one query, one key, d = 1"),
            hidden_unchanged("scaled_dot_scores", 1),
        ],
    )
    att_task = Task(
        name="attention",
        signature="def attention(Q, K, V, mask=None):",
        docstring='''"""Masked scaled dot-product attention.

    Parameters
    ----------
    Q : ndarray of shape (N, Tq, d)
    K : ndarray of shape (N, S, d)
    V : ndarray of shape (N, S, dv)
    mask : ndarray of bool, shape (N, S), or None
        True marks a real source token, False padding.

    Returns
    -------
    context : ndarray of shape (N, Tq, dv)
    weights : ndarray of shape (N, Tq, S)
        Non-negative, summing to 1 over the source axis, 0 on padding.
    """''',
        solution=(
            "scores = scaled_dot_scores(Q, K)  # (N, Tq, S)\n"
            "if mask is not None:\n"
            "    # padding can never win: exp(-inf) = 0\n"
            "    scores = np.where(mask[:, None, :], scores, -np.inf)\n"
            "scores = scores - scores.max(axis=-1, keepdims=True)  # stable softmax\n"
            "e = np.exp(scores)  # (N, Tq, S)\n"
            "weights = e / e.sum(axis=-1, keepdims=True)  # (N, Tq, S)\n"
            "context = weights @ V  # (N, Tq, dv)\n"
            "return context, weights"),
        intro=("Write `attention`, using your `scaled_dot_scores`. (It is graded with a "
               "correct `scaled_dot_scores`, so a mistake there is not counted twice.)"),
        tests=[
            shape_test("attention", 1, "N=3, Tq=2, S=4, d=5, dv=6",
                       "(context, weights) of shapes (3, 2, 6) and (3, 2, 4)"),
            Test("known", 2,
                 "Known answer: a zero query scores every key 0, so the weights are uniform "
                 "over the two real tokens, the padded third token gets exactly 0, and the "
                 "context is the mean of the first two values.",
                 fmt("Q = np.zeros((1, 1, 2))\nK = {K}\nV = {V}\n"
                     "mask = np.array([[True, True, False]])\nexpected = ({c}, {w})\n"
                     'grading.check_known(attention, "attention", (Q, K, V, mask), expected, '
                     "atol=1e-9)", K=Ka, V=V, c=ctx, w=w)),
            hidden_reference("attention", 3,
                             '[{}, {"masked": 0}, {"N": 1}, {"Tq": 1}, {"S": 1}]', 191,
                             "with and without a mask, N = 1, one query, one source token"),
            hidden_stability("attention", 1, "100.0", 292),
            hidden_unchanged("attention", 1),
        ],
    )
    return Assignment(
        id="08_attention",
        title="Assignment 08: attention",
        chapter='Chapter 10, "Attention"',
        chapter_file="10_attention",
        analogy=(
            "Ask someone \"What's your name?\" and they answer with a long story. To reply "
            "you do not weigh every sentence equally: the first sentence (\"I'm Ana...\") "
            "and maybe the last matter, the middle does not. Attention gives a decoder that "
            "skill: at every output step it scores each encoder state against what it is "
            "looking for (the query), turns the scores into weights with a softmax, and "
            "reads a weighted average of the values. Padding is never worth reading, so it "
            "gets weight exactly 0. (Where the analogy breaks: the weights are recomputed "
            "from scratch at every step and nothing is \"remembered\" between them.)"
        ),
        contract=(
            "| name | shape | meaning |\n|---|---|---|\n"
            "| `Q` | (N, Tq, d) | queries (e.g. decoder states) |\n"
            "| `K` | (N, S, d) | keys (encoder states) |\n"
            "| `V` | (N, S, dv) | values (encoder states again, in a seq2seq model) |\n"
            "| `mask` | (N, S) bool or None | True = real token, False = padding |\n\n"
            "$$e_{ts} = \\frac{q_t \\cdot k_s}{\\sqrt d}, \\qquad \\alpha_{ts} = "
            "\\frac{m_s\\, e^{e_{ts}}}{\\sum_{s'} m_{s'}\\, e^{e_{ts'}}}, \\qquad c_t = "
            "\\sum_s \\alpha_{ts} v_s$$\n\n"
            "`scaled_dot_scores` returns `scores` (N, Tq, S); `attention` returns "
            "`(context, weights)`. No caches. Large scores must not overflow."
        ),
        imports=COMMON_IMPORTS,
        tasks=[score_task, att_task],
    )


BUILDERS = [assignment_01, assignment_02, assignment_03, assignment_04, assignment_05,
            assignment_06, assignment_07, assignment_08]


# --- notebook assembly ------------------------------------------------------------------


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int = 0) -> dict:
    nbg = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
           "solution": solution, "task": False}
    if grade:
        nbg["points"] = points
    return {"nbgrader": nbg}


def solution_source(task: Task) -> str:
    body = textwrap.indent(task.solution, "    ")
    return (f"{task.signature}\n    {task.docstring}\n"
            f"    ### BEGIN SOLUTION\n{body}\n    ### END SOLUTION")


def test_source(test: Test) -> str:
    doc = '"""' + test.doc + '"""'
    if test.hidden:
        return f"{doc}\n### BEGIN HIDDEN TESTS\n{test.code}\n### END HIDDEN TESTS"
    return f"{doc}\n{test.code}"


def build(a: Assignment) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    cells = []
    total = sum(t.points for task in a.tasks for t in task.tests)
    funcs = ", ".join(f"`{t.name}`" for t in a.tasks)
    header = (
        f"# {a.title}\n\n"
        f"*Course \"LSTMs and attention, by analogy\". Read first: {a.chapter} "
        f"([book/{a.chapter_file}.md](../../book/{a.chapter_file}.md) in the course "
        f"repository, or the same chapter in the online book).*\n\n"
        f"{a.analogy}\n\n"
        f"## What to do\n\nFill in the body of {funcs} where it says `YOUR CODE HERE` "
        f"(keep the signature and the docstring), using numpy only. {total} points, split "
        "over the test cells below so that partial work earns partial credit.\n\n"
        f"## The contract\n\n{a.contract}\n\n{CHECK_NOTE.format(id=a.id)}"
    )
    cells.append(nbformat.v4.new_markdown_cell(header, id="header"))
    cells.append(nbformat.v4.new_code_cell(a.imports.rstrip("\n"), id="imports"))
    for task in a.tasks:
        pts = sum(t.points for t in task.tests)
        cells.append(nbformat.v4.new_markdown_cell(
            f"## `{task.name}` ({pts} points)\n\n{task.intro}", id=f"about-{task.name}"))
        cell = nbformat.v4.new_code_cell(solution_source(task), id=task.name)
        cell.metadata = _meta(task.name, grade=False, solution=True, locked=False)
        cells.append(cell)
        cells.append(nbformat.v4.new_markdown_cell(
            f"### Tests for `{task.name}`\n\nRun each cell; a failure names the likely "
            "mistake and the section of the chapter to re-read.",
            id=f"tests-{task.name}"))
        for t in task.tests:
            gid = f"test_{task.name}_{t.suffix}"
            cell = nbformat.v4.new_code_cell(test_source(t), id=gid)
            cell.metadata = _meta(gid, grade=True, solution=False, locked=True,
                                  points=t.points)
            cells.append(cell)
    if a.scratch:
        cells.append(nbformat.v4.new_markdown_cell(
            "## Scratch space\n\nNot graded: experiment here.", id="scratch-md"))
        cells.append(nbformat.v4.new_code_cell(a.scratch, id="scratch"))
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a notebook differs from this script")
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    stale = []
    for builder in BUILDERS:
        a = builder()
        text = render(build(a))
        path = args.out / a.id / f"{a.id}.ipynb"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".ipynb.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        print(f"wrote {path.relative_to(args.out.parent) if args.out == OUT else path}")
    if stale:
        print("stale (run scripts/build_assignments.py):", *map(str, stale), sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
