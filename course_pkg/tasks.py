r"""Toy sequence tasks, generated locally and seeded.

Each task isolates one thing a recurrent network must do:

* :func:`agreement_task` -- remember one bit (is the subject singular or
  plural?) across ``distance`` words, to choose between "was" and "were"
  (chapters 2, 7, 8; the cat/cats example, after Linzen et al. 2016).
* :func:`adding_task` -- find two marked numbers in a long sequence and add
  them (Hochreiter and Schmidhuber 1997).
* :func:`copy_task` -- read a string of symbols, wait, and write it back
  (Hochreiter and Schmidhuber 1997; Arjovsky et al. 2016).
* :func:`date_task` -- translate human-written dates ("Mon 23 Nov 2026") into
  ISO ("2026-11-23") with an encoder-decoder (chapters 9 and 10).

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
jointly learning to align and translate. ICLR.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "DATE_FORMATS",
    "AgreementTask",
    "CopyTask",
    "DateTask",
    "adding_task",
    "agreement_batches",
    "agreement_task",
    "copy_task",
    "date_source_vocab",
    "date_target_vocab",
    "date_task",
    "decode_source",
    "decode_target",
    "encode_dates",
    "format_date",
    "one_hot",
]

Seed = int | np.random.Generator | None


def _check_count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _check_prob(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}.")
    return value


def one_hot(tokens: np.ndarray, V: int) -> np.ndarray:
    """One-hot encode integer tokens of any shape into float64 ``(*shape, V)``.

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
    n = _check_count("n", n, 1)
    distance = _check_count("distance", distance, 0)
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
    **task_kwargs
        Passed to :func:`agreement_task` (``distractor_prob``, ``attractor_prob``).

    Returns
    -------
    callable
        ``batches(epoch, rng) -> list of AgreementTask``, drawing from the
        training loop's seeded ``rng`` (so ``train(..., seed=0)`` is
        reproducible).
    """
    batch_size = _check_count("batch_size", batch_size, 1)
    distance = _check_count("distance", distance, 0)
    n_batches = _check_count("n_batches", n_batches, 1)

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
    """
    n = _check_count("n", n, 1)
    T = _check_count("T", T, 2)
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
    """
    n = _check_count("n", n, 1)
    T = _check_count("T", T, 1)
    delay = _check_count("delay", delay, 1)
    n_symbols = _check_count("n_symbols", n_symbols, 1)
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


# ---------------------------------------------------------------------------
# date translation

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


#: Source formats, keyed by their Unicode LDML (CLDR) pattern. English names are
#: spelled out here rather than taken from ``strftime``, which depends on the locale.
DATE_FORMATS: dict[str, Callable[[datetime.date], str]] = {
    "dd.MM.yy": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",
    "MM/dd/yyyy": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year:04d}",
    "d MMM yyyy": lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year:04d}",
    "EEE d MMM yyyy": lambda d: (f"{WEEKDAYS[d.weekday()][:3]} {d.day} "
                                 f"{MONTHS[d.month - 1][:3]} {d.year:04d}"),
    "d MMMM yyyy": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year:04d}",
    "MMMM d, yyyy": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year:04d}",
    "EEEE, d MMMM yyyy": lambda d: (f"{WEEKDAYS[d.weekday()]}, {d.day} "
                                    f"{MONTHS[d.month - 1]} {d.year:04d}"),
    "EEEE, 'the' do 'of' MMMM yyyy": lambda d: (f"{WEEKDAYS[d.weekday()]}, the "
                                                f"{_ordinal(d.day)} of "
                                                f"{MONTHS[d.month - 1]} {d.year:04d}"),
}

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"


def format_date(date: datetime.date, fmt: str) -> str:
    """Render ``date`` in one of :data:`DATE_FORMATS`.

    >>> format_date(datetime.date(2026, 11, 23), "EEE d MMM yyyy")
    'Mon 23 Nov 2026'
    """
    if fmt not in DATE_FORMATS:
        raise ValueError(f"unknown date format {fmt!r}; choose from {list(DATE_FORMATS)}.")
    return DATE_FORMATS[fmt](date)


@functools.cache
def _src_chars() -> tuple[str, ...]:
    # Every character any format can produce: render all formats over two
    # years (every month, weekday, day number and digit appears).
    chars: set[str] = set()
    day = datetime.date(1999, 1, 1)
    for _ in range(731):
        for render in DATE_FORMATS.values():
            chars.update(render(day))
        day += datetime.timedelta(days=1)
    return tuple(sorted(chars))


def date_source_vocab() -> list[str]:
    """Source characters: ``["<pad>", " ", ",", ...]``; ``<pad>`` is id 0.

    Fixed (independent of the sample and of the formats chosen), so a model
    trained on one :class:`DateTask` can read another.
    """
    return [PAD, *_src_chars()]


def date_target_vocab() -> list[str]:
    """Target symbols: ``["<pad>", "<bos>", "<eos>", "-", "0", ..., "9"]``."""
    return [PAD, BOS, EOS, "-", *"0123456789"]


def encode_dates(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Encode source strings as padded, time-major character ids.

    Parameters
    ----------
    strings : sequence of str
        N date strings made of characters in :func:`date_source_vocab`.

    Returns
    -------
    src : ndarray of int64, shape (S, N)
        ``S`` is the longest string's length; shorter ones are padded with
        ``<pad>`` = 0 at the end.
    src_mask : ndarray of bool, shape (S, N)
        True on real characters.
    """
    if isinstance(strings, str) or not len(strings):
        raise ValueError("strings must be a non-empty list of str (wrap one string in a list).")
    ids = {c: k for k, c in enumerate(date_source_vocab())}
    S = max(len(s) for s in strings)
    if S == 0:
        raise ValueError("every source string is empty; the encoder needs at least one char.")
    src = np.zeros((S, len(strings)), dtype=np.int64)  # (S, N)
    mask = np.zeros((S, len(strings)), dtype=bool)  # (S, N)
    for j, s in enumerate(strings):
        unknown = sorted({c for c in s if c not in ids or c == PAD})
        if unknown:
            raise ValueError(
                f"strings[{j}] = {s!r} contains character(s) {unknown} outside the source "
                f"vocabulary; allowed: {''.join(date_source_vocab()[1:])!r}."
            )
        src[: len(s), j] = [ids[c] for c in s]
        mask[: len(s), j] = True
    return src, mask


