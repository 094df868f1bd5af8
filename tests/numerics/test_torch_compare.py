"""Our RNN, LSTM and GRU against PyTorch, live and through golden fixtures.

* Fixture tests (no torch needed): ``tests/fixtures/torch_rnn_lstm_gru.npz``
  holds PyTorch's inputs, parameters, outputs and gradients for a few shapes
  (written by ``scripts/make_torch_fixtures.py``). Our forward and backward
  must reproduce them to 1e-10, and the parameter layout is re-derived here
  from torch's raw arrays without using :mod:`course_pkg.torch_interop`.
* Live tests (``@pytest.mark.torch``): random shapes and seeds, every weight
  and both torch biases drawn from a normal; forward outputs and gradients
  of inputs, initial states and every parameter agree to 1e-10 in float64.
  The loss reads every step's hidden state, ``h_n`` and (LSTM) ``c_n`` with
  random upstream gradients. Also: the parameter round trip, the
  constructors, and the validation errors of ``torch_interop``.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg import torch_interop as ti
from course_pkg.gru import gru_backward, gru_forward, init_gru_params
from course_pkg.lstm import init_lstm_params, lstm_backward, lstm_forward
from course_pkg.rnn import init_rnn_params, rnn_backward, rnn_forward

ATOL = 1e-10
FIXTURE = "torch_rnn_lstm_gru.npz"
CELLS = ("rnn", "lstm", "gru")
N_CASES = 4  # shapes in the fixture file
TORCH_ORDER = {"rnn": ("",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


def sfx(gate):
    return f"_{gate}" if gate else ""


def ours(cell, X, h0, c0, params, dout, dh_n, dc_n):
    """Our forward and backward with torch's loss: sum(out*dout) + sum(h_n*dh_n) [+ c_n]."""
    dhs = dout.copy()
    dhs[-1] += dh_n  # h_n is out[-1]: its gradient joins the last step's
    if cell == "lstm":
        hs, cs, cache = lstm_forward(X, h0, c0, params)
        dX, dh0, dc0, grads = lstm_backward(dhs, cache, dc_last=dc_n)
        return {"out": hs, "h_n": hs[-1], "c_n": cs[-1], "grad_X": dX, "grad_h0": dh0,
                "grad_c0": dc0, **{f"grad_{k}": v for k, v in grads.items()}}
    forward, backward = {"rnn": (rnn_forward, rnn_backward),
                         "gru": (gru_forward, gru_backward)}[cell]
    hs, cache = forward(X, h0, params)
    dX, dh0, grads = backward(dhs, cache)
    return {"out": hs, "h_n": hs[-1], "grad_X": dX, "grad_h0": dh0,
            **{f"grad_{k}": v for k, v in grads.items()}}


# --- golden fixtures (no torch) ---------------------------------------------------


@pytest.fixture(scope="module")
def fixture(fixtures_dir):
    path = fixtures_dir / FIXTURE
    assert path.exists(), f"{path} missing: run python scripts/make_torch_fixtures.py"
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def case_arrays(fixture, cell, k):
    prefix = f"{cell}__{k}__"
    return {key[len(prefix):]: v for key, v in fixture.items() if key.startswith(prefix)}


