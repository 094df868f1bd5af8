r"""How far back does a gradient reach? Vanishing and exploding, measured.

Two experiments for chapter 2 ("When memory fades") and chapter 5 ("The
cell state"):

* :func:`gradient_norms_by_distance` puts a loss on the *last* step of an
  untrained network and measures :math:`\lVert \partial L / \partial
  h_{T-k} \rVert` for every distance :math:`k`. For a tanh RNN at the usual
  initialisation the norm falls geometrically (vanishing); with large
  recurrent weights it grows geometrically (exploding); an LSTM whose forget
  gate starts near "keep" (forget bias 1) decays much more slowly, because
  the cell state is a highway whose only factor per step is :math:`f_t`.
* :func:`exploding_gradients` trains a tanh RNN that starts with large
  recurrent weights on the adding problem, with and without clipping the
  gradient by its global norm.

Weight scale
------------
By default every cell uses the package's initialisation: every weight
uniform in :math:`\pm 1/\sqrt{H}` (PyTorch's default), so the recurrent
block :math:`W_h` = ``W[:H]`` has entries of standard deviation
:math:`1/\sqrt{3H}` and spectral radius about :math:`1/\sqrt 3 \approx
0.58`. ``recurrent_scale=s`` replaces every recurrent block by Gaussian
entries of standard deviation :math:`s/\sqrt H`, whose spectral radius is
about :math:`s` (circular law); :math:`s > 1` is the exploding regime of a
tanh RNN, :math:`s < 1` the vanishing one.

References
----------
Bengio, Y., Simard, P. and Frasconi, P. (1994). Learning long-term
dependencies with gradient descent is difficult. IEEE Trans. Neural Networks.
Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training
recurrent neural networks. ICML.
Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory.
Jozefowicz, R., Zaremba, W. and Sutskever, I. (2015). An empirical
exploration of recurrent network architectures. ICML (forget bias 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .. import cells
from .._checks import check_choice, check_count
from ..optim import clip_by_global_norm, global_norm, sgd_step
from ..rnn import rnn_backward, rnn_forward
from ..tasks import adding_task
from . import single_threaded_blas

__all__ = [
    "init_cell",
    "last_step_problem",
    "gradient_norms_by_distance",
    "compare_gradient_norms",
    "adding_loss_and_grads",
    "exploding_gradients",
]

def _check_cell(cell: object) -> str:
    check_choice("cell", cell, tuple(cells.CELLS))
    return str(cell)


def init_cell(
    cell: str,
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    recurrent_scale: float | None = None,
    forget_bias: float = 1.0,
) -> dict[str, np.ndarray]:
    r"""Parameters of an RNN, LSTM or GRU cell, optionally rescaling the recurrent weights.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    D, H : int
        Input and hidden sizes.
    rng : numpy Generator
    recurrent_scale : float, optional
        If given, every recurrent block ``W[:H]`` is replaced by Gaussian
        entries of standard deviation ``recurrent_scale / sqrt(H)`` (spectral
        radius about ``recurrent_scale``). None keeps the package's uniform
        :math:`\pm 1/\sqrt{H}` initialisation.
    forget_bias : float, default 1.0
        Added to the LSTM's ``b_f`` (ignored for the other cells).

    Returns
    -------
    dict of ndarray
        The cell's parameters (the GRU is the reset-after variant).

    See Also
    --------
    gradient_norms_by_distance
    Book chapter 2, "When memory fades".
    """
    params = cells.init_params(_check_cell(cell), D, H, rng, forget_bias=forget_bias)
    if recurrent_scale is not None:
        if not (math.isfinite(recurrent_scale) and recurrent_scale >= 0):
            raise ValueError(f"recurrent_scale must be >= 0; got {recurrent_scale!r}.")
        for key in sorted(params):
            if key.startswith("W"):
                params[key][:H] = rng.normal(0.0, recurrent_scale / math.sqrt(H), size=(H, H))
    return params


def last_step_problem(
    cell: str, T: int, H: int, D: int, N: int, seed: int, *,
    recurrent_scale: float | None = None, forget_bias: float = 1.0,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    r"""The untrained network, inputs and loss direction of the last-step experiments.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    T, H, D, N : int
        Sequence length, hidden, input and batch sizes (each >= 1).
    seed : int
        Seeds the weights, then the inputs, then :math:`u`, in that order.
    recurrent_scale, forget_bias
        As for :func:`init_cell`.

    Returns
    -------
    params : dict of ndarray
    X : ndarray of shape (T, N, D)
        Standard normal inputs.
    u : ndarray of shape (N, H)
        Unit rows: the loss is :math:`L = \frac1N \sum_n u_n \cdot h_T^{(n)}`.

    Notes
    -----
    :func:`gradient_norms_by_distance` and
    :func:`course_pkg.experiments.highway.highway_only_norms` share it, so the
    two curves of chapter 5's figure come from the very same network.

    See Also
    --------
    Book chapter 2, "When memory fades"; chapter 5, "The cell state".
    """
    T = check_count("T", T, 1)
    H, D, N = (check_count(n, v, 1) for n, v in (("H", H), ("D", D), ("N", N)))
    rng = np.random.default_rng(seed)
    params = init_cell(cell, D, H, rng, recurrent_scale=recurrent_scale,
                       forget_bias=forget_bias)
    X = rng.normal(size=(T, N, D))  # (T, N, D)
    u = rng.normal(size=(N, H))
    u /= np.linalg.norm(u, axis=1, keepdims=True)  # (N, H) unit rows
    return params, X, u


@single_threaded_blas
def gradient_norms_by_distance(
    cell: str = "rnn",
    T: int = 60,
    H: int = 32,
    D: int = 8,
    N: int = 16,
    seed: int = 0,
    *,
    recurrent_scale: float | None = None,
    forget_bias: float = 1.0,
) -> dict:
    r"""Norm of the gradient of a last-step loss with respect to every hidden state.

    An untrained network reads ``T`` random inputs; the loss reads only the
    final hidden state, :math:`L = \frac1N \sum_n u_n \cdot h_T^{(n)}` with
    fixed random unit vectors :math:`u_n`, so
    :math:`\lVert \partial L / \partial h_T \rVert = 1` for every sample.
    The gradient is carried back one step at a time with the cell's own
    step backward and its norm recorded at every distance.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    T : int, default 60
        Sequence length.
    H, D, N : int
        Hidden size, input size and batch size.
    seed : int
        Seeds the weights, the inputs (standard normal) and the :math:`u_n`.
    recurrent_scale : float, optional
        See :func:`init_cell` and the module docstring; None = the package's
        default initialisation.
    forget_bias : float, default 1.0
        LSTM only: the initial forget-gate bias.

    Returns
    -------
    dict
        ``"distance"``: int ndarray of shape (T,), the values 0..T-1;
        ``"norm"``: ndarray of shape (T,), ``norm[k]`` is the batch mean of
        :math:`\lVert \partial L / \partial h_{T-k} \rVert` (per sample,
        before the :math:`1/N`); ``"cell"``: the cell name. For the LSTM also
        ``"cell_norm"``: the same for :math:`\partial L / \partial c_{T-k}`.

    Raises
    ------
    ValueError
        On an unknown cell or a non-positive size.

    Notes
    -----
    For the tanh RNN each step back multiplies by one Jacobian,

    .. math::
        \frac{\partial L}{\partial h_{t-1}} = \Big(\frac{\partial L}{\partial h_t}
        \odot (1 - h_t^2)\Big) W_h^\top ,

    so the norm behaves like a product of :math:`k` factors (Bengio et al.
    1994; Pascanu et al. 2013). The LSTM's cell state adds a path whose
    factor is only :math:`f_t`.

    See Also
    --------
    Book chapter 2, "When memory fades"; chapter 5, "The cell state".
    """
    cell = _check_cell(cell)
    params, X, u = last_step_problem(cell, T, H, D, N, seed, recurrent_scale=recurrent_scale,
                                     forget_bias=forget_bias)
    T, H, N = X.shape[0], u.shape[1], u.shape[0]
    spec = cells.get_cell(cell)
    state = cells.zero_state(spec, N, H)
    caches = []
    for t in range(T):
        state, cache = spec.step_forward(X[t], state, params)
        caches.append(cache)
    dstate = (u, *cells.zero_state(spec, N, H)[1:])  # dL/dh_T = u; dL/dc_T = 0
    norm = np.empty(T)
    cell_norm = np.empty(T)
    for k in range(T):
        norm[k] = np.linalg.norm(dstate[0], axis=1).mean()
        if cell == "lstm":
            # dL/dc_{T-k} as a whole: the highway plus the path through h
            o, tc = caches[T - 1 - k]["h_cache"]  # o_t and tanh(c_t), each (N, H)
            dc_total = dstate[1] + dstate[0] * o * (1.0 - tc * tc)
            cell_norm[k] = np.linalg.norm(dc_total, axis=1).mean()
        _, dstate, _ = spec.step_backward(dstate, caches[T - 1 - k])
    result = {"distance": np.arange(T), "norm": norm, "cell": cell}
    if cell == "lstm":
        result["cell_norm"] = cell_norm
    return result


@single_threaded_blas
def compare_gradient_norms(
    T: int = 60, H: int = 32, D: int = 8, N: int = 16, seed: int = 0,
    *, exploding_scale: float = 3.0,
) -> dict[str, dict]:
    """The four curves of the book's figure, keyed by legend label.

    Parameters
    ----------
    T, H, D, N, seed : int
        As in :func:`gradient_norms_by_distance`.
    exploding_scale : float, default 3.0
        ``recurrent_scale`` of the exploding RNN.

    Returns
    -------
    dict of str -> dict
        ``"RNN"``, ``"RNN, large weights (s=3)"``, ``"LSTM (forget bias 1)"``,
        ``"GRU"``: results of :func:`gradient_norms_by_distance`, ready for
        :func:`course_pkg.plotting.plot_gradient_norms`.

    See Also
    --------
    Book chapter 2, "When memory fades".
    """
    kw = {"T": T, "H": H, "D": D, "N": N, "seed": seed}
    return {
        "RNN": gradient_norms_by_distance("rnn", **kw),
        f"RNN, large weights (s={exploding_scale:g})": gradient_norms_by_distance(
            "rnn", recurrent_scale=exploding_scale, **kw),
        "LSTM (forget bias 1)": gradient_norms_by_distance("lstm", forget_bias=1.0, **kw),
        "GRU": gradient_norms_by_distance("gru", **kw),
    }


def adding_loss_and_grads(
    params: Mapping[str, np.ndarray], batch: tuple[np.ndarray, np.ndarray]
) -> tuple[float, dict[str, np.ndarray]]:
    r"""Mean squared error of a tanh RNN with a linear read-out on the adding problem.

    Parameters
    ----------
    params : dict
        ``W`` (H + 2, H), ``b`` (H,): the RNN; ``W_out`` (H, 1), ``b_out`` (1,):
        the read-out of the last hidden state.
    batch : tuple
        ``(X, y)`` from :func:`course_pkg.tasks.adding_task`: X of shape
        (T, N, 2), y of shape (N,).

    Returns
    -------
    loss : float
    grads : dict of ndarray
        Same keys and shapes as ``params``.

    Notes
    -----
    .. math:: \hat y = h_T W_{out} + b_{out}, \qquad
              L = \frac1N \sum_n (\hat y_n - y_n)^2

    See Also
    --------
    exploding_gradients, course_pkg.tasks.adding_task
    Book chapter 2, "When memory fades" (exploding gradients and clipping).
    """
    X, y = batch
    N = X.shape[1]
    H = params["b"].shape[0]
    rnn_params = {"W": params["W"], "b": params["b"]}
    hs, cache = rnn_forward(X, np.zeros((N, H)), rnn_params)
    pred = hs[-1] @ params["W_out"] + params["b_out"]  # (N, 1)
    err = pred[:, 0] - y  # (N,)
    loss = float(np.mean(err**2))
    dpred = (2.0 / N) * err[:, None]  # (N, 1)
    dhs = np.zeros_like(hs)
    dhs[-1] = dpred @ params["W_out"].T  # (N, H)
    _, _, grads = rnn_backward(dhs, cache)
    grads["W_out"] = hs[-1].T @ dpred  # (H, 1)
    grads["b_out"] = dpred.sum(axis=0)  # (1,)
    return loss, grads


@single_threaded_blas
def exploding_gradients(
    seed: int = 0,
    steps: int = 300,
    clip: float | None = None,
    *,
    T: int = 40,
    H: int = 32,
    N: int = 32,
    lr: float = 0.1,
    recurrent_scale: float = 3.0,
    max_loss: float = 1e12,
) -> dict:
    r"""Train a tanh RNN with large recurrent weights on the adding problem.

    Plain SGD, a fresh batch every step, the gradient optionally clipped by
    its global norm before each step (Pascanu et al. 2013). Run it once
    without and once with ``clip`` to see what clipping buys.

    Parameters
    ----------
    seed : int
        Seeds the weights and every batch; the same seed gives the same
        curves.
    steps : int, default 300
        Training steps.
    clip : float, optional
        Maximum global gradient norm; None trains without clipping.
    T, H, N : int
        Sequence length, hidden size and batch size.
    lr : float
        SGD learning rate.
    recurrent_scale : float, default 3.0
        Standard deviation times :math:`\sqrt H` of the recurrent weights
        (spectral radius about 3: the exploding regime; see the module
        docstring). Input weights and biases keep the default initialisation;
        the read-out starts at zero.
    max_loss : float, default 1e12
        A loss above this counts as divergence and ends the run (the loss
        starts near 1; left alone it would reach ``inf`` a few hundred steps
        later).

    Returns
    -------
    dict
        ``"loss"``: list of float, the training loss before each step;
        ``"grad_norm"``: the global gradient norm before clipping;
        ``"clipped_norm"``: the global norm of the gradient actually applied
        (equal to ``grad_norm`` without clipping); ``"diverged_at"``: the
        step at which the loss exceeded ``max_loss`` or the loss or a
        gradient stopped being finite (None if that never happened; the
        lists then end just before it).

    Raises
    ------
    ValueError
        On a non-positive ``steps`` or ``clip``.

    Notes
    -----
    .. math:: g \leftarrow \min\!\Big(1, \frac{\tau}{\lVert g \rVert}\Big)\, g,
              \qquad \theta \leftarrow \theta - \eta\, g

    Predicting the constant 1 scores a loss of 1/6; below that the model has
    learned something.

    See Also
    --------
    course_pkg.optim.clip_by_global_norm
    Book chapter 2, "When memory fades".
    """
    steps = check_count("steps", steps, 1)
    if clip is not None and not (math.isfinite(clip) and clip > 0):
        raise ValueError(f"clip must be None or a positive float; got {clip!r}.")
    rng = np.random.default_rng(seed)
    params = init_cell("rnn", 2, H, rng, recurrent_scale=recurrent_scale)
    params["W_out"] = np.zeros((H, 1))
    params["b_out"] = np.zeros(1)
    data_rng = np.random.default_rng([seed, 1])
    history: dict = {"loss": [], "grad_norm": [], "clipped_norm": [], "diverged_at": None}
    for step in range(steps):
        batch = adding_task(N, T, data_rng)
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                loss, grads = adding_loss_and_grads(params, batch)
                finite = loss <= max_loss and all(np.all(np.isfinite(g))
                                                     for g in grads.values())
            except ValueError:  # the forward refuses non-finite parameters
                finite = False
            if not finite:
                history["diverged_at"] = step
                break
            norm = global_norm(grads)
            if clip is not None:
                grads, _ = clip_by_global_norm(grads, clip)
            applied = global_norm(grads)
            new = sgd_step(params, grads, lr)
            if not all(np.all(np.isfinite(p)) for p in new.values()):
                history["diverged_at"] = step
                break
            params = new
        history["loss"].append(loss)
        history["grad_norm"].append(norm)
        history["clipped_norm"].append(applied)
    return history
