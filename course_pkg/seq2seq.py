r"""Encoder-decoder (sequence-to-sequence) models, with and without attention.

Chapter 9's analogy: the encoder listens to a whole lecture and writes one
note card (its final state); the decoder must reproduce the lecture from
that card alone. A longer lecture does not get a bigger card, which is the
*bottleneck*. Chapter 10 lets the decoder look back at the encoder's notes
for every source position (all its hidden states) and weight them afresh at
every output step: attention.

Model
-----
* Embeddings ``E_src`` (V_src, E) and ``E_tgt`` (V_tgt, E).
* Encoder: an LSTM or a GRU (reset-after variant) over the embedded source,
  starting from zero states.
* Decoder: the same cell type, started from the encoder's final state, fed
  the embedded *previous* target token (teacher forcing while training,
  its own previous prediction in :func:`greedy_decode`).
* Output without attention: :math:`\text{logits}_t = h_t W_{out} + b_{out}`.
* Output with attention, Luong et al. (2015)'s *global attention* without
  input feeding: the decoder state :math:`h_t` queries the encoder states
  :math:`\bar h_s` (keys and values alike), :math:`c_t = \sum_s \alpha_{ts}
  \bar h_s`, and :math:`\text{logits}_t = [h_t, c_t] W_{out} + b_{out}` with
  ``W_out`` of shape (2H, V_tgt). (Luong's extra :math:`\tanh(W_c[c_t; h_t])`
  layer is folded into the linear output, and the context is not fed back
  into the next decoder input.) Because nothing feeds back, the decoder LSTM
  runs over all target steps first and attention is computed for all steps
  in one batched call.

Padding
-------
Sources are padded at the end; ``src_mask`` (S, N) is True on real tokens.
The encoder *packs by length* (like PyTorch's ``pack_padded_sequence``):
the batch runs in segments between consecutive distinct lengths, and at each
boundary the sequences that have ended drop out, so every sequence runs over
its real tokens only and its final state is the state at its last real token,
exactly. (Each step is still computed once for the whole active batch.)
Encoder states at padded positions are set to zero and masked out of
attention, so padding never influences the output. Padded *target*
positions are handled by the loss mask (:func:`course_pkg.losses.softmax_cross_entropy`).

Parameters (a flat dict, so that :mod:`course_pkg.optim` can update it):
``E_src, E_tgt``; ``enc_<key>`` and ``dec_<key>`` for every key of the cell
(``W_f, b_f, ...`` for the LSTM, ``W_z, b_z, W_r, b_r, W_n, b_n, b_hn`` for
the GRU), with weights (H + E, H); ``W_out`` (H or 2H, V_tgt), ``b_out``
(V_tgt,); and for additive attention ``att_W_q, att_W_k`` (H, A), ``att_b,
att_v`` (A,). The cells' keys and shapes come from the registry
:mod:`course_pkg.cells`.

A parameter dict does not say which cell and attention it was made for (a
dot-product and a scaled dot-product model have the same keys), so the
functions here take ``cell`` and ``attention`` explicitly, and a trained
model travels as a :class:`Seq2SeqModel`: its :class:`Seq2SeqSpec` plus its
parameters.

References
----------
Sutskever, I., Vinyals, O. and Le, Q. V. (2014). Sequence to sequence
learning with neural networks. NeurIPS.
Cho, K. et al. (2014). Learning phrase representations using RNN
encoder-decoder for statistical machine translation. EMNLP.
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR.
Luong, M.-T., Pham, H. and Manning, C. D. (2015). Effective approaches to
attention-based neural machine translation. EMNLP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from . import cells
from ._checks import CheckedParams, check_array, check_cache, check_choice, check_params
from .attention import attention_backward, attention_forward, init_additive_params
from .losses import softmax_cross_entropy

__all__ = [
    "ATTENTIONS",
    "CELLS",
    "GRU_VARIANT",
    "Seq2SeqModel",
    "Seq2SeqSpec",
    "beam_search",
    "greedy_decode",
    "init_seq2seq_params",
    "seq2seq_backward",
    "seq2seq_forward",
    "seq2seq_loss",
    "seq2seq_param_shapes",
    "sequence_log_prob",
]

#: Recurrent cells accepted for encoder and decoder (of those in :data:`course_pkg.cells.CELLS`).
CELLS = ("lstm", "gru")
#: Attention choices (``None`` = the plain encoder-decoder of chapter 9).
ATTENTIONS = (None, "dot", "scaled_dot", "additive")
#: The GRU variant used by both encoder and decoder (PyTorch's).
GRU_VARIANT = "reset_after"


def _check_choice(cell: str, attention: str | None) -> None:
    check_choice("cell", cell, CELLS)
    check_choice("attention", attention, ATTENTIONS)


def _cell_spec(cell: str) -> cells.CellSpec:
    """The encoder's and decoder's cell in the registry (the GRU is :data:`GRU_VARIANT`)."""
    return cells.get_cell(cell, GRU_VARIANT if cell == "gru" else None)


@dataclass(frozen=True)
class Seq2SeqSpec:
    """What kind of encoder-decoder a parameter dict belongs to.

    Attributes
    ----------
    cell : {"lstm", "gru"}
        Encoder and decoder cell (the GRU is the reset-after variant).
    attention : {None, "dot", "scaled_dot", "additive"}
        None is the plain encoder-decoder of chapter 9.

    Raises ValueError on an unknown cell or attention. A plain, immutable
    record: pass ``spec.cell`` and ``spec.attention`` to the functions of
    this module, or keep it with the parameters in a :class:`Seq2SeqModel`.
    """

    cell: str = "lstm"
    attention: str | None = None

    def __post_init__(self) -> None:
        _check_choice(self.cell, self.attention)


@dataclass(frozen=True, eq=False)
class Seq2SeqModel(CheckedParams):
    """A trained (or initialised) encoder-decoder: its spec and its parameters.

    Attributes
    ----------
    spec : Seq2SeqSpec
        How to run the parameters; decoding reads the attention kind from
        here, never from the parameter keys.
    params : mapping of str -> ndarray
        From :func:`init_seq2seq_params` with ``spec.cell`` and
        ``spec.attention`` (stored as a read-only mapping).

    The model is also a read-only mapping over ``params`` (``model["W_out"]``,
    ``for key in model``), so code that reads parameters keeps working.
    """

    spec: Seq2SeqSpec
    params: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        if not isinstance(self.spec, Seq2SeqSpec):
            raise ValueError(f"spec must be a Seq2SeqSpec, got {type(self.spec).__name__}.")
        self._freeze_params(seq2seq_param_shapes(self.spec.cell, self.spec.attention))


def seq2seq_param_shapes(cell: str = "lstm", attention: str | None = None) -> dict:
    """Symbolic shape of every parameter of the model, keyed by name.

    Parameters
    ----------
    cell : {"lstm", "gru"}
    attention : {None, "dot", "scaled_dot", "additive"}

    Returns
    -------
    dict of str -> tuple of str
        E.g. ``"E_src": ("V_src", "E")``, ``"enc_W_f": ("H + E", "H")``,
        ``"W_out": ("2H", "V_tgt")`` with attention.

    See Also
    --------
    init_seq2seq_params
    Book chapter 9, "Encoder-decoder and the bottleneck".
    """
    _check_choice(cell, attention)
    shapes: dict[str, tuple[str, ...]] = {"E_src": ("V_src", "E"), "E_tgt": ("V_tgt", "E")}
    cell_shapes = cells.param_shapes(_cell_spec(cell), input_dim="E")
    for prefix in ("enc_", "dec_"):
        shapes.update({prefix + k: s for k, s in cell_shapes.items()})
    shapes["W_out"] = ("H" if attention is None else "2H", "V_tgt")
    shapes["b_out"] = ("V_tgt",)
    if attention == "additive":
        shapes.update({"att_W_q": ("H", "A"), "att_W_k": ("H", "A"),
                       "att_b": ("A",), "att_v": ("A",)})
    return shapes


def init_seq2seq_params(
    src_vocab: int,
    tgt_vocab: int,
    E: int,
    H: int,
    rng: np.random.Generator | int | None = 0,
    cell: str = "lstm",
    attention: str | None = None,
    *,
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    r"""Random parameters for an encoder-decoder.

    Parameters
    ----------
    src_vocab, tgt_vocab : int
        Vocabulary sizes ``V_src`` and ``V_tgt``.
    E : int
        Embedding size (the cells' input size).
    H : int
        Hidden size of encoder and decoder (and ``A = H`` for additive attention).
    rng : numpy Generator or int seed
    cell : {"lstm", "gru"}
    attention : {None, "dot", "scaled_dot", "additive"}
    dtype : numpy dtype

    Returns
    -------
    dict of ndarray
        See the module docstring for the keys. Embeddings are
        :math:`\mathcal N(0, 1)` (as ``torch.nn.Embedding``); LSTM forget
        biases start at 1; ``W_out`` is uniform in :math:`\pm 1/\sqrt{F}`
        (F = H or 2H) and ``b_out`` zero.

    Notes
    -----
    .. math:: E_{src}, E_{tgt} \sim \mathcal N(0, 1), \qquad
              W_{out} \sim U\big(\pm 1/\sqrt{F}\big), \qquad b_{out} = 0

    with the cells from :func:`course_pkg.lstm.init_lstm_params` (forget bias
    1) or :func:`course_pkg.gru.init_gru_params`, and additive attention from
    :func:`course_pkg.attention.init_additive_params` with :math:`A = H`.

    See Also
    --------
    Book chapter 9, "Encoder-decoder and the bottleneck"; chapter 10, "Attention".
    """
    _check_choice(cell, attention)
    for name, value in (("src_vocab", src_vocab), ("tgt_vocab", tgt_vocab), ("E", E), ("H", H)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    rng = np.random.default_rng(rng)
    params = {
        "E_src": rng.normal(0.0, 1.0, size=(src_vocab, E)),
        "E_tgt": rng.normal(0.0, 1.0, size=(tgt_vocab, E)),
    }
    for prefix in ("enc_", "dec_"):
        part = cells.init_params(_cell_spec(cell), E, H, rng, forget_bias=1.0)
        params.update({prefix + k: v for k, v in part.items()})
    F = H if attention is None else 2 * H
    bound = 1.0 / np.sqrt(F)
    params["W_out"] = rng.uniform(-bound, bound, size=(F, tgt_vocab))
    params["b_out"] = np.zeros(tgt_vocab)
    if attention == "additive":
        params.update({f"att_{k}": v for k, v in init_additive_params(H, H, H, rng).items()})
    return {k: np.asarray(v, dtype=dtype) for k, v in params.items()}


# ----------------------------------------------------------------------------- cells


def _sub(params: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def _check_tokens(name: str, tokens: np.ndarray, shape, dims: dict, vocab: int) -> None:
    check_array(name, tokens, shape, dims, dtype="int")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab):
        bad = int(tokens[(tokens < 0) | (tokens >= vocab)][0])
        raise ValueError(
            f"{name} holds token id {bad}, expected ids in [0, {vocab}) "
            f"(the first axis of the matching embedding). Check the vocabulary."
        )


def _check_src(src, src_mask, params, cell, attention, dims) -> np.ndarray:
    """Validate the source side; return the lengths (N,)."""
    _check_choice(cell, attention)
    check_array("src", src, ("S", "N"), dims, dtype="int")
    check_array("src_mask", src_mask, ("S", "N"), dims, dtype="bool")
    check_params(params, seq2seq_param_shapes(cell, attention), dims)
    _check_tokens("src", src, ("S", "N"), dims, dims["V_src"])
    lengths = src_mask.sum(axis=0)  # (N,)
    S = src.shape[0]
    if np.any(lengths == 0):
        n = int(np.flatnonzero(lengths == 0)[0])
        raise ValueError(
            f"src_mask column {n} has no True entry: every source sequence needs at least "
            "one real token (src_mask is (S, N), True = real token)."
        )
    if not np.array_equal(src_mask, np.arange(S)[:, None] < lengths[None, :]):
        raise ValueError(
            "src_mask must mark padding at the end only: each column should be True for "
            "the first L_n steps and False after. Left padding or holes are not supported."
        )
    return lengths


def _encode(src, lengths, params, cell):
    """Packed encoder: (enc_hs (S, N, H), final state tuple, segments).

    With the distinct lengths :math:`L_1 < L_2 < \\dots`, segment ``g`` runs
    steps ``[L_{g-1}, L_g)`` for the sequences still going (length >= L_g),
    starting from their states at the end of the previous segment. Every step
    is computed once, and a sequence stops being updated after its last token.
    The state is ``(h,)`` or, for the LSTM, ``(h, c)``, each (N, H).
    """
    spec = _cell_spec(cell)
    S, N = src.shape
    enc = _sub(params, "enc_")
    H = cells.cell_sizes(spec, enc)[1]
    dtype = np.result_type(*params.values())
    X = params["E_src"][src]  # (S, N, E)
    enc_hs = np.zeros((S, N, H), dtype=dtype)
    state = cells.zero_state(spec, N, H, dtype)
    segments = []
    start = 0
    for L in np.unique(lengths):
        L = int(L)
        active = np.flatnonzero(lengths >= L)  # sequences with tokens in [start, L)
        hs, last, cache = spec.forward(X[start:L, active], tuple(s[active] for s in state), enc)
        enc_hs[start:L, active] = hs  # (L - start, n, H)
        for s_all, s_last in zip(state, last):
            s_all[active] = s_last  # (n, H)
        segments.append((start, L, active, cache))
        start = L
    return enc_hs, state, segments


def _output(dec_hs, enc_hs, src_mask, params, attention):
    """Logits from decoder states (T, N, H); returns (logits, feat, weights, att_cache)."""
    if attention is None:
        feat = dec_hs  # (T, N, H)
        weights = att_cache = None
    else:
        memory = enc_hs.transpose(1, 0, 2)  # (N, S, H): keys and values
        att = _sub(params, "att_") if attention == "additive" else None
        queries = dec_hs.transpose(1, 0, 2)  # (N, T, H)
        context, weights, att_cache = attention_forward(
            queries, memory, memory, src_mask.T, attention, att
        )  # (N, T, H), (N, T, S)
        feat = np.concatenate([dec_hs, context.transpose(1, 0, 2)], axis=-1)  # (T, N, 2H)
    logits = feat @ params["W_out"] + params["b_out"]  # (T, N, F) @ (F, V) -> (T, N, V)
    return logits, feat, weights, att_cache


def seq2seq_forward(
    src: np.ndarray,
    src_mask: np.ndarray,
    tgt_in: np.ndarray,
    params: dict[str, np.ndarray],
    cell: str = "lstm",
    attention: str | None = None,
) -> tuple[np.ndarray, dict]:
    r"""Encode the source, then decode the target with teacher forcing.

    Parameters
    ----------
    src : ndarray of int, shape (S, N)
        Source token ids, time-major, padded at the end. Padded positions must
        still hold a valid id (the padding id); their value never matters.
    src_mask : ndarray of bool, shape (S, N)
        True on real source tokens; each column True for its first
        :math:`L_n \ge 1` steps, False after.
    tgt_in : ndarray of int, shape (T, N)
        Decoder inputs: the beginning-of-sequence id, then the target shifted
        right by one (teacher forcing).
    params : dict
        From :func:`init_seq2seq_params` with the same ``cell`` and ``attention``.
    cell : {"lstm", "gru"}
    attention : {None, "dot", "scaled_dot", "additive"}

    Returns
    -------
    logits : ndarray of shape (T, N, V_tgt)
    cache : dict
        For :func:`seq2seq_backward`. ``cache["attention"]`` holds the weights,
        shape (N, T, S), when attention is used (``None`` otherwise);
        ``cache["enc_hs"]`` (S, N, H) and ``cache["dec_hs"]`` (T, N, H) the states.

    Raises
    ------
    ValueError
        On a wrong shape or dtype, an out-of-range token id, a mask that is
        not "real tokens then padding", an unknown cell or attention, or
        parameters that do not match them.

    Notes
    -----
    With :math:`\bar h_s` the encoder states and :math:`L` the source length,

    .. math::
        \bar h_s &= \operatorname{cell}(E_{src}[x_s], \bar h_{s-1}), \qquad
        h_0 = \bar h_L \\
        h_t &= \operatorname{cell}(E_{tgt}[y_{t-1}], h_{t-1}) \\
        \text{no attention:}\ \ z_t &= h_t W_{out} + b_{out} \\
        \text{attention:}\ \ \alpha_{ts} &= \operatorname{softmax}_s\,
        \operatorname{score}(h_t, \bar h_s), \quad
        c_t = \sum_s \alpha_{ts} \bar h_s, \quad z_t = [h_t, c_t] W_{out} + b_{out}

    (for the LSTM the cell state is carried alongside :math:`h`).

    See Also
    --------
    Book chapter 9, "Encoder-decoder and the bottleneck"; chapter 10, "Attention".
    """
    dims: dict[str, int] = {}
    lengths = _check_src(src, src_mask, params, cell, attention, dims)
    _check_tokens("tgt_in", tgt_in, ("T", "N"), dims, dims["V_tgt"])
    enc_hs, state_fin, segments = _encode(src, lengths, params, cell)
    X_dec = params["E_tgt"][tgt_in]  # (T, N, E)
    dec_hs, _, dec_cache = _cell_spec(cell).forward(X_dec, state_fin, _sub(params, "dec_"))
    logits, feat, weights, att_cache = _output(dec_hs, enc_hs, src_mask, params, attention)
    cache = {
        "src": src, "tgt_in": tgt_in, "cell": cell, "attention": weights,
        "attention_name": attention, "att_cache": att_cache, "segments": segments,
        "dec_cache": dec_cache, "enc_hs": enc_hs, "dec_hs": dec_hs, "feat": feat,
        "params": params,
    }
    return logits, cache


def seq2seq_backward(dlogits: np.ndarray, cache: dict) -> dict[str, np.ndarray]:
    r"""Gradients of every parameter, given the gradient of the logits.

    Parameters
    ----------
    dlogits : ndarray of shape (T, N, V_tgt)
        E.g. the second output of :func:`course_pkg.losses.softmax_cross_entropy`.
    cache : dict
        From :func:`seq2seq_forward`.

    Returns
    -------
    grads : dict of ndarray
        Same keys and shapes as ``params``.

    Notes
    -----
    The decoder receives gradient from the output layer directly and, with
    attention, through the queries; the encoder receives it through the keys
    and values (attention) and through its final state, handed back by the
    decoder's :math:`\partial h_0` (and :math:`\partial c_0`). The packed
    encoder's segments are backpropagated last to first, each handing its
    :math:`\partial h_0, \partial c_0` to the end of the previous one. Embedding
    gradients are scatter-added: :math:`\partial E[v] = \sum_{(t,n): y_{tn} = v}
    \partial x_{tn}`.

    See Also
    --------
    seq2seq_forward, seq2seq_loss
    Book chapter 9, "Encoder-decoder and the bottleneck"; chapter 10, "Attention".
    """
    check_cache(cache, ("src", "tgt_in", "cell", "attention_name", "att_cache", "segments",
                        "dec_cache", "enc_hs", "dec_hs", "feat", "params"), "seq2seq_forward")
    params, cell, attention = cache["params"], cache["cell"], cache["attention_name"]
    feat, dec_hs, enc_hs = cache["feat"], cache["dec_hs"], cache["enc_hs"]
    T, N, H = dec_hs.shape
    S = enc_hs.shape[0]
    Vt, E = params["E_tgt"].shape
    F = feat.shape[-1]
    check_array("dlogits", dlogits, (T, N, Vt))
    grads: dict[str, np.ndarray] = {}
    d2 = dlogits.reshape(T * N, Vt)  # (T N, V)
    grads["W_out"] = feat.reshape(T * N, F).T @ d2  # (F, T N) @ (T N, V) -> (F, V)
    grads["b_out"] = d2.sum(axis=0)  # (V,)
    dfeat = (d2 @ params["W_out"].T).reshape(T, N, F)  # (T N, V) @ (V, F) -> (T, N, F)
    ddec = np.ascontiguousarray(dfeat[..., :H])  # (T, N, H)
    if attention is None:
        denc = None
    else:
        dcontext = dfeat[..., H:].transpose(1, 0, 2)  # (N, T, H)
        dQ, dK, dV, datt = attention_backward(dcontext, cache["att_cache"])
        ddec += dQ.transpose(1, 0, 2)  # (T, N, H)
        denc = (dK + dV).transpose(1, 0, 2)  # (S, N, H): keys and values are both enc_hs
        grads.update({f"att_{k}": v for k, v in datt.items()})
    spec = _cell_spec(cell)
    dX_dec, dstate, dec_grads = spec.backward(ddec, cache["dec_cache"])
    grads.update({f"dec_{k}": v for k, v in dec_grads.items()})
    dE_tgt = np.zeros_like(params["E_tgt"])
    np.add.at(dE_tgt, cache["tgt_in"].ravel(), dX_dec.reshape(T * N, E))  # (V_tgt, E)
    dX_src = np.zeros((S, N, E), dtype=dX_dec.dtype)
    enc_grads: dict[str, np.ndarray] = {}
    # dstate: gradient w.r.t. each sequence's state ((h,) or (h, c)) at the end of the
    # segment being processed; it starts as what the decoder handed back for the
    # final states.
    for start, L, active, scache in reversed(cache["segments"]):
        if denc is None:
            dhs = np.zeros((L - start, active.size, H), dtype=dX_dec.dtype)
        else:
            dhs = denc[start:L, active]  # (L - start, n, H), a copy (fancy indexing)
        dX, dstate_in, g = spec.backward(dhs, scache, tuple(d[active] for d in dstate))
        for d_all, d_in in zip(dstate, dstate_in):
            d_all[active] = d_in  # (n, H)
        dX_src[start:L, active] = dX  # (L - start, n, E)
        for k, v in g.items():
            enc_grads[k] = enc_grads[k] + v if k in enc_grads else v
    grads.update({f"enc_{k}": v for k, v in enc_grads.items()})
    dE_src = np.zeros_like(params["E_src"])
    np.add.at(dE_src, cache["src"].ravel(), dX_src.reshape(S * N, E))  # (V_src, E)
    grads["E_src"] = dE_src
    grads["E_tgt"] = dE_tgt
    return {k: grads[k] for k in params}


def seq2seq_loss(
    src: np.ndarray,
    src_mask: np.ndarray,
    tgt_in: np.ndarray,
    tgt_out: np.ndarray,
    tgt_mask: np.ndarray | None,
    params: dict[str, np.ndarray],
    cell: str = "lstm",
    attention: str | None = None,
) -> tuple[float, dict[str, np.ndarray], dict]:
    r"""Masked cross-entropy of a teacher-forced batch, its gradients and the cache.

    Parameters
    ----------
    src, src_mask, tgt_in, params, cell, attention
        As in :func:`seq2seq_forward`.
    tgt_out : ndarray of int, shape (T, N)
        The targets (``tgt_in`` shifted left, ending with the end-of-sequence id).
    tgt_mask : ndarray of bool, shape (T, N), or None
        True on real target positions.

    Returns
    -------
    loss : float
    grads : dict of ndarray
    cache : dict
        From :func:`seq2seq_forward` (attention weights in ``cache["attention"]``).

    Notes
    -----
    .. math:: L = \frac{1}{M} \sum_{t,n} m_{tn}
              \big(-\log \operatorname{softmax}(z_{tn})_{y_{tn}}\big),
              \qquad M = \sum_{t,n} m_{tn}

    with :math:`z` the logits of :func:`seq2seq_forward`, :math:`y` =
    ``tgt_out`` and :math:`m` = ``tgt_mask``; the gradients come from
    :func:`seq2seq_backward`.

    See Also
    --------
    Book chapter 9, "Encoder-decoder and the bottleneck".
    """
    logits, cache = seq2seq_forward(src, src_mask, tgt_in, params, cell, attention)
    check_array("tgt_out", tgt_out, tgt_in.shape, dtype="int")
    loss, dlogits = softmax_cross_entropy(logits, tgt_out, tgt_mask)
    return loss, seq2seq_backward(dlogits, cache), cache


def greedy_decode(
    src: np.ndarray,
    src_mask: np.ndarray,
    params: dict[str, np.ndarray],
    cell: str = "lstm",
    attention: str | None = None,
    bos: int = 1,
    max_len: int = 10,
) -> tuple[np.ndarray, np.ndarray | None]:
    r"""Decode by feeding back the most likely token at every step.

    Parameters
    ----------
    src : ndarray of int, shape (S, N)
    src_mask : ndarray of bool, shape (S, N)
    params : dict
    cell : {"lstm", "gru"}
    attention : {None, "dot", "scaled_dot", "additive"}
    bos : int
        Beginning-of-sequence id: the first decoder input.
    max_len : int
        Number of steps; no early stop (cut each row at its end-of-sequence
        token yourself).

    Returns
    -------
    tokens : ndarray of int64, shape (max_len, N)
        Time-major predictions.
    weights : ndarray of shape (N, max_len, S), or None
        Attention weights of every step (``None`` without attention), for the
        heatmaps of chapter 10.

    Notes
    -----
    :math:`\hat y_t = \arg\max_v z_{t,v}` with :math:`z_t` computed as in
    :func:`seq2seq_forward` from the input :math:`\hat y_{t-1}` (and
    :math:`\hat y_0 = \text{bos}`). Feeding the returned tokens back through
    :func:`seq2seq_forward` as ``tgt_in = [bos, \hat y_1, ..., \hat y_{T-1}]``
    reproduces the same logits.

    See Also
    --------
    Book chapter 9, "Encoder-decoder and the bottleneck"; chapter 10, "Attention".
    """
    dims: dict[str, int] = {}
    lengths = _check_src(src, src_mask, params, cell, attention, dims)
    Vt = dims["V_tgt"]
    if not isinstance(bos, int | np.integer) or not 0 <= bos < Vt:
        raise ValueError(f"bos must be a token id in [0, {Vt}), got {bos!r}.")
    if not isinstance(max_len, int | np.integer) or max_len < 1:
        raise ValueError(f"max_len must be a positive int, got {max_len!r}.")
    N = src.shape[1]
    enc_hs, state, _ = _encode(src, lengths, params, cell)
    spec = _cell_spec(cell)
    dec = _sub(params, "dec_")
    tokens = np.empty((max_len, N), dtype=np.int64)
    weights = None if attention is None else np.empty((N, max_len, src.shape[0]), enc_hs.dtype)
    y = np.full(N, bos, dtype=np.int64)
    for t in range(max_len):
        x = params["E_tgt"][y][None]  # (1, N, E)
        hs, state, _ = spec.forward(x, state, dec)  # (1, N, H), state (N, H) each
        logits, _, w, _ = _output(hs, enc_hs, src_mask, params, attention)  # (1, N, V)
        if w is not None:
            weights[:, t] = w[:, 0]  # (N, S)
        y = np.argmax(logits[0], axis=-1)
        tokens[t] = y
    return tokens, weights


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)  # (..., V)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _check_decode_args(bos, eos, max_len, Vt) -> None:
    if not isinstance(bos, int | np.integer) or not 0 <= bos < Vt:
        raise ValueError(f"bos must be a token id in [0, {Vt}), got {bos!r}.")
    if eos is not None and (not isinstance(eos, int | np.integer) or not 0 <= eos < Vt):
        raise ValueError(f"eos must be None or a token id in [0, {Vt}), got {eos!r}.")
    if not isinstance(max_len, int | np.integer) or max_len < 1:
        raise ValueError(f"max_len must be a positive int, got {max_len!r}.")


def sequence_log_prob(
    src: np.ndarray,
    src_mask: np.ndarray,
    tokens: np.ndarray,
    params: dict[str, np.ndarray],
    cell: str = "lstm",
    attention: str | None = None,
    bos: int = 1,
) -> float:
    r"""Log-probability the model gives one output sequence for one source.

    Parameters
    ----------
    src : ndarray of int, shape (S, 1)
    src_mask : ndarray of bool, shape (S, 1)
        One source sequence (a batch of one), as in :func:`seq2seq_forward`.
    tokens : ndarray of int, shape (L,)
        The output sequence :math:`y_1, \dots, y_L` (an end-of-sequence token,
        if any, included).
    params, cell, attention
        As in :func:`seq2seq_forward`.
    bos : int
        Beginning-of-sequence id, the first decoder input.

    Returns
    -------
    float
        :math:`\log p(y_{1:L} \mid x) = \sum_{t=1}^{L} \log p(y_t \mid y_{<t}, x)`.

    Raises
    ------
    ValueError
        If the batch is not one sequence, ``tokens`` is not a non-empty 1-D
        int array, or on anything :func:`seq2seq_forward` rejects.

    Notes
    -----
    One teacher-forced pass with ``tgt_in = [bos, y_1, ..., y_{L-1}]``; used
    to score the outputs of :func:`greedy_decode` and :func:`beam_search`.

    See Also
    --------
    beam_search
    Book chapter 9, "Encoder-decoder and the bottleneck".
    """
    if src.ndim != 2 or src.shape[1] != 1:
        raise ValueError(f"src must hold one sequence, shape (S, 1), got {src.shape}.")
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or tokens.size == 0 or not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(
            f"tokens must be a non-empty 1-D int array (L,), got shape {tokens.shape} "
            f"and dtype {tokens.dtype}."
        )
    tgt_in = np.concatenate([[bos], tokens[:-1]]).astype(np.int64)[:, None]  # (L, 1)
    logits, _ = seq2seq_forward(src, src_mask, tgt_in, params, cell, attention)  # (L, 1, V)
    logp = _log_softmax(logits[:, 0])  # (L, V)
    return float(logp[np.arange(tokens.size), tokens].sum())


def beam_search(
    src: np.ndarray,
    src_mask: np.ndarray,
    params: dict[str, np.ndarray],
    cell: str = "lstm",
    attention: str | None = None,
    bos: int = 1,
    eos: int | None = None,
    max_len: int = 10,
    beam_width: int = 3,
    length_alpha: float = 0.0,
) -> tuple[np.ndarray, float]:
    r"""Decode one source sequence by keeping the ``beam_width`` best prefixes.

    Parameters
    ----------
    src : ndarray of int, shape (S, 1)
    src_mask : ndarray of bool, shape (S, 1)
        One source sequence at a time (a batch of one; loop over a batch,
        since the beams of different sequences finish at different steps).
    params : dict
    cell : {"lstm", "gru"}
    attention : {None, "dot", "scaled_dot", "additive"}
    bos : int
        Beginning-of-sequence id: the first decoder input.
    eos : int or None
        End-of-sequence id. A prefix that emits it is finished (``eos`` is
        kept as its last token) and leaves the beam. ``None``: no early stop,
        every hypothesis runs ``max_len`` steps, as in :func:`greedy_decode`.
    max_len : int
        Maximum number of output tokens (``eos`` included).
    beam_width : int
        Number of prefixes kept after each step; 1 is greedy decoding.
    length_alpha : float
        Length normalisation exponent :math:`\alpha \ge 0` of the final
        ranking (0: rank by plain log-probability, which favours short
        outputs; 1: by the mean log-probability per token).

    Returns
    -------
    tokens : ndarray of int64, shape (L,)
        The best hypothesis, :math:`L \le` ``max_len``, ending with ``eos``
        if it finished.
    log_prob : float
        Its log-probability :math:`\log p(y_{1:L} \mid x)` (not normalised).

    Raises
    ------
    ValueError
        If the batch is not one sequence, on a bad ``bos``, ``eos``,
        ``max_len``, ``beam_width`` or ``length_alpha``, or on anything
        :func:`greedy_decode` rejects.

    Notes
    -----
    A hypothesis :math:`y_{1:t}` is scored by its log-probability

    .. math:: \log p(y_{1:t} \mid x) = \sum_{\tau=1}^{t}
              \log \operatorname{softmax}(z_\tau)_{y_\tau},

    with :math:`z_\tau` the logits of :func:`seq2seq_forward` fed
    :math:`y_{\tau-1}` (:math:`y_0` = bos). At each step every live
    hypothesis is extended by every token and the ``k`` best extensions are
    kept (:math:`k` = ``beam_width`` minus the number already finished), so
    at most ``beam_width`` hypotheses finish. The search stops when none is
    live or after ``max_len`` steps; the hypotheses (finished, or live at
    ``max_len``) are ranked by

    .. math:: \operatorname{score}(y_{1:L}) = \frac{\log p(y_{1:L} \mid x)}{L^{\alpha}}.

    With ``beam_width=1`` this is greedy decoding: the tokens of
    :func:`greedy_decode`, cut after the first ``eos``. A wider beam is not
    guaranteed to beat greedy (greedy's prefix can fall out of the beam), but
    it can find a strictly more probable sequence when the most likely first
    token does not start the most likely sequence (chapter 9 builds such a
    case with :func:`course_pkg.experiments.beam.greedy_trap`).

    See Also
    --------
    greedy_decode, sequence_log_prob
    Book chapter 9, "Encoder-decoder and the bottleneck".
    """
    dims: dict[str, int] = {}
    lengths = _check_src(src, src_mask, params, cell, attention, dims)
    if dims["N"] != 1:
        raise ValueError(
            f"beam_search decodes one sequence at a time: src must be (S, 1), got {src.shape}."
        )
    Vt = dims["V_tgt"]
    _check_decode_args(bos, eos, max_len, Vt)
    if not isinstance(beam_width, int | np.integer) or beam_width < 1:
        raise ValueError(f"beam_width must be a positive int, got {beam_width!r}.")
    if not np.isfinite(length_alpha) or length_alpha < 0:
        raise ValueError(f"length_alpha must be a finite number >= 0, got {length_alpha!r}.")
    enc_hs, state, _ = _encode(src, lengths, params, cell)  # (S, 1, H), state (1, H) each
    spec = _cell_spec(cell)
    dec = _sub(params, "dec_")
    prefixes = np.empty((1, 0), dtype=np.int64)  # (B, t): the live hypotheses
    scores = np.zeros(1)  # (B,): their log-probabilities
    last = np.array([bos], dtype=np.int64)  # (B,): their last tokens
    finished: list[tuple[np.ndarray, float]] = []
    for _ in range(max_len):
        B = prefixes.shape[0]
        x = params["E_tgt"][last][None]  # (1, B, E)
        hs, state, _ = spec.forward(x, state, dec)  # (1, B, H), state (B, H) each
        logits, _, _, _ = _output(hs, np.repeat(enc_hs, B, axis=1),
                                  np.repeat(src_mask, B, axis=1), params, attention)  # (1, B, V)
        total = scores[:, None] + _log_softmax(logits[0])  # (B, V)
        k = beam_width - len(finished)
        flat = np.argsort(-total, axis=None, kind="stable")[:k]  # best k of B * V
        rows, toks = np.divmod(flat, Vt)  # (k,), (k,)
        prefixes = np.concatenate([prefixes[rows], toks[:, None]], axis=1)  # (k, t + 1)
        scores = total[rows, toks]  # (k,)
        state = tuple(s[rows] for s in state)  # (k, H) each
        last = toks
        done = toks == eos if eos is not None else np.zeros(toks.size, dtype=bool)
        finished += [(prefixes[j], float(scores[j])) for j in np.flatnonzero(done)]
        keep = ~done
        prefixes, scores, last = prefixes[keep], scores[keep], last[keep]
        state = tuple(s[keep] for s in state)
        if prefixes.shape[0] == 0:
            break
    candidates = finished + [(p, float(s)) for p, s in zip(prefixes, scores)]
    best = max(range(len(candidates)),
               key=lambda j: candidates[j][1] / candidates[j][0].size ** length_alpha)
    tokens, log_prob = candidates[best]
    return tokens.astype(np.int64), log_prob
