# %% [markdown]
# # Assignment 08: attention
#
# *Course "LSTMs and attention, by analogy". Read first: Chapter 10, "Attention" ([book/10_attention.md](../../book/10_attention.md) in the course repository, or the same chapter in the online book).*
#
# Ask someone "What's your name?" and they answer with a long story. To reply you do not weigh every sentence equally: the first sentence ("I'm Ana...") and maybe the last matter, the middle does not. Attention gives a decoder that skill: at every output step it scores each encoder state against what it is looking for (the query), turns the scores into weights with a softmax, and reads a weighted average of the values. Padding is never worth reading, so it gets weight exactly 0. (Where the analogy breaks: the weights are recomputed from scratch at every step and nothing is "remembered" between them.)
#
# ## What to do
#
# Fill in the body of `scaled_dot_scores`, `attention` where it says `YOUR CODE HERE` (keep the signature and the docstring), using numpy only. 14 points, split over the test cells below so that partial work earns partial credit.
#
# ## The contract
#
# | name | shape | meaning |
# |---|---|---|
# | `Q` | (N, Tq, d) | queries (e.g. decoder states) |
# | `K` | (N, S, d) | keys (encoder states) |
# | `V` | (N, S, dv) | values (encoder states again, in a seq2seq model) |
# | `mask` | (N, S) bool or None | True = real token, False = padding |
#
# $$e_{ts} = \frac{q_t \cdot k_s}{\sqrt d}, \qquad \alpha_{ts} = \frac{m_s\, e^{e_{ts}}}{\sum_{s'} m_{s'}\, e^{e_{ts'}}}, \qquad c_t = \sum_s \alpha_{ts} v_s$$
#
# `scaled_dot_scores` returns `scores` (N, Tq, S); `attention` returns `(context, weights)`. No caches. Large scores must not overflow.
#
# **Check your work** before you submit: *Kernel > Restart & Run All*, or in a terminal `course check 08_attention.ipynb`, which runs the visible tests and names the likely mistake when one fails. Hidden tests run when your notebook is graded; their cells show what they check.

# %%
import numpy as np

from course_pkg import grading

# %% [markdown]
# ## `scaled_dot_scores` (6 points)
#
# Write `scaled_dot_scores`: $e_{ts} = q_t \cdot k_s / \sqrt{d}$.

# %% nbgrader={"grade": false, "grade_id": "scaled_dot_scores", "locked": false, "schema_version": 3, "solution": true, "task": false}
def scaled_dot_scores(Q, K):
    """Scaled dot-product scores between every query and every key.

    Parameters
    ----------
    Q : ndarray of shape (N, Tq, d)
    K : ndarray of shape (N, S, d)

    Returns
    -------
    scores : ndarray of shape (N, Tq, S)
    """
    ### BEGIN SOLUTION
    d = Q.shape[-1]
    scores = Q @ K.transpose(0, 2, 1) / np.sqrt(d)  # (N, Tq, S)
    return scores
    ### END SOLUTION


# %% [markdown]
# ### Tests for `scaled_dot_scores`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_scores_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: scores is a float64 array of shape (N, Tq, S) = (2, 3, 4)."""
grading.check_shape(scaled_dot_scores, "scaled_dot_scores", N=2, Tq=3, S=4, d=5)

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_scores_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer: q_0 = [1, 0] and q_1 = [0, 1] pick out the first and second coordinate of each key, divided by sqrt(2)."""
Q = np.array([[[1., 0.],
           [0., 1.]]])
K = np.array([[[1., 1.],
           [2., 0.],
           [0., 3.]]])
grading.check_known(scaled_dot_scores, "scaled_dot_scores", (Q, K), np.array([[[0.707106781187, 1.414213562373, 0.            ],
           [0.707106781187, 0.            , 2.12132034356 ]]]), atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_scores_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: scaled_dot_scores agrees with the reference on random float64 inputs with non-zero biases, for several shapes (including N = 1, one query, one key, d = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(scaled_dot_scores, "scaled_dot_scores", shapes=[{}, {"N": 1}, {"Tq": 1}, {"S": 1}, {"d": 1}], seed=181)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_scores_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: scaled_dot_scores leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(scaled_dot_scores, "scaled_dot_scores", seed=7)
### END HIDDEN TESTS

# %% [markdown]
# ## `attention` (8 points)
#
# Write `attention`, using your `scaled_dot_scores`. (It is graded with a correct `scaled_dot_scores`, so a mistake there is not counted twice.)

# %% nbgrader={"grade": false, "grade_id": "attention", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention(Q, K, V, mask=None):
    """Masked scaled dot-product attention.

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
    """
    ### BEGIN SOLUTION
    scores = scaled_dot_scores(Q, K)  # (N, Tq, S)
    if mask is not None:
        # padding can never win: exp(-inf) = 0
        scores = np.where(mask[:, None, :], scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)  # stable softmax
    e = np.exp(scores)  # (N, Tq, S)
    weights = e / e.sum(axis=-1, keepdims=True)  # (N, Tq, S)
    context = weights @ V  # (N, Tq, dv)
    return context, weights
    ### END SOLUTION


# %% [markdown]
# ### Tests for `attention`
#
# Run each cell; a failure names the likely mistake and the section of the chapter to re-read.

# %% nbgrader={"grade": true, "grade_id": "test_attention_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: (context, weights) of shapes (3, 2, 6) and (3, 2, 4)."""
grading.check_shape(attention, "attention", N=3, Tq=2, S=4, d=5, dv=6)

# %% nbgrader={"grade": true, "grade_id": "test_attention_known", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Known answer: a zero query scores every key 0, so the weights are uniform over the two real tokens, the padded third token gets exactly 0, and the context is the mean of the first two values."""
Q = np.zeros((1, 1, 2))
K = np.array([[[1., 0.],
           [0., 1.],
           [5., 5.]]])
V = np.array([[[  1.,   0.],
           [  3.,   2.],
           [100., 100.]]])
mask = np.array([[True, True, False]])
expected = (np.array([[[2., 1.]]]), np.array([[[0.5, 0.5, 0. ]]]))
grading.check_known(attention, "attention", (Q, K, V, mask), expected, atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_attention_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: attention agrees with the reference on random float64 inputs with non-zero biases, for several shapes (with and without a mask, N = 1, one query, one source token)."""
### BEGIN HIDDEN TESTS
grading.check_reference(attention, "attention", shapes=[{}, {"masked": 0}, {"N": 1}, {"Tq": 1}, {"S": 1}], seed=191)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_stability", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: attention stays finite and correct when the inputs are large (scaled by 100.0): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(attention, "attention", seed=292, scale=100.0)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: attention leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(attention, "attention", seed=7)
### END HIDDEN TESTS
