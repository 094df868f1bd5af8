r"""The date-translation task: human-written dates to ISO 8601.

An encoder-decoder reads a date written the way people write it
("Mon 23 Nov 2026", "November 23, 2026", "23.11.26") one character at a time
and writes it in ISO form ("2026-11-23"). The sources vary in length (8 to
37 characters) while the target is always 10 characters, which is exactly
what chapters 9 and 10 need: a plain encoder-decoder must squeeze every
source through one final state (the bottleneck), and attention lets the
decoder look back at the characters it needs.

* :data:`DATE_FORMATS` -- the source formats, keyed by their LDML pattern;
* :func:`date_task` -- a seeded batch (:class:`DateTask`);
* :func:`date_source_vocab`, :func:`date_target_vocab` -- fixed vocabularies;
* :func:`encode_dates`, :func:`decode_source`, :func:`decode_target` --
  between strings and time-major token arrays.

Everything here is also importable from :mod:`course_pkg.tasks`, where the
other toy tasks live.

References
----------
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR.
Luong, M.-T., Pham, H. and Manning, C. D. (2015). Effective approaches to
attention-based neural machine translation. EMNLP.
Unicode Technical Standard #35 (LDML), part 4: date format patterns.
"""

from __future__ import annotations

import datetime
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._checks import check_count
from ._tokens import BOS, EOS, PAD, SpecialIds, decode_ids, length_mask

__all__ = [
    "BOS",
    "DATE_FORMATS",
    "EOS",
    "MONTHS",
    "PAD",
    "WEEKDAYS",
    "DateTask",
    "date_source_vocab",
    "date_target_vocab",
    "date_task",
    "decode_source",
    "decode_target",
    "encode_dates",
    "format_date",
]

Seed = int | np.random.Generator | None

#: English month names; ``MMM`` takes the first three letters.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
#: English weekday names, Monday first (``datetime.date.weekday``); ``EEE`` takes three letters.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# PAD, BOS, EOS (padding = id 0 in both vocabularies) come from course_pkg._tokens,
# shared with course_pkg.tasks.reverse_task.


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


#: Source formats, keyed by their Unicode LDML (CLDR) pattern. English names are
#: spelled out here rather than taken from ``strftime``, which depends on the locale.
#: Read-only (a ``MappingProxyType``): the vocabulary below is derived from it.
DATE_FORMATS: Mapping[str, Callable[[datetime.date], str]] = types.MappingProxyType({
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
})

# Every character a format can produce: digits, the separators, the letters of
# the month and weekday names, and those of the literal words and ordinal
# suffixes ("the", "of", "st", "nd", "rd", "th"). A constant, computed once at
# import from the tuples above (tests check it against rendered dates).
_SRC_CHARS: tuple[str, ...] = tuple(sorted(
    set("0123456789 .,/") | set("".join(MONTHS + WEEKDAYS)) | set("theofstndrd")
))
_TGT_SYMBOLS: tuple[str, ...] = (PAD, BOS, EOS, "-", *"0123456789")


def format_date(date: datetime.date, fmt: str) -> str:
    """Render ``date`` in one of :data:`DATE_FORMATS`.

    Parameters
    ----------
    date : datetime.date
    fmt : str
        A key of :data:`DATE_FORMATS`, e.g. ``"EEE d MMM yyyy"``.

    Returns
    -------
    str
        The date as a person would write it in that format.

    See Also
    --------
    date_task
    Book chapter 9, "Encoder-decoder and the bottleneck".

    Examples
    --------
    >>> format_date(datetime.date(2026, 11, 23), "EEE d MMM yyyy")
    'Mon 23 Nov 2026'
    """
    if fmt not in DATE_FORMATS:
        raise ValueError(f"unknown date format {fmt!r}; choose from {list(DATE_FORMATS)}.")
    return DATE_FORMATS[fmt](date)


def date_source_vocab() -> list[str]:
    """Source characters: ``["<pad>", " ", ",", ...]``; ``<pad>`` is id 0.

    Returns
    -------
    list of str
        ``vocab[k]`` is the character with id ``k``: ``<pad>`` first, then
        every character any of :data:`DATE_FORMATS` can produce, sorted. The
        list is fixed (independent of the sample and of the formats chosen),
        so a model trained on one :class:`DateTask` can read another. A new
        list is returned on every call.

    See Also
    --------
    date_target_vocab, encode_dates
    Book chapter 9, "Encoder-decoder and the bottleneck".
    """
    return [PAD, *_SRC_CHARS]


