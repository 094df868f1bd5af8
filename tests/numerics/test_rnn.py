"""Tests for course_pkg.rnn: equations, gradient checks, step vs sequence, validation.

Every backward is checked against central differences in float64, with all
parameters drawn from a normal distribution (never the init, never zero
biases) over shapes that include N = 1, H = 1 and D != H.
"""

from __future__ import annotations

import warnings

import cell_cases
import numpy as np
import pytest
from cell_cases import (
    PROPERTY_CASES,
    SHAPES,
    assert_one_state_backward,
    large_inputs,
    normal_params,
)
from hypothesis import given, settings

from course_pkg.rnn import (
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_param_shapes,
    rnn_step_backward,
    rnn_step_forward,
)


def make_case(shape, seed):
    return cell_cases.make_case("rnn", shape, seed)


def run_steps(X, h0, params):
    (hs,), caches = cell_cases.run_steps("rnn", X, (h0,), params)
    return hs, caches


# --- init ---------------------------------------------------------------------


def test_init_shapes_bounds_and_dtype():
    params = init_rnn_params(3, 5, np.random.default_rng(0))
    assert set(params) == set(rnn_param_shapes()) == {"W", "b"}
    assert params["W"].shape == (8, 5) and params["b"].shape == (5,)
    bound = 1 / np.sqrt(5)
    assert all(np.all(np.abs(v) <= bound) for v in params.values())
    assert all(v.dtype == np.float64 for v in params.values())
    p32 = init_rnn_params(3, 5, 0, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in p32.values())
    again = init_rnn_params(3, 5, 0)
    np.testing.assert_array_equal(init_rnn_params(3, 5, 0)["W"], again["W"])


