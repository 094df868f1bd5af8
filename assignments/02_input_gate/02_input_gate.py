# %% [markdown]
# # Assignment 02: the input gate and the candidate
#
# *Course "LSTMs and attention, by analogy". Read first: Chapter 4, "The input gate and the candidate" ([book/04_input_gate.md](../../book/04_input_gate.md) in the course repository, or the same chapter in the online book).*
#
# With your head cleared, you study for calculus. Not every page of the notes will be on the exam, so you filter: the **candidate** `g` is everything the notes propose to learn, positive or negative and limited to (-1, 1) by tanh; the **input gate** `i`, a sigmoid in (0, 1), decides how much of each proposal is worth writing into memory. Only `i * g` is stored. (Where the analogy breaks: the network learns what is "on the exam" from the loss, nobody hands it a syllabus.)
#
# ## What to do
#
# Fill in the body of `input_gate`, `candidate` where it says `YOUR CODE HERE` (keep the signature and the docstring), using numpy only. 18 points, split over the test cells below so that partial work earns partial credit.
#
# ## The contract
#
# | name | shape | meaning |
# |---|---|---|
# | `h_prev` | (N, H) | previous hidden state |
# | `x` | (N, D) | current input |
# | `W_i`, `W_g` | (H + D, H) | rows `[:H]` read `h_prev`, rows `[H:]` read `x` |
# | `b_i`, `b_g` | (H,) | biases |
# | **returns** `i` | (N, H) | input gate, in (0, 1) |
# | **returns** `g` | (N, H) | candidate, in (-1, 1) |
#
# $$i = \sigma([h_{t-1}, x_t]\, W_i + b_i), \qquad g = \tanh([h_{t-1}, x_t]\, W_g + b_g)$$
#
# Each function returns one array (no cache).
#
# Use the `sigmoid` imported at the top (`course_pkg.activations.sigmoid`): you are expected to, it is part of the provided code, not of the exercise. It is numerically stable; `1 / (1 + np.exp(-a))` overflows for a < -709, which a hidden test checks. `np.tanh` is stable as it is.
#
# **Check your work** before you submit: *Kernel > Restart & Run All*, or in a terminal `course check 02_input_gate.ipynb`, which runs the visible tests and names the likely mistake when one fails. Hidden tests run when your notebook is graded; their cells show what they check.

# %%
import numpy as np

from course_pkg import grading
from course_pkg.activations import sigmoid  # provided and allowed: stable for large |a|

# %% [markdown]
# ## `input_gate` (9 points)
#
# Write `input_gate` so that it returns the input gate, $i = \sigma([h_{t-1}, x_t] W_{i} + b_{i})$, for a whole batch at once.

# %% nbgrader={"grade": false, "grade_id": "input_gate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def input_gate(h_prev, x, W_i, b_i):
    """The input gate: i = sigmoid([h_prev, x] @ W_i + b_i).

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
        Previous hidden state.
    x : ndarray of shape (N, D)
        Current input.
    W_i : ndarray of shape (H + D, H)
        Rows [:H] read h_prev, rows [H:] read x.
    b_i : ndarray of shape (H,)

    Returns
    -------
    i : ndarray of shape (N, H)
        Values in (0, 1).
    """
    ### BEGIN SOLUTION
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    i = sigmoid(z @ W_i + b_i)  # (N, H)
    return i
    ### END SOLUTION


