"""Tests for course_pkg.activations: values, stability, derivatives, masks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_pkg.activations import (
    masked_softmax,
    masked_softmax_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
)
from course_pkg.gradcheck import numerical_gradient, relative_error

FAST = settings(max_examples=60, deadline=None)
finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
moderate = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
shapes = st.tuples(st.integers(1, 4), st.integers(1, 6))


# --------------------------------------------------------------------------- sigmoid


def test_sigmoid_no_overflow_warning_at_1e4():
    z = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    np.testing.assert_array_equal(s[[0, 2, 4]], [0.0, 0.5, 1.0])
    assert np.all(np.isfinite(s))


def test_sigmoid_matches_naive_where_safe():
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(sigmoid(z), 1.0 / (1.0 + np.exp(-z)), rtol=1e-14, atol=0)


@FAST
@given(arrays(np.float64, shapes, elements=finite))
def test_sigmoid_properties(z):
    s = sigmoid(z)
    assert s.shape == z.shape
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(sigmoid(-z), 1.0 - s, atol=1e-15)


@FAST
@given(arrays(np.float64, shapes, elements=moderate))
def test_sigmoid_monotone(z):
    flat = np.sort(z.ravel())
    assert np.all(np.diff(sigmoid(flat)) >= 0)


def _central(f, z, h=1e-6):
    return (f(z + h) - f(z - h)) / (2 * h)


def test_sigmoid_derivative():
    z = np.linspace(-8, 8, 41)
    np.testing.assert_allclose(sigmoid_backward(np.ones_like(z), sigmoid(z)),
                               _central(sigmoid, z), rtol=1e-6, atol=1e-9)
    dout = np.random.default_rng(0).normal(size=z.shape)
    np.testing.assert_allclose(sigmoid_backward(dout, sigmoid(z)),
                               dout * _central(sigmoid, z), rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- tanh


def test_tanh_values_and_derivative():
    z = np.linspace(-6, 6, 37)
    np.testing.assert_allclose(tanh(z), (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(tanh_backward(np.ones_like(z), tanh(z)), _central(tanh, z),
                               rtol=1e-6, atol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(tanh(np.array([-1e4, 1e4])), [-1.0, 1.0])


@FAST
@given(arrays(np.float64, shapes, elements=finite))
def test_tanh_bounded_and_odd(z):
    t = tanh(z)
    assert np.all(np.abs(t) <= 1)
    np.testing.assert_array_equal(tanh(-z), -t)


# --------------------------------------------------------------------------- softmax


def test_softmax_stable_for_large_inputs():
    z = np.array([[1000.0, 1000.0], [1e6, 0.0], [-1e6, -1e6 + 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = softmax(z)
    e = np.e
    np.testing.assert_allclose(p, [[0.5, 0.5], [1.0, 0.0], [1 / (1 + e), e / (1 + e)]],
                               rtol=1e-12)


@FAST
@given(arrays(np.float64, shapes, elements=finite), st.floats(-1e3, 1e3))
def test_softmax_properties(z, c):
    for axis in (0, -1):
        p = softmax(z, axis=axis)
        assert np.all(p >= 0)
        np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-12)
        np.testing.assert_allclose(softmax(z + c, axis=axis), p, atol=1e-10)


def test_softmax_backward_by_central_differences():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 5))
    w = rng.normal(size=(3, 5))
    for axis in (0, 1):
        num = numerical_gradient(lambda a=axis: float(np.sum(w * softmax(z, axis=a))), z)
        ana = softmax_backward(w, softmax(z, axis=axis), axis=axis)
        assert relative_error(num, ana) < 1e-8


# --------------------------------------------------------------------------- masked softmax


def test_masked_softmax_sums_to_one_and_zero_on_mask():
    z = np.array([[1.0, 2.0, 3.0, 1e4], [0.5, -1e4, 0.0, 2.0]])
    mask = np.array([[True, True, False, False], [True, False, True, True]])
    p = masked_softmax(z, mask)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(p[~mask], 0.0)
    np.testing.assert_allclose(p[0, :2], softmax(z[0, :2]), rtol=1e-14)
    np.testing.assert_allclose(p[1, [0, 2, 3]], softmax(z[1, [0, 2, 3]]), rtol=1e-14)


def test_masked_softmax_broadcast_mask_and_none():
    z = np.random.default_rng(2).normal(size=(2, 3, 4))  # (N, Tq, S)
    mask = np.array([[True, True, True, False], [True, False, False, False]])[:, None, :]
    p = masked_softmax(z, mask)
    np.testing.assert_allclose(p.sum(-1), 1.0)
    np.testing.assert_array_equal(p[1, :, 1:], 0.0)
    np.testing.assert_array_equal(p[1, :, 0], 1.0)
    np.testing.assert_allclose(masked_softmax(z, None), softmax(z))


def test_masked_softmax_all_masked_row_raises():
    z = np.zeros((2, 3))
    mask = np.array([[True, False, False], [False, False, False]])
    with pytest.raises(ValueError, match="every position masked"):
        masked_softmax(z, mask)


def test_masked_softmax_mask_must_be_bool():
    with pytest.raises(ValueError, match="boolean mask"):
        masked_softmax(np.zeros((1, 3)), np.array([[1, 0, 1]]))


@FAST
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=finite),
       st.data())
def test_masked_softmax_properties(z, data):
    mask = data.draw(arrays(np.bool_, z.shape))
    mask[:, 0] |= ~mask.any(axis=1)  # at least one True per row
    p = masked_softmax(z, mask)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(p[~mask], 0.0)
    assert np.all(p >= 0)


def test_masked_softmax_backward_by_central_differences():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(3, 5))
    w = rng.normal(size=(3, 5))
    mask = rng.random((3, 5)) < 0.6
    mask[:, 0] = True
    num = numerical_gradient(lambda: float(np.sum(w * masked_softmax(z, mask))), z)
    ana = masked_softmax_backward(w, masked_softmax(z, mask))
    assert relative_error(num, ana) < 1e-8
    np.testing.assert_array_equal(ana[~mask], 0.0)


def test_sigmoid_float32_keeps_dtype_without_warnings():
    z = np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    assert s.dtype == np.float32
    np.testing.assert_array_equal(s[[0, 2, 4]], np.array([0.0, 0.5, 1.0], dtype=np.float32))


@pytest.mark.parametrize("backward", [sigmoid_backward, tanh_backward, softmax_backward,
                                      masked_softmax_backward])
def test_backward_rejects_a_gradient_of_another_shape(backward):
    out = np.full((2, 3), 0.5)
    with pytest.raises(ValueError, match=r"dout has shape \(3, 2\), expected \(2, 3\)"):
        backward(np.ones((3, 2)), out)
    with pytest.raises(ValueError, match=r"dout has shape \(3,\), expected \(2, 3\)"):
        backward(np.ones(3), out)  # would broadcast silently
