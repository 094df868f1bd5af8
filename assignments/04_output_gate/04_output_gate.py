# %% [markdown]
# # Assignment 04: the output gate and the hidden state
#
# *Course "LSTMs and attention, by analogy". Read first: Chapter 6, "The output gate" ([book/06_output_gate.md](../../book/06_output_gate.md) in the course repository, or the same chapter in the online book).*
#
# The calculus exam has arrived. Your memory (the cell state) holds far more than the questions ask for; the **output gate** chooses which parts to bring to the page, and tanh turns the raw memory into something of bounded size you can write down. What you write, `h`, is also what you carry into the next exam (statistics, which needs both linear algebra and calculus). (Where the analogy breaks: the network "sits an exam" at every step, not once at the end.)
#
# ## What to do
#
# Fill in the body of `output_gate`, `hidden_state` where it says `YOUR CODE HERE` (keep the signature and the docstring), using numpy only. 16 points, split over the test cells below so that partial work earns partial credit.
#
# ## The contract
#
# | name | shape | meaning |
# |---|---|---|
# | `h_prev` | (N, H) | previous hidden state |
# | `x` | (N, D) | current input |
# | `W_o` | (H + D, H) | rows `[:H]` read `h_prev`, rows `[H:]` read `x` |
# | `b_o` | (H,) | bias |
# | `c` | (N, H) | the updated cell state |
#
# $$o = \sigma([h_{t-1}, x_t]\, W_o + b_o), \qquad h_t = o_t \odot \tanh(c_t)$$
#
# `output_gate` returns `o` and `hidden_state` returns `h` (no caches).
#
# Use the `sigmoid` imported at the top (`course_pkg.activations.sigmoid`): you are expected to, it is part of the provided code, not of the exercise. It is numerically stable; `1 / (1 + np.exp(-a))` overflows for a < -709, which a hidden test checks. `np.tanh` is stable as it is.
#
# **Check your work** before you submit: *Kernel > Restart & Run All*, or in a terminal `course check 04_output_gate.ipynb`, which runs the visible tests and names the likely mistake when one fails. Hidden tests run when your notebook is graded; their cells show what they check.

# %%
import numpy as np

from course_pkg import grading
from course_pkg.activations import sigmoid  # provided and allowed: stable for large |a|

# %% [markdown]
# ## `output_gate` (9 points)
#
# Write `output_gate` so that it returns the output gate, $o = \sigma([h_{t-1}, x_t] W_{o} + b_{o})$, for a whole batch at once.

# %% nbgrader={"grade": false, "grade_id": "output_gate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def output_gate(h_prev, x, W_o, b_o):
    """The output gate: o = sigmoid([h_prev, x] @ W_o + b_o).

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
        Previous hidden state.
    x : ndarray of shape (N, D)
        Current input.
    W_o : ndarray of shape (H + D, H)
        Rows [:H] read h_prev, rows [H:] read x.
    b_o : ndarray of shape (H,)

    Returns
    -------
    o : ndarray of shape (N, H)
        Values in (0, 1).
    """
    ### BEGIN SOLUTION
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    o = sigmoid(z @ W_o + b_o)  # (N, H)
    return o
    ### END SOLUTION


# %% [markdown]
# ### Tests for `output_gate`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_output_gate_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: for N=3 samples, D=4 inputs and H=5 units, o is a float64 array of shape (3, 5)."""
grading.check_shape(output_gate, "output_gate", N=3, D=4, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_output_gate_range", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Range: a gate is a selector, so every entry of o lies in [0.0, 1.0]."""
grading.check_range(output_gate, "output_gate", low=0.0, high=1.0, N=4, D=3, H=2)

# %% nbgrader={"grade": true, "grade_id": "test_output_gate_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer, worked by hand, for N=3 samples, D=1 input and H=2 units: the rows of z = [h_prev, x] are [1, -1, 2], [0.5, 2, -1] and [-2, 1, 1]; z @ W_o + b_o = [[0.5, 1], [3, -0.25], [-1, 3]], so o = sigmoid of that."""
h_prev = np.array([[ 1. , -1. ],
                   [ 0.5,  2. ],
                   [-2. ,  1. ]])
x = np.array([[ 2.],
              [-1.],
              [ 1.]])
W_o = np.array([[ 1. , -0.5],
                [ 0.5,  1. ],
                [-0.5,  1.5]])
b_o = np.array([ 1. , -0.5])
expected = np.array([[0.622459331202, 0.73105857863 ],
                     [0.952574126822, 0.437823499114],
                     [0.26894142137 , 0.952574126822]])
grading.check_known(output_gate, "output_gate", (h_prev, x, W_o, b_o), expected, atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_output_gate_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: output_gate agrees with the reference on random float64 inputs with non-zero biases, for several shapes (including N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(output_gate, "output_gate", shapes=[{}, {"N": 1}, {"H": 1}, {"N": 2, "D": 1, "H": 3}], seed=101)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_output_gate_stability", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: output_gate stays finite and correct when the inputs are large (scaled by 1e3): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(output_gate, "output_gate", seed=202, scale=1e3)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_output_gate_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: output_gate leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(output_gate, "output_gate", seed=7)
### END HIDDEN TESTS

# %% [markdown]
# ## `hidden_state` (7 points)
#
# Write `hidden_state`: $h_t = o_t \odot \tanh(c_t)$.

# %% nbgrader={"grade": false, "grade_id": "hidden_state", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hidden_state(o, c):
    """Hidden state: the output gate applied to the squashed cell state.

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
    """
    ### BEGIN SOLUTION
    h = o * np.tanh(c)  # (N, H)
    return h
    ### END SOLUTION


# %% [markdown]
# ### Tests for `hidden_state`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_hidden_state_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: h is a float64 array of shape (3, 5)."""
grading.check_shape(hidden_state, "hidden_state", N=3, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_hidden_state_range", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Range: h = o * tanh(c) lies in [-1, 1] even for a large cell state."""
grading.check_range(hidden_state, "hidden_state", low=-1.0, high=1.0, scale=50.0, N=4, H=3)

# %% nbgrader={"grade": true, "grade_id": "test_hidden_state_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer: h = [1 * tanh(0.5), 0.5 * tanh(100), 0 * tanh(-3)]."""
o = np.array([[1. , 0.5, 0. ]])
c = np.array([[  0.5, 100. ,  -3. ]])
grading.check_known(hidden_state, "hidden_state", (o, c), np.array([[ 0.46211715726,  0.5          , -0.           ]]), atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_hidden_state_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: hidden_state agrees with the reference on random float64 inputs, for several shapes (including N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(hidden_state, "hidden_state", shapes=[{}, {"N": 1}, {"H": 1}], seed=131)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_hidden_state_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: hidden_state leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(hidden_state, "hidden_state", seed=7)
### END HIDDEN TESTS
