"""Chapter 8's fair comparison and chapter 5's highway-only gradient."""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg.activations import sigmoid
from course_pkg.experiments import agreement, fair_comparison
from course_pkg.experiments.gradient_flow import gradient_norms_by_distance
from course_pkg.experiments.highway import highway_only_norms


def test_update_bias_shifts_only_the_gru_update_gate():
    p0, _, _ = agreement.train_agreement("gru", 2, seed=0, H=4, steps=1, lr=1e-12)
    p3, _, _ = agreement.train_agreement("gru", 2, seed=0, H=4, steps=1, lr=1e-12,
                                         update_bias=3.0)
    np.testing.assert_allclose(p3["b_z"] - p0["b_z"], 3.0, atol=1e-9)
    for key in p0:
        if key != "b_z":
            np.testing.assert_allclose(p3[key], p0[key], atol=1e-9)


def test_update_bias_is_ignored_by_the_lstm():
    a, _, _ = agreement.train_agreement("lstm", 2, seed=0, H=4, steps=2)
    b, _, _ = agreement.train_agreement("lstm", 2, seed=0, H=4, steps=2, update_bias=3.0)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_fair_comparison_structure():
    res = fair_comparison.fair_agreement_comparison(("rnn", "gru"), (1, 3), seed=0,
                                                    n_seeds=2, steps=4, H=4)
    assert res["distances"] == [1, 3]
    assert res["n_seeds"] == 2
    assert res["settings"] == {"steps": 4, "H": 4, "forget_bias": 3.0, "update_bias": 3.0}
    for cell in ("rnn", "gru"):
        per = np.asarray(res["per_seed"][cell])
        assert per.shape == (2, 2)
        np.testing.assert_allclose(res["accuracy"][cell], per.mean(axis=1))
        np.testing.assert_allclose(res["min"][cell], per.min(axis=1))
        np.testing.assert_allclose(res["max"][cell], per.max(axis=1))
        assert res["solved"][cell] == list((per >= fair_comparison.SOLVED).sum(axis=1))


def test_fair_comparison_passes_the_biases_on():
    a = fair_comparison.fair_agreement_comparison(("gru",), (2,), n_seeds=1, steps=3, H=4,
                                                  update_bias=0.0)
    b = agreement.agreement_by_distance(("gru",), (2,), n_seeds=1, steps=3, H=4)
    assert a["per_seed"] == b["per_seed"]


def test_fair_comparison_rejects_unknown_cell():
    with pytest.raises(ValueError, match="cell"):
        fair_comparison.fair_agreement_comparison(("cnn",), (1,), n_seeds=1, steps=1)


@pytest.mark.parametrize("fb", [1.0, 3.0])
def test_highway_starts_with_the_full_cell_gradient(fb):
    kw = {"T": 12, "H": 6, "D": 3, "N": 5, "seed": 2}
    full = gradient_norms_by_distance("lstm", forget_bias=fb, **kw)
    hw = highway_only_norms(forget_bias=fb, **kw)
    assert hw["norm"][0] == pytest.approx(full["cell_norm"][0], rel=1e-12)
    assert np.all(np.diff(hw["norm"]) <= 0)


def test_highway_is_the_product_of_forget_gates_for_one_unit():
    # with H = 1, N = 1 the highway gradient is exactly g_T * prod f
    hw = highway_only_norms(T=5, H=1, D=2, N=1, seed=0, forget_bias=30.0)
    # sigma(30) is 1 to machine precision: the highway keeps everything
    np.testing.assert_allclose(hw["norm"], hw["norm"][0], rtol=1e-10)
    assert hw["mean_f"] == pytest.approx(sigmoid(30.0), abs=1e-6)


def test_highway_rejects_bad_sizes():
    with pytest.raises(ValueError, match="T"):
        highway_only_norms(T=0)


def test_last_step_problem_draws_the_shared_network():
    from course_pkg.experiments.gradient_flow import last_step_problem

    params, X, u = last_step_problem("lstm", 4, 3, 2, 5, seed=1, forget_bias=2.0)
    assert X.shape == (4, 5, 2) and u.shape == (5, 3)
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0)
    again, X0, u0 = last_step_problem("lstm", 4, 3, 2, 5, seed=1, forget_bias=0.0)
    np.testing.assert_allclose(params["b_f"] - again["b_f"], 2.0)  # same draws, shifted
    np.testing.assert_array_equal(X0, X)
    np.testing.assert_array_equal(u0, u)
    with pytest.raises(ValueError, match="N"):
        last_step_problem("rnn", 4, 3, 2, 0, seed=1)
