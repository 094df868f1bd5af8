"""The book's experiments at tiny settings: shapes, determinism and real properties."""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg.experiments import agreement, attention_dates, gradient_flow
from course_pkg.optim import clip_by_global_norm, global_norm

# ----------------------------------------------------------------------------- gradient flow


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_gradient_norms_shape_and_determinism(cell):
    a = gradient_flow.gradient_norms_by_distance(cell, T=12, H=6, D=3, N=4, seed=3)
    b = gradient_flow.gradient_norms_by_distance(cell, T=12, H=6, D=3, N=4, seed=3)
    assert a["distance"].shape == a["norm"].shape == (12,)
    np.testing.assert_array_equal(a["distance"], np.arange(12))
    np.testing.assert_array_equal(a["norm"], b["norm"])
    assert a["norm"][0] == pytest.approx(1.0)  # unit vectors at the loss
    assert np.all(np.isfinite(a["norm"])) and np.all(a["norm"] >= 0)
    c = gradient_flow.gradient_norms_by_distance(cell, T=12, H=6, D=3, N=4, seed=4)
    assert not np.array_equal(a["norm"], c["norm"])


def test_rnn_gradient_vanishes_at_default_scale():
    res = gradient_flow.gradient_norms_by_distance("rnn")
    assert res["norm"][50] < 1e-6 * res["norm"][1]


def test_rnn_gradient_explodes_with_large_recurrent_weights():
    res = gradient_flow.gradient_norms_by_distance("rnn", recurrent_scale=3.0)
    assert res["norm"][50] > 1e3 * res["norm"][1]


def test_lstm_with_forget_bias_decays_slower_than_rnn():
    rnn = gradient_flow.gradient_norms_by_distance("rnn")
    lstm = gradient_flow.gradient_norms_by_distance("lstm", forget_bias=1.0)
    assert lstm["norm"][50] > 1e3 * rnn["norm"][50]
    assert lstm["cell_norm"].shape == (60,)


def test_gradient_norms_match_a_full_bptt_for_the_rnn():
    """The step-by-step norms agree with rnn_backward's dh0 (distance T)."""
    from course_pkg.rnn import rnn_backward, rnn_forward

    T, H, D, N, seed = 8, 5, 3, 4, 1
    res = gradient_flow.gradient_norms_by_distance("rnn", T=T + 1, H=H, D=D, N=N, seed=seed)
    rng = np.random.default_rng(seed)
    params = gradient_flow.init_cell("rnn", D, H, rng)
    X = rng.normal(size=(T + 1, N, D))
    u = rng.normal(size=(N, H))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    # h_1 .. h_{T+1}; the gradient at h_1 (distance T) from a fresh run started at h_1
    hs, _ = rnn_forward(X[:1], np.zeros((N, H)), params)
    hs2, cache = rnn_forward(X[1:], hs[0], params)
    dhs = np.zeros_like(hs2)
    dhs[-1] = u
    _, dh1, _ = rnn_backward(dhs, cache)
    assert res["norm"][T] == pytest.approx(np.linalg.norm(dh1, axis=1).mean(), rel=1e-12)


def test_gradient_norms_reject_bad_arguments():
    with pytest.raises(ValueError, match="cell must be one of"):
        gradient_flow.gradient_norms_by_distance("transformer")
    with pytest.raises(ValueError, match="T must be"):
        gradient_flow.gradient_norms_by_distance("rnn", T=0)


def test_clipping_bounds_the_applied_gradient():
    kw = {"seed": 0, "steps": 40, "T": 20, "H": 16, "N": 16}
    free = gradient_flow.exploding_gradients(clip=None, **kw)
    clipped = gradient_flow.exploding_gradients(clip=1.0, **kw)
    again = gradient_flow.exploding_gradients(clip=1.0, **kw)
    assert clipped == again  # deterministic
    assert len(clipped["loss"]) == 40 and clipped["diverged_at"] is None
    assert max(clipped["grad_norm"]) > 10.0  # the raw gradients do explode ...
    assert max(clipped["clipped_norm"]) <= 1.0 + 1e-9  # ... but the applied ones are capped
    assert np.all(np.isfinite(clipped["loss"])) and max(clipped["loss"]) < 10.0
    # without clipping the same run blows up (loss far above its start, or diverged)
    assert free["diverged_at"] is not None or max(free["loss"]) > 1e3
    assert free["grad_norm"] == free["clipped_norm"]


