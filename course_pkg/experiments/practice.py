r"""Experiments for chapter 12, "Training recurrent networks in practice".

* :func:`truncation_bias` -- how far the truncated-BPTT gradient is from the
  full one, as the chunk grows (an untrained LSTM, no training);
* :func:`recall_by_chunk` -- train an LSTM with truncated BPTT to recall the
  symbol it saw ``delay`` steps ago: chunks no longer than the delay cannot
  teach it;
* :func:`clipping_sweep` -- the adding problem of chapter 2 trained with
  several clipping thresholds (reuses
  :func:`course_pkg.experiments.gradient_flow.exploding_gradients`);
* :func:`init_comparison` -- the recall task with different starts: forget
  bias 0 or 1, Gaussian or orthogonal recurrent weights;
* :func:`lookahead_comparison` -- a task that needs the *next* symbol:
  unidirectional against bidirectional layers.

The recall stream
-----------------
:func:`recall_stream` draws ``N`` independent streams of symbols from an
alphabet of ``V``; the input at step :math:`t` is the one-hot symbol
:math:`s_t` and the target is :math:`s_{t-d}` for a delay :math:`d`
(undefined, and masked out of the loss, for :math:`t < d`). Guessing scores
:math:`1/V`. A network that keeps the last :math:`d` symbols scores 1.

Each function is seeded, deterministic and runs in seconds on two cores at
its defaults (``benchmarks/bench_experiments.py``).

References
----------
Williams, R. J. and Peng, J. (1990). An efficient gradient-based algorithm for
on-line training of recurrent network trajectories. Neural Computation 2(4).
Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training
recurrent neural networks. ICML.
Jozefowicz, R., Zaremba, W. and Sutskever, I. (2015). An empirical exploration
of recurrent network architectures. ICML.
Schuster, M. and Paliwal, K. K. (1997). Bidirectional recurrent neural networks.
IEEE Transactions on Signal Processing 45(11).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .. import cells
from .._checks import check_count
from ..init import orthogonal
from ..losses import readout_cross_entropy
from ..optim import adam_init, adam_step, clip_by_global_norm
from ..stacked import init_stacked_params, stacked_backward, stacked_forward
from ..truncated import truncated_bptt, truncated_bptt_step
from . import _map_runs, single_threaded_blas
from .gradient_flow import exploding_gradients

__all__ = [
    "recall_stream",
    "truncation_bias",
    "train_recall",
    "recall_by_chunk",
    "clipping_sweep",
    "init_comparison",
    "lookahead_comparison",
]

_CELL_KEYS = ("W_f", "b_f", "W_i", "b_i", "W_g", "b_g", "W_o", "b_o")


def recall_stream(
    N: int, T: int, V: int, delay: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""``N`` streams of random symbols whose target is the symbol ``delay`` steps back.

    Parameters
    ----------
    N, T : int
        Number of streams and their length.
    V : int
        Alphabet size (>= 2).
    delay : int
        :math:`d \ge 0`; the target at step :math:`t` is :math:`s_{t-d}`.
    rng : numpy Generator

    Returns
    -------
    X : ndarray of shape (T, N, V)
        One-hot inputs.
    y : ndarray of int, shape (T, N)
        Targets (0 where undefined).
    mask : ndarray of bool, shape (T, N)
        False for :math:`t < d`.

    Notes
    -----
    .. math:: y_t = s_{t-d} \ (t \ge d), \qquad s_t \sim U\{0, \dots, V-1\}

    See Also
    --------
    train_recall
    Book chapter 12, "Training recurrent networks in practice".
    """
    N, T, V = check_count("N", N, 1), check_count("T", T, 1), check_count("V", V, 2)
    delay = check_count("delay", delay, 0)
    s = rng.integers(0, V, size=(T + delay, N))  # (T + d, N): d symbols of "past" first
    X = np.eye(V)[s[delay:]]  # (T, N, V)
    y = s[:T].copy()  # (T, N): s_{t-d} for the visible step t
    mask = np.ones((T, N), dtype=bool)
    mask[:delay] = False
    y[~mask] = 0
    return X, y, mask


def _readout_loss(hs, W_out, b_out, y, mask):
    """The read-out's cross-entropy with its gradients keyed by the parameters' names."""
    loss, dhs, dW, db, logits = readout_cross_entropy(hs, W_out, b_out, y, mask)
    return loss, dhs, {"W_out": dW, "b_out": db}, logits


