"""Stacked, bidirectional, dropout and truncated-BPTT code: gradient checks and PyTorch.

* Every backward (``stacked_backward``, ``bidirectional_backward``,
  ``recurrent_dropout_backward``, ``truncated_bptt``) agrees with central
  differences, with random non-zero biases and random upstream gradients of
  the outputs *and* the final states.
* A 2-layer bidirectional LSTM matches ``torch.nn.LSTM(num_layers=2,
  bidirectional=True)`` in float64 to 1e-10: live (``@pytest.mark.torch``) and
  through the golden fixture ``tests/fixtures/torch_stacked_bilstm.npz``
  (``scripts/make_stacked_fixtures.py``), which also re-derives the layout from
  torch's raw arrays without ``torch_interop``.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg import cells
from course_pkg import torch_interop as ti
from course_pkg.bidirectional import bidirectional_backward, bidirectional_forward
from course_pkg.dropout import (
    dropout_mask,
    recurrent_dropout_backward,
    recurrent_dropout_forward,
    sequence_dropout_mask,
)
from course_pkg.gradcheck import check_gradients
from course_pkg.stacked import (
    init_stacked_params,
    layer_params,
    stacked_backward,
    stacked_forward,
)
from course_pkg.truncated import tbptt_chunks, truncated_bptt, truncated_bptt_step

ATOL = 1e-10
CELLS = ("rnn", "lstm", "gru")
FIXTURE = "torch_stacked_bilstm.npz"


def random_stack(cell, D, H, layers, bidirectional, rng):
    p = init_stacked_params(D, H, layers, 0, cell=cell, bidirectional=bidirectional)
    return {k: rng.normal(size=v.shape) * (0.6 if k.split("_")[-2:-1] == ["W"] or "_W_" in k
                                             else 1.0) for k, v in p.items()}


def random_states(spec, count, N, H, rng):
    return tuple(tuple(rng.normal(size=(N, H)) for _ in spec.state_names) for _ in range(count))


def state_dot(states, weights):
    return sum(float(np.sum(a * b)) for s, w in zip(states, weights) for a, b in zip(s, w))


# --- gradient checks -----------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_stacked_gradcheck_with_dropout_masks(cell, bidirectional, rng):
    T, N, D, H, L = 4, 2, 3, 3, 2
    spec = cells.get_cell(cell)
    n_dir = 2 if bidirectional else 1
    params = random_stack(cell, D, H, L, bidirectional, rng)
    assert all(np.abs(v).min() > 0 for k, v in params.items() if "_b" in k)
    X = rng.normal(size=(T, N, D))
    state0 = random_states(spec, L * n_dir, N, H, rng)
    masks = [sequence_dropout_mask(T, N, H * n_dir, 0.3, rng)]
    out, last, cache = stacked_forward(X, params, cell, state0, masks)
    assert out.shape == (T, N, H * n_dir) and len(last) == L * n_dir
    R = rng.normal(size=out.shape)
    R_last = random_states(spec, L * n_dir, N, H, rng)

    def loss():
        o, s, _ = stacked_forward(X, params, cell, state0, masks)
        return float(np.sum(o * R)) + state_dot(s, R_last)

    dX, d0, grads = stacked_backward(R, cache, R_last)
    assert list(grads) == list(params)
    variables = {"X": X, **params}
    analytic = {"X": dX, **grads}
    for k, s in enumerate(state0):
        for j, a in enumerate(s):
            variables[f"s{k}{j}"] = a
            analytic[f"s{k}{j}"] = d0[k][j]
    result = check_gradients(loss, variables, analytic)
    assert result.ok, str(result)


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_gradcheck_and_layout(cell, rng):
    T, N, D, H = 5, 2, 3, 4
    spec = cells.get_cell(cell)
    p_f = cells.random_params(cell, D, H, rng)
    p_b = cells.random_params(cell, D, H, rng)
    X = rng.normal(size=(T, N, D))
    s0 = random_states(spec, 2, N, H, rng)
    out, (l_f, l_b), cache = bidirectional_forward(X, p_f, p_b, cell, s0)
    # the reverse half is the plain forward on reversed time, flipped back
    hs_r, _, _ = spec.forward(X[::-1], s0[1], p_b)
    np.testing.assert_array_equal(out[:, :, H:], hs_r[::-1])
    np.testing.assert_array_equal(out[0, :, H:], l_b[0])
    np.testing.assert_array_equal(out[-1, :, :H], l_f[0])
    R = rng.normal(size=out.shape)
    R_last = random_states(spec, 2, N, H, rng)

    def loss():
        o, s, _ = bidirectional_forward(X, p_f, p_b, cell, s0)
        return float(np.sum(o * R)) + state_dot(s, R_last)

    dX, d0, (g_f, g_b) = bidirectional_backward(R, cache, R_last)
    variables = {"X": X, **{f"f_{k}": v for k, v in p_f.items()},
                 **{f"b_{k}": v for k, v in p_b.items()}, "h0_rev": s0[1][0]}
    analytic = {"X": dX, **{f"f_{k}": v for k, v in g_f.items()},
                **{f"b_{k}": v for k, v in g_b.items()}, "h0_rev": d0[1][0]}
    result = check_gradients(loss, variables, analytic)
    assert result.ok, str(result)


@pytest.mark.parametrize("cell", ("rnn", "lstm"))
def test_recurrent_dropout_gradcheck(cell, rng):
    T, N, D, H = 5, 3, 2, 4
    spec = cells.get_cell(cell)
    params = cells.random_params(cell, D, H, rng)
    X = rng.normal(size=(T, N, D))
    s0 = random_states(spec, 1, N, H, rng)[0]
    mask = dropout_mask((N, H), 0.5, rng)
    assert 0 < np.count_nonzero(mask) < mask.size
    hs, _, cache = recurrent_dropout_forward(X, s0, params, mask, cell)
    R = rng.normal(size=hs.shape)
    R_last = random_states(spec, 1, N, H, rng)[0]

    def loss():
        h, s, _ = recurrent_dropout_forward(X, s0, params, mask, cell)
        return float(np.sum(h * R)) + state_dot([s], [R_last])

    dX, d0, grads = recurrent_dropout_backward(R, cache, R_last)
    variables = {"X": X, "h0": s0[0], **params}
    analytic = {"X": dX, "h0": d0[0], **grads}
    result = check_gradients(loss, variables, analytic)
    assert result.ok, str(result)
    # a dropped unit of h0 gets no gradient through the recurrence
    assert np.all(d0[0][mask == 0] == 0)


@pytest.mark.parametrize("cell", ("rnn", "lstm"))
def test_recurrent_dropout_with_ones_is_the_plain_cell(cell, rng):
    spec = cells.get_cell(cell)
    params = cells.random_params(cell, 2, 3, rng)
    X = rng.normal(size=(6, 2, 2))
    s0 = cells.zero_state(cell, 2, 3)
    hs, last, _ = recurrent_dropout_forward(X, s0, params, np.ones((2, 3)), cell)
    hs2, last2, _ = spec.forward(X, s0, params)
    np.testing.assert_allclose(hs, hs2, atol=1e-14)
    np.testing.assert_allclose(last[-1], last2[-1], atol=1e-14)


def test_recurrent_dropout_rejects_the_gru():
    with pytest.raises(ValueError, match="cell='gru' is not supported"):
        recurrent_dropout_forward(np.zeros((2, 1, 1)), (np.zeros((1, 2)),),
                                  cells.init_params("gru", 1, 2), np.ones((1, 2)), "gru")


def test_dropout_masks_are_inverted_and_variational_repeats(rng):
    m = dropout_mask((2000,), 0.25, rng)
    assert set(np.unique(m)) <= {0.0, 1.0 / 0.75}
    assert abs(m.mean() - 1.0) < 0.05
    np.testing.assert_array_equal(dropout_mask((3, 2), 0.0, rng), np.ones((3, 2)))
    v = sequence_dropout_mask(5, 3, 4, 0.5, rng, variational=True)
    assert v.shape == (5, 3, 4) and all(np.array_equal(v[0], v[t]) for t in range(5))
    s = sequence_dropout_mask(50, 3, 4, 0.5, rng)
    assert not all(np.array_equal(s[0], s[t]) for t in range(50))
    with pytest.raises(ValueError, match=r"p \(the drop probability\) must lie in \[0, 1\)"):
        dropout_mask((2,), 1.0, rng)
    with pytest.raises(ValueError, match="rng must be a numpy Generator"):
        dropout_mask((2,), 0.5, 0)


# --- truncated BPTT ------------------------------------------------------------------


def test_tbptt_chunks_cover_the_sequence():
    assert tbptt_chunks(7, 3) == (slice(0, 3), slice(3, 6), slice(6, 7))
    assert tbptt_chunks(4, 10) == (slice(0, 4),)
    for T, k in [(1, 1), (10, 3), (12, 4)]:
        covered = np.concatenate([np.arange(T)[c] for c in tbptt_chunks(T, k)])
        np.testing.assert_array_equal(covered, np.arange(T))
    with pytest.raises(ValueError, match="k"):
        tbptt_chunks(5, 0)


@pytest.mark.parametrize("cell", CELLS)
def test_truncated_bptt_full_chunk_is_bptt_and_gradchecks(cell, rng):
    T, N, D, H = 6, 2, 3, 4
    params = cells.random_params(cell, D, H, rng)
    X = rng.normal(size=(T, N, D))
    w = rng.normal(size=(T, N, H))

    def lin(hs, chunk):
        return float(np.sum(w[chunk] * hs)), w[chunk], {}

    loss, grads, dX, _ = truncated_bptt(X, params, lin, T, cell)

    def f():
        hs, _, _ = cells.get_cell(cell).forward(X, cells.zero_state(cell, N, H), params)
        return float(np.sum(w * hs))

    assert np.isclose(loss, f())
    result = check_gradients(f, {"X": X, **params}, {"X": dX, **grads})
    assert result.ok, str(result)


def test_truncated_gradient_is_the_chunkwise_gradient(rng):
    """With k < T: same loss; the gradient equals the sum of per-chunk gradients with the
    carried state held constant (checked by finite differences chunk by chunk)."""
    cell, T, N, D, H, k = "lstm", 6, 2, 3, 4, 2
    spec = cells.get_cell(cell)
    params = cells.random_params(cell, D, H, rng)
    X = rng.normal(size=(T, N, D))
    w = rng.normal(size=(T, N, H))

    def lin(hs, chunk):
        return float(np.sum(w[chunk] * hs)), w[chunk], {}

    full = truncated_bptt(X, params, lin, T, cell)
    cut = truncated_bptt(X, params, lin, k, cell)
    assert np.isclose(full[0], cut[0])
    assert not np.allclose(full[1]["W_f"], cut[1]["W_f"])
    # inputs before the last chunk get nothing from the last chunk's loss
    last = np.zeros_like(w)
    last[-1] = w[-1]
    _, _, dX, _ = truncated_bptt(X, params, lambda hs, c: (float(np.sum(last[c] * hs)),
                                                            last[c], {}), k, cell)
    assert np.all(dX[: T - k] == 0) and np.any(dX[T - k:] != 0)
    # chunk by chunk, finite differences with the incoming state frozen
    state = cells.zero_state(cell, N, H)
    total = {key: np.zeros_like(v) for key, v in params.items()}
    for chunk in tbptt_chunks(T, k):
        frozen = tuple(s.copy() for s in state)

        def f(chunk=chunk, frozen=frozen):
            hs, _, _ = spec.forward(X[chunk], frozen, params)
            return float(np.sum(w[chunk] * hs))

        _, g, _, state = truncated_bptt_step(X[chunk], state, params,
                                                lambda hs, c=chunk: lin(hs, c), cell)
        result = check_gradients(f, dict(params), {key: g[key] for key in params})
        assert result.ok, str(result)
        for key in total:
            total[key] += g[key]
    for key in total:
        np.testing.assert_allclose(cut[1][key], total[key], atol=1e-12)


def test_truncated_bptt_step_checks_the_callback(rng):
    params = cells.init_params("lstm", 2, 3, 0)
    X = rng.normal(size=(3, 1, 2))
    state = cells.zero_state("lstm", 1, 3)
    with pytest.raises(ValueError, match=r"chunk_loss must return \(loss, dhs, extra_grads\)"):
        truncated_bptt_step(X, state, params, lambda hs: (0.0, hs), "lstm")
    with pytest.raises(ValueError, match="reuse the cell's keys"):
        truncated_bptt_step(X, state, params,
                            lambda hs: (0.0, np.zeros_like(hs), {"W_f": 0}), "lstm")


# --- structure and errors ------------------------------------------------------------


def test_init_stacked_params_shapes_and_layer_params():
    p = init_stacked_params(3, 4, 3, 0, cell="gru", bidirectional=True)
    assert p["l0_W_z"].shape == (7, 4) and p["l2_reverse_W_n"].shape == (12, 4)
    assert set(layer_params(p, 1)) == set(cells.param_shapes("gru"))
    assert set(layer_params(p, 1, reverse=True)) == set(cells.param_shapes("gru"))
    uni = init_stacked_params(3, 4, 2, 0, cell="lstm", forget_bias=1.0)
    assert not any("reverse" in k for k in uni) and uni["l1_W_f"].shape == (8, 4)
    with pytest.raises(ValueError, match="num_layers"):
        init_stacked_params(3, 4, 0)


def test_stacked_errors_name_the_argument(rng):
    p = init_stacked_params(3, 4, 2, 0, bidirectional=True)
    X = rng.normal(size=(5, 2, 3))
    with pytest.raises(ValueError, match=r"masks must hold num_layers - 1 = 1"):
        stacked_forward(X, p, "lstm", masks=[None, None])
    with pytest.raises(ValueError, match=r"masks\[0\]"):
        stacked_forward(X, p, "lstm", masks=[np.ones((5, 2, 4))])
    with pytest.raises(ValueError, match="state0 must hold 4 cell states"):
        stacked_forward(X, p, "lstm", state0=[cells.zero_state("lstm", 2, 4)])
    with pytest.raises(ValueError, match="not of the form"):
        stacked_forward(X, {"W_f": np.zeros((7, 4))}, "lstm")
    bad = {k: v for k, v in p.items() if not k.startswith("l1_reverse")}
    with pytest.raises(ValueError, match="only layers"):
        stacked_forward(X, bad, "lstm")
    _, _, cache = stacked_forward(X, p, "lstm")
    with pytest.raises(ValueError, match="dout"):
        stacked_backward(np.zeros((5, 2, 4)), cache)


def test_bidirectional_errors(rng):
    p3 = cells.init_params("lstm", 3, 4, 0)
    with pytest.raises(ValueError, match="params_bwd has sizes"):
        bidirectional_forward(rng.normal(size=(2, 1, 3)), p3, cells.init_params("lstm", 2, 4))
    with pytest.raises(ValueError, match=r"state0 \(forward direction\) must be a tuple of 2"):
        bidirectional_forward(rng.normal(size=(2, 1, 3)), p3, p3, "lstm",
                              state0=cells.zero_state("lstm", 1, 4))
    with pytest.raises(ValueError, match="state0 must be a pair"):
        bidirectional_forward(rng.normal(size=(2, 1, 3)), p3, p3, "lstm", state0=(1, 2, 3))


# --- PyTorch: golden fixture (no torch) and live ---------------------------------------


@pytest.fixture(scope="module")
def fixture(fixtures_dir):
    path = fixtures_dir / FIXTURE
    assert path.exists(), f"{path} missing: run python scripts/make_stacked_fixtures.py"
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _case(fixture, k):
    prefix = f"case{k}__"
    return {key[len(prefix):]: v for key, v in fixture.items() if key.startswith(prefix)}


def ours_bilstm(a):
    """Our 2-layer bidirectional LSTM on the fixture's arrays, in torch's output layout."""
    params = {k[len("param_"):]: v for k, v in a.items() if k.startswith("param_")}
    state0 = tuple((a["h0"][j], a["c0"][j]) for j in range(4))
    out, last, cache = stacked_forward(a["X"], params, "lstm", state0)
    dlast = tuple((a["dh_n"][j], a["dc_n"][j]) for j in range(4))
    dX, d0, grads = stacked_backward(a["dout"], cache, dlast)
    got = {"out": out, "h_n": np.stack([s[0] for s in last]),
           "c_n": np.stack([s[1] for s in last]), "grad_X": dX,
           "grad_h0": np.stack([s[0] for s in d0]), "grad_c0": np.stack([s[1] for s in d0])}
    got.update({f"grad_{k}": v for k, v in grads.items()})
    return got


def test_fixture_is_small_and_float64(fixtures_dir, fixture):
    assert (fixtures_dir / FIXTURE).stat().st_size < 200_000
    cases = fixture["meta__cases"]
    assert np.any(cases[:, 1] == 1) and np.any(cases[:, 3] == 1)
    for key, value in fixture.items():
        if not key.startswith("meta__"):
            assert value.dtype == np.float64, key


@pytest.mark.parametrize("k", range(3))
def test_fixture_two_layer_bidirectional_lstm_matches_torch(fixture, k):
    a = _case(fixture, k)
    got = ours_bilstm(a)
    n_param_grads = sum(1 for key in a if key.startswith("grad_") and key[5:] not in
                        ("X", "h0", "c0"))
    assert len(got) == 6 + n_param_grads
    for name, value in got.items():
        np.testing.assert_allclose(value, a[name], rtol=0, atol=ATOL, err_msg=f"case {k} {name}")


@pytest.mark.parametrize("k", range(3))
def test_fixture_layout_rederived_from_raw_torch_arrays(fixture, k):
    """weight_ih_l{k}{_reverse}: transposed, gate by gate in torch's order i, f, g, o."""
    a = _case(fixture, k)
    H = a["h0"].shape[2]
    for layer in (0, 1):
        for suffix, prefix in (("", f"l{layer}_"), ("_reverse", f"l{layer}_reverse_")):
            w_ih = a[f"torch_weight_ih_l{layer}{suffix}"]
            w_hh = a[f"torch_weight_hh_l{layer}{suffix}"]
            b = a[f"torch_bias_ih_l{layer}{suffix}"] + a[f"torch_bias_hh_l{layer}{suffix}"]
            assert w_ih.shape[1] == (a["X"].shape[2] if layer == 0 else 2 * H)
            for j, gate in enumerate("ifgo"):
                rows = slice(j * H, (j + 1) * H)
                np.testing.assert_array_equal(a[f"param_{prefix}W_{gate}"],
                                              np.vstack([w_hh[rows].T, w_ih[rows].T]))
                np.testing.assert_array_equal(a[f"param_{prefix}b_{gate}"], b[rows])


