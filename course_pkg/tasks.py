r"""Toy sequence tasks, generated locally and seeded.

Each task isolates one thing a recurrent network must do:

* :func:`agreement_task` -- remember one bit (is the subject singular or
  plural?) across ``distance`` words, to choose between "was" and "were"
  (chapters 2, 7, 8; the cat/cats example, after Linzen et al. 2016).
* :func:`adding_task` -- find two marked numbers in a long sequence and add
  them (Hochreiter and Schmidhuber 1997).
* :func:`copy_task` -- read a string of symbols, wait, and write it back
  (Hochreiter and Schmidhuber 1997; Arjovsky et al. 2016).
* :func:`reverse_task` -- read a string of random symbols and write it
  backwards, as an encoder-decoder task: the content to carry grows with
  the length (chapters 9 and 10; after Sutskever et al. 2014).
* The date task of chapters 9 and 10 (human-written dates to ISO) lives in
  :mod:`course_pkg.dates` with its vocabularies and helpers:
  :func:`course_pkg.dates.date_task`.

Every generator takes ``rng`` as an int seed or a ``numpy.random.Generator``;
the same seed gives identical arrays. Sequences are time-major: token arrays
are int64 of shape ``(T, N)`` and one-hot inputs float64 of shape
``(T, N, V)``.

References
----------
Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. Neural
Computation 9(8).
Linzen, T., Dupoux, E. and Goldberg, Y. (2016). Assessing the ability of
LSTMs to learn syntax-sensitive dependencies. TACL 4.
Le, Q. V., Jaitly, N. and Hinton, G. E. (2015). A simple way to initialize
recurrent networks of rectified linear units. arXiv:1504.00941.
Arjovsky, M., Shah, A. and Bengio, Y. (2016). Unitary evolution recurrent
neural networks. ICML.
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR (the date task, see
:mod:`course_pkg.dates`).
Sutskever, I., Vinyals, O. and Le, Q. V. (2014). Sequence to sequence
learning with neural networks. NeurIPS (reversing the source).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._checks import check_count
from ._tokens import BOS, EOS, PAD, SpecialIds, decode_ids, length_mask

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "AgreementTask",
    "CopyTask",
    "ReverseTask",
    "adding_task",
    "agreement_batches",
    "agreement_task",
    "copy_task",
    "one_hot",
    "reverse_task",
]

Seed = int | np.random.Generator | None


def _check_prob(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}.")
    return value


def one_hot(tokens: np.ndarray, V: int) -> np.ndarray:
    """One-hot encode integer tokens of any shape into float64 ``(*shape, V)``.

    Parameters
    ----------
    tokens : ndarray of int, shape (...)
        Ids in ``[0, V)``, e.g. (T, N) time-major.
    V : int
        Vocabulary size.

    Returns
    -------
    ndarray of shape (..., V)
        float64; exactly one 1 per token.

    See Also
    --------
    agreement_task
    Book chapter 1, "Why sequences need memory" (feeding words to a network).

    Examples
    --------
    >>> one_hot(np.array([[0], [2]]), 3)[:, 0]
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    tokens = np.asarray(tokens)
    if not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"tokens must be integers, got dtype {tokens.dtype}.")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= V):
        raise ValueError(f"tokens must lie in [0, {V}), got range "
                         f"[{tokens.min()}, {tokens.max()}].")
    return np.eye(V, dtype=np.float64)[tokens]  # (*tokens.shape, V)


# ---------------------------------------------------------------------------
# subject-verb agreement

