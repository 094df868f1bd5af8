"""Per-notebook wall time: plain kernel vs the grading sandbox.

Executes the same small notebook (numpy and course_pkg imports, a small LSTM
forward pass) N times with nbclient, first with jupyter_client's plain
``AsyncKernelManager`` (tcp), then with
:class:`course_pkg.instructor.sandbox.SandboxedKernelManager` (bwrap, setpriv,
prlimit, ipc), and prints the mean and median wall time per notebook of each
and the difference. Target: the sandbox adds at most 0.5 s per notebook.

Usage: ``python benchmarks/bench_sandbox.py [N]`` (default N = 10).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from course_pkg.instructor.sandbox import SandboxedKernelManager, sandbox_problem

CELLS = [
    "import numpy as np\nfrom course_pkg.lstm import lstm_forward\nrng = np.random.default_rng(0)",
    "T, N, D, H = 5, 3, 4, 6\n"
    "X = rng.standard_normal((T, N, D))\n"
    "params = {k: rng.standard_normal((H + D, H)) * 0.1 for k in ('W_f', 'W_i', 'W_g', 'W_o')}\n"
    "params.update({k: np.zeros(H) for k in ('b_f', 'b_i', 'b_g', 'b_o')})",
    "H_seq, c_T, cache = lstm_forward(X, np.zeros((N, H)), np.zeros((N, H)), params)\n"
    "print(H_seq.shape)",
]


def run_once(km_class, workdir: str) -> float:
    nb = new_notebook(cells=[new_code_cell(c) for c in CELLS])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                              "language": "python"}
    start = time.perf_counter()
    NotebookClient(nb, kernel_manager_class=km_class, kernel_name="python3", timeout=60,
                   resources={"metadata": {"path": workdir}}).execute()
    return time.perf_counter() - start


def main(n: int = 10) -> None:
    problem = sandbox_problem()
    if problem:
        sys.exit(f"the sandbox cannot run here: {problem}")
    with tempfile.TemporaryDirectory() as workdir:
        run_once(AsyncKernelManager, workdir)  # warm the page cache
        run_once(SandboxedKernelManager, workdir)
        results = {}
        for name, cls in (("plain", AsyncKernelManager), ("sandbox", SandboxedKernelManager)):
            results[name] = [run_once(cls, workdir) for _ in range(n)]
    print(f"notebook of {len(CELLS)} cells, executed {n} times each")
    for name, times in results.items():
        print(f"  {name:8s} mean {statistics.mean(times):.3f} s   "
              f"median {statistics.median(times):.3f} s   "
              f"min {min(times):.3f} s   max {max(times):.3f} s")
    diff = statistics.mean(results["sandbox"]) - statistics.mean(results["plain"])
    med = statistics.median(results["sandbox"]) - statistics.median(results["plain"])
    print(f"  sandbox overhead per notebook: mean {diff:+.3f} s, median {med:+.3f} s "
          f"(target: at most +0.5 s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
