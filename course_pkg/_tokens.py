r"""Special tokens and id-to-string helpers shared by the encoder-decoder tasks.

The date task (:mod:`course_pkg.dates`) and the reversal task
(:func:`course_pkg.tasks.reverse_task`) both pad time-major token arrays
with ``<pad>`` = 0, start the decoder with ``<bos>`` and end targets with
``<eos>``. This private module holds what they share: the three special
symbols, the padding mask, the decoding loop and the ``bos``/``eos``
properties of their task dataclasses.

References
----------
Sutskever, I., Vinyals, O. and Le, Q. V. (2014). Sequence to sequence
learning with neural networks. NeurIPS.
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

#: Special symbols: padding (id 0 in every vocabulary), beginning and end of sequence.
PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"


def length_mask(lengths: np.ndarray, T: int) -> np.ndarray:
    """Time-major padding mask: True on the first ``lengths[n]`` steps of column ``n``.

    Parameters
    ----------
    lengths : ndarray of int, shape (N,)
    T : int
        Number of time steps (at least ``max(lengths)``).

    Returns
    -------
    ndarray of bool, shape (T, N)

    See Also
    --------
    Book chapter 9, "Encoder-decoder and the bottleneck" (padding and masks).
    """
    return np.arange(T)[:, None] < np.asarray(lengths)[None, :]  # (T, N)


def decode_ids(
    tokens: Iterable, vocab: Sequence[str], stop: str | None, *, check_range: bool = False
) -> str:
    """Join the symbols of ``tokens``, skipping special ones and stopping at ``stop``.

    Parameters
    ----------
    tokens : iterable of int
        One sequence of ids.
    vocab : sequence of str
        Id -> symbol.
    stop : str or None
        The symbol that ends the sequence (not included); None reads to the end.
    check_range : bool, default False
        Raise ValueError on an id outside ``vocab`` (checked as it is reached).

    Returns
    -------
    str
        The non-special symbols before ``stop``, concatenated.

    See Also
    --------
    Book chapter 10, "Attention" (reading the decoder's output).
    """
    out = []
    for k in tokens:
        if check_range and not 0 <= k < len(vocab):
            raise ValueError(f"token id {int(k)} is outside the vocabulary of size {len(vocab)}.")
        sym = vocab[int(k)]
        if sym == stop:
            break
        if sym in (PAD, BOS, EOS):
            continue
        out.append(sym)
    return "".join(out)


class SpecialIds:
    """Mixin for task dataclasses: the ids of ``<bos>`` and ``<eos>``.

    The subclass names the attribute holding its target vocabulary in
    ``_target_vocab_field``.
    """

    _target_vocab_field = "vocab"

    @property
    def bos(self) -> int:
        """Id of ``<bos>`` in the target vocabulary."""
        return getattr(self, self._target_vocab_field).index(BOS)

    @property
    def eos(self) -> int:
        """Id of ``<eos>`` in the target vocabulary."""
        return getattr(self, self._target_vocab_field).index(EOS)
