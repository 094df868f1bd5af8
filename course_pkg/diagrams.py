r"""Diagrams of the cells and models, drawn by code with matplotlib.

Every figure of a cell or a model in the book comes from one of these
functions, so the pictures always match the package's names and symbols:

* :func:`draw_lstm_cell` -- the LSTM cell in Olah's (2015) layout: the cell
  state runs across the top (the highway), the gates sit below it, and one
  part can be highlighted while the rest turns grey (chapters 3-7).
* :func:`draw_gru_cell` -- the GRU cell in the same style (chapter 8).
* :func:`draw_unrolled_rnn` -- a recurrent cell folded into a loop, and the
  same cell unrolled over ``T`` steps (chapter 1).
* :func:`draw_encoder_decoder` -- an encoder-decoder with its single context
  vector (the bottleneck), or with attention lines whose widths are the
  weights (chapters 9-10).
* :func:`draw_step_panels` -- a computation drawn step by step, one panel per
  step, the values computed at that step highlighted (the worked examples of
  chapters 7, 10 and 11).

Each function draws into ``ax`` (or a new figure when ``ax`` is None) and
returns the Axes. Nothing is drawn at import time and matplotlib is imported
only inside the functions, so ``import course_pkg.diagrams`` stays cheap.

References
----------
Olah, C. (2015). Understanding LSTM Networks. colah.github.io.
Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory.
Cho, K. et al. (2014). Learning phrase representations using RNN
encoder-decoder for statistical machine translation. EMNLP.
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._checks import check_choice

__all__ = [
    "LSTM_PARTS",
    "GRU_PARTS",
    "PART_COLORS",
    "draw_lstm_cell",
    "draw_gru_cell",
    "draw_unrolled_rnn",
    "draw_encoder_decoder",
    "draw_step_panels",
]

#: Highlight options of :func:`draw_lstm_cell` (besides None).
LSTM_PARTS = ("forget", "input", "candidate", "cell", "output", "hidden")
#: Highlight options of :func:`draw_gru_cell` (besides None).
GRU_PARTS = ("update", "reset", "candidate")

#: One colour per part, shared by every diagram (and by the book's prose).
PART_COLORS = types.MappingProxyType({
    "forget": "#d62728",
    "input": "#2ca02c",
    "candidate": "#ff7f0e",
    "cell": "#1f77b4",
    "output": "#9467bd",
    "hidden": "#17becf",
    "update": "#1f77b4",
    "reset": "#d62728",
    "base": "#404040",
    "attention": "#9467bd",
    "context": "#d62728",
    "encoder": "#1f77b4",
    "decoder": "#2ca02c",
})
_GREY = "#c4c4c4"
_GREY_TEXT = "#8a8a8a"
_LW = 2.0

_LSTM_EQUATIONS = types.MappingProxyType({
    "forget": r"forget gate: $f_t = \sigma([h_{t-1}, x_t]\,W_f + b_f)$",
    "input": r"input gate: $i_t = \sigma([h_{t-1}, x_t]\,W_i + b_i)$",
    "candidate": r"candidate: $g_t = \tanh([h_{t-1}, x_t]\,W_g + b_g)$",
    "cell": r"cell state: $c_t = f_t \odot c_{t-1} + i_t \odot g_t$",
    "output": r"output gate: $o_t = \sigma([h_{t-1}, x_t]\,W_o + b_o)$",
    "hidden": r"hidden state: $h_t = o_t \odot \tanh(c_t)$",
})
_GRU_EQUATIONS = types.MappingProxyType({
    "update": r"update gate: $z_t = \sigma([h_{t-1}, x_t]\,W_z + b_z)$,"
    r"  $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$",
    "reset": r"reset gate: $r_t = \sigma([h_{t-1}, x_t]\,W_r + b_r)$",
    "candidate": r"candidate: $n_t = \tanh([r_t \odot h_{t-1}, x_t]\,W_n + b_n)$",
})


# --------------------------------------------------------------------------- helpers


def _new_axes(ax: Any, figsize: tuple[float, float]) -> Any:
    """Return ``ax``, or the Axes of a new figure of size ``figsize``."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _finish(ax: Any, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """Equal aspect, fixed limits, no axis frame."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")


