# %% [markdown]
# # Assignment 05: the LSTM forward pass
#
# *Course "LSTMs and attention, by analogy". Read first: Chapter 7, "The whole cell, through time" ([book/07_lstm_through_time.md](../../book/07_lstm_through_time.md) in the course repository, or the same chapter in the online book).*
#
# Exam season, one exam after another. At each step the cell does the four things you do between two exams: forget what the next exam will not need (forget gate), pick what to study (input gate and candidate), update what you know (cell state), and sit the exam (output gate). Then the next exam comes, and you start from the memory you left with. (Where the analogy breaks: every "exam" uses the same weights; you do not get better at gating as the season goes on, only during training.)
#
# ## What to do
#
# Fill in the body of `lstm_step_forward`, `lstm_forward` where it says `YOUR CODE HERE` (keep the signature and the docstring), using numpy only. 15 points, split over the test cells below so that partial work earns partial credit.
#
# ## The contract
#
# | name | shape | meaning |
# |---|---|---|
# | `x` | (N, D) | one step's input |
# | `X` | (T, N, D) | the whole sequence, time-major |
# | `h_prev`, `c_prev`, `h0`, `c0` | (N, H) | states |
# | `params` | dict | `W_f, W_i, W_g, W_o` (H + D, H); `b_f, b_i, b_g, b_o` (H,) |
#
# $$\begin{aligned} f &= \sigma(z W_f + b_f), & i &= \sigma(z W_i + b_i), & g &= \tanh(z W_g + b_g), & o &= \sigma(z W_o + b_o),\\ c_t &= f \odot c_{t-1} + i \odot g, & h_t &= o \odot \tanh(c_t), & z &= [h_{t-1}, x_t] \end{aligned}$$
#
# `lstm_step_forward` returns `(h, c)`; `lstm_forward` returns `(hs, cs)`, each (T, N, H). No caches.
#
# Use the `sigmoid` imported at the top (`course_pkg.activations.sigmoid`): you are expected to, it is part of the provided code, not of the exercise. It is numerically stable; `1 / (1 + np.exp(-a))` overflows for a < -709, which a hidden test checks. `np.tanh` is stable as it is.
#
# **Check your work** before you submit: *Kernel > Restart & Run All*, or in a terminal `course check 05_lstm_forward.ipynb`, which runs the visible tests and names the likely mistake when one fails. Hidden tests run when your notebook is graded; their cells show what they check.

# %%
import numpy as np

from course_pkg import grading
from course_pkg.activations import sigmoid  # provided and allowed: stable for large |a|

# %% [markdown]
# ## `lstm_step_forward` (8 points)
#
# Write `lstm_step_forward`, the four moves of chapter 7 in one function.

# %% nbgrader={"grade": false, "grade_id": "lstm_step_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_step_forward(x, h_prev, c_prev, params):
    """One LSTM step: forget, store, update, output.

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
    """
    ### BEGIN SOLUTION
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    f = sigmoid(z @ params["W_f"] + params["b_f"])  # (N, H) forget
    i = sigmoid(z @ params["W_i"] + params["b_i"])  # (N, H) input
    g = np.tanh(z @ params["W_g"] + params["b_g"])  # (N, H) candidate
    o = sigmoid(z @ params["W_o"] + params["b_o"])  # (N, H) output
    c = f * c_prev + i * g  # (N, H)
    h = o * np.tanh(c)  # (N, H)
    return h, c
    ### END SOLUTION


