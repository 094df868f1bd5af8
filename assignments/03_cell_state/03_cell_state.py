# %% [markdown]
# # Assignment 03: the cell state and its gradient
#
# *Course "LSTMs and attention, by analogy". Read first: Chapter 5, "The cell state" ([book/05_cell_state.md](../../book/05_cell_state.md) in the course repository, or the same chapter in the online book).*
#
# The cell state is a highway running the length of the sequence. Going from New York to Boston on city roads takes nine hours of lights and junctions; the highway takes four. Information on the cell state, and the gradient on the way back, only meets two gentle junctions per step: a multiplication by the forget gate and an addition of new content. No squashing nonlinearity sits on the road. (Where the analogy breaks: a highway never shrinks your car; a forget gate below 1 does shrink what travels, step after step.)
#
# ## What to do
#
# Fill in the body of `cell_update`, `cell_update_backward` where it says `YOUR CODE HERE` (keep the signature and the docstring), using numpy only. 13 points, split over the test cells below so that partial work earns partial credit.
#
# ## The contract
#
# | name | shape | meaning |
# |---|---|---|
# | `f`, `i` | (N, H) | forget and input gates, in (0, 1) |
# | `c_prev` | (N, H) | previous cell state (any real values) |
# | `g` | (N, H) | candidate, in (-1, 1) |
# | `dc` | (N, H) | gradient of the loss with respect to `c` |
#
# $$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad \frac{\partial c_t}{\partial c_{t-1}} = \operatorname{diag}(f_t)$$
#
# `cell_update` returns `c`; `cell_update_backward` returns `(df, dc_prev, di, dg)`. Neither modifies its inputs.
#
# **Check your work** before you submit: *Kernel > Restart & Run All*, or in a terminal `course check 03_cell_state.ipynb`, which runs the visible tests and names the likely mistake when one fails. Hidden tests run when your notebook is graded; their cells show what they check.

# %%
import numpy as np

from course_pkg import grading

# %% [markdown]
# ## `cell_update` (7 points)
#
# Write `cell_update`: $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, entry by entry.

# %% nbgrader={"grade": false, "grade_id": "cell_update", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cell_update(f, c_prev, i, g):
    """New cell state: keep what the forget gate allows, add what i lets in.

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
    """
    ### BEGIN SOLUTION
    c = f * c_prev + i * g  # (N, H)
    return c
    ### END SOLUTION


# %% [markdown]
# ### Tests for `cell_update`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_cell_update_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: c is a float64 array of shape (3, 5)."""
grading.check_shape(cell_update, "cell_update", N=3, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_cell_update_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer: c = f * c_prev + i * g = [0.5*2 + 1*0.5, 1*(-1) + 0*0.9, 0.2*4 + 0.5*(-0.6)]."""
f = np.array([[0.5, 1. , 0.2]])
c_prev = np.array([[ 2., -1.,  4.]])
i = np.array([[1. , 0. , 0.5]])
g = np.array([[ 0.5,  0.9, -0.6]])
grading.check_known(cell_update, "cell_update", (f, c_prev, i, g), np.array([[ 1.5, -1. ,  0.5]]), atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_cell_update_highway", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""The highway: with f = 1 and i = 0 the memory passes through unchanged."""
rng = np.random.default_rng(0)
c_prev, g = rng.normal(size=(2, 3)), rng.uniform(-1, 1, size=(2, 3))
ones, zeros = np.ones((2, 3)), np.zeros((2, 3))
grading.check_known(cell_update, "cell_update", (ones, c_prev, zeros, g), c_prev)

# %% nbgrader={"grade": true, "grade_id": "test_cell_update_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: cell_update agrees with the reference on random float64 inputs, for several shapes (including N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(cell_update, "cell_update", shapes=[{}, {"N": 1}, {"H": 1}], seed=111)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_cell_update_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: cell_update leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(cell_update, "cell_update", seed=7)
### END HIDDEN TESTS

# %% [markdown]
# ## `cell_update_backward` (6 points)
#
# Write `cell_update_backward`. Since $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, the gradient reaching $c_{t-1}$ is $\partial c_t \odot f_t$: the highway of chapter 5, where gradients are only rescaled by the forget gate.

# %% nbgrader={"grade": false, "grade_id": "cell_update_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cell_update_backward(dc, f, c_prev, i, g):
    """Gradients of c = f * c_prev + i * g with respect to f, c_prev, i and g.

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
    """
    ### BEGIN SOLUTION
    df = dc * c_prev  # (N, H)
    dc_prev = dc * f  # (N, H): the highway, only rescaled by the forget gate
    di = dc * g  # (N, H)
    dg = dc * i  # (N, H)
    return df, dc_prev, di, dg
    ### END SOLUTION


# %% [markdown]
# ### Tests for `cell_update_backward`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_cell_update_backward_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: a tuple of four float64 arrays of shape (3, 5)."""
grading.check_shape(cell_update_backward, "cell_update_backward", N=3, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_cell_update_backward_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer: df = dc * c_prev, dc_prev = dc * f, di = dc * g, dg = dc * i (same f, c_prev, i, g as above)."""
dc = np.array([[ 1.,  2., -1.]])
f = np.array([[0.5, 1. , 0.2]])
c_prev = np.array([[ 2., -1.,  4.]])
i = np.array([[1. , 0. , 0.5]])
g = np.array([[ 0.5,  0.9, -0.6]])
expected = (np.array([[ 2., -2., -4.]]), np.array([[ 0.5,  2. , -0.2]]), np.array([[0.5, 1.8, 0.6]]), np.array([[ 1. ,  0. , -0.5]]))
grading.check_known(cell_update_backward, "cell_update_backward", (dc, f, c_prev, i, g), expected, atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_cell_update_backward_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: cell_update_backward agrees with the reference on random float64 inputs, for several shapes (including N = 1 and H = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(cell_update_backward, "cell_update_backward", shapes=[{}, {"N": 1}, {"H": 1}], seed=121)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_cell_update_backward_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: cell_update_backward leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(cell_update_backward, "cell_update_backward", seed=7)
### END HIDDEN TESTS