class _Painter:
    """Draws boxes, nodes and arrows in the colour of their part.

    With ``highlight`` None every part has its own colour; otherwise the
    highlighted part keeps its colour and everything else is grey.
    """

    def __init__(self, ax: Any, highlight: str | None) -> None:
        self.ax = ax
        self.highlight = highlight

    def color(self, part: str) -> str:
        if self.highlight is None:
            return PART_COLORS[part]
        if part == self.highlight:
            return PART_COLORS[part]
        return _GREY

    def text_color(self, part: str) -> str:
        if self.highlight is None or part == self.highlight:
            return PART_COLORS[part] if part != "base" else "#202020"
        return _GREY_TEXT

    def line(self, pts: Sequence[tuple[float, float]], part: str, *, arrow: bool = True,
             halo: bool = False, zorder: float = 1.0) -> None:
        """Polyline through ``pts``, with an arrow head at the last point."""
        import matplotlib.patheffects as pe

        color = self.color(part)
        lw = _LW * (1.4 if self.highlight is not None and part == self.highlight else 1.0)
        effects = [pe.withStroke(linewidth=lw + 5, foreground="white")] if halo else None
        xs, ys = zip(*pts)
        self.ax.plot(xs, ys, color=color, lw=lw, solid_capstyle="butt", zorder=zorder,
                     path_effects=effects)
        if arrow:
            self.ax.annotate(
                "", xy=pts[-1], xytext=pts[-2],
                arrowprops={"arrowstyle": "-|>", "color": color, "lw": lw,
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 14},
                zorder=zorder + 0.5,
            )

    def box(self, xy: tuple[float, float], label: str, part: str,
            w: float = 1.0, h: float = 0.7, *, rounded: bool = False) -> None:
        """A coloured layer box (a sigma or tanh layer) centred at ``xy``."""
        from matplotlib.patches import Ellipse, FancyBboxPatch

        color = self.color(part)
        grey = color == _GREY
        face = "#e6e6e6" if grey else color
        if rounded:
            patch = Ellipse(xy, w, h, facecolor="white", edgecolor=color, lw=_LW, zorder=3)
            text_color = _GREY_TEXT if grey else color
        else:
            patch = FancyBboxPatch(
                (xy[0] - w / 2, xy[1] - h / 2), w, h,
                boxstyle="round,pad=0,rounding_size=0.12",
                facecolor=face, edgecolor=color, lw=_LW, zorder=3,
            )
            text_color = _GREY_TEXT if grey else "white"
        self.ax.add_patch(patch)
        self.ax.text(*xy, label, ha="center", va="center", color=text_color,
                     fontsize=12, fontweight="bold", zorder=4)

    def node(self, xy: tuple[float, float], symbol: str, part: str, r: float = 0.32,
             fontsize: float = 14) -> None:
        """A pointwise operation: a circle with a symbol in it."""
        from matplotlib.patches import Circle

        color = self.color(part)
        self.ax.add_patch(Circle(xy, r, facecolor="white", edgecolor=color, lw=_LW, zorder=3))
        self.ax.text(xy[0], xy[1], symbol, ha="center", va="center", zorder=4,
                     color=_GREY_TEXT if color == _GREY else color, fontsize=fontsize)

    def dot(self, xy: tuple[float, float], part: str) -> None:
        """A junction where a line splits."""
        self.ax.plot(*xy, "o", color=self.color(part), ms=5, zorder=2)

    def label(self, xy: tuple[float, float], text: str, part: str, *, ha: str = "center",
              va: str = "center", fontsize: float = 13) -> None:
        self.ax.text(*xy, text, ha=ha, va=va, fontsize=fontsize,
                     color=self.text_color(part), zorder=5)


