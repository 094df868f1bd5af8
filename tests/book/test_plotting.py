"""Every plot renders from the experiments' result structures; bad input is refused."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_pkg import plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _norms(rate, T=20):
    return {"distance": np.arange(T), "norm": rate ** np.arange(T)}


def test_gradient_norms_single_and_many():
    ax = plotting.plot_gradient_norms(_norms(0.5))
    assert ax.get_yscale() == "log" and len(ax.lines) == 1
    ax = plotting.plot_gradient_norms({"RNN": _norms(0.5), "LSTM (forget bias 1)": _norms(0.9),
                                       "GRU": _norms(0.8)})
    assert len(ax.lines) == 3
    colors = [ln.get_color() for ln in ax.lines]
    assert colors == [plotting.MODEL_COLORS[k] for k in ("rnn", "lstm", "gru")]


def test_gradient_norms_tolerates_underflow_to_zero():
    res = _norms(0.5)
    res["norm"][-3:] = 0.0
    plotting.plot_gradient_norms(res).figure.canvas.draw()


def test_gradient_norms_rejects_bad_structure():
    with pytest.raises(ValueError, match="distance"):
        plotting.plot_gradient_norms({"norm": [1.0]})


def test_model_colors_are_consistent():
    assert plotting.model_color("no attention") == plotting.MODEL_COLORS["no attention"]
    assert plotting.model_color("attention (dot)") == plotting.MODEL_COLORS["attention"]
    assert plotting.model_color("LSTM") == plotting.MODEL_COLORS["lstm"]


def test_accuracy_by_distance_and_by_length():
    res = {"distances": [2, 10], "accuracy": {"rnn": [1.0, 0.5], "lstm": [1.0, 1.0]}}
    ax = plotting.plot_accuracy_by_distance(res)
    assert len([ln for ln in ax.lines if ln.get_marker() == "o"]) == 2
    res = {"lengths": [9.5, 30.0], "accuracy": {"no attention": [0.9, 0.4],
                                                "attention": [1.0, 1.0]}}
    ax = plotting.plot_accuracy_by_distance(res)
    assert "length" in ax.get_xlabel()
    with pytest.raises(ValueError, match="3 distances"):
        plotting.plot_accuracy_by_distance({"distances": [1, 2, 3], "accuracy": {"rnn": [1]}})


def test_gate_heatmap_dict_array_and_units():
    rng = np.random.default_rng(0)
    tokens = ["the", "cats", "often", "were"][:3]
    gates = {g: rng.random((3, 5)) for g in "figo"}
    gates["g"] = 2 * gates["g"] - 1
    ax = plotting.plot_gate_heatmap(gates, tokens)
    assert ax.images[0].get_array().shape == (4, 3)
    ax = plotting.plot_gate_heatmap(gates, tokens, gate="f", units=[4, 0])
    assert ax.images[0].get_array().shape == (2, 3)
    ax = plotting.plot_gate_heatmap(gates["o"], tokens)
    assert ax.images[0].get_array().shape == (5, 3)
    with pytest.raises(ValueError, match="T=2"):
        plotting.plot_gate_heatmap(gates, tokens[:2])
    with pytest.raises(ValueError, match="out of range"):
        plotting.plot_gate_heatmap(gates, tokens, units=[5])
    with pytest.raises(ValueError, match="gate must be one of"):
        plotting.plot_gate_heatmap(gates, tokens, gate="z")


def test_attention_heatmap():
    w = np.full((3, 4), 0.25)
    ax = plotting.plot_attention_heatmap(w, list("2 No"), ["2", "0", "<eos>"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "␣", "N", "o"]
    with pytest.raises(ValueError, match="T_out=3, S=3"):
        plotting.plot_attention_heatmap(w, list("abc"), list("xyz"))


def test_history_single_and_compared():
    h = {"loss": list(np.linspace(1, 0.1, 30)), "grad_norm": list(np.logspace(0, 3, 30))}
    ax = plotting.plot_history(h, smooth=5)
    assert len(ax.lines) == 1 and ax.lines[0].get_xdata().size == 26
    ax = plotting.plot_history({"unclipped": h, "clipped": h}, key="grad_norm")
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    with pytest.raises(ValueError, match="accuracy"):
        plotting.plot_history(h, key="accuracy")
    with pytest.raises(ValueError, match="smooth"):
        plotting.plot_history(h, smooth=0)
