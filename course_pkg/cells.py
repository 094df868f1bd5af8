r"""One registry of the recurrent cells: what their parameters are and how to run them.

The RNN (:mod:`course_pkg.rnn`), the LSTM (:mod:`course_pkg.lstm`) and the
GRU (:mod:`course_pkg.gru`, variants ``"reset_after"`` and ``"cho"``) are
implemented in their own modules. Code that works with *any* cell (the
encoder-decoder, the experiments, the PyTorch conversion) looks the cell up
here instead of dispatching on its name or guessing it from parameter keys.

Each cell is a :class:`CellSpec` with a uniform interface in which the state
is a tuple: ``(h,)`` for the RNN and the GRU, ``(h, c)`` for the LSTM.

* ``spec.param_shapes()`` -- ``{name: symbolic shape}``, e.g.
  ``"W_f": ("H + D", "H")``;
* ``spec.init(D, H, rng, *, forget_bias=0.0, dtype=np.float64)`` -- the
  module's own initialiser (``forget_bias`` is used by the LSTM only);
* ``spec.step_forward(x, state, params) -> (state, cache)`` and
  ``spec.step_backward(dstate, cache) -> (dx, dstate_prev, grads)``;
* ``spec.forward(X, state0, params) -> (hs, state_last, cache)`` and
  ``spec.backward(dhs, cache, dstate_last=None) -> (dX, dstate0, grads)``.

Shapes: ``x`` (N, D), ``X`` (T, N, D), every state entry (N, H), ``hs``
(T, N, H); weights (H + D, H), rows ``[:H]`` reading ``h_prev``.

References
----------
Elman, J. L. (1990). Finding structure in time. Cognitive Science 14(2).
Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. Neural
Computation 9(8).
Cho, K. et al. (2014). Learning phrase representations using RNN
encoder-decoder for statistical machine translation. EMNLP.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_choice, evaluate_shape
from .gru import (
    gru_backward,
    gru_forward,
    gru_param_shapes,
    gru_step_backward,
    gru_step_forward,
    init_gru_params,
)
from .gru_gates import VARIANTS, check_variant
from .lstm import (
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_param_shapes,
    lstm_step_backward,
    lstm_step_forward,
)
from .rnn import (
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_param_shapes,
    rnn_step_backward,
    rnn_step_forward,
)

__all__ = [
    "CELLS",
    "CellSpec",
    "cell_sizes",
    "get_cell",
    "init_params",
    "param_shapes",
    "random_params",
    "zero_state",
]


@dataclass(frozen=True)
class CellSpec:
    """Everything the package needs to know about one kind of recurrent cell.

    Attributes
    ----------
    name : {"rnn", "lstm", "gru"}
    variant : str or None
        The GRU's variant (``"reset_after"`` or ``"cho"``); None otherwise.
    state_names : tuple of str
        ``("h",)`` or ``("h", "c")``; ``n_states`` is its length.
    param_shapes, init, step_forward, step_backward, forward, backward : callable
        The uniform interface described in the module docstring; they call
        the cell's own module.
    """

    name: str
    variant: str | None
    state_names: tuple[str, ...]
    param_shapes: Callable[[], dict[str, tuple[str, ...]]]
    init: Callable[..., dict[str, np.ndarray]]
    step_forward: Callable[..., tuple[tuple[np.ndarray, ...], Any]]
    step_backward: Callable[..., tuple[np.ndarray, tuple[np.ndarray, ...], dict]]
    forward: Callable[..., tuple[np.ndarray, tuple[np.ndarray, ...], Any]]
    backward: Callable[..., tuple[np.ndarray, tuple[np.ndarray, ...], dict]]

    @property
    def n_states(self) -> int:
        """Number of state arrays: 1 (RNN, GRU) or 2 (LSTM: ``h`` and ``c``)."""
        return len(self.state_names)


def _state(spec_name: str, n: int, state: object, name: str) -> tuple:
    if not isinstance(state, tuple | list) or len(state) != n:
        got = f"a {type(state).__name__} of length {len(state)}" if isinstance(
            state, tuple | list) else type(state).__name__
        raise ValueError(
            f"{name} must be a tuple of {n} array(s) of shape (N, H) for the {spec_name} "
            f"(one per state), got {got}."
        )
    return tuple(state)


def _add_to_last(dhs: np.ndarray, dh_last: np.ndarray | None) -> np.ndarray:
    """``dhs`` with ``dh_last`` added to its last step (a copy; ``dhs`` is untouched)."""
    if dh_last is None:
        return dhs
    out = dhs.copy()
    out[-1] += dh_last  # (N, H)
    return out


# --- RNN and GRU: one state, h ------------------------------------------------------


def _one_state_spec(name, variant, param_shapes, init, step_forward, step_backward, forward,
                    backward):
    """The uniform interface around a cell whose state is ``(h,)`` (the RNN, the GRU)."""
    kw = {} if variant is None else {"variant": variant}

    def step_forward_(x, state, params):
        (h_prev,) = _state(name, 1, state, "state")
        h, cache = step_forward(x, h_prev, params, **kw)
        return (h,), cache

    def step_backward_(dstate, cache):
        (dh,) = _state(name, 1, dstate, "dstate")
        dx, dh_prev, grads = step_backward(dh, cache)
        return dx, (dh_prev,), grads

    def forward_(X, state0, params):
        (h0,) = _state(name, 1, state0, "state0")
        hs, cache = forward(X, h0, params, **kw)
        return hs, (hs[-1],), cache

    def backward_(dhs, cache, dstate_last=None):
        dh_last = None if dstate_last is None else _state(
            name, 1, dstate_last, "dstate_last")[0]
        dX, dh0, grads = backward(_add_to_last(dhs, dh_last), cache)
        return dX, (dh0,), grads

    return CellSpec(name, variant, ("h",), param_shapes, init, step_forward_, step_backward_,
                    forward_, backward_)


def _rnn_init(D, H, rng=0, *, forget_bias=0.0, dtype=np.float64):
    return init_rnn_params(D, H, rng, dtype=dtype)


# --- LSTM --------------------------------------------------------------------------


def _lstm_init(D, H, rng=0, *, forget_bias=0.0, dtype=np.float64):
    return init_lstm_params(D, H, rng, forget_bias=forget_bias, dtype=dtype)


def _lstm_step_forward(x, state, params):
    h_prev, c_prev = _state("lstm", 2, state, "state")
    h, c, cache = lstm_step_forward(x, h_prev, c_prev, params)
    return (h, c), cache


def _lstm_step_backward(dstate, cache):
    dh, dc = _state("lstm", 2, dstate, "dstate")
    dx, dh_prev, dc_prev, grads = lstm_step_backward(dh, dc, cache)
    return dx, (dh_prev, dc_prev), grads


def _lstm_forward(X, state0, params):
    h0, c0 = _state("lstm", 2, state0, "state0")
    hs, cs, cache = lstm_forward(X, h0, c0, params)
    return hs, (hs[-1], cs[-1]), cache


def _lstm_backward(dhs, cache, dstate_last=None):
    dh_last, dc_last = (None, None) if dstate_last is None else _state(
        "lstm", 2, dstate_last, "dstate_last")
    dX, dh0, dc0, grads = lstm_backward(_add_to_last(dhs, dh_last), cache, dc_last)
    return dX, (dh0, dc0), grads


# --- GRU ---------------------------------------------------------------------------


def _gru_spec(variant: str) -> CellSpec:
    def init(D, H, rng=0, *, forget_bias=0.0, dtype=np.float64):
        return init_gru_params(D, H, rng, variant=variant, dtype=dtype)

    return _one_state_spec("gru", variant, lambda: gru_param_shapes(variant), init,
                           gru_step_forward, gru_step_backward, gru_forward, gru_backward)


_RNN = _one_state_spec("rnn", None, rnn_param_shapes, _rnn_init, rnn_step_forward,
                       rnn_step_backward, rnn_forward, rnn_backward)
_LSTM = CellSpec("lstm", None, ("h", "c"), lstm_param_shapes, _lstm_init, _lstm_step_forward,
                 _lstm_step_backward, _lstm_forward, _lstm_backward)
_GRUS = types.MappingProxyType({v: _gru_spec(v) for v in VARIANTS})

#: The registry: cell name -> :class:`CellSpec` (``"gru"`` is the reset-after GRU,
#: PyTorch's; :func:`get_cell` gives the Cho variant).
CELLS = types.MappingProxyType({"rnn": _RNN, "lstm": _LSTM, "gru": _GRUS["reset_after"]})


def get_cell(cell: str | CellSpec, variant: str | None = None) -> CellSpec:
    """The :class:`CellSpec` of a cell name (and, for the GRU, a variant).

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"} or CellSpec
        A spec is returned as it is (``variant`` must then be None or agree).
    variant : {None, "reset_after", "cho"}
        GRU only; None means ``"reset_after"``.

    Returns
    -------
    CellSpec

    Raises
    ------
    ValueError
        For an unknown cell name or variant, or a variant given for a cell
        that has none.

    See Also
    --------
    Book appendix A, "Notation and conventions"; chapter 8, "The GRU".

    Examples
    --------
    >>> get_cell("lstm").n_states, get_cell("gru", "cho").variant
    (2, 'cho')
    """
    if isinstance(cell, CellSpec):
        if variant is not None and variant != cell.variant:
            raise ValueError(f"variant={variant!r} disagrees with the spec's "
                             f"variant {cell.variant!r}.")
        return cell
    check_choice("cell", cell, tuple(CELLS))
    if cell != "gru":
        if variant is not None:
            raise ValueError(f"variant applies to the GRU only; got variant={variant!r} "
                             f"for cell={cell!r}.")
        return CELLS[cell]
    if variant is None:
        return CELLS["gru"]
    check_variant(variant)
    return _GRUS[variant]


def param_shapes(
    cell: str | CellSpec, variant: str | None = None, *, input_dim: str = "D"
) -> dict[str, tuple[str, ...]]:
    """Symbolic shape of every parameter of a cell, keyed by name.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"} or CellSpec
    variant : {None, "reset_after", "cho"}
        GRU only.
    input_dim : str, default "D"
        Name of the input size in the shapes (``"E"`` for an encoder-decoder,
        whose cells read embeddings).

    Returns
    -------
    dict of str -> tuple of str
        E.g. ``{"W": ("H + D", "H"), "b": ("H",)}`` for the RNN, in the
        order the cell's initialiser draws them.

    See Also
    --------
    get_cell
    Book appendix A, "Notation and conventions".

    Examples
    --------
    >>> param_shapes("rnn", input_dim="E")
    {'W': ('H + E', 'H'), 'b': ('H',)}
    """
    shapes = get_cell(cell, variant).param_shapes()
    return {k: tuple(d.replace("D", input_dim) for d in s) for k, s in shapes.items()}


def init_params(
    cell: str | CellSpec,
    D: int,
    H: int,
    rng: np.random.Generator | int | None = 0,
    *,
    variant: str | None = None,
    forget_bias: float = 0.0,
    dtype: type = np.float64,
) -> dict[str, np.ndarray]:
    r"""The cell's own initialisation (uniform in :math:`\pm 1/\sqrt{H}`, as PyTorch).

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"} or CellSpec
    D, H : int
        Input and hidden sizes.
    rng : numpy Generator or int seed
    variant : {None, "reset_after", "cho"}
        GRU only.
    forget_bias : float, default 0.0
        Added to the LSTM's ``b_f``; cells without a forget gate ignore it.
    dtype : numpy dtype

    Returns
    -------
    dict of ndarray
        Keys and shapes of :func:`param_shapes`: weights of shape (H + D, H),
        biases of shape (H,). The same arrays as the module's ``init_*_params``.

    Notes
    -----
    .. math:: W_k, b_k \sim U\big(-1/\sqrt{H},\ 1/\sqrt{H}\big)

    See Also
    --------
    course_pkg.rnn.init_rnn_params, course_pkg.lstm.init_lstm_params,
    course_pkg.gru.init_gru_params
    Book chapter 1, "Why sequences need memory"; chapter 3, "The forget gate".
    """
    return get_cell(cell, variant).init(D, H, rng, forget_bias=forget_bias, dtype=dtype)


def random_params(
    cell: str | CellSpec,
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    variant: str | None = None,
    keys: Sequence[str] | None = None,
    weight_scale: float | None = None,
    bias_scale: float = 1.0,
) -> dict[str, np.ndarray]:
    r"""Gaussian test parameters with non-zero biases, for gradient checks and graders.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"} or CellSpec
    D, H : int
        Input and hidden sizes.
    rng : numpy Generator
    variant : {None, "reset_after", "cho"}
        GRU only.
    keys : sequence of str, optional
        Draw only these parameters (e.g. ``("W_f", "b_f")`` for one gate), in
        the cell's order; all of them when None.
    weight_scale : float, optional
        Weights are :math:`\mathcal N(0, 1)` times ``weight_scale``; None
        divides by :math:`\sqrt{H + D}` instead.
    bias_scale : float, default 1.0
        Biases are :math:`\mathcal N(0, 1)` times ``bias_scale``.

    Returns
    -------
    dict of ndarray
        Weights of shape (H + D, H), biases of shape (H,), drawn in the order
        of :func:`param_shapes` (each weight, then its bias).

    Notes
    -----
    .. math:: W \sim \mathcal N(0, 1) / \sqrt{H + D}, \qquad b \sim \mathcal N(0, 1)

    Zero biases would hide a backward that forgets the bias (or uses the
    wrong one); these do not.

    See Also
    --------
    course_pkg.gradcheck.check_gradients
    Book chapter 7, "The whole cell, through time" (gradient checks).
    """
    shapes = get_cell(cell, variant).param_shapes()
    if keys is not None:
        unknown = [k for k in keys if k not in shapes]
        if unknown:
            raise ValueError(f"keys {unknown} are not parameters of this cell; "
                             f"expected some of {list(shapes)}.")
    dims = {"D": D, "H": H}
    params = {}
    for key, shape in shapes.items():
        if keys is not None and key not in keys:
            continue
        size = evaluate_shape(shape, dims)
        if len(size) == 2:
            draw = rng.normal(size=size)
            params[key] = draw / np.sqrt(H + D) if weight_scale is None else draw * weight_scale
        else:
            params[key] = rng.normal(size=size) * bias_scale
    return params


def cell_sizes(
    cell: str | CellSpec, params: Mapping[str, np.ndarray], variant: str | None = None
) -> tuple[int, int]:
    """Input and hidden sizes ``(D, H)`` read from a cell's parameters.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"} or CellSpec
    params : dict of ndarray
        Must hold the cell's first weight, of shape (H + D, H).
    variant : {None, "reset_after", "cho"}

    Returns
    -------
    D, H : int

    Raises
    ------
    ValueError
        If the first weight is missing or not two-dimensional.

    See Also
    --------
    Book appendix A, "Notation and conventions".
    """
    shapes = get_cell(cell, variant).param_shapes()
    key = next(k for k, s in shapes.items() if len(s) == 2)
    W = params.get(key) if isinstance(params, Mapping) else None
    if not isinstance(W, np.ndarray) or W.ndim != 2:
        raise ValueError(f"params must hold {key!r} of shape (H + D, H); got "
                         f"{type(W).__name__ if W is None else getattr(W, 'shape', W)}.")
    rows, H = W.shape
    return rows - H, H


def zero_state(
    cell: str | CellSpec, N: int, H: int, dtype: Any = np.float64, variant: str | None = None
) -> tuple[np.ndarray, ...]:
    """A state of zeros: ``(h,)`` or ``(h, c)``.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"} or CellSpec
    N, H : int
        Batch and hidden sizes.
    dtype : numpy dtype
    variant : {None, "reset_after", "cho"}

    Returns
    -------
    tuple of ndarray of shape (N, H)
        One array per state (``n_states`` of them).

    See Also
    --------
    Book chapter 7, "The whole cell, through time".
    """
    spec = get_cell(cell, variant)
    return tuple(np.zeros((N, H), dtype=dtype) for _ in spec.state_names)