def _cell_frame(p: _Painter, y0: float, height: float, y: float, nodes: tuple[float, float],
                r: float, part: str, names: tuple[str, str]) -> None:
    """The cell's grey box and the state line along its top, broken by two nodes.

    The line enters at the left as ``names[0]`` and leaves at the right as
    ``names[1]`` (LaTeX, without the dollars); ``r`` is the nodes' radius.
    """
    from matplotlib.patches import FancyBboxPatch

    p.ax.add_patch(FancyBboxPatch((0, y0), 9.8, height, boxstyle="round,pad=0,rounding_size=0.4",
                                  facecolor="#f6f6f6", edgecolor="#9a9a9a", lw=1.2, zorder=0))
    x1, x2 = nodes
    p.line([(-1.0, y), (x1 - r, y)], part, arrow=False)
    p.line([(x1 + r, y), (x2 - r, y)], part, arrow=False)
    p.line([(x2 + r, y), (10.9, y)], part)
    p.label((-1.1, y), f"${names[0]}$", part, ha="right")
    p.label((11.0, y), f"${names[1]}$", part, ha="left")


# --------------------------------------------------------------------------- LSTM


def draw_lstm_cell(highlight: str | None = None, ax: Any = None) -> Any:
    r"""Draw the LSTM cell in Olah's layout, optionally highlighting one part.

    The cell state :math:`c` runs along the top (the highway: only a
    multiplication and an addition touch it); the four layers sit below it,
    reading :math:`[h_{t-1}, x_t]` from the line along the bottom.

    Parameters
    ----------
    highlight : {None, "forget", "input", "candidate", "cell", "output", "hidden"}
        Part drawn in colour while the rest turns grey; its equation is
        written under the cell. None colours every part.
    ax : matplotlib Axes, optional
        Where to draw; a new 8 x 4.6 inch figure when None.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If ``highlight`` is not one of the listed values.

    Notes
    -----
    .. math::
        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    See Also
    --------
    Book chapters 3-7 (one highlighted part per chapter); Olah (2015).
    """
    check_choice("highlight", highlight, (None, *LSTM_PARTS))
    ax = _new_axes(ax, (8.0, 4.6))
    p = _Painter(ax, highlight)
    r = 0.32
    y_c, y_in, y_gate, y_mix = 5.0, 1.0, 2.35, 3.85
    bh = 0.35  # half height of a layer box
    xf, xi, xg, xo, xh = 2.0, 3.5, 5.0, 6.6, 8.2

    # cell state: the highway along the top
    _cell_frame(p, 0.0, 6.0, y_c, (xf, xg), r, "cell", ("c_{t-1}", "c_t"))
    p.node((xf, y_c), r"$\times$", "cell")
    p.node((xg, y_c), "+", "cell", fontsize=16)

    # inputs: h_{t-1} from the left, x_t from below, concatenated along y_in
    p.line([(-1.0, y_in), (xo, y_in)], "base", arrow=False)
    p.line([(0.7, -1.0), (0.7, y_in)], "base", arrow=False)
    p.dot((0.7, y_in), "base")
    p.label((-1.1, y_in), r"$h_{t-1}$", "base", ha="right")
    p.label((0.7, -1.2), r"$x_t$", "base", va="top")
    for x in (xf, xi, xg, xo):
        if x < xo:
            p.dot((x, y_in), "base")
        p.line([(x, y_in), (x, y_gate - bh)], "base")

    # forget gate
    p.line([(xf, y_gate + bh), (xf, y_c - r)], "forget")
    p.box((xf, y_gate), r"$\sigma$", "forget")
    p.label((xf - 0.15, 3.7), r"$f_t$", "forget", ha="right")
    # input gate and candidate meet at a product, which is added to the cell
    p.line([(xi, y_gate + bh), (xi, y_mix), (xg - r, y_mix)], "input")
    p.box((xi, y_gate), r"$\sigma$", "input")
    p.label((xi - 0.15, 3.3), r"$i_t$", "input", ha="right")
    p.line([(xg, y_gate + bh), (xg, y_mix - r)], "candidate")
    p.box((xg, y_gate), "tanh", "candidate", w=1.1)
    p.label((xg + 0.15, 3.12), r"$g_t$", "candidate", ha="left")
    mix_part = highlight if highlight in ("input", "candidate") else "cell"
    p.node((xg, y_mix), r"$\times$", mix_part)
    p.line([(xg, y_mix + r), (xg, y_c - r)], mix_part)
    # output gate: o_t * tanh(c_t)
    p.box((xo, y_gate), r"$\sigma$", "output")
    p.label((xo + 0.85, y_gate + 0.08), r"$o_t$", "output", va="bottom")
    p.line([(xo + 0.5, y_gate), (xh - r, y_gate)], "output")
    p.dot((xh, y_c), "cell")
    out_part = "hidden" if highlight == "hidden" else "output"
    p.line([(xh, y_c), (xh, y_mix + 0.3)], out_part)
    p.box((xh, y_mix), "tanh", out_part, w=1.3, h=0.62, rounded=True)
    p.line([(xh, y_mix - 0.3), (xh, y_gate + r)], out_part)
    p.node((xh, y_gate), r"$\times$", out_part)
    # the new hidden state leaves to the right (next step) and upwards (output)
    p.line([(xh, y_gate - r), (xh, y_in), (10.9, y_in)], "hidden")
    p.dot((xh + 0.9, y_in), "hidden")
    p.line([(xh + 0.9, y_in), (xh + 0.9, 6.6)], "hidden", halo=True, zorder=2)
    p.label((11.0, y_in), r"$h_t$", "hidden", ha="left")
    p.label((xh + 1.05, 6.55), r"$h_t$", "hidden", ha="left", va="top")

    if highlight is not None:
        ax.text(4.9, -2.2, _LSTM_EQUATIONS[highlight], ha="center", va="center",
                fontsize=12, color=PART_COLORS[highlight])
    _finish(ax, (-2.3, 12.0), (-2.7, 6.8))
    return ax


