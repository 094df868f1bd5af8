"""Wall and CPU time of every book experiment at the book's settings.

Run from the repository root::

    python benchmarks/bench_experiments.py            # all experiments
    python benchmarks/bench_experiments.py gradient   # only names containing "gradient"

Each experiment must finish within 45 s on a two-core machine (the book
executes all of them during its build). The script prints one line per
experiment: wall time, CPU time of this process, and a short summary of the
result, so the figures quoted in the book can be checked against it. CPU
time is the better guide on a busy machine; wall time is what the build sees.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from course_pkg.experiments import (
    agreement,
    attention_dates,
    bottleneck,
    gradient_flow,
    practice,
)

BUDGET = 45.0


def _summary_norms(res: dict) -> str:
    parts = []
    for label, r in res.items():
        n = r["norm"]
        parts.append(f"{label}: k=1 {n[1]:.2g}, k=10 {n[10]:.2g}, k=50 {n[50]:.2g}")
    return "; ".join(parts)


def _summary_exploding(res: dict) -> str:
    out = []
    for label, h in res.items():
        loss = np.asarray(h["loss"])
        out.append(
            f"{label}: steps {len(loss)}, diverged_at {h['diverged_at']}, "
            f"max loss {loss.max():.3g}, "
            f"last-50 mean loss {loss[-50:].mean():.3g}, max grad norm {max(h['grad_norm']):.3g}"
        )
    return "; ".join(out)


def _summary_accuracy(res: dict) -> str:
    xs = res.get("distances", res.get("lengths"))
    xs = [round(float(x), 1) for x in xs]
    parts = [f"x={xs}"]
    for label, acc in res["accuracy"].items():
        parts.append(f"{label}: {[round(a, 3) for a in acc]}")
    if "char_accuracy" in res:
        for label, acc in res["char_accuracy"].items():
            parts.append(f"{label} (per char): {[round(a, 3) for a in acc]}")
    if "per_seed" in res:
        parts.append(f"per seed: {res['per_seed']}")
    return "; ".join(parts)


def _by(keys, values) -> dict:
    """``{key: value rounded to 3 digits}`` with plain Python numbers."""
    return dict(zip(np.asarray(list(keys)).tolist(), np.round(np.asarray(values), 3).tolist()))


EXPERIMENTS = {
    "gradient_norms (4 curves)": (gradient_flow.compare_gradient_norms, _summary_norms),
    "exploding_gradients (clip None and 1.0)": (
        lambda: {"no clipping": gradient_flow.exploding_gradients(clip=None),
                 "clip 1.0": gradient_flow.exploding_gradients(clip=1.0)},
        _summary_exploding),
    "agreement_by_distance": (agreement.agreement_by_distance, _summary_accuracy),
    "train_agreement (lstm, distance 10) + gates": (
        lambda: agreement.train_agreement("lstm", 10, 0), lambda r: (
            f"held-out accuracy {r[1]['accuracy'][-1]:.3f}")),
    "date_accuracy_by_length": (attention_dates.date_accuracy_by_length, _summary_accuracy),
    "reverse_accuracy_by_length": (bottleneck.reverse_accuracy_by_length, _summary_accuracy),
    # chapter 12, "Training recurrent networks in practice"
    "practice.truncation_bias": (practice.truncation_bias, lambda r: (
        f"rel error by chunk {_by(r['chunk'], r['rel_error'])}")),
    "practice.recall_by_chunk": (practice.recall_by_chunk, lambda r: (
        f"accuracy by chunk {_by(r['chunk'], r['accuracy'][:, 0])}")),
    "practice.clipping_sweep": (practice.clipping_sweep, lambda r: (
        f"final loss by tau {_by(map(str, r['threshold']), r['final_loss'])}")),
    "practice.init_comparison": (practice.init_comparison, lambda r: (
        f"accuracy {_by(r['labels'], r['accuracy'][:, 0])}")),
    "practice.lookahead_comparison": (practice.lookahead_comparison, lambda r: (
        f"uni {r['unidirectional']['accuracy']:.3f}, bi {r['bidirectional']['accuracy']:.3f}")),
}


def main(argv: list[str]) -> int:
    pattern = argv[1] if len(argv) > 1 else ""
    over = []
    for name, (run, summarise) in EXPERIMENTS.items():
        if pattern not in name:
            continue
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        flag = "" if wall <= BUDGET else f"  OVER {BUDGET:.0f} s"
        print(f"{name:45s} wall {wall:6.1f} s  cpu {cpu:6.1f} s{flag}", flush=True)
        print(f"    {summarise(result)}", flush=True)
        if wall > BUDGET:
            over.append(name)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
