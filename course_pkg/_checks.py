"""Input validation shared by every module.

Every public function checks its arguments before computing anything, so a
student who passes a transposed matrix gets a message that names the
argument, the shape that was expected and the shape that arrived, instead of
a silently broadcast wrong answer three functions later.

Shapes are written with symbolic dimensions, e.g. ``("N", "H + D")``. The
first array that mentions a dimension binds it; later arrays must agree::

    dims = {}
    check_array("x", x, ("N", "D"), dims)          # binds N and D
    check_array("h_prev", h_prev, ("N", "H"), dims)  # binds H, checks N
    check_array("W_f", W_f, ("H + D", "H"), dims)   # checks H + D and H
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

__all__ = [
    "CheckedParams",
    "check_array",
    "check_cache",
    "check_choice",
    "check_count",
    "check_finite",
    "check_gate_cache",
    "check_gate_inputs",
    "check_params",
    "evaluate_shape",
    "format_shape",
]

Dim = int | str


def format_shape(shape: Sequence[Dim], dims: Mapping[str, int] | None = None) -> str:
    """Render a symbolic shape, substituting the dimensions already bound.

    >>> format_shape(("N", "H + D"), {"N": 2, "H": 3, "D": 4})
    '(N=2, H + D=7)'
    """
    dims = dims or {}
    parts = []
    for d in shape:
        if isinstance(d, int):
            parts.append(str(d))
            continue
        value = _evaluate(d, dims)
        parts.append(f"{d}={value}" if value is not None else d)
    if len(parts) == 1:
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"


def _evaluate(expr: str, dims: Mapping[str, int]) -> int | None:
    """Value of a dimension expression such as ``"H + D"`` or ``"4H"``."""
    total = 0
    for term in expr.replace(" ", "").split("+"):
        factor = 1
        name = term
        digits = ""
        while name and name[0].isdigit():
            digits += name[0]
            name = name[1:]
        if digits:
            factor = int(digits)
        if not name:
            total += factor
            continue
        if name not in dims:
            return None
        total += factor * dims[name]
    return total


def evaluate_shape(shape: Sequence[Dim], dims: Mapping[str, int]) -> tuple[int, ...]:
    """Concrete shape of a symbolic one, every dimension bound by ``dims``.

    >>> evaluate_shape(("H + D", "H"), {"H": 3, "D": 4})
    (7, 3)
    """
    out = []
    for d in shape:
        value = d if isinstance(d, int) else _evaluate(d, dims)
        if value is None:
            raise ValueError(f"shape {format_shape(shape, dims)} has an unbound dimension; "
                             f"bound: {dict(dims)}.")
        out.append(int(value))
    return tuple(out)


def check_finite(name: str, x: np.ndarray, advice: str | None = None) -> None:
    """Raise ValueError if ``x`` holds NaN or infinity, saying where.

    ``advice`` replaces the default second sentence of the message.
    """
    if not np.all(np.isfinite(x)):
        bad = np.argwhere(~np.isfinite(x))
        first = tuple(int(i) for i in bad[0])
        kind = "NaN" if np.isnan(x[first]) else "inf"
        if advice is None:
            advice = (f"Expected finite numbers; check how {name} was computed (an exploding "
                      f"gradient or an overflow upstream is the usual cause).")
        raise ValueError(
            f"{name} contains {len(bad)} non-finite value(s) ({kind} at index {first}). "
            + advice
        )


def check_choice(name: str, value: object, options: Sequence[object], hint: str = "") -> None:
    """Raise ValueError unless ``value`` is one of ``options``; ``hint`` is appended.

    >>> check_choice("cell", "lstm", ("rnn", "lstm"))
    """
    if isinstance(value, np.ndarray) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}." + hint)


def check_array(
    name: str,
    x: object,
    shape: Sequence[Dim],
    dims: dict[str, int] | None = None,
    *,
    finite: bool = True,
    dtype: str = "float",
) -> np.ndarray:
    """Check one array argument and bind its symbolic dimensions.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    x : object
        The value received; it must already be a numpy array.
    shape : sequence of int or str
        Expected shape. Strings are symbolic dimensions (``"N"``), possibly
        sums or multiples of others (``"H + D"``, ``"4H"``); ints are fixed.
    dims : dict, optional
        Dimensions bound so far; updated in place with new single-letter ones.
    finite : bool, default True
        Reject NaN and infinity.
    dtype : {"float", "bool", "int"}
        Expected kind: ``"float"`` accepts float32 and float64.

    Returns
    -------
    ndarray
        ``x`` itself (never a copy), so callers can write ``x = check_array(...)``.

    Raises
    ------
    ValueError
        If ``x`` is not an ndarray, has the wrong kind of dtype, the wrong
        number of dimensions, a size that disagrees with ``dims``, or holds
        NaN/inf while ``finite`` is True.
    """
    if dims is None:
        dims = {}
    if not isinstance(x, np.ndarray):
        raise ValueError(
            f"{name} must be a numpy array of shape {format_shape(shape, dims)}, "
            f"got {type(x).__name__}. Wrap it with np.asarray({name}, dtype=np.float64)."
        )
    if dtype == "float" and x.dtype not in (np.float64, np.float32):
        raise ValueError(
            f"{name} must have dtype float64 (or float32), got {x.dtype}. "
            f"Convert it with {name}.astype(np.float64)."
        )
    if dtype == "bool" and x.dtype != np.bool_:
        raise ValueError(
            f"{name} must be a boolean mask (True = keep), got dtype {x.dtype}. "
            f"Convert it with {name}.astype(bool)."
        )
    if dtype == "int" and not np.issubdtype(x.dtype, np.integer):
        raise ValueError(
            f"{name} must hold integer token ids, got dtype {x.dtype}. "
            f"Convert it with {name}.astype(np.int64)."
        )
    if x.ndim != len(shape):
        raise ValueError(
            f"{name} must have {len(shape)} dimension(s) with shape "
            f"{format_shape(shape, dims)}, got {x.ndim} dimension(s) with shape {x.shape}."
        )
    # Bind plain names first so that expressions such as "H + D" can be checked
    # even when they appear before H and D in the same argument.
    for axis, d in enumerate(shape):
        if isinstance(d, str) and d.isidentifier() and d not in dims:
            dims[d] = int(x.shape[axis])
    for axis, d in enumerate(shape):
        expected = d if isinstance(d, int) else _evaluate(d, dims)
        if expected is None:
            continue
        if x.shape[axis] != expected:
            raise ValueError(
                f"{name} has shape {x.shape}, expected {format_shape(shape, dims)}: "
                f"axis {axis} should be {d} = {expected} but is {x.shape[axis]}. "
                f"Check the order of the arguments and whether a matrix is transposed."
            )
    if finite and dtype == "float":
        check_finite(name, x)
    return x


def check_params(
    params: object,
    spec: Mapping[str, Sequence[Dim]],
    dims: dict[str, int],
    *,
    where: str = "params",
) -> None:
    """Check a parameter dict against ``{key: symbolic shape}``.

    Raises ValueError naming a missing key (and listing the expected ones),
    or the first array whose shape disagrees with ``spec``.
    """
    if not isinstance(params, Mapping):
        raise ValueError(
            f"{where} must be a dict of numpy arrays with keys {sorted(spec)}, "
            f"got {type(params).__name__}."
        )
    missing = [k for k in spec if k not in params]
    if missing:
        raise ValueError(
            f"{where} is missing key(s) {missing}; expected keys {list(spec)}. "
            f"Create the parameters with the matching init_*_params function."
        )
    for key, shape in spec.items():
        check_array(f"{where}['{key}']", params[key], shape, dims)


def check_count(name: str, value: object, minimum: int) -> int:
    """Return ``value`` as an int after checking it is an integer ``>= minimum``.

    Booleans are rejected (``True`` is an int to Python, never a count here).

    >>> check_count("n", 3, 1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def check_cache(
    cache: object, keys: Sequence[str], where: str, *, as_tuple: bool = False
) -> None:
    """Check that a backward pass received the cache its forward pass returned.

    Parameters
    ----------
    cache : object
        What the caller passed as ``cache``.
    keys : sequence of str
        Keys the backward reads from a dict cache or, with ``as_tuple``, the
        names of the tuple's entries in order (then only the length is checked).
    where : str
        Name of the forward function, for the message.
    as_tuple : bool
        The forward returns a tuple rather than a dict.

    Raises
    ------
    ValueError
        If ``cache`` has the wrong type, lacks a key, or has the wrong length.
    """
    kind = "tuple" if as_tuple else "dict"
    if not isinstance(cache, tuple if as_tuple else Mapping):
        raise ValueError(
            f"cache must be the {kind} returned by {where}, got {type(cache).__name__}. "
            f"Pass the cache of the matching forward call."
        )
    if as_tuple:
        if len(cache) != len(keys):  # type: ignore[arg-type]
            raise ValueError(
                f"cache must be the tuple returned by {where} ({len(keys)} entries: "
                f"{list(keys)}), got a tuple of length {len(cache)}."  # type: ignore[arg-type]
            )
        return
    missing = [k for k in keys if k not in cache]  # type: ignore[operator]
    if missing:
        raise ValueError(
            f"cache is missing key(s) {missing}; expected the dict returned by {where} "
            f"(keys {list(keys)}). Pass the cache of the matching forward call."
        )


def check_gate_inputs(
    h_prev: object, x: object, W: object, b: object, w_name: str, b_name: str
) -> int:
    """Check the four arguments of an affine gate ``act([h_prev, x] W + b)``; return H.

    ``h_prev`` (N, H), ``x`` (N, D), ``W`` (H + D, H) and ``b`` (H,); the
    messages name ``W`` and ``b`` as ``w_name`` and ``b_name`` (e.g. ``"W_f"``).
    """
    dims: dict[str, int] = {}
    check_array("h_prev", h_prev, ("N", "H"), dims)
    check_array("x", x, ("N", "D"), dims)
    check_array(w_name, W, ("H + D", "H"), dims)
    check_array(b_name, b, ("H",), dims)
    return dims["H"]


def check_gate_cache(dout: object, cache: object, dout_name: str, where: str) -> tuple:
    """Check the upstream gradient and cache of an affine gate's backward; return the cache.

    The cache is the tuple ``(z, W, out, H)`` that the gate ``where`` returned;
    ``dout`` must have the shape of ``out``.
    """
    check_cache(cache, ("z", "W", "out", "H"), where, as_tuple=True)
    check_array(dout_name, dout, cache[2].shape)  # type: ignore[index]
    return cache  # type: ignore[return-value]


class CheckedParams(Mapping):
    """Base of the frozen model records: a read-only mapping over their ``params`` field.

    A frozen dataclass with a ``params`` field derives from it and calls
    :meth:`_freeze_params` in its ``__post_init__``: the parameters are
    checked against their symbolic shapes (:func:`check_params`) and stored
    as a read-only mapping (the arrays themselves are shared). The record
    then reads like its parameters: ``model["W_out"]``, ``for key in model``.
    """

    params: Mapping[str, np.ndarray]

    def _freeze_params(self, shapes: Mapping[str, Sequence[Dim]]) -> None:
        check_params(self.params, shapes, {})
        object.__setattr__(self, "params", types.MappingProxyType(dict(self.params)))

    def __getitem__(self, key: str) -> np.ndarray:
        return self.params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)
