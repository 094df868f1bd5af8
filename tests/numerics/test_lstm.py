"""Tests for course_pkg.lstm_gates and course_pkg.lstm.

Every per-gate function is checked forward (against the equation) and
backward (central differences); the cell step and the fused sequence are
gradient-checked, compared with each other, and fed bad input. All
parameters are drawn from a normal (non-zero biases), shapes include N = 1,
H = 1 and D != H, and the tolerance is a relative error of 1e-7 in float64.
"""

from __future__ import annotations

import warnings

import cell_cases
import numpy as np
import pytest
from cell_cases import PROPERTY_CASES, SHAPES, TOL, assert_gradcheck, large_inputs, normal_params
from hypothesis import given, settings

from course_pkg.activations import sigmoid
from course_pkg.gradcheck import check_gradients
from course_pkg.lstm import (
    GATES,
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_param_shapes,
    lstm_step_backward,
    lstm_step_forward,
)
from course_pkg.lstm_gates import (
    candidate,
    candidate_backward,
    cell_update,
    cell_update_backward,
    concat_inputs,
    forget_gate,
    forget_gate_backward,
    hidden_state,
    hidden_state_backward,
    input_gate,
    input_gate_backward,
    output_gate,
    output_gate_backward,
)

#: gate name -> (forward, backward, nonlinearity)
GATE_FUNCS = {
    "f": (forget_gate, forget_gate_backward, sigmoid),
    "i": (input_gate, input_gate_backward, sigmoid),
    "g": (candidate, candidate_backward, np.tanh),
    "o": (output_gate, output_gate_backward, sigmoid),
}


def make_case(shape, seed):
    return cell_cases.make_case("lstm", shape, seed)


def run_steps(X, h0, c0, params):
    (hs, cs), caches = cell_cases.run_steps("lstm", X, (h0, c0), params)
    return hs, cs, caches


# --- init -------------------------------------------------------------------------


def test_init_keys_shapes_forget_bias_dtype():
    p = init_lstm_params(3, 5, np.random.default_rng(0))
    assert set(p) == set(lstm_param_shapes())
    assert all(p[f"W_{g}"].shape == (8, 5) and p[f"b_{g}"].shape == (5,) for g in GATES)
    assert all(np.all(np.abs(v) <= 1 / np.sqrt(5)) for v in p.values())
    p1 = init_lstm_params(3, 5, 0, forget_bias=1.0)
    p0 = init_lstm_params(3, 5, 0)
    np.testing.assert_allclose(p1["b_f"] - p0["b_f"], 1.0)
    np.testing.assert_array_equal(p1["b_i"], p0["b_i"])
    p32 = init_lstm_params(3, 5, 0, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in p32.values())


# --- gates: forward and backward ------------------------------------------------------


def test_concat_inputs_order_and_validation():
    h = np.ones((2, 3))
    x = np.zeros((2, 4))
    z = concat_inputs(h, x)
    assert z.shape == (2, 7) and np.all(z[:, :3] == 1) and np.all(z[:, 3:] == 0)
    with pytest.raises(ValueError, match=r"x has shape \(3, 4\), expected \(N=2, D=4\)"):
        concat_inputs(h, np.zeros((3, 4)))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gate", GATES)
def test_gate_forward_and_gradcheck(shape, gate):
    X, h0, _, params, dhs, _ = make_case(shape, 31)
    fwd, bwd, act = GATE_FUNCS[gate]
    x, W, b, dout = X[0], params[f"W_{gate}"], params[f"b_{gate}"], dhs[0]
    out, cache = fwd(h0, x, W, b)
    np.testing.assert_allclose(out, act(np.concatenate([h0, x], axis=1) @ W + b), atol=1e-15)
    dh, dx, dW, db = bwd(dout, cache)
    res = check_gradients(lambda: float(np.sum(fwd(h0, x, W, b)[0] * dout)),
                          {"h_prev": h0, "x": x, "W": W, "b": b},
                          {"h_prev": dh, "x": dx, "W": dW, "b": db}, tol=TOL)
    assert res.ok, f"{gate}: {res}"


@pytest.mark.parametrize("shape", SHAPES)
def test_cell_update_forward_and_gradcheck(shape):
    rng = np.random.default_rng(32)
    N, H = shape[1], shape[3]
    f, i = rng.uniform(0, 1, (N, H)), rng.uniform(0, 1, (N, H))
    g, c_prev = rng.uniform(-1, 1, (N, H)), rng.normal(size=(N, H))
    dc = rng.normal(size=(N, H))
    c, cache = cell_update(f, c_prev, i, g)
    np.testing.assert_allclose(c, f * c_prev + i * g, atol=1e-15)
    df, dc_prev, di, dg = cell_update_backward(dc, cache)
    np.testing.assert_array_equal(dc_prev, dc * f)  # the highway: only rescaled by f
    res = check_gradients(lambda: float(np.sum(cell_update(f, c_prev, i, g)[0] * dc)),
                          {"f": f, "c_prev": c_prev, "i": i, "g": g},
                          {"f": df, "c_prev": dc_prev, "i": di, "g": dg}, tol=TOL)
    assert res.ok, str(res)


