r"""Stateless optimisers and gradient clipping for parameter dicts.

Parameters and gradients are plain dicts ``{name: ndarray}`` with the same
keys and shapes. Nothing here modifies its arguments: every function returns
new dicts, and an optimiser's state (Adam's moment estimates) is a value that
goes in and comes out, never something hidden inside an object.

* :func:`sgd_step` -- plain gradient descent, ``theta <- theta - lr * g``.
* :func:`adam_init`, :func:`adam_step` -- Adam with bias correction.
* :func:`global_norm`, :func:`clip_by_global_norm` -- rescale all gradients
  together when their joint norm is too large (the cure for exploding
  gradients in chapter 2).
* :func:`clip_by_value` -- clamp every entry to ``[-v, v]``.

A NaN or infinite gradient is rejected with a ValueError: by the time one
appears the update can no longer be repaired, and the usual causes are
exploding gradients (clip them) or a learning rate that is too large.

References
----------
Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic optimization.
ICLR.
Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training
recurrent neural networks. ICML.
Goodfellow, I., Bengio, Y. and Courville, A. (2016). Deep Learning, chapter 8
(optimisation) and section 10.11.1 (clipping gradients). MIT Press.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ._checks import check_array, check_finite

__all__ = [
    "adam_init",
    "adam_step",
    "clip_by_global_norm",
    "clip_by_value",
    "global_norm",
    "sgd_step",
]

Params = dict[str, np.ndarray]


# ---------------------------------------------------------------------------
# validation helpers


def _grad_advice(name: str) -> str:
    """What to try when ``grads[name]`` is not finite (for :func:`check_finite`)."""
    return (f"Exploding gradients? Try clipping (clip_by_global_norm, or "
            f"train(..., clip=1.0)), a smaller learning rate, or a better initialisation; "
            f"then check the backward pass that produced grads['{name}'].")


def _check_grads(grads: object, where: str = "grads") -> None:
    """Check that ``grads`` is a dict of finite float arrays."""
    if not isinstance(grads, Mapping):
        raise ValueError(
            f"{where} must be a dict {{name: ndarray}}, got {type(grads).__name__}."
        )
    for key, g in grads.items():
        check_array(f"{where}['{key}']", g, tuple(f"d{i}" for i in range(np.ndim(g))),
                    {}, finite=False)
        check_finite(f"grads['{key}']", g, _grad_advice(key))


def _check_params_grads(params: object, grads: object) -> None:
    """Check that ``params`` and ``grads`` have the same keys and shapes."""
    if not isinstance(params, Mapping):
        raise ValueError(
            f"params must be a dict {{name: ndarray}}, got {type(params).__name__}."
        )
    _check_grads(grads)
    assert isinstance(grads, Mapping)
    missing = [k for k in params if k not in grads]
    extra = [k for k in grads if k not in params]
    if missing or extra:
        raise ValueError(
            "grads must have exactly the keys of params; "
            f"missing from grads: {missing}, not in params: {extra}. "
            f"Expected keys {list(params)}. Return one gradient per parameter "
            f"from your backward pass."
        )
    for key, p in params.items():
        check_array(f"params['{key}']", p, tuple(f"d{i}" for i in range(np.ndim(p))), {})
        if grads[key].shape != p.shape:
            raise ValueError(
                f"grads['{key}'] has shape {grads[key].shape}, expected {p.shape} "
                f"(the shape of params['{key}']). Check the backward pass for '{key}'."
            )


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}.")
    return value


def _check_beta(name: str, value: float) -> float:
    value = float(value)
    if not (0.0 <= value < 1.0):
        raise ValueError(
            f"{name} must lie in [0, 1), got {value!r}; typical values are "
            f"beta1=0.9 and beta2=0.999."
        )
    return value


# ---------------------------------------------------------------------------
# SGD


def sgd_step(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray],
             lr: float) -> Params:
    r"""One step of plain (stochastic) gradient descent.

    Parameters
    ----------
    params : dict of str -> ndarray
        Current parameters.
    grads : dict of str -> ndarray
        Gradient of the loss for each parameter; same keys and shapes.
    lr : float
        Learning rate :math:`\eta > 0`.

    Returns
    -------
    dict of str -> ndarray
        New parameters, each with the dtype of the old one. The inputs are
        not modified.

    Raises
    ------
    ValueError
        If keys or shapes differ, ``lr`` is not positive, or a gradient holds
        NaN/inf ("exploding gradients? try clipping").

    Notes
    -----
    .. math:: \theta \leftarrow \theta - \eta \, \nabla_\theta L

    See Also
    --------
    adam_step : adaptive step sizes per parameter.
    Book chapter 2, "When memory fades".

    Examples
    --------
    >>> sgd_step({"w": np.array([1.0, 2.0])}, {"w": np.array([0.5, -1.0])}, lr=0.1)
    {'w': array([0.95, 2.1 ])}
    """
    _check_params_grads(params, grads)
    lr = _check_positive("lr", lr)
    return {k: (p - lr * grads[k]).astype(p.dtype, copy=False) for k, p in params.items()}


# ---------------------------------------------------------------------------
# Adam


def adam_init(params: Mapping[str, np.ndarray]) -> dict:
    r"""Fresh Adam state for ``params``: zero moments and step count 0.

    Parameters
    ----------
    params : dict of str -> ndarray

    Returns
    -------
    dict
        ``{"m": {name: zeros}, "v": {name: zeros}, "t": 0}``; ``m`` and ``v``
        have the shapes and dtypes of the parameters.

    Notes
    -----
    :math:`m_0 = 0`, :math:`v_0 = 0`, :math:`t = 0` (Kingma and Ba 2015,
    Algorithm 1).

    See Also
    --------
    adam_step
    Book chapter 7, "The whole cell, through time" (training the LSTM).
    """
    if not isinstance(params, Mapping):
        raise ValueError(
            f"params must be a dict {{name: ndarray}}, got {type(params).__name__}."
        )
    for key, p in params.items():
        check_array(f"params['{key}']", p, tuple(f"d{i}" for i in range(np.ndim(p))), {})
    return {
        "m": {k: np.zeros_like(p) for k, p in params.items()},
        "v": {k: np.zeros_like(p) for k, p in params.items()},
        "t": 0,
    }


def _check_adam_state(state: object, params: Mapping[str, np.ndarray]) -> None:
    if not isinstance(state, Mapping) or not {"m", "v", "t"} <= set(state):
        raise ValueError(
            "state must be the dict returned by adam_init(params) (keys 'm', 'v', 't'), "
            f"got {state!r:.80}."
        )
    t = state["t"]
    if isinstance(t, bool) or not isinstance(t, int | np.integer) or t < 0:
        raise ValueError(f"state['t'] must be a non-negative int step count, got {t!r}.")
    for moment in ("m", "v"):
        mom = state[moment]
        if not isinstance(mom, Mapping) or set(mom) != set(params):
            keys = list(mom) if isinstance(mom, Mapping) else type(mom).__name__
            raise ValueError(
                f"state['{moment}'] must have the keys of params {list(params)}, got {keys}. "
                "Call adam_init(params) again after changing the parameters."
            )
        for k, p in params.items():
            check_array(f"state['{moment}']['{k}']", mom[k], p.shape, {})


def adam_step(
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    state: Mapping,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[Params, dict]:
    r"""One Adam step with bias-corrected moment estimates.

    Parameters
    ----------
    params : dict of str -> ndarray
        Current parameters.
    grads : dict of str -> ndarray
        Gradients, same keys and shapes as ``params``.
    state : dict
        From :func:`adam_init` or a previous :func:`adam_step`.
    lr : float
        Step size :math:`\eta`.
    beta1, beta2 : float in [0, 1)
        Decay rates of the first and second moment estimates.
    eps : float
        Added to the denominator to avoid division by zero.

    Returns
    -------
    new_params : dict of str -> ndarray
    new_state : dict
        The inputs are not modified.

    Raises
    ------
    ValueError
        If keys or shapes differ, a hyperparameter is out of range, the state
        does not belong to these parameters, or a gradient holds NaN/inf.

    Notes
    -----
    With :math:`g_t = \nabla_\theta L` and :math:`t` the step count after
    incrementing (Kingma and Ba 2015, Algorithm 1):

    .. math::
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        \hat m_t &= \frac{m_t}{1 - \beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    The bias correction undoes the pull towards the zero initial moments in
    the first steps. This is the same update as ``torch.optim.Adam`` with its
    default settings (no weight decay, no AMSGrad).

    See Also
    --------
    sgd_step
    Book chapter 7, "The whole cell, through time" (training the LSTM).
    """
    _check_params_grads(params, grads)
    _check_adam_state(state, params)
    lr = _check_positive("lr", lr)
    beta1 = _check_beta("beta1", beta1)
    beta2 = _check_beta("beta2", beta2)
    eps = _check_positive("eps", eps)

    t = int(state["t"]) + 1
    bc1 = 1.0 - beta1**t
    bc2 = 1.0 - beta2**t
    new_params: Params = {}
    new_m: Params = {}
    new_v: Params = {}
    for k, p in params.items():
        g = grads[k]
        m = beta1 * state["m"][k] + (1.0 - beta1) * g  # same shape as p
        v = beta2 * state["v"][k] + (1.0 - beta2) * (g * g)  # same shape as p
        m_hat = m / bc1
        v_hat = v / bc2
        new_params[k] = (p - lr * m_hat / (np.sqrt(v_hat) + eps)).astype(p.dtype, copy=False)
        new_m[k] = m.astype(p.dtype, copy=False)
        new_v[k] = v.astype(p.dtype, copy=False)
    return new_params, {"m": new_m, "v": new_v, "t": t}


# ---------------------------------------------------------------------------
# clipping


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    r"""Euclidean norm of all gradients taken together, as one long vector.

    Parameters
    ----------
    grads : dict of str -> ndarray

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a gradient holds NaN/inf ("exploding gradients? try clipping").

    Notes
    -----
    .. math:: \lVert g \rVert = \sqrt{\sum_{k} \sum_{j} g_{k,j}^2}

    Computed as :math:`s \sqrt{\sum (g / s)^2}` with :math:`s = \max |g|`, so
    huge but finite gradients (say :math:`10^{200}`) do not overflow.

    See Also
    --------
    clip_by_global_norm
    Book chapter 2, "When memory fades" (watching gradients explode).

    Examples
    --------
    >>> global_norm({"W": np.array([[3.0]]), "b": np.array([4.0])})
    5.0
    """
    _check_grads(grads)
    if not grads:
        return 0.0
    scale = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads.values())
    if scale == 0.0:
        return 0.0
    total = sum(float(np.sum((g.astype(np.float64) / scale) ** 2)) for g in grads.values())
    return scale * math.sqrt(total)


def clip_by_global_norm(
    grads: Mapping[str, np.ndarray], max_norm: float
) -> tuple[Params, float]:
    r"""Rescale all gradients together so that their global norm is at most ``max_norm``.

    Parameters
    ----------
    grads : dict of str -> ndarray
    max_norm : float
        The threshold :math:`\tau > 0`.

    Returns
    -------
    clipped : dict of str -> ndarray
        New arrays (the input is not modified), same dtypes.
    norm : float
        The global norm *before* clipping; log it to see explosions coming.

    Raises
    ------
    ValueError
        If ``max_norm`` is not positive or a gradient holds NaN/inf (clipping
        cannot repair those; lower the learning rate or clip earlier).

    Notes
    -----
    Pascanu et al. (2013), Algorithm 1:

    .. math::
        g \leftarrow \begin{cases} \dfrac{\tau}{\lVert g \rVert}\, g &
        \text{if } \lVert g \rVert > \tau \\ g & \text{otherwise} \end{cases}

    The direction of the step is kept and only its length is capped.
    ``torch.nn.utils.clip_grad_norm_`` computes the same thing with
    :math:`\tau / (\lVert g \rVert + 10^{-6})`, so its result is smaller by
    the factor :math:`\lVert g \rVert / (\lVert g \rVert + 10^{-6})`.

    See Also
    --------
    clip_by_value
    Book chapter 2, "When memory fades" (exploding gradients).

    Examples
    --------
    >>> grads = {"W": np.array([[3.0, 0.0]]), "b": np.array([4.0])}
    >>> clipped, norm = clip_by_global_norm(grads, 1.0)
    >>> norm, clipped["W"], clipped["b"]
    (5.0, array([[0.6, 0. ]]), array([0.8]))
    """
    max_norm = _check_positive("max_norm", max_norm)
    norm = global_norm(grads)
    if norm > max_norm:
        scale = max_norm / norm
        clipped = {k: (g * scale).astype(g.dtype, copy=False) for k, g in grads.items()}
    else:
        clipped = {k: g.copy() for k, g in grads.items()}
    return clipped, norm


def clip_by_value(grads: Mapping[str, np.ndarray], value: float) -> Params:
    r"""Clamp every gradient entry to ``[-value, value]``.

    Parameters
    ----------
    grads : dict of str -> ndarray
    value : float
        The bound :math:`v > 0`.

    Returns
    -------
    dict of str -> ndarray
        New arrays; the input is not modified.

    Notes
    -----
    .. math:: g_j \leftarrow \min(\max(g_j, -v), v)

    Unlike :func:`clip_by_global_norm` this changes the *direction* of the
    gradient when only some entries are clamped.

    See Also
    --------
    clip_by_global_norm
    Book chapter 2, "When memory fades" (exploding gradients).
    """
    _check_grads(grads)
    value = _check_positive("value", value)
    return {k: np.clip(g, -value, value) for k, g in grads.items()}
