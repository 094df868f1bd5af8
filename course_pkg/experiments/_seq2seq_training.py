r"""Shared training and scoring loop of the two encoder-decoder experiments.

:mod:`course_pkg.experiments.attention_dates` (dates to ISO) and
:mod:`course_pkg.experiments.bottleneck` (string reversal) train the same
character-level encoder-decoder (:mod:`course_pkg.seq2seq`) the same way:
a fresh batch every step, teacher forcing, a (masked) cross-entropy, Adam
and global-norm clipping; then they score greedy decodes by exact match and
per character. This private module holds that common part so that the two
experiments differ only in their data.

References
----------
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR.
Sutskever, I., Vinyals, O. and Le, Q. V. (2014). Sequence to sequence
learning with neural networks. NeurIPS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._checks import check_choice, check_count
from ..seq2seq import ATTENTIONS, Seq2SeqModel, seq2seq_loss
from ..train import train


def check_attention(attention: Any, allow_none: bool = True) -> None:
    """Raise ValueError unless ``attention`` is one of :data:`course_pkg.seq2seq.ATTENTIONS`.

    Parameters
    ----------
    attention : object
        The value to check.
    allow_none : bool, default True
        When False, None (no attention) is refused too.

    Raises
    ------
    ValueError
        Naming the allowed kinds and the value received.

    See Also
    --------
    Book chapter 10, "Attention".
    """
    check_choice("attention", attention, ATTENTIONS if allow_none else ATTENTIONS[1:])


def check_train_sizes(
    attention: Any, H: int, E: int, steps: int, batch_size: int
) -> tuple[int, int, int, int]:
    """Validate the arguments both ``train_*_model`` functions share.

    Parameters
    ----------
    attention : {None, "dot", "scaled_dot", "additive"}
    H, E, steps, batch_size : int
        Hidden size, embedding size, training steps and batch size, each >= 1.

    Returns
    -------
    H, E, steps, batch_size : int

    Raises
    ------
    ValueError
        On an unknown ``attention`` or a size below 1 (checked in that order).

    See Also
    --------
    Book chapter 9, "Encoder-decoder and the bottleneck".
    """
    check_attention(attention)
    return (check_count("H", H, 1), check_count("E", E, 1), check_count("steps", steps, 1),
            check_count("batch_size", batch_size, 1))


def train_seq2seq(
    model: Seq2SeqModel,
    make_batch: Callable[[np.random.Generator], Any],
    *,
    steps: int,
    lr: float,
    clip: float | None,
    seed: int,
) -> tuple[Seq2SeqModel, dict[str, list]]:
    r"""Train an encoder-decoder for one epoch of ``steps`` fresh batches.

    Parameters
    ----------
    model : Seq2SeqModel
        Its spec (cell, attention) and its initial parameters, from
        :func:`course_pkg.seq2seq.init_seq2seq_params`.
    make_batch : callable
        ``make_batch(rng)`` draws one batch with ``src``, ``src_mask``,
        ``tgt_in`` and ``tgt_out`` of shape (T, N) and, optionally,
        ``tgt_mask`` (T, N); without it every target step is scored.
    steps : int
        Batches drawn (and optimiser steps taken).
    lr : float
        Adam learning rate.
    clip : float or None
        Global-norm clipping threshold.
    seed : int
        The batches are drawn from the stream seeded by ``[seed, 2]``.

    Returns
    -------
    model : Seq2SeqModel
        The same spec with the trained parameters.
    history : dict of lists
        ``"loss"`` and ``"grad_norm"`` per step (:func:`course_pkg.train.train`)
        and ``"attention"``: ``[attention]``.

    Notes
    -----
    The loss is the mean cross-entropy over the scored target steps,
    :math:`L = -\frac{1}{|M|} \sum_{(t, n) \in M} \log p(y_{t,n} \mid y_{<t,n}, x_n)`
    with teacher forcing (the decoder reads the true :math:`y_{t-1}`).

    See Also
    --------
    course_pkg.seq2seq.seq2seq_loss, course_pkg.train.train
    Book chapter 9, "Encoder-decoder and the bottleneck"; chapter 10, "Attention".
    """
    cell, attention = model.spec.cell, model.spec.attention

    def loss_and_grads(p: dict, batch: Any) -> tuple[float, dict]:
        tgt_mask = getattr(batch, "tgt_mask", None)
        if tgt_mask is None:
            tgt_mask = np.ones(batch.tgt_out.shape, dtype=bool)
        loss, grads, _ = seq2seq_loss(batch.src, batch.src_mask, batch.tgt_in, batch.tgt_out,
                                      tgt_mask, p, cell, attention)
        return loss, grads

    def batches(epoch: int, rng: np.random.Generator) -> list:
        return [make_batch(rng) for _ in range(steps)]

    params, history = train(loss_and_grads, dict(model.params), batches, optimizer="adam",
                            lr=lr, epochs=1, clip=clip, progress=False, seed=[seed, 2])
    history["attention"] = [attention]
    return Seq2SeqModel(model.spec, params), history


def char_accuracy(pred: str, target: str) -> float:
    """Fraction of positions where ``pred`` and ``target`` agree.

    Parameters
    ----------
    pred, target : str

    Returns
    -------
    float
        Matches position by position, divided by the longer of the two
        lengths (so a missing or an extra character counts as a miss).

    See Also
    --------
    Book chapter 10, "Attention" (accuracy per character).
    """
    hits = sum(a == b for a, b in zip(pred, target))
    return hits / max(len(target), len(pred))


def exact_and_char_accuracy(
    preds: Sequence[str], targets: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Exact-match and per-character accuracy of every prediction.

    Parameters
    ----------
    preds, targets : sequence of str
        Decoded outputs and the expected strings, the same length N.

    Returns
    -------
    exact : ndarray of shape (N,)
        1.0 where the whole string is right, else 0.0.
    chars : ndarray of shape (N,)
        :func:`char_accuracy` of each pair.

    See Also
    --------
    Book chapter 10, "Attention".
    """
    exact = np.array([p == t for p, t in zip(preds, targets)], dtype=float)
    chars = np.array([char_accuracy(p, t) for p, t in zip(preds, targets)])
    return exact, chars
