r"""Convert our parameter dicts to and from ``torch.nn.RNN``, ``nn.LSTM`` and ``nn.GRU``.

This is the one place where the course's layout meets PyTorch's; the tests
compare every forward output and gradient with PyTorch through it.

Two layouts
-----------
Ours (book appendix A, ``docs/notation.md``): one weight per gate of shape ``(H + D, H)`` that
multiplies ``z = [h_prev, x]`` from the right; rows ``[:H]`` read ``h_prev``
and rows ``[H:]`` read ``x``; one bias per gate of shape ``(H,)``.

PyTorch: for a single layer, ``weight_ih_l0`` of shape ``(G H, D)`` and
``weight_hh_l0`` of shape ``(G H, H)`` multiply from the left (``x W_ih^T``),
with the gates stacked along the rows in the order

* ``nn.RNN``: one block (``G = 1``);
* ``nn.LSTM``: ``i, f, g, o`` (ours are named ``W_i, W_f, W_g, W_o``);
* ``nn.GRU``: ``r, z, n`` (ours are ``W_r, W_z, W_n``);

and two biases, ``bias_ih_l0`` and ``bias_hh_l0``, which are always added
together, except for the GRU candidate, where ``b_hn`` sits inside the reset
gate's product (the "reset-after" GRU).

So, for every gate ``k``:

* ``W_k[:H] = weight_hh[k].T`` and ``W_k[H:] = weight_ih[k].T``;
* from torch: ``b_k = bias_ih[k] + bias_hh[k]``; for the GRU candidate
  ``b_n = bias_ih[n]`` and ``b_hn = bias_hh[n]``;
* to torch: ``bias_ih[k] = b_k`` and ``bias_hh[k] = 0``; for the GRU
  candidate ``bias_hh[n] = b_hn``.

The Cho-2014 GRU (reset applied before the product) has no PyTorch
counterpart; the GRU functions raise ``ValueError`` for ``variant="cho"``.

``torch`` is imported only inside the functions, so importing this module
costs nothing on a machine without PyTorch.

References
----------
PyTorch documentation: ``torch.nn.RNN``, ``torch.nn.LSTM``, ``torch.nn.GRU``.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ._checks import check_params
from .cells import param_shapes

__all__ = [
    "TORCH_GATE_ORDER",
    "gru_grads_from_torch",
    "gru_params_from_torch",
    "gru_params_to_torch",
    "lstm_grads_from_torch",
    "lstm_params_from_torch",
    "lstm_params_to_torch",
    "make_torch_gru",
    "make_torch_lstm",
    "make_torch_rnn",
    "make_torch_stacked",
    "rnn_grads_from_torch",
    "rnn_params_from_torch",
    "rnn_params_to_torch",
    "stacked_grads_from_torch",
    "stacked_params_from_torch",
    "stacked_params_to_torch",
]

#: Order in which PyTorch stacks the gates along the rows of its weights.
TORCH_GATE_ORDER = types.MappingProxyType(
    {"rnn": ("",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
)

_CLASS_NAMES = types.MappingProxyType({"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"})


def _shapes(kind: str) -> dict[str, tuple[str, ...]]:
    """Our parameter layout of ``kind`` (the GRU is the reset-after one), from the registry."""
    return param_shapes(kind)


def _suffix(gate: str) -> str:
    return f"_{gate}" if gate else ""


def _check_module(module: Any, kind: str) -> None:
    """Raise ValueError unless ``module`` is a single-layer, unidirectional torch ``kind``."""
    import torch

    cls = getattr(torch.nn, _CLASS_NAMES[kind])
    if not isinstance(module, cls):
        raise ValueError(
            f"module must be a torch.nn.{_CLASS_NAMES[kind]}, got {type(module).__name__}. "
            f"Use the {kind}_* functions of course_pkg.torch_interop for that module type."
        )
    problems = []
    if module.num_layers != 1:
        problems.append(f"num_layers={module.num_layers} (expected 1)")
    if module.bidirectional:
        problems.append("bidirectional=True (expected False)")
    if not module.bias:
        problems.append("bias=False (expected True)")
    if getattr(module, "proj_size", 0):
        problems.append(f"proj_size={module.proj_size} (expected 0)")
    if kind == "rnn" and module.nonlinearity != "tanh":
        problems.append(f"nonlinearity={module.nonlinearity!r} (expected 'tanh')")
    if problems:
        raise ValueError(
            f"module must be a single-layer, unidirectional torch.nn.{_CLASS_NAMES[kind]} "
            f"with biases, as our {kind.upper()} is; got " + ", ".join(problems) + "."
        )


def _check_cho(variant: str) -> None:
    if variant == "cho":
        raise ValueError(
            "variant='cho' has no torch.nn.GRU counterpart: PyTorch's GRU applies the reset "
            "gate after the recurrent product (variant='reset_after'). Compare the Cho "
            "variant with gradient checks instead."
        )
    if variant != "reset_after":
        raise ValueError(f"variant must be 'reset_after' or 'cho', got {variant!r}.")


def _to_torch(params: Any, module: Any, kind: str, suffix: str = "l0",
              input_size: int | None = None, check: bool = True) -> Any:
    import torch

    if check:
        _check_module(module, kind)
    dims = _bind_dims(params, kind)
    D, H = dims["D"], dims["H"]
    expected_in = module.input_size if input_size is None else input_size
    if (expected_in, module.hidden_size) != (D, H):
        raise ValueError(
            f"module has input_size={module.input_size}, hidden_size={module.hidden_size} "
            f"but params have D={D}, H={H} (W of shape (H + D, H) = {(H + D, H)}). "
            f"Create the module with torch.nn.{_CLASS_NAMES[kind]}({D}, {H})."
        )
    gates = TORCH_GATE_ORDER[kind]
    w_ih = np.concatenate([params[f"W{_suffix(g)}"][H:].T for g in gates], axis=0)  # (G H, D)
    w_hh = np.concatenate([params[f"W{_suffix(g)}"][:H].T for g in gates], axis=0)  # (G H, H)
    b_ih = np.concatenate([params[f"b{_suffix(g)}"] for g in gates])  # (G H,)
    b_hh = np.zeros_like(b_ih)  # (G H,)
    if kind == "gru":
        b_hh[2 * H :] = params["b_hn"]
    with torch.no_grad():
        for name, value in (
            ("weight_ih", w_ih), ("weight_hh", w_hh),
            ("bias_ih", b_ih), ("bias_hh", b_hh),
        ):
            target = getattr(module, f"{name}_{suffix}")
            target.copy_(torch.as_tensor(np.ascontiguousarray(value), dtype=target.dtype))
    return module


def _torch_arrays(module: Any, grad: bool, suffix: str = "l0") -> dict[str, np.ndarray]:
    out = {}
    for base in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        name = f"{base}_{suffix}"
        tensor = getattr(module, name)
        if grad:
            if tensor.grad is None:
                raise ValueError(
                    f"module.{name}.grad is None: call loss.backward() on a loss computed "
                    "with this module before reading its gradients."
                )
            tensor = tensor.grad
        out[f"{base}_l0"] = tensor.detach().cpu().numpy().astype(np.float64)
    return out


def _from_torch(module: Any, kind: str, grad: bool, suffix: str = "l0",
                check: bool = True) -> dict[str, np.ndarray]:
    if check:
        _check_module(module, kind)
    a = _torch_arrays(module, grad, suffix)
    H = module.hidden_size
    gates = TORCH_GATE_ORDER[kind]
    params = {}
    for k, gate in enumerate(gates):
        rows = slice(k * H, (k + 1) * H)
        W = np.concatenate([a["weight_hh_l0"][rows].T, a["weight_ih_l0"][rows].T], axis=0)
        params[f"W{_suffix(gate)}"] = W  # (H + D, H)
        if grad:
            # d loss / d(b_ih + b_hh) equals the gradient of either torch bias
            params[f"b{_suffix(gate)}"] = a["bias_ih_l0"][rows].copy()
        elif kind == "gru" and gate == "n":
            params["b_n"] = a["bias_ih_l0"][rows].copy()
        else:
            params[f"b{_suffix(gate)}"] = a["bias_ih_l0"][rows] + a["bias_hh_l0"][rows]
    if kind == "gru":
        params["b_hn"] = a["bias_hh_l0"][2 * H :].copy()
    return params


def _bind_dims(params: Any, kind: str) -> dict[str, int]:
    """Check ``params`` against the layout of ``kind``; return ``{"D": D, "H": H}``.

    The weights have shape (H + D, H), so H is read from the columns of the
    first weight and D from what its rows leave over; every other array must agree.
    """
    if kind == "gru" and isinstance(params, dict) and "W_n" in params and "b_hn" not in params:
        raise ValueError(
            "params has no key 'b_hn': these look like Cho-variant GRU parameters, which "
            "torch.nn.GRU cannot represent. Use init_gru_params(..., variant='reset_after')."
        )
    key = "W" if kind == "rnn" else f"W_{TORCH_GATE_ORDER[kind][0]}"
    dims: dict[str, int] = {}
    check_params(params, {key: ("H + D", "H")}, dims)
    rows, H = params[key].shape
    if rows - H < 1:
        raise ValueError(
            f"params['{key}'] has shape {params[key].shape}, expected (H + D, H) with D >= 1: "
            "rows [:H] read h_prev and rows [H:] read x."
        )
    dims["D"] = rows - H
    check_params(params, _shapes(kind), dims)
    return dims


def _make(params: Any, kind: str) -> Any:
    import torch

    dims = _bind_dims(params, kind)
    cls = getattr(torch.nn, _CLASS_NAMES[kind])
    module = cls(dims["D"], dims["H"], num_layers=1, bias=True, batch_first=False,
                 dtype=torch.float64)
    return _to_torch(params, module, kind)


# --- RNN ----------------------------------------------------------------------


def rnn_params_to_torch(params: dict[str, np.ndarray], module: Any) -> Any:
    r"""Copy our RNN parameters into a ``torch.nn.RNN`` (in place) and return it.

    Parameters
    ----------
    params : dict
        ``W`` of shape (H + D, H), ``b`` of shape (H,).
    module : torch.nn.RNN
        Single layer, unidirectional, tanh, with biases, sizes ``(D, H)``.

    Returns
    -------
    torch.nn.RNN
        ``module`` itself, with ``weight_ih_l0 = W[H:].T``, ``weight_hh_l0 = W[:H].T``,
        ``bias_ih_l0 = b`` and ``bias_hh_l0 = 0``.

    Notes
    -----
    PyTorch: :math:`h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})`;
    ours: :math:`h_t = \tanh([h_{t-1}, x_t] W + b)`.

    See Also
    --------
    course_pkg.rnn; book chapter 1.
    """
    return _to_torch(params, module, "rnn")


def rnn_params_from_torch(module: Any) -> dict[str, np.ndarray]:
    r"""Read a ``torch.nn.RNN``'s parameters into our dict (float64).

    Parameters
    ----------
    module : torch.nn.RNN
        Single layer, unidirectional, with biases.

    Returns
    -------
    dict of ndarray
        ``W`` of shape (H + D, H) and ``b`` of shape (H,); each bias is ``bias_ih + bias_hh``.

    Notes
    -----
    For gate :math:`k`: :math:`W_k^{[:H]} = W_{hh}[k]^\top` and
    :math:`W_k^{[H:]} = W_{ih}[k]^\top` (PyTorch multiplies from the left).

    See Also
    --------
    rnn_params_to_torch, course_pkg.rnn
    Book chapter 1, "Why sequences need memory".
    """
    return _from_torch(module, "rnn", grad=False)


def rnn_grads_from_torch(module: Any) -> dict[str, np.ndarray]:
    r"""Read the ``.grad`` of a ``torch.nn.RNN``'s parameters in our layout (float64).

    Parameters
    ----------
    module : torch.nn.RNN
        After ``loss.backward()``.

    Returns
    -------
    dict of ndarray
        ``W`` of shape (H + D, H) and ``b`` of shape (H,): the gradients, comparable with
        our backward's ``grads``.

    Notes
    -----
    Our bias :math:`b_k` stands for :math:`b_{ih}[k] + b_{hh}[k]`, so
    :math:`\partial L / \partial b_k` equals the gradient of either torch bias
    (and ``b_hn`` that of ``bias_hh[n]`` for the GRU).

    See Also
    --------
    rnn_params_from_torch
    Book chapter 1, "Why sequences need memory".
    """
    return _from_torch(module, "rnn", grad=True)


def make_torch_rnn(params: dict[str, np.ndarray]) -> Any:
    r"""A float64, single-layer, ``batch_first=False`` ``torch.nn.RNN`` holding ``params``.

    Parameters
    ----------
    params : dict of ndarray
        ``W`` of shape (H + D, H) and ``b`` of shape (H,).

    Returns
    -------
    torch.nn.RNN
        A new module with input size D and hidden size H read from the weights.

    See Also
    --------
    rnn_params_to_torch
    Book chapter 1, "Why sequences need memory".
    """
    return _make(params, "rnn")


# --- LSTM ---------------------------------------------------------------------


def lstm_params_to_torch(params: dict[str, np.ndarray], module: Any) -> Any:
    r"""Copy our LSTM parameters into a ``torch.nn.LSTM`` (in place) and return it.

    Parameters
    ----------
    params : dict
        ``W_f, W_i, W_g, W_o`` of shape (H + D, H), ``b_f, b_i, b_g, b_o`` of shape (H,).
    module : torch.nn.LSTM
        Single layer, unidirectional, with biases, no projection, sizes ``(D, H)``.

    Returns
    -------
    torch.nn.LSTM
        ``module`` itself. PyTorch stacks the gates as ``i, f, g, o``; our biases
        go to ``bias_ih_l0`` and ``bias_hh_l0`` is set to zero.

    Notes
    -----
    For gate :math:`k`: :math:`W_{ih}[k] = W_k^{[H:]\top}`,
    :math:`W_{hh}[k] = W_k^{[:H]\top}`, :math:`b_{ih}[k] = b_k`, :math:`b_{hh}[k] = 0`.

    See Also
    --------
    course_pkg.lstm; book chapter 7 and appendix A (notation).
    """
    return _to_torch(params, module, "lstm")


def lstm_params_from_torch(module: Any) -> dict[str, np.ndarray]:
    r"""Read a ``torch.nn.LSTM``'s parameters into our dict (float64).

    Parameters
    ----------
    module : torch.nn.LSTM
        Single layer, unidirectional, with biases.

    Returns
    -------
    dict of ndarray
        ``W_i, W_f, W_g, W_o`` of shape (H + D, H) and ``b_i, b_f, b_g, b_o`` of shape (H,);
        each bias is ``bias_ih + bias_hh``.

    Notes
    -----
    For gate :math:`k`: :math:`W_k^{[:H]} = W_{hh}[k]^\top` and
    :math:`W_k^{[H:]} = W_{ih}[k]^\top` (PyTorch multiplies from the left).

    See Also
    --------
    lstm_params_to_torch, course_pkg.lstm
    Book chapter 7, "The whole cell, through time"; appendix A, "Notation and conventions".
    """
    return _from_torch(module, "lstm", grad=False)


def lstm_grads_from_torch(module: Any) -> dict[str, np.ndarray]:
    r"""Read the ``.grad`` of a ``torch.nn.LSTM``'s parameters in our layout (float64).

    Parameters
    ----------
    module : torch.nn.LSTM
        After ``loss.backward()``.

    Returns
    -------
    dict of ndarray
        ``W_i, W_f, W_g, W_o`` of shape (H + D, H) and ``b_i, b_f, b_g, b_o`` of shape (H,):
        the gradients, comparable with our backward's ``grads``.

    Notes
    -----
    Our bias :math:`b_k` stands for :math:`b_{ih}[k] + b_{hh}[k]`, so
    :math:`\partial L / \partial b_k` equals the gradient of either torch bias
    (and ``b_hn`` that of ``bias_hh[n]`` for the GRU).

    See Also
    --------
    lstm_params_from_torch
    Book chapter 7, "The whole cell, through time"; appendix A, "Notation and conventions".
    """
    return _from_torch(module, "lstm", grad=True)


def make_torch_lstm(params: dict[str, np.ndarray]) -> Any:
    r"""A float64, single-layer, ``batch_first=False`` ``torch.nn.LSTM`` holding ``params``.

    Parameters
    ----------
    params : dict of ndarray
        ``W_i, W_f, W_g, W_o`` of shape (H + D, H) and ``b_i, b_f, b_g, b_o`` of shape (H,).

    Returns
    -------
    torch.nn.LSTM
        A new module with input size D and hidden size H read from the weights.

    See Also
    --------
    lstm_params_to_torch
    Book chapter 7, "The whole cell, through time"; appendix A, "Notation and conventions".
    """
    return _make(params, "lstm")


# --- GRU ----------------------------------------------------------------------


def gru_params_to_torch(
    params: dict[str, np.ndarray], module: Any, variant: str = "reset_after"
) -> Any:
    r"""Copy our reset-after GRU parameters into a ``torch.nn.GRU`` (in place) and return it.

    Parameters
    ----------
    params : dict
        ``W_z, W_r, W_n`` of shape (H + D, H); ``b_z, b_r, b_n, b_hn`` of shape (H,).
    module : torch.nn.GRU
        Single layer, unidirectional, with biases, sizes ``(D, H)``.
    variant : {"reset_after"}
        ``"cho"`` raises ValueError: torch.nn.GRU is the reset-after GRU.

    Returns
    -------
    torch.nn.GRU
        ``module`` itself. PyTorch stacks the gates as ``r, z, n``;
        ``bias_ih = [b_r, b_z, b_n]`` and ``bias_hh = [0, 0, b_hn]``.

    Notes
    -----
    PyTorch: :math:`n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))`,
    which is our :math:`n_t = \tanh(x_t W_n^{[H:]} + b_n + r_t \odot (h_{t-1} W_n^{[:H]}
    + b_{hn}))`; the update :math:`h_t = (1 - z_t) n_t + z_t h_{t-1}` is the same.

    See Also
    --------
    course_pkg.gru; book chapter 8.
    """
    _check_cho(variant)
    return _to_torch(params, module, "gru")


def gru_params_from_torch(module: Any, variant: str = "reset_after") -> dict[str, np.ndarray]:
    r"""Read a ``torch.nn.GRU``'s parameters into our dict (float64).

    Parameters
    ----------
    module : torch.nn.GRU
        Single layer, unidirectional, with biases.
    variant : {"reset_after"}
        ``"cho"`` raises ValueError: torch.nn.GRU is the reset-after GRU.

    Returns
    -------
    dict of ndarray
        ``W_r, W_z, W_n`` of shape (H + D, H) and ``b_r, b_z, b_n, b_hn`` of shape (H,);
        ``b_r, b_z`` are the summed torch biases; ``b_n = bias_ih[n]`` and ``b_hn =
        bias_hh[n]`` stay separate.

    Notes
    -----
    For gate :math:`k`: :math:`W_k^{[:H]} = W_{hh}[k]^\top` and
    :math:`W_k^{[H:]} = W_{ih}[k]^\top` (PyTorch multiplies from the left).

    See Also
    --------
    gru_params_to_torch, course_pkg.gru
    Book chapter 8, "The GRU".
    """
    _check_cho(variant)
    return _from_torch(module, "gru", grad=False)


def gru_grads_from_torch(module: Any) -> dict[str, np.ndarray]:
    r"""Read the ``.grad`` of a ``torch.nn.GRU``'s parameters in our layout (float64).

    Parameters
    ----------
    module : torch.nn.GRU
        After ``loss.backward()``.

    Returns
    -------
    dict of ndarray
        ``W_r, W_z, W_n`` of shape (H + D, H) and ``b_r, b_z, b_n, b_hn`` of shape (H,): the
        gradients, comparable with our backward's ``grads``.

    Notes
    -----
    Our bias :math:`b_k` stands for :math:`b_{ih}[k] + b_{hh}[k]`, so
    :math:`\partial L / \partial b_k` equals the gradient of either torch bias
    (and ``b_hn`` that of ``bias_hh[n]`` for the GRU).

    See Also
    --------
    gru_params_from_torch
    Book chapter 8, "The GRU".
    """
    return _from_torch(module, "gru", grad=True)


def make_torch_gru(params: dict[str, np.ndarray], variant: str = "reset_after") -> Any:
    r"""A float64, single-layer, ``batch_first=False`` ``torch.nn.GRU`` holding ``params``.

    Parameters
    ----------
    params : dict of ndarray
        ``W_r, W_z, W_n`` of shape (H + D, H) and ``b_r, b_z, b_n, b_hn`` of shape (H,).
    variant : {"reset_after"}
        ``"cho"`` raises ValueError: torch.nn.GRU is the reset-after GRU.

    Returns
    -------
    torch.nn.GRU
        A new module with input size D and hidden size H read from the weights.

    See Also
    --------
    gru_params_to_torch
    Book chapter 8, "The GRU".
    """
    _check_cho(variant)
    return _make(params, "gru")


# --- stacked and bidirectional (course_pkg.stacked) ------------------------------


def _check_stacked_module(module: Any, kind: str) -> tuple[int, bool]:
    """Raise ValueError unless ``module`` is a torch ``kind`` our stacked layout can hold."""
    import torch

    cls = getattr(torch.nn, _CLASS_NAMES[kind])
    if not isinstance(module, cls):
        raise ValueError(f"module must be a torch.nn.{_CLASS_NAMES[kind]}, got "
                         f"{type(module).__name__}.")
    problems = []
    if not module.bias:
        problems.append("bias=False (expected True)")
    if getattr(module, "proj_size", 0):
        problems.append(f"proj_size={module.proj_size} (expected 0)")
    if kind == "rnn" and module.nonlinearity != "tanh":
        problems.append(f"nonlinearity={module.nonlinearity!r} (expected 'tanh')")
    if problems:
        raise ValueError(f"module must be a torch.nn.{_CLASS_NAMES[kind]} with biases, as our "
                         f"stacked {kind.upper()} is; got " + ", ".join(problems) + ".")
    return module.num_layers, module.bidirectional


def _stacked_names(num_layers: int, bidirectional: bool):
    """(our prefix, torch suffix, layer) for every layer and direction, in torch's order."""
    for layer in range(num_layers):
        yield f"l{layer}_", f"l{layer}", layer
        if bidirectional:
            yield f"l{layer}_reverse_", f"l{layer}_reverse", layer


