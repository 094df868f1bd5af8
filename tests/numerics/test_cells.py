"""The cell registry (course_pkg.cells): shapes, init, steps vs sequences, gradients."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from course_pkg import cells
from course_pkg.cells import (
    CELLS,
    CellSpec,
    cell_sizes,
    get_cell,
    init_params,
    param_shapes,
    random_params,
    zero_state,
)
from course_pkg.gradcheck import check_gradients
from course_pkg.gru import gru_param_shapes, init_gru_params
from course_pkg.lstm import init_lstm_params, lstm_param_shapes
from course_pkg.rnn import init_rnn_params, rnn_param_shapes

#: (name, variant) of every registered cell.
ALL = [("rnn", None), ("lstm", None), ("gru", "reset_after"), ("gru", "cho")]
IDS = ["rnn", "lstm", "gru-reset_after", "gru-cho"]


def test_registry_names_and_states():
    assert tuple(CELLS) == ("rnn", "lstm", "gru")
    assert all(isinstance(spec, CellSpec) for spec in CELLS.values())
    assert {name: spec.n_states for name, spec in CELLS.items()} == {
        "rnn": 1, "lstm": 2, "gru": 1}
    assert CELLS["lstm"].state_names == ("h", "c")
    assert CELLS["gru"].variant == "reset_after"
    assert get_cell("gru", "cho").variant == "cho"
    assert get_cell("gru") is CELLS["gru"] and get_cell(CELLS["lstm"]) is CELLS["lstm"]


@pytest.mark.parametrize(("name", "variant"), ALL, ids=IDS)
def test_shapes_are_the_modules_own(name, variant):
    own = {"rnn": rnn_param_shapes, "lstm": lstm_param_shapes,
           "gru": lambda: gru_param_shapes(variant)}[name]()
    assert param_shapes(name, variant) == own
    renamed = param_shapes(name, variant, input_dim="E")
    assert list(renamed) == list(own)
    for key, shape in renamed.items():
        assert shape == (("H + E", "H") if key.startswith("W") else ("H",))


@pytest.mark.parametrize(("name", "variant"), ALL, ids=IDS)
def test_init_is_the_modules_own(name, variant):
    D, H = 3, 4
    got = init_params(name, D, H, 7, variant=variant, forget_bias=1.5)
    if name == "rnn":
        want = init_rnn_params(D, H, 7)
    elif name == "lstm":
        want = init_lstm_params(D, H, 7, forget_bias=1.5)
    else:
        want = init_gru_params(D, H, 7, variant=variant)
    assert list(got) == list(want)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key])
        assert got[key].shape == ((H + D, H) if key.startswith("W") else (H,))
    assert cell_sizes(name, got, variant) == (D, H)


def test_random_params_draw_order_and_scales():
    rng = np.random.default_rng(3)
    p = random_params("lstm", 2, 3, rng)
    ref = np.random.default_rng(3)
    for gate in "figo":  # each weight, then its bias, gate by gate
        np.testing.assert_array_equal(p[f"W_{gate}"], ref.normal(size=(5, 3)) / np.sqrt(5))
        np.testing.assert_array_equal(p[f"b_{gate}"], ref.normal(size=(3,)))
    one = random_params("gru", 2, 3, np.random.default_rng(0), keys=("W_z", "b_z"),
                        weight_scale=1.0, bias_scale=0.5)
    ref = np.random.default_rng(0)
    assert list(one) == ["W_z", "b_z"]
    np.testing.assert_array_equal(one["W_z"], ref.normal(size=(5, 3)))
    np.testing.assert_array_equal(one["b_z"], ref.normal(size=(3,)) * 0.5)
    with pytest.raises(ValueError, match=r"keys \['W_f'\] are not parameters"):
        random_params("gru", 2, 3, rng, keys=("W_f",))


@pytest.mark.parametrize(("name", "variant"), ALL, ids=IDS)
def test_steps_match_the_sequence(name, variant):
    spec = get_cell(name, variant)
    T, N, D, H = 5, 3, 2, 4
    rng = np.random.default_rng(1)
    params = random_params(spec, D, H, rng)
    X = rng.normal(size=(T, N, D))
    state0 = tuple(rng.normal(size=(N, H)) for _ in range(spec.n_states))
    hs, last, seq_cache = spec.forward(X, state0, params)
    assert hs.shape == (T, N, H) and len(last) == spec.n_states
    state, caches = state0, []
    for t in range(T):
        state, cache = spec.step_forward(X[t], state, params)
        caches.append(cache)
        np.testing.assert_allclose(state[0], hs[t], rtol=1e-12, atol=1e-13)
    for a, b in zip(state, last):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    # backward: a gradient on the last state only, through steps and through the sequence
    dstate = tuple(rng.normal(size=(N, H)) for _ in range(spec.n_states))
    dX_seq, d0_seq, g_seq = spec.backward(np.zeros_like(hs), seq_cache, dstate)
    d, g_sum = dstate, None
    dX_steps = np.empty_like(X)
    for t in range(T - 1, -1, -1):
        dX_steps[t], d, g = spec.step_backward(d, caches[t])
        g_sum = g if g_sum is None else {k: g_sum[k] + g[k] for k in g}
    np.testing.assert_allclose(dX_steps, dX_seq, rtol=1e-10, atol=1e-12)
    for a, b in zip(d, d0_seq):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert list(g_seq) == list(params)
    for k in params:
        np.testing.assert_allclose(g_sum[k], g_seq[k], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "variant"), ALL, ids=IDS)
def test_step_backward_gradient_check(name, variant):
    spec = get_cell(name, variant)
    N, D, H = 2, 3, 4
    rng = np.random.default_rng(5)
    params = random_params(spec, D, H, rng)  # non-zero biases
    assert all(np.abs(params[k]).min() > 0 for k in params if k.startswith("b"))
    x = rng.normal(size=(N, D))
    state = tuple(rng.normal(size=(N, H)) for _ in range(spec.n_states))
    upstream = tuple(rng.normal(size=(N, H)) for _ in range(spec.n_states))

    def loss_fn():
        out, _ = spec.step_forward(x, state, params)
        return float(sum(np.sum(u * o) for u, o in zip(upstream, out)))

    _, cache = spec.step_forward(x, state, params)
    dx, dstate, grads = spec.step_backward(upstream, cache)
    variables = {"x": x, **{f"state{k}": s for k, s in enumerate(state)}, **params}
    analytic = {"x": dx, **{f"state{k}": s for k, s in enumerate(dstate)}, **grads}
    assert check_gradients(loss_fn, variables, analytic).ok


def test_zero_state_and_sizes():
    assert [s.shape for s in zero_state("lstm", 2, 3)] == [(2, 3), (2, 3)]
    (h,) = zero_state("gru", 2, 3, np.float32, variant="cho")
    assert h.dtype == np.float32 and not h.any()
    with pytest.raises(ValueError, match="must hold 'W'"):
        cell_sizes("rnn", {"W_f": np.zeros((5, 3))})


def test_unknown_cells_and_bad_states_are_refused():
    with pytest.raises(ValueError, match="cell must be one of 'rnn', 'lstm', 'gru'; got 'cnn'"):
        get_cell("cnn")
    with pytest.raises(ValueError, match="cell must be one of"):
        init_params("transformer", 2, 3)
    with pytest.raises(ValueError, match="variant must be one of"):
        param_shapes("gru", "reset_before")
    with pytest.raises(ValueError, match="variant applies to the GRU only"):
        get_cell("lstm", "cho")
    with pytest.raises(ValueError, match="disagrees"):
        get_cell(CELLS["gru"], "cho")
    spec = CELLS["lstm"]
    params = init_params(spec, 2, 3)
    with pytest.raises(ValueError, match=r"state must be a tuple of 2 array\(s\)"):
        spec.step_forward(np.zeros((1, 2)), (np.zeros((1, 3)),), params)
    with pytest.raises(ValueError, match="state0 must be a tuple of 1"):
        cells.CELLS["rnn"].forward(np.zeros((2, 1, 2)), np.zeros((1, 3)),
                                   init_params("rnn", 2, 3))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_fused_gate_layout_round_trips(cell):
    """fuse_gates stacks the gates as the sequence passes do; split_gate_grads undoes it."""
    from course_pkg._fused import fuse_gates, split_gate_grads

    gates = importlib.import_module(f"course_pkg.{cell}").GATES
    D, H = 3, 4
    params = random_params(cell, D, H, np.random.default_rng(5))
    W_h, W_x, b = fuse_gates(params, gates, H)
    G = len(gates)
    assert W_h.shape == (H, G * H) and W_x.shape == (D, G * H) and b.shape == (G * H,)
    np.testing.assert_array_equal(W_h[:, H : 2 * H], params[f"W_{gates[1]}"][:H])
    back = split_gate_grads(W_h, W_x, b, gates, H)
    assert set(back) == {f"{w}_{g}" for g in gates for w in "Wb"}
    for key, value in back.items():
        np.testing.assert_array_equal(value, params[key], err_msg=key)