def test_adding_gradients_clip_to_the_threshold():
    from course_pkg.tasks import adding_task

    rng = np.random.default_rng(0)
    params = gradient_flow.init_cell("rnn", 2, 8, rng, recurrent_scale=3.0)
    params["W_out"] = rng.normal(size=(8, 1))
    params["b_out"] = np.zeros(1)
    _, grads = gradient_flow.adding_loss_and_grads(params, adding_task(8, 30, rng))
    assert set(grads) == set(params)
    clipped, norm = clip_by_global_norm(grads, 0.5)
    assert norm > 0.5 and global_norm(clipped) == pytest.approx(0.5, rel=1e-12)


def test_adding_gradients_are_correct():
    from course_pkg.gradcheck import check_gradients
    from course_pkg.tasks import adding_task

    rng = np.random.default_rng(1)
    params = gradient_flow.init_cell("rnn", 2, 4, rng)
    params["W_out"] = rng.normal(size=(4, 1))
    params["b_out"] = rng.normal(size=1)
    batch = adding_task(3, 5, rng)
    _, grads = gradient_flow.adding_loss_and_grads(params, batch)

    def loss_fn():
        return gradient_flow.adding_loss_and_grads(params, batch)[0]

    assert check_gradients(loss_fn, params, grads).ok


# ----------------------------------------------------------------------------- agreement

TINY = {"H": 8, "steps": 12, "n_train": 128, "n_test": 64, "batch_size": 16}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_train_agreement_shapes_and_determinism(cell):
    params, history, task = agreement.train_agreement(cell, 3, 0, **TINY)
    params2, history2, _ = agreement.train_agreement(cell, 3, 0, **TINY)
    assert len(history["loss"]) == 12
    assert history["loss"] == history2["loss"]
    for k in params:
        np.testing.assert_array_equal(params[k], params2[k])
    assert params["W_out"].shape == (8, 2)
    assert task.tokens.shape == (5, 64)
    acc = agreement.agreement_accuracy(params, task)
    assert 0.0 <= acc <= 1.0 and acc == history["accuracy"][-1]


def test_agreement_gradients_are_correct():
    from course_pkg.gradcheck import check_gradients
    from course_pkg.tasks import agreement_task

    rng = np.random.default_rng(0)
    task = agreement_task(4, 2, rng)
    for cell in ("rnn", "lstm", "gru"):
        params = gradient_flow.init_cell(cell, len(task.vocab), 3, rng)
        params["W_out"] = rng.normal(size=(3, 2))
        params["b_out"] = rng.normal(size=2)
        model = agreement.AgreementModel(cell, params)  # shares the arrays of params
        _, grads = agreement.agreement_loss_and_grads(model, task)

        def loss_fn(model=model):
            return agreement.agreement_loss_and_grads(model, task)[0]

        assert check_gradients(loss_fn, params, grads).ok, cell


def test_lstm_learns_a_short_agreement():
    _, history, _ = agreement.train_agreement("lstm", 2, 0, H=12, steps=150, n_train=1024,
                                              n_test=200)
    assert history["accuracy"][-1] > 0.9


def test_agreement_by_distance_structure():
    res = agreement.agreement_by_distance(("rnn", "lstm"), (1, 3), seed=0, H=6, steps=8)
    assert res["distances"] == [1, 3]
    assert set(res["accuracy"]) == {"rnn", "lstm"}
    for accs in res["accuracy"].values():
        assert len(accs) == 2 and all(0.0 <= a <= 1.0 for a in accs)
    with pytest.raises(ValueError, match="cell must be one of"):
        agreement.agreement_by_distance(("lstm", "cnn"), (1,))


