"""The LSTM's gates, one small function each, forward and backward.

These are the teaching versions: chapters 3 to 6 show them one at a time and
assignments 01 to 04 ask students to write them. :mod:`course_pkg.lstm`
composes them into a cell and fuses the four products into one for speed.

Conventions (the book's appendix A, "Notation and conventions", and
``docs/notation.md``): one step ``x`` is ``(N, D)``, states are
``(N, H)``; every gate reads ``z = [h_prev, x]`` of shape ``(N, H + D)``
through a weight of shape ``(H + D, H)`` and a bias of shape ``(H,)``.

.. math::

    f &= \\sigma(z W_f + b_f)            &\\text{forget gate}\\\\
    i &= \\sigma(z W_i + b_i)            &\\text{input gate}\\\\
    g &= \\tanh(z W_g + b_g)             &\\text{candidate}\\\\
    c &= f \\odot c_{prev} + i \\odot g  &\\text{cell update}\\\\
    o &= \\sigma(z W_o + b_o)            &\\text{output gate}\\\\
    h &= o \\odot \\tanh(c)              &\\text{hidden state}

References
----------
Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory.
Gers, F., Schmidhuber, J. and Cummins, F. (2000). Learning to forget.
Olah, C. (2015). Understanding LSTM Networks.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_cache, check_gate_cache, check_gate_inputs
from .activations import sigmoid, sigmoid_backward, tanh, tanh_backward

__all__ = [
    "concat_inputs",
    "forget_gate",
    "forget_gate_backward",
    "input_gate",
    "input_gate_backward",
    "candidate",
    "candidate_backward",
    "cell_update",
    "cell_update_backward",
    "output_gate",
    "output_gate_backward",
    "hidden_state",
    "hidden_state_backward",
]


def concat_inputs(h_prev: np.ndarray, x: np.ndarray) -> np.ndarray:
    r"""Stack the previous hidden state and the input: ``z = [h_prev, x]``.

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
    x : ndarray of shape (N, D)

    Returns
    -------
    z : ndarray of shape (N, H + D)
        ``h_prev`` first, then ``x`` (colah's order; PyTorch keeps the two
        products separate, see :mod:`course_pkg.torch_interop`).

    Notes
    -----
    .. math:: z_t = [h_{t-1}, x_t], \qquad z_t W = h_{t-1} W^{[:H]} + x_t W^{[H:]}

    so rows ``[:H]`` of every gate weight read ``h_prev`` and rows ``[H:]`` read ``x``.

    See Also
    --------
    Book chapter 3, "The forget gate"; appendix A, "Notation and conventions".

    Examples
    --------
    >>> concat_inputs(np.zeros((2, 3)), np.ones((2, 1)))
    array([[0., 0., 0., 1.],
           [0., 0., 0., 1.]])
    """
    dims: dict[str, int] = {}
    check_array("h_prev", h_prev, ("N", "H"), dims)
    check_array("x", x, ("N", "D"), dims)
    return np.concatenate([h_prev, x], axis=1)  # (N, H + D)


def forget_gate(
    h_prev: np.ndarray, x: np.ndarray, W_f: np.ndarray, b_f: np.ndarray
) -> tuple[np.ndarray, tuple]:
    r"""Forget gate: how much of each cell-state entry to keep.

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
        Previous hidden state.
    x : ndarray of shape (N, D)
        Current input.
    W_f : ndarray of shape (H + D, H)
        Rows ``[:H]`` read ``h_prev``, rows ``[H:]`` read ``x``.
    b_f : ndarray of shape (H,)

    Returns
    -------
    f : ndarray of shape (N, H)
        Values in (0, 1): 1 keeps an entry of ``c_prev``, 0 clears it.
    cache : tuple
        For :func:`forget_gate_backward`.

    Notes
    -----
    .. math:: f_t = \sigma([h_{t-1}, x_t] W_f + b_f)

    See Also
    --------
    Book chapter 3, "The forget gate"; assignment 01.
    """
    H = check_gate_inputs(h_prev, x, W_f, b_f, "W_f", "b_f")
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    f = sigmoid(z @ W_f + b_f)  # (N, H + D) @ (H + D, H) -> (N, H)
    return f, (z, W_f, f, H)


def forget_gate_backward(df: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    r"""Backward pass of :func:`forget_gate`.

    Parameters
    ----------
    df : ndarray of shape (N, H)
        Upstream gradient with respect to ``f``.
    cache : tuple
        From :func:`forget_gate`.

    Returns
    -------
    dh_prev : ndarray of shape (N, H)
    dx : ndarray of shape (N, D)
    dW_f : ndarray of shape (H + D, H)
    db_f : ndarray of shape (H,)

    Notes
    -----
    With :math:`a = z W_f + b_f`: :math:`\partial a = \partial f \odot f(1 - f)`,
    :math:`\partial W_f = z^\top \partial a`, :math:`\partial b_f = \sum_n \partial a`,
    :math:`\partial z = \partial a\, W_f^\top` and
    :math:`[\partial h_{t-1}, \partial x_t] = \partial z`.

    See Also
    --------
    forget_gate
    Book chapter 7, "The whole cell, through time" (backpropagation); assignment 06.
    """
    z, W_f, f, H = check_gate_cache(df, cache, "df", "forget_gate")
    da = sigmoid_backward(df, f)  # (N, H): gradient at z @ W_f + b_f
    dz = da @ W_f.T  # (N, H) @ (H, H + D) -> (N, H + D)
    return dz[:, :H], dz[:, H:], z.T @ da, da.sum(axis=0)  # dh_prev, dx, dW_f, db_f


def input_gate(
    h_prev: np.ndarray, x: np.ndarray, W_i: np.ndarray, b_i: np.ndarray
) -> tuple[np.ndarray, tuple]:
    r"""Input gate: how much of the candidate to write into the cell.

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
    x : ndarray of shape (N, D)
    W_i : ndarray of shape (H + D, H)
    b_i : ndarray of shape (H,)

    Returns
    -------
    i : ndarray of shape (N, H), values in (0, 1)
    cache : tuple

    Notes
    -----
    .. math:: i_t = \sigma([h_{t-1}, x_t] W_i + b_i)

    See Also
    --------
    Book chapter 4, "The input gate and the candidate"; assignment 02.
    """
    H = check_gate_inputs(h_prev, x, W_i, b_i, "W_i", "b_i")
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    i = sigmoid(z @ W_i + b_i)  # (N, H + D) @ (H + D, H) -> (N, H)
    return i, (z, W_i, i, H)


def input_gate_backward(di: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    r"""Backward pass of :func:`input_gate`.

    Parameters
    ----------
    di : ndarray of shape (N, H)
        Upstream gradient with respect to ``i``.
    cache : tuple
        From :func:`input_gate`.

    Returns
    -------
    dh_prev : ndarray of shape (N, H)
    dx : ndarray of shape (N, D)
    dW_i : ndarray of shape (H + D, H)
    db_i : ndarray of shape (H,)

    Notes
    -----
    With :math:`a = z W_i + b_i` and :math:`z = [h_{t-1}, x_t]`:
    :math:`\partial a = \partial i \odot i(1 - i)`,
    :math:`\partial W_i = z^\top \partial a`, :math:`\partial b_i = \sum_n \partial a`,
    :math:`[\partial h_{t-1}, \partial x_t] = \partial a\, W_i^\top`.

    See Also
    --------
    input_gate
    Book chapter 7, "The whole cell, through time" (backpropagation); assignment 06.
    """
    z, W_i, i, H = check_gate_cache(di, cache, "di", "input_gate")
    da = sigmoid_backward(di, i)  # (N, H): gradient at z @ W_i + b_i
    dz = da @ W_i.T  # (N, H) @ (H, H + D) -> (N, H + D)
    return dz[:, :H], dz[:, H:], z.T @ da, da.sum(axis=0)  # dh_prev, dx, dW_i, db_i


def candidate(
    h_prev: np.ndarray, x: np.ndarray, W_g: np.ndarray, b_g: np.ndarray
) -> tuple[np.ndarray, tuple]:
    r"""Candidate values: what could be written into the cell.

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
    x : ndarray of shape (N, D)
    W_g : ndarray of shape (H + D, H)
    b_g : ndarray of shape (H,)

    Returns
    -------
    g : ndarray of shape (N, H), values in (-1, 1)
    cache : tuple

    Notes
    -----
    .. math:: g_t = \tanh([h_{t-1}, x_t] W_g + b_g)

    colah writes :math:`\tilde C_t`; the DLS assignment writes ``cct``.

    See Also
    --------
    Book chapter 4, "The input gate and the candidate"; assignment 02.
    """
    H = check_gate_inputs(h_prev, x, W_g, b_g, "W_g", "b_g")
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    g = tanh(z @ W_g + b_g)  # (N, H + D) @ (H + D, H) -> (N, H)
    return g, (z, W_g, g, H)


def candidate_backward(dg: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    r"""Backward pass of :func:`candidate`.

    Parameters
    ----------
    dg : ndarray of shape (N, H)
        Upstream gradient with respect to ``g``.
    cache : tuple
        From :func:`candidate`.

    Returns
    -------
    dh_prev : ndarray of shape (N, H)
    dx : ndarray of shape (N, D)
    dW_g : ndarray of shape (H + D, H)
    db_g : ndarray of shape (H,)

    Notes
    -----
    With :math:`a = z W_g + b_g` and :math:`z = [h_{t-1}, x_t]`:
    :math:`\partial a = \partial g \odot (1 - g^2)`,
    :math:`\partial W_g = z^\top \partial a`, :math:`\partial b_g = \sum_n \partial a`,
    :math:`[\partial h_{t-1}, \partial x_t] = \partial a\, W_g^\top`.

    See Also
    --------
    candidate
    Book chapter 7, "The whole cell, through time" (backpropagation); assignment 06.
    """
    z, W_g, g, H = check_gate_cache(dg, cache, "dg", "candidate")
    da = tanh_backward(dg, g)  # (N, H): gradient at z @ W_g + b_g
    dz = da @ W_g.T  # (N, H) @ (H, H + D) -> (N, H + D)
    return dz[:, :H], dz[:, H:], z.T @ da, da.sum(axis=0)  # dh_prev, dx, dW_g, db_g


def output_gate(
    h_prev: np.ndarray, x: np.ndarray, W_o: np.ndarray, b_o: np.ndarray
) -> tuple[np.ndarray, tuple]:
    r"""Output gate: how much of the (squashed) cell to show as ``h``.

    Parameters
    ----------
    h_prev : ndarray of shape (N, H)
    x : ndarray of shape (N, D)
    W_o : ndarray of shape (H + D, H)
    b_o : ndarray of shape (H,)

    Returns
    -------
    o : ndarray of shape (N, H), values in (0, 1)
    cache : tuple

    Notes
    -----
    .. math:: o_t = \sigma([h_{t-1}, x_t] W_o + b_o)

    See Also
    --------
    Book chapter 6, "The output gate"; assignment 04.
    """
    H = check_gate_inputs(h_prev, x, W_o, b_o, "W_o", "b_o")
    z = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    o = sigmoid(z @ W_o + b_o)  # (N, H + D) @ (H + D, H) -> (N, H)
    return o, (z, W_o, o, H)


def output_gate_backward(do: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    r"""Backward pass of :func:`output_gate`.

    Parameters
    ----------
    do : ndarray of shape (N, H)
        Upstream gradient with respect to ``o``.
    cache : tuple
        From :func:`output_gate`.

    Returns
    -------
    dh_prev : ndarray of shape (N, H)
    dx : ndarray of shape (N, D)
    dW_o : ndarray of shape (H + D, H)
    db_o : ndarray of shape (H,)

    Notes
    -----
    With :math:`a = z W_o + b_o` and :math:`z = [h_{t-1}, x_t]`:
    :math:`\partial a = \partial o \odot o(1 - o)`,
    :math:`\partial W_o = z^\top \partial a`, :math:`\partial b_o = \sum_n \partial a`,
    :math:`[\partial h_{t-1}, \partial x_t] = \partial a\, W_o^\top`.

    See Also
    --------
    output_gate
    Book chapter 7, "The whole cell, through time" (backpropagation); assignment 06.
    """
    z, W_o, o, H = check_gate_cache(do, cache, "do", "output_gate")
    da = sigmoid_backward(do, o)  # (N, H): gradient at z @ W_o + b_o
    dz = da @ W_o.T  # (N, H) @ (H, H + D) -> (N, H + D)
    return dz[:, :H], dz[:, H:], z.T @ da, da.sum(axis=0)  # dh_prev, dx, dW_o, db_o


def cell_update(
    f: np.ndarray, c_prev: np.ndarray, i: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, tuple]:
    r"""New cell state: keep what the forget gate allows, add what the input gate lets in.

    Parameters
    ----------
    f : ndarray of shape (N, H)
        Forget gate.
    c_prev : ndarray of shape (N, H)
        Previous cell state.
    i : ndarray of shape (N, H)
        Input gate.
    g : ndarray of shape (N, H)
        Candidate.

    Returns
    -------
    c : ndarray of shape (N, H)
    cache : tuple

    Notes
    -----
    .. math:: c_t = f_t \odot c_{t-1} + i_t \odot g_t

    Hence :math:`\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)`: the
    "highway" of chapter 5, along which gradients are only rescaled by the
    forget gate, never squashed by a derivative of tanh.

    See Also
    --------
    Book chapter 5, "The cell state"; assignment 03.
    """
    dims: dict[str, int] = {}
    check_array("f", f, ("N", "H"), dims)
    check_array("c_prev", c_prev, ("N", "H"), dims)
    check_array("i", i, ("N", "H"), dims)
    check_array("g", g, ("N", "H"), dims)
    c = f * c_prev + i * g  # (N, H)
    return c, (f, c_prev, i, g)


def cell_update_backward(dc: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    r"""Backward pass of :func:`cell_update`.

    Parameters
    ----------
    dc : ndarray of shape (N, H)
        Total gradient with respect to the new cell state ``c``.
    cache : tuple
        From :func:`cell_update`.

    Returns
    -------
    df : ndarray of shape (N, H)
    dc_prev : ndarray of shape (N, H)
        What flows back along the highway: ``dc * f``.
    di : ndarray of shape (N, H)
    dg : ndarray of shape (N, H)

    Notes
    -----
    .. math:: \partial f = \partial c \odot c_{t-1},\quad
              \partial c_{t-1} = \partial c \odot f,\quad
              \partial i = \partial c \odot g,\quad
              \partial g = \partial c \odot i

    See Also
    --------
    cell_update
    Book chapter 5, "The cell state" (the gradient highway); assignment 06.
    """
    check_cache(cache, ("f", "c_prev", "i", "g"), "cell_update", as_tuple=True)
    f, c_prev, i, g = cache
    check_array("dc", dc, f.shape)
    return dc * c_prev, dc * f, dc * g, dc * i


def hidden_state(o: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, tuple]:
    r"""Hidden state: the output gate applied to the squashed cell state.

    Parameters
    ----------
    o : ndarray of shape (N, H)
        Output gate.
    c : ndarray of shape (N, H)
        Cell state (after the update).

    Returns
    -------
    h : ndarray of shape (N, H), values in (-1, 1)
    cache : tuple

    Notes
    -----
    .. math:: h_t = o_t \odot \tanh(c_t)

    A common slip is ``o * c``: the cell state is unbounded, and ``tanh``
    keeps ``h`` in (-1, 1).

    See Also
    --------
    Book chapter 6, "The output gate"; assignment 04.
    """
    dims: dict[str, int] = {}
    check_array("o", o, ("N", "H"), dims)
    check_array("c", c, ("N", "H"), dims)
    tc = np.tanh(c)  # (N, H)
    return o * tc, (o, tc)


def hidden_state_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    r"""Backward pass of :func:`hidden_state`.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        Upstream gradient with respect to ``h``.
    cache : tuple
        From :func:`hidden_state`.

    Returns
    -------
    do : ndarray of shape (N, H)
    dc : ndarray of shape (N, H)
        The part of the cell-state gradient that comes through ``h``.

    Notes
    -----
    .. math:: \partial o = \partial h \odot \tanh(c), \quad
              \partial c = \partial h \odot o \odot (1 - \tanh^2 c)

    See Also
    --------
    hidden_state
    Book chapter 6, "The output gate"; assignment 06.
    """
    check_cache(cache, ("o", "tanh_c"), "hidden_state", as_tuple=True)
    o, tc = cache
    check_array("dh", dh, o.shape)
    return dh * tc, dh * o * (1.0 - tc * tc)
