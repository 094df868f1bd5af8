"""Tests for course_pkg.optim: SGD, Adam, clipping (PyTorch cross-checks marked torch)."""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg.optim import (
    adam_init,
    adam_step,
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    sgd_step,
)


def make(rng, dtype=np.float64):
    params = {"W": rng.normal(size=(4, 3)).astype(dtype), "b": rng.normal(size=(3,)).astype(dtype)}
    grads = {"W": rng.normal(size=(4, 3)).astype(dtype), "b": rng.normal(size=(3,)).astype(dtype)}
    return params, grads


def copies(d):
    return {k: v.copy() for k, v in d.items()}


# --------------------------------------------------------------------------- SGD


def test_sgd_step_values_and_no_mutation(rng):
    params, grads = make(rng)
    p0, g0 = copies(params), copies(grads)
    new = sgd_step(params, grads, 0.1)
    for k in params:
        np.testing.assert_allclose(new[k], p0[k] - 0.1 * g0[k], rtol=0, atol=1e-15)
        np.testing.assert_array_equal(params[k], p0[k])
        np.testing.assert_array_equal(grads[k], g0[k])
        assert new[k] is not params[k]


def test_sgd_keeps_float32(rng):
    params, grads = make(rng, np.float32)
    new = sgd_step(params, grads, 0.1)
    assert all(v.dtype == np.float32 for v in new.values())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_gradient_message(rng, bad):
    params, grads = make(rng)
    grads["W"][1, 2] = bad
    with pytest.raises(ValueError, match=r"(?i)exploding gradients\? try clipping") as info:
        sgd_step(params, grads, 0.1)
    assert "grads['W']" in str(info.value)
    assert "(1, 2)" in str(info.value)
    state = adam_init(params)
    with pytest.raises(ValueError, match=r"(?i)exploding"):
        adam_step(params, grads, state)
    with pytest.raises(ValueError, match=r"(?i)exploding"):
        clip_by_global_norm(grads, 1.0)
    with pytest.raises(ValueError, match=r"(?i)exploding"):
        global_norm(grads)


def test_key_mismatch_is_named(rng):
    params, grads = make(rng)
    del grads["b"]
    grads["c"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"missing from grads: \['b'\].*not in params: \['c'\]"):
        sgd_step(params, grads, 0.1)


def test_shape_mismatch_is_named(rng):
    params, grads = make(rng)
    grads["W"] = grads["W"].T.copy()
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3, 4\), expected \(4, 3\)"):
        sgd_step(params, grads, 0.1)


@pytest.mark.parametrize("lr", [0.0, -1.0, np.nan, np.inf])
def test_bad_lr(rng, lr):
    params, grads = make(rng)
    with pytest.raises(ValueError, match="lr must be a positive"):
        sgd_step(params, grads, lr)


def test_non_float_grad_rejected(rng):
    params, grads = make(rng)
    grads["b"] = np.array([1, 2, 3])
    with pytest.raises(ValueError, match="dtype float64"):
        sgd_step(params, grads, 0.1)


def test_params_not_dict():
    with pytest.raises(ValueError, match="params must be a dict"):
        sgd_step([np.zeros(2)], {"a": np.zeros(2)}, 0.1)


# --------------------------------------------------------------------------- Adam


def test_adam_init_state(rng):
    params, _ = make(rng)
    state = adam_init(params)
    assert state["t"] == 0
    for k, p in params.items():
        assert state["m"][k].shape == p.shape and not state["m"][k].any()
        assert state["v"][k].shape == p.shape and not state["v"][k].any()


def test_adam_first_step_is_lr_times_sign(rng):
    # With bias correction, m_hat = g and v_hat = g^2 at t = 1, so the first
    # step is lr * g / (|g| + eps) ~ lr * sign(g), whatever the scale of g.
    params, grads = make(rng)
    grads = {k: 1e3 * g for k, g in grads.items()}
    new, state = adam_step(params, grads, adam_init(params), lr=0.01)
    assert state["t"] == 1
    for k in params:
        np.testing.assert_allclose(params[k] - new[k], 0.01 * np.sign(grads[k]), rtol=1e-9)


def test_adam_no_mutation_and_state_advances(rng):
    params, grads = make(rng)
    state = adam_init(params)
    p0, g0 = copies(params), copies(grads)
    m0 = copies(state["m"])
    _, new_state = adam_step(params, grads, state)
    for k in params:
        np.testing.assert_array_equal(params[k], p0[k])
        np.testing.assert_array_equal(grads[k], g0[k])
        np.testing.assert_array_equal(state["m"][k], m0[k])
    assert state["t"] == 0 and new_state["t"] == 1


def test_adam_matches_formula_two_steps(rng):
    params, _ = make(rng)
    lr, b1, b2, eps = 0.05, 0.8, 0.9, 1e-6
    p, s = params, adam_init(params)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(x) for k, x in params.items()}
    ref = copies(params)
    for t in (1, 2):
        g = {k: rng.normal(size=x.shape) for k, x in params.items()}
        p, s = adam_step(p, g, s, lr=lr, beta1=b1, beta2=b2, eps=eps)
        for k in ref:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            mh, vh = m[k] / (1 - b1**t), v[k] / (1 - b2**t)
            ref[k] = ref[k] - lr * mh / (np.sqrt(vh) + eps)
    for k in ref:
        np.testing.assert_allclose(p[k], ref[k], rtol=0, atol=1e-14)


