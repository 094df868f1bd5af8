# %% [markdown]
# # Assignment 09: a character-level language model
#
# *Course "LSTMs and attention, by analogy". Read first: the project chapter "Project: a character-level language model" ([book/char_language_model.md](../../book/char_language_model.md) in the course repository, or the same chapter in the online book), after Chapter 7, "The whole cell, through time".*
#
# Mei's exam season (a short story written for the course, shipped with it) is read one character at a time by an LSTM that guesses the next character. It cannot read the whole story in one go: it reads it in chunks, and like Mei going from one exam to the next, it carries its memory (the state $h, c$) from one chunk to the next while the blame (the gradient) stops at the chunk's start. That is truncated backpropagation through time. Then it writes, one character at a time, more or less boldly: the temperature. (Where the analogy breaks: the model has no idea what the words mean; it only learns which characters tend to follow which.)
#
# ## What to do
#
# Fill in the body of `make_batches`, `charlm_forward`, `train_tbptt`, `next_char_probs` and `sample` where it says `YOUR CODE HERE` (keep the signatures and the docstrings), using numpy and the imported course functions. 18 points, split over the test cells below so that partial work earns partial credit. Training takes a few seconds; a progress bar shows it and a plot shows the loss.
#
# ## The contract
#
# - `make_batches(ids, seq_len, batch_size) -> (inputs, targets)`: cut the text `ids` (L,) into $N$ = `batch_size` equal consecutive streams and each stream into $K$ chunks of $T$ = `seq_len` characters, $K = \lfloor (L-1) / (TN) \rfloor$, $S = KT$: `inputs[k, t, n] = ids[n S + k T + t]` and `targets[k, t, n] = ids[n S + k T + t + 1]` (the **next** character), both int arrays of shape (K, T, N), time-major.
# - `charlm_forward(inputs, h0, c0, params) -> (logits, h, c)`: one-hot the ids (T, N) into $X$ (T, N, V), run `lstm_forward(X, h0, c0, params)` **from the given state**, `logits = hs @ W_y + b_y` (T, N, V); `h, c` are the states after the **last** character.
# - `train_tbptt(params, inputs, targets, lr, clip) -> (params, losses)`: one pass over the K chunks, starting from a zero state and `adam_init(params)`; for each chunk `loss, grads, (h, c) = charlm_loss_and_grads(params, inputs[k], targets[k], h, c)` with the state **carried over** from the previous chunk, then `clip_by_global_norm(grads, clip)` **before** `adam_step(params, grads, state, lr=lr)`. `losses` (K,) holds each chunk's loss.
# - `next_char_probs(logits, temperature) -> p`: $p = \mathrm{softmax}(y / \tau)$ over the last axis, the temperature dividing the **logits**, the softmax shifted by its maximum.
# - `sample(params, start_ids, n, temperature, seed) -> ids`: make the generator `np.random.default_rng(seed)`, then read the prompt `start_ids` (P,) from a zero state with `charlm_forward` (N = 1); then $n$ times: `p = next_char_probs(logits[-1, 0], temperature)`, draw `rng.choice(V, p=p)`, feed it from the current state. Return the $n$ generated ids, int64 (n,).
#
# Do not modify any argument.
#
# **Check your work** before you submit: *Kernel > Restart & Run All*, or in a terminal `course check 09_char_lm.ipynb`, which runs the visible tests and names the likely mistake when one fails. Hidden tests run when your notebook is graded; their cells show what they check.

# %%
import sys

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from course_pkg import grading
from course_pkg.charlm import (
    build_vocab,
    charlm_loss_and_grads,
    decode,
    encode,
    init_charlm_params,
    load_text,
    perplexity,
)
from course_pkg.lstm import lstm_forward
from course_pkg.optim import adam_init, adam_step, clip_by_global_norm

# %% [markdown]
# ## The text
#
# The story has about 12 000 characters; the vocabulary is every distinct character in it.

# %%
# While the grader runs your cells it needs only your functions: the training and
# sampling demos below are skipped then (grading.IN_GRADER is True only there).
DEMO = not grading.IN_GRADER
text = load_text()
vocab = build_vocab(text)
ids = encode(text, vocab)
print(len(text), "characters,", len(vocab), "distinct:", "".join(vocab).replace("\n", "\\n"))

