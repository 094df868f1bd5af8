"""Clear the book's execution cache when the code it ran has changed.

Jupyter Book's cache (jupyter-cache) keys each notebook on its code cells
only. The chapters call ``course_pkg``, so a change in the package (an
experiment's default, a plotting function) would otherwise leave stale
figures and numbers in the book. This script hashes the package sources and
the pinned dependencies; when the hash differs from the one recorded at the
last build, it deletes the cache and Sphinx's saved environment
(``_build/.doctrees``) so every chapter is read and executed again.

Usage: python scripts/cache_guard.py [--cache .jupyter_cache]
"""

from __future__ import annotations

import argparse
import hashlib
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
STAMP_NAME = "course_pkg.sha256"


def source_hash(root: pathlib.Path | None = None) -> str:
    """SHA-256 over the package's .py files and requirements.lock, in path order."""
    root = ROOT if root is None else root
    digest = hashlib.sha256()
    files = [*sorted((root / "course_pkg").rglob("*.py")), root / "requirements.lock"]
    for path in files:
        if "__pycache__" in path.parts or not path.exists():
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=str(ROOT / ".jupyter_cache"))
    parser.add_argument("--build", default=str(ROOT / "_build"),
                        help="Sphinx build folder whose saved environment is cleared too")
    args = parser.parse_args(argv)
    cache = pathlib.Path(args.cache)
    doctrees = pathlib.Path(args.build) / ".doctrees"
    stamp = cache / STAMP_NAME
    current = source_hash()
    if cache.exists():
        previous = stamp.read_text().strip() if stamp.exists() else None
        if previous == current:
            print(f"book cache is current ({cache})")
            return 0
        print(f"course_pkg changed since the last build: clearing {cache} and {doctrees}")
        shutil.rmtree(cache)
    # Sphinx re-reads a page only if its source changed; without its saved
    # environment it re-reads (and so re-executes) every page.
    if doctrees.exists():
        shutil.rmtree(doctrees)
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
