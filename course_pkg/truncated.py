r"""Truncated backpropagation through time (TBPTT): long sequences in chunks.

Full BPTT over a sequence of length :math:`T` keeps every step's cache, so
its memory grows like :math:`O(T)`, and it produces one update per sequence.
For a long stream (a book, a recording) that is too much memory and too few
updates. Truncated BPTT cuts the stream into chunks of :math:`k` steps
(Williams and Peng 1990; Sutskever 2013):

1. run the cell forward over one chunk, starting from the state the previous
   chunk ended in (the state is *carried*, so the forward pass sees the whole
   past);
2. backpropagate only inside the chunk: no gradient flows into the carried
   state (it is *detached*);
3. update the weights, keep the final state, move to the next chunk.

Memory is :math:`O(k)` and there is one update per chunk. The price is a
**biased** gradient: a loss at step :math:`t` sends gradient back only to
the steps of its own chunk, so every term of the true gradient that links
:math:`t` to an input more than the chunk's reach back is dropped, not
averaged out. A dependency longer than the chunk can still be *used* by the
forward pass, but nothing teaches the network to *store* it.

The functions take a ``chunk_loss`` callback, so any read-out and loss work:

* :func:`tbptt_chunks` -- the chunk boundaries of a length-``T`` sequence;
* :func:`truncated_bptt_step` -- forward, loss and backward of one chunk from
  a carried state: what a training loop calls once per update;
* :func:`truncated_bptt` -- the whole sequence chunk by chunk, gradients
  summed: the truncated gradient to compare with the full one (``k = T``).

References
----------
Williams, R. J. and Peng, J. (1990). An efficient gradient-based algorithm
for on-line training of recurrent network trajectories. Neural Computation 2(4).
Sutskever, I. (2013). Training recurrent neural networks. PhD thesis,
University of Toronto.
Tallec, C. and Ollivier, Y. (2017). Unbiasing truncated backpropagation
through time. arXiv:1705.08209.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from . import cells
from ._checks import check_array, check_count

__all__ = ["tbptt_chunks", "truncated_bptt_step", "truncated_bptt"]

ChunkLoss = Callable[[np.ndarray], tuple[float, np.ndarray, dict]]


def tbptt_chunks(T: int, k: int) -> tuple[slice, ...]:
    r"""The consecutive chunks of at most ``k`` steps that cover ``range(T)``.

    Parameters
    ----------
    T : int
        Sequence length (>= 1).
    k : int
        Chunk length, the truncation (>= 1); the last chunk may be shorter.

    Returns
    -------
    tuple of slice
        ``slice(0, k), slice(k, 2k), ...``, ending at ``T``.

    Notes
    -----
    .. math:: [0, k),\ [k, 2k),\ \dots,\ [k \lfloor (T-1)/k \rfloor,\ T)

    See Also
    --------
    truncated_bptt_step
    Book chapter 12, "Training recurrent networks in practice".

    Examples
    --------
    >>> tbptt_chunks(7, 3)
    (slice(0, 3, None), slice(3, 6, None), slice(6, 7, None))
    """
    T = check_count("T", T, 1)
    k = check_count("k", k, 1)
    return tuple(slice(s, min(s + k, T)) for s in range(0, T, k))


def truncated_bptt_step(
    X: np.ndarray,
    state: tuple,
    params: Mapping[str, np.ndarray],
    chunk_loss: ChunkLoss,
    cell: str = "lstm",
) -> tuple[float, dict[str, np.ndarray], np.ndarray, tuple]:
    r"""One chunk of truncated BPTT: forward from a carried state, loss, backward inside the chunk.

    Parameters
    ----------
    X : ndarray of shape (k, N, D)
        The chunk's inputs.
    state : tuple of ndarray of shape (N, H)
        The state the previous chunk ended in (``(h,)`` or ``(h, c)``);
        zeros for the first chunk.
    params : dict of ndarray
        The cell's parameters.
    chunk_loss : callable
        ``chunk_loss(hs) -> (loss, dhs, extra_grads)`` with ``hs`` of shape
        (k, N, H): the loss of this chunk, its gradient with respect to
        ``hs`` (same shape) and a dict of gradients of any parameters the loss
        owns (a read-out), possibly empty.
    cell : {"rnn", "lstm", "gru"}

    Returns
    -------
    loss : float
        The chunk's loss.
    grads : dict of ndarray
        The cell's gradients (keys of ``params``) and ``extra_grads``.
    dX : ndarray of shape (k, N, D)
        Gradient with respect to the chunk's inputs.
    state_next : tuple of ndarray of shape (N, H)
        The state after the chunk, to carry into the next one. It is a plain
        value: no gradient will ever flow back through it (it is detached).

    Notes
    -----
    With :math:`s` the first step of the chunk, the gradient returned is

    .. math:: \tilde g = \sum_{t=s}^{s+k-1} \sum_{u=s}^{t}
              \frac{\partial L_t}{\partial h_t}
              \frac{\partial h_t}{\partial h_u} \frac{\partial^+ h_u}{\partial \theta},

    the full gradient's double sum with every :math:`u < s` removed: the
    carried state is treated as a constant. Memory holds one chunk of caches,
    :math:`O(k)` instead of :math:`O(T)`.

    See Also
    --------
    truncated_bptt, tbptt_chunks
    Book chapter 12, "Training recurrent networks in practice".
    """
    spec = cells.get_cell(cell)
    check_array("X", X, ("k", "N", "D"))
    hs, state_next, cache = spec.forward(X, tuple(state), dict(params))
    out = chunk_loss(hs)
    if not isinstance(out, tuple) or len(out) != 3:
        raise ValueError("chunk_loss must return (loss, dhs, extra_grads); got "
                         f"{type(out).__name__}"
                         f"{f' of length {len(out)}' if isinstance(out, tuple) else ''}.")
    loss, dhs, extra = out
    check_array("dhs (from chunk_loss)", dhs, hs.shape)
    dX, _, grads = spec.backward(dhs, cache)  # the gradient into the carried state is dropped
    overlap = set(grads) & set(extra)
    if overlap:
        raise ValueError(f"chunk_loss's extra_grads reuse the cell's keys {sorted(overlap)}; "
                         "give the read-out parameters their own names.")
    return float(loss), {**grads, **extra}, dX, state_next


def truncated_bptt(
    X: np.ndarray,
    params: Mapping[str, np.ndarray],
    chunk_loss: Callable[[np.ndarray, slice], tuple[float, np.ndarray, dict]],
    k: int,
    cell: str = "lstm",
    state0: tuple | None = None,
) -> tuple[float, dict[str, np.ndarray], np.ndarray, tuple]:
    r"""The truncated-BPTT gradient of a whole sequence, chunk by chunk, summed.

    Parameters
    ----------
    X : ndarray of shape (T, N, D)
    params : dict of ndarray
        The cell's parameters (the same for every chunk: no update in between).
    chunk_loss : callable
        ``chunk_loss(hs, chunk) -> (loss, dhs, extra_grads)``, where ``chunk``
        is the slice of time steps ``hs`` covers (so the callback can pick its
        targets).
    k : int
        Chunk length. ``k >= T`` gives the full BPTT gradient.
    cell : {"rnn", "lstm", "gru"}
    state0 : tuple of ndarray of shape (N, H), optional
        Initial state; zeros when None.

    Returns
    -------
    loss : float
        Sum of the chunks' losses (the forward pass is exact: the same loss
        for every ``k``).
    grads : dict of ndarray
        Sum of the chunks' gradients.
    dX : ndarray of shape (T, N, D)
        Gradient with respect to every input, as truncated.
    state_last : tuple of ndarray of shape (N, H)

    Notes
    -----
    .. math:: \tilde g_k = \sum_{\text{chunks } c} \tilde g(c), \qquad
              \tilde g_T = \nabla_\theta \sum_t L_t

    The loss does not depend on ``k`` (the state is carried), but the
    gradient does: :math:`\tilde g_k - \tilde g_T` collects exactly the
    long-range terms, which is why the error is a bias and not noise.

    See Also
    --------
    truncated_bptt_step, tbptt_chunks
    Book chapter 12, "Training recurrent networks in practice".

    Examples
    --------
    >>> from course_pkg.cells import init_params
    >>> rng = np.random.default_rng(0)
    >>> X, w = rng.normal(size=(6, 2, 3)), rng.normal(size=(6, 2, 4))
    >>> def lin(hs, chunk):                 # loss = sum of w * h
    ...     return float(np.sum(w[chunk] * hs)), w[chunk], {}
    >>> p = init_params("lstm", 3, 4, 0)
    >>> full = truncated_bptt(X, p, lin, k=6)
    >>> cut = truncated_bptt(X, p, lin, k=2)
    >>> bool(np.isclose(full[0], cut[0])), bool(np.allclose(full[1]["W_f"], cut[1]["W_f"]))
    (True, False)
    """
    spec = cells.get_cell(cell)
    dims: dict[str, int] = {}
    check_array("X", X, ("T", "N", "D"), dims)
    T, N = dims["T"], dims["N"]
    _, H = cells.cell_sizes(spec, params)
    state = cells.zero_state(spec, N, H) if state0 is None else tuple(state0)
    total = 0.0
    grads: dict[str, np.ndarray] = {}
    dX = np.empty_like(X, dtype=np.float64)
    for chunk in tbptt_chunks(T, k):
        loss, g, dX[chunk], state = truncated_bptt_step(
            X[chunk], state, params, lambda hs, c=chunk: chunk_loss(hs, c), spec)
        total += loss
        for key, value in g.items():
            grads[key] = grads[key] + value if key in grads else value
    return total, grads, dX, state