def stacked_params_to_torch(params: dict[str, np.ndarray], module: Any,
                            cell: str = "lstm") -> Any:
    r"""Copy stacked (optionally bidirectional) parameters into a torch module, in place.

    Parameters
    ----------
    params : dict of ndarray
        From :func:`course_pkg.stacked.init_stacked_params`: ``l{k}_<key>`` and
        ``l{k}_reverse_<key>``, each cell weight of shape (H + D_k, H).
    module : torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU
        With ``num_layers`` and ``bidirectional`` matching ``params``, biases,
        no projection.
    cell : {"rnn", "lstm", "gru"}

    Returns
    -------
    torch module
        ``module`` itself.

    Notes
    -----
    Layer :math:`k`, direction ``d``: our ``l{k}[_reverse]_W_*`` goes to torch's
    ``weight_ih_l{k}[_reverse]`` (rows ``[H:]``, transposed) and
    ``weight_hh_l{k}[_reverse]`` (rows ``[:H]``, transposed), gate by gate in
    torch's order, exactly as for one layer (see the module docstring).

    See Also
    --------
    stacked_params_from_torch, make_torch_stacked, course_pkg.stacked
    Book chapter 12, "Training recurrent networks in practice".
    """
    from .stacked import layer_params

    num_layers, bidirectional = _check_stacked_module(module, cell)
    H = module.hidden_size
    for prefix, suffix, layer in _stacked_names(num_layers, bidirectional):
        try:
            sub = layer_params(params, layer, prefix.endswith("reverse_"))
        except ValueError:
            raise ValueError(f"params has no keys {prefix}*, but the module has layer "
                             f"{suffix}. Create the module with num_layers and bidirectional "
                             "matching params.") from None
        d_in = module.input_size if layer == 0 else H * (2 if bidirectional else 1)
        _to_torch(sub, module, cell, suffix=suffix, input_size=d_in, check=False)
    return module


