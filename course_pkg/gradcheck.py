"""Gradient checking by central differences.

A backward pass is only trusted after it agrees with the slow, obvious
derivative: nudge one number by ``+eps`` and ``-eps``, rerun the forward pass,
and divide the change in the loss by ``2 eps``. Assignment 06 asks students
to run exactly this on their own LSTM backward.

References
----------
CS231n, "Gradient checks" (central differences and relative error).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "check_gradients", "GradCheckResult"]


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference gradient of the scalar ``f()`` with respect to ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored exactly
    afterwards (even if ``f`` raises), so ``f`` should read ``x`` through a
    closure.

    Parameters
    ----------
    f : callable
        Takes no argument and returns a float that depends on ``x``.
    x : ndarray of shape (...), float64
        The array to differentiate with respect to.
    eps : float
        Step size.

    Returns
    -------
    ndarray of shape (...)
        Same shape as ``x``.

    Notes
    -----
    .. math:: \frac{\partial f}{\partial x_k} \approx
              \frac{f(x + \epsilon e_k) - f(x - \epsilon e_k)}{2 \epsilon}

    The error is :math:`O(\epsilon^2)`; with float64 and ``eps = 1e-6`` a
    correct backward usually agrees to a relative error near 1e-9.

    See Also
    --------
    check_gradients
    Book chapter 7, "The whole cell, through time"; assignment 06.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(
            "numerical_gradient needs x to be a float64 numpy array (float32 is too "
            f"coarse for finite differences), got {getattr(x, 'dtype', type(x).__name__)}. "
            "Convert it with x.astype(np.float64) before building f."
        )
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        try:
            x[idx] = old + eps
            f_plus = float(f())
            x[idx] = old - eps
            f_minus = float(f())
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    r"""Relative error between two gradients, as in the DLS and CS231n checks.

    Parameters
    ----------
    a, b : ndarray of shape (...)
        Two gradients of one shape (analytic and numerical).
    floor : float
        Smallest denominator.

    Returns
    -------
    float
        0 for identical arrays, up to 1 for unrelated ones.

    Notes
    -----
    .. math:: \frac{\lVert a - b \rVert_2}{\max(\lVert a \rVert_2 + \lVert b \rVert_2,
              \text{floor})}

    Norms over the whole array make the measure robust to entries where the
    true gradient is zero (finite-difference noise there would give an
    elementwise relative error of order 1). The floor keeps two all-zero
    gradients from dividing by zero. Below 1e-7 in float64 is a pass.

    See Also
    --------
    check_gradients
    Book chapter 7, "The whole cell, through time"; assignment 06.

    Examples
    --------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"relative_error compares arrays of one shape, got {a.shape} and {b.shape}. "
            "Check that the analytic gradient has the shape of the variable."
        )
    if a.size == 0:
        return 0.0
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(b)), floor)
    return float(np.linalg.norm(a - b) / denom)


class GradCheckResult(dict):
    """Mapping ``name -> relative error`` with a readable summary.

    ``result.ok`` is True when every error is below the tolerance used.
    """

    def __init__(self, errors: Mapping[str, float], tol: float):
        super().__init__(errors)
        self.tol = tol

    @property
    def ok(self) -> bool:
        return all(err < self.tol for err in self.values())

    @property
    def worst(self) -> tuple[str, float]:
        name = max(self, key=self.__getitem__)
        return name, self[name]

    def __str__(self) -> str:
        lines = [f"gradient check (tolerance {self.tol:.0e}):"]
        for name, err in self.items():
            verdict = "ok" if err < self.tol else "WRONG"
            lines.append(f"  {name:<12} relative error {err:.2e}  {verdict}")
        return "\n".join(lines)


def check_gradients(
    loss_fn: Callable[[], float],
    variables: Mapping[str, np.ndarray],
    analytic: Mapping[str, np.ndarray],
    *,
    eps: float = 1e-6,
    tol: float = 1e-7,
) -> GradCheckResult:
    r"""Compare analytic gradients with central differences, variable by variable.

    Parameters
    ----------
    loss_fn : callable
        Takes no argument and recomputes the scalar loss from ``variables``
        (which are perturbed in place).
    variables : dict of name -> ndarray
        The arrays to check (inputs and parameters alike).
    analytic : dict of name -> ndarray
        The backward pass's gradients, same keys and shapes.
    eps, tol : float
        Finite-difference step and the pass threshold on relative error.

    Returns
    -------
    GradCheckResult
        Relative error per variable; ``.ok`` says whether all pass and
        ``str(result)`` prints a table.

    Notes
    -----
    For every variable :math:`x` the numerical gradient :math:`\hat g` of
    :func:`numerical_gradient` is compared with the analytic :math:`g`:

    .. math:: \text{err}(x) = \frac{\lVert g - \hat g \rVert_2}
              {\lVert g \rVert_2 + \lVert \hat g \rVert_2} < \text{tol}

    Use random, non-zero values for every parameter (biases included): a zero
    bias hides a wrong bias gradient.

    See Also
    --------
    numerical_gradient, relative_error
    Book chapter 7, "The whole cell, through time"; assignment 06.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> w = rng.normal(size=3)
    >>> res = check_gradients(lambda: float(np.sum(w ** 2)), {"w": w}, {"w": 2 * w})
    >>> res.ok
    True
    """
    missing = [k for k in variables if k not in analytic]
    if missing:
        raise ValueError(
            f"check_gradients has no analytic gradient for {missing}; expected one per "
            f"variable {list(variables)}. Return every gradient from your backward."
        )
    errors = {}
    for name, x in variables.items():
        num = numerical_gradient(loss_fn, x, eps=eps)
        ana = np.asarray(analytic[name])
        if ana.shape != x.shape:
            raise ValueError(
                f"analytic gradient for {name} has shape {ana.shape}, expected {x.shape} "
                f"(the shape of {name} itself)."
            )
        errors[name] = relative_error(num, ana)
    return GradCheckResult(errors, tol)
