r"""A character-level language model: an LSTM that reads a text and guesses the next character.

The model reads one character at a time, as a one-hot vector of size ``V``
(the vocabulary), updates an LSTM state and scores every character of the
vocabulary for the next position:

.. math::
    h_t, c_t = \mathrm{LSTM}(\mathrm{onehot}(x_t), h_{t-1}, c_{t-1}), \qquad
    y_t = h_t W_y + b_y, \qquad p(x_{t+1} \mid x_{\le t}) = \operatorname{softmax}(y_t)

* :func:`build_vocab`, :func:`encode`, :func:`decode` -- text to ids and back.
* :func:`init_charlm_params` -- the LSTM's parameters (``D = V``) plus ``W_y, b_y``.
* :func:`charlm_forward`, :func:`charlm_backward` -- one chunk, with the state
  passed in and the final state returned.
* :func:`charlm_loss_and_grads` -- forward, cross-entropy, backward of one chunk:
  one :func:`course_pkg.truncated.truncated_bptt_step`.
* :func:`make_batches` -- cut a long text into ``N`` parallel streams and chunks
  of ``T`` characters, targets shifted by one.
* :func:`train_charlm` -- truncated backpropagation through time: the state is
  carried from chunk to chunk, the gradient is not; clipping by global norm
  before each Adam step.
* :func:`perplexity`, :func:`sample` -- evaluation and generation with a temperature.

References
----------
Graves, A. (2013). Generating sequences with recurrent neural networks. arXiv:1308.0850.
Karpathy, A. (2015). The unreasonable effectiveness of recurrent neural networks. Blog post.
Williams, R. J. and Peng, J. (1990). An efficient gradient-based algorithm for
on-line training of recurrent network trajectories. Neural Computation 2(4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from importlib import resources

import numpy as np

from ._checks import check_array
from .experiments import single_threaded_blas
from .losses import readout_backward, readout_cross_entropy, softmax_cross_entropy
from .lstm import init_lstm_params, lstm_backward, lstm_forward
from .optim import adam_init, adam_step, clip_by_global_norm
from .truncated import truncated_bptt_step

__all__ = [
    "build_vocab",
    "charlm_backward",
    "charlm_forward",
    "charlm_loss_and_grads",
    "decode",
    "encode",
    "init_charlm_params",
    "load_text",
    "make_batches",
    "next_char_probs",
    "perplexity",
    "sample",
    "sample_ids",
    "train_charlm",
]

TEXT_FILE = "exam_season.txt"


def load_text() -> str:
    """The course's small text (about 12 KB of English prose written for it).

    Returns
    -------
    str
        The contents of ``course_pkg/data/exam_season.txt`` (original text
        written for this course, released with it under the course's licence).
    """
    return resources.files("course_pkg").joinpath("data", TEXT_FILE).read_text(encoding="utf-8")


def build_vocab(text: str) -> list[str]:
    """The sorted list of distinct characters of ``text``.

    Parameters
    ----------
    text : str
        A non-empty text.

    Returns
    -------
    list of str
        One entry per distinct character; a character's id is its index.

    Examples
    --------
    >>> build_vocab("banana")
    ['a', 'b', 'n']
    """
    if not isinstance(text, str) or not text:
        raise ValueError(f"text must be a non-empty str, got {text!r:.40}.")
    return sorted(set(text))


def encode(text: str, vocab: Sequence[str]) -> np.ndarray:
    """The ids of the characters of ``text`` (an int64 array of length ``len(text)``).

    Parameters
    ----------
    text : str
    vocab : list of str
        From :func:`build_vocab`.

    Returns
    -------
    ndarray of int64, shape (len(text),)

    Raises
    ------
    ValueError
        If a character of ``text`` is not in ``vocab``.

    Examples
    --------
    >>> encode("nab", ["a", "b", "n"])
    array([2, 0, 1])
    """
    index = {ch: k for k, ch in enumerate(vocab)}
    missing = sorted(set(text) - set(index))
    if missing:
        raise ValueError(f"text has characters {missing!r} that are not in vocab.")
    return np.array([index[ch] for ch in text], dtype=np.int64)


def decode(ids: Iterable[int], vocab: Sequence[str]) -> str:
    """The text whose character ids are ``ids`` (the inverse of :func:`encode`).

    Parameters
    ----------
    ids : iterable of int
    vocab : list of str

    Returns
    -------
    str

    Examples
    --------
    >>> decode([2, 0, 1], ["a", "b", "n"])
    'nab'
    """
    return "".join(vocab[int(k)] for k in ids)


def init_charlm_params(V: int, H: int, rng: np.random.Generator | int | None = 0,
                       ) -> dict[str, np.ndarray]:
    r"""Random parameters of the character model.

    Parameters
    ----------
    V : int
        Vocabulary size (the LSTM's input size ``D`` is ``V``: one-hot inputs).
    H : int
        Hidden size.
    rng : numpy Generator or int seed

    Returns
    -------
    dict
        The LSTM's ``W_f, ..., b_o`` (``W`` of shape (H + V, H)) with a forget
        bias of 1, and ``W_y`` (H, V), ``b_y`` (V,), uniform in
        :math:`\pm 1/\sqrt{H}`, float64.
    """
    rng = np.random.default_rng(rng)
    params = init_lstm_params(V, H, rng, forget_bias=1.0)
    bound = 1.0 / math.sqrt(H)
    params["W_y"] = rng.uniform(-bound, bound, size=(H, V))
    params["b_y"] = rng.uniform(-bound, bound, size=(V,))
    return params


def _check_ids(name: str, ids: object, V: int) -> np.ndarray:
    arr = check_array(name, ids, ("T", "N"), {}, dtype="int")
    if arr.size and (arr.min() < 0 or arr.max() >= V):
        raise ValueError(f"{name} must hold ids in [0, {V}), got values in "
                         f"[{arr.min()}, {arr.max()}].")
    return arr


def charlm_forward(inputs: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                   params: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple, dict]:
    r"""Scores for the next character after each character of a chunk.

    Parameters
    ----------
    inputs : ndarray of int, shape (T, N)
        Character ids, time-major: ``N`` streams of ``T`` characters.
    h0, c0 : ndarray of shape (N, H)
        The state the chunk starts from (the previous chunk's final state, or zeros).
    params : dict
        From :func:`init_charlm_params`.

    Returns
    -------
    logits : ndarray of shape (T, N, V)
        Unnormalised scores :math:`y_t = h_t W_y + b_y`.
    state : (h, c)
        The final state, each (N, H): the next chunk starts from it.
    cache : dict
        For :func:`charlm_backward`.

    Notes
    -----
    .. math:: X_t = \mathrm{onehot}(x_t), \quad h_t, c_t = \mathrm{LSTM}(X_t, h_{t-1}, c_{t-1}),
        \quad y_t = h_t W_y + b_y
    """
    V = params["W_y"].shape[1]
    inputs = _check_ids("inputs", inputs, V)
    X = np.eye(V)[inputs]  # (T, N, V) one-hot
    hs, cs, lstm_cache = lstm_forward(X, h0, c0, params)  # (T, N, H) each
    logits = hs @ params["W_y"] + params["b_y"]  # (T, N, V)
    return logits, (hs[-1], cs[-1]), {"hs": hs, "W_y": params["W_y"], "lstm": lstm_cache}


def charlm_backward(dlogits: np.ndarray, cache: dict) -> dict[str, np.ndarray]:
    r"""Gradients of the parameters from the gradient of the logits of one chunk.

    Parameters
    ----------
    dlogits : ndarray of shape (T, N, V)
    cache : dict
        From :func:`charlm_forward`.

    Returns
    -------
    grads : dict
        Same keys and shapes as the parameters. The gradient stops at the
        chunk's initial state (truncated BPTT): ``h0`` and ``c0`` are constants.

    Notes
    -----
    .. math:: \partial W_y = \sum_t h_t^\top \partial y_t, \quad
        \partial b_y = \sum_{t,n} \partial y_t, \quad \partial h_t = \partial y_t W_y^\top

    then :func:`course_pkg.lstm.lstm_backward` with these :math:`\partial h_t`.
    """
    hs = cache["hs"]
    dhs, dW_y, db_y = readout_backward(dlogits, hs, cache["W_y"])  # (T, N, H), (H, V), (V,)
    _, _, _, grads = lstm_backward(dhs, cache["lstm"])
    return {**grads, "W_y": dW_y, "b_y": db_y}


def charlm_loss_and_grads(params: dict[str, np.ndarray], inputs: np.ndarray,
                          targets: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                          ) -> tuple[float, dict[str, np.ndarray], tuple]:
    r"""Mean cross-entropy of the next-character predictions of one chunk, and its gradients.

    Parameters
    ----------
    params : dict
    inputs, targets : ndarray of int, shape (T, N)
        ``targets[t]`` is the character that follows ``inputs[t]``.
    h0, c0 : ndarray of shape (N, H)

    Returns
    -------
    loss : float
        :math:`L = -\frac{1}{TN}\sum_{t,n} \log p(\text{targets}_{tn})`, in nats per character.
    grads : dict
        Same keys and shapes as ``params``.
    state : (h, c)
        The final state (carry it into the next chunk).

    Notes
    -----
    One step of :func:`course_pkg.truncated.truncated_bptt_step` on the one-hot
    inputs, with the read-out's cross-entropy
    (:func:`course_pkg.losses.readout_cross_entropy`) as the chunk's loss: the
    gradient stops at ``(h0, c0)``.
    """
    V = params["W_y"].shape[1]
    inputs = _check_ids("inputs", inputs, V)
    check_array("targets", targets, inputs.shape, {}, dtype="int")
    lstm_params = {k: v for k, v in params.items() if k not in ("W_y", "b_y")}

    def chunk_loss(hs):  # hs (T, N, H): the read-out and its cross-entropy
        loss, dhs, dW_y, db_y, _ = readout_cross_entropy(hs, params["W_y"], params["b_y"],
                                                         targets)
        return loss, dhs, {"W_y": dW_y, "b_y": db_y}

    loss, grads, _, state = truncated_bptt_step(np.eye(V)[inputs], (h0, c0), lstm_params,
                                                chunk_loss, "lstm")
    return loss, grads, state


def make_batches(ids: np.ndarray, seq_len: int, batch_size: int,
                 ) -> tuple[np.ndarray, np.ndarray]:
    r"""Cut a text into ``batch_size`` parallel streams and chunks of ``seq_len`` characters.

    Parameters
    ----------
    ids : ndarray of int, shape (L,)
    seq_len : int
        ``T``, the characters per chunk (the truncation length of BPTT).
    batch_size : int
        ``N``, the parallel streams.

    Returns
    -------
    inputs, targets : ndarray of int, shape (K, T, N)
        ``K = (L - 1) // (T N)`` chunks; stream ``n`` is the ``n``-th of ``N``
        equal consecutive slices of the text, so that chunk ``k + 1`` of a
        stream continues chunk ``k`` (the state can be carried over).
        ``targets`` is ``inputs`` shifted by one character.

    Notes
    -----
    With :math:`S = K T`: ``inputs[k, t, n] = ids[n S + k T + t]`` and
    ``targets[k, t, n] = ids[n S + k T + t + 1]``.
    """
    ids = check_array("ids", ids, ("L",), {}, dtype="int")
    T, N = int(seq_len), int(batch_size)
    if T < 1 or N < 1:
        raise ValueError(f"seq_len and batch_size must be >= 1, got {seq_len} and {batch_size}.")
    K = (len(ids) - 1) // (T * N)
    if K < 1:
        raise ValueError(f"ids has {len(ids)} characters, fewer than seq_len * batch_size + 1 "
                         f"= {T * N + 1}: use a longer text or smaller chunks.")
    S = K * T
    streams_x = ids[: N * S].reshape(N, K, T)  # (N, K, T)
    streams_y = ids[1 : N * S + 1].reshape(N, K, T)  # (N, K, T), shifted by one
    return streams_x.transpose(1, 2, 0).copy(), streams_y.transpose(1, 2, 0).copy()  # (K, T, N)


@single_threaded_blas
def train_charlm(
    params: dict[str, np.ndarray],
    inputs: np.ndarray,
    targets: np.ndarray,
    *,
    lr: float = 1e-2,
    clip: float = 1.0,
    epochs: int = 1,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    r"""Truncated backpropagation through time with Adam and gradient clipping.

    Parameters
    ----------
    params : dict
        Starting parameters (not modified).
    inputs, targets : ndarray of int, shape (K, T, N)
        From :func:`make_batches`.
    lr : float
        Adam's step size.
    clip : float
        Maximum global gradient norm.
    epochs : int
        Passes over the ``K`` chunks; the state restarts from zeros at each pass.
    progress : callable, optional
        Wraps the iterable of steps, e.g. ``tqdm.tqdm``.

    Returns
    -------
    params : dict
        The trained parameters.
    losses : ndarray of shape (epochs * K,)
        The loss of every chunk, before its step.

    Notes
    -----
    For each chunk :math:`k`: :math:`L_k, g, (h, c) = \text{loss\_and\_grads}(\theta,
    x_k, y_k, h, c)` (:func:`charlm_loss_and_grads`, one
    :func:`course_pkg.truncated.truncated_bptt_step`): the state :math:`(h, c)` is
    carried over from the previous chunk, but treated as a constant (the gradient is
    truncated at the chunk's start); then
    :math:`g \leftarrow g \min(1, \tau / \lVert g \rVert)` **before**
    :math:`\theta \leftarrow \text{Adam}(\theta, g)`.
    """
    K, _, N = inputs.shape
    H = params["b_f"].shape[0]
    state = adam_init(params)
    losses = np.zeros(epochs * K)
    steps: Iterable[int] = range(epochs * K)
    if progress is not None:
        steps = progress(steps)
    h = c = np.zeros((N, H))
    for step in steps:
        k = step % K
        if k == 0:
            h, c = np.zeros((N, H)), np.zeros((N, H))  # a new pass restarts the text
        losses[step], grads, (h, c) = charlm_loss_and_grads(params, inputs[k], targets[k], h, c)
        grads, _ = clip_by_global_norm(grads, clip)  # clip before the step
        params, state = adam_step(params, grads, state, lr=lr)
    return params, losses


@single_threaded_blas
def perplexity(params: dict[str, np.ndarray], ids: np.ndarray, seq_len: int = 100) -> float:
    r"""The model's perplexity on a text: :math:`\exp` of the mean loss per character.

    Parameters
    ----------
    params : dict
    ids : ndarray of int, shape (L,)
        The text, read as one stream in chunks of ``seq_len``, carrying the state.
    seq_len : int

    Returns
    -------
    float
        :math:`\exp\big(-\frac{1}{L-1}\sum_t \log p(x_{t+1} \mid x_{\le t})\big)`: 1 for
        a perfect model, ``V`` for uniform guessing.
    """
    ids = check_array("ids", ids, ("L",), {}, dtype="int")
    if len(ids) < 2:
        raise ValueError(f"ids must hold at least 2 characters, got {len(ids)}.")
    H = params["b_f"].shape[0]
    h, c = np.zeros((1, H)), np.zeros((1, H))
    total = 0.0
    for start in range(0, len(ids) - 1, seq_len):
        x = ids[start : min(start + seq_len, len(ids) - 1)]
        y = ids[start + 1 : start + 1 + len(x)]
        logits, (h, c), _ = charlm_forward(x[:, None], h, c, params)
        loss, _ = softmax_cross_entropy(logits, y[:, None])
        total += loss * len(x)
    return math.exp(total / (len(ids) - 1))


def next_char_probs(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    r"""The distribution of the next character: softmax of the logits divided by the temperature.

    Parameters
    ----------
    logits : ndarray of shape (..., V)
    temperature : float
        :math:`\tau > 0`: below 1 sharpens the distribution (towards the argmax),
        above 1 flattens it (towards uniform).

    Returns
    -------
    ndarray of shape (..., V)
        Probabilities, summing to 1 over the last axis.

    Notes
    -----
    The temperature divides the logits **before** the softmax (shifted by
    the maximum, so that ``exp`` never overflows):

    .. math:: p_j = \frac{e^{y_j / \tau}}{\sum_k e^{y_k / \tau}}

    Raising the probabilities to :math:`1/\tau` and renormalising is the same
    thing; dividing the probabilities by :math:`\tau` is not.

    Examples
    --------
    >>> next_char_probs(np.array([0.0, np.log(3.0)]), 1.0)
    array([0.25, 0.75])
    >>> next_char_probs(np.array([0.0, np.log(3.0)]), 0.5)
    array([0.1, 0.9])
    """
    if not (isinstance(temperature, int | float) and math.isfinite(temperature)
            and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}.")
    if not isinstance(logits, np.ndarray) or logits.ndim < 1:
        raise ValueError("logits must be a numpy array of shape (..., V), got "
                         f"{type(logits).__name__} with shape {np.shape(logits)}.")
    check_array("logits", logits, tuple(f"d{k}" for k in range(logits.ndim)), {})
    y = logits / temperature  # (..., V)
    p = np.exp(y - y.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)


@single_threaded_blas
def sample_ids(params: dict[str, np.ndarray], start_ids: np.ndarray, n: int,
               temperature: float = 1.0, rng: np.random.Generator | int | None = 0,
               ) -> np.ndarray:
    r"""Generate ``n`` character ids after the prompt ``start_ids``.

    Parameters
    ----------
    params : dict
    start_ids : ndarray of int, shape (P,)
        The prompt (``P >= 1``), read first to set the state.
    n : int
        Characters to generate.
    temperature : float
        :math:`\tau > 0`, see :func:`next_char_probs`.
    rng : numpy Generator or int seed
        Each character is drawn with ``rng.choice(V, p=p)``.

    Returns
    -------
    ndarray of int64, shape (n,)
        The generated ids (without the prompt).

    Notes
    -----
    Read the prompt from a zero state; then repeat: :math:`p =
    \operatorname{softmax}(y_{\text{last}}/\tau)`, draw :math:`x \sim p`, feed
    :math:`x` from the current state.
    """
    rng = np.random.default_rng(rng)
    start_ids = check_array("start_ids", start_ids, ("P",), {}, dtype="int")
    if len(start_ids) < 1:
        raise ValueError("start_ids must hold at least one id (the prompt).")
    H = params["b_f"].shape[0]
    V = params["W_y"].shape[1]
    h, c = np.zeros((1, H)), np.zeros((1, H))
    logits, (h, c), _ = charlm_forward(start_ids[:, None], h, c, params)  # (P, 1, V)
    out = np.zeros(n, dtype=np.int64)
    for k in range(n):
        p = next_char_probs(logits[-1, 0], temperature)  # (V,)
        out[k] = rng.choice(V, p=p)
        logits, (h, c), _ = charlm_forward(out[k : k + 1, None], h, c, params)  # (1, 1, V)
    return out


def sample(params: dict[str, np.ndarray], vocab: Sequence[str], start: str, n: int,
           temperature: float = 1.0, rng: np.random.Generator | int | None = 0) -> str:
    r"""Generate ``n`` characters of text after the prompt ``start``.

    Parameters
    ----------
    params : dict
    vocab : list of str
    start : str
        A non-empty prompt made of characters of ``vocab``.
    n : int
        Characters to generate.
    temperature : float
        :math:`\tau > 0`: below 1 the model plays safe, above 1 it takes risks.
    rng : numpy Generator or int seed

    Returns
    -------
    str
        ``start`` followed by the ``n`` generated characters.

    Notes
    -----
    :func:`sample_ids` on ``encode(start, vocab)``, decoded: the temperature
    divides the logits before the softmax, :math:`p = \operatorname{softmax}(y/\tau)`.

    Examples
    --------
    >>> text = "abab"
    >>> vocab = build_vocab(text)
    >>> sample(init_charlm_params(len(vocab), 3), vocab, "ab", 2, 0.5, rng=0)[:2]
    'ab'
    """
    if not (isinstance(temperature, int | float) and math.isfinite(temperature)
            and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}.")
    if not isinstance(start, str) or not start:
        raise ValueError(f"start must be a non-empty str (the prompt), got {start!r}.")
    ids = sample_ids(params, encode(start, vocab), n, temperature, rng)
    return start + decode(ids, vocab)
