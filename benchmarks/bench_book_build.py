"""Time the book build: cold, unchanged rebuild, and rebuild after a prose edit.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_book_build.py            # all three
    .venv/bin/python benchmarks/bench_book_build.py --no-cold  # keep the caches

1. **cold**: ``_build/`` and the Jupyter execution cache are deleted, so every
   chapter is executed and every page written (target: 300 s).
2. **unchanged**: the same command again with nothing changed; nothing should
   be executed or re-read (target: 15 s).
3. **prose edit**: one sentence is appended to one chapter, the book is
   rebuilt (only that page is re-read; its code cells come from the cache
   because they did not change), then the file is restored byte for byte,
   even if the build fails or the script is interrupted (target: 30 s).

A last, untimed build brings ``_build/`` back in line with the restored
chapter. Every build is what ``make book`` runs: ``scripts/execute_book.py``
(the chapters missing from the execution cache, executed in parallel, one
per core) then ``jupyter-book build . -n -W --keep-going``; both are timed.
With ``--serial`` the first step is skipped, so jupyter-book executes the
chapters one after the other itself (the build before the parallel step,
for comparison). A build that fails or warns stops the benchmark with its log;
the log also records how many chapters jupyter-book executed itself.
With ``--check`` the exit status is 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGETS = {"cold": 300.0, "unchanged": 15.0, "prose edit": 30.0}
SENTENCE = "\n\nThis sentence was appended by benchmarks/bench_book_build.py.\n"


def find_jupyter_book(root: pathlib.Path) -> str:
    for candidate in (root / ".venv" / "bin" / "jupyter-book",
                      pathlib.Path(sys.executable).parent / "jupyter-book"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("jupyter-book")
    if found:
        return found
    sys.exit("jupyter-book not found: run `make env` first")


def cache_dir(root: pathlib.Path) -> pathlib.Path:
    cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf8"))
    cache = (cfg.get("execute") or {}).get("cache") or "_build/.jupyter_cache"
    return root / cache


def build(jb: str, root: pathlib.Path, label: str, log_dir: pathlib.Path,
          allow_failure: bool = False, serial: bool = False) -> float:
    log = log_dir / f"build_{label.replace(' ', '_')}.log"
    start = time.perf_counter()
    with log.open("w", encoding="utf8") as out:
        pre = root / "scripts" / "execute_book.py"
        if not serial and pre.is_file():
            subprocess.run([sys.executable, str(pre), "--root", str(root)], cwd=root,
                           stdout=out, stderr=subprocess.STDOUT, check=True)
        proc = subprocess.run(
            [jb, "build", ".", "-n", "-W", "--keep-going"],
            cwd=root, stdout=out, stderr=subprocess.STDOUT, check=False,
        )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 and allow_failure:
        print(f"  {label} build FAILED (exit {proc.returncode}, log {log}); timing kept",
              flush=True)
    elif proc.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf8", errors="replace").splitlines()[-40:])
        raise SystemExit(f"{label} build failed (exit {proc.returncode}); log {log}:\n{tail}")
    executed = log.read_text(encoding="utf8", errors="replace").count("Executing notebook using")
    print(f"  {label}: {elapsed:.1f} s, chapters executed by jupyter-book itself: {executed}",
          flush=True)
    return elapsed


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=pathlib.Path, default=ROOT,
                        help="repository root holding _config.yml (default: this repo)")
    parser.add_argument("--chapter", default="book/05_cell_state.md",
                        help="chapter whose prose is edited (default: %(default)s)")
    parser.add_argument("--no-cold", action="store_true",
                        help="skip the cold build (keep _build and the execution cache)")
    parser.add_argument("--allow-failures", action="store_true",
                        help="time builds even when they fail or warn (default: stop)")
    parser.add_argument("--serial", action="store_true",
                        help="skip scripts/execute_book.py: jupyter-book executes the "
                             "chapters one after the other (the old build, for comparison)")
    parser.add_argument("--cold-only", action="store_true",
                        help="time the cold build only")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 if a figure misses its target")
    args = parser.parse_args(argv)

    root = args.root.resolve()
    jb = find_jupyter_book(root)
    chapter = root / args.chapter
    if not chapter.is_file():
        sys.exit(f"{chapter} does not exist")
    vendor = root / "scripts" / "vendor_mathjax.sh"
    if vendor.is_file():
        subprocess.run(["bash", str(vendor)], cwd=root, check=True)
    log_dir = root / "benchmarks" / "results"
    log_dir.mkdir(parents=True, exist_ok=True)

    results: dict[str, float] = {}
    if not args.no_cold:
        print("cold build: removing _build/ and", cache_dir(root).relative_to(root), flush=True)
        shutil.rmtree(root / "_build", ignore_errors=True)
        shutil.rmtree(cache_dir(root), ignore_errors=True)
        results["cold"] = build(jb, root, "cold", log_dir, args.allow_failures, args.serial)
    else:
        # a first build, so that the next one really has nothing to do
        build(jb, root, "warm-up", log_dir, args.allow_failures, args.serial)
    if args.cold_only and "cold" in results:
        return report(results, log_dir, args.check)
    print("unchanged rebuild", flush=True)
    results["unchanged"] = build(jb, root, "unchanged", log_dir, args.allow_failures, args.serial)

    print(f"prose edit of {chapter.relative_to(root)}", flush=True)
    original = chapter.read_bytes()
    # SIGTERM (e.g. a CI timeout) must also run the `finally` that restores the file.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        chapter.write_bytes(original + SENTENCE.encode("utf8"))
        results["prose edit"] = build(jb, root, "prose edit", log_dir,
                                       args.allow_failures, args.serial)
    finally:
        chapter.write_bytes(original)
    assert chapter.read_bytes() == original
    # untimed: bring _build/ back in line with the restored text
    build(jb, root, "restore", log_dir, args.allow_failures, args.serial)

    return report(results, log_dir, args.check)


def report(results: dict[str, float], log_dir: pathlib.Path, check: bool) -> int:
    print()
    print(f"{'build':<12}{'seconds':>10}{'target':>10}  verdict")
    missed = []
    for label, seconds in results.items():
        ok = seconds <= TARGETS[label]
        missed += [] if ok else [label]
        print(f"{label:<12}{seconds:>10.1f}{TARGETS[label]:>10.0f}  {'ok' if ok else 'SLOW'}")
    (log_dir / "bench_book_build.json").write_text(
        json.dumps({"seconds": results, "targets": TARGETS}, indent=2) + "\n", encoding="utf8")
    return 1 if (check and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