# %% [markdown]
# ### Tests for `lstm_step_forward`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_lstm_step_forward_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: (h, c), two float64 arrays of shape (3, 5)."""
grading.check_shape(lstm_step_forward, "lstm_step_forward", N=3, D=4, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_lstm_step_forward_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer on a small problem (N=3 samples, D=1 input, H=2 units: every dimension differs) with non-zero weights and biases: z = [h_prev, x], f = sigmoid(z @ W_f + b_f), i = sigmoid(z @ W_i + b_i), g = tanh(z @ W_g + b_g), o = sigmoid(z @ W_o + b_o); c = f * c_prev + i * g, h = o * tanh(c)."""
params = {"W_f": np.array([[0.5, -0.2], [0.3, 0.4], [-0.6, 0.8]]), "b_f": np.array([1.0, 0.5]),
          "W_i": np.array([[-0.4, 0.6], [0.2, -0.3], [0.7, 0.5]]), "b_i": np.array([-0.5, 0.2]),
          "W_g": np.array([[0.9, -0.1], [-0.5, 0.6], [0.4, -0.7]]), "b_g": np.array([0.1, -0.3]),
          "W_o": np.array([[0.2, 0.3], [-0.8, 0.1], [0.5, -0.4]]), "b_o": np.array([0.4, 0.6])}
x = np.array([[0.5], [-1.0], [2.0]])
h_prev = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
c_prev = np.array([[1.0, -2.0], [0.5, 1.5], [-1.0, 0.3]])
h = np.array([[0.487367358907, -0.568918452826], [0.149949617417, 0.546802598187],
              [-0.213588557581, -0.125429216779]])
c = np.array([[0.867072226798, -1.796873970196], [0.382500242687, 0.91482073872],
              [-0.317958387519, -0.301906411804]])
grading.check_known(lstm_step_forward, "lstm_step_forward", (x, h_prev, c_prev, params), (h, c), atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_lstm_step_forward_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: lstm_step_forward agrees with the reference on random float64 inputs with non-zero biases, for several shapes (including N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(lstm_step_forward, "lstm_step_forward", shapes=[{}, {"N": 1}, {"H": 1}, {"N": 2, "D": 1, "H": 3}], seed=141)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_lstm_step_forward_stability", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: lstm_step_forward stays finite and correct when the inputs are large (scaled by 1e3): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(lstm_step_forward, "lstm_step_forward", seed=242, scale=1e3)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_lstm_step_forward_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: lstm_step_forward leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(lstm_step_forward, "lstm_step_forward", seed=7)
### END HIDDEN TESTS

# %% [markdown]
# ## `lstm_forward` (7 points)
#
# Write `lstm_forward`: call your `lstm_step_forward` once per time step, carrying `h` and `c` from one step to the next. (It is graded with a correct step function, so a mistake in the step is not counted twice.)

# %% nbgrader={"grade": false, "grade_id": "lstm_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_forward(X, h0, c0, params):
    """Run the LSTM over a whole (time-major) sequence.

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
    """
    ### BEGIN SOLUTION
    T, N, _ = X.shape
    H = h0.shape[1]
    hs = np.zeros((T, N, H), dtype=X.dtype)
    cs = np.zeros((T, N, H), dtype=X.dtype)
    h, c = h0, c0
    for t in range(T):
        h, c = lstm_step_forward(X[t], h, c, params)
        hs[t] = h
        cs[t] = c
    return hs, cs
    ### END SOLUTION


# %% [markdown]
# ### Tests for `lstm_forward`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_lstm_forward_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: (hs, cs), two float64 arrays of shape (T, N, H) = (4, 3, 5)."""
grading.check_shape(lstm_forward, "lstm_forward", T=4, N=3, D=2, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_lstm_forward_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer: T=4 steps with the parameters above (N=3, D=1, H=2: every dimension differs); step 0 has the input and states of the previous test and gives its (h, c), each later step starts from the states the step before left."""
params = {"W_f": np.array([[0.5, -0.2], [0.3, 0.4], [-0.6, 0.8]]), "b_f": np.array([1.0, 0.5]),
          "W_i": np.array([[-0.4, 0.6], [0.2, -0.3], [0.7, 0.5]]), "b_i": np.array([-0.5, 0.2]),
          "W_g": np.array([[0.9, -0.1], [-0.5, 0.6], [0.4, -0.7]]), "b_g": np.array([0.1, -0.3]),
          "W_o": np.array([[0.2, 0.3], [-0.8, 0.1], [0.5, -0.4]]), "b_o": np.array([0.4, 0.6])}
X = np.array([[[0.5], [-1.0], [2.0]], [[1.0], [0.5], [-1.5]], [[-0.5], [1.5], [0.3]], [[2.0], [-0.2], [-1.0]]])
h0, c0 = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]), np.array([[1.0, -2.0], [0.5, 1.5], [-1.0, 0.3]])
hs = np.array([[[0.487367358907, -0.568918452826], [0.149949617417, 0.546802598187], [-0.213588557581, -0.125429216779]],
               [[0.59269737602, -0.550335253416], [0.18899953059, 0.28363006127], [-0.152690980487, 0.0812205280163]],
               [[0.477853325261, -0.565658542752], [0.384109172994, -0.0953196584336], [-0.142048440316, -0.0960286285217]],
               [[0.671289858805, -0.443086229762], [0.321098535293, -0.168329015198], [-0.132826498964, 0.0529661716246]]])
cs = np.array([[[0.867072226798, -1.7968739702], [0.382500242687, 0.91482073872], [-0.317958387519, -0.301906411804]],
               [[0.931654663854, -1.97762054455], [0.351035450689, 0.491893522319], [-0.373714524686, 0.10805024676]],
               [[0.893396797583, -1.07265499688], [0.591606653175, -0.184946691822], [-0.236531747077, -0.159059531161]],
               [[1.01294870257, -1.73193207915], [0.583508586256, -0.250143350406], [-0.279762124894, 0.0736285981611]]])
grading.check_known(lstm_forward, "lstm_forward", (X, h0, c0, params), (hs, cs), atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_lstm_forward_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: lstm_forward agrees with the reference on random float64 inputs with non-zero biases, for several shapes (including T = 1, N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(lstm_forward, "lstm_forward", shapes=[{}, {"T": 1}, {"N": 1}, {"H": 1}, {"T": 7, "D": 3}], seed=151)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_lstm_forward_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: lstm_forward leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(lstm_forward, "lstm_forward", seed=7)
### END HIDDEN TESTS
