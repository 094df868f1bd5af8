"""Tests for course_pkg.seq2seq: gradients, padding, greedy decoding, bad input, training."""

from __future__ import annotations

import importlib.util
import time
import zlib

import numpy as np
import pytest

from course_pkg.gradcheck import check_gradients
from course_pkg.lstm import lstm_forward
from course_pkg.seq2seq import (
    ATTENTIONS,
    greedy_decode,
    init_seq2seq_params,
    seq2seq_backward,
    seq2seq_forward,
    seq2seq_loss,
    seq2seq_param_shapes,
)

HAVE_GRU = importlib.util.find_spec("course_pkg.gru") is not None
CELLS = ["lstm", pytest.param("gru", marks=pytest.mark.skipif(
    not HAVE_GRU, reason="course_pkg.gru not written yet"))]
V_SRC, V_TGT, E, H = 7, 6, 3, 4
# (S, T, lengths): N = len(lengths); N = 1 included, padding in most cases
CASES = [(4, 3, (4,)), (5, 4, (5, 2, 3)), (4, 2, (3, 4))]


def _seed(*key) -> int:
    return zlib.crc32(repr(key).encode())


def _batch(rng, S, T, lengths):
    N = len(lengths)
    src = rng.integers(0, V_SRC, size=(S, N))
    src_mask = np.arange(S)[:, None] < np.array(lengths)[None, :]  # (S, N)
    src = np.where(src_mask, src, 0)  # pad id 0
    tgt_in = rng.integers(0, V_TGT, size=(T, N))
    return src, src_mask, tgt_in


def _random_params(rng, cell, attention, scale=0.5):
    """Every parameter (biases included) drawn from a normal: nothing is zero."""
    shapes = init_seq2seq_params(V_SRC, V_TGT, E, H, 0, cell, attention)
    params = {k: rng.normal(size=v.shape) * scale for k, v in shapes.items()}
    if attention == "additive":
        params["att_v"] = rng.normal(size=H) * 2.0  # keeps the score gradients healthy
    return params


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_seq2seq_gradcheck(cell, attention, case):
    S, T, lengths = case
    rng = np.random.default_rng(_seed(cell, attention, case))
    src, src_mask, tgt_in = _batch(rng, S, T, lengths)
    params = _random_params(rng, cell, attention)
    G = rng.normal(size=(T, len(lengths), V_TGT))  # a linear loss keeps gradients O(1)

    def loss():
        logits, _ = seq2seq_forward(src, src_mask, tgt_in, params, cell, attention)
        return float(np.sum(logits * G))

    _, cache = seq2seq_forward(src, src_mask, tgt_in, params, cell, attention)
    grads = seq2seq_backward(G, cache)
    assert set(grads) == set(params)
    # eps = 1e-5: the loss sums many logits, so rounding noise dominates at 1e-6
    res = check_gradients(loss, params, grads, eps=1e-5)
    assert res.ok, str(res)


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_seq2seq_gradcheck_one_hidden_unit(cell, attention):
    """H = 1 (and E = 2 != H, N = 1 and N = 3): the smallest model still checks out."""
    for lengths in ((3,), (3, 1, 2)):
        rng = np.random.default_rng(_seed("H1", cell, attention, lengths))
        S, T, N = 3, 2, len(lengths)
        src, src_mask, tgt_in = _batch(rng, S, T, lengths)
        shapes = init_seq2seq_params(V_SRC, V_TGT, 2, 1, 0, cell, attention)
        params = {k: 0.5 * rng.normal(size=v.shape) for k, v in shapes.items()}
        if attention == "additive":
            params["att_v"] = 2.0 * rng.normal(size=1)
        G = rng.normal(size=(T, N, V_TGT))

        def loss(src=src, src_mask=src_mask, tgt_in=tgt_in, params=params, G=G):
            logits, _ = seq2seq_forward(src, src_mask, tgt_in, params, cell, attention)
            return float(np.sum(logits * G))

        _, cache = seq2seq_forward(src, src_mask, tgt_in, params, cell, attention)
        # With A = H = 1 the additive score's query weight only moves the scores
        # through the curvature of one tanh, so its gradient is ~1e-6 and rounding
        # noise swamps eps = 1e-5 (relative error 8e-6). A larger step and 1e-6
        # still fail any real mistake, which gives errors of order 1.
        eps, tol = (1e-4, 1e-6) if attention == "additive" else (1e-5, 1e-7)
        res = check_gradients(loss, params, seq2seq_backward(G, cache), eps=eps, tol=tol)
        assert res.ok, str(res)


