"""Tests for course_pkg.losses: gradients, stability, masks, PyTorch, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_pkg.gradcheck import check_gradients
from course_pkg.losses import (
    readout_backward,
    readout_cross_entropy,
    sigmoid_binary_cross_entropy,
    softmax_cross_entropy,
)

SHAPES = [(5,), (1, 4), (3, 6), (1, 1, 3), (4, 2, 7)]  # (..., V)


def _case(rng, shape, masked=True):
    logits = rng.normal(size=shape) * 2.0
    targets = rng.integers(0, shape[-1], size=shape[:-1])
    mask = None
    if masked and len(shape) > 1:
        mask = rng.random(shape[:-1]) < 0.7
        mask.flat[0] = True
    return logits, targets, mask


def _naive_ce(logits, targets, mask):
    p = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    nll = -np.log(np.take_along_axis(p, targets[..., None], axis=-1)[..., 0])
    m = np.ones(targets.shape, bool) if mask is None else mask
    return nll[m].mean()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("masked", [True, False])
def test_cross_entropy_gradcheck(shape, masked):
    rng = np.random.default_rng(len(shape) * 100 + shape[-1] + masked)
    logits, targets, mask = _case(rng, shape, masked)
    loss, dlogits = softmax_cross_entropy(logits, targets, mask)
    assert loss == pytest.approx(_naive_ce(logits, targets, mask), rel=1e-12)
    res = check_gradients(lambda: softmax_cross_entropy(logits, targets, mask)[0],
                          {"logits": logits}, {"logits": dlogits})
    assert res.ok, str(res)
    if mask is not None:
        assert np.all(dlogits[~mask] == 0.0)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    loss, d = softmax_cross_entropy(logits, np.array([1, 2]))
    # first row: -log softmax = 2e4; second row: uniform -> log 3
    assert loss == pytest.approx((2e4 + np.log(3)) / 2, rel=1e-12)
    assert np.all(np.isfinite(d))


def test_masked_targets_may_hold_ignore_ids():
    logits = np.zeros((2, 3))
    loss, d = softmax_cross_entropy(logits, np.array([1, -100]), np.array([True, False]))
    assert loss == pytest.approx(np.log(3))
    assert np.all(d[1] == 0)


def test_cross_entropy_float32(rng):
    logits, targets, mask = _case(rng, (3, 4, 5))
    loss32, d32 = softmax_cross_entropy(logits.astype(np.float32), targets, mask)
    loss64, d64 = softmax_cross_entropy(logits, targets, mask)
    assert d32.dtype == np.float32
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(d32, d64, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(T=st.integers(1, 4), N=st.integers(1, 3), V=st.integers(1, 6),
       seed=st.integers(0, 2**31 - 1), scale=st.floats(0.01, 500.0))
def test_cross_entropy_properties(T, N, V, seed, scale):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(T, N, V)) * scale
    targets = rng.integers(0, V, size=(T, N))
    mask = rng.random((T, N)) < 0.5
    mask[0, 0] = True
    loss, d = softmax_cross_entropy(logits, targets, mask)
    assert loss >= 0.0 and np.isfinite(loss)
    np.testing.assert_allclose(d.sum(axis=-1), 0.0, atol=1e-12)  # softmax - one-hot
    assert np.all(d[~mask] == 0.0)
    # the gradient's total mass: each counted row contributes 1/M to the target's -(1 - p)
    assert np.all(d <= 1.0 / mask.sum() + 1e-15)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.zeros((2, 3)), np.zeros(3, dtype=int), None), "targets"),
        ((np.zeros((2, 3)), np.zeros(2), None), "targets"),
        ((np.zeros((2, 3)), np.array([0, 3]), None), "targets holds id 3"),
        ((np.zeros((2, 3)), np.array([0, -1]), None), "targets holds id -1"),
        ((np.zeros((2, 3)), np.array([0, 1]), np.array([1, 0])), "mask"),
        ((np.zeros((2, 3)), np.array([0, 1]), np.array([True])), "mask"),
        ((np.zeros((2, 3)), np.array([0, 1]), np.array([False, False])), "mask"),
        ((np.full((2, 3), np.nan), np.array([0, 1]), None), "logits"),
        ((np.zeros((2, 3), dtype=int), np.array([0, 1]), None), "logits"),
        (([[0.0, 1.0]], np.array([0]), None), "logits"),
    ],
)
def test_cross_entropy_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        softmax_cross_entropy(*args)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 7), (1, 1, 3)])
def test_cross_entropy_matches_torch(shape):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(shape[-1])
    logits, targets, mask = _case(rng, shape)
    V = shape[-1]
    ignored = np.where(mask, targets, -100)
    t_logits = torch.tensor(logits.reshape(-1, V), requires_grad=True)
    t_loss = F.cross_entropy(t_logits, torch.tensor(ignored.reshape(-1)), ignore_index=-100)
    t_loss.backward()
    loss, d = softmax_cross_entropy(logits, targets, mask)
    assert abs(loss - t_loss.item()) < 1e-12
    np.testing.assert_allclose(d.reshape(-1, V), t_logits.grad.numpy(), rtol=0, atol=1e-14)


# --------------------------------------------------------------------------- binary


@pytest.mark.parametrize("shape", [(1,), (6,), (3, 4)])
@pytest.mark.parametrize("masked", [True, False])
def test_bce_gradcheck(shape, masked):
    rng = np.random.default_rng(sum(shape) + 10 * masked)
    z = rng.normal(size=shape) * 3
    y = rng.random(shape)  # soft labels too
    mask = None
    if masked:
        mask = rng.random(shape) < 0.6
        mask.flat[0] = True
    loss, d = sigmoid_binary_cross_entropy(z, y, mask)
    p = 1 / (1 + np.exp(-z))
    naive = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert loss == pytest.approx(naive[mask if masked else ...].mean(), rel=1e-12)
    res = check_gradients(lambda: sigmoid_binary_cross_entropy(z, y, mask)[0], {"z": z}, {"z": d})
    assert res.ok, str(res)


def test_bce_is_stable_and_accepts_int_labels():
    z = np.array([1e4, -1e4, 1e4, -1e4])
    loss, d = sigmoid_binary_cross_entropy(z, np.array([1, 0, 0, 1]))
    assert loss == pytest.approx(1e4 / 2, rel=1e-12)
    np.testing.assert_allclose(d, [0, 0, 0.25, -0.25])


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.zeros(3), np.zeros(2)), "targets"),
        ((np.zeros(3), np.array([0.0, 2.0, 1.0])), r"targets must lie in \[0, 1\]"),
        ((np.array([0.0, np.inf, 1.0]), np.zeros(3)), "logits"),
        ((np.zeros(3), np.zeros(3), np.zeros(3, dtype=bool)), "mask"),
        ((np.zeros(3), np.zeros(3), np.ones(3)), "mask"),
        ((np.zeros(3), [0, 1, 1]), "targets"),
    ],
)
def test_bce_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        sigmoid_binary_cross_entropy(*args)


@pytest.mark.torch
def test_bce_matches_torch():
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(4, 5)) * 4, rng.random((4, 5))
    tz = torch.tensor(z, requires_grad=True)
    t_loss = F.binary_cross_entropy_with_logits(tz, torch.tensor(y))
    t_loss.backward()
    loss, d = sigmoid_binary_cross_entropy(z, y)
    assert abs(loss - t_loss.item()) < 1e-12
    np.testing.assert_allclose(d, tz.grad.numpy(), rtol=0, atol=1e-14)


# --------------------------------------------------------------------------- read-out


def _readout_case(rng, T=4, N=3, H=5, V=6, masked=True):
    hs = rng.normal(size=(T, N, H))
    W = rng.normal(size=(H, V))
    b = rng.normal(size=V)  # random non-zero bias
    targets = rng.integers(0, V, size=(T, N))
    mask = (rng.random((T, N)) < 0.7) if masked else None
    if mask is not None:
        mask[0, 0] = True
    return hs, W, b, targets, mask


@pytest.mark.parametrize("masked", [True, False])
def test_readout_cross_entropy_gradcheck(masked):
    rng = np.random.default_rng(11 + masked)
    hs, W, b, targets, mask = _readout_case(rng, masked=masked)
    loss, dhs, dW, db, logits = readout_cross_entropy(hs, W, b, targets, mask)
    np.testing.assert_allclose(logits, hs @ W + b, rtol=1e-14)
    assert loss == softmax_cross_entropy(logits, targets, mask)[0]
    res = check_gradients(lambda: readout_cross_entropy(hs, W, b, targets, mask)[0],
                          {"hs": hs, "W": W, "b": b}, {"hs": dhs, "W": dW, "b": db})
    assert res.ok, str(res)


def test_readout_backward_is_the_chain_rule_of_the_linear_map():
    rng = np.random.default_rng(3)
    hs, W, _, _, _ = _readout_case(rng)
    dlogits = rng.normal(size=(4, 3, 6))
    dhs, dW, db = readout_backward(dlogits, hs, W)
    np.testing.assert_allclose(dhs, np.einsum("tnv,hv->tnh", dlogits, W), rtol=1e-12)
    np.testing.assert_allclose(dW, np.einsum("tnh,tnv->hv", hs, dlogits), rtol=1e-12)
    np.testing.assert_allclose(db, dlogits.sum(axis=(0, 1)), rtol=1e-12)
    with pytest.raises(ValueError, match="dlogits"):
        readout_backward(dlogits[..., :5], hs, W)


@pytest.mark.torch
def test_readout_cross_entropy_matches_torch():
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(5)
    hs, W, b, targets, mask = _readout_case(rng)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in {"hs": hs, "W": W, "b": b}.items()}
    ignored = np.where(mask, targets, -100)
    t_loss = F.cross_entropy((t["hs"] @ t["W"] + t["b"]).reshape(-1, W.shape[1]),
                             torch.tensor(ignored.reshape(-1)), ignore_index=-100)
    t_loss.backward()
    loss, dhs, dW, db, _ = readout_cross_entropy(hs, W, b, targets, mask)
    assert abs(loss - t_loss.item()) < 1e-12
    for ours, key in ((dhs, "hs"), (dW, "W"), (db, "b")):
        np.testing.assert_allclose(ours, t[key].grad.numpy(), rtol=0, atol=1e-12)