def date_target_vocab() -> list[str]:
    """Target symbols: ``["<pad>", "<bos>", "<eos>", "-", "0", ..., "9"]``.

    Returns
    -------
    list of str
        14 symbols; ``<pad>`` is id 0, ``<bos>`` 1 and ``<eos>`` 2. A new
        list is returned on every call.

    See Also
    --------
    date_source_vocab, decode_target
    Book chapter 9, "Encoder-decoder and the bottleneck".
    """
    return list(_TGT_SYMBOLS)


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

    Raises
    ------
    ValueError
        If ``strings`` is a bare string or empty, or holds a character outside
        the source vocabulary.

    See Also
    --------
    decode_source
    Book chapter 9, "Encoder-decoder and the bottleneck" (padding and masks).

    Examples
    --------
    >>> src, mask = encode_dates(["1 May 2000", "12/01/1999"])
    >>> src.shape, mask.sum(axis=0)
    ((10, 2), array([10, 10]))
    """
    if isinstance(strings, str) or not len(strings):
        raise ValueError("strings must be a non-empty list of str (wrap one string in a list).")
    ids = {c: k for k, c in enumerate(date_source_vocab())}
    S = max(len(s) for s in strings)
    if S == 0:
        raise ValueError("every source string is empty; the encoder needs at least one char.")
    src = np.zeros((S, len(strings)), dtype=np.int64)  # (S, N)
    for j, s in enumerate(strings):
        unknown = sorted({c for c in s if c not in ids or c == PAD})
        if unknown:
            raise ValueError(
                f"strings[{j}] = {s!r} contains character(s) {unknown} outside the source "
                f"vocabulary; allowed: {''.join(date_source_vocab()[1:])!r}."
            )
        src[: len(s), j] = [ids[c] for c in s]
    mask = length_mask(np.array([len(s) for s in strings]), S)  # (S, N)
    return src, mask


def _decode(tokens: np.ndarray, vocab: Sequence[str], stop: str | None) -> str:
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(
            f"tokens must be a 1-D int array (one sequence; use tokens[:, j] for column j "
            f"of a (T, N) array), got dtype {tokens.dtype} and shape {tokens.shape}."
        )
    return decode_ids(tokens, vocab, stop, check_range=True)


def decode_target(tokens: np.ndarray) -> str:
    """Turn target ids back into a string, dropping ``<bos>``/``<pad>`` and stopping at ``<eos>``.

    Parameters
    ----------
    tokens : ndarray of int, shape (T,)
        One target sequence (a column ``tgt_out[:, j]`` or a row of decoded ids).

    Returns
    -------
    str
        E.g. ``"2026-11-23"``.

    See Also
    --------
    date_target_vocab
    Book chapter 10, "Attention" (reading the decoder's output).

    Examples
    --------
    >>> decode_target(np.array([1, 6, 4, 6, 10, 3, 5, 5, 3, 6, 7, 2, 0]))
    '2026-11-23'
    """
    return _decode(tokens, date_target_vocab(), EOS)


def decode_source(tokens: np.ndarray) -> str:
    """Turn source ids (one column of ``src``) back into the date string.

    Parameters
    ----------
    tokens : ndarray of int, shape (S,)
        One source sequence; ``<pad>`` ids are dropped.

    Returns
    -------
    str

    See Also
    --------
    encode_dates
    Book chapter 9, "Encoder-decoder and the bottleneck".

    Examples
    --------
    >>> decode_source(encode_dates(["1 May 2000", "Mon 23 Nov 2026"])[0][:, 0])
    '1 May 2000'
    """
    return _decode(tokens, date_source_vocab(), None)


@dataclass(frozen=True, eq=False)
class DateTask(SpecialIds):
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

    _target_vocab_field = "tgt_vocab"  # for SpecialIds.bos / .eos

    @property
    def src_lengths(self) -> np.ndarray:
        """Number of real characters per source, int64 (N,)."""
        return self.src_mask.sum(axis=0).astype(np.int64)

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
    n = check_count("n", n, 1)
    fmts = list(DATE_FORMATS) if formats is None else list(formats)
    if isinstance(formats, str) or not fmts:
        raise ValueError(f"formats must be a non-empty list of keys of DATE_FORMATS, "
                         f"got {formats!r}.")
    unknown = [f for f in fmts if f not in DATE_FORMATS]
    if unknown:
        raise ValueError(f"unknown date format(s) {unknown}; choose from {list(DATE_FORMATS)}.")
    min_year = check_count("min_year", min_year, datetime.MINYEAR)
    max_year = check_count("max_year", max_year, min_year)
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
