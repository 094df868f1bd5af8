"""Write tests/fixtures/torch_stacked_bilstm.npz: a 2-layer bidirectional LSTM, frozen.

For a few shapes, ``torch.nn.LSTM(D, H, num_layers=2, bidirectional=True,
dtype=torch.float64)`` gets every weight and both biases drawn from a normal
distribution, random inputs, initial states ``(h0, c0)`` of shape
``(4, N, H)`` and random upstream gradients of ``out``, ``h_n`` and ``c_n``;
the loss is ``sum(out * dout) + sum(h_n * dh_n) + sum(c_n * dc_n)``. Stored,
as ``case{k}__<name>``:

* ``X``, ``h0``, ``c0``, ``dout``, ``dh_n``, ``dc_n``: inputs and upstream gradients;
* ``out`` (T, N, 2H), ``h_n``, ``c_n`` (4, N, H): torch's outputs;
* ``grad_X``, ``grad_h0``, ``grad_c0``: torch's input gradients;
* ``torch_<name>`` and ``torch_grad_<name>`` for every torch parameter
  (``weight_ih_l1_reverse`` ...);
* ``param_<key>`` and ``grad_<key>``: the same in our layout
  (:func:`course_pkg.torch_interop.stacked_params_from_torch`).

``meta__cases`` lists the ``(T, N, D, H)`` shapes. Run from the repository root
(``make fixtures`` does)::

    python scripts/make_stacked_fixtures.py

``tests/numerics/test_stacked.py`` reads the file without torch.
"""

from __future__ import annotations

import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "torch_stacked_bilstm.npz"

#: (T, N, D, H): N = 1 and H = 1 included, D != H.
CASES = ((4, 2, 3, 5), (3, 1, 2, 1), (5, 3, 4, 2))
SEED = 20261203


def _case(shape: tuple[int, int, int, int], rng: np.random.Generator) -> dict:
    import torch

    from course_pkg import torch_interop as ti

    T, N, D, H = shape
    module = torch.nn.LSTM(D, H, num_layers=2, bidirectional=True, dtype=torch.float64)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.as_tensor(rng.normal(size=tuple(p.shape))))
    rec = {"X": rng.normal(size=(T, N, D)), "h0": rng.normal(size=(4, N, H)),
           "c0": rng.normal(size=(4, N, H)), "dout": rng.normal(size=(T, N, 2 * H)),
           "dh_n": rng.normal(size=(4, N, H)), "dc_n": rng.normal(size=(4, N, H))}
    for name, p in module.named_parameters():
        rec[f"torch_{name}"] = p.detach().numpy().copy()
    X = torch.tensor(rec["X"], requires_grad=True)
    h0 = torch.tensor(rec["h0"], requires_grad=True)
    c0 = torch.tensor(rec["c0"], requires_grad=True)
    out, (h_n, c_n) = module(X, (h0, c0))
    loss = ((out * torch.tensor(rec["dout"])).sum() + (h_n * torch.tensor(rec["dh_n"])).sum()
            + (c_n * torch.tensor(rec["dc_n"])).sum())
    loss.backward()
    rec.update(out=out.detach().numpy().copy(), h_n=h_n.detach().numpy().copy(),
               c_n=c_n.detach().numpy().copy(), grad_X=X.grad.numpy().copy(),
               grad_h0=h0.grad.numpy().copy(), grad_c0=c0.grad.numpy().copy())
    for name, p in module.named_parameters():
        rec[f"torch_grad_{name}"] = p.grad.numpy().copy()
    for key, value in ti.stacked_params_from_torch(module, "lstm").items():
        rec[f"param_{key}"] = value
    for key, value in ti.stacked_grads_from_torch(module, "lstm").items():
        rec[f"grad_{key}"] = value
    return rec


def main() -> None:
    import torch

    torch.manual_seed(0)
    rng = np.random.default_rng(SEED)
    arrays: dict[str, np.ndarray] = {"meta__cases": np.array(CASES, dtype=np.int64),
                                     "meta__torch_version": np.array(torch.__version__)}
    for k, shape in enumerate(CASES):
        for name, value in _case(shape, rng).items():
            arrays[f"case{k}__{name}"] = np.asarray(value)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(arrays)} arrays, {OUT.stat().st_size} bytes, "
          f"torch {torch.__version__}")


if __name__ == "__main__":
    main()
