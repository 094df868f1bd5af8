# %% [markdown]
# # Assignment 08: attention
#
# *Course "LSTMs and attention, by analogy". Read first: Chapter 10, "Attention" ([book/10_attention.md](../../book/10_attention.md) in the course repository, or the same chapter in the online book).*
#
# Ask someone "What's your name?" and they answer with a long story. To reply you do not weigh every sentence equally: the first sentence ("I'm Lena...") and the last ("my surname is Ferreira") matter, the middle does not. Attention gives a decoder that skill: at every output step it scores each encoder state against what it is looking for (the query), turns the scores into weights with a softmax, and reads a weighted average of the values. Padding is never worth reading, so it gets weight exactly 0. (Where the analogy breaks: the weights are recomputed from scratch at every step and nothing is "remembered" between them.)
#
# ## What to do
#
# Fill in the body of `scaled_dot_scores`, `attention` where it says `YOUR CODE HERE` (keep the signature and the docstring), using numpy only. 15 points, split over the test cells below so that partial work earns partial credit.
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
"""Known answer, worked by hand, for N=1, Tq=2 queries, S=3 keys and d=4, so sqrt(d) = 2: scores[0, t, s] = q_t . k_s / 2, e.g. q_0 . k_0 = 1 + 2 - 1 + 1 = 3 gives 1.5, and the scores are [[1.5, 0.5, 7.5], [-0.5, -3, -4.5]]."""
Q = np.array([[[ 1.,  2., -1.,  1.],     # q_0
               [-2.,  1.,  1., -1.]]])   # q_1
K = np.array([[[ 1.,  1.,  1.,  1.],     # k_0
               [ 2., -1.,  1.,  2.],     # k_1
               [ 3.,  3., -3.,  3.]]])   # k_2
expected = np.array([[[ 1.5,  0.5,  7.5],
                      [-0.5, -3. , -4.5]]])
grading.check_known(scaled_dot_scores, "scaled_dot_scores", (Q, K), expected, atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_scores_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: scaled_dot_scores agrees with the reference on random float64 inputs, for several shapes (including N = 1, one query, one key, d = 1)."""
### BEGIN HIDDEN TESTS
grading.check_reference(scaled_dot_scores, "scaled_dot_scores", shapes=[{}, {"N": 1}, {"Tq": 1}, {"S": 1}, {"d": 1}], seed=181)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_scores_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: scaled_dot_scores leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(scaled_dot_scores, "scaled_dot_scores", seed=7)
### END HIDDEN TESTS

# %% [markdown]
# ## `attention` (9 points)
#
# Write `attention`, using your `scaled_dot_scores`. (It is graded with a correct `scaled_dot_scores`, so a mistake there is not counted twice.)
#
# Subtract each row's largest score over the real positions before `np.exp` (chapter 10, "Computing it safely"), so that large scores cannot overflow. Every row has at least one real token (the mask has a True in every row); you do not need to handle an all-padding row. You may not call `course_pkg.activations.masked_softmax`: the masked softmax is the exercise.

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
"""Known answer, for N=1, Tq=2, S=3, d=4 and dv=5, with the Q and K of the test above (scores [[1.5, 0.5, 7.5], [-0.5, -3, -4.5]]): the third token is padding, so it gets weight exactly 0 although its score 7.5 is the largest; the weights over the two real tokens are softmax([1.5, 0.5]) = [sigmoid(1), sigmoid(-1)] and softmax([-0.5, -3]) = [sigmoid(2.5), sigmoid(-2.5)], and the context is weights @ V."""
Q = np.array([[[ 1.,  2., -1.,  1.],     # q_0
               [-2.,  1.,  1., -1.]]])   # q_1
K = np.array([[[ 1.,  1.,  1.,  1.],     # k_0
               [ 2., -1.,  1.,  2.],     # k_1
               [ 3.,  3., -3.,  3.]]])   # k_2
V = np.array([[[  1.,  -1.,   2.,   0.5,   3.],
               [  3.,   1.,  -2.,   1.5,  -1.],
               [100., 100., 100., 100.,  100.]]])   # padding: must not be read
mask = np.array([[True, True, False]])
context = np.array([[[ 1.53788284274 , -0.46211715726 ,  0.92423431452 ,  0.76894142137 ,  1.92423431452 ],
                     [ 1.151716360042, -0.848283639958,  1.696567279915,  0.575858180021,  2.696567279915]]])
weights = np.array([[[0.73105857863 , 0.26894142137 , 0.            ],
                     [0.924141819979, 0.075858180021, 0.            ]]])
expected = (context, weights)
grading.check_known(attention, "attention", (Q, K, V, mask), expected, atol=1e-9)

# %% nbgrader={"grade": true, "grade_id": "test_attention_random", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: attention agrees with the reference on random float64 inputs, for several shapes (with and without a mask, N = 1, one query, one source token)."""
### BEGIN HIDDEN TESTS
grading.check_reference(attention, "attention", shapes=[{}, {"masked": 0}, {"N": 1}, {"Tq": 1}, {"S": 1}], seed=191)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_stability", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: attention stays finite and correct when the inputs are large (scaled by 100.0): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(attention, "attention", seed=292, scale=100.0)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_stability_unmasked", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: attention stays finite and correct without a mask (mask=None) when the inputs are large (scaled by 100.0): no overflow, no NaN."""
### BEGIN HIDDEN TESTS
grading.check_reference(attention, "attention", shapes=[{"masked": 0}], seed=293, scale=100.0)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: attention leaves its arguments unchanged (no in-place updates)."""
### BEGIN HIDDEN TESTS
grading.check_inputs_unchanged(attention, "attention", seed=7)
### END HIDDEN TESTS
