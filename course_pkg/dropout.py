r"""Dropout for recurrent networks: inverted masks, per step or the same across time.

Dropout multiplies activations by a random mask during training: each entry
is kept with probability :math:`1 - p` and set to zero otherwise. With
*inverted* dropout the kept entries are divided by :math:`1 - p`, so the
expected value of every activation is unchanged and nothing needs rescaling
at test time, where no mask is applied at all (Srivastava et al. 2014).

A recurrent network offers two places for a mask:

* **between layers** (on the inputs of a layer, or the outputs of the layer
  below): what ``torch.nn.LSTM(dropout=p)`` does. The mask may be drawn
  afresh at every time step or, in the *variational* form of Gal and
  Ghahramani (2016), once per sequence and reused at every step.
* **on the recurrent connection** :math:`h_{t-1} \to` gates. A fresh mask at
  every step here injects noise into the memory at every step, and over a
  long sequence that noise wipes the memory out (Zaremba et al. 2014 keep
  dropout off the recurrence for this reason). Gal and Ghahramani's answer
  is to use *one* mask for the whole sequence: the same units of
  :math:`h_{t-1}` are dropped at every step, which amounts to removing some
  rows of the recurrent weight for this sequence.

No function here draws random numbers behind your back: the masks are made
from a Generator you pass in, and the forward functions take the mask as an
argument, so a forward with a given mask is a deterministic function whose
backward can be gradient-checked.

References
----------
Srivastava, N. et al. (2014). Dropout: a simple way to prevent neural
networks from overfitting. JMLR 15.
Zaremba, W., Sutskever, I. and Vinyals, O. (2014). Recurrent neural network
regularization. arXiv:1409.2329.
Gal, Y. and Ghahramani, Z. (2016). A theoretically grounded application of
dropout in recurrent neural networks. NeurIPS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from . import cells
from ._checks import check_array, check_cache, check_count

__all__ = [
    "dropout_mask",
    "sequence_dropout_mask",
    "recurrent_dropout_forward",
    "recurrent_dropout_backward",
]


def _check_p(p: object) -> float:
    try:
        value = float(p)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not (0.0 <= value < 1.0):
        raise ValueError(f"p (the drop probability) must lie in [0, 1), got {p!r}.")
    return value


def dropout_mask(
    shape: tuple[int, ...], p: float, rng: np.random.Generator
) -> np.ndarray:
    r"""An inverted-dropout mask: 0 with probability ``p``, else ``1 / (1 - p)``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the activations the mask multiplies.
    p : float in [0, 1)
        Drop probability; ``p = 0`` gives a mask of ones.
    rng : numpy Generator
        The only source of randomness (the caller owns it).

    Returns
    -------
    ndarray of shape ``shape``
        float64 entries in :math:`\{0, 1/(1 - p)\}`.

    Notes
    -----
    .. math:: m_j = \frac{\mathbb 1[u_j \ge p]}{1 - p}, \quad u_j \sim U(0, 1),
              \qquad \mathbb E[m_j] = 1

    See Also
    --------
    sequence_dropout_mask
    Book chapter 12, "Training recurrent networks in practice" (dropout).

    Examples
    --------
    >>> m = dropout_mask((2, 4), 0.5, np.random.default_rng(0))
    >>> sorted(set(m.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
    """
    p = _check_p(p)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got "
                         f"{type(rng).__name__}.")
    shape = tuple(int(s) for s in shape)
    if p == 0.0:
        return np.ones(shape)
    return (rng.random(shape) >= p) / (1.0 - p)


def sequence_dropout_mask(
    T: int, N: int, W: int, p: float, rng: np.random.Generator, *, variational: bool = False
) -> np.ndarray:
    r"""A dropout mask for a sequence of activations, fresh per step or shared across time.

    Parameters
    ----------
    T, N, W : int
        Time steps, batch size and width of the activations (e.g. H, or 2H
        after a bidirectional layer).
    p : float in [0, 1)
        Drop probability.
    rng : numpy Generator
    variational : bool, default False
        False: an independent mask at every step (``torch.nn.LSTM(dropout=p)``
        between layers). True: one (N, W) mask drawn once and repeated at every
        step (Gal and Ghahramani 2016), so a dropped unit stays dropped for the
        whole sequence.

    Returns
    -------
    ndarray of shape (T, N, W)

    Notes
    -----
    .. math:: m_t = m \ \text{for all } t \ \text{(variational)}, \qquad
              m_t \ \text{independent} \ \text{(standard)}

    See Also
    --------
    dropout_mask, course_pkg.stacked.stacked_forward
    Book chapter 12, "Training recurrent networks in practice" (dropout).
    """
    T, N, W = (check_count(n, v, 1) for n, v in (("T", T), ("N", N), ("W", W)))
    if variational:
        return np.broadcast_to(dropout_mask((N, W), p, rng), (T, N, W)).copy()
    return dropout_mask((T, N, W), p, rng)


def _check_cell(cell: str) -> cells.CellSpec:
    spec = cells.get_cell(cell)
    if spec.name == "gru":
        raise ValueError(
            "cell='gru' is not supported by recurrent dropout here: the GRU's state h_{t-1} is "
            "also the carried memory in h_t = (1 - z) n + z h_{t-1}, so masking it would drop "
            "memory, not only a gate input. Use cell='rnn' or 'lstm', or dropout between layers."
        )
    return spec


def recurrent_dropout_forward(
    X: np.ndarray,
    state0: tuple,
    params: Mapping[str, np.ndarray],
    mask: np.ndarray,
    cell: str = "lstm",
) -> tuple[np.ndarray, tuple, dict]:
    r"""Run an RNN or LSTM with variational dropout on the recurrent connection.

    Parameters
    ----------
    X : ndarray of shape (T, N, D)
    state0 : tuple of ndarray of shape (N, H)
        ``(h0,)`` for the RNN, ``(h0, c0)`` for the LSTM.
    params : dict of ndarray
        The cell's parameters.
    mask : ndarray of shape (N, H)
        Multiplies :math:`h_{t-1}` where the gates read it, the same mask at
        every step (from :func:`dropout_mask`); ones = no dropout.
    cell : {"rnn", "lstm"}

    Returns
    -------
    hs : ndarray of shape (T, N, H)
        The hidden states, unmasked (the mask acts only inside the recurrence).
    state_last : tuple of ndarray of shape (N, H)
    cache : dict
        For :func:`recurrent_dropout_backward`.

    Raises
    ------
    ValueError
        For ``cell="gru"`` (see the message), or on a wrong shape.

    Notes
    -----
    For the LSTM (Gal and Ghahramani 2016), with :math:`m` fixed over time:

    .. math::
        z_t = [m \odot h_{t-1},\ x_t], \qquad
        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh c_t

    The cell state :math:`c_{t-1}` is never masked: the highway stays intact.
    The loop calls the cell's own step, so this is a step-by-step (slower)
    forward.

    See Also
    --------
    recurrent_dropout_backward, dropout_mask
    Book chapter 12, "Training recurrent networks in practice" (dropout).
    """
    spec = _check_cell(cell)
    dims: dict[str, int] = {}
    check_array("X", X, ("T", "N", "D"), dims)
    _, H = cells.cell_sizes(spec, params)
    N = dims["N"]
    check_array("mask", mask, (N, H))
    if not isinstance(state0, tuple | list) or len(state0) != spec.n_states:
        raise ValueError(f"state0 must be a tuple of {spec.n_states} array(s) of shape (N, H) "
                         f"= ({N}, {H}) for the {spec.name}, got {type(state0).__name__}.")
    for name, s in zip(spec.state_names, state0):
        check_array(f"state0 ({name})", s, (N, H))
    state = tuple(state0)
    hs = np.empty((X.shape[0], N, H))
    steps = []
    for t in range(X.shape[0]):
        masked = (state[0] * mask, *state[1:])  # (N, H) each
        state, step_cache = spec.step_forward(X[t], masked, dict(params))
        hs[t] = state[0]
        steps.append(step_cache)
    cache = {"spec": spec, "mask": mask, "steps": tuple(steps), "shape": (X.shape[0], N, H)}
    return hs, state, cache


def recurrent_dropout_backward(
    dhs: np.ndarray, cache: dict, dstate_last: tuple | None = None
) -> tuple[np.ndarray, tuple, dict]:
    r"""Backward pass of :func:`recurrent_dropout_forward`.

    Parameters
    ----------
    dhs : ndarray of shape (T, N, H)
        Gradient with respect to every hidden state.
    cache : dict
        From :func:`recurrent_dropout_forward`.
    dstate_last : tuple of ndarray of shape (N, H), optional
        Gradient with respect to the final state (zeros when None).

    Returns
    -------
    dX : ndarray of shape (T, N, D)
    dstate0 : tuple of ndarray of shape (N, H)
    grads : dict
        Keys and shapes of ``params``.

    Notes
    -----
    The step backward returns the gradient with respect to the masked
    :math:`\tilde h_{t-1} = m \odot h_{t-1}`; the chain rule multiplies it by the
    same mask once more: :math:`\partial h_{t-1} = m \odot \partial \tilde h_{t-1}`.
    A dropped unit therefore passes no gradient back through the recurrence.

    See Also
    --------
    recurrent_dropout_forward
    Book chapter 12, "Training recurrent networks in practice" (dropout).
    """
    check_cache(cache, ("spec", "mask", "steps", "shape"), "recurrent_dropout_forward")
    spec, mask, steps = cache["spec"], cache["mask"], cache["steps"]
    T, N, H = cache["shape"]
    check_array("dhs", dhs, (T, N, H))
    dstate = cells.zero_state(spec, N, H) if dstate_last is None else tuple(dstate_last)
    for name, s in zip(spec.state_names, dstate):
        check_array(f"dstate_last ({name})", s, (N, H))
    grads: dict[str, np.ndarray] = {}
    dxs = []
    for t in range(T - 1, -1, -1):
        dstate = (dstate[0] + dhs[t], *dstate[1:])
        dx, dmasked, g = spec.step_backward(dstate, steps[t])
        dstate = (dmasked[0] * mask, *dmasked[1:])  # through the mask: (N, H)
        dxs.append(dx)
        for k, v in g.items():
            grads[k] = grads[k] + v if k in grads else v
    dX = np.stack(dxs[::-1])  # (T, N, D)
    return dX, dstate, grads
