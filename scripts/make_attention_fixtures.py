"""Write tests/fixtures/torch_attention.npz: attention outputs and gradients from PyTorch.

The golden file lets ``tests/numerics/test_attention.py`` check the numpy attention
against PyTorch on machines without torch. Run from the repository root::

    python scripts/make_attention_fixtures.py

Contents (float64, seed 20260): inputs ``Q`` (N, Tq, d), ``K`` (N, S, d),
``V`` (N, S, dv), ``mask`` (N, S) bool, upstream gradient ``G`` (N, Tq, dv)
and additive parameters ``add_W_q, add_W_k, add_b, add_v``; for each score
``s`` in dot, scaled_dot, additive: ``s_context``, ``s_weights``, ``s_dQ``,
``s_dK``, ``s_dV`` (and ``additive_dW_q`` etc.), the gradients being those of
``sum(context * G)``. Dot and scaled-dot come from
``torch.nn.functional.scaled_dot_product_attention``; additive from a
direct autograd implementation of Bahdanau's score.
"""

from __future__ import annotations

import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "torch_attention.npz"


def torch_attention(Q, K, V, mask, G, score, add=None):
    """Context, weights and gradients of sum(context * G) computed by PyTorch."""
    import torch
    import torch.nn.functional as F

    q, k, v = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (Q, K, V))
    m = torch.tensor(mask)[:, None, :]  # (N, 1, S), True = attend
    tp = {}
    if score == "additive":
        tp = {key: torch.tensor(val, dtype=torch.float64, requires_grad=True)
              for key, val in add.items()}
        hidden = torch.tanh((q @ tp["W_q"])[:, :, None, :] + (k @ tp["W_k"])[:, None, :, :]
                            + tp["b"])  # (N, Tq, S, A)
        scores = hidden @ tp["v"]  # (N, Tq, S)
        weights = torch.softmax(scores.masked_fill(~m, float("-inf")), dim=-1)
        context = weights @ v  # (N, Tq, dv)
    else:
        scale = 1.0 if score == "dot" else None
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=scale)
        s = (q @ k.transpose(1, 2)) * (1.0 if score == "dot" else Q.shape[-1] ** -0.5)
        weights = torch.softmax(s.masked_fill(~m, float("-inf")), dim=-1)
    (context * torch.tensor(G)).sum().backward()
    out = {
        "context": context.detach().numpy(), "weights": weights.detach().numpy(),
        "dQ": q.grad.numpy(), "dK": k.grad.numpy(), "dV": v.grad.numpy(),
    }
    out.update({f"d{key}": t.grad.numpy() for key, t in tp.items()})
    return out


def main() -> None:
    rng = np.random.default_rng(20260)
    N, Tq, S, d, dv, A = 3, 4, 5, 6, 3, 4
    data = {
        "Q": rng.normal(size=(N, Tq, d)), "K": rng.normal(size=(N, S, d)),
        "V": rng.normal(size=(N, S, dv)), "G": rng.normal(size=(N, Tq, dv)),
        "mask": np.arange(S)[None, :] < np.array([5, 3, 1])[:, None],  # (N, S)
    }
    add = {"W_q": rng.normal(size=(d, A)), "W_k": rng.normal(size=(d, A)),
           "b": rng.normal(size=A), "v": rng.normal(size=A)}
    data.update({f"add_{k}": v for k, v in add.items()})
    for score in ("dot", "scaled_dot", "additive"):
        res = torch_attention(data["Q"], data["K"], data["V"], data["mask"], data["G"],
                              score, add)
        data.update({f"{score}_{k}": v for k, v in res.items()})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(data)} arrays)")


if __name__ == "__main__":
    main()