def test_adam_minimises_quadratic():
    target = np.array([1.0, -2.0, 3.0])
    p = {"x": np.zeros(3)}
    s = adam_init(p)
    for _ in range(2000):
        p, s = adam_step(p, {"x": 2 * (p["x"] - target)}, s, lr=0.05)
    np.testing.assert_allclose(p["x"], target, atol=1e-3)


def test_adam_state_mismatch(rng):
    params, grads = make(rng)
    other = adam_init({"W": params["W"]})
    with pytest.raises(ValueError, match=r"state\['m'\] must have the keys"):
        adam_step(params, grads, other)
    with pytest.raises(ValueError, match="adam_init"):
        adam_step(params, grads, {"m": {}})


@pytest.mark.parametrize("kw", [{"beta1": 1.0}, {"beta2": -0.1}, {"eps": 0.0}])
def test_adam_bad_hyperparameters(rng, kw):
    params, grads = make(rng)
    with pytest.raises(ValueError):
        adam_step(params, grads, adam_init(params), **kw)


def test_adam_float32(rng):
    params, grads = make(rng, np.float32)
    new, state = adam_step(params, grads, adam_init(params))
    assert all(v.dtype == np.float32 for v in new.values())
    assert all(v.dtype == np.float32 for v in state["v"].values())


@pytest.mark.torch
def test_adam_matches_torch(rng):
    import torch

    params, _ = make(rng)
    tparams = [torch.tensor(params[k], dtype=torch.float64, requires_grad=True) for k in params]
    opt = torch.optim.Adam(tparams, lr=0.01, betas=(0.85, 0.99), eps=1e-7)
    state = adam_init(params)
    p = params
    for _ in range(5):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        p, state = adam_step(p, grads, state, lr=0.01, beta1=0.85, beta2=0.99, eps=1e-7)
        opt.zero_grad()
        for tp, k in zip(tparams, params):
            tp.grad = torch.from_numpy(grads[k].copy())
        opt.step()
        for tp, k in zip(tparams, params):
            np.testing.assert_allclose(p[k], tp.detach().numpy(), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- clipping


def test_global_norm_value(rng):
    _, grads = make(rng)
    flat = np.concatenate([g.ravel() for g in grads.values()])
    assert global_norm(grads) == pytest.approx(np.linalg.norm(flat), rel=1e-14)
    assert global_norm({}) == 0.0
    assert global_norm({"a": np.zeros((2, 2))}) == 0.0


def test_global_norm_no_overflow():
    # 1e200 ** 2 would overflow; the scaled computation must not warn (pytest
    # turns RuntimeWarnings into errors).
    grads = {"a": np.array([3e200]), "b": np.array([[4e200]])}
    assert global_norm(grads) == pytest.approx(5e200, rel=1e-14)


def test_clip_by_global_norm_scales(rng):
    _, grads = make(rng)
    g0 = copies(grads)
    norm = global_norm(grads)
    clipped, before = clip_by_global_norm(grads, norm / 4)
    assert before == norm
    assert global_norm(clipped) == pytest.approx(norm / 4, rel=1e-12)
    for k in grads:  # direction kept, input untouched
        np.testing.assert_allclose(clipped[k], grads[k] / 4, rtol=1e-12)
        np.testing.assert_array_equal(grads[k], g0[k])


def test_clip_by_global_norm_below_threshold_is_identity(rng):
    _, grads = make(rng)
    clipped, before = clip_by_global_norm(grads, 1e6)
    for k in grads:
        np.testing.assert_array_equal(clipped[k], grads[k])
        assert clipped[k] is not grads[k]
    assert before == global_norm(grads)


def test_clip_bad_threshold(rng):
    _, grads = make(rng)
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm(grads, 0.0)
    with pytest.raises(ValueError, match="value"):
        clip_by_value(grads, -1.0)


@pytest.mark.torch
def test_clip_by_global_norm_matches_torch(rng):
    import torch

    _, grads = make(rng)
    grads = {k: 10 * g for k, g in grads.items()}
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
               for g in grads.values()]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.from_numpy(g.copy())
    tnorm = float(torch.nn.utils.clip_grad_norm_(tensors, max_norm=1.5))
    clipped, norm = clip_by_global_norm(grads, 1.5)
    assert norm == pytest.approx(tnorm, rel=1e-13)
    # torch divides by (norm + 1e-6); see the Notes of clip_by_global_norm.
    factor = norm / (norm + 1e-6)
    for t, k in zip(tensors, grads):
        np.testing.assert_allclose(clipped[k] * factor, t.grad.numpy(), rtol=0, atol=1e-12)


def test_clip_by_value(rng):
    _, grads = make(rng)
    g0 = copies(grads)
    clipped = clip_by_value(grads, 0.5)
    for k in grads:
        np.testing.assert_array_equal(clipped[k], np.clip(g0[k], -0.5, 0.5))
        np.testing.assert_array_equal(grads[k], g0[k])
        assert np.max(np.abs(clipped[k])) <= 0.5
