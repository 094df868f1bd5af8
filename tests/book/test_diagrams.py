"""The diagrams render for every option, and bad options are refused clearly."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_pkg import diagrams


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("highlight", [None, *diagrams.LSTM_PARTS])
def test_lstm_cell_renders_every_highlight(highlight):
    ax = diagrams.draw_lstm_cell(highlight)
    ax.figure.canvas.draw()
    texts = [t.get_text() for t in ax.texts]
    assert r"$c_{t-1}$" in texts and r"$h_{t-1}$" in texts and r"$x_t$" in texts
    if highlight is not None:
        # the highlighted part's equation is written under the cell
        assert any(t.startswith(highlight if highlight != "cell" else "cell") for t in texts)


def test_lstm_highlight_greys_out_the_rest():
    ax = diagrams.draw_lstm_cell("forget")
    colors = {matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches}
    assert diagrams.PART_COLORS["forget"] in colors
    assert diagrams.PART_COLORS["input"] not in colors
    assert diagrams.PART_COLORS["output"] not in colors


@pytest.mark.parametrize("highlight", [None, *diagrams.GRU_PARTS])
def test_gru_cell_renders_every_highlight(highlight):
    ax = diagrams.draw_gru_cell(highlight)
    ax.figure.canvas.draw()
    assert any(t.get_text() == r"$h_t$" for t in ax.texts)


@pytest.mark.parametrize(
    ("func", "bad"), [(diagrams.draw_lstm_cell, "update"), (diagrams.draw_gru_cell, "forget"),
                      (diagrams.draw_lstm_cell, "Forget")])
def test_invalid_highlight_lists_valid_values(func, bad):
    with pytest.raises(ValueError, match="highlight must be one of") as err:
        func(bad)
    message = str(err.value)
    assert repr(bad) in message
    valid = diagrams.LSTM_PARTS if func is diagrams.draw_lstm_cell else diagrams.GRU_PARTS
    for option in valid:
        assert repr(option) in message


@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("T", [1, 4, 8])
def test_unrolled_rnn(cell, T):
    ax = diagrams.draw_unrolled_rnn(T, cell)
    ax.figure.canvas.draw()
    texts = [t.get_text() for t in ax.texts]
    assert texts.count(cell) == T + 1  # the folded cell and T copies
    assert rf"$x_{{{T}}}$" in texts and rf"$h_{{{T}}}$" in texts


@pytest.mark.parametrize("kwargs", [{"T": 0}, {"T": 9}, {"T": 2.0}, {"cell": "rnn"}])
def test_unrolled_rnn_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=r"T must be|cell must be one of"):
        diagrams.draw_unrolled_rnn(**kwargs)


@pytest.mark.parametrize("attention", [False, True])
def test_encoder_decoder(attention):
    ax = diagrams.draw_encoder_decoder(attention)
    ax.figure.canvas.draw()
    texts = [t.get_text() for t in ax.texts]
    assert "Nov" in texts and "2026" in texts
    n_lines = len(ax.lines)
    assert n_lines == (3 * 5 + 1 if attention else 1)  # S x T_out attention lines + bottleneck


def test_encoder_decoder_weights_set_line_widths():
    w = np.array([[0.9, 0.1], [0.2, 0.8]])
    ax = diagrams.draw_encoder_decoder(True, src_tokens=["a", "b"], out_tokens=["x", "y"],
                                       weights=w)
    widths = [ln.get_linewidth() for ln in ax.lines[1:]]  # first line: the bottleneck
    assert widths[0] > widths[1] and widths[3] > widths[2]
    with pytest.raises(ValueError, match="weights must have shape"):
        diagrams.draw_encoder_decoder(True, src_tokens=["a"], out_tokens=["x", "y"], weights=w)


def test_draws_into_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert diagrams.draw_lstm_cell(ax=axes[0]) is axes[0]
    assert diagrams.draw_gru_cell(ax=axes[1]) is axes[1]
    assert len(fig.axes) == 2


def test_step_panels_replay_the_data_flow():
    steps = [("inputs", {"$x$": 1.0, "$h$": np.array([0.5, -0.25])}),
             ("gate", {"$f$": 0.25}),
             ("state", {"$c$": -2.0})]
    axes = diagrams.draw_step_panels(steps)
    assert len(axes) == 3
    texts = [[t.get_text() for t in ax.texts] for ax in axes]
    assert texts[0] == ["$x$ = 1.000", "$h$ = [0.50, -0.25]"]
    assert texts[2] == ["$x$ = 1.000", "$h$ = [0.50, -0.25]", "$f$ = 0.250", "$c$ = -2.000"]
    # only the values of a panel's own step are coloured
    last = axes[2].texts
    colours = [matplotlib.colors.to_hex(t.get_color()) for t in last]
    assert colours[-1] == diagrams.PART_COLORS["cell"]
    assert all(c != diagrams.PART_COLORS["cell"] for c in colours[:-1])


@pytest.mark.parametrize(("steps", "match"), [
    ([], "at least one"),
    ([("a", {})], "no values"),
    ([("a", {"x": 1.0}), ("b", {"x": 2.0})], "repeats"),
    ([("a", {"x": np.ones((2, 2))})], "1-D"),
])
def test_step_panels_bad_input(steps, match):
    with pytest.raises(ValueError, match=match):
        diagrams.draw_step_panels(steps)


def test_step_panels_needs_one_axes_per_step():
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="one Axes per step"):
        diagrams.draw_step_panels([("a", {"x": 1.0})], axes=axes)