def test_fixture_file_small_and_covers_edge_shapes(fixtures_dir, fixture):
    assert (fixtures_dir / FIXTURE).stat().st_size < 200_000
    cases = fixture["meta__cases"]  # (T, N, D, H)
    assert len(cases) == N_CASES
    assert np.any(cases[:, 1] == 1), "no case with N = 1"
    assert np.any(cases[:, 3] == 1), "no case with H = 1"
    assert np.any(cases[:, 2] != cases[:, 3]), "no case with D != H"
    for key, value in fixture.items():
        if not key.startswith("meta__"):
            assert value.dtype == np.float64, key


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("k", range(N_CASES))
def test_fixture_forward_and_gradients_match_torch(fixture, cell, k):
    a = case_arrays(fixture, cell, k)
    params = {key[len("param_"):]: v for key, v in a.items() if key.startswith("param_")}
    got = ours(cell, a["X"], a["h0"], a.get("c0"), params, a["dout"], a["dh_n"], a.get("dc_n"))
    expected_keys = {"out", "h_n", "grad_X", "grad_h0"} | {f"grad_{p}" for p in params}
    if cell == "lstm":
        expected_keys |= {"c_n", "grad_c0"}
    assert set(got) == expected_keys
    for name, value in got.items():
        np.testing.assert_allclose(value, a[name], rtol=0, atol=ATOL, err_msg=f"{cell} {name}")


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("k", range(N_CASES))
def test_fixture_layout_rederived_from_raw_torch_arrays(fixture, cell, k):
    """Transpose, slice by gate, sum the split biases: written out independently here."""
    a = case_arrays(fixture, cell, k)
    H = a["h0"].shape[1]
    for kind in ("", "grad_"):
        w_ih, w_hh = a[f"torch_{kind}weight_ih_l0"], a[f"torch_{kind}weight_hh_l0"]
        b_ih, b_hh = a[f"torch_{kind}bias_ih_l0"], a[f"torch_{kind}bias_hh_l0"]
        stored = "param_" if kind == "" else "grad_"
        for j, gate in enumerate(TORCH_ORDER[cell]):
            rows = slice(j * H, (j + 1) * H)
            W = np.vstack([w_hh[rows].T, w_ih[rows].T])
            np.testing.assert_array_equal(a[f"{stored}W{sfx(gate)}"], W)
            if cell == "gru" and gate == "n":
                np.testing.assert_array_equal(a[f"{stored}b_n"], b_ih[rows])
                np.testing.assert_array_equal(a[f"{stored}b_hn"], b_hh[rows])
            elif kind == "":
                np.testing.assert_array_equal(a[f"{stored}b{sfx(gate)}"], b_ih[rows] + b_hh[rows])
            else:
                # a summed bias: torch gives both halves the same gradient
                np.testing.assert_allclose(b_ih[rows], b_hh[rows], atol=1e-12)
                np.testing.assert_array_equal(a[f"{stored}b{sfx(gate)}"], b_ih[rows])


# --- live comparisons with torch ----------------------------------------------------

#: (T, N, D, H) for the live tests, plus random ones drawn per seed.
LIVE_SHAPES = [(1, 1, 1, 1), (3, 1, 2, 1), (4, 2, 3, 5), (7, 3, 5, 2), (2, 5, 4, 4)]


def random_torch_module(cell, shape, rng):
    import torch

    _, _, D, H = shape
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = cls(D, H, dtype=torch.float64)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.as_tensor(rng.normal(size=tuple(p.shape))))
    return module


def torch_run(cell, module, X, h0, c0, dout, dh_n, dc_n):
    import torch

    Xt = torch.tensor(X, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    if cell == "lstm":
        c0t = torch.tensor(c0[None], requires_grad=True)
        out, (h_n, c_n) = module(Xt, (h0t, c0t))
    else:
        out, h_n = module(Xt, h0t)
    loss = (out * torch.tensor(dout)).sum() + (h_n[0] * torch.tensor(dh_n)).sum()
    if cell == "lstm":
        loss = loss + (c_n[0] * torch.tensor(dc_n)).sum()
    module.zero_grad()
    loss.backward()
    grads = {"rnn": ti.rnn_grads_from_torch, "lstm": ti.lstm_grads_from_torch,
             "gru": ti.gru_grads_from_torch}[cell](module)
    res = {"out": out.detach().numpy(), "h_n": h_n[0].detach().numpy(),
           "grad_X": Xt.grad.numpy(), "grad_h0": h0t.grad[0].numpy(),
           **{f"grad_{k}": v for k, v in grads.items()}}
    if cell == "lstm":
        res["c_n"] = c_n[0].detach().numpy()
        res["grad_c0"] = c0t.grad[0].numpy()
    return res


def inputs(shape, rng):
    T, N, D, H = shape
    return (rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)),
            rng.normal(size=(T, N, H)), rng.normal(size=(N, H)), rng.normal(size=(N, H)))


def compare(cell, module, params, shape, rng):
    X, h0, c0, dout, dh_n, dc_n = inputs(shape, rng)
    expected = torch_run(cell, module, X, h0, c0, dout, dh_n, dc_n)
    got = ours(cell, X, h0, c0 if cell == "lstm" else None, params, dout, dh_n,
               dc_n if cell == "lstm" else None)
    assert set(got) == set(expected)
    worst = 0.0
    for name, value in got.items():
        np.testing.assert_allclose(value, expected[name], rtol=0, atol=ATOL,
                                   err_msg=f"{cell} {shape} {name}")
        worst = max(worst, float(np.max(np.abs(value - expected[name]))))
    return worst