# --------------------------------------------------------------------------- GRU


def draw_gru_cell(highlight: str | None = None, ax: Any = None) -> Any:
    r"""Draw the GRU cell in the style of :func:`draw_lstm_cell`.

    The hidden state runs along the top; the update gate blends the old
    state with the candidate, the reset gate decides how much of the old
    state the candidate may read. This is the Cho et al. (2014) candidate;
    the reset-after variant used by PyTorch moves the reset product inside
    the candidate's layer but has the same wiring otherwise.

    Parameters
    ----------
    highlight : {None, "update", "reset", "candidate"}
        Part drawn in colour while the rest turns grey; its equation is
        written under the cell. None colours every part.
    ax : matplotlib Axes, optional
        Where to draw; a new 8 x 4.6 inch figure when None.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If ``highlight`` is not one of the listed values.

    Notes
    -----
    .. math::
        z_t = \sigma([h_{t-1}, x_t] W_z + b_z), \quad
        r_t = \sigma([h_{t-1}, x_t] W_r + b_r), \quad
        n_t = \tanh([r_t \odot h_{t-1}, x_t] W_n + b_n), \quad
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    See Also
    --------
    Book chapter 8, "The GRU".
    """
    check_choice("highlight", highlight, (None, *GRU_PARTS))
    ax = _new_axes(ax, (8.0, 4.6))
    p = _Painter(ax, highlight)
    r = 0.32
    y_h, y_z, y_r, y_gate, y_in, y_x = 5.2, 4.1, 3.3, 2.3, 1.0, 0.3
    bh = 0.35
    xz, xr, x_rh, x_mz, x_one, x_n = 1.8, 3.3, 5.0, 6.6, 7.6, 8.7

    # the hidden state along the top
    _cell_frame(p, -0.3, 6.3, y_h, (x_mz, x_n), r, "base", ("h_{t-1}", "h_t"))
    # h_{t-1} also drops to the bottom, where it joins x_t
    p.dot((0.4, y_h), "base")
    p.line([(0.4, y_h), (0.4, y_in), (xr, y_in)], "base", arrow=False)
    p.line([(1.0, -1.0), (1.0, y_in)], "base", arrow=False)
    p.dot((1.0, y_in), "base")
    p.label((1.0, -1.2), r"$x_t$", "base", va="top")
    p.dot((1.0, y_x), "candidate")
    p.dot((xz, y_in), "base")
    for x in (xz, xr):
        p.line([(x, y_in), (x, y_gate - bh)], "base")

    # update gate and the blend (1 - z) * n + z * h
    p.line([(xz, y_gate + bh), (xz, y_z), (x_one - 0.36, y_z)], "update")
    p.dot((x_mz, y_z), "update")
    p.line([(x_mz, y_z), (x_mz, y_h - r)], "update")
    p.box((xz, y_gate), r"$\sigma$", "update")
    p.label((xz - 0.15, 3.4), r"$z_t$", "update", ha="right")
    p.node((x_mz, y_h), r"$\times$", "update")
    p.node((x_one, y_z), "1−", "update", r=0.36, fontsize=10)
    p.line([(x_one + 0.36, y_z), (x_n - r, y_z)], "update")
    p.node((x_n, y_z), r"$\times$", "update")
    p.line([(x_n, y_z + r), (x_n, y_h - r)], "update")
    p.node((x_n, y_h), "+", "update", fontsize=16)

    # reset gate: r * h_{t-1} feeds the candidate
    p.line([(xr, y_gate + bh), (xr, y_r), (x_rh - r, y_r)], "reset")
    p.box((xr, y_gate), r"$\sigma$", "reset")
    p.label((xr + 0.15, 2.95), r"$r_t$", "reset", ha="left")
    p.dot((x_rh, y_h), "reset")
    p.line([(x_rh, y_h), (x_rh, y_r + r)], "reset", halo=True, zorder=2)
    p.node((x_rh, y_r), r"$\times$", "reset")

    # candidate: reads r * h_{t-1} and x_t
    p.line([(x_rh, y_r - r), (x_rh, y_gate), (x_n - 0.55, y_gate)], "candidate")
    p.line([(1.0, y_x), (x_n, y_x), (x_n, y_gate - bh)], "candidate")
    p.box((x_n, y_gate), "tanh", "candidate", w=1.1)
    p.line([(x_n, y_gate + bh), (x_n, y_z - r)], "candidate")
    p.label((x_n + 0.15, 3.2), r"$n_t$", "candidate", ha="left")

    if highlight is not None:
        ax.text(4.9, -2.2, _GRU_EQUATIONS[highlight], ha="center", va="center",
                fontsize=11.5, color=PART_COLORS[highlight])
    _finish(ax, (-2.3, 12.0), (-2.7, 6.2))
    return ax