# --- forward ------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_step_forward_matches_equation(shape):
    X, h0, params, _ = make_case(shape, 1)
    H = h0.shape[1]
    h, _ = rnn_step_forward(X[0], h0, params)
    expected = np.tanh(h0 @ params["W"][:H] + X[0] @ params["W"][H:] + params["b"])
    np.testing.assert_allclose(h, expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_sequence_forward_matches_steps(shape):
    X, h0, params, _ = make_case(shape, 2)
    hs, _ = rnn_forward(X, h0, params)
    hs_steps, _ = run_steps(X, h0, params)
    assert hs.shape == (shape[0], shape[1], shape[3])
    np.testing.assert_allclose(hs, hs_steps, rtol=0, atol=1e-13)


def test_float32_runs_and_stays_float32():
    X, h0, params, dhs = make_case((4, 2, 3, 5), 3)
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    hs, cache = rnn_forward(X.astype(np.float32), h0.astype(np.float32), p32)
    assert hs.dtype == np.float32
    dX, _, grads = rnn_backward(dhs.astype(np.float32), cache)
    assert dX.dtype == np.float32 and grads["W"].dtype == np.float32
    hs64, _ = rnn_forward(X, h0, params)
    np.testing.assert_allclose(hs, hs64, atol=1e-5)


# --- backward -----------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_step_backward_gradcheck(shape, seed):
    X, h0, params, dhs = make_case(shape, seed)
    assert_one_state_backward(rnn_step_forward, rnn_step_backward, {"x": X[0], "h_prev": h0},
                              dhs[0], params)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_sequence_backward_gradcheck(shape, seed):
    X, h0, params, dhs = make_case(shape, seed)
    assert_one_state_backward(rnn_forward, rnn_backward, {"X": X, "h0": h0}, dhs, params)


@pytest.mark.parametrize("shape", SHAPES)
def test_step_backward_accumulated_matches_sequence_backward(shape):
    X, h0, params, dhs = make_case(shape, 4)
    _, caches = run_steps(X, h0, params)
    dXs, (dh_next,), total = cell_cases.accumulate_step_backward(
        "rnn", dhs, caches, X, params, (np.zeros_like(h0),))
    _, cache = rnn_forward(X, h0, params)
    dX, dh0, grads = rnn_backward(dhs, cache)
    np.testing.assert_allclose(dX, dXs, atol=1e-12)
    np.testing.assert_allclose(dh0, dh_next, atol=1e-12)
    for k in params:
        np.testing.assert_allclose(grads[k], total[k], atol=1e-12)


def test_only_last_step_read_gives_vanishing_gradient_to_early_inputs():
    # Chapter 2's point, as a regression test: small recurrent weights make the
    # gradient reaching x_1 from a loss on h_T much smaller than that at x_T.
    rng = np.random.default_rng(0)
    T, N, D, H = 20, 2, 3, 4
    params = {"W": 0.2 * rng.normal(size=(H + D, H)), "b": rng.normal(size=H)}
    X = rng.normal(size=(T, N, D))
    hs, cache = rnn_forward(X, np.zeros((N, H)), params)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    dX, _, _ = rnn_backward(dhs, cache)
    assert np.linalg.norm(dX[0]) < 1e-6 * np.linalg.norm(dX[-1])


# --- properties and stability -----------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(**PROPERTY_CASES)
def test_hidden_state_bounded(T, N, D, H, seed, scale):
    rng, X, h0 = large_inputs(T, N, D, H, seed, scale)
    hs, _ = rnn_forward(X, h0, normal_params("rnn", D, H, rng, scale=3.0))
    assert np.all(np.abs(hs) <= 1.0)


def test_large_inputs_no_warnings_and_finite_gradients():
    X, h0, params, dhs = make_case((6, 3, 4, 5), 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hs, cache = rnn_forward(1e3 * X, h0, params)
        dX, dh0, grads = rnn_backward(dhs, cache)
        _, c = rnn_step_forward(1e3 * X[0], h0, params)
        rnn_step_backward(dhs[0], c)
    assert np.all(np.abs(hs) <= 1.0)
    assert all(np.all(np.isfinite(a)) for a in (dX, dh0, *grads.values()))


# --- bad input ----------------------------------------------------------------


@pytest.fixture
def good():
    X, h0, params, dhs = make_case((3, 2, 4, 5), 0)
    return X, h0, params, dhs


def test_wrong_shape_names_argument_and_shapes(good):
    X, h0, params, _ = good
    with pytest.raises(ValueError, match=r"h0 has shape \(3, 5\), expected \(N=2, H=5\)"):
        rnn_forward(X, h0[:1].repeat(3, axis=0), params)
    with pytest.raises(ValueError, match=r"X must have 3 dimension\(s\).*got 2"):
        rnn_forward(X[0], h0, params)


def test_transposed_weight_rejected(good):
    X, h0, params, _ = good
    bad = dict(params, W=params["W"].T.copy())
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(5, 9\), expected \(H \+ D=9"):
        rnn_forward(X, h0, bad)


def test_int_dtype_rejected(good):
    X, h0, params, _ = good
    with pytest.raises(ValueError, match=r"X must have dtype float64.*got int64"):
        rnn_forward(X.astype(np.int64), h0, params)
    with pytest.raises(ValueError, match=r"x must have dtype float64.*got int64"):
        rnn_step_forward(X[0].astype(np.int64), h0, params)


def test_nan_rejected(good):
    X, h0, params, _ = good
    X = X.copy()
    X[1, 0, 2] = np.nan
    msg = r"X contains 1 non-finite value\(s\) \(NaN at index \(1, 0, 2\)\)"
    with pytest.raises(ValueError, match=msg):
        rnn_forward(X, h0, params)
    bad = dict(params, b=np.full(5, np.inf))
    with pytest.raises(ValueError, match=r"params\['b'\] contains 5 non-finite"):
        rnn_step_forward(X[0], h0, bad)


def test_missing_key_rejected(good):
    X, h0, params, _ = good
    with pytest.raises(ValueError, match=r"params is missing key\(s\) \['b'\]"):
        rnn_forward(X, h0, {"W": params["W"]})


def test_not_an_array_rejected(good):
    X, h0, params, _ = good
    with pytest.raises(ValueError, match=r"h_prev must be a numpy array of shape \(N=2, H\)"):
        rnn_step_forward(X[0], h0.tolist(), params)


def test_backward_upstream_shape_checked(good):
    X, h0, params, dhs = good
    _, cache = rnn_forward(X, h0, params)
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 2, 5\), expected \(3, 2, 5\)"):
        rnn_backward(dhs[:2], cache)
    _, step_cache = rnn_step_forward(X[0], h0, params)
    with pytest.raises(ValueError, match=r"dh has shape \(2, 4\), expected \(2, 5\)"):
        rnn_step_backward(dhs[0][:, :4], step_cache)
