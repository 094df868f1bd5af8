"""Tests for course_pkg.gru and course_pkg.gru_gates, both variants ("reset_after" and "cho").

Every backward (each gate function, the step, the fused sequence) is checked
against central differences in float64 with all parameters drawn from a
normal distribution, over shapes that include N = 1, H = 1 and D != H.
"""

from __future__ import annotations

import warnings

import cell_cases
import numpy as np
import pytest
from cell_cases import (
    PROPERTY_CASES,
    SHAPES,
    TOL,
    assert_one_state_backward,
    large_inputs,
    normal_params,
    run_python,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import course_pkg.gru
import course_pkg.gru_gates
from course_pkg.activations import sigmoid
from course_pkg.gradcheck import check_gradients
from course_pkg.gru import (
    GATES,
    gru_backward,
    gru_forward,
    gru_param_shapes,
    gru_step_backward,
    gru_step_forward,
    init_gru_params,
)
from course_pkg.gru_gates import (
    VARIANTS,
    gru_candidate,
    gru_candidate_backward,
    gru_state_update,
    gru_state_update_backward,
    reset_gate,
    reset_gate_backward,
    update_gate,
    update_gate_backward,
)


def make_case(shape, seed, variant="reset_after"):
    return cell_cases.make_case("gru", shape, seed, variant)


def reference_step(x, h, p, variant):
    """The brief's equations, written as plainly as possible."""
    H = h.shape[1]
    zin = np.concatenate([h, x], axis=1)
    z = sigmoid(zin @ p["W_z"] + p["b_z"])
    r = sigmoid(zin @ p["W_r"] + p["b_r"])
    if variant == "cho":
        n = np.tanh(np.concatenate([r * h, x], axis=1) @ p["W_n"] + p["b_n"])
    else:
        n = np.tanh(x @ p["W_n"][H:] + p["b_n"] + r * (h @ p["W_n"][:H] + p["b_hn"]))
    return (1 - z) * n + z * h, z, r, n


def run_steps(X, h0, params, variant):
    (hs,), caches = cell_cases.run_steps("gru", X, (h0,), params, variant)
    return hs, caches


# --- init and parameters -----------------------------------------------------------


def test_init_keys_shapes_bounds():
    p = init_gru_params(3, 5, np.random.default_rng(0))
    assert set(p) == {"W_z", "b_z", "W_r", "b_r", "W_n", "b_n", "b_hn"}
    assert set(p) == set(gru_param_shapes("reset_after"))
    assert all(p[f"W_{g}"].shape == (8, 5) for g in GATES)
    assert all(p[k].shape == (5,) for k in ("b_z", "b_r", "b_n", "b_hn"))
    assert all(np.all(np.abs(v) <= 1 / np.sqrt(5)) for v in p.values())
    cho = init_gru_params(3, 5, 0, variant="cho", dtype=np.float32)
    assert "b_hn" not in cho and all(v.dtype == np.float32 for v in cho.values())


@pytest.mark.parametrize("bad", ["Cho", "reset-after", "lstm", None, 1])
def test_variant_validated_everywhere(bad):
    X, h0, params, _ = make_case((2, 2, 3, 4), 0)
    pattern = r"variant must be one of \('reset_after', 'cho'\), got"
    for call in (
        lambda: init_gru_params(3, 4, 0, variant=bad),
        lambda: gru_param_shapes(bad),
        lambda: gru_forward(X, h0, params, variant=bad),
        lambda: gru_step_forward(X[0], h0, params, variant=bad),
        lambda: gru_candidate(h0, X[0], h0, params["W_n"], params["b_n"], variant=bad),
    ):
        with pytest.raises(ValueError, match=pattern):
            call()


def test_cho_rejects_b_hn_and_reset_after_requires_it():
    X, h0, params, _ = make_case((2, 2, 3, 4), 0)
    with pytest.raises(ValueError, match=r"params has key 'b_hn'.*variant='cho'"):
        gru_forward(X, h0, params, variant="cho")
    no_bhn = {k: v for k, v in params.items() if k != "b_hn"}
    with pytest.raises(ValueError, match=r"params is missing key\(s\) \['b_hn'\]"):
        gru_forward(X, h0, no_bhn)
    with pytest.raises(ValueError, match=r"b_hn of shape \(H,\) is required"):
        gru_candidate(h0, X[0], h0, params["W_n"], params["b_n"])
    with pytest.raises(ValueError, match=r"b_hn must be None when variant='cho'"):
        gru_candidate(h0, X[0], h0, params["W_n"], params["b_n"], params["b_hn"], variant="cho")


# --- forward ------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_step_and_sequence_match_equations(shape, variant):
    X, h0, params, _ = make_case(shape, 1, variant)
    hs, cache = gru_forward(X, h0, params, variant=variant)
    hs_steps, caches = run_steps(X, h0, params, variant)
    h = h0
    for t in range(X.shape[0]):
        h, z, r, n = reference_step(X[t], h, params, variant)
        for name, ref in (("z", z), ("r", r), ("n", n)):
            np.testing.assert_allclose(caches[t][name], ref, atol=1e-14)
            np.testing.assert_allclose(cache["gates"][name][t], ref, atol=1e-13)
        np.testing.assert_allclose(hs_steps[t], h, atol=1e-13)
        np.testing.assert_allclose(hs[t], h, atol=1e-13)
    assert set(cache["gates"]) == {"z", "r", "n"}
    assert all(g.shape == hs.shape for g in cache["gates"].values())


def test_variants_differ_but_agree_for_one_unit_without_b_hn():
    # With H = 1 the reset gate is a scalar per example, so r * (h w) == (r h) w;
    # with b_hn = 0 the two candidates are then identical.
    X, h0, params, _ = make_case((4, 3, 2, 1), 7)
    cho = {k: v for k, v in params.items() if k != "b_hn"}
    same = dict(params, b_hn=np.zeros(1))
    np.testing.assert_allclose(gru_forward(X, h0, same)[0],
                               gru_forward(X, h0, cho, variant="cho")[0], atol=1e-14)
    X, h0, params, _ = make_case((4, 3, 2, 3), 7)
    cho = {k: v for k, v in params.items() if k != "b_hn"}
    diff = gru_forward(X, h0, dict(params, b_hn=np.zeros(3)))[0] - gru_forward(
        X, h0, cho, variant="cho")[0]
    assert np.abs(diff).max() > 1e-3


@pytest.mark.parametrize("variant", VARIANTS)
def test_float32_runs(variant):
    X, h0, params, dhs = make_case((4, 2, 3, 5), 3, variant)
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    hs, cache = gru_forward(X.astype(np.float32), h0.astype(np.float32), p32, variant=variant)
    assert hs.dtype == np.float32
    dX, _, grads = gru_backward(dhs.astype(np.float32), cache)
    assert dX.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    np.testing.assert_allclose(hs, gru_forward(X, h0, params, variant=variant)[0], atol=1e-5)


# --- gate functions: forward and gradient checks --------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gate", ["z", "r"])
def test_sigmoid_gates_gradcheck(shape, gate):
    X, h0, params, dhs = make_case(shape, 11)
    fwd, bwd = {"z": (update_gate, update_gate_backward),
                "r": (reset_gate, reset_gate_backward)}[gate]
    x, W, b, dout = X[0], params[f"W_{gate}"], params[f"b_{gate}"], dhs[0]
    out, cache = fwd(h0, x, W, b)
    np.testing.assert_allclose(out, sigmoid(np.concatenate([h0, x], 1) @ W + b), atol=1e-15)
    dh, dx, dW, db = bwd(dout, cache)
    res = check_gradients(lambda: float(np.sum(fwd(h0, x, W, b)[0] * dout)),
                          {"h_prev": h0, "x": x, "W": W, "b": b},
                          {"h_prev": dh, "x": dx, "W": dW, "b": db}, tol=TOL)
    assert res.ok, str(res)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_candidate_gradcheck(shape, variant):
    X, h0, params, dhs = make_case(shape, 12)
    rng = np.random.default_rng(0)
    r = rng.uniform(0.05, 0.95, size=h0.shape)
    x, W, b, dout = X[0], params["W_n"], params["b_n"], dhs[0]
    variables = {"h_prev": h0, "x": x, "r": r, "W_n": W, "b_n": b}
    b_hn = params["b_hn"] if variant == "reset_after" else None
    if b_hn is not None:
        variables["b_hn"] = b_hn

    def loss():
        return float(np.sum(gru_candidate(h0, x, r, W, b, b_hn, variant=variant)[0] * dout))

    _, cache = gru_candidate(h0, x, r, W, b, b_hn, variant=variant)
    dh, dx, dr, dW, db, db_hn = gru_candidate_backward(dout, cache)
    analytic = {"h_prev": dh, "x": dx, "r": dr, "W_n": dW, "b_n": db}
    if variant == "reset_after":
        analytic["b_hn"] = db_hn
    else:
        assert db_hn is None
    res = check_gradients(loss, variables, analytic, tol=TOL)
    assert res.ok, str(res)


@pytest.mark.parametrize("shape", SHAPES)
def test_state_update_gradcheck(shape):
    rng = np.random.default_rng(13)
    N, H = shape[1], shape[3]
    z, n, h = rng.uniform(0, 1, (N, H)), rng.uniform(-1, 1, (N, H)), rng.normal(size=(N, H))
    dout = rng.normal(size=(N, H))
    out, cache = gru_state_update(z, n, h)
    np.testing.assert_allclose(out, (1 - z) * n + z * h, atol=1e-15)
    dz, dn, dh = gru_state_update_backward(dout, cache)
    res = check_gradients(lambda: float(np.sum(gru_state_update(z, n, h)[0] * dout)),
                          {"z": z, "n": n, "h_prev": h}, {"z": dz, "n": dn, "h_prev": dh},
                          tol=TOL)
    assert res.ok, str(res)


# --- step and sequence: gradient checks -----------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_step_backward_gradcheck(shape, variant):
    X, h0, params, dhs = make_case(shape, 21, variant)
    assert_one_state_backward(gru_step_forward, gru_step_backward, {"x": X[0], "h_prev": h0},
                              dhs[0], params, variant=variant)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_sequence_backward_gradcheck(shape, variant, seed):
    X, h0, params, dhs = make_case(shape, seed, variant)
    assert_one_state_backward(gru_forward, gru_backward, {"X": X, "h0": h0}, dhs, params,
                              variant=variant)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_step_backward_accumulated_matches_sequence_backward(shape, variant):
    X, h0, params, dhs = make_case(shape, 4, variant)
    _, caches = run_steps(X, h0, params, variant)
    dXs, (dh_next,), total = cell_cases.accumulate_step_backward(
        "gru", dhs, caches, X, params, (np.zeros_like(h0),), variant)
    _, cache = gru_forward(X, h0, params, variant=variant)
    dX, dh0, grads = gru_backward(dhs, cache)
    np.testing.assert_allclose(dX, dXs, atol=1e-12)
    np.testing.assert_allclose(dh0, dh_next, atol=1e-12)
    for k in params:
        np.testing.assert_allclose(grads[k], total[k], atol=1e-12, err_msg=k)


# --- properties and stability -----------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(**PROPERTY_CASES, variant=st.sampled_from(VARIANTS))
def test_gates_in_unit_interval_and_state_bounded(T, N, D, H, seed, scale, variant):
    rng, X, h0 = large_inputs(T, N, D, H, seed, scale)
    params = normal_params("gru", D, H, rng, variant, scale=3.0)
    hs, cache = gru_forward(X, h0, params, variant=variant)
    for name in ("z", "r"):
        gate = cache["gates"][name]
        assert np.all((gate >= 0) & (gate <= 1))
    assert np.all(np.abs(cache["gates"]["n"]) <= 1)
    # a convex combination of values in [-1, 1] stays there
    assert np.all(np.abs(hs) <= 1.0)
    h, step_cache = gru_step_forward(X[0], h0, params, variant=variant)
    assert np.all((step_cache["z"] >= 0) & (step_cache["z"] <= 1)) and np.all(np.abs(h) <= 1)


@pytest.mark.parametrize("variant", VARIANTS)
def test_large_inputs_no_warnings_and_finite_gradients(variant):
    X, h0, params, dhs = make_case((6, 3, 4, 5), 5, variant)
    h0 = np.tanh(h0)  # a reachable state, so |h| <= 1 must hold
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hs, cache = gru_forward(1e3 * X, h0, params, variant=variant)
        dX, dh0, grads = gru_backward(dhs, cache)
        _, c = gru_step_forward(1e3 * X[0], h0, params, variant=variant)
        out = gru_step_backward(dhs[0], c)
    assert np.all(np.abs(hs) <= 1.0)
    assert all(np.all(np.isfinite(a)) for a in (dX, dh0, *grads.values()))
    assert all(np.all(np.isfinite(a)) for a in (out[0], out[1], *out[2].values()))


# --- bad input ----------------------------------------------------------------


def test_bad_inputs_named_with_shapes():
    X, h0, params, dhs = make_case((3, 2, 4, 5), 0)
    with pytest.raises(ValueError, match=r"h0 has shape \(1, 5\), expected \(N=2, H=5\)"):
        gru_forward(X, h0[:1], params)
    with pytest.raises(ValueError, match=r"params\['W_r'\] has shape \(9, 4\), expected"):
        gru_forward(X, h0, dict(params, W_r=params["W_r"][:, :4]))
    with pytest.raises(ValueError, match=r"params\['b_hn'\] has shape \(4,\), expected \(H=5,\)"):
        gru_forward(X, h0, dict(params, b_hn=params["b_hn"][:4]))
    with pytest.raises(ValueError, match=r"X must have dtype float64.*got int32"):
        gru_forward(X.astype(np.int32), h0, params)
    bad = X.copy()
    bad[0, 1, 3] = np.nan
    with pytest.raises(ValueError, match=r"x contains 1 non-finite.*NaN at index \(1, 3\)"):
        gru_step_forward(bad[0], h0, params)
    with pytest.raises(ValueError, match=r"params is missing key\(s\) \['W_z'\]"):
        gru_step_forward(X[0], h0, {k: v for k, v in params.items() if k != "W_z"})
    _, cache = gru_forward(X, h0, params)
    with pytest.raises(ValueError, match=r"dhs has shape \(3, 2, 4\), expected \(3, 2, 5\)"):
        gru_backward(dhs[:, :, :4], cache)
    with pytest.raises(ValueError, match=r"W_z has shape \(5, 9\), expected \(H \+ D=9, H=5\)"):
        update_gate(h0, X[0], params["W_z"].T.copy(), params["b_z"])


# --- module layout --------------------------------------------------------------

MOVED = ("VARIANTS", "update_gate", "update_gate_backward", "reset_gate", "reset_gate_backward",
         "gru_candidate", "gru_candidate_backward", "gru_state_update",
         "gru_state_update_backward")


@pytest.mark.parametrize("name", MOVED)
def test_gate_functions_live_in_gru_gates_only(name):
    """One home per name: the gates are course_pkg.gru_gates.X and gru does not re-export them."""
    obj = getattr(course_pkg.gru_gates, name)
    assert name in course_pkg.gru_gates.__all__ and name not in course_pkg.gru.__all__
    if callable(obj):
        assert obj.__module__ == "course_pkg.gru_gates"


def test_gru_gates_imports_without_gru():
    """No circular import: gru_gates loads on its own, before gru."""
    code = ("import sys, course_pkg.gru_gates; assert 'course_pkg.gru' not in sys.modules; "
            "import course_pkg.gru")
    run_python(code, timeout=60)