@pytest.mark.torch
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", [(4, 2, 3, 5), (3, 1, 2, 1), (6, 3, 4, 2)])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_live_stacked_matches_torch(cell, shape, bidirectional):
    import torch

    T, N, D, H = shape
    L = 2
    n_dir = 2 if bidirectional else 1
    rng = np.random.default_rng([CELLS.index(cell), *shape, bidirectional])
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = cls(D, H, num_layers=L, bidirectional=bidirectional, dtype=torch.float64)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.as_tensor(rng.normal(size=tuple(p.shape))))
    params = ti.stacked_params_from_torch(module, cell)
    n_states = 2 if cell == "lstm" else 1
    X = rng.normal(size=(T, N, D))
    s0 = [rng.normal(size=(L * n_dir, N, H)) for _ in range(n_states)]
    dout = rng.normal(size=(T, N, n_dir * H))
    dl = [rng.normal(size=(L * n_dir, N, H)) for _ in range(n_states)]
    Xt = torch.tensor(X, requires_grad=True)
    s0t = [torch.tensor(s, requires_grad=True) for s in s0]
    out, hn = module(Xt, tuple(s0t) if cell == "lstm" else s0t[0])
    hn = tuple(hn) if cell == "lstm" else (hn,)
    loss = (out * torch.tensor(dout)).sum() + sum((h * torch.tensor(d)).sum()
                                                  for h, d in zip(hn, dl))
    loss.backward()
    state0 = tuple(tuple(s[j] for s in s0) for j in range(L * n_dir))
    o, last, cache = stacked_forward(X, params, cell, state0)
    dX, d0, grads = stacked_backward(dout, cache, tuple(tuple(d[j] for d in dl)
                                                        for j in range(L * n_dir)))
    np.testing.assert_allclose(o, out.detach().numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=0, atol=ATOL)
    for j in range(n_states):
        np.testing.assert_allclose(np.stack([s[j] for s in last]), hn[j].detach().numpy(),
                                   rtol=0, atol=ATOL)
        np.testing.assert_allclose(np.stack([s[j] for s in d0]), s0t[j].grad.numpy(),
                                   rtol=0, atol=ATOL)
    tg = ti.stacked_grads_from_torch(module, cell)
    assert set(tg) == set(grads)
    for key in grads:
        np.testing.assert_allclose(grads[key], tg[key], rtol=0, atol=ATOL, err_msg=key)