@single_threaded_blas
def truncation_bias(
    chunks: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
    T: int = 64,
    N: int = 8,
    D: int = 4,
    H: int = 16,
    seed: int = 0,
    *,
    forget_bias: float = 1.0,
) -> dict:
    r"""How far the truncated gradient is from the full one, chunk length by chunk length.

    An untrained LSTM reads ``T`` random inputs; the loss reads every hidden
    state, :math:`L = \sum_t w_t \cdot h_t` with fixed random :math:`w_t`
    (like a language model's loss at every step). For each chunk length the
    truncated gradient of all LSTM weights is compared with the full BPTT
    gradient; a second loss, on the last step only, shows which inputs
    receive any gradient.

    Parameters
    ----------
    chunks : sequence of int
        Chunk lengths :math:`k` to try.
    T, N, D, H : int
        Sequence length, batch, input and hidden sizes.
    seed : int
    forget_bias : float, default 1.0

    Returns
    -------
    dict
        ``"chunk"``: int ndarray of shape (K,); ``"rel_error"``: ndarray of
        shape (K,), :math:`\lVert \tilde g_k - g \rVert / \lVert g \rVert`;
        ``"cosine"``: ndarray of shape (K,), the cosine between
        :math:`\tilde g_k` and :math:`g`; ``"dx_full"``: ndarray of shape (T,),
        the mean :math:`\lVert \partial L_T / \partial x_t \rVert` for the
        last-step loss with full BPTT; ``"dx_trunc"``: ndarray of shape (K, T),
        the same for every chunk length.

    Notes
    -----
    .. math:: \text{rel\_error}(k) = \frac{\lVert \tilde g_k - \tilde g_T \rVert}
              {\lVert \tilde g_T \rVert}

    See Also
    --------
    course_pkg.truncated.truncated_bptt
    Book chapter 12, "Training recurrent networks in practice".
    """
    ks = np.array([check_count("chunk", k, 1) for k in chunks])
    rng = np.random.default_rng(seed)
    params = cells.init_params("lstm", D, H, rng, forget_bias=forget_bias)
    X = rng.normal(size=(T, N, D))  # (T, N, D)
    w = rng.normal(size=(T, N, H)) / N  # (T, N, H)
    last = np.zeros((T, N, H))
    last[-1] = w[-1]

    def every_step(hs, chunk):
        return float(np.sum(w[chunk] * hs)), w[chunk], {}

    def last_step(hs, chunk):
        return float(np.sum(last[chunk] * hs)), last[chunk], {}

    def flat(grads):
        return np.concatenate([grads[k].ravel() for k in sorted(grads)])

    g_full = flat(truncated_bptt(X, params, every_step, T)[1])
    dx_full = np.linalg.norm(truncated_bptt(X, params, last_step, T)[2], axis=2).mean(axis=1)
    rel, cos, dx_trunc = [], [], []
    for k in ks:
        g = flat(truncated_bptt(X, params, every_step, int(k))[1])
        rel.append(np.linalg.norm(g - g_full) / np.linalg.norm(g_full))
        cos.append(float(g @ g_full / (np.linalg.norm(g) * np.linalg.norm(g_full))))  # () scalar
        dX = truncated_bptt(X, params, last_step, int(k))[2]
        dx_trunc.append(np.linalg.norm(dX, axis=2).mean(axis=1))  # (T,)
    return {"chunk": ks, "rel_error": np.array(rel), "cosine": np.array(cos),
            "dx_full": dx_full, "dx_trunc": np.array(dx_trunc)}


def _init_recall(V: int, H: int, rng: np.random.Generator, forget_bias: float,
                 recurrent: str) -> dict[str, np.ndarray]:
    params = cells.init_params("lstm", V, H, rng, forget_bias=forget_bias)
    if recurrent == "orthogonal":
        for key in ("W_f", "W_i", "W_g", "W_o"):
            params[key][:H] = orthogonal((H, H), rng)
    elif recurrent == "gaussian":
        for key in ("W_f", "W_i", "W_g", "W_o"):
            params[key][:H] = rng.normal(0.0, 1.0 / math.sqrt(H), size=(H, H))
    elif recurrent != "default":
        raise ValueError(f"recurrent must be 'default', 'gaussian' or 'orthogonal', got "
                         f"{recurrent!r}.")
    params["W_out"] = np.zeros((H, V))
    params["b_out"] = np.zeros(V)
    return params


