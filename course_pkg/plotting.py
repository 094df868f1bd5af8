r"""Plots of the book's experiments, with one colour per model throughout.

* :func:`plot_gradient_norms` -- gradient norm against distance, log scale
  (chapters 2 and 5).
* :func:`plot_accuracy_by_distance` -- accuracy against the agreement
  distance (chapters 7-8) or against the source length (chapters 9-10).
* :func:`plot_gate_heatmap` -- gate activations over a sentence (chapter 7).
* :func:`plot_attention_heatmap` -- attention weights, outputs against
  source tokens (chapter 10).
* :func:`plot_history` -- a training curve (loss, gradient norm, ...).

The colours of :data:`MODEL_COLORS` are used wherever a model appears, so
the RNN is the same red in every chapter. Every function draws into ``ax``
(a new figure when None) and returns the Axes; matplotlib is imported only
inside the functions.

References
----------
Bahdanau, D., Cho, K. and Bengio, Y. (2015). Neural machine translation by
jointly learning to align and translate. ICLR (Fig. 2 and Fig. 3 are the
models for the accuracy-by-length plot and the attention heatmap).
Linzen, T., Dupoux, E. and Goldberg, Y. (2016). Assessing the ability of
LSTMs to learn syntax-sensitive dependencies. TACL.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "MODEL_COLORS",
    "model_color",
    "plot_gradient_norms",
    "plot_accuracy_by_distance",
    "plot_gate_heatmap",
    "plot_attention_heatmap",
    "plot_history",
]

#: One colour per model, used by every plot of the book.
MODEL_COLORS = types.MappingProxyType({
    "rnn": "#d62728",
    "rnn, large weights": "#ff7f0e",
    "lstm": "#1f77b4",
    "gru": "#2ca02c",
    "no attention": "#7f7f7f",
    "attention": "#9467bd",
    "clipped": "#1f77b4",
    "unclipped": "#d62728",
})
_FALLBACK = ("#8c564b", "#e377c2", "#bcbd22", "#17becf")
_GATE_NAMES = types.MappingProxyType({
    "f": "forget $f$", "i": "input $i$", "g": "candidate $g$", "o": "output $o$",
    "z": "update $z$", "r": "reset $r$", "n": "candidate $n$",
})


def model_color(name: str, index: int = 0) -> str:
    """Colour of a model, matched on the start of its lower-cased label.

    ``"LSTM (forget bias 1)"`` gets the LSTM colour, ``"attention (dot)"`` the
    attention colour; unknown labels cycle through a fallback palette.

    Parameters
    ----------
    name : str
        A legend label.
    index : int
        Position of the curve, used to pick a fallback colour.

    Returns
    -------
    str
        A hex colour from :data:`MODEL_COLORS` (or the fallback palette).

    See Also
    --------
    Book chapter 8, "The GRU" (the same colour for a model in every figure).

    Examples
    --------
    >>> model_color("LSTM (forget bias 1)") == MODEL_COLORS["lstm"]
    True
    """
    key = str(name).lower()
    # longest key first so that "no attention" wins over "attention"
    for model in sorted(MODEL_COLORS, key=len, reverse=True):
        if key.startswith(model):
            return MODEL_COLORS[model]
    return _FALLBACK[index % len(_FALLBACK)]


def _new_axes(ax: Any, figsize: tuple[float, float] = (6.0, 3.6)) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _as_curves(result: Any, keys: Sequence[str], what: str) -> dict[str, Mapping]:
    """A single result (has every key) or a mapping label -> result."""
    if isinstance(result, Mapping) and all(k in result for k in keys):
        label = str(result.get("label", result.get("cell", "")))
        return {label: result}
    if isinstance(result, Mapping) and result and all(
        isinstance(v, Mapping) and all(k in v for k in keys) for v in result.values()
    ):
        return {str(k): v for k, v in result.items()}
    raise ValueError(
        f"{what} must be a dict with keys {list(keys)} or a dict of such dicts "
        f"(one per model), got {type(result).__name__}"
        + (f" with keys {list(result)}" if isinstance(result, Mapping) else "")
        + "."
    )


def plot_gradient_norms(result: Mapping, ax: Any = None) -> Any:
    r"""Plot gradient norm against distance on a log scale, one line per cell.

    Parameters
    ----------
    result : dict
        Either one result of
        :func:`course_pkg.experiments.gradient_flow.gradient_norms_by_distance`
        (keys ``"distance"`` and ``"norm"``, arrays of shape (T,)), or a dict
        ``{label: result}`` to compare cells.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If ``result`` does not have that structure.

    Notes
    -----
    The y axis shows :math:`\lVert \partial L / \partial h_{T-k} \rVert`
    against the distance :math:`k`; a straight falling line on this log
    scale is geometric (exponential) decay.

    See Also
    --------
    Book chapter 2, "When memory fades", and chapter 5, "The cell state".
    """
    curves = _as_curves(result, ("distance", "norm"), "result")
    ax = _new_axes(ax)
    for k, (label, res) in enumerate(curves.items()):
        dist = np.asarray(res["distance"], dtype=float)
        norm = np.asarray(res["norm"], dtype=float)
        if dist.shape != norm.shape or dist.ndim != 1:
            raise ValueError(
                f"result[{label!r}]: 'distance' and 'norm' must be 1-D and the same length, "
                f"got shapes {dist.shape} and {norm.shape}.")
        norm = np.where(norm > 0, norm, np.nan)  # log scale: hide exact zeros
        ax.plot(dist, norm, color=model_color(label, k), lw=2, label=label or None)
    with np.errstate(over="ignore"):
        ax.set_yscale("log")
    ax.set_xlabel("distance $k$ from the loss (steps back)")
    ax.set_ylabel(r"$\|\partial L / \partial h_{T-k}\|$")
    ax.grid(True, which="major", alpha=0.3)
    if any(curves):
        ax.legend(frameon=False)
    return ax


def plot_accuracy_by_distance(result: Mapping, ax: Any = None) -> Any:
    r"""Plot held-out accuracy per model against distance (or source length).

    Parameters
    ----------
    result : dict
        ``{"distances": [...], "accuracy": {model: [...]}}`` from
        :func:`course_pkg.experiments.agreement.agreement_by_distance`, or
        ``{"lengths": [...], "accuracy": {...}}`` from
        :func:`course_pkg.experiments.attention_dates.date_accuracy_by_length`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If a key is missing or an accuracy list has the wrong length.

    Notes
    -----
    For the agreement task chance is 0.5 (two verb forms); the dashed line
    marks it.

    See Also
    --------
    Book chapters 7-8 (agreement) and 9-10 (dates).
    """
    if not isinstance(result, Mapping) or "accuracy" not in result or not (
        "distances" in result or "lengths" in result
    ):
        raise ValueError(
            "result must be a dict with 'accuracy' and either 'distances' or 'lengths', "
            f"got {list(result) if isinstance(result, Mapping) else type(result).__name__}.")
    by_length = "distances" not in result
    xs = np.asarray(result["lengths" if by_length else "distances"], dtype=float)
    ax = _new_axes(ax)
    for k, (label, acc) in enumerate(result["accuracy"].items()):
        acc = np.asarray(acc, dtype=float)
        if acc.shape != xs.shape:
            raise ValueError(
                f"accuracy[{label!r}] has {acc.size} values but there are {xs.size} "
                f"{'lengths' if by_length else 'distances'}.")
        ax.plot(xs, acc, "o-", color=model_color(label, k), lw=2, label=str(label))
    if by_length:
        ax.set_xlabel("source length (characters)")
    else:
        ax.axhline(0.5, color="#999999", ls="--", lw=1)
        ax.text(xs[0], 0.51, "chance", color="#999999", fontsize=9, va="bottom")
        ax.set_xlabel("distance between subject and verb (words)")
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(-0.02 if by_length else 0.4, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    return ax


def plot_gate_heatmap(
    gates: np.ndarray | Mapping[str, np.ndarray],
    tokens: Sequence[str],
    ax: Any = None,
    *,
    units: Sequence[int] | None = None,
    gate: str | None = None,
) -> Any:
    r"""Heatmap of gate activations over a sentence: tokens on x, rows on y.

    Parameters
    ----------
    gates : ndarray of shape (T, H), or dict of such arrays
        One gate's activations (rows = units), or the dict returned by
        :func:`course_pkg.experiments.agreement.gate_activations`
        (``{"f", "i", "g", "o"}``), whose rows are then the average of each
        gate over the units.
    tokens : sequence of str, length T
        The sentence, one token per time step.
    ax : matplotlib Axes, optional
    units : sequence of int, optional
        Only these units (e.g. those most correlated with the subject's
        number); for a dict, the averages are taken over these units.
    gate : str, optional
        With a dict: show the units of this gate instead of the averages.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If the shapes disagree with ``tokens``, ``gate`` is not in the dict,
        or a unit index is out of range.

    See Also
    --------
    Book chapter 7, "The whole cell, through time".
    """
    tokens = [str(t) for t in tokens]
    T = len(tokens)
    if isinstance(gates, Mapping):
        if gate is not None:
            if gate not in gates:
                raise ValueError(f"gate must be one of {sorted(gates)}; got {gate!r}.")
            data, rows = _unit_rows(np.asarray(gates[gate], dtype=float), units, T, gate)
            title = _GATE_NAMES.get(gate, gate)
        else:
            names, mats = [], []
            for name, g in gates.items():
                g = np.asarray(g, dtype=float)
                sel, _ = _unit_rows(g, units, T, name)
                mats.append(sel.mean(axis=0))
                names.append(_GATE_NAMES.get(name, name))
            data, rows, title = np.array(mats), names, "mean over units"
    else:
        data, rows = _unit_rows(np.asarray(gates, dtype=float), units, T, "gates")
        title = None
    ax = _new_axes(ax, (max(5.0, 0.55 * T + 1.5), max(2.2, 0.32 * len(rows) + 1.2)))
    lo = min(0.0, float(np.min(data))) if data.size else 0.0
    cmap = "RdBu_r" if lo < 0 else "viridis"
    im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=-1.0 if lo < 0 else 0.0, vmax=1.0,
                   interpolation="nearest")
    ax.set_xticks(range(T), tokens, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    return ax


def _unit_rows(g: np.ndarray, units: Sequence[int] | None, T: int,
               name: str) -> tuple[np.ndarray, list[str]]:
    """Rows (units) of a (T, H) gate array, transposed to (n_units, T)."""
    if g.ndim != 2 or g.shape[0] != T:
        raise ValueError(
            f"{name} must have shape (T={T}, H) to match {T} tokens, got {g.shape}.")
    H = g.shape[1]
    idx = list(range(H)) if units is None else [int(u) for u in units]
    bad = [u for u in idx if not 0 <= u < H]
    if bad:
        raise ValueError(f"units {bad} out of range for H={H}.")
    return g[:, idx].T, [f"unit {u}" for u in idx]


def plot_attention_heatmap(
    weights: np.ndarray,
    src_tokens: Sequence[str],
    out_tokens: Sequence[str],
    ax: Any = None,
) -> Any:
    r"""Heatmap of attention weights: output tokens down, source tokens across.

    Parameters
    ----------
    weights : ndarray of shape (T_out, S)
        Row ``t`` is the distribution over source positions at output step
        ``t`` (rows sum to 1).
    src_tokens : sequence of str, length S
    out_tokens : sequence of str, length T_out
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If the shape of ``weights`` disagrees with the token lists.

    Notes
    -----
    Entry :math:`(t, s)` is :math:`\alpha_{ts}`, the weight of encoder state
    :math:`h_s` in the context of output step :math:`t` (Bahdanau et al.
    2015, Fig. 3).

    See Also
    --------
    Book chapter 10, "Attention".
    """
    weights = np.asarray(weights, dtype=float)
    src = ["␣" if str(s) == " " else str(s) for s in src_tokens]
    out = ["␣" if str(s) == " " else str(s) for s in out_tokens]
    if weights.shape != (len(out), len(src)):
        raise ValueError(
            f"weights must have shape (T_out={len(out)}, S={len(src)}) to match the tokens, "
            f"got {weights.shape}.")
    ax = _new_axes(ax, (max(4.0, 0.32 * len(src) + 1.8), max(3.0, 0.32 * len(out) + 1.2)))
    im = ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="equal",
                   interpolation="nearest")
    ax.set_xticks(range(len(src)), src)
    ax.set_yticks(range(len(out)), out)
    ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)
    ax.set_xlabel("source")
    ax.xaxis.set_label_position("top")
    ax.set_ylabel("output")
    ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    return ax


def plot_history(
    history: Mapping,
    ax: Any = None,
    *,
    key: str = "loss",
    smooth: int = 1,
    logy: bool | None = None,
) -> Any:
    r"""Plot a training curve: one entry of a history per step.

    Parameters
    ----------
    history : dict of lists
        A history from :func:`course_pkg.train.train` (or an experiment), or
        a dict ``{label: history}`` to compare runs.
    ax : matplotlib Axes, optional
    key : str, default "loss"
        Which list to plot, e.g. ``"loss"`` or ``"grad_norm"``.
    smooth : int, default 1
        Width of a trailing moving average (1 = raw values).
    logy : bool, optional
        Log-scale y axis; by default only for ``"grad_norm"``.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If ``key`` is missing from a history or ``smooth`` is not a positive int.

    See Also
    --------
    Book chapter 2 (clipping) and chapter 7 (training on the agreement task).
    """
    if isinstance(smooth, bool) or not isinstance(smooth, int | np.integer) or smooth < 1:
        raise ValueError(f"smooth must be a positive int, got {smooth!r}.")
    if isinstance(history, Mapping) and key in history:
        runs = {"": history}
    elif isinstance(history, Mapping) and history and all(
        isinstance(h, Mapping) for h in history.values()
    ):
        runs = dict(history)
    else:
        raise ValueError(
            f"history must be a dict with a {key!r} list or a dict of such dicts, "
            f"got keys {list(history) if isinstance(history, Mapping) else type(history)}.")
    ax = _new_axes(ax)
    for k, (label, h) in enumerate(runs.items()):
        if key not in h:
            raise ValueError(f"history {label!r} has no {key!r}; it has {sorted(h)}.")
        y = np.asarray(h[key], dtype=float)
        if smooth > 1 and y.size >= smooth:
            y = np.convolve(y, np.ones(smooth) / smooth, mode="valid")
            x = np.arange(smooth, smooth + y.size)
        else:
            x = np.arange(1, y.size + 1)
        ax.plot(x, y, color=model_color(label, k) if label else "#1f77b4", lw=1.5,
                label=str(label) or None)
    if logy if logy is not None else key == "grad_norm":
        with np.errstate(over="ignore"):  # autoscaling huge values on a log axis
            ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(key.replace("_", " "))
    ax.grid(True, alpha=0.3)
    if any(runs):
        ax.legend(frameon=False)
    return ax