@pytest.mark.torch
@pytest.mark.parametrize("cell", CELLS)
def test_make_torch_stacked_round_trip(cell, rng):
    import torch

    params = random_stack(cell, 3, 4, 2, True, rng)
    module = ti.make_torch_stacked(params, cell)
    assert module.num_layers == 2 and module.bidirectional and module.batch_first is False
    assert module.weight_ih_l1_reverse.dtype == torch.float64
    back = ti.stacked_params_from_torch(module, cell)
    assert set(back) == set(params)
    for k in params:
        np.testing.assert_array_equal(back[k], params[k], err_msg=k)
    fresh = ti.stacked_params_to_torch(params, type(module)(3, 4, num_layers=2,
                                                            bidirectional=True,
                                                            dtype=torch.float64), cell)
    for name, value in module.state_dict().items():
        assert torch.equal(value, fresh.state_dict()[name]), name


@pytest.mark.torch
def test_stacked_interop_errors():
    import torch

    p = init_stacked_params(3, 4, 1, 0)
    with pytest.raises(ValueError, match="params has no keys l1_"):
        ti.stacked_params_to_torch(p, torch.nn.LSTM(3, 4, num_layers=2), "lstm")
    with pytest.raises(ValueError, match=r"module must be a torch\.nn\.GRU"):
        ti.stacked_params_from_torch(torch.nn.LSTM(3, 4), "gru")
    with pytest.raises(ValueError, match="bias=False"):
        ti.stacked_params_from_torch(torch.nn.LSTM(3, 4, bias=False), "lstm")