@single_threaded_blas
def train_recall(
    chunk: int,
    delay: int = 6,
    steps: int = 300,
    seed: int = 0,
    *,
    V: int = 4,
    H: int = 24,
    N: int = 32,
    lr: float = 1e-2,
    clip: float | None = 1.0,
    forget_bias: float = 1.0,
    recurrent: str = "default",
    eval_T: int = 200,
) -> dict:
    r"""Train an LSTM on the recall stream with truncated BPTT, one Adam step per chunk.

    ``N`` streams run on and on; each update reads the next ``chunk`` steps
    of every stream from the state the last chunk left (carried, detached),
    backpropagates inside the chunk only and takes one Adam step.

    Parameters
    ----------
    chunk : int
        Truncation length :math:`k`.
    delay : int
        The recall delay :math:`d`.
    steps : int
        Number of updates (chunks); the network reads ``steps * chunk`` steps
        of every stream.
    seed : int
        Seeds the weights, the training streams and the evaluation stream.
    V, H, N : int
        Alphabet, hidden and batch sizes.
    lr : float
        Adam learning rate.
    clip : float or None
        Clip each chunk's gradient to this global norm.
    forget_bias : float
        Added to the LSTM's forget bias.
    recurrent : {"default", "gaussian", "orthogonal"}
        The recurrent blocks ``W[:H]`` of the four gates: the package's uniform
        start, Gaussian with standard deviation :math:`1/\sqrt H` (spectral
        radius near 1), or orthogonal.
    eval_T : int
        Length of the held-out stream the accuracy is measured on.

    Returns
    -------
    dict
        ``"loss"``: list of the per-chunk losses; ``"accuracy"``: float,
        held-out recall accuracy (steps :math:`t \ge d`, forward over the whole
        evaluation stream); ``"chance"``: :math:`1/V`.

    Notes
    -----
    Per update: :func:`course_pkg.truncated.truncated_bptt_step`, then
    :math:`g \leftarrow \min(1, \tau / \lVert g \rVert)\, g` and Adam.

    See Also
    --------
    recall_by_chunk, course_pkg.truncated.truncated_bptt_step
    Book chapter 12, "Training recurrent networks in practice".
    """
    chunk = check_count("chunk", chunk, 1)
    steps = check_count("steps", steps, 1)
    rng = np.random.default_rng(seed)
    params = _init_recall(V, H, rng, forget_bias, recurrent)
    data_rng = np.random.default_rng([seed, 1])
    X, y, mask = recall_stream(N, steps * chunk, V, delay, data_rng)
    state = cells.zero_state("lstm", N, H)
    opt = adam_init(params)
    losses = []
    for s in range(steps):
        sl = slice(s * chunk, (s + 1) * chunk)
        cell_p = {k: params[k] for k in _CELL_KEYS}

        def chunk_loss(hs, sl=sl, W_out=params["W_out"], b_out=params["b_out"]):
            loss, dhs, g, _ = _readout_loss(hs, W_out, b_out, y[sl], mask[sl])
            return loss, dhs, g

        if not mask[sl].any():  # the first chunks may lie entirely before the first target
            state = cells.get_cell("lstm").forward(X[sl], state, cell_p)[1]
            continue
        loss, grads, _, state = truncated_bptt_step(X[sl], state, cell_p, chunk_loss, "lstm")
        if clip is not None:
            grads, _ = clip_by_global_norm(grads, clip)
        params, opt = adam_step(params, grads, opt, lr=lr)
        losses.append(loss)
    Xe, ye, me = recall_stream(N, eval_T, V, delay, np.random.default_rng([seed, 2]))
    cell_p = {k: params[k] for k in _CELL_KEYS}
    hs, _, _ = cells.get_cell("lstm").forward(Xe, cells.zero_state("lstm", N, H), cell_p)
    logits = hs @ params["W_out"] + params["b_out"]  # (T, N, V)
    acc = float((np.argmax(logits, axis=2) == ye)[me].mean())
    return {"loss": losses, "accuracy": acc, "chance": 1.0 / V}


