"""Write the instructor notebooks from the assignments' jupytext sources.

Each assignment is one real, linted Python file, ``assignments/<id>/<id>.py``
(jupytext percent format, nbgrader metadata in the ``# %%`` cell headers);
this script turns it into ``course_pkg/instructor/data/assignments/<id>/<id>.ipynb``,
the instructor source notebook that ships with the package (``course init``,
``course release`` and ``course export-student`` read it)::

    python scripts/build_assignments.py            # write the stale notebooks (make assignments)
    python scripts/build_assignments.py --check    # exit 1 and name them if any is stale
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from course_pkg.instructor.build import build_all

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = ROOT / "assignments"
OUT = ROOT / "course_pkg" / "instructor" / "data" / "assignments"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a notebook differs from its source")
    parser.add_argument("--sources", type=pathlib.Path, default=SOURCES)
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    written, stale = build_all(args.sources, args.out, check=args.check)
    for path in written:
        print(f"wrote {path}")
    if stale:
        print("stale (edit assignments/<id>/<id>.py, then run `make assignments`):",
              *map(str, stale), sep="\n  ")
        return 1
    if args.check:
        print(f"the notebooks in {args.out} are up to date with {args.sources}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