# --------------------------------------------------------------------------- unrolled RNN


def draw_unrolled_rnn(T: int = 4, cell: str = "RNN", ax: Any = None) -> Any:
    r"""Draw a recurrent cell as a loop, then unrolled over ``T`` steps.

    Left: one cell whose output feeds back into itself. Right of the "=":
    the same cell copied ``T`` times, each copy reading :math:`x_t` from
    below, writing :math:`h_t` above and passing its state to the next copy.

    Parameters
    ----------
    T : int, default 4
        Number of unrolled steps, 1 to 8.
    cell : {"RNN", "LSTM", "GRU"}
        Name written in the boxes. For the LSTM the arrow between copies
        carries both :math:`h` and :math:`c`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure whose width grows with ``T`` when None.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If ``T`` is not an int in 1..8 or ``cell`` is not one of the names.

    Notes
    -----
    Every copy shares the same parameters:
    :math:`h_t = \mathrm{cell}(x_t, h_{t-1}; \theta)` for :math:`t = 1, \dots, T`.

    See Also
    --------
    Book chapter 1, "Why sequences need memory".
    """
    check_choice("cell", cell, ("RNN", "LSTM", "GRU"))
    if isinstance(T, bool) or not isinstance(T, int | np.integer) or not 1 <= T <= 8:
        raise ValueError(f"T must be an int between 1 and 8; got {T!r}.")
    T = int(T)
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    width = 4.2 + 2.0 * T
    ax = _new_axes(ax, (min(1.3 * width, 13.0), 3.4))
    color = PART_COLORS["cell"]
    state = r"$h, c$" if cell == "LSTM" else r"$h$"
    w, h = 1.1, 0.9

    def cell_box(x: float) -> None:
        ax.add_patch(FancyBboxPatch((x - w / 2, -h / 2), w, h,
                                    boxstyle="round,pad=0,rounding_size=0.15",
                                    facecolor=color, edgecolor=color, zorder=3))
        ax.text(x, 0, cell, ha="center", va="center", color="white", fontsize=11,
                fontweight="bold", zorder=4)

    def arrow(a: tuple[float, float], b: tuple[float, float], **kw: Any) -> None:
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=13, lw=1.6,
                                     color="#404040", shrinkA=0, shrinkB=0, **kw))

    def io(x: float, t: str) -> None:
        arrow((x, -1.25), (x, -h / 2))
        arrow((x, h / 2), (x, 1.25))
        ax.text(x, -1.35, rf"$x_{{{t}}}$", ha="center", va="top", fontsize=13)
        ax.text(x, 1.35, rf"$h_{{{t}}}$", ha="center", va="bottom", fontsize=13)

    # the folded cell with its loop
    cell_box(0.0)
    io(0.0, "t")
    arrow((w / 2, 0.2), (w / 2, -0.2),
          connectionstyle="arc,angleA=0,angleB=0,armA=22,armB=22,rad=6")
    ax.text(w / 2 + 0.55, 0.0, state, ha="left", va="center", fontsize=10, color="#404040")
    ax.text(2.0, 0.0, "=", ha="center", va="center", fontsize=24)

    x0 = 3.5
    for k in range(T):
        x = x0 + 2.0 * k
        cell_box(x)
        io(x, str(k + 1))
        if k < T - 1:
            arrow((x + w / 2, 0), (x + 2.0 - w / 2, 0))
            ax.text(x + 1.0, 0.18, state, ha="center", va="bottom", fontsize=10,
                    color="#404040")
    arrow((x0 - 1.1, 0), (x0 - w / 2, 0))
    ax.text(x0 - 1.15, 0.18, r"$h_0$", ha="center", va="bottom", fontsize=10,
            color="#404040")
    _finish(ax, (-1.6, x0 + 2.0 * (T - 1) + 0.9), (-2.0, 2.0))
    return ax