@pytest.mark.parametrize("shape", SHAPES)
def test_hidden_state_forward_and_gradcheck(shape):
    rng = np.random.default_rng(33)
    N, H = shape[1], shape[3]
    o, c, dh = rng.uniform(0, 1, (N, H)), 2 * rng.normal(size=(N, H)), rng.normal(size=(N, H))
    h, cache = hidden_state(o, c)
    np.testing.assert_allclose(h, o * np.tanh(c), atol=1e-15)
    do, dc = hidden_state_backward(dh, cache)
    res = check_gradients(lambda: float(np.sum(hidden_state(o, c)[0] * dh)),
                          {"o": o, "c": c}, {"o": do, "c": dc}, tol=TOL)
    assert res.ok, str(res)


def test_gate_validation_messages():
    X, h0, c0, params, dhs, _ = make_case((2, 2, 3, 4), 0)
    with pytest.raises(ValueError, match=r"W_f has shape \(4, 7\), expected \(H \+ D=7, H=4\)"):
        forget_gate(h0, X[0], params["W_f"].T.copy(), params["b_f"])
    with pytest.raises(ValueError, match=r"b_i has shape \(3,\), expected \(H=4,\)"):
        input_gate(h0, X[0], params["W_i"], params["b_i"][:3])
    with pytest.raises(ValueError, match=r"x must have dtype float64.*got int64"):
        candidate(h0, X[0].astype(np.int64), params["W_g"], params["b_g"])
    bad = h0.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"h_prev contains 1 non-finite.*NaN at index \(1, 2\)"):
        output_gate(bad, X[0], params["W_o"], params["b_o"])
    with pytest.raises(ValueError, match=r"c_prev has shape \(2, 3\), expected \(N=2, H=4\)"):
        cell_update(c0, c0[:, :3], c0, c0)
    with pytest.raises(ValueError, match=r"c has shape \(1, 4\), expected \(N=2, H=4\)"):
        hidden_state(c0, c0[:1])
    _, cache = forget_gate(h0, X[0], params["W_f"], params["b_f"])
    with pytest.raises(ValueError, match=r"df has shape \(2, 3\), expected \(2, 4\)"):
        forget_gate_backward(dhs[0][:, :3], cache)


