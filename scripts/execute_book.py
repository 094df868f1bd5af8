"""Execute the book's notebooks in parallel into its execution cache.

Jupyter Book 1.x executes the chapters one after the other while Sphinx reads
them, so a cold build uses one core. This script runs first (``make book``):
it executes every chapter the cache does not hold yet, ``--jobs`` at a time
(default: one per core), and stores each executed notebook in the cache
(``execute.cache`` of ``_config.yml``) exactly as myst-nb would: same reader
(myst-nb's ``myst_nb_md``), same working directory (the chapter's folder,
``run_in_temp: false``), same timeout and ``allow_errors``. Jupyter Book then
finds every chapter in the cache and executes nothing; its log says
"Using cached notebook" for each one. Nothing is kept across cold builds:
``make book-cold`` deletes the cache, so every chapter is executed here.

A chapter whose execution fails is not cached: Jupyter Book executes it
again and reports the error as a build warning (``-W`` fails the build).

Each kernel gets one BLAS/OpenMP thread (``OMP_NUM_THREADS`` and friends,
unless already set): with two kernels sharing two cores, more threads only
compete, and the book's matrices are small. The experiments already limit
BLAS to one thread (``course_pkg.experiments.single_threaded_blas``); the
outputs are identical either way.

Order: longest first (expected seconds from ``scripts/book_exec_seconds.json``,
measured; a chapter not listed there is started first, as it may be heavy),
so that the two workers finish close together.

Usage (from the repository root)::

    python scripts/execute_book.py [--jobs N] [--dry-run]
    python scripts/execute_book.py --update-times   # rewrite the hint file
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pathlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
HINTS = pathlib.Path(__file__).with_name("book_exec_seconds.json")
READER = {"name": "myst_nb_md", "type": "plugin"}
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def book_config(root: pathlib.Path) -> dict:
    cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf8")) or {}
    execute = cfg.get("execute") or {}
    return {
        "mode": execute.get("execute_notebooks", "auto"),
        "cache": root / (execute.get("cache") or "_build/.jupyter_cache"),
        "timeout": execute.get("timeout", 30),
        "allow_errors": bool(execute.get("allow_errors", False)),
        "run_in_temp": bool(execute.get("run_in_temp", False)),
    }


def _toc_files(node, out: list[str]) -> None:
    if isinstance(node, dict):
        for key in ("root", "file"):
            if isinstance(node.get(key), str):
                out.append(node[key])
        for value in node.values():
            if isinstance(value, dict | list):
                _toc_files(value, out)
    elif isinstance(node, list):
        for item in node:
            _toc_files(item, out)


def notebooks(root: pathlib.Path) -> list[pathlib.Path]:
    """The MyST-notebook pages named in ``_toc.yml``, in table-of-contents order."""
    from myst_nb.core.read import is_myst_markdown_notebook

    names: list[str] = []
    _toc_files(yaml.safe_load((root / "_toc.yml").read_text(encoding="utf8")), names)
    found = []
    for name in dict.fromkeys(names):
        path = root / name
        if path.suffix != ".md":
            path = path.with_name(path.name + ".md")
        if path.is_file() and is_myst_markdown_notebook(path.read_text(encoding="utf8")):
            found.append(path)
    return found


def _execute(uri: str, cwd: str, timeout: int | None, allow_errors: bool) -> tuple:
    """Worker: read and execute one chapter; (uri, notebook, seconds, traceback or None)."""
    from jupyter_cache.executors.utils import single_nb_execution
    from myst_nb.core.read import myst_nb_reader_plugin

    nb = myst_nb_reader_plugin(uri)
    result = single_nb_execution(nb, cwd=cwd, timeout=timeout, allow_errors=allow_errors,
                                 meta_override=True)
    return uri, result.nb, result.time, result.exc_string if result.err else None


def load_hints() -> dict[str, float]:
    return json.loads(HINTS.read_text(encoding="utf8")) if HINTS.is_file() else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=ROOT)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="chapters executed at once (default: the number of cores)")
    parser.add_argument("--dry-run", action="store_true",
                        help="list the chapters that would be executed, in order")
    parser.add_argument("--update-times", action="store_true",
                        help=f"write the cache's execution times to {HINTS.name} and stop")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    cfg = book_config(root)
    if cfg["mode"] != "cache":
        print(f"execute_notebooks is {cfg['mode']!r}, not 'cache': nothing to pre-execute")
        return 0

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cfg["cache"]))
    if args.update_times:
        times = {}
        for record in cache.list_cache_records():
            seconds = record.data.get("execution_seconds")
            path = pathlib.Path(record.uri)
            if seconds is not None and path.is_relative_to(root):
                times[str(path.relative_to(root))] = round(float(seconds), 1)
        HINTS.write_text(json.dumps(dict(sorted(times.items())), indent=2) + "\n",
                         encoding="utf8")
        print(f"wrote {len(times)} execution times to {HINTS}")
        return 0

    todo = []
    for path in notebooks(root):
        record = cache.add_nb_to_project(str(path), read_data=READER)
        if cache.get_cached_project_nb(record.pk) is None:
            todo.append(path)
    hints = load_hints()
    unknown = max(hints.values(), default=0.0) + 1.0  # unlisted chapters go first
    todo.sort(key=lambda p: -hints.get(str(p.relative_to(root)), unknown))
    if not todo:
        print(f"every chapter is in {cfg['cache'].relative_to(root)}: nothing to execute")
        return 0
    jobs = max(1, min(args.jobs, len(todo)))
    print(f"executing {len(todo)} chapter(s), {jobs} at a time: "
          + ", ".join(p.name for p in todo), flush=True)
    if args.dry_run:
        return 0
    for var in THREAD_VARS:  # inherited by every kernel the workers start
        os.environ.setdefault(var, "1")
    # the experiments' independent training runs may use every core too
    # (course_pkg.experiments._map_runs): a kernel whose partner has finished
    # then uses both cores instead of one
    os.environ.setdefault("COURSE_EXPERIMENT_WORKERS", str(os.cpu_count() or 1))
    if cfg["run_in_temp"]:
        # myst-nb would run these in a temporary folder; let it do so itself.
        print("run_in_temp is set: leaving execution to jupyter-book")
        return 0

    start = time.perf_counter()
    failed = []
    with ProcessPoolExecutor(max_workers=jobs,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_execute, str(p), str(p.parent), cfg["timeout"],
                               cfg["allow_errors"]) for p in todo]
        for future in as_completed(futures):
            uri, nb, seconds, error = future.result()
            name = pathlib.Path(uri).relative_to(root)
            if error is not None:
                failed.append(name)
                print(f"  FAILED {name} after {seconds:.1f} s (not cached; jupyter-book "
                      f"will execute it again and report the error):\n{error}", flush=True)
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, uri, data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            print(f"  {name}: {seconds:.1f} s", flush=True)
    print(f"executed {len(todo) - len(failed)} of {len(todo)} chapter(s) in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