# --------------------------------------------------------------------------- encoder-decoder


_DEFAULT_SRC = ("23", "Nov", "2026")
_DEFAULT_OUT = ("2026", "-", "11", "-", "23")


def _default_weights(n_out: int, n_src: int) -> np.ndarray:
    """A plausible alignment for the default date example, rows summing to 1."""
    if (n_out, n_src) == (len(_DEFAULT_OUT), len(_DEFAULT_SRC)):
        align = [2, 1, 1, 0, 0]  # 2026 <- 2026, 11 <- Nov, 23 <- 23
        weights = np.full((n_out, n_src), 0.08)
        for t, s in enumerate(align):
            weights[t, s] = 0.84
    else:
        pos = np.linspace(0, n_src - 1, n_out)[:, None]
        weights = np.exp(-((np.arange(n_src)[None, :] - pos) ** 2))
    return weights / weights.sum(axis=1, keepdims=True)


def draw_encoder_decoder(
    attention: bool = False,
    ax: Any = None,
    *,
    src_tokens: Sequence[str] = _DEFAULT_SRC,
    out_tokens: Sequence[str] = _DEFAULT_OUT,
    weights: np.ndarray | None = None,
) -> Any:
    r"""Draw an encoder-decoder, with its bottleneck or with attention.

    The encoder (bottom row) reads the source tokens one at a time. Without
    attention its last state is the only thing the decoder (top row) ever
    sees: one fixed-size context vector, the bottleneck. With attention,
    every decoder step also draws a line to every encoder state, the line
    width being the attention weight.

    Parameters
    ----------
    attention : bool, default False
        Draw the attention lines.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    src_tokens, out_tokens : sequence of str
        Tokens under the encoder and above the decoder (default: the date
        example of chapter 10, "23 Nov 2026" -> "2026-11-23").
    weights : ndarray of shape (T_out, S), optional
        Attention weights for the line widths; a plausible alignment is
        made up when None. Only used when ``attention`` is True.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If ``weights`` has the wrong shape, or a token list is empty.

    Notes
    -----
    Without attention: :math:`s_0 = h_S` (the context). With attention,
    decoder step :math:`t` also reads
    :math:`\mathrm{ctx}_t = \sum_s \alpha_{t s} h_s`.

    See Also
    --------
    Book chapters 9, "Encoder-decoder and the bottleneck", and 10, "Attention".
    """
    if not isinstance(attention, bool | np.bool_):
        raise ValueError(f"attention must be True or False; got {attention!r}.")
    src = [str(s) for s in src_tokens]
    out = [str(s) for s in out_tokens]
    if not src or not out:
        raise ValueError("src_tokens and out_tokens must each hold at least one token.")
    S, T_out = len(src), len(out)
    if attention:
        if weights is None:
            weights = _default_weights(T_out, S)
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (T_out, S):
            raise ValueError(
                f"weights must have shape (T_out={T_out}, S={S}), got {weights.shape}.")
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    step = 1.7
    w, h = 1.0, 0.7
    y_enc, y_dec = 0.0, 3.6
    xs_enc = [step * s for s in range(S)]
    x_ctx = xs_enc[-1] + step
    xs_dec = [x_ctx + step * t for t in range(T_out)]
    right = xs_dec[-1] + w / 2 + 1.4
    ax = _new_axes(ax, (min(0.75 * (right + 2.0), 13.0), 4.2))
    enc_c, dec_c, ctx_c = PART_COLORS["encoder"], PART_COLORS["decoder"], PART_COLORS["context"]

    def box(x: float, y: float, color: str, label: str) -> None:
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                    boxstyle="round,pad=0,rounding_size=0.12",
                                    facecolor=color, edgecolor=color, zorder=3))
        ax.text(x, y, label, ha="center", va="center", color="white", fontsize=12, zorder=4)

    def arrow(a: tuple[float, float], b: tuple[float, float], color: str = "#404040",
              lw: float = 1.6, **kw: Any) -> None:
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, lw=lw,
                                     color=color, shrinkA=0, shrinkB=0, zorder=2, **kw))

    for s, x in enumerate(xs_enc):
        box(x, y_enc, enc_c, rf"$h_{{{s + 1}}}$")
        arrow((x, y_enc - 1.0), (x, y_enc - h / 2))
        ax.text(x, y_enc - 1.1, src[s], ha="center", va="top", fontsize=12)
        if s < S - 1:
            arrow((x + w / 2, y_enc), (x + step - w / 2, y_enc))
    ax.text(xs_enc[0] - w / 2 - 0.2, y_enc, "encoder", ha="right", va="center",
            color=enc_c, fontsize=11)

    # the context vector: the bottleneck between the two rows
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=6, foreground="white")]
    ax.add_patch(FancyBboxPatch((x_ctx - 0.3, y_enc - 0.3), 0.6, 0.6,
                                boxstyle="round,pad=0,rounding_size=0.1",
                                facecolor="white", edgecolor=ctx_c, lw=2.2, zorder=3))
    ax.text(x_ctx, y_enc, r"$c$", ha="center", va="center", color=ctx_c, fontsize=13,
            zorder=4)
    ax.text(x_ctx, y_enc - 0.5, "context\nvector", ha="center", va="top", color=ctx_c,
            fontsize=10, linespacing=1.0)
    arrow((xs_enc[-1] + w / 2, y_enc), (x_ctx - 0.3, y_enc), color=ctx_c)
    ax.plot([x_ctx, x_ctx], [y_enc + 0.3, y_dec - h / 2 - 0.25], color=ctx_c, lw=1.6,
            zorder=2.5, path_effects=halo)
    arrow((x_ctx, y_dec - h / 2 - 0.3), (x_ctx, y_dec - h / 2), color=ctx_c)

    for t, x in enumerate(xs_dec):
        box(x, y_dec, dec_c, rf"$s_{{{t + 1}}}$")
        arrow((x, y_dec + h / 2), (x, y_dec + 1.0))
        ax.text(x, y_dec + 1.1, out[t], ha="center", va="bottom", fontsize=12)
        if t < T_out - 1:
            arrow((x + w / 2, y_dec), (x + step - w / 2, y_dec))
    ax.text(xs_dec[-1] + w / 2 + 0.2, y_dec, "decoder", ha="left", va="center",
            color=dec_c, fontsize=11)

    if attention:
        assert weights is not None
        att = PART_COLORS["attention"]
        for t, xd in enumerate(xs_dec):
            for s, xe in enumerate(xs_enc):
                wt = float(weights[t, s])
                ax.plot([xe, xd], [y_enc + h / 2, y_dec - h / 2], color=att,
                        lw=0.4 + 5.0 * wt, alpha=0.25 + 0.6 * wt, zorder=1,
                        solid_capstyle="round")
        ax.text(x_ctx + 0.7, y_enc - 0.2, "attention:\nline width = weight", ha="left",
                va="center", color=att, fontsize=10, linespacing=1.0)
    else:
        ax.text(x_ctx + 0.7, y_enc - 0.2, "the decoder sees the source\nonly through $c$",
                ha="left", va="center", color=ctx_c, fontsize=10, linespacing=1.1)
    _finish(ax, (xs_enc[0] - 2.0, right), (y_enc - 1.8, y_dec + 1.8))
    return ax