# %% [markdown]
# ### Tests for `input_gate`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_input_gate_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: for N=3 samples, D=4 inputs and H=5 units, i is a float64 array of shape (3, 5)."""
grading.check_shape(input_gate, "input_gate", N=3, D=4, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_input_gate_range", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Range: a gate is a selector, so every entry of i lies in [0.0, 1.0]."""
grading.check_range(input_gate, "input_gate", low=0.0, high=1.0, N=4, D=3, H=2)

# %% nbgrader={"grade": true, "grade_id": "test_input_gate_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer, worked by hand, for N=3 samples, D=1 input and H=2 units: the rows of z = [h_prev, x] are [1, -1, 2], [0.5, 2, -1] and [-2, 1, 1]; z @ W_i + b_i = [[0.5, 1], [3, -0.25], [-1, 3]], so i = sigmoid of that."""
h_prev = np.array([[ 1. , -1. ],
                   [ 0.5,  2. ],
                   [-2. ,  1. ]])
x = np.array([[ 2.],
              [-1.],
              [ 1.]])
W_i = np.array([[ 1. , -0.5],
                [ 0.5,  1. ],
                [-0.5,  1.5]])
b_i = np.array([ 1. , -0.5])
expected = np.array([[0.622459331202, 0.73105857863 ],
                     [0.952574126822, 0.437823499114],
                     [0.26894142137 , 0.952574126822]])
grading.check_known(input_gate, "input_gate", (h_prev, x, W_i, b_i), expected, atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_input_gate_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: input_gate agrees with the reference on random float64 inputs with non-zero biases, for several shapes (including N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(input_gate, "input_gate", shapes=[{}, {"N": 1}, {"H": 1}, {"N": 2, "D": 1, "H": 3}], seed=101)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_input_gate_stability", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: input_gate stays finite and correct when the inputs are large (scaled by 1e3): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(input_gate, "input_gate", seed=202, scale=1e3)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_input_gate_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: input_gate leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(input_gate, "input_gate", seed=7)
### END HIDDEN TESTS

# %% [markdown]
# ## `candidate` (9 points)
#
# Write `candidate` so that it returns the candidate, $g = \tanh([h_{t-1}, x_t] W_{g} + b_{g})$, for a whole batch at once.

# %% nbgrader={"grade": false, "grade_id": "candidate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def candidate(h_prev, x, W_g, b_g):
    """The candidate: g = tanh([h_prev, x] @ W_g + b_g).

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
        Previous hidden state.
    x : ndarray of shape (N, D)
        Current input.
    W_g : ndarray of shape (H + D, H)
        Rows [:H] read h_prev, rows [H:] read x.
    b_g : ndarray of shape (H,)

    Returns
    -------
    g : ndarray of shape (N, H)
        Values in (-1, 1).
    """
    ### BEGIN SOLUTION
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    g = np.tanh(z @ W_g + b_g)  # (N, H)
    return g
    ### END SOLUTION


# %% [markdown]
# ### Tests for `candidate`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_candidate_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: for N=3 samples, D=4 inputs and H=5 units, g is a float64 array of shape (3, 5)."""
grading.check_shape(candidate, "candidate", N=3, D=4, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_candidate_range", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Range: tanh is a limiter, so every entry of g lies in [-1.0, 1.0]."""
grading.check_range(candidate, "candidate", low=-1.0, high=1.0, N=4, D=3, H=2)

# %% nbgrader={"grade": true, "grade_id": "test_candidate_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer, worked by hand, for N=3 samples, D=1 input and H=2 units: the rows of z = [h_prev, x] are [1, -1, 2], [0.5, 2, -1] and [-2, 1, 1]; z @ W_g + b_g = [[0.5, 1], [3, -0.25], [-1, 3]], so g = tanh of that."""
h_prev = np.array([[ 1. , -1. ],
                   [ 0.5,  2. ],
                   [-2. ,  1. ]])
x = np.array([[ 2.],
              [-1.],
              [ 1.]])
W_g = np.array([[ 1. , -0.5],
                [ 0.5,  1. ],
                [-0.5,  1.5]])
b_g = np.array([ 1. , -0.5])
expected = np.array([[ 0.46211715726 ,  0.761594155956],
                     [ 0.995054753687, -0.244918662404],
                     [-0.761594155956,  0.995054753687]])
grading.check_known(candidate, "candidate", (h_prev, x, W_g, b_g), expected, atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_candidate_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: candidate agrees with the reference on random float64 inputs with non-zero biases, for several shapes (including N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(candidate, "candidate", shapes=[{}, {"N": 1}, {"H": 1}, {"N": 2, "D": 1, "H": 3}], seed=101)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_candidate_stability", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: candidate stays finite and correct when the inputs are large (scaled by 1e3): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(candidate, "candidate", seed=202, scale=1e3)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_candidate_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: candidate leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(candidate, "candidate", seed=7)
### END HIDDEN TESTS
