# %% [markdown]
# # Assignment 06: backpropagation through time
#
# *Course "LSTMs and attention, by analogy". Read first: Chapter 7, "The whole cell, through time" ([book/07_lstm_through_time.md](../../book/07_lstm_through_time.md) in the course repository, or the same chapter in the online book).*
#
# After the exam season, the results come back and you trace each mark to its causes, walking back from the last exam to the first: this mark came from what you wrote, which came from what you remembered, which came from what you kept after the previous exam. Along the cell state the trace takes the highway: each step back only multiplies the gradient by the forget gate. (Where the analogy breaks: the network blames every step at once, in one backward sweep, and all steps share the same weights, so their blame adds up.)
#
# ## What to do
#
# Fill in the body of `lstm_backward`, `gradient_check` where it says `YOUR CODE HERE` (keep the signature and the docstring), using numpy only. 11 points, split over the test cells below so that partial work earns partial credit.
#
# ## The contract
#
# `lstm_backward(dhs, X, h0, c0, params) -> (dX, dh0, dc0, grads)` with `dhs` (T, N, H), `dX` (T, N, D), `dh0` and `dc0` (N, H), and `grads` a dict with the keys and shapes of `params`. Do not modify `dhs` or any other input.
#
# Walking back from $t = T$ to 1, with $\partial h_t$ = `dhs[t]` plus the gradient from step $t+1$:
#
# $$\begin{aligned} \partial o_t &= \partial h_t \odot \tanh c_t, & \partial c_t &= \partial c_t^{\text{next}} + \partial h_t \odot o_t \odot (1 - \tanh^2 c_t),\\ \partial f_t &= \partial c_t \odot c_{t-1}, & \partial c_{t-1}^{\text{next}} &= \partial c_t \odot f_t, \quad \partial i_t = \partial c_t \odot g_t, \quad \partial g_t = \partial c_t \odot i_t \end{aligned}$$
#
# then through each gate's nonlinearity ($\sigma' = s(1-s)$, $\tanh' = 1 - t^2$) to the pre-activations $\partial a$, and $\partial W \mathrel{+}= z_t^\top \partial a$, $\partial b \mathrel{+}= \sum_n \partial a$, $\partial z_t = \partial a\, W^\top$ summed over the four gates.
#
# `gradient_check(backward, seed=0)` builds a small random float64 problem from `seed` (random, non-zero values for every parameter, biases included: a zero bias hides a wrong bias gradient), defines the loss `L = sum(hs * dhs)` so that `dL/dhs = dhs`, calls `backward(dhs, X, h0, c0, params)`, and returns `check_gradients(loss_fn, variables, analytic)` where
#
# - `loss_fn()` takes no argument and recomputes the loss from the arrays in `variables` (check_gradients perturbs them **in place**, so `loss_fn` must read those very arrays, not copies);
# - `variables` maps `"X"`, `"h0"`, `"c0"` and every parameter name to its array;
# - `analytic` has the same keys and shapes, holding `dX`, `dh0`, `dc0` and `grads`.
#
# The result's `.ok` is True when every relative error `||g - g_num|| / (||g|| + ||g_num||)` is below `tol = 1e-7` (step `eps = 1e-6`); `print(result)` shows the table. The hidden test passes your function a correct backward and several broken ones; it must accept the first and reject each of the others.
#
# **Check your work** before you submit: *Kernel > Restart & Run All*, or in a terminal `course check 06_lstm_backward.ipynb`, which runs the visible tests and names the likely mistake when one fails. Hidden tests run when your notebook is graded; their cells show what they check.

# %%
import numpy as np

from course_pkg import grading
from course_pkg.gradcheck import check_gradients
from course_pkg.lstm import init_lstm_params, lstm_forward

# %% [markdown]
# ## `lstm_backward` (7 points)
#
# Write `lstm_backward`. It may call `lstm_forward` from `course_pkg.lstm` (imported above) to recompute the states and the gates: `cache["gates"]` maps `"f", "i", "g", "o"` to arrays of shape (T, N, H).

