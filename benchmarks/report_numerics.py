"""Print the largest float64 disagreement between course_pkg and PyTorch.

For the RNN, LSTM and GRU (reset-after) sequences and for dot and scaled-dot
attention, over a few random shapes with random non-zero parameters, it
prints the maximum absolute difference of the outputs and of every gradient
(inputs, initial states, parameters). The tests assert 1e-10; this script
prints what is actually reached, the figure the README quotes.

Run:  .venv/bin/python benchmarks/report_numerics.py   (needs torch==2.13.0)
"""

from __future__ import annotations

import numpy as np

from course_pkg import attention, gru, lstm, rnn, torch_interop

SHAPES = [(1, 1, 1, 1), (5, 3, 4, 2), (7, 2, 3, 6), (12, 4, 8, 16)]  # (T, N, D, H)


def _random_params(params, rng):
    return {k: rng.normal(size=v.shape) for k, v in params.items()}


def _max_diff(ours: dict, theirs: dict) -> float:
    return max(float(np.max(np.abs(ours[k] - theirs[k]))) for k in ours)


def recurrent(cell: str, rng) -> tuple[float, float]:
    import torch

    worst_out = worst_grad = 0.0
    for T, N, D, H in SHAPES:
        X = rng.normal(size=(T, N, D))
        h0 = rng.normal(size=(N, H))
        dhs = rng.normal(size=(T, N, H))
        Xt = torch.tensor(X, requires_grad=True)
        h0t = torch.tensor(h0[None], requires_grad=True)
        if cell == "lstm":
            params = _random_params(lstm.init_lstm_params(D, H, rng), rng)
            c0 = rng.normal(size=(N, H))
            dc = rng.normal(size=(N, H))
            hs, _, cache = lstm.lstm_forward(X, h0, c0, params)
            dX, dh0, dc0, grads = lstm.lstm_backward(dhs, cache, dc_last=dc)
            module = torch_interop.make_torch_lstm(params)
            c0t = torch.tensor(c0[None], requires_grad=True)
            out, (_, c_n) = module(Xt, (h0t, c0t))
            (out * torch.tensor(dhs)).sum().add((c_n[0] * torch.tensor(dc)).sum()).backward()
            ours = {"X": dX, "h0": dh0, "c0": dc0}
            theirs = {"X": Xt.grad.numpy(), "h0": h0t.grad[0].numpy(), "c0": c0t.grad[0].numpy()}
            theirs_params = torch_interop.lstm_grads_from_torch(module)
        else:
            if cell == "rnn":
                params = _random_params(rnn.init_rnn_params(D, H, rng), rng)
                hs, cache = rnn.rnn_forward(X, h0, params)
                dX, dh0, grads = rnn.rnn_backward(dhs, cache)
                module = torch_interop.make_torch_rnn(params)
                read = torch_interop.rnn_grads_from_torch
            else:
                params = _random_params(gru.init_gru_params(D, H, rng), rng)
                hs, cache = gru.gru_forward(X, h0, params)
                dX, dh0, grads = gru.gru_backward(dhs, cache)
                module = torch_interop.make_torch_gru(params)
                read = torch_interop.gru_grads_from_torch
            out, _ = module(Xt, h0t)
            (out * torch.tensor(dhs)).sum().backward()
            ours = {"X": dX, "h0": dh0}
            theirs = {"X": Xt.grad.numpy(), "h0": h0t.grad[0].numpy()}
            theirs_params = read(module)
        worst_out = max(worst_out, float(np.max(np.abs(hs - out.detach().numpy()))))
        worst_grad = max(worst_grad, _max_diff(ours, theirs), _max_diff(grads, theirs_params))
    return worst_out, worst_grad


def dot_attention(score: str, rng) -> tuple[float, float]:
    import torch
    import torch.nn.functional as F

    worst_out = worst_grad = 0.0
    for N, Tq, S, d in [(1, 1, 1, 1), (2, 3, 5, 4), (4, 6, 9, 16)]:
        Q, K, V = (rng.normal(size=(N, n, d)) for n in (Tq, S, S))
        mask = np.ones((N, S), dtype=bool)
        mask[:, S // 2 + 1:] = rng.random((N, S - S // 2 - 1)) < 0.5
        dctx = rng.normal(size=(N, Tq, d))
        ctx, _, cache = attention.attention_forward(Q, K, V, mask, score=score)
        dQ, dK, dV, _ = attention.attention_backward(dctx, cache)
        Qt, Kt, Vt = (torch.tensor(a, requires_grad=True) for a in (Q, K, V))
        scale = 1.0 if score == "dot" else None
        out = F.scaled_dot_product_attention(
            Qt, Kt, Vt, attn_mask=torch.tensor(mask[:, None, :]), scale=scale)
        (out * torch.tensor(dctx)).sum().backward()
        worst_out = max(worst_out, float(np.max(np.abs(ctx - out.detach().numpy()))))
        worst_grad = max(worst_grad, _max_diff(
            {"Q": dQ, "K": dK, "V": dV},
            {"Q": Qt.grad.numpy(), "K": Kt.grad.numpy(), "V": Vt.grad.numpy()}))
    return worst_out, worst_grad


def main() -> None:
    try:
        import torch
    except ImportError:
        raise SystemExit("This script needs PyTorch: pip install torch==2.13.0") from None
    rng = np.random.default_rng(2026)
    print(f"torch {torch.__version__}, float64; max |ours - torch| over {len(SHAPES)} shapes")
    print(f"{'model':<22} {'outputs':>10} {'gradients':>10}")
    for name, fn in (("RNN", lambda: recurrent("rnn", rng)),
                     ("LSTM", lambda: recurrent("lstm", rng)),
                     ("GRU (reset-after)", lambda: recurrent("gru", rng)),
                     ("dot attention", lambda: dot_attention("dot", rng)),
                     ("scaled-dot attention", lambda: dot_attention("scaled_dot", rng))):
        out, grad = fn()
        print(f"{name:<22} {out:10.1e} {grad:10.1e}")


if __name__ == "__main__":
    main()
