"""Write tests/fixtures/torch_rnn_lstm_gru.npz: PyTorch's answers, frozen.

For a few shapes and each of ``torch.nn.RNN``, ``nn.LSTM`` and ``nn.GRU``
(float64, single layer, time-major) this draws every torch weight and both
biases from a normal distribution (so a wrong bias mapping cannot hide behind
zeros), random inputs, initial states and upstream gradients, runs torch
forward and backward, and stores:

``{cell}__{case}__{name}`` with ``name`` among

* ``X`` (T, N, D), ``h0`` (N, H), ``c0`` (N, H, LSTM only): inputs;
* ``dout`` (T, N, H), ``dh_n`` (N, H), ``dc_n`` (N, H, LSTM only): upstream
  gradients of ``out``, ``h_n`` and ``c_n``; the loss is
  ``sum(out * dout) + sum(h_n * dh_n) [+ sum(c_n * dc_n)]``;
* ``torch_<weight_ih_l0|weight_hh_l0|bias_ih_l0|bias_hh_l0>``: torch's
  parameters, and ``torch_grad_<...>``: their gradients;
* ``out`` (T, N, H), ``h_n`` (N, H), ``c_n`` (N, H): torch's outputs;
* ``grad_X``, ``grad_h0``, ``grad_c0``: torch's input gradients;
* ``param_<key>`` and ``grad_<key>``: parameters and their gradients in our
  layout (via :mod:`course_pkg.torch_interop`).

``meta__cases`` lists the ``(T, N, D, H)`` shapes, ``meta__torch_version``
the torch that produced the file. Run from the repository root::

    python scripts/make_torch_fixtures.py

The tests in ``tests/numerics/test_torch_compare.py`` read the file without torch.
"""

from __future__ import annotations

import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "torch_rnn_lstm_gru.npz"

#: (T, N, D, H): N = 1 and H = 1 included, D != H in most.
CASES = ((3, 1, 2, 1), (4, 2, 3, 5), (6, 3, 4, 4), (2, 4, 1, 3))
CELLS = ("rnn", "lstm", "gru")
SEED = 20260523


def _case(cell: str, shape: tuple[int, int, int, int], rng: np.random.Generator) -> dict:
    import torch

    from course_pkg import torch_interop as ti

    T, N, D, H = shape
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = cls(D, H, num_layers=1, bias=True, batch_first=False, dtype=torch.float64)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.as_tensor(rng.normal(size=tuple(p.shape))))
    rec: dict[str, np.ndarray] = {
        "X": rng.normal(size=(T, N, D)),
        "h0": rng.normal(size=(N, H)),
        "dout": rng.normal(size=(T, N, H)),
        "dh_n": rng.normal(size=(N, H)),
    }
    if cell == "lstm":
        rec["c0"] = rng.normal(size=(N, H))
        rec["dc_n"] = rng.normal(size=(N, H))
    for name, p in module.named_parameters():
        rec[f"torch_{name}"] = p.detach().numpy().copy()
    X = torch.tensor(rec["X"], requires_grad=True)
    h0 = torch.tensor(rec["h0"][None], requires_grad=True)
    if cell == "lstm":
        c0 = torch.tensor(rec["c0"][None], requires_grad=True)
        out, (h_n, c_n) = module(X, (h0, c0))
    else:
        out, h_n = module(X, h0)
    loss = (out * torch.tensor(rec["dout"])).sum() + (h_n[0] * torch.tensor(rec["dh_n"])).sum()
    if cell == "lstm":
        loss = loss + (c_n[0] * torch.tensor(rec["dc_n"])).sum()
    loss.backward()
    rec["out"] = out.detach().numpy().copy()
    rec["h_n"] = h_n[0].detach().numpy().copy()
    rec["grad_X"] = X.grad.numpy().copy()
    rec["grad_h0"] = h0.grad[0].numpy().copy()
    if cell == "lstm":
        rec["c_n"] = c_n[0].detach().numpy().copy()
        rec["grad_c0"] = c0.grad[0].numpy().copy()
    for name, p in module.named_parameters():
        rec[f"torch_grad_{name}"] = p.grad.numpy().copy()
    from_torch = {"rnn": ti.rnn_params_from_torch, "lstm": ti.lstm_params_from_torch,
                  "gru": ti.gru_params_from_torch}[cell]
    grads_from_torch = {"rnn": ti.rnn_grads_from_torch, "lstm": ti.lstm_grads_from_torch,
                        "gru": ti.gru_grads_from_torch}[cell]
    for key, value in from_torch(module).items():
        rec[f"param_{key}"] = value
    for key, value in grads_from_torch(module).items():
        rec[f"grad_{key}"] = value
    return rec


def main() -> None:
    import torch

    torch.manual_seed(0)
    rng = np.random.default_rng(SEED)
    arrays: dict[str, np.ndarray] = {
        "meta__cases": np.array(CASES, dtype=np.int64),
        "meta__torch_version": np.array(torch.__version__),
    }
    for cell in CELLS:
        for k, shape in enumerate(CASES):
            for name, value in _case(cell, shape, rng).items():
                arrays[f"{cell}__{k}__{name}"] = np.asarray(value)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(arrays)} arrays, {OUT.stat().st_size} bytes, "
          f"torch {torch.__version__}")


if __name__ == "__main__":
    main()