def recall_by_chunk(
    chunks: Sequence[int] = (2, 4, 6, 8, 12),
    delay: int = 6,
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 300,
) -> dict:
    r"""Held-out recall accuracy for every chunk length (and seed).

    Parameters
    ----------
    chunks : sequence of int
        Truncation lengths to train with.
    delay : int
        The recall delay :math:`d`.
    seeds : sequence of int
        One training run per chunk length and seed.
    steps : int
        Updates per run (the same number for every chunk length).

    Returns
    -------
    dict
        ``"chunk"``: int ndarray of shape (K,); ``"accuracy"``: ndarray of
        shape (K, S), one column per seed; ``"delay"``; ``"chance"``.

    Notes
    -----
    In a chunk that starts at step :math:`s`, the target at :math:`t` comes
    from step :math:`t - d`, which is inside the chunk only if
    :math:`t - d \ge s`. With :math:`k \le d` that never happens: no target's
    gradient reaches the step where its symbol was read.

    See Also
    --------
    train_recall
    Book chapter 12, "Training recurrent networks in practice".
    """
    ks = np.array([check_count("chunk", k, 1) for k in chunks])
    seeds = list(seeds)
    # independent runs: in COURSE_EXPERIMENT_WORKERS processes if set, longest chunks first
    runs = [(int(k), delay, steps, seed) for k in ks for seed in seeds]
    acc = np.array([r["accuracy"] for r in _map_runs(train_recall, runs,
                                                     cost=[r[0] for r in runs])])
    acc = acc.reshape(len(ks), len(seeds))  # (K, S)
    return {"chunk": ks, "accuracy": acc, "delay": delay, "chance": 0.25}


def clipping_sweep(
    thresholds: Sequence[float | None] = (0.01, 0.1, 1.0, 10.0, None),
    seed: int = 0,
    steps: int = 300,
) -> dict:
    r"""The exploding RNN of chapter 2 trained with several clipping thresholds.

    Parameters
    ----------
    thresholds : sequence of float or None
        Maximum global gradient norms :math:`\tau`; None trains unclipped.
    seed : int
    steps : int
        SGD steps per run.

    Returns
    -------
    dict
        ``"threshold"``: the thresholds; ``"final_loss"``: list of float,
        the mean loss of the last 50 steps (``inf`` for a run that diverged);
        ``"diverged_at"``: list of int or None; ``"runs"``: the histories of
        :func:`course_pkg.experiments.gradient_flow.exploding_gradients`.

    Notes
    -----
    Clipping caps the step length at :math:`\eta \tau`: too small a
    :math:`\tau` slows learning like a tiny learning rate, too large a one
    lets the rare huge gradients through.

    See Also
    --------
    course_pkg.experiments.gradient_flow.exploding_gradients
    Book chapter 2, "When memory fades"; chapter 12, "Training recurrent
    networks in practice".
    """
    runs = [exploding_gradients(seed=seed, steps=steps, clip=tau) for tau in thresholds]
    final = [float(np.mean(r["loss"][-50:])) if r["diverged_at"] is None else math.inf
             for r in runs]
    return {"threshold": list(thresholds), "final_loss": final,
            "diverged_at": [r["diverged_at"] for r in runs], "runs": runs}


def init_comparison(
    delay: int = 12,
    chunk: int = 16,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    steps: int = 200,
    starts: Mapping[str, tuple[float, str]] | None = None,
) -> dict:
    r"""Recall accuracy with different initialisations of the LSTM.

    Parameters
    ----------
    delay, chunk : int
        The recall delay and the truncation length (longer than the delay,
        so that the task is learnable).
    seeds : sequence of int
        One training run per start and seed (the seed draws the weights and
        the data; every start sees the same data for a given seed).
    steps : int
        Updates per run.
    starts : dict, optional
        Label -> ``(forget_bias, recurrent)``; default: forget bias 0 and 1
        with the package's start, and forget bias 1 with Gaussian and with
        orthogonal recurrent weights.

    Returns
    -------
    dict
        ``"labels"``: list of str; ``"accuracy"``: ndarray of shape (M, S), one
        row per start and one column per seed; ``"loss"``: list (per start) of
        lists (per seed) of per-chunk losses; ``"seeds"``: the seeds.

    Notes
    -----
    A forget gate at :math:`\sigma(b_f)` keeps about :math:`1/(1 - \sigma(b_f))`
    steps of memory at the start: 2 steps for :math:`b_f = 0`, 4 for 1.

    See Also
    --------
    train_recall, course_pkg.init.orthogonal
    Book chapter 12, "Training recurrent networks in practice".
    """
    if starts is None:
        starts = {"forget bias 0": (0.0, "default"), "forget bias 1": (1.0, "default"),
                  "bias 1, Gaussian W_h": (1.0, "gaussian"),
                  "bias 1, orthogonal W_h": (1.0, "orthogonal")}
    seeds = list(seeds)
    # independent runs: in COURSE_EXPERIMENT_WORKERS processes if set
    runs = iter(_map_runs(_recall_from, [(chunk, delay, steps, seed, fb, rec)
                                         for fb, rec in starts.values() for seed in seeds]))
    acc, losses = [], []
    for _ in starts:
        per_seed = [next(runs) for _ in seeds]
        acc.append([r["accuracy"] for r in per_seed])
        losses.append([r["loss"] for r in per_seed])
    return {"labels": list(starts), "accuracy": np.array(acc), "loss": losses,
            "seeds": seeds}