def test_gate_activations_and_number_units():
    params, _, task = agreement.train_agreement("lstm", 3, 0, **TINY)
    gates = agreement.gate_activations(params, task.tokens[:, 0])
    assert set(gates) == {"f", "i", "g", "o"}
    for name, g in gates.items():
        assert g.shape == (5, 8)
        lo = -1.0 if name == "g" else 0.0
        assert np.all((g >= lo) & (g <= 1.0))
    words = task.sentences[0]  # a string ending with the verb, which is dropped
    same = agreement.gate_activations(params, words)
    np.testing.assert_allclose(same["f"], gates["f"])
    units, corr = agreement.number_units(params, task, k=3)
    assert units.shape == (3,) and corr.shape == (8,)
    assert np.all(np.abs(corr) <= 1.0 + 1e-12)
    assert np.all(np.diff(np.abs(corr[units])) <= 0)
    with pytest.raises(ValueError, match="unknown word"):
        agreement.gate_activations(params, "the unicorn was")
    with pytest.raises(ValueError, match=r"shape \(T,\), got shape \(5, 64\)"):
        agreement.gate_activations(params, task.tokens)
    rnn_params, _, _ = agreement.train_agreement("rnn", 3, 0, **TINY)
    with pytest.raises(ValueError, match="no gates"):
        agreement.gate_activations(rnn_params, task.tokens[:, 0])


# ----------------------------------------------------------------------------- dates

DATE_TINY = {"H": 8, "steps": 4, "E": 4, "batch_size": 8, "n_test": 30}


def test_train_date_model_deterministic():
    p1, h1, t1 = attention_dates.train_date_model("additive", 0, **DATE_TINY)
    p2, h2, _ = attention_dates.train_date_model("additive", 0, **DATE_TINY)
    assert h1["loss"] == h2["loss"] and len(h1["loss"]) == 4
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    assert t1.src.shape[1] == 30


@pytest.mark.parametrize("attention", ["additive", "dot", "scaled_dot"])
def test_attention_map_rows_sum_to_one(attention):
    params, _, task = attention_dates.train_date_model(attention, 0, **DATE_TINY)
    date = "Monday, the 23rd of November 2026"
    weights, src, out = attention_dates.attention_map(params, date, task)
    assert src == list(date)
    assert weights.shape == (len(out), len(date))
    assert 1 <= len(out) <= 11
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(weights >= 0)


def test_attention_map_needs_attention():
    params, _, _ = attention_dates.train_date_model(None, 0, **DATE_TINY)
    with pytest.raises(ValueError, match="needs a model trained with attention"):
        attention_dates.attention_map(params, "23 Nov 2026")


def test_date_accuracy_by_length_structure():
    res = attention_dates.date_accuracy_by_length(0, H=8, steps=3, n_test=60)
    n = len(attention_dates.LENGTH_BUCKETS)
    assert len(res["lengths"]) == len(res["count"]) == n and sum(res["count"]) == 60
    assert set(res["accuracy"]) == {"no attention", "attention"}
    for key in ("accuracy", "char_accuracy"):
        for accs in res[key].values():
            assert len(accs) == n
            assert all(np.isnan(a) or 0.0 <= a <= 1.0 for a in accs)
    with pytest.raises(ValueError, match="attention must be one of"):
        attention_dates.date_accuracy_by_length(0, attention=None)


# ----------------------------------------------------------------------------- helpers


def test_single_threaded_blas_limits_blas_inside_the_call_only():
    from threadpoolctl import threadpool_info

    from course_pkg.experiments import single_threaded_blas

    @single_threaded_blas
    def blas_threads(x):
        """Docstring kept by functools.wraps."""
        return x, [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    value, threads = blas_threads(3)
    assert value == 3 and all(t == 1 for t in threads)
    assert blas_threads.__name__ == "blas_threads" and "functools" in blas_threads.__doc__


def test_compare_gradient_norms_has_the_four_curves():
    res = gradient_flow.compare_gradient_norms(T=6, H=4, D=2, N=3, seed=0, exploding_scale=2.5)
    assert list(res) == ["RNN", "RNN, large weights (s=2.5)", "LSTM (forget bias 1)", "GRU"]
    for curve in res.values():
        assert curve["norm"].shape == (6,) and np.all(np.isfinite(curve["norm"]))
    single = gradient_flow.gradient_norms_by_distance("gru", T=6, H=4, D=2, N=3, seed=0)
    np.testing.assert_array_equal(res["GRU"]["norm"], single["norm"])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_agreement_forward_is_a_linear_readout_of_the_last_state(cell):
    from course_pkg.tasks import agreement_task

    rng = np.random.default_rng(2)
    task = agreement_task(5, 3, rng)
    params = gradient_flow.init_cell(cell, len(task.vocab), 4, rng)
    params["W_out"] = rng.normal(size=(4, 2))
    params["b_out"] = rng.normal(size=2)
    logits, cache = agreement.agreement_forward(agreement.AgreementModel(cell, params), task.X)
    assert logits.shape == (5, 2) and cache["cell"] == cell
    assert cache["hs"].shape == (5, 5, 4)
    np.testing.assert_allclose(logits, cache["hs"][-1] @ params["W_out"] + params["b_out"])
    if cell != "rnn":
        assert "gates" in cache["inner"]


@pytest.mark.parametrize("attention", [None, "additive"])
def test_date_predictions_decode_every_source(attention):
    params, _, task = attention_dates.train_date_model(attention, 0, **DATE_TINY)
    preds, weights = attention_dates.date_predictions(params, task)
    assert len(preds) == task.src.shape[1] and all(isinstance(p, str) for p in preds)
    assert all(len(p) <= 11 for p in preds)
    if attention is None:
        assert weights is None
    else:
        assert weights.shape == (task.src.shape[1], 11, task.src.shape[0])
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)