@pytest.mark.parametrize("attention", [None, "additive"])
def test_seq2seq_loss_gradcheck_with_target_mask(attention):
    rng = np.random.default_rng(3)
    src, src_mask, tgt_in = _batch(rng, 5, 4, (5, 3, 2))
    tgt_out = rng.integers(0, V_TGT, size=tgt_in.shape)
    tgt_mask = np.arange(4)[:, None] < np.array([4, 2, 3])[None, :]
    params = _random_params(rng, "lstm", attention)
    _, grads, _ = seq2seq_loss(src, src_mask, tgt_in, tgt_out, tgt_mask, params,
                               "lstm", attention)
    res = check_gradients(
        lambda: seq2seq_loss(src, src_mask, tgt_in, tgt_out, tgt_mask, params,
                             "lstm", attention)[0],
        {k: params[k] for k in ("E_src", "enc_W_f", "dec_W_o", "W_out", "b_out")},
        grads, eps=1e-5)
    assert res.ok, str(res)


# --------------------------------------------------------------------------- padding


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_padding_does_not_change_the_output(cell, attention):
    rng = np.random.default_rng(11)
    src, src_mask, tgt_in = _batch(rng, 6, 3, (6, 2, 4))
    params = _random_params(rng, cell, attention)
    logits, cache = seq2seq_forward(src, src_mask, tgt_in, params, cell, attention)
    # other token ids at padded positions: identical logits
    src2 = np.where(src_mask, src, rng.integers(0, V_SRC, size=src.shape))
    logits2, _ = seq2seq_forward(src2, src_mask, tgt_in, params, cell, attention)
    np.testing.assert_array_equal(logits, logits2)
    # each sequence alone, unpadded, gives the same logits as in the batch
    for n, L in enumerate((6, 2, 4)):
        alone, _ = seq2seq_forward(src[:L, n : n + 1], src_mask[:L, n : n + 1],
                                   tgt_in[:, n : n + 1], params, cell, attention)
        np.testing.assert_allclose(alone[:, 0], logits[:, n], rtol=0, atol=1e-13)
    if attention is not None:
        w = cache["attention"]
        assert w.shape == (3, 3, 6)  # (N, T, S)
        np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-13)
        assert np.all(w[np.broadcast_to(~src_mask.T[:, None, :], w.shape)] == 0.0)
    else:
        assert cache["attention"] is None


def test_encoder_final_state_is_last_real_token_state():
    rng = np.random.default_rng(5)
    src, src_mask, tgt_in = _batch(rng, 5, 2, (5, 1, 3))
    params = _random_params(rng, "lstm", None)
    _, cache = seq2seq_forward(src, src_mask, tgt_in, params, "lstm", None)
    enc = {k[4:]: v for k, v in params.items() if k.startswith("enc_")}
    for n, L in enumerate((5, 1, 3)):
        X = params["E_src"][src[:L, n : n + 1]]  # (L, 1, E)
        hs, _, _ = lstm_forward(X, np.zeros((1, H)), np.zeros((1, H)), enc)
        np.testing.assert_allclose(cache["enc_hs"][:L, n], hs[:, 0], atol=1e-14)
        assert np.all(cache["enc_hs"][L:, n] == 0.0)


# --------------------------------------------------------------------------- decoding


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_greedy_decode_matches_teacher_forcing_on_its_own_output(cell, attention):
    rng = np.random.default_rng(8)
    src, src_mask, _ = _batch(rng, 5, 1, (5, 3, 1))
    params = _random_params(rng, cell, attention, scale=1.0)
    tokens, weights = greedy_decode(src, src_mask, params, cell, attention, bos=2, max_len=6)
    assert tokens.shape == (6, 3) and tokens.dtype == np.int64
    tgt_in = np.concatenate([np.full((1, 3), 2), tokens[:-1]], axis=0)  # (T, N)
    logits, cache = seq2seq_forward(src, src_mask, tgt_in, params, cell, attention)
    np.testing.assert_array_equal(np.argmax(logits, axis=-1), tokens)
    if attention is None:
        assert weights is None
    else:
        assert weights.shape == (3, 6, 5)
        np.testing.assert_allclose(weights, cache["attention"], atol=1e-13)


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_init_matches_declared_shapes(cell, attention):
    params = init_seq2seq_params(11, 9, 5, 6, 0, cell, attention)
    spec = seq2seq_param_shapes(cell, attention)
    assert set(params) == set(spec)
    dims = {"V_src": 11, "V_tgt": 9, "E": 5, "H": 6, "A": 6, "2H": 12, "H + E": 11}
    for k, shape in spec.items():
        expected = tuple(dims[s] for s in shape)
        assert params[k].shape == expected, k
        assert params[k].dtype == np.float64


def test_float32_forward_backward():
    rng = np.random.default_rng(2)
    src, src_mask, tgt_in = _batch(rng, 4, 3, (4, 2))
    params = init_seq2seq_params(V_SRC, V_TGT, E, H, 0, "lstm", "scaled_dot", dtype=np.float32)
    logits, cache = seq2seq_forward(src, src_mask, tgt_in, params, "lstm", "scaled_dot")
    assert logits.dtype == np.float32
    grads = seq2seq_backward(np.ones_like(logits), cache)
    assert all(g.dtype == np.float32 for g in grads.values())


