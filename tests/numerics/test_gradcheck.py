"""Tests for course_pkg.gradcheck: it must catch wrong gradients and pass right ones."""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg.gradcheck import (
    GradCheckResult,
    check_gradients,
    numerical_gradient,
    relative_error,
)


def test_numerical_gradient_cubic(rng):
    x = rng.normal(size=(3, 4))
    num = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(num, 3 * x**2, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_restores_x(rng):
    x = rng.normal(size=(2, 3))
    before = x.copy()
    numerical_gradient(lambda: float(np.sum(np.sin(x))), x)
    np.testing.assert_array_equal(x, before)  # bit-for-bit


def test_numerical_gradient_restores_x_when_f_raises(rng):
    x = rng.normal(size=4)
    before = x.copy()
    calls = {"n": 0}

    def f():
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("boom")
        return float(np.sum(x))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("bad", [np.zeros(3, dtype=np.float32), np.zeros(3, dtype=int), [0.0]])
def test_numerical_gradient_needs_float64(bad):
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda: 0.0, bad)


def test_relative_error():
    a = np.array([1.0, 2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0  # floor, no 0/0 warning
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match=r"one shape, got \(3,\) and \(1, 3\)"):
        relative_error(a, a[None])


def quadratic_problem(rng):
    """L = sum((x W - y)^2) with analytic gradients for x and W."""
    x = rng.normal(size=(4, 3))
    W = rng.normal(size=(3, 2))
    y = rng.normal(size=(4, 2))

    def loss():
        return float(np.sum((x @ W - y) ** 2))

    r = x @ W - y  # (4, 2)
    grads = {"x": 2 * r @ W.T, "W": 2 * x.T @ r}
    return loss, {"x": x, "W": W}, grads


def test_check_gradients_passes_right_gradient(rng):
    loss, variables, grads = quadratic_problem(rng)
    res = check_gradients(loss, variables, grads)
    assert isinstance(res, GradCheckResult)
    assert res.ok, str(res)
    assert set(res) == {"x", "W"} and max(res.values()) < 1e-8
    assert "ok" in str(res) and "WRONG" not in str(res)


def test_check_gradients_detects_wrong_gradient(rng):
    loss, variables, grads = quadratic_problem(rng)
    before = {k: v.copy() for k, v in variables.items()}
    wrong = dict(grads, W=grads["W"] * 1.01)  # a 1 % error must be caught
    res = check_gradients(loss, variables, wrong)
    assert not res.ok
    assert res.worst[0] == "W" and res["x"] < 1e-8
    assert "WRONG" in str(res)
    for k in variables:  # variables are restored after the check
        np.testing.assert_array_equal(variables[k], before[k])


def test_check_gradients_detects_transposed_or_sign_error(rng):
    loss, variables, grads = quadratic_problem(rng)
    res = check_gradients(loss, variables, dict(grads, x=-grads["x"]))
    assert not res.ok and res["x"] == pytest.approx(1.0, rel=1e-6)


def test_check_gradients_argument_errors(rng):
    loss, variables, grads = quadratic_problem(rng)
    with pytest.raises(ValueError, match=r"no analytic gradient for \['W'\]"):
        check_gradients(loss, variables, {"x": grads["x"]})
    with pytest.raises(ValueError, match=r"analytic gradient for W has shape \(2, 3\), "
                                         r"expected \(3, 2\)"):
        check_gradients(loss, variables, dict(grads, W=grads["W"].T))


def test_check_gradients_on_float32_errors(rng):
    x = rng.normal(size=3).astype(np.float32)
    with pytest.raises(ValueError, match="float64"):
        check_gradients(lambda: float(np.sum(x**2)), {"x": x}, {"x": 2 * x})


def test_tolerance_is_respected(rng):
    loss, variables, grads = quadratic_problem(rng)
    wrong = dict(grads, W=grads["W"] * (1 + 1e-5))
    assert not check_gradients(loss, variables, wrong).ok
    assert check_gradients(loss, variables, wrong, tol=1e-4).ok
