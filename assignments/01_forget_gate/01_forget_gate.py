# %% [markdown]
# # Assignment 01: the forget gate
#
# *Course "LSTMs and attention, by analogy". Read first: Chapter 3, "The forget gate" ([book/03_forget_gate.md](../../book/03_forget_gate.md) in the course repository, or the same chapter in the online book).*
#
# You have just sat the linear-algebra exam and the calculus exam is next. Before you open the calculus notes you clear your head, but not completely: what linear algebra shares with calculus is worth keeping, the rest can go. After the last exam of the week you would drop nearly everything. The forget gate makes that decision for every slot of the memory, with a number between 0 (drop it) and 1 (keep it), looking at what you were thinking (`h_prev`) and what is in front of you now (`x`). (Where the analogy breaks: the gate does not choose topics by meaning; it scales every slot by a learned number, and what a value near 0 removes is gone for good, since nothing later can bring it back.)
#
# ## What to do
#
# Fill in the body of `forget_gate` where it says `YOUR CODE HERE` (keep the signature and the docstring), using numpy only. 9 points, split over the test cells below so that partial work earns partial credit.
#
# ## The contract
#
# | name | shape | meaning |
# |---|---|---|
# | `h_prev` | (N, H) | previous hidden state, one row per sample |
# | `x` | (N, D) | current input |
# | `W_f` | (H + D, H) | rows `[:H]` read `h_prev`, rows `[H:]` read `x` |
# | `b_f` | (H,) | bias |
# | **returns** `f` | (N, H) | values in (0, 1) |
#
# $$f = \sigma([h_{t-1}, x_t]\, W_f + b_f)$$
#
# The concatenation puts `h_prev` first: `z = [h_prev, x]`, shape (N, H + D). Return only `f` (no cache).
#
# Use the `sigmoid` imported at the top (`course_pkg.activations.sigmoid`): you are expected to, it is part of the provided code, not of the exercise. It is numerically stable; `1 / (1 + np.exp(-a))` overflows for a < -709, which a hidden test checks. `np.tanh` is stable as it is.
#
# **Check your work** before you submit: *Kernel > Restart & Run All*, or in a terminal `course check 01_forget_gate.ipynb`, which runs the visible tests and names the likely mistake when one fails. Hidden tests run when your notebook is graded; their cells show what they check.

# %%
import numpy as np

from course_pkg import grading
from course_pkg.activations import sigmoid  # provided and allowed: stable for large |a|

# %% [markdown]
# ## `forget_gate` (9 points)
#
# Write `forget_gate` so that it returns the forget gate, $f = \sigma([h_{t-1}, x_t] W_{f} + b_{f})$, for a whole batch at once.

# %% nbgrader={"grade": false, "grade_id": "forget_gate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def forget_gate(h_prev, x, W_f, b_f):
    """The forget gate: f = sigmoid([h_prev, x] @ W_f + b_f).

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
        Previous hidden state.
    x : ndarray of shape (N, D)
        Current input.
    W_f : ndarray of shape (H + D, H)
        Rows [:H] read h_prev, rows [H:] read x.
    b_f : ndarray of shape (H,)

    Returns
    -------
    f : ndarray of shape (N, H)
        Values in (0, 1).
    """
    ### BEGIN SOLUTION
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    f = sigmoid(z @ W_f + b_f)  # (N, H)
    return f
    ### END SOLUTION


# %% [markdown]
# ### Tests for `forget_gate`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_forget_gate_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: for N=3 samples, D=4 inputs and H=5 units, f is a float64 array of shape (3, 5)."""
grading.check_shape(forget_gate, "forget_gate", N=3, D=4, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_forget_gate_range", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Range: a gate is a selector, so every entry of f lies in [0.0, 1.0]."""
grading.check_range(forget_gate, "forget_gate", low=0.0, high=1.0, N=4, D=3, H=2)

# %% nbgrader={"grade": true, "grade_id": "test_forget_gate_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer, worked by hand, for N=3 samples, D=1 input and H=2 units: the rows of z = [h_prev, x] are [1, -1, 2], [0.5, 2, -1] and [-2, 1, 1]; z @ W_f + b_f = [[0.5, 1], [3, -0.25], [-1, 3]], so f = sigmoid of that."""
h_prev = np.array([[ 1. , -1. ],
                   [ 0.5,  2. ],
                   [-2. ,  1. ]])
x = np.array([[ 2.],
              [-1.],
              [ 1.]])
W_f = np.array([[ 1. , -0.5],
                [ 0.5,  1. ],
                [-0.5,  1.5]])
b_f = np.array([ 1. , -0.5])
expected = np.array([[0.622459331202, 0.73105857863 ],
                     [0.952574126822, 0.437823499114],
                     [0.26894142137 , 0.952574126822]])
grading.check_known(forget_gate, "forget_gate", (h_prev, x, W_f, b_f), expected, atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_forget_gate_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: forget_gate agrees with the reference on random float64 inputs with non-zero biases, for several shapes (including N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(forget_gate, "forget_gate", shapes=[{}, {"N": 1}, {"H": 1}, {"N": 2, "D": 1, "H": 3}], seed=101)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_forget_gate_stability", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: forget_gate stays finite and correct when the inputs are large (scaled by 1e3): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(forget_gate, "forget_gate", seed=202, scale=1e3)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_forget_gate_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: forget_gate leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(forget_gate, "forget_gate", seed=7)
### END HIDDEN TESTS

# %% [markdown]
# ## Scratch space
#
# Not graded: experiment here.

# %%
# Try it: a bias of +3 keeps almost everything, -3 forgets almost everything.
rng = np.random.default_rng(0)
h_prev, x = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
W_f = np.zeros((7, 3))
print(forget_gate(h_prev, x, W_f, np.full(3, 3.0)))