# %% [markdown]
# ## `make_batches` (3 points)

# %% nbgrader={"grade": false, "grade_id": "make_batches", "locked": false, "schema_version": 3, "solution": true, "task": false}
def make_batches(ids, seq_len, batch_size):
    """Cut ids (L,) into (K, T, N) time-major chunks of inputs and next-character targets.

    Parameters
    ----------
    ids : ndarray of int, shape (L,)
    seq_len : int
        T, characters per chunk.
    batch_size : int
        N, parallel streams.

    Returns
    -------
    inputs, targets : ndarray of int, shape (K, T, N)
    """
    ### BEGIN SOLUTION
    T, N = seq_len, batch_size
    K = (len(ids) - 1) // (T * N)
    S = K * T
    x = ids[: N * S].reshape(N, K, T)  # stream n is ids[n S : (n + 1) S]
    y = ids[1 : N * S + 1].reshape(N, K, T)
    return x.transpose(1, 2, 0).copy(), y.transpose(1, 2, 0).copy()
    ### END SOLUTION


# %% [markdown]
# ### Tests for `make_batches`

# %% nbgrader={"grade": true, "grade_id": "test_make_batches_known", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""ids = 0, 1, ..., 12 with T = 3, N = 2: K = 2 chunks, stream 0 reads 0..5, stream 1 reads 6..11."""
inputs = np.array([[[0, 6], [1, 7], [2, 8]], [[3, 9], [4, 10], [5, 11]]])
grading.check_known(make_batches, "make_batches", (np.arange(13), 3, 2), (inputs, inputs + 1))

# %% nbgrader={"grade": true, "grade_id": "test_make_batches_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: make_batches agrees with the reference on random texts and chunk sizes."""
### BEGIN HIDDEN TESTS
grading.check_reference(make_batches, "make_batches", shapes=[{}, {"T": 1}, {"N": 1}, {"L": 100, "T": 7, "N": 3}], seed=9)
### END HIDDEN TESTS

# %% [markdown]
# ## `charlm_forward` (4 points)
#
# Use `lstm_forward` from `course_pkg.lstm` (imported above); it returns `(hs, cs, cache)`.

# %% nbgrader={"grade": false, "grade_id": "charlm_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def charlm_forward(inputs, h0, c0, params):
    """Logits for the next character after each character of a chunk.

    Parameters
    ----------
    inputs : ndarray of int, shape (T, N)
    h0, c0 : ndarray of shape (N, H)
        The state the chunk starts from.
    params : dict
        The LSTM's W_f ... b_o (W of shape (H + V, H)) and W_y (H, V), b_y (V,).

    Returns
    -------
    logits : ndarray of shape (T, N, V)
    h, c : ndarray of shape (N, H)
        The state after the last character.
    """
    ### BEGIN SOLUTION
    V = params["W_y"].shape[1]
    X = np.eye(V)[inputs]  # (T, N, V): one-hot
    hs, cs, _ = lstm_forward(X, h0, c0, params)  # (T, N, H) each
    logits = hs @ params["W_y"] + params["b_y"]  # (T, N, V)
    return logits, hs[-1], cs[-1]
    ### END SOLUTION


# %% [markdown]
# ### Tests for `charlm_forward`

# %% nbgrader={"grade": true, "grade_id": "test_charlm_forward_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shapes and dtype: logits (4, 3, 6), h and c (3, 5)."""
grading.check_shape(charlm_forward, "charlm_forward", T=4, N=3, V=6, H=5)

# %% nbgrader={"grade": true, "grade_id": "test_charlm_forward_known", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Zero LSTM weights and biases: every gate is 0.5 and g = 0, so from c0 = 2 one step gives c = 1, h = 0.5 tanh(1); logits = h W_y + b_y."""
p0 = {k: np.zeros_like(v) for k, v in init_charlm_params(2, 1).items()}
p0["W_y"], p0["b_y"] = np.array([[1.0, -1.0]]), np.array([0.5, 0.0])
h1 = 0.5 * np.tanh(1.0)
expected = (np.array([[[h1 + 0.5, -h1]]]), np.array([[h1]]), np.array([[1.0]]))
grading.check_known(charlm_forward, "charlm_forward", (np.array([[0]]), np.zeros((1, 1)), np.full((1, 1), 2.0), p0), expected)

