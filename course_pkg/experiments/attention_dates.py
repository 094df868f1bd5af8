r"""Dates with and without attention: the bottleneck, measured.

Chapters 9 and 10 translate human-written dates ("Monday, the 23rd of
November 2026", up to 37 characters) into ISO ("2026-11-23") with a small
character-level encoder-decoder (:mod:`course_pkg.seq2seq`):

* :func:`train_date_model` trains one model, with or without attention.
* :func:`date_accuracy_by_length` trains both and measures held-out
  accuracy per source-length bucket: the shape of Bahdanau et al. (2015),
  Fig. 2, where the model without attention loses accuracy as sources grow.
* :func:`attention_map` decodes one date and returns the attention weights
  for the heatmap of chapter 10.

Accuracy is measured on greedy decodes (the model's own previous outputs
fed back), both as exact match of the 10 output characters and per
character.

References
----------
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR.
Luong, M.-T., Pham, H. and Manning, C. D. (2015). Effective approaches to
attention-based neural machine translation. EMNLP.
Cho, K. et al. (2014). On the properties of neural machine translation:
encoder-decoder approaches. SSST-8 (accuracy falls with sentence length).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import check_count
from ..dates import (
    BOS,
    EOS,
    date_source_vocab,
    date_target_vocab,
    date_task,
    decode_target,
    encode_dates,
)
from ..seq2seq import Seq2SeqModel, Seq2SeqSpec, greedy_decode, init_seq2seq_params
from . import _map_runs, single_threaded_blas
from ._seq2seq_training import (
    check_attention,
    check_train_sizes,
    exact_and_char_accuracy,
    train_seq2seq,
)

__all__ = [
    "LENGTH_BUCKETS",
    "train_date_model",
    "date_predictions",
    "date_accuracy_by_length",
    "attention_map",
]

#: Source-length buckets (inclusive character counts) of the book's figure.
LENGTH_BUCKETS = ((8, 11), (12, 16), (17, 21), (22, 27), (28, 37))
_OUT_LEN = 10  # "yyyy-MM-dd"


def _check_model(model: Any, where: str) -> Seq2SeqModel:
    if not isinstance(model, Seq2SeqModel):
        raise ValueError(
            f"{where} needs the model returned by train_date_model (a Seq2SeqModel, which "
            f"carries its cell and attention), got {type(model).__name__}. For a bare "
            "parameter dict, wrap it: Seq2SeqModel(Seq2SeqSpec(cell, attention), params)."
        )
    return model


@single_threaded_blas
def train_date_model(
    attention: str | None = None,
    seed: int = 0,
    H: int = 48,
    steps: int = 300,
    *,
    E: int = 16,
    cell: str = "lstm",
    batch_size: int = 64,
    lr: float = 0.01,
    clip: float | None = 5.0,
    n_test: int = 1000,
) -> tuple[Seq2SeqModel, dict[str, list], Any]:
    r"""Train a character-level encoder-decoder on the date task.

    Every step draws a fresh batch of dates in all formats (so there is no
    overfitting to a fixed training set); the model is trained with teacher
    forcing, Adam and global-norm clipping.

    Parameters
    ----------
    attention : {None, "dot", "scaled_dot", "additive"}
        None is the plain encoder-decoder of chapter 9; "additive" is
        Bahdanau's score.
    seed : int
        Seeds the weights, the training batches and the test set.
    H : int, default 48
        Hidden size of encoder and decoder.
    steps : int, default 300
        Training steps (batches).
    E : int, default 16
        Character-embedding size.
    cell : {"lstm", "gru"}
    batch_size : int
    lr : float, default 0.01
        Adam learning rate.
    clip : float or None, default 5.0
    n_test : int, default 1000
        Size of the held-out test set returned as ``task``.

    Returns
    -------
    model : Seq2SeqModel
        ``model.spec`` (cell and attention) and ``model.params``, from
        :func:`course_pkg.seq2seq.init_seq2seq_params`, trained. The model
        reads like the parameter dict (``model["W_out"]``).
    history : dict of lists
        ``"loss"`` and ``"grad_norm"`` per step (:func:`course_pkg.train.train`);
        ``"attention"``: ``[attention]``, the kind the model was trained with.
    task : DateTask
        The held-out test dates, drawn independently of the training batches.

    Raises
    ------
    ValueError
        On an unknown ``attention`` or ``cell`` or a bad size.

    See Also
    --------
    Book chapter 9, "Encoder-decoder and the bottleneck"; chapter 10, "Attention".
    """
    H, E, steps, batch_size = check_train_sizes(attention, H, E, steps, batch_size)
    n_test = check_count("n_test", n_test, 1)
    spec = Seq2SeqSpec(cell, attention)
    # The initial weights depend on the seed only, not on the attention kind,
    # except for the parts attention adds; the data streams are the same too.
    params = init_seq2seq_params(len(date_source_vocab()), len(date_target_vocab()), E, H,
                                 np.random.default_rng([seed, 0]), cell, attention)
    test_task = date_task(n_test, np.random.default_rng([seed, 1]))
    # date batches have no tgt_mask: every one of the 11 target steps is scored
    model, history = train_seq2seq(Seq2SeqModel(spec, params),
                                   lambda rng: date_task(batch_size, rng), steps=steps, lr=lr,
                                   clip=clip, seed=seed)
    return model, history, test_task


@single_threaded_blas
def date_predictions(model: Seq2SeqModel, task: Any) -> tuple[list[str], np.ndarray | None]:
    """Greedy decodes of every source in ``task``.

    Parameters
    ----------
    model : Seq2SeqModel
        From :func:`train_date_model`; its spec says which cell and attention
        to decode with.
    task : DateTask

    Returns
    -------
    predictions : list of str
        The decoded ISO strings (up to the first ``<eos>``).
    weights : ndarray of shape (N, 11, S), or None
        Attention weights of every output step.

    Raises
    ------
    ValueError
        If ``model`` is not a :class:`~course_pkg.seq2seq.Seq2SeqModel`.

    See Also
    --------
    course_pkg.seq2seq.greedy_decode, date_accuracy_by_length
    Book chapter 10, "Attention" (accuracy by source length).
    """
    spec = _check_model(model, "date_predictions").spec
    tokens, weights = greedy_decode(task.src, task.src_mask, dict(model.params), spec.cell,
                                    spec.attention, bos=task.bos, max_len=_OUT_LEN + 1)
    preds = [decode_target(tokens[:, j]) for j in range(tokens.shape[1])]
    return preds, weights


@single_threaded_blas
def date_accuracy_by_length(
    seed: int = 0,
    *,
    attention: str = "additive",
    H: int = 48,
    steps: int = 300,
    buckets: Sequence[tuple[int, int]] = LENGTH_BUCKETS,
    n_test: int = 1000,
) -> dict:
    r"""Held-out accuracy by source length, without and with attention.

    Two models with the same hidden size, seed and training batches are
    trained by :func:`train_date_model`, one without attention and one with
    ``attention``; both decode the same held-out dates greedily.

    Parameters
    ----------
    seed : int
    attention : {"dot", "scaled_dot", "additive"}, default "additive"
    H : int, default 48
    steps : int, default 300
        Training steps of each model.
    buckets : sequence of (int, int)
        Inclusive source-length ranges.
    n_test : int

    Returns
    -------
    dict
        ``"lengths"``: list of float, the mean source length in each bucket;
        ``"buckets"``: the ranges; ``"count"``: test examples per bucket;
        ``"accuracy"``: ``{"no attention": [...], "attention": [...]}``, the
        exact-match accuracy per bucket (all 10 characters right);
        ``"char_accuracy"``: the same per character. A bucket without test
        examples gets NaN.

    See Also
    --------
    course_pkg.plotting.plot_accuracy_by_distance
    Book chapter 10, "Attention" (and Bahdanau et al. 2015, Fig. 2).
    """
    check_attention(attention, allow_none=False)
    buckets = [(int(lo), int(hi)) for lo, hi in buckets]
    result: dict[str, Any] = {"buckets": buckets, "accuracy": {}, "char_accuracy": {}}
    labels = {"no attention": None, "attention": attention}
    # the two models are independent: in two processes if COURSE_EXPERIMENT_WORKERS allows
    trained = _map_runs(_train_and_predict, [(att, seed, H, steps, n_test)
                                             for att in labels.values()])
    for label, (preds, task) in zip(labels, trained):
        lengths = task.src_lengths
        exact, chars = exact_and_char_accuracy(preds, task.tgt_strings)
        acc, cacc, mean_len, count = [], [], [], []
        for lo, hi in buckets:
            sel = (lengths >= lo) & (lengths <= hi)
            count.append(int(sel.sum()))
            mean_len.append(float(lengths[sel].mean()) if sel.any() else (lo + hi) / 2)
            acc.append(float(exact[sel].mean()) if sel.any() else float("nan"))
            cacc.append(float(chars[sel].mean()) if sel.any() else float("nan"))
        result["accuracy"][label] = acc
        result["char_accuracy"][label] = cacc
        result["lengths"] = mean_len
        result["count"] = count
    return result


@single_threaded_blas
def _train_and_predict(attention: str | None, seed: int, H: int, steps: int,
                       n_test: int) -> tuple[list[str], Any]:
    """Train one model of date_accuracy_by_length; its greedy predictions and the test task."""
    model, _, task = train_date_model(attention, seed, H, steps, n_test=n_test)
    preds, _ = date_predictions(model, task)
    return preds, task


@single_threaded_blas
def attention_map(
    model: Seq2SeqModel, date_string: str, task: Any = None
) -> tuple[np.ndarray, list[str], list[str]]:
    r"""Attention weights of a trained model while it translates one date.

    Parameters
    ----------
    model : Seq2SeqModel
        From :func:`train_date_model` with attention; its spec says which.
    date_string : str
        A source date, e.g. ``"Monday, the 23rd of November 2026"``.
    task : DateTask, optional
        Only its ``bos`` id is used; the standard vocabulary's when None.

    Returns
    -------
    weights : ndarray of shape (T_out, S)
        Row ``t``: the distribution over the ``S`` source characters at
        output step ``t`` (rows sum to 1); ``T_out`` counts the decoded
        characters plus the final ``<eos>`` step.
    src_chars : list of str, length S
    out_chars : list of str, length T_out
        The decoded characters, then ``"<eos>"``.

    Raises
    ------
    ValueError
        If ``model`` is not a Seq2SeqModel or has no attention, or
        ``date_string`` has characters outside the source vocabulary.

    See Also
    --------
    course_pkg.plotting.plot_attention_heatmap
    Book chapter 10, "Attention".
    """
    spec = _check_model(model, "attention_map").spec
    if spec.attention is None:
        raise ValueError("attention_map needs a model trained with attention "
                         "(train_date_model(attention='additive', ...)).")
    if not isinstance(date_string, str) or not date_string:
        raise ValueError(f"date_string must be a non-empty str; got {date_string!r}.")
    src, src_mask = encode_dates([date_string])
    vocab = date_target_vocab() if task is None else list(task.tgt_vocab)
    bos = vocab.index(BOS)
    tokens, weights = greedy_decode(src, src_mask, dict(model.params), spec.cell,
                                    spec.attention, bos=bos, max_len=_OUT_LEN + 1)
    out_chars: list[str] = []
    for k in tokens[:, 0]:
        sym = vocab[int(k)]
        out_chars.append(sym)
        if sym == EOS:
            break
    assert weights is not None
    return np.array(weights[0, : len(out_chars)]), list(date_string), out_chars
