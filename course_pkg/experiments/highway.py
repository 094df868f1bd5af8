r"""The LSTM's cell-state highway on its own, next to the full gradient.

Chapter 5 measures :math:`\lVert \partial L / \partial c_{T-k} \rVert` with
:func:`~course_pkg.experiments.gradient_flow.gradient_norms_by_distance`.
That gradient flows along every path: the direct one (the highway, a
factor :math:`f_t` per step) and the indirect ones through
:math:`h_{t-1}` and the gates' weight matrices. :func:`highway_only_norms`
rebuilds the same untrained network and the same inputs and keeps only the
highway, so the two curves can be overlaid: the highway alone can only
shrink (each :math:`f \in (0, 1)`), so any rise of the full curve comes
from the indirect paths.
"""

from __future__ import annotations

import numpy as np

from ..lstm import lstm_forward
from . import single_threaded_blas
from .gradient_flow import last_step_problem

__all__ = ["highway_only_norms"]


@single_threaded_blas
def highway_only_norms(
    T: int = 60,
    H: int = 32,
    D: int = 8,
    N: int = 16,
    seed: int = 0,
    *,
    forget_bias: float = 1.0,
) -> dict:
    r"""Norm of the cell-state gradient carried by the highway alone.

    Same network, inputs and loss as
    ``gradient_norms_by_distance("lstm", T, H, D, N, seed,
    forget_bias=forget_bias)`` (both draw them with
    :func:`~course_pkg.experiments.gradient_flow.last_step_problem`), but
    the gradient that enters the cell state at the last step is carried back
    by the direct term only.

    Parameters
    ----------
    T, H, D, N : int
        Sequence length, hidden, input and batch sizes.
    seed : int
    forget_bias : float, default 1.0
        The LSTM's initial forget-gate bias.

    Returns
    -------
    dict
        ``"distance"``: int ndarray (T,), 0..T-1; ``"norm"``: ndarray (T,),
        batch mean of :math:`\lVert g_{T-k} \rVert` below;
        ``"mean_f"``: mean forget-gate value over steps, samples and units.

    Notes
    -----
    The loss is :math:`L = \frac1N \sum_n u_n \cdot h_T^{(n)}`; the gradient
    entering :math:`c_T` through :math:`h_T = o_T \odot \tanh c_T` is
    :math:`g_T = u \odot o_T \odot (1 - \tanh^2 c_T)`, and the highway alone
    gives

    .. math::
        g_{T-k} = g_T \odot \prod_{j=T-k+1}^{T} f_j ,

    the product of :eq:`eq-ch5-highway` in chapter 5. Its norm is
    non-increasing in :math:`k`.

    See Also
    --------
    course_pkg.experiments.gradient_flow.gradient_norms_by_distance
    Book chapter 5, "The cell state".
    """
    params, X, u = last_step_problem("lstm", T, H, D, N, seed, forget_bias=forget_bias)
    T, N, H = X.shape[0], u.shape[0], u.shape[1]
    zeros = np.zeros((N, H))
    _, cs, cache = lstm_forward(X, zeros, zeros, params)
    f = cache["gates"]["f"]  # (T, N, H)
    o = cache["gates"]["o"]  # (T, N, H)
    tc = np.tanh(cs[-1])  # (N, H)
    g = u * o[-1] * (1.0 - tc * tc)  # (N, H) gradient entering c_T
    norm = np.empty(T)
    for k in range(T):
        norm[k] = np.linalg.norm(g, axis=1).mean()
        g = g * f[T - 1 - k]  # (N, H) one step back along the highway
    return {"distance": np.arange(T), "norm": norm, "mean_f": float(f.mean())}
