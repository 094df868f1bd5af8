"""Helpers shared by the recurrent-cell tests (test_rnn, test_lstm, test_gru; test-only).

The cells are reached through the registry :mod:`course_pkg.cells`, so one
helper serves the RNN, the LSTM and both GRU variants:

* :data:`SHAPES`, :data:`TOL`: the (T, N, D, H) grid (N = 1, H = 1, D != H
  and D == H all appear) and the gradient-check tolerance;
* :func:`make_case`: random inputs, states, parameters and upstream gradients;
* :data:`PROPERTY_CASES`, :func:`large_inputs`: the property tests' draws;
* :func:`run_steps`: the sequence, one ``step_forward`` at a time;
* :func:`accumulate_step_backward`: the sequence's backward, one
  ``step_backward`` at a time;
* :func:`assert_gradcheck`: a backward against central differences;
* :func:`assert_one_state_backward`: the same, for an RNN or GRU step or sequence;
* :func:`run_python`: run code in a fresh interpreter (import checks).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import strategies as st

from course_pkg.cells import get_cell, random_params
from course_pkg.gradcheck import check_gradients

#: (T, N, D, H): N = 1, H = 1, D != H and D == H all appear.
SHAPES = [(3, 1, 2, 1), (4, 2, 3, 5), (2, 3, 4, 4), (5, 2, 1, 3)]
TOL = 1e-7


#: Hypothesis strategies of the property tests: sizes, a seed and the input scale
#: (``@given(**PROPERTY_CASES)``; the GRU adds its variant).
PROPERTY_CASES = {
    "T": st.integers(1, 4), "N": st.integers(1, 3), "D": st.integers(1, 4),
    "H": st.integers(1, 4), "seed": st.integers(0, 2**16), "scale": st.floats(0.1, 50.0),
}


def large_inputs(T, N, D, H, seed, scale):
    """``rng, X, h0``: ``X`` (T, N, D) uniform in +-``scale``, ``h0`` (N, H) uniform in +-1."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-scale, scale, size=(T, N, D))
    h0 = rng.uniform(-1, 1, size=(N, H))
    return rng, X, h0


def normal_params(cell, D, H, rng, variant=None, scale=1.0):
    """Every parameter (biases included) drawn from a normal times ``scale``: no zeros
    to hide a wrong bias."""
    return random_params(cell, D, H, rng, variant=variant, weight_scale=scale,
                         bias_scale=scale)


def make_case(cell, shape, seed, variant=None):
    """``X, *state0, params, dhs, *dstate_last[1:]`` for ``cell``, drawn from ``seed``.

    The RNN and the GRU give ``X, h0, params, dhs``; the LSTM gives
    ``X, h0, c0, params, dhs, dc_last``.
    """
    n_states = get_cell(cell, variant).n_states
    T, N, D, H = shape
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, N, D))
    state0 = [rng.normal(size=(N, H)) for _ in range(n_states)]
    params = normal_params(cell, D, H, rng, variant)
    dhs = rng.normal(size=(T, N, H))
    extra = [rng.normal(size=(N, H)) for _ in range(n_states - 1)]
    return (X, *state0, params, dhs, *extra)


def run_steps(cell, X, state0, params, variant=None):
    """``(states, caches)``: each state stacked over time (T, N, H), one cache per step."""
    spec = get_cell(cell, variant)
    state, steps, caches = tuple(state0), [], []
    for t in range(X.shape[0]):
        state, cache = spec.step_forward(X[t], state, params)
        steps.append(state)
        caches.append(cache)
    return tuple(np.stack(s) for s in zip(*steps, strict=True)), caches


def accumulate_step_backward(cell, dhs, caches, X, params, dstate_last, variant=None):
    """``(dX, dstate0, grads)`` from ``step_backward`` run backwards through time.

    ``dstate_last`` is the upstream gradient of the last state (a tuple, one
    entry per state); ``dhs[t]`` is added to the ``h`` entry at every step.
    """
    spec = get_cell(cell, variant)
    dstate = tuple(d.copy() for d in dstate_last)
    total = {k: np.zeros_like(v) for k, v in params.items()}
    dXs = np.zeros_like(X)
    for t in range(X.shape[0] - 1, -1, -1):
        dXs[t], dstate, g = spec.step_backward((dhs[t] + dstate[0], *dstate[1:]), caches[t])
        for k in total:
            total[k] += g[k]
    return dXs, dstate, total


def assert_gradcheck(loss, inputs, params, grads):
    """Assert that a backward's gradients match central differences of ``loss``.

    ``inputs`` maps each input's name to ``(value, its gradient)``; ``grads``
    must have exactly the keys of ``params``.
    """
    assert set(grads) == set(params)
    res = check_gradients(loss, {**{k: v for k, (v, _) in inputs.items()}, **params},
                          {**{k: g for k, (_, g) in inputs.items()}, **grads}, tol=TOL)
    assert res.ok, str(res)


def assert_one_state_backward(forward, backward, inputs, dout, params, **kw):
    """Gradient-check ``backward`` of a one-state forward (the RNN's or the GRU's).

    ``forward(*inputs.values(), params, **kw)`` returns ``(out, cache)`` and
    ``backward(dout, cache)`` returns one gradient per input, then ``grads``;
    the loss is ``sum(out * dout)``.
    """
    args = list(inputs.values())

    def loss():
        return float(np.sum(forward(*args, params, **kw)[0] * dout))

    _, cache = forward(*args, params, **kw)
    *dinputs, grads = backward(dout, cache)
    assert_gradcheck(loss, {k: (v, d) for (k, v), d in zip(inputs.items(), dinputs, strict=True)},
                     params, grads)


def run_python(code, timeout=120):
    """Run ``code`` in a fresh interpreter; fail on a non-zero exit; return its stdout."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