# %% nbgrader={"grade": true, "grade_id": "test_charlm_forward_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: charlm_forward agrees with the reference (non-zero biases and initial state), including T = 1 and N = 1."""
### BEGIN HIDDEN TESTS
grading.check_reference(charlm_forward, "charlm_forward", shapes=[{}, {"T": 1}, {"N": 1}], seed=19)
### END HIDDEN TESTS

# %% [markdown]
# ## `train_tbptt` (5 points)
#
# `charlm_loss_and_grads(params, inputs, targets, h0, c0)` (imported above) runs the model over one chunk and returns `(loss, grads, (h, c))`; the gradient stops at `h0, c0`. Your loop carries the state and takes the steps.

# %% nbgrader={"grade": false, "grade_id": "train_tbptt", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_tbptt(params, inputs, targets, lr, clip):
    """One pass of truncated BPTT with Adam, clipping by global norm before each step.

    Parameters
    ----------
    params : dict
    inputs, targets : ndarray of int, shape (K, T, N)
    lr : float
    clip : float

    Returns
    -------
    params : dict
        The parameters after K steps.
    losses : ndarray of shape (K,)
        The loss of each chunk.
    """
    ### BEGIN SOLUTION
    K, _, N = inputs.shape
    H = params["b_f"].shape[0]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    state = adam_init(params)
    losses = np.zeros(K)
    for k in range(K):
        losses[k], grads, (h, c) = charlm_loss_and_grads(params, inputs[k], targets[k], h, c)
        grads, _ = clip_by_global_norm(grads, clip)
        params, state = adam_step(params, grads, state, lr=lr)
    return params, losses
    ### END SOLUTION


# %% [markdown]
# ### Tests for `train_tbptt`

# %% nbgrader={"grade": true, "grade_id": "test_train_tbptt_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shapes: params with the same keys and shapes, losses (4,)."""
grading.check_shape(train_tbptt, "train_tbptt")

# %% nbgrader={"grade": true, "grade_id": "test_train_tbptt_known", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""All-zero parameters, V = 2, one chunk of one character: the loss is log 2, and Adam's first step moves only b_y, by lr against the sign of its gradient (0.5, -0.5)."""
p0 = {k: np.zeros_like(v) for k, v in init_charlm_params(2, 1).items()}
step = 0.1 * 0.5 / (0.5 + 1e-8)  # lr * m / (sqrt(v) + eps), Adam's eps = 1e-8
expected = ({**p0, "b_y": np.array([-step, step])}, np.array([np.log(2.0)]))
grading.check_known(train_tbptt, "train_tbptt", (p0, np.array([[[0]]]), np.array([[[1]]]), 0.1, 1.0), expected)

# %% nbgrader={"grade": true, "grade_id": "test_train_tbptt_steps", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: a few steps on a tiny random text agree with the reference: the state is carried from chunk to chunk, and clipping comes before the step."""
### BEGIN HIDDEN TESTS
grading.check_reference(train_tbptt, "train_tbptt", shapes=[{}, {"K": 3, "N": 1}], seed=29)
### END HIDDEN TESTS

# %% [markdown]
# ## Training
#
# Ten passes over the story, 25 characters per chunk, 32 streams (a few seconds). Perplexity is $e^{\text{loss}}$: how many characters the model hesitates between, on average (56 for a uniform guess).

# %%
inputs, targets = make_batches(ids, 25, 32)
params = init_charlm_params(len(vocab), 64, rng=0)
history = []
if DEMO:
    with threadpool_limits(limits=1, user_api="blas"):  # small products: one thread is fastest
        for _ in tqdm(range(10), desc="training", file=sys.stdout):
            params, losses = train_tbptt(params, inputs, targets, 0.02, 1.0)
            history.extend(losses)
        print(f"perplexity on the story: {perplexity(params, ids[:2000]):.2f}")

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(history)
    ax.set_xlabel("step (one chunk)")
    ax.set_ylabel("loss (nats per character)")
    ax.set_title("Training loss")
    plt.show()

