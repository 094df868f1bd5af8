r"""A hand-built encoder-decoder on which greedy decoding misses the best sequence.

Chapter 9's exercise on greedy decoding, made concrete: the decoder is an
LSTM whose weights are set by hand so that the distribution of the next
token depends only on the previous token (the forget gate is shut, the
input and output gates are open, and each token switches on its own hidden
unit). :func:`greedy_trap` builds it from a table of next-token
probabilities; with the default table the most likely first token ``a``
leads to an unsure continuation, while the less likely ``b`` is almost
always followed by the end of the sequence, so greedy decoding returns a
less probable sequence than beam search with two beams.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid

__all__ = ["TRAP_TABLE", "TRAP_VOCAB", "greedy_trap"]

#: Target vocabulary of the trap: end, begin, and two letters.
TRAP_VOCAB = ("<eos>", "<bos>", "a", "b")

#: Next-token probabilities, one row per previous token (columns as TRAP_VOCAB).
TRAP_TABLE = (
    (0.25, 1e-6, 0.375, 0.375),     # after <eos> (never used)
    (0.05, 1e-6, 0.55, 0.40),       # after <bos>: "a" is the most likely start
    (0.34, 1e-6, 0.33, 0.33),       # after "a": unsure
    (0.90, 1e-6, 0.05, 0.05),       # after "b": almost surely the end
)

_GATE = 30.0   # pre-activation that shuts (-) or opens (+) a gate
_CAND = 3.0    # pre-activation of the candidate of the active unit


def greedy_trap(table: np.ndarray | tuple = TRAP_TABLE) -> tuple[dict[str, np.ndarray], np.ndarray,
                                                        np.ndarray]:
    r"""An LSTM encoder-decoder whose next-token distribution is ``table[previous token]``.

    Parameters
    ----------
    table : array_like of shape (V, V)
        Row ``v``: the probabilities of the next token after token ``v``
        (positive; rows are normalised here). Token 0 is the end, 1 the
        beginning of the sequence, as in :data:`TRAP_VOCAB`.

    Returns
    -------
    params : dict of ndarray
        For :mod:`course_pkg.seq2seq` with ``cell="lstm"``, ``attention=None``,
        :math:`E = H = V`.
    src, src_mask : ndarray of shape (1, 1)
        A one-token source (the encoder's state is forgotten at once).

    Raises
    ------
    ValueError
        If ``table`` is not square with positive entries and at least 2 rows.

    Notes
    -----
    The target embedding is the identity, so token :math:`v` is the unit
    vector :math:`e_v`. With :math:`f = \sigma(-30) \approx 0`,
    :math:`i = o = \sigma(30) \approx 1` and :math:`g = \tanh(3 e_v)`, the
    decoder state after reading :math:`v` is :math:`h = \eta\, e_v` with
    :math:`\eta = \sigma(30) \tanh(\sigma(30) \tanh 3)`, and
    :math:`W_{out}[v] = \log(\text{table}[v]) / \eta` makes the softmax of
    :math:`h W_{out}` equal to the row (up to :math:`\sigma(-30) \approx
    10^{-13}`).

    See Also
    --------
    course_pkg.seq2seq.beam_search
    Book chapter 9, "Encoder-decoder and the bottleneck".
    """
    table = np.asarray(table, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] != table.shape[1] or table.shape[0] < 2:
        raise ValueError(f"table must be a square (V, V) array with V >= 2, got {table.shape}.")
    if not np.all(table > 0):
        raise ValueError("table must hold positive probabilities (use 1e-6 for 'never').")
    table = table / table.sum(axis=1, keepdims=True)  # (V, V)
    V = table.shape[0]
    H = E = V
    zeros_w = np.zeros((H + E, H))
    eye_x = np.vstack([np.zeros((H, H)), np.eye(E)])  # (H + E, H): x -> its own unit
    cell = {
        "W_f": zeros_w, "b_f": np.full(H, -_GATE),
        "W_i": zeros_w, "b_i": np.full(H, _GATE),
        "W_g": _CAND * eye_x, "b_g": np.zeros(H),
        "W_o": zeros_w, "b_o": np.full(H, _GATE),
    }
    eta = sigmoid(_GATE) * np.tanh(sigmoid(_GATE) * np.tanh(_CAND))
    params = {"E_src": np.zeros((1, E)), "E_tgt": np.eye(V)}
    for prefix in ("enc_", "dec_"):
        params.update({prefix + k: v.copy() for k, v in cell.items()})
    params["W_out"] = np.log(table) / eta  # (H, V)
    params["b_out"] = np.zeros(V)
    return params, np.zeros((1, 1), dtype=np.int64), np.ones((1, 1), dtype=bool)
