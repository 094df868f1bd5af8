"""Tests for course_pkg.init: statistics of each initialiser and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg.init import (
    fans,
    he_normal,
    he_uniform,
    identity,
    orthogonal,
    xavier_normal,
    xavier_uniform,
)

SHAPE = (600, 400)  # 240 000 draws: sample variance within ~0.5 % (5 sigma < 1.5 %)


def rel(a, b):
    return abs(a - b) / abs(b)


@pytest.mark.parametrize(
    ("fn", "kwargs", "var"),
    [
        (xavier_uniform, {}, 2.0 / (600 + 400)),
        (xavier_uniform, {"gain": 2.0}, 4 * 2.0 / (600 + 400)),
        (xavier_normal, {}, 2.0 / (600 + 400)),
        (he_normal, {}, 2.0 / 600),
        (he_normal, {"mode": "fan_out"}, 2.0 / 400),
        (he_uniform, {}, 2.0 / 600),
    ],
)
def test_variance(fn, kwargs, var):
    W = fn(SHAPE, np.random.default_rng(0), **kwargs)
    assert W.shape == SHAPE and W.dtype == np.float64
    assert abs(W.mean()) < 5 * np.sqrt(var / W.size)
    assert rel(W.var(), var) < 0.015


def test_uniform_bounds():
    W = xavier_uniform((30, 20), 1)
    a = np.sqrt(6 / 50)
    assert W.max() <= a and W.min() >= -a
    assert W.max() > 0.9 * a  # uses the whole range
    V = he_uniform((30, 20), 1)
    assert np.abs(V).max() <= np.sqrt(6 / 30)


@pytest.mark.parametrize("fn", [xavier_uniform, xavier_normal, he_normal, he_uniform, orthogonal])
def test_seeded_and_dtype(fn):
    a = fn((5, 3), 7)
    b = fn((5, 3), np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fn((5, 3), 8))
    assert fn((5, 3), 7, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("shape", [(8, 8), (12, 5), (5, 12), (1, 1)])
def test_orthogonal(shape):
    W = orthogonal(shape, np.random.default_rng(3), gain=1.5)
    assert W.shape == shape
    r, c = shape
    if r >= c:
        np.testing.assert_allclose(W.T @ W, 2.25 * np.eye(c), atol=1e-12)
    else:
        np.testing.assert_allclose(W @ W.T, 2.25 * np.eye(r), atol=1e-12)


def test_orthogonal_norm_preserving():
    # The point of chapter 2: powers of an orthogonal matrix neither shrink nor grow.
    W = orthogonal((16, 16), 0)
    h = np.random.default_rng(1).normal(size=16)
    v = h.copy()
    for _ in range(100):
        v = v @ W
    assert np.linalg.norm(v) == pytest.approx(np.linalg.norm(h), rel=1e-10)


def test_orthogonal_sign_fix_is_haar():
    # With the sign fix the diagonal of Q is symmetric around 0; without it
    # (numpy's Householder QR) the first diagonal entry would be biased.
    d = np.array([orthogonal((3, 3), s)[0, 0] for s in range(2000)])
    assert abs(d.mean()) < 0.05


def test_identity():
    np.testing.assert_array_equal(identity((4, 4)), np.eye(4))
    H, D = 3, 2
    W = identity((H + D, H), gain=0.5)
    np.testing.assert_array_equal(W[:H], 0.5 * np.eye(H))  # rows reading h_prev
    np.testing.assert_array_equal(W[H:], 0.0)  # rows reading x
    assert identity((2, 2), dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="rows >= cols"):
        identity((2, 3))


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), (0, 3), (2.0, 3), "ab", (True, 2)])
def test_bad_shape(shape):
    with pytest.raises(ValueError, match="shape must be a pair of positive ints"):
        xavier_uniform(shape, 0)


def test_bad_gain_and_mode():
    with pytest.raises(ValueError, match="gain"):
        orthogonal((3, 3), 0, gain=0.0)
    with pytest.raises(ValueError, match="mode"):
        he_normal((3, 3), 0, mode="fan_avg")


def test_fans():
    assert fans((10, 4)) == (10, 4)