# %% [markdown]
# ## `next_char_probs` (2 points)

# %% nbgrader={"grade": false, "grade_id": "next_char_probs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def next_char_probs(logits, temperature):
    """softmax(logits / temperature) over the last axis.

    Parameters
    ----------
    logits : ndarray of shape (..., V)
    temperature : float
        Positive.

    Returns
    -------
    p : ndarray of shape (..., V)
    """
    ### BEGIN SOLUTION
    y = logits / temperature
    p = np.exp(y - y.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)
    ### END SOLUTION


# %% [markdown]
# ### Tests for `next_char_probs`

# %% nbgrader={"grade": true, "grade_id": "test_next_char_probs_known", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Logits (0, log 3): probabilities (1/4, 3/4) at temperature 1 and (1/10, 9/10) at temperature 1/2."""
logits = np.array([[0.0, np.log(3.0)]])
grading.check_known(next_char_probs, "next_char_probs", (logits, 1.0), np.array([[0.25, 0.75]]))
grading.check_known(next_char_probs, "next_char_probs", (logits, 0.5), np.array([[0.1, 0.9]]))

# %% nbgrader={"grade": true, "grade_id": "test_next_char_probs_random", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: next_char_probs agrees with the reference, also on large logits (scaled by 300): no overflow."""
### BEGIN HIDDEN TESTS
grading.check_reference(next_char_probs, "next_char_probs", shapes=[{}, {"N": 1, "V": 2}], seed=39)
grading.check_reference(next_char_probs, "next_char_probs", seed=49, scale=300.0)
### END HIDDEN TESTS

# %% [markdown]
# ## `sample` (4 points)

# %% nbgrader={"grade": false, "grade_id": "sample", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sample(params, start_ids, n, temperature, seed):
    """Generate n character ids after the prompt start_ids.

    Parameters
    ----------
    params : dict
    start_ids : ndarray of int, shape (P,)
    n : int
    temperature : float
    seed : int
        For np.random.default_rng; draw each character with rng.choice(V, p=p).

    Returns
    -------
    ids : ndarray of int64, shape (n,)
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    H = params["b_f"].shape[0]
    V = params["W_y"].shape[1]
    h, c = np.zeros((1, H)), np.zeros((1, H))
    logits, h, c = charlm_forward(start_ids[:, None], h, c, params)  # (P, 1, V)
    out = np.zeros(n, dtype=np.int64)
    for k in range(n):
        p = next_char_probs(logits[-1, 0], temperature)  # (V,)
        out[k] = rng.choice(V, p=p)
        logits, h, c = charlm_forward(out[k : k + 1, None], h, c, params)  # (1, 1, V)
    return out
    ### END SOLUTION


# %% [markdown]
# ### Tests for `sample`

# %% nbgrader={"grade": true, "grade_id": "test_sample_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Shape and dtype: 12 int64 ids."""
grading.check_shape(sample, "sample")

# %% nbgrader={"grade": true, "grade_id": "test_sample_known", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""A model whose output bias makes character 1 almost certain (logit 50): it writes 1, 1, 1, 1 whatever the seed."""
p0 = {k: np.zeros_like(v) for k, v in init_charlm_params(3, 2).items()}
p0["b_y"] = np.array([0.0, 50.0, 0.0])
grading.check_known(sample, "sample", (p0, np.array([0, 2]), 4, 1.0, 0), np.array([1, 1, 1, 1]))

# %% nbgrader={"grade": true, "grade_id": "test_sample_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""Hidden test: with the same seed, sample draws the same characters as the reference (the state carried, the whole prompt read, each character drawn, not the argmax)."""
### BEGIN HIDDEN TESTS
grading.check_reference(sample, "sample", shapes=[{}, {"P": 1}, {"n": 30, "V": 9}], seed=59)
### END HIDDEN TESTS

# %% [markdown]
# ## What the model writes
#
# Low temperatures play safe and repeat the commonest words; high ones invent letters.

# %%
for temperature in (0.3, 0.7, 1.0, 1.5) if DEMO else ():
    out = sample(params, encode("Mei ", vocab), 150, temperature, seed=0)
    print(f"--- temperature {temperature}\nMei {decode(out, vocab)}\n")