def live_shapes():
    shapes = list(LIVE_SHAPES)
    rng = np.random.default_rng(2026)
    for _ in range(5):
        shapes.append(tuple(int(v) for v in rng.integers(1, 7, size=4)))
    return shapes


@pytest.mark.torch
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", live_shapes())
def test_live_torch_params_to_ours(cell, shape):
    """Random torch module (normal weights, both biases) -> our params -> same numbers."""
    import torch  # noqa: F401  (marks the dependency; conftest skips without it)

    rng = np.random.default_rng([CELLS.index(cell), *shape])
    module = random_torch_module(cell, shape, rng)
    params = {"rnn": ti.rnn_params_from_torch, "lstm": ti.lstm_params_from_torch,
              "gru": ti.gru_params_from_torch}[cell](module)
    compare(cell, module, params, shape, rng)


@pytest.mark.torch
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", LIVE_SHAPES)
def test_live_our_params_to_torch(cell, shape):
    """Our random params (normal, non-zero biases) -> make_torch_* -> same numbers."""
    import torch

    T, N, D, H = shape
    rng = np.random.default_rng(T * 1000 + N * 100 + D * 10 + H)
    init = {"rnn": init_rnn_params, "lstm": init_lstm_params, "gru": init_gru_params}[cell]
    params = {k: rng.normal(size=v.shape) for k, v in init(D, H, 0).items()}
    module = {"rnn": ti.make_torch_rnn, "lstm": ti.make_torch_lstm,
              "gru": ti.make_torch_gru}[cell](params)
    assert module.weight_ih_l0.dtype == torch.float64
    assert module.num_layers == 1 and module.batch_first is False
    assert (module.input_size, module.hidden_size) == (D, H)
    compare(cell, module, params, shape, rng)


@pytest.mark.torch
@pytest.mark.parametrize("cell", CELLS)
def test_round_trip_is_identity(cell):
    import torch

    rng = np.random.default_rng(5)
    D, H = 3, 4
    init = {"rnn": init_rnn_params, "lstm": init_lstm_params, "gru": init_gru_params}[cell]
    params = {k: rng.normal(size=v.shape) for k, v in init(D, H, 0).items()}
    to_torch = {"rnn": ti.rnn_params_to_torch, "lstm": ti.lstm_params_to_torch,
                "gru": ti.gru_params_to_torch}[cell]
    from_torch = {"rnn": ti.rnn_params_from_torch, "lstm": ti.lstm_params_from_torch,
                  "gru": ti.gru_params_from_torch}[cell]
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = to_torch(params, cls(D, H, dtype=torch.float64))
    back = from_torch(module)
    assert set(back) == set(params)
    for k in params:
        np.testing.assert_array_equal(back[k], params[k], err_msg=k)
        assert back[k].dtype == np.float64
    # torch -> ours -> torch keeps the weights exactly and the bias sums
    src = random_torch_module(cell, (1, 1, D, H), rng)
    again = to_torch(from_torch(src), cls(D, H, dtype=torch.float64))
    for name in ("weight_ih_l0", "weight_hh_l0"):
        assert torch.equal(getattr(again, name), getattr(src, name))
    sums = [(m.bias_ih_l0 + m.bias_hh_l0).detach().numpy() for m in (src, again)]
    if cell == "gru":  # b_in and b_hn are not summed
        np.testing.assert_allclose(sums[0][: 2 * H], sums[1][: 2 * H], atol=1e-15)
        assert torch.equal(again.bias_hh_l0[2 * H :], src.bias_hh_l0[2 * H :])
        assert torch.equal(again.bias_ih_l0[2 * H :], src.bias_ih_l0[2 * H :])
    else:
        np.testing.assert_allclose(sums[0], sums[1], atol=1e-15)


@pytest.mark.torch
def test_export_puts_biases_in_bias_ih_and_b_hn_in_bias_hh():
    import torch

    params = init_gru_params(2, 3, 0)
    module = ti.make_torch_gru(params)
    np.testing.assert_array_equal(module.bias_hh_l0[:6].detach().numpy(), 0.0)
    np.testing.assert_array_equal(module.bias_hh_l0[6:].detach().numpy(), params["b_hn"])
    np.testing.assert_array_equal(module.bias_ih_l0.detach().numpy(),
                                  np.concatenate([params["b_r"], params["b_z"], params["b_n"]]))
    lstm = ti.make_torch_lstm(init_lstm_params(2, 3, 0))
    assert torch.count_nonzero(lstm.bias_hh_l0) == 0


