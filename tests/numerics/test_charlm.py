"""The character-level language model (course_pkg.charlm) and its catalogue (assignment 09)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_pkg import charlm
from course_pkg.gradcheck import check_gradients
from course_pkg.grading import charlm as cat
from course_pkg.optim import adam_init, adam_step

V, H = 6, 4


def random_params(seed=0, V=V, H=H):
    rng = np.random.default_rng(seed)
    params = charlm.init_charlm_params(V, H, rng)
    return {k: rng.normal(size=v.shape) * 0.5 for k, v in params.items()}  # non-zero biases


def test_text_vocab_encode_decode_round_trip():
    text = charlm.load_text()
    assert 8_000 < len(text) < 100_000 and "Mei" in text
    vocab = charlm.build_vocab(text)
    assert vocab == sorted(set(text))
    ids = charlm.encode(text, vocab)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert charlm.decode(ids, vocab) == text
    with pytest.raises(ValueError, match="not in vocab"):
        charlm.encode("é", vocab)
    with pytest.raises(ValueError, match="non-empty"):
        charlm.build_vocab("")


def test_init_charlm_params_shapes():
    params = charlm.init_charlm_params(V, H, rng=1)
    assert params["W_f"].shape == (H + V, H) and params["W_y"].shape == (H, V)
    assert params["b_y"].shape == (V,) and all(p.dtype == np.float64 for p in params.values())
    np.testing.assert_array_equal(params["W_y"], charlm.init_charlm_params(V, H, rng=1)["W_y"])


def test_make_batches_layout_and_shift():
    ids = np.arange(13)
    x, y = charlm.make_batches(ids, 3, 2)
    assert x.shape == y.shape == (2, 3, 2)
    np.testing.assert_array_equal(x[:, :, 0].ravel(), np.arange(6))  # stream 0
    np.testing.assert_array_equal(x[:, :, 1].ravel(), np.arange(6, 12))  # stream 1
    np.testing.assert_array_equal(y, x + 1)  # the next character
    with pytest.raises(ValueError, match="fewer than"):
        charlm.make_batches(ids, 5, 3)


def test_forward_uses_and_returns_the_state():
    params = random_params()
    rng = np.random.default_rng(2)
    inputs = rng.integers(0, V, size=(5, 3))
    h0, c0 = rng.normal(size=(3, H)), rng.normal(size=(3, H))
    logits, (h, c), _ = charlm.charlm_forward(inputs, h0, c0, params)
    assert logits.shape == (5, 3, V)
    # two chunks from a carried state equal one long chunk
    l1, s1, _ = charlm.charlm_forward(inputs[:2], h0, c0, params)
    l2, s2, _ = charlm.charlm_forward(inputs[2:], *s1, params)
    np.testing.assert_allclose(np.concatenate([l1, l2]), logits)
    np.testing.assert_allclose(s2[0], h)
    np.testing.assert_allclose(s2[1], c)
    zero, _, _ = charlm.charlm_forward(inputs, 0 * h0, 0 * c0, params)
    assert not np.allclose(zero, logits)
    with pytest.raises(ValueError, match="inputs"):
        charlm.charlm_forward(inputs + V, h0, c0, params)


def test_backward_matches_numerical_gradients():
    params = random_params(3)
    rng = np.random.default_rng(4)
    inputs, targets = rng.integers(0, V, size=(2, 4, 3))
    h0, c0 = rng.normal(size=(3, H)), rng.normal(size=(3, H))

    def loss():
        return charlm.charlm_loss_and_grads(params, inputs, targets, h0, c0)[0]

    _, grads, _ = charlm.charlm_loss_and_grads(params, inputs, targets, h0, c0)
    result = check_gradients(loss, params, grads)
    assert result.ok, result
    logits, _, cache = charlm.charlm_forward(inputs, h0, c0, params)
    direct = charlm.charlm_backward(np.ones_like(logits), cache)
    assert set(direct) == set(params)


def test_train_carries_state_and_clips_before_the_step(monkeypatch):
    params = random_params(5)
    rng = np.random.default_rng(6)
    inputs, targets = rng.integers(0, V, size=(2, 3, 4, 2))
    seen = []
    real = charlm.charlm_loss_and_grads

    def spy(p, x, y, h0, c0):
        seen.append((h0.copy(), c0.copy()))
        out = real(p, x, y, h0, c0)
        seen[-1] += (out[2],)
        return out

    monkeypatch.setattr(charlm, "charlm_loss_and_grads", spy)
    _, losses = charlm.train_charlm(params, inputs, targets, lr=0.05, clip=0.1, epochs=2)
    assert losses.shape == (6,) and len(seen) == 6
    assert not np.any(seen[0][0]) and not np.any(seen[3][0])  # each pass starts from zeros
    for k in (1, 2, 4, 5):  # then the state is carried over
        np.testing.assert_array_equal(seen[k][0], seen[k - 1][2][0])
        np.testing.assert_array_equal(seen[k][1], seen[k - 1][2][1])
    monkeypatch.undo()
    # clipping before the step: the first step equals Adam on the clipped gradient
    _, grads, _ = real(params, inputs[0], targets[0], np.zeros((2, H)), np.zeros((2, H)))
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    assert norm > 0.1
    one, _ = charlm.train_charlm(params, inputs[:1], targets[:1], lr=0.05, clip=0.1)
    step, _ = adam_step(params, {k: g * 0.1 / norm for k, g in grads.items()},
                        adam_init(params), lr=0.05)
    for k in params:
        np.testing.assert_allclose(one[k], step[k])


def test_training_on_the_story_lowers_perplexity():
    text = charlm.load_text()[:3000]
    vocab = charlm.build_vocab(text)
    ids = charlm.encode(text, vocab)
    x, y = charlm.make_batches(ids, 20, 8)
    params = charlm.init_charlm_params(len(vocab), 16, rng=0)
    before = charlm.perplexity(params, ids)
    trained, losses = charlm.train_charlm(params, x, y, lr=0.02, clip=1.0, epochs=4)
    assert before > 0.8 * len(vocab)
    assert charlm.perplexity(trained, ids) < 0.6 * before
    assert losses[-3:].mean() < losses[:3].mean()
    with pytest.raises(ValueError, match="at least 2"):
        charlm.perplexity(params, ids[:1])


def test_next_char_probs_temperature():
    logits = np.array([[0.0, np.log(3.0)], [1000.0, 0.0]])
    np.testing.assert_allclose(charlm.next_char_probs(logits, 1.0)[0], [0.25, 0.75])
    np.testing.assert_allclose(charlm.next_char_probs(logits, 0.5)[0], [0.1, 0.9])
    np.testing.assert_allclose(charlm.next_char_probs(logits, 1.0)[1], [1.0, 0.0])
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            charlm.next_char_probs(logits, bad)


def test_sample_ids_and_sample():
    params = random_params(7)
    start = np.array([1, 2, 3])
    a = charlm.sample_ids(params, start, 20, 0.8, rng=3)
    assert a.shape == (20,) and a.dtype == np.int64 and a.min() >= 0 and a.max() < V
    np.testing.assert_array_equal(a, charlm.sample_ids(params, start, 20, 0.8, rng=3))
    cold = charlm.sample_ids(params, start, 20, 1e-3, rng=3)
    greedy = cat.generate(params, start, 20, 1.0, 3, pick="argmax")
    np.testing.assert_array_equal(cold, greedy)  # tau -> 0 is the argmax
    vocab = list("abcdef")
    text = charlm.sample(params, vocab, "bcd", 20, 0.8, rng=3)
    assert text == "bcd" + charlm.decode(a, vocab)
    with pytest.raises(ValueError, match="temperature"):
        charlm.sample(params, vocab, "bcd", 5, 0.0)
    with pytest.raises(ValueError, match="start"):
        charlm.sample(params, vocab, "", 5, 1.0)


# --- the catalogue's switch-free references agree with the package ------------------------


def test_catalogue_references_agree_with_the_package():
    ex = {e.name: e for e in cat.EXERCISES}
    inp = ex["make_batches"].inputs(seed=1)
    for got, want in zip(cat.batches(**inp), charlm.make_batches(**inp)):
        np.testing.assert_array_equal(got, want)
    inp = ex["charlm_forward"].inputs(seed=2)
    for got, want in zip(cat.forward(**inp), ex["charlm_forward"].reference(**inp)):
        np.testing.assert_allclose(got, want)
    inp = ex["train_tbptt"].inputs(seed=3)
    got, want = cat.train(**inp), ex["train_tbptt"].reference(**inp)
    np.testing.assert_allclose(got[1], want[1])
    for k in got[0]:
        np.testing.assert_allclose(got[0][k], want[0][k])
    inp = ex["next_char_probs"].inputs(seed=4)
    np.testing.assert_allclose(cat.probs(**inp), charlm.next_char_probs(**inp))
    inp = ex["sample"].inputs(seed=5)
    np.testing.assert_array_equal(cat.generate(**inp), ex["sample"].reference(**inp))


def test_catalogue_points_at_real_sections_of_the_project_chapter():
    import pathlib
    import re

    book = pathlib.Path(__file__).resolve().parents[2] / "book" / "char_language_model.md"
    text = book.read_text(encoding="utf-8")
    title = re.search(r"^# (.+)$", text, re.M).group(1)
    sections = re.findall(r"^## (.+)$", text, re.M)
    refs = {m.reread for e in cat.EXERCISES for m in e.mistakes} | {e.reread for e in cat.EXERCISES}
    for ref in refs:
        match = re.fullmatch(r'the chapter "([^"]+)", section "([^"]+)"', ref)
        if match:
            assert match.group(1) == title and match.group(2) in sections, ref
