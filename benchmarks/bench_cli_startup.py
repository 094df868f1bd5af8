"""Start-up time of the ``course`` command: ``course --help`` against an eager import.

``course`` imports a command's module only when that command runs, so that
``course --help`` and a mistyped command answer at once. This prints the
median wall time of ``course --help`` and, as the peer measured in the same
run, of a Python process that imports every command module eagerly (what
``course --help`` cost before), and their ratio.

Usage: ``python benchmarks/bench_cli_startup.py [N]`` (default N = 5).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

EAGER = ("import course_pkg.instructor.collect, course_pkg.instructor.coursedir, "
         "course_pkg.instructor.release, course_pkg.instructor.export, "
         "course_pkg.instructor.nbgrader_driver, course_pkg.instructor.selfcheck, "
         "course_pkg.instructor.student_export")


def median_seconds(cmd: list[str], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(n: int = 5) -> None:
    course = os.path.join(os.path.dirname(sys.executable), "course")
    lazy = median_seconds([course, "--help"], n)
    eager = median_seconds([sys.executable, "-c", EAGER], n)
    print(f"median of {n} runs: course --help {lazy:.3f} s; "
          f"importing every command module {eager:.3f} s; ratio {eager / lazy:.0f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