# --- step and sequence ------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_sequence_matches_steps_and_gate_cache(shape):
    X, h0, c0, params, _, _ = make_case(shape, 41)
    hs, cs, cache = lstm_forward(X, h0, c0, params)
    hs_s, cs_s, caches = run_steps(X, h0, c0, params)
    np.testing.assert_allclose(hs, hs_s, atol=1e-13)
    np.testing.assert_allclose(cs, cs_s, atol=1e-12)
    for gate in GATES:
        assert cache["gates"][gate].shape == hs.shape
        np.testing.assert_allclose(cache["gates"][gate], np.stack([c[gate] for c in caches]),
                                   atol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_step_backward_gradcheck(shape):
    X, h0, c0, params, dhs, dc_last = make_case(shape, 42)
    x, dh, dc = X[0], dhs[0], dc_last

    def loss():
        h, c, _ = lstm_step_forward(x, h0, c0, params)
        return float(np.sum(h * dh) + np.sum(c * dc))

    _, _, cache = lstm_step_forward(x, h0, c0, params)
    dx, dh_prev, dc_prev, grads = lstm_step_backward(dh, dc, cache)
    assert_gradcheck(loss, {"x": (x, dx), "h_prev": (h0, dh_prev), "c_prev": (c0, dc_prev)},
                     params, grads)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("with_dc", [True, False])
def test_sequence_backward_gradcheck(shape, seed, with_dc):
    X, h0, c0, params, dhs, dc_last = make_case(shape, seed)
    dcl = dc_last if with_dc else None

    def loss():
        hs, cs, _ = lstm_forward(X, h0, c0, params)
        extra = float(np.sum(cs[-1] * dc_last)) if with_dc else 0.0
        return float(np.sum(hs * dhs)) + extra

    _, _, cache = lstm_forward(X, h0, c0, params)
    dX, dh0, dc0, grads = lstm_backward(dhs, cache, dc_last=dcl)
    assert_gradcheck(loss, {"X": (X, dX), "h0": (h0, dh0), "c0": (c0, dc0)}, params, grads)


@pytest.mark.parametrize("shape", SHAPES)
def test_step_backward_accumulated_matches_lstm_backward(shape):
    X, h0, c0, params, dhs, dc_last = make_case(shape, 43)
    _, _, caches = run_steps(X, h0, c0, params)
    dXs, (dh_next, dc_next), total = cell_cases.accumulate_step_backward(
        "lstm", dhs, caches, X, params, (np.zeros_like(h0), dc_last))
    _, _, cache = lstm_forward(X, h0, c0, params)
    dX, dh0, dc0, grads = lstm_backward(dhs, cache, dc_last=dc_last)
    np.testing.assert_allclose(dX, dXs, atol=1e-12)
    np.testing.assert_allclose(dh0, dh_next, atol=1e-12)
    np.testing.assert_allclose(dc0, dc_next, atol=1e-12)
    for k in params:
        np.testing.assert_allclose(grads[k], total[k], atol=1e-12, err_msg=k)


def test_float32_runs():
    X, h0, c0, params, dhs, _ = make_case((4, 2, 3, 5), 3)
    f32 = {k: v.astype(np.float32) for k, v in params.items()}
    hs, cs, cache = lstm_forward(X.astype(np.float32), h0.astype(np.float32),
                                 c0.astype(np.float32), f32)
    assert hs.dtype == cs.dtype == np.float32
    dX, _, _, grads = lstm_backward(dhs.astype(np.float32), cache)
    assert dX.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    np.testing.assert_allclose(hs, lstm_forward(X, h0, c0, params)[0], atol=1e-5)


# --- properties and stability -----------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(**PROPERTY_CASES)
def test_gates_in_unit_interval_and_h_bounded(T, N, D, H, seed, scale):
    rng, X, h0 = large_inputs(T, N, D, H, seed, scale)
    c0 = rng.normal(size=(N, H))
    params = normal_params("lstm", D, H, rng, scale=3.0)
    hs, _, cache = lstm_forward(X, h0, c0, params)
    for gate in ("f", "i", "o"):
        assert np.all((cache["gates"][gate] >= 0) & (cache["gates"][gate] <= 1))
    assert np.all(np.abs(cache["gates"]["g"]) <= 1)
    assert np.all(np.abs(hs) <= 1.0)
    for gate in ("f", "i", "o"):
        out, _ = GATE_FUNCS[gate][0](h0, X[0], params[f"W_{gate}"], params[f"b_{gate}"])
        assert np.all((out >= 0) & (out <= 1))


def test_large_inputs_no_warnings_and_finite_gradients():
    X, h0, c0, params, dhs, dc_last = make_case((6, 3, 4, 5), 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hs, _, cache = lstm_forward(1e3 * X, h0, c0, params)
        dX, dh0, dc0, grads = lstm_backward(dhs, cache, dc_last=dc_last)
        _, _, step_cache = lstm_step_forward(1e3 * X[0], h0, c0, params)
        step = lstm_step_backward(dhs[0], dc_last, step_cache)
    assert np.all(np.abs(hs) <= 1.0)
    assert all(np.all(np.isfinite(a)) for a in (dX, dh0, dc0, *grads.values()))
    assert all(np.all(np.isfinite(a)) for a in (*step[:3], *step[3].values()))


# --- bad input ----------------------------------------------------------------


def test_bad_inputs_named_with_shapes():
    X, h0, c0, params, dhs, _ = make_case((3, 2, 4, 5), 0)
    with pytest.raises(ValueError, match=r"c0 has shape \(2, 4\), expected \(N=2, H=5\)"):
        lstm_forward(X, h0, c0[:, :4], params)
    with pytest.raises(ValueError, match=r"X must have 3 dimension\(s\).*got 2"):
        lstm_forward(X[0], h0, c0, params)
    with pytest.raises(ValueError, match=r"params\['W_o'\] has shape \(5, 9\), expected"):
        lstm_forward(X, h0, c0, dict(params, W_o=params["W_o"].T.copy()))
    with pytest.raises(ValueError, match=r"h0 must have dtype float64.*got int64"):
        lstm_forward(X, h0.astype(np.int64), c0, params)
    bad = X.copy()
    bad[2, 1, 0] = np.inf
    with pytest.raises(ValueError, match=r"X contains 1 non-finite.*inf at index \(2, 1, 0\)"):
        lstm_forward(bad, h0, c0, params)
    with pytest.raises(ValueError, match=r"params is missing key\(s\) \['b_g'\]"):
        lstm_step_forward(X[0], h0, c0, {k: v for k, v in params.items() if k != "b_g"})
    _, _, cache = lstm_forward(X, h0, c0, params)
    with pytest.raises(ValueError, match=r"dhs has shape \(3, 2, 4\), expected \(3, 2, 5\)"):
        lstm_backward(dhs[:, :, :4], cache)
    with pytest.raises(ValueError, match=r"dc_last has shape \(1, 5\), expected \(2, 5\)"):
        lstm_backward(dhs, cache, dc_last=h0[:1])
