"""Grading throughput: stock sequential ``nbgrader autograde`` against ``course autograde -j 2``.

For a class of 24 and of 200 identical correct submissions of 01_forget_gate, prints
the wall-clock seconds of

* stock ``nbgrader autograde`` (nbgrader 0.9's own preprocessors: every notebook
  executed in a Jupyter kernel, one after the other, no sandbox), and
* ``course autograde -j 2`` (trusted grading, every student's code in the bwrap
  sandbox, two parallel workers, the gradebook written by nbgrader),

their ratio and the cost per notebook; then the Dask path on the class of 24, with a
real ``dask scheduler`` and one, then two, ``dask worker --nthreads 1`` processes on
127.0.0.1. Both commands are timed end to end (start-up and gradebook included).

Run: ``.venv/bin/python benchmarks/bench_grading.py [--sizes 24 200] [--no-dask]``
(about 10 minutes on a 2-core machine). Figures are wall-clock and depend on the
machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from course_pkg.instructor.dask_backend import LocalDaskCluster

AID = "01_forget_gate"
RIGHT = "return sigmoid(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)"
STOCK_CONFIG = '''c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.course_id = "lstm-attention"
'''


def course(*argv) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "course_pkg.instructor.cli", *map(str, argv)],
                   check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def make_class(base: pathlib.Path, n: int) -> pathlib.Path:
    """A course directory with ``n`` identical correct submissions collected."""
    root = base / "course"
    course("init", root)
    course("--course-dir", root, "release", AID)
    released = json.loads((root / "release" / AID / f"{AID}.ipynb").read_text())
    for cell in released["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "forget_gate":
            cell["source"] = "".join(cell["source"]).replace(
                "# YOUR CODE HERE\n    raise NotImplementedError()", RIGHT)
    text = json.dumps(released)
    for k in range(n):
        path = base / "subs" / f"student{k:03d}" / AID / f"{AID}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(text)
    course("--course-dir", root, "collect", AID, base / "subs")
    return root


def stock_copy(root: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    """The same course directory with nbgrader's stock configuration."""
    shutil.copytree(root, dest, symlinks=True)
    (dest / "nbgrader_config.py").write_text(STOCK_CONFIG.format(root=str(dest)))
    return dest


def stock_autograde(root: pathlib.Path) -> float:
    env = {**os.environ, "PATH": f"{pathlib.Path(sys.executable).parent}:{os.environ['PATH']}"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", AID,
                    f"--CourseDirectory.root={root}"], cwd=root, check=True,
                   capture_output=True, text=True, env=env)
    return time.perf_counter() - start


def scores(root: pathlib.Path) -> list[float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "lstm-attention") as gb:
        return sorted(s.score for s in gb.find_assignment(AID).submissions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[24, 200])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    print(f"grading {AID}: {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    print(f"{'class':>6} {'stock nbgrader s':>17} {f'course -j {args.jobs} s':>15} "
          f"{'speed-up':>9} {'stock s/nb':>11} {'course s/nb':>12}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = pathlib.Path(tmp)
        for n in args.sizes:
            base = tmp / f"class{n}"
            root = make_class(base, n)
            stock = stock_copy(root, base / "stock")
            t_stock = stock_autograde(stock)
            t_course = course("--course-dir", root, "autograde", AID, "-j", args.jobs)
            if scores(stock) != scores(root):
                print(f"WARNING: the scores differ: stock {scores(stock)[:5]}..., course "
                      f"{scores(root)[:5]}...")
            print(f"{n:>6} {t_stock:>17.1f} {t_course:>15.1f} {t_stock / t_course:>8.2f}x "
                  f"{t_stock / n:>11.3f} {t_course / n:>12.3f}", flush=True)
        if not args.no_dask:
            n = min(args.sizes)
            root = tmp / f"class{n}" / "course"
            times = {}
            for workers in (1, 2):
                cluster_dir = tmp / f"dask{workers}"
                cluster_dir.mkdir()
                with LocalDaskCluster(workers, cluster_dir) as cluster:
                    times[workers] = course("--course-dir", root, "autograde", AID, "--force",
                                            "--dask", cluster.address)
                    print(f"Dask, {workers} worker(s): {times[workers]:.1f} s", flush=True)
            print(f"Dask, class of {n} (course autograde --dask, end to end): 1 worker "
                  f"{times[1]:.1f} s, 2 workers {times[2]:.1f} s, scaling "
                  f"{times[1] / times[2]:.2f}x")


if __name__ == "__main__":
    main()