def _stacked_from_torch(module: Any, cell: str, grad: bool) -> dict[str, np.ndarray]:
    num_layers, bidirectional = _check_stacked_module(module, cell)
    params = {}
    for prefix, suffix, _ in _stacked_names(num_layers, bidirectional):
        params.update({prefix + k: v for k, v in
                       _from_torch(module, cell, grad, suffix=suffix, check=False).items()})
    return params


def stacked_params_from_torch(module: Any, cell: str = "lstm") -> dict[str, np.ndarray]:
    r"""Read a multi-layer (optionally bidirectional) torch module into our flat dict.

    Parameters
    ----------
    module : torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU
        Any ``num_layers``, either ``bidirectional``, with biases.
    cell : {"rnn", "lstm", "gru"}

    Returns
    -------
    dict of ndarray
        The layout of :func:`course_pkg.stacked.init_stacked_params` (float64).

    Notes
    -----
    Each layer and direction is read as a single layer is (summed biases;
    the GRU keeps ``b_hn``), its keys prefixed ``l{k}_`` or ``l{k}_reverse_``.

    See Also
    --------
    stacked_params_to_torch
    Book chapter 12, "Training recurrent networks in practice".
    """
    return _stacked_from_torch(module, cell, grad=False)


def stacked_grads_from_torch(module: Any, cell: str = "lstm") -> dict[str, np.ndarray]:
    r"""Read the ``.grad`` of a multi-layer torch module in our stacked layout.

    Parameters
    ----------
    module : torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU
        After ``loss.backward()``.
    cell : {"rnn", "lstm", "gru"}

    Returns
    -------
    dict of ndarray
        Keys of :func:`stacked_params_from_torch`, comparable with the
        ``grads`` of :func:`course_pkg.stacked.stacked_backward`.

    Notes
    -----
    As for one layer, :math:`\partial L / \partial b_k` equals the gradient of
    either torch bias.

    See Also
    --------
    stacked_params_from_torch
    Book chapter 12, "Training recurrent networks in practice".
    """
    return _stacked_from_torch(module, cell, grad=True)


def make_torch_stacked(params: dict[str, np.ndarray], cell: str = "lstm") -> Any:
    r"""A float64 torch module with the layers and directions of ``params``.

    Parameters
    ----------
    params : dict of ndarray
        From :func:`course_pkg.stacked.init_stacked_params`.
    cell : {"rnn", "lstm", "gru"}

    Returns
    -------
    torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU
        ``num_layers`` and ``bidirectional`` read from the keys,
        ``batch_first=False``, holding ``params``.

    See Also
    --------
    stacked_params_to_torch
    Book chapter 12, "Training recurrent networks in practice".
    """
    import torch

    from .stacked import _structure, layer_params

    num_layers, bidirectional = _structure(params)
    dims = _bind_dims(layer_params(params, 0), cell)
    cls = getattr(torch.nn, _CLASS_NAMES[cell])
    module = cls(dims["D"], dims["H"], num_layers=num_layers, bias=True, batch_first=False,
                 bidirectional=bidirectional, dtype=torch.float64)
    return stacked_params_to_torch(params, module, cell)