# %% nbgrader={"grade": false, "grade_id": "lstm_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_backward(dhs, X, h0, c0, params):
    """Backpropagation through time for the LSTM.

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
    """
    ### BEGIN SOLUTION
    hs, cs, cache = lstm_forward(X, h0, c0, params)
    f, i, g, o = (cache["gates"][k] for k in "figo")  # each (T, N, H)
    T, N = X.shape[:2]
    H = h0.shape[1]
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dX = np.zeros_like(X)
    dh_next = np.zeros((N, H))
    dc_next = np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = hs[t - 1] if t > 0 else h0
        c_prev = cs[t - 1] if t > 0 else c0
        z = np.concatenate([h_prev, X[t]], axis=1)  # (N, H + D)
        dh = dhs[t] + dh_next  # (N, H)
        tc = np.tanh(cs[t])  # (N, H)
        do = dh * tc
        dc = dc_next + dh * o[t] * (1 - tc**2)  # two sources: highway and h
        df = dc * c_prev
        di = dc * g[t]
        dg = dc * i[t]
        dc_next = dc * f[t]  # the highway
        dz = 0
        for k, da in (("f", df * f[t] * (1 - f[t])), ("i", di * i[t] * (1 - i[t])),
                      ("g", dg * (1 - g[t] ** 2)), ("o", do * o[t] * (1 - o[t]))):
            grads["W_" + k] += z.T @ da  # (H + D, H)
            grads["b_" + k] += da.sum(axis=0)  # (H,)
            dz = dz + da @ params["W_" + k].T  # (N, H + D)
        dh_next = dz[:, :H]
        dX[t] = dz[:, H:]
    return dX, dh_next, dc_next, grads
    ### END SOLUTION


# %% [markdown]
# ### Tests for `lstm_backward`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_lstm_backward_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: dX (4, 3, 2), dh0 and dc0 (3, 5), grads with the keys and shapes of params."""
grading.check_shape(lstm_backward, "lstm_backward", T=4, N=3, D=2, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_lstm_backward_zero", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""A zero upstream gradient gives zero gradients everywhere."""
rng = np.random.default_rng(0)
X, h0, c0 = rng.normal(size=(3, 2, 4)), np.zeros((2, 5)), np.zeros((2, 5))
params = init_lstm_params(4, 5, rng)
zeros = (np.zeros_like(X), np.zeros((2, 5)), np.zeros((2, 5)),
         {k: np.zeros_like(v) for k, v in params.items()})
grading.check_known(lstm_backward, "lstm_backward", (np.zeros((3, 2, 5)), X, h0, c0, params), zeros)

# %% nbgrader={"grade": true, "grade_id": "test_lstm_backward_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: lstm_backward agrees with the reference on random float64 inputs with non-zero biases, for several shapes (including T = 1, N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(lstm_backward, "lstm_backward", shapes=[{}, {"T": 1}, {"N": 1}, {"H": 1}, {"T": 6, "D": 3}], seed=161)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_lstm_backward_stability", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: lstm_backward stays finite and correct when the inputs are large (scaled by 30.0): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(lstm_backward, "lstm_backward", seed=262, scale=30.0)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_lstm_backward_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: lstm_backward leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(lstm_backward, "lstm_backward", seed=7)
### END HIDDEN TESTS

# %% [markdown]
# ## `gradient_check` (4 points)
#
# Write `gradient_check`, your own central-difference check of a backward pass (chapter 7 and `course_pkg.gradcheck`). It takes the backward as an argument, so the hidden tests can hand it a few broken ones: a check that cannot fail is no check.

# %% nbgrader={"grade": false, "grade_id": "gradient_check", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_check(backward, seed=0):
    """Check a BPTT implementation against central differences.

    Build a small random problem (float64) from ``seed``, take the loss
    L = sum(hs * dhs) (so dL/dhs = dhs), call
    ``backward(dhs, X, h0, c0, params)`` and compare every gradient it
    returns with a numerical one, using course_pkg.gradcheck.check_gradients.
    Every parameter, bias included, must be random and non-zero.

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
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    T, N, D, H = 3, 2, 3, 2
    X = rng.normal(size=(T, N, D))
    h0 = rng.normal(size=(N, H))
    c0 = rng.normal(size=(N, H))
    params = init_lstm_params(D, H, rng)
    dhs = rng.normal(size=(T, N, H))

    def loss():
        hs, _, _ = lstm_forward(X, h0, c0, params)
        return float(np.sum(hs * dhs))

    dX, dh0, dc0, grads = backward(dhs, X, h0, c0, params)
    variables = {"X": X, "h0": h0, "c0": c0, **params}
    analytic = {"X": dX, "h0": dh0, "c0": dc0, **grads}
    return check_gradients(loss, variables, analytic)
    ### END SOLUTION


# %% [markdown]
# ### Tests for `gradient_check`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_gradient_check_own_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Your lstm_backward passes your own gradient check."""
result = gradient_check(lstm_backward)
print(result)
assert result.ok, "your lstm_backward disagrees with the numerical gradients (table above)"

# %% nbgrader={"grade": true, "grade_id": "test_gradient_check_catches_bugs", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: your check passes a correct backward, covers X, h0, c0 and every parameter, and fails each of a few broken backwards."""
### BEGIN HIDDEN TESTS
grading.check_gradient_checker(gradient_check)
### END HIDDEN TESTS