# --------------------------------------------------------------------------- step panels


def _format_value(value: Any) -> str:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return f"{float(arr):.3f}"
    if arr.ndim == 1:
        return "[" + ", ".join(f"{v:.2f}" for v in arr) + "]"
    raise ValueError(f"step values must be numbers or 1-D arrays, got shape {arr.shape}.")


def draw_step_panels(
    steps: Sequence[tuple[str, dict[str, Any]]],
    axes: Any = None,
    color: str = PART_COLORS["cell"],
) -> Any:
    r"""Draw a computation as a row of panels, one per step.

    Panel :math:`k` lists every value known after step :math:`k`: the values
    computed at step :math:`k` in colour, the earlier ones in grey, so that
    reading the panels left to right replays the data flow (a static
    stand-in for an animation, which works offline and in print).

    Parameters
    ----------
    steps : sequence of (str, dict)
        ``(title, {name: value})`` per step; ``name`` may hold LaTeX
        (``"$f_t$"``), ``value`` is a number or a 1-D array (shown with 3 or
        2 decimals).
    axes : sequence of matplotlib Axes, optional
        One per step; by default a new figure with a row of panels.
    color : str
        Colour of the values computed at each panel's own step.

    Returns
    -------
    ndarray of Axes
        The panels, in step order.

    Raises
    ------
    ValueError
        If ``steps`` is empty, a step has no values, a name repeats, a value
        is not a number or 1-D array, or ``axes`` has the wrong length.

    See Also
    --------
    Book chapter 7 (one scalar LSTM step), chapter 10 (one decoder step of
    attention), chapter 11 (three-token self-attention).
    """
    steps = list(steps)
    if not steps:
        raise ValueError("steps must hold at least one (title, values) pair, got none.")
    seen: list[str] = []
    for k, (title, values) in enumerate(steps):
        if not values:
            raise ValueError(f"steps[{k}] ({title!r}) has no values to show.")
        for name in values:
            if name in seen:
                raise ValueError(f"steps[{k}] repeats the name {name!r}; names must be unique.")
            seen.append(name)
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, len(steps), figsize=(2.6 * len(steps), 0.5 * len(seen) + 1.0),
                               squeeze=False)
        axes = axes[0]
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != len(steps):
        raise ValueError(f"axes must hold one Axes per step ({len(steps)}), got {axes.size}.")
    known: list[tuple[str, str, int]] = []  # (name, text, step)
    for k, (ax, (title, values)) in enumerate(zip(axes, steps)):
        known += [(name, _format_value(v), k) for name, v in values.items()]
        for row, (name, text, step) in enumerate(known):
            new = step == k
            ax.text(0.05, len(seen) - row - 0.5, f"{name} = {text}", ha="left", va="center",
                    fontsize=10, color=color if new else _GREY_TEXT,
                    fontweight="bold" if new else "normal",
                    bbox=dict(boxstyle="round,pad=0.25", fc="white",
                              ec=color if new else _GREY, lw=1.5 if new else 0.8))
        ax.set_title(f"{k + 1}. {title}", fontsize=10, loc="left")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, len(seen))
        ax.axis("off")
    return axes