def _recall_from(chunk: int, delay: int, steps: int, seed: int, forget_bias: float,
                 recurrent: str) -> dict:
    """:func:`train_recall` with a given start, by position (for ``_map_runs``)."""
    return train_recall(chunk, delay, steps, seed, forget_bias=forget_bias,
                        recurrent=recurrent)


@single_threaded_blas
def lookahead_comparison(
    shift: int = 1,
    seed: int = 0,
    steps: int = 200,
    *,
    T: int = 20,
    V: int = 4,
    H: int = 16,
    N: int = 32,
    lr: float = 1e-2,
) -> dict:
    r"""Predict the symbol ``shift`` steps *ahead*: unidirectional against bidirectional.

    The input is a stream of one-hot symbols, the target at step :math:`t` is
    :math:`s_{t + \text{shift}}` (masked out at the last ``shift`` steps).
    A unidirectional LSTM has not read it yet and can only guess; the
    reverse direction of a bidirectional LSTM read it one step ago.

    Parameters
    ----------
    shift : int
        How far ahead the target lies (>= 1).
    seed : int
    steps : int
        Adam steps, a fresh batch each.
    T, V, H, N : int
        Sequence length, alphabet, hidden size and batch size.
    lr : float

    Returns
    -------
    dict
        ``"unidirectional"``, ``"bidirectional"``: dicts with ``"loss"``
        (list per step) and ``"accuracy"`` (held-out); ``"chance"``: :math:`1/V`.

    Notes
    -----
    Both models are :func:`course_pkg.stacked.stacked_forward` with one layer
    and a linear read-out of :math:`y_t` (width :math:`H` or :math:`2H`).

    See Also
    --------
    course_pkg.bidirectional.bidirectional_forward
    Book chapter 12, "Training recurrent networks in practice".
    """
    shift = check_count("shift", shift, 1)
    result: dict = {"chance": 1.0 / V}
    for bi in (False, True):
        rng = np.random.default_rng(seed)
        params = init_stacked_params(V, H, 1, rng, cell="lstm", bidirectional=bi,
                                     forget_bias=1.0)
        W = 2 * H if bi else H
        params["W_out"] = np.zeros((W, V))
        params["b_out"] = np.zeros(V)
        data_rng = np.random.default_rng([seed, 1])

        def batch(r):
            Xs, _, _ = recall_stream(N, T + shift, V, 0, r)
            s = np.argmax(Xs, axis=2)  # (T + shift, N)
            mask = np.ones((T, N), dtype=bool)
            return Xs[:T], s[shift:], mask

        def loss_and_grads(p, X, y, mask):
            core = {k: v for k, v in p.items() if not k.endswith("_out")}
            out, _, cache = stacked_forward(X, core, "lstm")
            loss, dout, g, logits = _readout_loss(out, p["W_out"], p["b_out"], y, mask)
            _, _, grads = stacked_backward(dout, cache)
            return loss, {**grads, **g}, logits

        opt = adam_init(params)
        losses = []
        for _ in range(steps):
            loss, grads, _ = loss_and_grads(params, *batch(data_rng))
            params, opt = adam_step(params, grads, opt, lr=lr)
            losses.append(loss)
        Xe, ye, me = batch(np.random.default_rng([seed, 2]))
        _, _, logits = loss_and_grads(params, Xe, ye, me)
        acc = float((np.argmax(logits, axis=2) == ye).mean())  # (T, N) compared
        result["bidirectional" if bi else "unidirectional"] = {"loss": losses, "accuracy": acc}
    return result
