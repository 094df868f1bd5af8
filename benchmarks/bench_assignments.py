"""Time each assignment notebook as a student runs it: released version, solution filled in.

For every assignment, the student version (no solutions, no hidden tests) is
made with ``course_pkg.instructor.notebooks.student_version``, the solution
bodies from the instructor source are put back into the blanks, and the
notebook is executed in a fresh kernel with nbclient (kernel start-up
included, as for the student). The target is at most 10 s per notebook.

    python benchmarks/bench_assignments.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

from course_pkg import grading
from course_pkg.instructor.coursedir import packaged_assignments
from course_pkg.instructor.notebooks import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    execute,
    read_notebook,
    student_version,
    test_results,
)

SOURCE = packaged_assignments()
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
TARGET_S = 10.0


def solution_body(src, name: str) -> str:
    """The text between the solution markers of the cell ``name``."""
    cell = next(c for c in src.cells if c.metadata.get("nbgrader", {}).get("grade_id") == name)
    start = cell.source.index(BEGIN_SOLUTION) + len(BEGIN_SOLUTION)
    return cell.source[start:cell.source.index(END_SOLUTION)]


def filled_student_version(aid: str):
    src = read_notebook(SOURCE / aid / f"{aid}.ipynb")
    names = [c.metadata["nbgrader"]["grade_id"] for c in src.cells
             if BEGIN_SOLUTION in c.source and "nbgrader" in c.metadata]
    nb = student_version(src)
    for cell in nb.cells:
        name = cell.metadata.get("nbgrader", {}).get("grade_id")
        if name in names:
            cell.source = cell.source.replace(STUB, solution_body(src, name).strip("\n").rstrip())
    return nb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"{'assignment':<20} {'seconds':>8} {'tests':>7}  (target <= {TARGET_S:g} s, "
          "kernel start-up included)")
    worst = 0.0
    for aid in grading.ASSIGNMENTS:
        nb = filled_student_version(aid)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = execute(nb, cwd=SOURCE / aid)
            times.append(time.perf_counter() - t0)
        results = test_results(out)
        passed = sum(r.passed for r in results)
        t = statistics.median(times)
        worst = max(worst, t)
        flag = "" if t <= TARGET_S else "  SLOW"
        print(f"{aid:<20} {t:8.2f} {passed:>3}/{len(results):<3}{flag}")
    print(f"slowest: {worst:.2f} s")
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