#: Subject nouns as (singular, plural) pairs.
SUBJECTS = (("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("horse", "horses"),
            ("fox", "foxes"), ("mouse", "mice"))
#: Distractor nouns as (singular, plural) pairs; disjoint from the subjects.
DISTRACTORS = (("tree", "trees"), ("house", "houses"), ("box", "boxes"),
               ("bridge", "bridges"), ("wall", "walls"), ("car", "cars"))
PREPOSITIONS = ("near", "behind", "under", "beside")
FILLERS = ("quietly", "often", "today", "again", "still", "here", "outside", "really",
           "always", "later", "nearby", "then")
VERBS = ("was", "were")


def _agreement_vocab() -> list[str]:
    vocab = ["the"]
    for pair in SUBJECTS + DISTRACTORS:
        vocab.extend(pair)
    vocab.extend(PREPOSITIONS)
    vocab.extend(FILLERS)
    return vocab


@dataclass(frozen=True, eq=False)
class AgreementTask:
    """A batch of agreement sentences; see :func:`agreement_task`.

    Attributes
    ----------
    tokens : ndarray of int64, shape (T, N)
        ``T = distance + 2``: "the", the subject, then ``distance`` words.
    X : ndarray of float64, shape (T, N, V)
        One-hot encoding of ``tokens``.
    y : ndarray of int64, shape (N,)
        0 = singular subject ("was"), 1 = plural ("were").
    vocab : list of str
        ``vocab[k]`` is the word with token id ``k`` (V words; the verbs are
        not in it because the network never reads them).
    sentences : list of str
        The full sentences including the correct verb.
    distance : int
        Words between the subject and the verb.
    distractor : ndarray of bool, shape (N,)
        Whether the sentence contains a distractor noun phrase.
    attractor : ndarray of bool, shape (N,)
        Whether that distractor has the opposite number to the subject.
    """

    tokens: np.ndarray
    X: np.ndarray
    y: np.ndarray
    vocab: list[str]
    sentences: list[str]
    distance: int
    distractor: np.ndarray
    attractor: np.ndarray
    verbs: tuple[str, str] = field(default=VERBS)

    @property
    def word_to_id(self) -> dict[str, int]:
        """Inverse of ``vocab``."""
        return {w: k for k, w in enumerate(self.vocab)}


def agreement_task(
    n: int,
    distance: int,
    rng: Seed = 0,
    *,
    distractor_prob: float = 0.5,
    attractor_prob: float = 0.5,
) -> AgreementTask:
    r"""Sentences whose verb must agree with a subject ``distance`` words back.

    Each sentence is "the" + a subject noun (singular or plural, 50/50) +
    ``distance`` filler words, and the label is the number of the verb that
    should follow: ``"the cat quietly near the trees today" -> was``. The
    network reads the prefix and predicts the label at the last step, so it
    must carry one bit across ``distance + 1`` steps.

    Parameters
    ----------
    n : int
        Number of sentences N.
    distance : int
        Number of words between the subject and the verb (>= 0).
    rng : int or Generator
        Seed or generator; the same seed gives the same task.
    distractor_prob : float
        Probability that the filler contains a distractor phrase such as
        "near the trees" (needs ``distance >= 3``). Its start is uniform over
        the filler, so it is sometimes the last thing read.
    attractor_prob : float
        Probability that a distractor has the *opposite* number to the
        subject (an "attractor", Linzen et al. 2016). The default 0.5 makes
        the distractor's number independent of the label, so neither the last
        token nor the nearest noun predicts the verb better than chance; only
        the subject does. With 1.0 every distractor misleads, which makes the
        last-noun heuristic always wrong but lets a model answer "opposite of
        the distractor" without remembering the subject.

    Returns
    -------
    AgreementTask
        ``tokens`` (T, N), ``X`` (T, N, V), ``y`` (N,), ``vocab``,
        ``sentences``, ``distance``, ``distractor`` and ``attractor`` masks.

    Notes
    -----
    The subject nouns (cat, dog, ...) and the distractor nouns (tree, house,
    ...) are disjoint sets, and the other fillers are number-neutral adverbs,
    so the label is a function of the token at step 1 alone:

    .. math:: y = \mathbb 1[\text{tokens}_1 \text{ is a plural subject}]

    The chance baseline is 50 % accuracy (binary cross-entropy
    :math:`\ln 2`).

    See Also
    --------
    Book chapter 2, "When memory fades" (the cat/cats example); chapter 8
    (RNN vs LSTM vs GRU by distance).

    Examples
    --------
    >>> task = agreement_task(2, 4, rng=0)
    >>> task.tokens.shape, task.X.shape, task.y.shape
    ((6, 2), (6, 2, 41), (2,))
    """
    n = check_count("n", n, 1)
    distance = check_count("distance", distance, 0)
    distractor_prob = _check_prob("distractor_prob", distractor_prob)
    attractor_prob = _check_prob("attractor_prob", attractor_prob)
    rng = np.random.default_rng(rng)
    vocab = _agreement_vocab()
    ids = {w: k for k, w in enumerate(vocab)}

    T = distance + 2
    tokens = np.empty((T, n), dtype=np.int64)
    y = rng.integers(0, 2, size=n).astype(np.int64)  # (N,)
    subj = rng.integers(0, len(SUBJECTS), size=n)  # (N,)
    fill = rng.integers(0, len(FILLERS), size=(distance, n))  # (distance, N)
    has_distractor = (rng.random(n) < distractor_prob) & (distance >= 3)  # (N,)
    opposite = rng.random(n) < attractor_prob  # (N,)
    which = rng.integers(0, len(DISTRACTORS), size=n)  # (N,)
    prep = rng.integers(0, len(PREPOSITIONS), size=n)  # (N,)
    start = rng.integers(0, max(distance - 2, 1), size=n)  # (N,) start of the phrase

    sentences = []
    for j in range(n):
        words = ["the", SUBJECTS[subj[j]][y[j]]]
        filler = [FILLERS[k] for k in fill[:, j]]
        if has_distractor[j]:
            number = 1 - y[j] if opposite[j] else y[j]
            s = int(start[j])
            filler[s:s + 3] = [PREPOSITIONS[prep[j]], "the", DISTRACTORS[which[j]][number]]
        words.extend(filler)
        tokens[:, j] = [ids[w] for w in words]
        sentences.append(" ".join([*words, VERBS[y[j]]]))
    return AgreementTask(
        tokens=tokens,
        X=one_hot(tokens, len(vocab)),
        y=y,
        vocab=vocab,
        sentences=sentences,
        distance=distance,
        distractor=has_distractor,
        attractor=has_distractor & opposite,
    )


def agreement_batches(
    batch_size: int, distance: int, n_batches: int, **task_kwargs: float
) -> Callable[[int, np.random.Generator], list[AgreementTask]]:
    """A ``batches`` callable for :func:`course_pkg.train.train`: fresh sentences every epoch.

    Parameters
    ----------
    batch_size, distance, n_batches : int
        Sentences per batch, words between subject and verb, batches per epoch.
    **task_kwargs
        Passed to :func:`agreement_task` (``distractor_prob``, ``attractor_prob``).

    Returns
    -------
    callable
        ``batches(epoch, rng) -> list of AgreementTask``, drawing from the
        training loop's seeded ``rng`` (so ``train(..., seed=0)`` is
        reproducible).

    See Also
    --------
    agreement_task, course_pkg.train.train
    Book chapter 7, "The whole cell, through time" (training on the agreement task).
    """
    batch_size = check_count("batch_size", batch_size, 1)
    distance = check_count("distance", distance, 0)
    n_batches = check_count("n_batches", n_batches, 1)

    def batches(epoch: int, rng: np.random.Generator) -> list[AgreementTask]:
        return [agreement_task(batch_size, distance, rng, **task_kwargs)
                for _ in range(n_batches)]

    return batches


# ---------------------------------------------------------------------------
# adding problem


def adding_task(n: int, T: int, rng: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""The adding problem: add the two marked numbers of a long sequence.

    Parameters
    ----------
    n : int
        Number of sequences N.
    T : int
        Sequence length (>= 2).
    rng : int or Generator
        Seed or generator; the same seed gives the same arrays.

    Returns
    -------
    X : ndarray of float64, shape (T, N, 2)
        Channel 0: values uniform in [0, 1). Channel 1: markers, exactly two
        ones per sequence, one in the first half ``[0, T // 2)`` and one in
        the second half ``[T // 2, T)``.
    y : ndarray of float64, shape (N,)
        The sum of the two marked values.

    Notes
    -----
    .. math:: y = \sum_t X_{t,0}\, X_{t,1}

    Hochreiter and Schmidhuber (1997, experiment 4) introduced the task; the
    placement of one marker per half follows Le et al. (2015). Predicting
    the constant 1 gives a mean squared error of :math:`2 \cdot 1/12 = 1/6
    \approx 0.167`: a model must beat that to have learned anything.

    See Also
    --------
    course_pkg.experiments.gradient_flow.exploding_gradients
    Book chapter 2, "When memory fades" (exploding gradients and clipping).
    """
    n = check_count("n", n, 1)
    T = check_count("T", T, 2)
    rng = np.random.default_rng(rng)
    half = T // 2
    values = rng.random((T, n))  # (T, N)
    first = rng.integers(0, half, size=n)  # (N,)
    second = rng.integers(half, T, size=n)  # (N,)
    markers = np.zeros((T, n))  # (T, N)
    cols = np.arange(n)
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    X = np.stack([values, markers], axis=-1)  # (T, N, 2)
    y = values[first, cols] + values[second, cols]  # (N,)
    return X, y


# ---------------------------------------------------------------------------
# copy task


@dataclass(frozen=True, eq=False)
class CopyTask:
    """A batch of the copy task; see :func:`copy_task`.

    Attributes
    ----------
    src : ndarray of int64, shape (L, N)
        Input tokens, ``L = 2 T + delay``.
    X : ndarray of float64, shape (L, N, V)
        One-hot ``src``; ``V = n_symbols + 2``.
    targets : ndarray of int64, shape (L, N)
        Blank everywhere except the last ``T`` steps, which hold the symbols.
    mask : ndarray of bool, shape (L, N)
        True on the last ``T`` steps (where the copy is scored).
    symbols : ndarray of int64, shape (T, N)
        The symbols to copy.
    blank, go : int
        Token ids of the blank (0) and of the "start copying" marker
        (``n_symbols + 1``).
    delay : int
    """

    src: np.ndarray
    X: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    symbols: np.ndarray
    blank: int
    go: int
    delay: int

    @property
    def V(self) -> int:
        """Vocabulary size (blank, the symbols, go)."""
        return self.go + 1


def copy_task(n: int, T: int, delay: int, n_symbols: int = 8, rng: Seed = 0) -> CopyTask:
    r"""The copy task: read ``T`` symbols, wait ``delay`` steps, write them back.

    Parameters
    ----------
    n : int
        Number of sequences N.
    T : int
        Number of symbols to copy (>= 1).
    delay : int
        Steps between the end of the symbols and the start of the copy
        (>= 1); the last of them carries the "go" marker.
    n_symbols : int
        Alphabet size (>= 1); symbols are token ids ``1 .. n_symbols``.
    rng : int or Generator

    Returns
    -------
    CopyTask
        ``src`` and ``targets`` of shape (L, N) with ``L = 2T + delay``,
        one-hot ``X`` (L, N, n_symbols + 2) and the scoring ``mask``.

    Notes
    -----
    With blank :math:`b = 0` and go marker :math:`\gamma = K + 1`::

        src     = s_1 ... s_T  b ... b γ  b ... b
        targets = b   ...   b  b ... b b  s_1 ... s_T
                  |--- T ---|  |-delay-|  |--- T ---|

    A model that ignores the input can only guess, for a cross-entropy of
    :math:`\ln K` per scored step; a perfect copy needs the symbols to
    survive :math:`T + \text{delay}` steps of recurrence.

    See Also
    --------
    adding_task
    Book chapter 5, "The cell state" (what a long memory is for).
    """
    n = check_count("n", n, 1)
    T = check_count("T", T, 1)
    delay = check_count("delay", delay, 1)
    n_symbols = check_count("n_symbols", n_symbols, 1)
    rng = np.random.default_rng(rng)
    L = 2 * T + delay
    blank, go = 0, n_symbols + 1
    symbols = rng.integers(1, n_symbols + 1, size=(T, n)).astype(np.int64)  # (T, N)
    src = np.full((L, n), blank, dtype=np.int64)  # (L, N)
    src[:T] = symbols
    src[T + delay - 1] = go
    targets = np.full((L, n), blank, dtype=np.int64)  # (L, N)
    targets[T + delay:] = symbols
    mask = np.zeros((L, n), dtype=bool)  # (L, N)
    mask[T + delay:] = True
    return CopyTask(src=src, X=one_hot(src, n_symbols + 2), targets=targets, mask=mask,
                    symbols=symbols, blank=blank, go=go, delay=delay)


@dataclass(frozen=True, eq=False)
class ReverseTask(SpecialIds):
    """A batch of the reversal task; see :func:`reverse_task`.

    Attributes
    ----------
    src : ndarray of int64, shape (S, N)
        Source symbols, padded with 0 at the end; ``S`` is the longest length.
    src_mask : ndarray of bool, shape (S, N)
        True on real symbols.
    tgt_in : ndarray of int64, shape (S + 1, N)
        Decoder input: ``<bos>`` then the reversed symbols, padded with 0.
    tgt_out : ndarray of int64, shape (S + 1, N)
        Decoder target: the reversed symbols then ``<eos>``, padded with 0.
    tgt_mask : ndarray of bool, shape (S + 1, N)
        True on the ``L_n + 1`` scored steps of each column.
    lengths : ndarray of int64, shape (N,)
        The number of symbols ``L_n`` of each example.
    vocab : list of str
        Id -> symbol for source and target alike: ``<pad>`` (0), ``<bos>``
        (1), ``<eos>`` (2), then the symbols ``"a"``, ``"b"``, ...
    src_strings, tgt_strings : list of str
        E.g. ``"cafe"`` and ``"efac"``.
    """

    src: np.ndarray
    src_mask: np.ndarray
    tgt_in: np.ndarray
    tgt_out: np.ndarray
    tgt_mask: np.ndarray
    lengths: np.ndarray
    vocab: list[str]
    src_strings: list[str]
    tgt_strings: list[str]

    @property
    def V(self) -> int:
        """Vocabulary size, ``n_symbols + 3``."""
        return len(self.vocab)

    def decode(self, tokens: np.ndarray) -> str:
        """Symbols of a 1-D token array up to the first ``<eos>`` (pad and bos skipped)."""
        return decode_ids(np.asarray(tokens).ravel(), self.vocab, EOS)


def _symbol_names(n_symbols: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    if n_symbols <= len(letters):
        return list(letters[:n_symbols])
    return [f"s{k}" for k in range(n_symbols)]


def reverse_task(
    n: int, lengths: int | Sequence[int] = (4, 8, 12), n_symbols: int = 8, rng: Seed = 0
) -> ReverseTask:
    r"""Random symbol strings and their reversals, shaped for an encoder-decoder.

    Parameters
    ----------
    n : int
        Number of examples N.
    lengths : int or sequence of int
        The string length, or the lengths to draw from (uniformly, per
        example); every length must be >= 1.
    n_symbols : int
        Alphabet size K (>= 1); the symbols are drawn uniformly and
        independently, token ids ``3 .. K + 2``.
    rng : int or Generator

    Returns
    -------
    ReverseTask
        ``src``/``src_mask`` (S, N) and ``tgt_in``/``tgt_out``/``tgt_mask``
        (S + 1, N) with ``S`` the longest drawn length, time-major, padded
        with ``<pad>`` = 0 at the end, plus the lengths, the vocabulary and
        the strings.

    Notes
    -----
    For a source :math:`x_1 \dots x_L` the target is :math:`y_t = x_{L+1-t}`::

        src     = x_1 ... x_L
        tgt_in  = <bos> x_L ... x_1
        tgt_out = x_L   ...  x_1 <eos>

    Unlike a date, a random string cannot be compressed: it carries
    :math:`L \log_2 K` bits, all of which the decoder must reproduce, so the
    content grows with the length. Reversing rather than copying puts the
    last symbol read first in the output (the order that helped the
    encoder-decoders of Sutskever et al. 2014).

    See Also
    --------
    copy_task
    Book chapter 9, "Encoder-decoder and the bottleneck"; chapter 10, "Attention".

    Examples
    --------
    >>> task = reverse_task(2, lengths=[3, 5], rng=0)
    >>> task.tgt_strings[0] == task.src_strings[0][::-1], task.src.shape[1]
    (True, 2)
    """
    n = check_count("n", n, 1)
    n_symbols = check_count("n_symbols", n_symbols, 1)
    if isinstance(lengths, int | np.integer) and not isinstance(lengths, bool):
        choices = [check_count("lengths", lengths, 1)]
    else:
        if isinstance(lengths, str | bytes) or not isinstance(lengths, Sequence | np.ndarray):
            raise ValueError(f"lengths must be an int or a sequence of ints, got {lengths!r}.")
        choices = [check_count("lengths", L, 1) for L in lengths]
        if not choices:
            raise ValueError("lengths must not be empty.")
    rng = np.random.default_rng(rng)
    vocab = [PAD, BOS, EOS, *_symbol_names(n_symbols)]
    L = np.asarray(choices, dtype=np.int64)[rng.integers(0, len(choices), size=n)]  # (N,)
    S = int(L.max())
    steps = np.arange(S)[:, None]  # (S, 1)
    src_mask = length_mask(L, S)  # (S, N)
    src = np.where(src_mask, rng.integers(3, n_symbols + 3, size=(S, n)), 0).astype(np.int64)
    # reversed source: position t of the output reads source position L - 1 - t
    rev_idx = np.clip(L[None, :] - 1 - steps, 0, S - 1)  # (S, N)
    reversed_src = np.where(src_mask, np.take_along_axis(src, rev_idx, axis=0), 0)  # (S, N)
    tgt_out = np.zeros((S + 1, n), dtype=np.int64)  # (S + 1, N)
    tgt_out[:S] = reversed_src
    tgt_out[L, np.arange(n)] = vocab.index(EOS)
    tgt_in = np.zeros((S + 1, n), dtype=np.int64)  # (S + 1, N)
    tgt_in[0] = vocab.index(BOS)
    tgt_in[1:] = reversed_src
    tgt_mask = length_mask(L + 1, S + 1)  # (S + 1, N): the symbols and <eos>
    src_strings = ["".join(vocab[k] for k in src[: L[j], j]) for j in range(n)]
    return ReverseTask(src=src, src_mask=src_mask, tgt_in=tgt_in, tgt_out=tgt_out,
                       tgt_mask=tgt_mask, lengths=L, vocab=vocab, src_strings=src_strings,
                       tgt_strings=[s[::-1] for s in src_strings])
