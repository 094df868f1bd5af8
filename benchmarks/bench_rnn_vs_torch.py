"""Time the numpy reference LSTM and GRU against torch.nn.LSTM / torch.nn.GRU on the CPU.

For each course size, dtype and pass (forward, forward+backward) it prints
the reference time, the torch time measured in the same run with the same
thread count, their ratio (reference / torch), and the fraction of this
machine's measured matrix-multiply throughput that the reference achieves.

Targets (issue "Foundation"): forward+backward ratio <= 1.5 in float64 and
<= 2.5 in float32.

Run:  .venv/bin/python benchmarks/bench_rnn_vs_torch.py [--repeats 7] [--quick]

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set on this machine, slow numpy's
BLAS; run with both unset (``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE``)
to measure the kernel numpy would normally pick. The script prints which
kernel and thread count it ran with.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from course_pkg.gru import gru_backward, gru_forward, init_gru_params
from course_pkg.lstm import init_lstm_params, lstm_backward, lstm_forward

SIZES = [
    {"T": 50, "N": 32, "D": 64, "H": 128},
    {"T": 100, "N": 64, "D": 128, "H": 256},
]


def blas_info() -> tuple[str, int]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - optional
        return "unknown (pip install threadpoolctl)", os.cpu_count() or 1
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            name = f"{pool.get('internal_api')} {pool.get('version')}"
            return f"{name} ({pool.get('architecture')})", int(pool.get("num_threads", 1))
    return "none found", 1


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) if repeats < 3 else statistics.median(sorted(times)[: max(3, repeats // 2)])


def matmul_peak(dtype, repeats: int = 5) -> float:
    """Measured GEMM throughput in FLOP/s for a large square product."""
    n = 1024
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    t = best_time(lambda: a @ b, repeats)
    return 2 * n**3 / t


def flops(cell: str, T: int, N: int, D: int, H: int, backward: bool) -> float:
    """Matrix-multiply FLOPs of one pass (elementwise work ignored)."""
    gates = 4 if cell == "lstm" else 3
    fwd = 2 * T * N * (D + H) * gates * H
    # backward: dW (one product), dX and dh (one product): twice the forward
    return fwd * (3 if backward else 1)


def bench_one(cell: str, size: dict, dtype, repeats: int, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    T, N, D, H = size["T"], size["N"], size["D"], size["H"]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((T, N, D)).astype(dtype)
    h0 = np.zeros((N, H), dtype=dtype)
    c0 = np.zeros((N, H), dtype=dtype)
    dhs = rng.standard_normal((T, N, H)).astype(dtype)
    if cell == "lstm":
        params = init_lstm_params(D, H, rng, dtype=dtype)

        def ref_fwd():
            return lstm_forward(X, h0, c0, params)

        def ref_fb():
            _, _, cache = lstm_forward(X, h0, c0, params)
            return lstm_backward(dhs, cache)

        module = torch.nn.LSTM(D, H)
    else:
        params = init_gru_params(D, H, rng, dtype=dtype)

        def ref_fwd():
            return gru_forward(X, h0, params)

        def ref_fb():
            _, cache = gru_forward(X, h0, params)
            return gru_backward(dhs, cache)

        module = torch.nn.GRU(D, H)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    module = module.to(tdtype)
    Xt = torch.from_numpy(X).requires_grad_(True)
    dht = torch.from_numpy(dhs)

    def torch_fwd():
        with torch.no_grad():
            return module(Xt)

    def torch_fb():
        out, _ = module(Xt)
        out.backward(dht)
        module.zero_grad(set_to_none=True)
        Xt.grad = None

    results = {}
    for name, ref, ref_torch, backward in (
        ("forward", ref_fwd, torch_fwd, False),
        ("forward+backward", ref_fb, torch_fb, True),
    ):
        t_ref = best_time(ref, repeats)
        t_torch = best_time(ref_torch, repeats)
        results[name] = (t_ref, t_torch, flops(cell, T, N, D, H, backward))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="first size only, 3 repeats")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        raise SystemExit("This benchmark needs PyTorch: pip install torch==2.13.0") from None
    repeats = 3 if args.quick else args.repeats
    sizes = SIZES[:1] if args.quick else SIZES
    kernel, threads = blas_info()
    print(f"numpy {np.__version__}, BLAS {kernel}, {threads} thread(s); "
          f"torch {torch.__version__} with torch.set_num_threads({threads})")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    summary = []
    for dtype in (np.float64, np.float32):
        peak = matmul_peak(dtype)
        print(f"\n{np.dtype(dtype).name}: measured matmul peak {peak / 1e9:.1f} GFLOP/s (1024^3)")
        print(f"{'cell':<5} {'size':<24} {'pass':<17} {'ref ms':>8} {'torch ms':>9} "
              f"{'ratio':>6} {'of peak':>8}")
        for size in sizes:
            label = "T={T} N={N} D={D} H={H}".format(**size)
            for cell in ("lstm", "gru"):
                res = bench_one(cell, size, dtype, repeats, threads)
                for name, (t_ref, t_torch, fl) in res.items():
                    ratio = t_ref / t_torch
                    frac = fl / t_ref / peak
                    print(f"{cell:<5} {label:<24} {name:<17} {t_ref * 1e3:8.2f} "
                          f"{t_torch * 1e3:9.2f} {ratio:6.2f} {frac:8.1%}")
                    if name == "forward+backward":
                        summary.append((np.dtype(dtype).name, cell, label, ratio))
    print("\nforward+backward ratios against targets (float64 <= 1.5, float32 <= 2.5):")
    for dt, cell, label, ratio in summary:
        target = 1.5 if dt == "float64" else 2.5
        verdict = "meets" if ratio <= target else "MISSES"
        print(f"  {dt:<8} {cell:<5} {label:<24} {ratio:5.2f}  {verdict} target {target}")


if __name__ == "__main__":
    main()