def test_dot_attention_model_is_decoded_with_dot_scores():
    """Regression: a dot-attention model used to be decoded as scaled_dot (guessed from keys)."""
    from course_pkg.dates import date_source_vocab, date_target_vocab, date_task
    from course_pkg.seq2seq import (
        Seq2SeqModel,
        Seq2SeqSpec,
        greedy_decode,
        init_seq2seq_params,
        seq2seq_forward,
    )

    task = date_task(5, rng=3)
    params = init_seq2seq_params(len(date_source_vocab()), len(date_target_vocab()), 4, 6,
                                 rng=1, cell="lstm", attention="dot")
    model = Seq2SeqModel(Seq2SeqSpec("lstm", "dot"), params)
    _, weights = attention_dates.date_predictions(model, task)
    tokens, dot_w = greedy_decode(task.src, task.src_mask, params, "lstm", "dot",
                                  bos=task.bos, max_len=11)
    _, scaled_w = greedy_decode(task.src, task.src_mask, params, "lstm", "scaled_dot",
                                bos=task.bos, max_len=11)
    np.testing.assert_array_equal(weights, dot_w)
    assert not np.allclose(weights, scaled_w)
    # teacher forcing on the decoded tokens reproduces dot attention, not scaled_dot
    tgt_in = np.concatenate([np.full((1, 5), task.bos), tokens[:-1]]).astype(np.int64)
    _, cache = seq2seq_forward(task.src, task.src_mask, tgt_in, params, "lstm", "dot")
    np.testing.assert_allclose(cache["attention"], weights, rtol=1e-12, atol=1e-14)
    weights_map, _, _ = attention_dates.attention_map(model, task.src_strings[0], task)
    np.testing.assert_allclose(weights_map, dot_w[0, : len(weights_map)], rtol=1e-12)


def test_models_carry_their_spec_and_refuse_bare_dicts():
    from course_pkg.seq2seq import Seq2SeqModel, Seq2SeqSpec, init_seq2seq_params

    model, _, task = attention_dates.train_date_model("dot", 0, **DATE_TINY)
    assert isinstance(model, Seq2SeqModel) and model.spec == Seq2SeqSpec("lstm", "dot")
    assert set(model) == set(model.params) and model["W_out"].shape == (16, len(task.tgt_vocab))
    with pytest.raises(ValueError, match="needs the model returned by train_date_model"):
        attention_dates.date_predictions(dict(model.params), task)
    with pytest.raises(ValueError, match="attention must be one of"):
        Seq2SeqSpec("lstm", "luong")
    with pytest.raises(ValueError, match="missing key"):
        Seq2SeqModel(Seq2SeqSpec("gru", "dot"), init_seq2seq_params(5, 5, 2, 3, 0, "lstm", "dot"))
    lstm_model, _, _ = agreement.train_agreement("lstm", 3, 0, **TINY)
    assert isinstance(lstm_model, agreement.AgreementModel) and lstm_model.cell == "lstm"
    with pytest.raises(ValueError, match="must be an AgreementModel"):
        agreement.agreement_forward(dict(lstm_model.params), task.src)
    with pytest.raises(ValueError, match="missing key"):
        agreement.AgreementModel("gru", lstm_model.params)
