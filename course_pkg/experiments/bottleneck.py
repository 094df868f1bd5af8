r"""The bottleneck when the content grows with the input: reversing random strings.

The date experiment (:mod:`course_pkg.experiments.attention_dates`) varies
the *format* of the source; a long date carries the same eight digits as a
short one. Here the content grows with the length: the source is a random
string of :math:`L` symbols from an alphabet of :math:`K` (so
:math:`L \log_2 K` bits that cannot be compressed) and the target is the
same string reversed (:func:`course_pkg.tasks.reverse_task`). Without
attention, every symbol must pass through the encoder's final state, whose
size does not grow with :math:`L`; with attention the decoder can read each
symbol from the encoder state at its position.

* :func:`train_reverse_model` trains one character-level encoder-decoder
  (:mod:`course_pkg.seq2seq`), with or without attention.
* :func:`reverse_accuracy_by_length` trains both on the same batches from
  the same seed and measures held-out greedy accuracy at each test length,
  the setting of Bahdanau et al. (2015), Fig. 2.

The default settings are the date experiment's (hidden size 48, embedding
16, batches of 64, Adam with learning rate 0.01, clipping at 5, 300 steps),
chosen before looking at the results and shared by both models.

References
----------
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR.
Cho, K. et al. (2014). On the properties of neural machine translation:
encoder-decoder approaches. SSST-8.
Sutskever, I., Vinyals, O. and Le, Q. V. (2014). Sequence to sequence
learning with neural networks. NeurIPS (reversing the source).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import check_count
from ..seq2seq import Seq2SeqModel, Seq2SeqSpec, greedy_decode, init_seq2seq_params
from ..tasks import reverse_task
from . import _map_runs, single_threaded_blas
from ._seq2seq_training import (
    check_attention,
    check_train_sizes,
    exact_and_char_accuracy,
    train_seq2seq,
)

__all__ = [
    "TEST_LENGTHS",
    "TRAIN_LENGTHS",
    "reverse_accuracy_by_length",
    "train_reverse_model",
]

#: String lengths drawn (uniformly) for every training batch.
TRAIN_LENGTHS = tuple(range(4, 25))
#: String lengths at which the book's figure measures accuracy.
TEST_LENGTHS = (4, 8, 12, 16, 20, 24)


def _check_lengths(name: str, lengths: Sequence[int]) -> list[int]:
    if isinstance(lengths, str | bytes) or not isinstance(lengths, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a sequence of ints >= 1, got {lengths!r}.")
    out = [check_count(name, L, 1) for L in lengths]
    if not out:
        raise ValueError(f"{name} must not be empty.")
    return out


@single_threaded_blas
def train_reverse_model(
    attention: str | None = None,
    seed: int = 0,
    H: int = 48,
    steps: int = 300,
    *,
    E: int = 16,
    n_symbols: int = 8,
    lengths: Sequence[int] = TRAIN_LENGTHS,
    cell: str = "lstm",
    batch_size: int = 64,
    lr: float = 0.01,
    clip: float | None = 5.0,
) -> tuple[Seq2SeqModel, dict[str, list]]:
    r"""Train an encoder-decoder to reverse random symbol strings.

    Every step draws a fresh batch (lengths uniform over ``lengths``), so
    the model never sees the same string twice; training uses teacher
    forcing, a masked cross-entropy, Adam and global-norm clipping.

    Parameters
    ----------
    attention : {None, "dot", "scaled_dot", "additive"}
        None is the plain encoder-decoder of chapter 9.
    seed : int
        Seeds the weights and the training batches. The batches do not
        depend on ``attention``.
    H : int, default 48
        Hidden size of encoder and decoder.
    steps : int, default 300
        Training steps (batches).
    E : int, default 16
        Symbol-embedding size.
    n_symbols : int, default 8
        Alphabet size K.
    lengths : sequence of int
        Training string lengths; default 4 to 24.
    cell : {"lstm", "gru"}
    batch_size : int
    lr : float, default 0.01
        Adam learning rate.
    clip : float or None, default 5.0

    Returns
    -------
    model : Seq2SeqModel
        ``model.spec`` (cell and attention) and ``model.params``, from
        :func:`course_pkg.seq2seq.init_seq2seq_params`, trained. The model
        reads like the parameter dict (``model["W_out"]``).
    history : dict of lists
        ``"loss"`` and ``"grad_norm"`` per step (:func:`course_pkg.train.train`);
        ``"attention"``: ``[attention]``.

    Raises
    ------
    ValueError
        On an unknown ``attention`` or ``cell`` or a bad size.

    See Also
    --------
    reverse_accuracy_by_length
    Book chapter 9, "Encoder-decoder and the bottleneck"; chapter 10, "Attention".
    """
    H, E, steps, batch_size = check_train_sizes(attention, H, E, steps, batch_size)
    n_symbols = check_count("n_symbols", n_symbols, 1)
    lengths = _check_lengths("lengths", lengths)
    V = n_symbols + 3  # <pad>, <bos>, <eos> and the symbols
    spec = Seq2SeqSpec(cell, attention)
    params = init_seq2seq_params(V, V, E, H, np.random.default_rng([seed, 0]), cell, attention)
    # reverse batches carry a tgt_mask: the padding after <eos> is not scored
    return train_seq2seq(
        Seq2SeqModel(spec, params), lambda rng: reverse_task(batch_size, lengths, n_symbols, rng),
        steps=steps, lr=lr, clip=clip, seed=seed)


@single_threaded_blas
def reverse_accuracy_by_length(
    seed: int = 0,
    *,
    attention: str = "additive",
    H: int = 48,
    steps: int = 300,
    lengths: Sequence[int] = TEST_LENGTHS,
    train_lengths: Sequence[int] = TRAIN_LENGTHS,
    n_symbols: int = 8,
    n_test: int = 200,
    batch_size: int = 64,
) -> dict:
    r"""Held-out reversal accuracy by string length, without and with attention.

    Two models with the same hidden size, seed, training batches and number
    of steps are trained by :func:`train_reverse_model`, one without
    attention and one with ``attention``; both reverse the same held-out
    strings by greedy decoding.

    Parameters
    ----------
    seed : int
        Seeds both models' weights, the training batches and the test strings.
    attention : {"dot", "scaled_dot", "additive"}, default "additive"
    H : int, default 48
    steps : int, default 300
        Training steps of each model.
    lengths : sequence of int
        Test string lengths; default 4, 8, ..., 24.
    train_lengths : sequence of int
        Training string lengths; default 4 to 24.
    n_symbols : int, default 8
    n_test : int, default 200
        Test strings per length.
    batch_size : int, default 64

    Returns
    -------
    dict
        ``"lengths"``: list of float, the test lengths; ``"count"``: test
        strings per length; ``"accuracy"``: ``{"no attention": [...],
        "attention": [...]}``, the fraction of strings reversed exactly
        (every symbol and the end token in place); ``"char_accuracy"``: the
        same per symbol (position by position, divided by the longer of
        output and target); ``"chance"``: ``1 / n_symbols``, the per-symbol
        accuracy of guessing; ``"attention"``: the attention kind.

    See Also
    --------
    course_pkg.plotting.plot_accuracy_by_distance
    Book chapter 9, "Encoder-decoder and the bottleneck" (section "When the
    content grows with the input"); chapter 10, "Attention".
    """
    check_attention(attention, allow_none=False)
    lengths = _check_lengths("lengths", lengths)
    n_test = check_count("n_test", n_test, 1)
    n_symbols = check_count("n_symbols", n_symbols, 1)
    tests = [reverse_task(n_test, L, n_symbols, np.random.default_rng([seed, 1, L]))
             for L in lengths]
    result: dict[str, Any] = {
        "lengths": [float(L) for L in lengths],
        "count": [n_test] * len(lengths),
        "accuracy": {},
        "char_accuracy": {},
        "chance": 1.0 / n_symbols,
        "attention": attention,
    }
    labels = {"no attention": None, "attention": attention}
    # the two models are independent: in two processes if COURSE_EXPERIMENT_WORKERS allows
    scores = _map_runs(_train_and_score, [
        (att, seed, H, steps, n_symbols, train_lengths, batch_size, lengths, tests)
        for att in labels.values()])
    for label, (acc, cacc) in zip(labels, scores):
        result["accuracy"][label] = acc
        result["char_accuracy"][label] = cacc
    return result


@single_threaded_blas
def _train_and_score(attention: str | None, seed: int, H: int, steps: int, n_symbols: int,
                     train_lengths: Sequence[int], batch_size: int, lengths: Sequence[int],
                     tests: Sequence[Any]) -> tuple[list[float], list[float]]:
    """Train one model of reverse_accuracy_by_length; exact and per-symbol accuracy by length."""
    model, _ = train_reverse_model(attention, seed, H, steps, n_symbols=n_symbols,
                                   lengths=train_lengths, batch_size=batch_size)
    acc, cacc = [], []
    for L, task in zip(lengths, tests):
        tokens, _ = greedy_decode(task.src, task.src_mask, dict(model.params),
                                  model.spec.cell, model.spec.attention, bos=task.bos,
                                  max_len=L + 1)
        preds = [task.decode(tokens[:, j]) for j in range(tokens.shape[1])]
        exact, chars = exact_and_char_accuracy(preds, task.tgt_strings)
        acc.append(float(np.mean(exact)))
        cacc.append(float(np.mean(chars)))
    return acc, cacc
