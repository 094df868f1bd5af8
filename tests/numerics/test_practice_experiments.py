"""The experiments of chapter 12 at small sizes: shapes, determinism and what they measure."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_pkg.experiments import practice


def test_recall_stream_targets_are_the_delayed_inputs(rng):
    X, y, mask = practice.recall_stream(3, 10, 5, 4, rng)
    assert X.shape == (10, 3, 5) and y.shape == (10, 3) and mask.shape == (10, 3)
    s = np.argmax(X, axis=2)
    np.testing.assert_array_equal(y[4:], s[:-4])
    assert not mask[:4].any() and mask[4:].all()
    with pytest.raises(ValueError, match="V"):
        practice.recall_stream(3, 10, 1, 4, rng)


def test_truncation_bias_vanishes_at_full_length():
    r = practice.truncation_bias(chunks=(1, 4, 16), T=16, N=2, D=2, H=4)
    assert r["chunk"].tolist() == [1, 4, 16]
    assert r["rel_error"][-1] < 1e-12 and np.isclose(r["cosine"][-1], 1.0)
    assert r["rel_error"][0] > r["rel_error"][1] > 0
    # the last-step loss reaches inputs only inside the last chunk
    assert np.all(r["dx_trunc"][1][:12] == 0) and np.all(r["dx_trunc"][1][12:] > 0)
    np.testing.assert_allclose(r["dx_trunc"][2], r["dx_full"])


def test_train_recall_is_deterministic_and_reports_chance():
    a = practice.train_recall(4, delay=2, steps=5, V=3, H=4, N=4, eval_T=20)
    b = practice.train_recall(4, delay=2, steps=5, V=3, H=4, N=4, eval_T=20)
    assert a == b
    assert a["chance"] == pytest.approx(1 / 3) and 0 <= a["accuracy"] <= 1
    assert len(a["loss"]) == 5
    with pytest.raises(ValueError, match="recurrent must be"):
        practice.train_recall(4, steps=1, recurrent="identity")


def test_recall_by_chunk_and_init_comparison_shapes():
    r = practice.recall_by_chunk(chunks=(2, 3), delay=1, seeds=(0, 1), steps=3)
    assert r["accuracy"].shape == (2, 2) and r["delay"] == 1
    c = practice.init_comparison(delay=2, chunk=4, seeds=(0,), steps=3,
                                 starts={"a": (0.0, "default"), "b": (1.0, "orthogonal")})
    assert c["labels"] == ["a", "b"] and c["accuracy"].shape == (2, 1)
    assert len(c["loss"][1][0]) == 3


def test_clipping_sweep_marks_divergence():
    r = practice.clipping_sweep(thresholds=(1.0, None), steps=40)
    assert r["threshold"] == [1.0, None]
    assert r["diverged_at"][0] is None and math.isfinite(r["final_loss"][0])
    if r["diverged_at"][1] is not None:
        assert r["final_loss"][1] == math.inf


def test_lookahead_comparison_runs_both_models():
    r = practice.lookahead_comparison(steps=3, T=5, H=4, N=4)
    assert set(r) == {"unidirectional", "bidirectional", "chance"}
    assert len(r["bidirectional"]["loss"]) == 3
    with pytest.raises(ValueError, match="shift"):
        practice.lookahead_comparison(shift=0)
