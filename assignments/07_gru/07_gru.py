# %% [markdown]
# # Assignment 07: the GRU
#
# *Course "LSTMs and attention, by analogy". Read first: Chapter 8, "The GRU" ([book/08_gru.md](../../book/08_gru.md) in the course repository, or the same chapter in the online book).*
#
# The GRU keeps the LSTM's idea with less machinery: two gates and one state. Think of a single set of notes, handed in as they are, instead of a knowledge base plus the filtered version you show (the LSTM's cell and hidden states). The desk has a fixed amount of room: the **update gate** `z` decides, slot by slot, how much of the old page to keep; whatever it does not keep is filled with the new draft `n`, so forgetting and writing are one decision (whatever room goes to the old notes is taken from the new). The **reset gate** `r` decides how much of the old page the new draft may look at. (Where the analogy breaks: nothing is copied verbatim; every slot is a blend of old and new.)
#
# ## What to do
#
# Fill in the body of `gru_step_forward` where it says `YOUR CODE HERE` (keep the signature and the docstring), using numpy only. 9 points, split over the test cells below so that partial work earns partial credit.
#
# ## The contract
#
# This assignment uses **Cho et al. (2014)'s variant**: the reset gate scales `h_prev` *before* the product, so the candidate reads the same kind of concatenation as every LSTM gate. (PyTorch and cuDNN apply `r` after the product, with an extra bias `b_hn`; chapter 8 compares the two.) The update follows PyTorch's convention: `z` near 1 keeps the old state.
#
# | name | shape | meaning |
# |---|---|---|
# | `x` | (N, D) | current input |
# | `h_prev` | (N, H) | previous hidden state |
# | `params` | dict | `W_z, W_r, W_n` (H + D, H); `b_z, b_r, b_n` (H,) |
#
# $$\begin{aligned} z &= \sigma([h_{t-1}, x_t] W_z + b_z), & r &= \sigma([h_{t-1}, x_t] W_r + b_r),\\ n &= \tanh([r \odot h_{t-1}, x_t] W_n + b_n), & h_t &= (1 - z) \odot n + z \odot h_{t-1} \end{aligned}$$
#
# Return only `h` (no cache).
#
# Use the `sigmoid` imported at the top (`course_pkg.activations.sigmoid`): you are expected to, it is part of the provided code, not of the exercise. It is numerically stable; `1 / (1 + np.exp(-a))` overflows for a < -709, which a hidden test checks. `np.tanh` is stable as it is.
#
# **Check your work** before you submit: *Kernel > Restart & Run All*, or in a terminal `course check 07_gru.ipynb`, which runs the visible tests and names the likely mistake when one fails. Hidden tests run when your notebook is graded; their cells show what they check.

# %%
import numpy as np

from course_pkg import grading
from course_pkg.activations import sigmoid  # provided and allowed: stable for large |a|

# %% [markdown]
# ## `gru_step_forward` (9 points)
#
# Write `gru_step_forward`, one step of the GRU in Cho's variant.

# %% nbgrader={"grade": false, "grade_id": "gru_step_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gru_step_forward(x, h_prev, params):
    """One GRU step (Cho et al. 2014's candidate, PyTorch's update convention).

    Parameters
    ----------
    x : ndarray of shape (N, D)
    h_prev : ndarray of shape (N, H)
    params : dict
        W_z, W_r, W_n of shape (H + D, H); b_z, b_r, b_n of shape (H,).

    Returns
    -------
    h : ndarray of shape (N, H)
    """
    ### BEGIN SOLUTION
    hx = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    z = sigmoid(hx @ params["W_z"] + params["b_z"])  # (N, H) update gate
    r = sigmoid(hx @ params["W_r"] + params["b_r"])  # (N, H) reset gate
    hr = np.concatenate([r * h_prev, x], axis=1)  # (N, H + D): reset first
    n = np.tanh(hr @ params["W_n"] + params["b_n"])  # (N, H) candidate
    h = (1 - z) * n + z * h_prev  # (N, H)
    return h
    ### END SOLUTION


# %% [markdown]
# ### Tests for `gru_step_forward`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_gru_step_forward_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: h is a float64 array of shape (3, 5)."""
grading.check_shape(gru_step_forward, "gru_step_forward", N=3, D=4, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_gru_step_forward_range", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Range: with h_prev in [-1, 1], h = (1 - z) n + z h_prev stays in [-1, 1]."""
grading.check_range(gru_step_forward, "gru_step_forward", low=-1.0, high=1.0, N=4, D=3, H=2)

# %% nbgrader={"grade": true, "grade_id": "test_gru_step_forward_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer on a small problem (N=3 samples, D=1 input, H=2 units) with non-zero weights and biases: z = sigmoid([h_prev, x] @ W_z + b_z), r = sigmoid([h_prev, x] @ W_r + b_r), n = tanh([r * h_prev, x] @ W_n + b_n), h = (1 - z) * n + z * h_prev."""
D, H = 1, 2  # and N = 3: every dimension differs, so a swapped axis cannot go unnoticed
params = {
    "W_z": np.array([[0.5, -0.2], [0.3, 0.4], [-0.6, 0.8]]), "b_z": np.array([1.0, -0.5]),
    "W_r": np.array([[-0.4, 0.6], [0.2, -0.3], [0.7, 0.5]]), "b_r": np.array([-1.0, 0.5]),
    "W_n": np.array([[0.9, -0.1], [-0.5, 0.6], [0.4, -0.7]]), "b_n": np.array([0.5, -0.3]),
}
x = np.array([[0.5], [-1.0], [2.0]])
h_prev = np.array([[0.8, -0.4], [0.3, 0.4], [-0.5, 0.6]])
expected = np.array([[ 0.794552577448, -0.579199423451],
                     [ 0.264918333337,  0.459191916468],
                     [ 0.152659489123,  0.315414239594]])
grading.check_known(gru_step_forward, "gru_step_forward", (x, h_prev, params), expected, atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_gru_step_forward_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: gru_step_forward agrees with the reference on random float64 inputs with non-zero biases, for several shapes (including N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(gru_step_forward, "gru_step_forward", shapes=[{}, {"N": 1}, {"H": 1}, {"N": 2, "D": 1, "H": 3}], seed=171)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_gru_step_forward_stability", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: gru_step_forward stays finite and correct when the inputs are large (scaled by 1e3): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(gru_step_forward, "gru_step_forward", seed=272, scale=1e3)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_gru_step_forward_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: gru_step_forward leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(gru_step_forward, "gru_step_forward", seed=7)
### END HIDDEN TESTS
