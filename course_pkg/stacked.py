r"""Stacked (multi-layer) recurrent networks, optionally bidirectional, with dropout between layers.

Layer 1 reads the inputs :math:`x_t`; layer :math:`\ell + 1` reads the hidden
states of layer :math:`\ell` as its inputs, so the stack is deep in two
directions: through time (the recurrence) and through the layers at each
step (Graves et al. 2013). With ``bidirectional`` layers
(:mod:`course_pkg.bidirectional`), layer :math:`\ell + 1` reads the
concatenation :math:`[\overrightarrow{h}_t, \overleftarrow{h}_t]` of width
:math:`2H`. This is the layout of ``torch.nn.LSTM(num_layers=L,
bidirectional=True)``.

Parameters are one flat dict, so that the optimisers and the training loop
of the package take them as they are. The cell's own keys get a layer prefix
that mirrors PyTorch's parameter names:

* ``l0_W_f, l0_b_f, ...``: layer 0, forward direction (reads ``D`` inputs);
* ``l0_reverse_W_f, ...``: layer 0, reverse direction (bidirectional only);
* ``l1_W_f, ...``: layer 1, which reads ``H`` (or ``2H``) inputs.

States are tuples with one cell state per layer and direction, in
PyTorch's ``h_n`` order: index ``k = num_directions * layer + direction``.

Dropout between layers (what ``torch.nn.LSTM(dropout=p)`` does) is applied
to the output of every layer except the last, with masks the caller passes
in (:mod:`course_pkg.dropout`); there is no hidden random state.

References
----------
Graves, A., Mohamed, A. and Hinton, G. (2013). Speech recognition with deep
recurrent neural networks. ICASSP.
Pascanu, R., Gulcehre, C., Cho, K. and Bengio, Y. (2014). How to construct
deep recurrent neural networks. ICLR.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from . import cells
from ._checks import check_array, check_cache, check_count
from .bidirectional import bidirectional_backward, bidirectional_forward

__all__ = [
    "layer_params",
    "init_stacked_params",
    "stacked_forward",
    "stacked_backward",
]

_KEY = re.compile(r"^l(\d+)_(reverse_)?(.+)$")


def _prefix(layer: int, reverse: bool) -> str:
    return f"l{layer}_reverse_" if reverse else f"l{layer}_"


def init_stacked_params(
    D: int,
    H: int,
    num_layers: int,
    rng: np.random.Generator | int | None = 0,
    *,
    cell: str = "lstm",
    bidirectional: bool = False,
    forget_bias: float = 0.0,
) -> dict[str, np.ndarray]:
    r"""Parameters of a stack of ``num_layers`` recurrent layers, as one flat dict.

    Parameters
    ----------
    D, H : int
        Input size of the first layer and hidden size of every layer.
    num_layers : int
        Number of layers (>= 1).
    rng : numpy Generator or int seed
    cell : {"rnn", "lstm", "gru"}
    bidirectional : bool, default False
        Give every layer a reverse direction; layers above the first then
        read 2H inputs.
    forget_bias : float, default 0.0
        Added to every LSTM forget bias (ignored by the other cells).

    Returns
    -------
    dict of ndarray
        ``l{k}_<key>`` (and ``l{k}_reverse_<key>``) for every key of the cell;
        layer 0's weights have shape (H + D, H), the others (H + H_in, H) with
        ``H_in = H`` or ``2H``.

    Notes
    -----
    Every layer uses the cell's own initialisation (uniform in
    :math:`\pm 1/\sqrt H`, as PyTorch), drawn layer by layer, forward direction
    first.

    See Also
    --------
    stacked_forward, course_pkg.cells.init_params
    Book chapter 12, "Training recurrent networks in practice".

    Examples
    --------
    >>> p = init_stacked_params(3, 4, 2, 0, cell="lstm", bidirectional=True)
    >>> p["l0_W_f"].shape, p["l1_reverse_W_f"].shape
    ((7, 4), (12, 4))
    """
    num_layers = check_count("num_layers", num_layers, 1)
    D, H = check_count("D", D, 1), check_count("H", H, 1)
    spec = cells.get_cell(cell)
    rng = np.random.default_rng(rng)
    dirs = (False, True) if bidirectional else (False,)
    params: dict[str, np.ndarray] = {}
    for layer in range(num_layers):
        d_in = D if layer == 0 else H * len(dirs)
        for reverse in dirs:
            p = spec.init(d_in, H, rng, forget_bias=forget_bias)
            params.update({_prefix(layer, reverse) + k: v for k, v in p.items()})
    return params


def _structure(params: Mapping[str, np.ndarray]) -> tuple[int, bool]:
    """Number of layers and whether they are bidirectional, read from the keys."""
    if not isinstance(params, Mapping) or not params:
        raise ValueError("params must be a non-empty dict from init_stacked_params, got "
                         f"{type(params).__name__}.")
    layers, reverse = set(), set()
    for key in params:
        m = _KEY.match(key)
        if m is None:
            raise ValueError(f"params key {key!r} is not of the form 'l<k>_<name>' or "
                             "'l<k>_reverse_<name>' (see init_stacked_params).")
        layers.add(int(m.group(1)))
        if m.group(2):
            reverse.add(int(m.group(1)))
    num_layers = max(layers) + 1
    if layers != set(range(num_layers)):
        raise ValueError(f"params has layers {sorted(layers)}; expected 0..{num_layers - 1}.")
    if reverse and reverse != layers:
        raise ValueError(f"only layers {sorted(reverse)} have reverse parameters; a "
                         "bidirectional stack needs them in every layer.")
    return num_layers, bool(reverse)


def layer_params(
    params: Mapping[str, np.ndarray], layer: int, reverse: bool = False
) -> dict[str, np.ndarray]:
    """The cell parameters of one layer and direction, with the prefix removed.

    Parameters
    ----------
    params : dict of ndarray
        From :func:`init_stacked_params`.
    layer : int
        Layer index, 0 for the layer that reads the inputs.
    reverse : bool, default False
        The reverse direction of a bidirectional layer.

    Returns
    -------
    dict of ndarray
        The same arrays (not copies), keyed ``W_f, b_f, ...``.

    See Also
    --------
    init_stacked_params
    Book chapter 12, "Training recurrent networks in practice".
    """
    prefix = _prefix(layer, reverse)
    out = {k[len(prefix):]: v for k, v in params.items()
           if k.startswith(prefix) and (reverse or not k.startswith(_prefix(layer, True)))}
    if not out:
        raise ValueError(f"params has no keys starting with {prefix!r}.")
    return out


def stacked_forward(
    X: np.ndarray,
    params: Mapping[str, np.ndarray],
    cell: str = "lstm",
    state0: Sequence[tuple] | None = None,
    masks: Sequence[np.ndarray | None] | None = None,
) -> tuple[np.ndarray, tuple, dict]:
    r"""Run a stack of recurrent layers (each unidirectional or bidirectional).

    Parameters
    ----------
    X : ndarray of shape (T, N, D)
    params : dict of ndarray
        From :func:`init_stacked_params`; the number of layers and whether
        they are bidirectional are read from its keys.
    cell : {"rnn", "lstm", "gru"}
    state0 : sequence of cell states, optional
        One state (``(h,)`` or ``(h, c)``, arrays of shape (N, H)) per layer
        and direction, index ``num_directions * layer + direction``; zeros
        when None.
    masks : sequence of ndarray of shape (T, N, W), optional
        ``num_layers - 1`` dropout masks (or None entries); ``masks[l]``
        multiplies the output of layer ``l`` (width ``W = H`` or ``2H``)
        before layer ``l + 1`` reads it. None: no dropout (evaluation).

    Returns
    -------
    out : ndarray of shape (T, N, W)
        The last layer's output (unmasked); ``W = 2H`` when bidirectional.
    state_last : tuple of cell states
        Final state per layer and direction (the order of ``state0``;
        PyTorch's ``h_n``/``c_n`` order).
    cache : dict
        For :func:`stacked_backward`.

    Notes
    -----
    With :math:`y^{(0)}_t = x_t` and :math:`m^{(\ell)}` the masks:

    .. math::
        y^{(\ell + 1)}_{1:T} = \text{layer}_{\ell}\big(m^{(\ell - 1)} \odot y^{(\ell)}_{1:T}\big),
        \qquad \text{out} = y^{(L)}

    (no mask before the first layer). A layer is a cell run forward in time,
    or the bidirectional pair of :func:`course_pkg.bidirectional.bidirectional_forward`.

    See Also
    --------
    stacked_backward, init_stacked_params, course_pkg.dropout.sequence_dropout_mask
    Book chapter 12, "Training recurrent networks in practice".
    """
    spec = cells.get_cell(cell)
    num_layers, bidirectional = _structure(params)
    dims: dict[str, int] = {}
    check_array("X", X, ("T", "N", "D"), dims)
    T, N = dims["T"], dims["N"]
    n_dir = 2 if bidirectional else 1
    _, H = cells.cell_sizes(spec, layer_params(params, 0))
    if state0 is None:
        state0 = tuple(cells.zero_state(spec, N, H) for _ in range(num_layers * n_dir))
    if not isinstance(state0, Sequence) or len(state0) != num_layers * n_dir:
        raise ValueError(f"state0 must hold {num_layers * n_dir} cell states (one per layer and "
                         f"direction), got {type(state0).__name__}"
                         f"{f' of length {len(state0)}' if isinstance(state0, Sequence) else ''}.")
    if masks is None:
        masks = (None,) * (num_layers - 1)
    if not isinstance(masks, Sequence) or len(masks) != num_layers - 1:
        raise ValueError(f"masks must hold num_layers - 1 = {num_layers - 1} entries (one "
                         "between each pair of layers), got "
                         f"{len(masks) if isinstance(masks, Sequence) else type(masks).__name__}.")
    y = X
    layers, last = [], []
    for layer in range(num_layers):
        if layer > 0 and masks[layer - 1] is not None:
            check_array(f"masks[{layer - 1}]", masks[layer - 1], (T, N, H * n_dir))
            y = y * masks[layer - 1]  # (T, N, W)
        if bidirectional:
            pair = (state0[2 * layer], state0[2 * layer + 1])
            y, (s_f, s_b), c = bidirectional_forward(
                y, layer_params(params, layer), layer_params(params, layer, True), spec, pair)
            last += [s_f, s_b]
        else:
            y, s, c = spec.forward(y, tuple(state0[layer]), layer_params(params, layer))
            last.append(s)
        layers.append(c)
    cache = {"spec": spec, "layers": tuple(layers), "masks": tuple(masks),
             "bidirectional": bidirectional, "shape": (T, N, H), "keys": tuple(params)}
    return y, tuple(last), cache


def stacked_backward(
    dout: np.ndarray, cache: dict, dstate_last: Sequence[tuple] | None = None
) -> tuple[np.ndarray, tuple, dict[str, np.ndarray]]:
    r"""Backward pass of :func:`stacked_forward`.

    Parameters
    ----------
    dout : ndarray of shape (T, N, W)
        Gradient with respect to the last layer's output.
    cache : dict
        From :func:`stacked_forward`.
    dstate_last : sequence of cell states, optional
        Gradients with respect to ``state_last`` (zeros when None).

    Returns
    -------
    dX : ndarray of shape (T, N, D)
    dstate0 : tuple of cell states
        Gradients with respect to ``state0``, same layout.
    grads : dict of ndarray
        Same keys and shapes as ``params``.

    Notes
    -----
    Walking down the stack, each layer's BPTT returns the gradient with
    respect to its input sequence; through the dropout mask that becomes the
    gradient of the layer below's output:
    :math:`\partial y^{(\ell)} = m^{(\ell - 1)} \odot \partial \tilde y^{(\ell)}`.

    See Also
    --------
    stacked_forward
    Book chapter 12, "Training recurrent networks in practice".
    """
    check_cache(cache, ("spec", "layers", "masks", "bidirectional", "shape", "keys"),
                "stacked_forward")
    spec, layers, masks = cache["spec"], cache["layers"], cache["masks"]
    bidirectional = cache["bidirectional"]
    T, N, H = cache["shape"]
    n_dir = 2 if bidirectional else 1
    check_array("dout", dout, (T, N, H * n_dir))
    num_layers = len(layers)
    if dstate_last is not None and len(dstate_last) != num_layers * n_dir:
        raise ValueError(f"dstate_last must hold {num_layers * n_dir} cell states, got "
                         f"{len(dstate_last)}.")
    grads: dict[str, np.ndarray] = {}
    dstate0: list = [None] * (num_layers * n_dir)
    dy = dout
    for layer in range(num_layers - 1, -1, -1):
        if bidirectional:
            dl = None if dstate_last is None else (dstate_last[2 * layer],
                                                   dstate_last[2 * layer + 1])
            dy, (d_f, d_b), (g_f, g_b) = bidirectional_backward(dy, layers[layer], dl)
            dstate0[2 * layer], dstate0[2 * layer + 1] = d_f, d_b
            grads.update({_prefix(layer, False) + k: v for k, v in g_f.items()})
            grads.update({_prefix(layer, True) + k: v for k, v in g_b.items()})
        else:
            dl = None if dstate_last is None else tuple(dstate_last[layer])
            dy, d0, g = spec.backward(dy, layers[layer], dl)
            dstate0[layer] = d0
            grads.update({_prefix(layer, False) + k: v for k, v in g.items()})
        if layer > 0 and masks[layer - 1] is not None:
            dy = dy * masks[layer - 1]  # (T, N, W)
    grads = {k: grads[k] for k in cache["keys"]}
    return dy, tuple(dstate0), grads