# --------------------------------------------------------------------------- bad input


def _good():
    rng = np.random.default_rng(0)
    src, src_mask, tgt_in = _batch(rng, 4, 3, (4, 2))
    params = init_seq2seq_params(V_SRC, V_TGT, E, H, 0, "lstm", "dot")
    return {"src": src, "src_mask": src_mask, "tgt_in": tgt_in, "params": params,
            "cell": "lstm", "attention": "dot"}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda a: a.update(src=a["src"].astype(float)), "src"),
        (lambda a: a.update(src=a["src"][:, :1]), "src_mask"),
        (lambda a: a.update(src_mask=a["src_mask"].astype(int)), "src_mask"),
        (lambda a: a["src_mask"].__setitem__((slice(None), 1), False), "src_mask column 1"),
        (lambda a: a["src_mask"].__setitem__((0, 1), False), "padding at the end"),
        (lambda a: a["src"].__setitem__((0, 0), V_SRC), "src holds token id 7"),
        (lambda a: a["tgt_in"].__setitem__((0, 0), -1), "tgt_in holds token id -1"),
        (lambda a: a.update(tgt_in=a["tgt_in"][:, :1]), "tgt_in"),
        (lambda a: a.update(cell="rnn"), "cell"),
        (lambda a: a.update(attention="luong"), "attention"),
        (lambda a: a.update(attention=None), r"params\['W_out'\]"),
        (lambda a: a.update(attention="additive"), "missing key"),
        (lambda a: a.update(cell="gru"), "missing key"),
        (lambda a: a["params"].pop("dec_b_o"), r"missing key\(s\) \['dec_b_o'\]"),
        (lambda a: a["params"]["enc_W_f"].__setitem__((0, 0), np.nan), "enc_W_f"),
        (lambda a: a["params"].update(E_tgt=a["params"]["E_tgt"][:, :2]), "E_tgt"),
        (lambda a: a.update(params=[1, 2]), "params"),
    ],
)
def test_bad_input_raises(change, match):
    args = _good()
    change(args)
    with pytest.raises(ValueError, match=match):
        seq2seq_forward(**args)


def test_greedy_decode_bad_input():
    args = _good()
    del args["tgt_in"]
    with pytest.raises(ValueError, match="bos"):
        greedy_decode(**args, bos=V_TGT, max_len=3)
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(**args, bos=0, max_len=0)


def test_backward_rejects_wrong_dlogits_shape():
    args = _good()
    logits, cache = seq2seq_forward(**args)
    with pytest.raises(ValueError, match="dlogits"):
        seq2seq_backward(logits[:, :, :-1], cache)


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize("attention", ["scaled_dot", "additive"])
def test_attention_model_overfits_a_tiny_batch(attention):
    """Adam, written inline, drives the loss on 8 reversed sequences down by > 80%."""
    start = time.process_time()  # CPU time: robust to a loaded machine
    rng = np.random.default_rng(0)
    S = T = 6
    N, V = 8, 8  # ids 0 = pad, 1 = bos, 2 = eos, 3..7 symbols
    lengths = rng.integers(3, S, size=N)
    src = np.zeros((S, N), dtype=np.int64)
    tgt_out = np.zeros((T, N), dtype=np.int64)
    for n, L in enumerate(lengths):
        seq = rng.integers(3, V, size=L)
        src[:L, n] = seq
        tgt_out[: L, n] = seq[::-1]
        tgt_out[L, n] = 2
    src_mask = np.arange(S)[:, None] < lengths[None, :]
    tgt_mask = np.arange(T)[:, None] <= lengths[None, :]
    tgt_in = np.concatenate([np.ones((1, N), dtype=np.int64), tgt_out[:-1]], axis=0)
    params = init_seq2seq_params(V, V, 8, 16, 1, "lstm", attention)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v2 = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    lr, b1, b2 = 0.03, 0.9, 0.999
    for step in range(1, 201):
        loss, grads, _ = seq2seq_loss(src, src_mask, tgt_in, tgt_out, tgt_mask, params,
                                      "lstm", attention)
        losses.append(loss)
        for k in params:
            m[k] = b1 * m[k] + (1 - b1) * grads[k]
            v2[k] = b2 * v2[k] + (1 - b2) * grads[k] ** 2
            mhat, vhat = m[k] / (1 - b1**step), v2[k] / (1 - b2**step)
            params[k] = params[k] - lr * mhat / (np.sqrt(vhat) + 1e-8)
    elapsed = time.process_time() - start
    assert losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])
    assert elapsed < 10.0, elapsed
