"""Per-notebook cost of trusted grading, with and without the sandbox, against a kernel.

For every assignment, the instructor's solution notebook is graded N times by
:func:`course_pkg.instructor.trusted.grade_submission` (the student's code in
its own process, the tests in the grader's), first unconfined, then in the
grading sandbox (bwrap + setpriv + prlimit). As the peer, the same notebook is
executed N times in a Jupyter kernel (nbclient), which is what nbgrader's
stock ``Execute`` step does for each submission. It prints the median seconds
per notebook of each, the sandbox's overhead and the ratio to the kernel.
Target: the sandbox adds at most 0.5 s per notebook.

Usage: ``python benchmarks/bench_trusted_grading.py [N]`` (default N = 5).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings

from course_pkg.instructor.coursedir import packaged_assignments
from course_pkg.instructor.notebooks import execute, read_notebook
from course_pkg.instructor.sandbox import sandbox_problem, student_launcher
from course_pkg.instructor.trusted import grade_submission


def median_seconds(fn, n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(n: int = 5) -> None:
    problem = sandbox_problem()
    if problem is not None:
        sys.exit(f"no sandbox on this machine: {problem}")
    launcher = student_launcher()
    print(f"median seconds per notebook over {n} runs; kernel = nbclient execution of the "
          "whole notebook (nbgrader's stock Execute step)")
    print(f"{'assignment':<20} {'kernel':>8} {'trusted':>8} {'sandboxed':>10} "
          f"{'overhead':>9} {'kernel/sandboxed':>17}")
    overheads = []
    for path in sorted(packaged_assignments().glob("*/*.ipynb")):
        nb = json.loads(path.read_text())
        node = read_notebook(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kernel = median_seconds(lambda node=node, cwd=path.parent: execute(node, cwd=cwd), n)
        plain = median_seconds(lambda nb=nb: grade_submission(nb, nb), n)
        boxed = median_seconds(lambda nb=nb: grade_submission(nb, nb, launcher=launcher), n)
        overheads.append(boxed - plain)
        print(f"{path.stem:<20} {kernel:8.2f} {plain:8.2f} {boxed:10.2f} "
              f"{boxed - plain:+9.2f} {kernel / boxed:17.2f}")
    print(f"sandbox overhead per notebook: median {statistics.median(overheads):+.2f} s, "
          f"largest {max(overheads):+.2f} s (target: at most +0.5 s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
