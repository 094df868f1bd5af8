r"""A small training loop: batches in, parameters and a history out.

The loop knows nothing about the model. You give it a function
``loss_and_grads(params, batch) -> (loss, grads)`` (a forward pass, a loss
and a backward pass), the starting parameters and the batches; it applies
the optimiser step by step and records what happened::

    params, history = train(loss_and_grads, params, batches, lr=1e-2, epochs=5,
                            clip=1.0)
    history["loss"]       # one entry per step
    history["grad_norm"]  # global gradient norm per step, before clipping

Logging the gradient norm *before* clipping is deliberate: it is the number
that tells you gradients are exploding (chapter 2), while clipping keeps
the step itself bounded.

If the loss becomes NaN or infinite the loop stops with
:class:`TrainingDiverged`, a ValueError that names the step, suggests
clipping or a smaller learning rate, and carries the history recorded so
far (``err.history``) and the last finite parameters (``err.params``).

References
----------
Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training
recurrent neural networks. ICML.
Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic optimization.
ICLR.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .optim import adam_init, adam_step, clip_by_global_norm, global_norm, sgd_step

__all__ = ["TrainingDiverged", "train"]

#: Default learning rate per optimiser when ``lr`` is not given.
DEFAULT_LR = types.MappingProxyType({"adam": 1e-3, "sgd": 1e-2})

_RESERVED = ("loss", "grad_norm", "eval", "epoch", "epoch_loss")


class TrainingDiverged(ValueError):
    """The loss (or a gradient) became NaN or infinite during :func:`train`.

    Attributes
    ----------
    history : dict of lists
        Everything recorded before the failing step.
    params : dict of ndarray
        The last parameters that gave a finite loss.
    step : int
        The 1-based index of the failing step.
    """

    def __init__(self, message: str, *, history: dict, params: dict, step: int):
        super().__init__(message)
        self.history = history
        self.params = params
        self.step = step


def _check_inputs(params: object, batches: object, optimizer: str, epochs: int,
                  clip: float | None) -> None:
    if not isinstance(params, Mapping) or not params:
        raise ValueError(
            "params must be a non-empty dict {name: ndarray}, e.g. from init_lstm_params, "
            f"got {type(params).__name__}."
        )
    for k, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype not in (np.float64, np.float32):
            raise ValueError(
                f"params['{k}'] must be a float64 (or float32) numpy array, "
                f"got {getattr(p, 'dtype', type(p).__name__)}."
            )
    if not (callable(batches) or isinstance(batches, Sequence)):
        raise ValueError(
            "batches must be a list of batches (reused every epoch) or a callable "
            f"(epoch, rng) -> iterable of batches, got {type(batches).__name__}. "
            "A generator would be used up after the first epoch: wrap it in list(...) "
            "or in a function."
        )
    if optimizer not in DEFAULT_LR:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}.")
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}.")
    if clip is not None and not (math.isfinite(float(clip)) and float(clip) > 0):
        raise ValueError(f"clip must be None or a positive max gradient norm, got {clip!r}.")


def _record_eval(history: dict, value: Any) -> None:
    history["eval"].append(value)
    if isinstance(value, Mapping):
        for key, v in value.items():
            name = f"eval_{key}" if key in _RESERVED else str(key)
            history.setdefault(name, []).append(v)


def train(
    loss_and_grads: Callable[[dict, Any], tuple[float, dict]],
    params: Mapping[str, np.ndarray],
    batches: Sequence[Any] | Callable[[int, np.random.Generator], Iterable[Any]],
    *,
    optimizer: str = "adam",
    lr: float | None = None,
    epochs: int = 1,
    clip: float | None = None,
    progress: bool = True,
    seed: int | np.random.Generator | None = None,
    eval_fn: Callable[[dict], Any] | None = None,
    **optimizer_kwargs: float,
) -> tuple[dict[str, np.ndarray], dict[str, list]]:
    r"""Train ``params`` by gradient descent on the given batches.

    Parameters
    ----------
    loss_and_grads : callable
        ``loss_and_grads(params, batch) -> (loss, grads)``: a float loss and a
        dict of gradients with the keys and shapes of ``params``.
    params : dict of str -> ndarray
        Starting parameters. Never modified: the loop works on copies.
    batches : list or callable
        Either a list of batches, reused in the same order every epoch, or a
        callable ``batches(epoch, rng) -> iterable of batches`` (``epoch``
        counts from 0, ``rng`` is the loop's seeded Generator), for example
        to reshuffle or to draw fresh toy data every epoch.
    optimizer : {"adam", "sgd"}
    lr : float, optional
        Learning rate; default 1e-3 for Adam and 1e-2 for SGD.
    epochs : int
        Passes over ``batches``.
    clip : float, optional
        If given, gradients are rescaled to global norm at most ``clip``
        (:func:`course_pkg.optim.clip_by_global_norm`) before each step.
    progress : bool
        Show a tqdm progress bar on stderr; ``False`` prints nothing.
    seed : int or Generator, optional
        Seeds the Generator handed to a callable ``batches``.
    eval_fn : callable, optional
        ``eval_fn(params) -> value``, called once at the end of every epoch.
        The value (a float or a dict such as ``{"accuracy": 0.9}``) is
        appended to ``history["eval"]``; the entries of a dict are also
        appended to ``history[key]``.
    **optimizer_kwargs
        Passed to :func:`course_pkg.optim.adam_step` (``beta1``, ``beta2``,
        ``eps``); must be empty for SGD.

    Returns
    -------
    params : dict of str -> ndarray
        The trained parameters (new arrays).
    history : dict of lists
        ``"loss"`` and ``"grad_norm"`` (before clipping) and ``"epoch"``: one
        entry per step; ``"epoch_loss"``: the mean loss of every epoch;
        ``"eval"`` (and the keys of a dict-valued ``eval_fn``) if ``eval_fn``
        is given: one entry per epoch.

    Raises
    ------
    TrainingDiverged
        (a ValueError) if the loss or a gradient becomes NaN/inf. The message
        names the step and suggests ``clip`` or a smaller ``lr``;
        ``err.history`` holds the history up to the last good step and
        ``err.params`` the last good parameters.
    ValueError
        On malformed arguments.

    Notes
    -----
    Every step does

    .. math::
        (L, g) = \text{loss\_and\_grads}(\theta, B), \quad
        g \leftarrow \min\!\Big(1, \frac{\tau}{\lVert g \rVert}\Big) g, \quad
        \theta \leftarrow \text{step}(\theta, g)

    with :math:`\tau` = ``clip`` and step = SGD or Adam.

    See Also
    --------
    course_pkg.optim
    Book chapter 7, "The whole cell, through time" (training on the
    agreement task).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 3)); y = X @ np.array([1.0, -2.0, 0.5])
    >>> def lg(p, batch):
    ...     xb, yb = batch
    ...     r = xb @ p["w"] - yb                      # (B,)
    ...     return float(np.mean(r ** 2)), {"w": 2 * xb.T @ r / len(yb)}
    >>> p, h = train(lg, {"w": np.zeros(3)}, [(X, y)], optimizer="sgd", lr=0.1,
    ...              epochs=200, progress=False)
    >>> bool(h["loss"][-1] < 1e-8)
    True
    """
    _check_inputs(params, batches, optimizer, epochs, clip)
    if optimizer == "sgd" and optimizer_kwargs:
        raise ValueError(f"sgd takes no extra options, got {sorted(optimizer_kwargs)}.")
    lr = DEFAULT_LR[optimizer] if lr is None else float(lr)
    from tqdm import tqdm  # imported here: nothing but numpy at import time

    rng = np.random.default_rng(seed)
    current = {k: np.array(v, copy=True) for k, v in params.items()}
    state = adam_init(current) if optimizer == "adam" else None
    history: dict[str, list] = {"loss": [], "grad_norm": [], "epoch": [], "epoch_loss": []}
    if eval_fn is not None:
        history["eval"] = []

    total = epochs * len(batches) if isinstance(batches, Sequence) else None
    step = 0
    with tqdm(total=total, disable=not progress, desc="train", unit="step") as bar:
        for epoch in range(epochs):
            epoch_batches = batches(epoch, rng) if callable(batches) else batches
            losses = []
            for batch in epoch_batches:
                step += 1
                loss, grads = loss_and_grads(current, batch)
                loss = float(loss)
                bad = None
                if not math.isfinite(loss):
                    bad = f"the loss became {loss}"
                elif isinstance(grads, Mapping):
                    for k, g in grads.items():
                        if isinstance(g, np.ndarray) and not np.all(np.isfinite(g)):
                            bad = f"grads['{k}'] became non-finite (loss {loss:.4g})"
                            break
                if bad is not None:
                    last = history["loss"][-1] if history["loss"] else None
                    last_txt = f"{last:.4g}" if last is not None else "none yet"
                    raise TrainingDiverged(
                        f"Training diverged at step {step} (epoch {epoch}): {bad}; "
                        f"last finite loss {last_txt}. Exploding gradients? Try clipping "
                        f"(clip=1.0) or a smaller learning rate (lr={lr:g} now). "
                        f"The history so far is in err.history and the last good "
                        f"parameters in err.params.",
                        history=history, params=current, step=step,
                    )
                norm = global_norm(grads)
                if clip is not None:
                    grads, _ = clip_by_global_norm(grads, clip)
                if optimizer == "adam":
                    current, state = adam_step(current, grads, state, lr=lr, **optimizer_kwargs)
                else:
                    current = sgd_step(current, grads, lr)
                history["loss"].append(loss)
                history["grad_norm"].append(norm)
                history["epoch"].append(epoch)
                losses.append(loss)
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{loss:.4g}", refresh=False)
            history["epoch_loss"].append(float(np.mean(losses)) if losses else math.nan)
            if eval_fn is not None:
                _record_eval(history, eval_fn(current))
    return current, history