def _decode(tokens: np.ndarray, vocab: Sequence[str], stop: str | None) -> str:
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(
            f"tokens must be a 1-D int array (one sequence; use tokens[:, j] for column j "
            f"of a (T, N) array), got dtype {tokens.dtype} and shape {tokens.shape}."
        )
    out = []
    for k in tokens:
        if not 0 <= k < len(vocab):
            raise ValueError(f"token id {int(k)} is outside the vocabulary of size {len(vocab)}.")
        sym = vocab[k]
        if sym == stop:
            break
        if sym in (PAD, BOS, EOS):
            continue
        out.append(sym)
    return "".join(out)


def decode_target(tokens: np.ndarray) -> str:
    """Turn target ids back into a string, dropping ``<bos>``/``<pad>`` and stopping at ``<eos>``.

    >>> decode_target(np.array([1, 6, 4, 6, 10, 3, 5, 5, 3, 6, 7, 2, 0]))
    '2026-11-23'
    """
    return _decode(tokens, date_target_vocab(), EOS)


def decode_source(tokens: np.ndarray) -> str:
    """Turn source ids (one column of ``src``) back into the date string."""
    return _decode(tokens, date_source_vocab(), None)


@dataclass(frozen=True, eq=False)
class DateTask:
    """A batch of the date-translation task; see :func:`date_task`.

    Attributes
    ----------
    src : ndarray of int64, shape (S, N)
        Source characters, padded with 0 at the end.
    src_mask : ndarray of bool, shape (S, N)
        True on real characters.
    tgt_in : ndarray of int64, shape (T, N)
        Decoder input: ``<bos>`` then the 10 ISO characters (T = 11).
    tgt_out : ndarray of int64, shape (T, N)
        Decoder target: the 10 ISO characters then ``<eos>``.
    src_strings, tgt_strings : list of str
        E.g. ``"23 Nov 2026"`` and ``"2026-11-23"``.
    src_vocab, tgt_vocab : list of str
        Id -> symbol; ``<pad>`` is 0 in both.
    dates : list of datetime.date
    formats : list of str
        The :data:`DATE_FORMATS` key used for each example.
    """

    src: np.ndarray
    src_mask: np.ndarray
    tgt_in: np.ndarray
    tgt_out: np.ndarray
    src_strings: list[str]
    tgt_strings: list[str]
    src_vocab: list[str]
    tgt_vocab: list[str]
    dates: list[datetime.date]
    formats: list[str]

    @property
    def src_lengths(self) -> np.ndarray:
        """Number of real characters per source, int64 (N,)."""
        return self.src_mask.sum(axis=0).astype(np.int64)

    @property
    def bos(self) -> int:
        return self.tgt_vocab.index(BOS)

    @property
    def eos(self) -> int:
        return self.tgt_vocab.index(EOS)

    @staticmethod
    def decode_target(tokens: np.ndarray) -> str:
        """See :func:`decode_target`."""
        return decode_target(tokens)

    @staticmethod
    def decode_source(tokens: np.ndarray) -> str:
        """See :func:`decode_source`."""
        return decode_source(tokens)

    @staticmethod
    def encode_source(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """See :func:`encode_dates`."""
        return encode_dates(strings)


def date_task(
    n: int,
    rng: Seed = 0,
    formats: Sequence[str] | None = None,
    *,
    min_year: int = 1950,
    max_year: int = 2049,
) -> DateTask:
    r"""Human-written dates to translate into ISO 8601.

    Parameters
    ----------
    n : int
        Number of examples N.
    rng : int or Generator
    formats : sequence of str, optional
        Keys of :data:`DATE_FORMATS` to draw from (uniformly, per example);
        default all of them, from ``"23.11.26"`` (8 characters) to
        ``"Monday, the 23rd of November 2026"`` (up to 37).
    min_year, max_year : int
        Dates are uniform over the real calendar days from 1 January
        ``min_year`` to 31 December ``max_year``. With the two-digit-year
        format the range may span at most 100 years, so that ``yy`` names a
        single year.

    Returns
    -------
    DateTask
        ``src``/``src_mask`` (S, N), ``tgt_in``/``tgt_out`` (11, N), the
        strings, the vocabularies, the dates and the format of each example.

    Notes
    -----
    The target is always the 10 characters ``yyyy-MM-dd``, so

    .. math:: \text{tgt\_in} = [\langle\text{bos}\rangle, y_1, \dots, y_{10}], \qquad
              \text{tgt\_out} = [y_1, \dots, y_{10}, \langle\text{eos}\rangle]

    (teacher forcing: at step :math:`t` the decoder reads :math:`y_{t-1}`
    and predicts :math:`y_t`). The sources vary in length, which is what
    chapters 9 and 10 measure accuracy against.

    See Also
    --------
    Book chapter 9, "Encoder-decoder and the bottleneck"; chapter 10,
    "Attention".

    Examples
    --------
    >>> task = date_task(3, rng=0)
    >>> task.tgt_in.shape, task.decode_target(task.tgt_out[:, 0]) == task.tgt_strings[0]
    ((11, 3), True)
    """
    n = _check_count("n", n, 1)
    fmts = list(DATE_FORMATS) if formats is None else list(formats)
    if isinstance(formats, str) or not fmts:
        raise ValueError(f"formats must be a non-empty list of keys of DATE_FORMATS, "
                         f"got {formats!r}.")
    unknown = [f for f in fmts if f not in DATE_FORMATS]
    if unknown:
        raise ValueError(f"unknown date format(s) {unknown}; choose from {list(DATE_FORMATS)}.")
    min_year = _check_count("min_year", min_year, datetime.MINYEAR)
    max_year = _check_count("max_year", max_year, min_year)
    if max_year > datetime.MAXYEAR:
        raise ValueError(f"max_year must be <= {datetime.MAXYEAR}, got {max_year}.")
    if "dd.MM.yy" in fmts and max_year - min_year >= 100:
        raise ValueError(
            f"the two-digit-year format 'dd.MM.yy' is ambiguous over {min_year}-{max_year}; "
            f"use a range of at most 100 years or leave that format out."
        )
    rng = np.random.default_rng(rng)
    lo = datetime.date(min_year, 1, 1).toordinal()
    hi = datetime.date(max_year, 12, 31).toordinal()
    ordinals = rng.integers(lo, hi + 1, size=n)  # (N,)
    chosen = rng.integers(0, len(fmts), size=n)  # (N,)
    dates = [datetime.date.fromordinal(int(o)) for o in ordinals]
    formats_used = [fmts[k] for k in chosen]
    src_strings = [DATE_FORMATS[f](d) for f, d in zip(formats_used, dates)]
    tgt_strings = [d.isoformat() for d in dates]
    src, src_mask = encode_dates(src_strings)

    tgt_vocab = date_target_vocab()
    tid = {c: k for k, c in enumerate(tgt_vocab)}
    body = np.array([[tid[c] for c in s] for s in tgt_strings], dtype=np.int64).T  # (10, N)
    bos = np.full((1, n), tid[BOS], dtype=np.int64)  # (1, N)
    eos = np.full((1, n), tid[EOS], dtype=np.int64)  # (1, N)
    return DateTask(
        src=src,
        src_mask=src_mask,
        tgt_in=np.concatenate([bos, body]),  # (11, N)
        tgt_out=np.concatenate([body, eos]),  # (11, N)
        src_strings=src_strings,
        tgt_strings=tgt_strings,
        src_vocab=date_source_vocab(),
        tgt_vocab=tgt_vocab,
        dates=dates,
        formats=formats_used,
    )