@pytest.mark.torch
def test_float32_module_accepted():
    import torch

    params = init_lstm_params(2, 3, 0)
    module = ti.lstm_params_to_torch(params, torch.nn.LSTM(2, 3))
    assert module.weight_ih_l0.dtype == torch.float32
    back = ti.lstm_params_from_torch(module)
    assert all(v.dtype == np.float64 for v in back.values())
    for k in params:
        np.testing.assert_allclose(back[k], params[k], atol=1e-7)


@pytest.mark.torch
def test_interop_validation_errors():
    import torch

    lstm_p = init_lstm_params(3, 4, 0)
    gru_p = init_gru_params(3, 4, 0)
    with pytest.raises(ValueError, match=r"module must be a torch.nn.LSTM, got GRU"):
        ti.lstm_params_to_torch(lstm_p, torch.nn.GRU(3, 4))
    with pytest.raises(ValueError, match=r"module must be a torch.nn.RNN, got Linear"):
        ti.rnn_params_from_torch(torch.nn.Linear(3, 4))
    with pytest.raises(ValueError, match=r"num_layers=2 \(expected 1\)"):
        ti.lstm_params_to_torch(lstm_p, torch.nn.LSTM(3, 4, num_layers=2))
    with pytest.raises(ValueError, match=r"bidirectional=True"):
        ti.gru_params_from_torch(torch.nn.GRU(3, 4, bidirectional=True))
    with pytest.raises(ValueError, match=r"bias=False"):
        ti.gru_params_to_torch(gru_p, torch.nn.GRU(3, 4, bias=False))
    with pytest.raises(ValueError, match=r"proj_size=2"):
        ti.lstm_params_from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match=r"nonlinearity='relu'"):
        ti.rnn_params_from_torch(torch.nn.RNN(3, 4, nonlinearity="relu"))
    with pytest.raises(ValueError, match=r"input_size=5, hidden_size=4 but params have D=3, H=4"):
        ti.lstm_params_to_torch(lstm_p, torch.nn.LSTM(5, 4))
    with pytest.raises(ValueError, match=r"params\['W_g'\] has shape \(8, 4\), expected \(H \+ D="):
        ti.make_torch_lstm(dict(lstm_p, W_g=np.zeros((8, 4))))
    with pytest.raises(ValueError, match=r"params is missing key\(s\) \['b_o'\]"):
        ti.make_torch_lstm({k: v for k, v in lstm_p.items() if k != "b_o"})
    with pytest.raises(ValueError, match=r"expected \(H \+ D, H\) with D >= 1"):
        ti.make_torch_rnn({"W": np.zeros((4, 4)), "b": np.zeros(4)})
    with pytest.raises(ValueError, match=r"params\['W'\] must have dtype float64.*got int64"):
        ti.make_torch_rnn({"W": np.zeros((7, 4), dtype=np.int64), "b": np.zeros(4)})
    with pytest.raises(ValueError, match=r"module.weight_ih_l0.grad is None"):
        ti.rnn_grads_from_torch(torch.nn.RNN(3, 4))


@pytest.mark.torch
def test_cho_variant_rejected_clearly():
    import torch

    cho = init_gru_params(3, 4, 0, variant="cho")
    pattern = r"variant='cho' has no torch.nn.GRU counterpart"
    with pytest.raises(ValueError, match=pattern):
        ti.make_torch_gru(cho, variant="cho")
    with pytest.raises(ValueError, match=pattern):
        ti.gru_params_to_torch(cho, torch.nn.GRU(3, 4), variant="cho")
    with pytest.raises(ValueError, match=pattern):
        ti.gru_params_from_torch(torch.nn.GRU(3, 4), variant="cho")
    with pytest.raises(ValueError, match=r"params has no key 'b_hn'.*Cho-variant"):
        ti.make_torch_gru(cho)
    with pytest.raises(ValueError, match=r"variant must be 'reset_after' or 'cho', got 'x'"):
        ti.make_torch_gru(init_gru_params(3, 4, 0), variant="x")
