"""``course gradescope ID``: a Gradescope autograder zip that runs the course's own checks.

The zip holds, at its root (Gradescope's autograder specification):

* ``setup.sh``: run once by Gradescope, as root, when it builds the image:
  installs Python (>= 3.11: choose the Ubuntu 24.04 base image), bubblewrap
  for the grading sandbox, and the pinned dependencies of
  ``requirements.txt`` into ``/autograder/venv``;
* ``run_autograder``: run for every submission; it runs
  ``python -m course_pkg.instructor.gradescope`` with the zip's own copy of
  ``course_pkg`` (``python/course_pkg``) first on the path, so the grader is
  exactly the code the zip was built from;
* ``assignment/<id>.ipynb`` (the instructor notebook, hidden tests
  included) and ``assignment/<id>.released.ipynb`` (the student version, to
  detect edited or deleted test cells);
* ``gradescope.json``: the assignment id, the timeout, whether variants are
  on and their salt.

Grading is :func:`~.trusted.grade_submission`, the function behind
``course autograde``: same test cells, same scores, same messages, the
student's code in the grading sandbox when the image allows it (else
unconfined, with a warning in the instructor-only stdout). Hidden test cells
draw their inputs from the student's variant (``submission_metadata.json``:
the first user's ``sid``, else email, else Gradescope id) and are reported
with visibility ``after_published``; visible ones are ``visible``.

``AUTOGRADER_ROOT`` (default ``/autograder``) and ``AUTOGRADER_PYTHON``
(default ``$AUTOGRADER_ROOT/venv/bin/python``) let the scripts run on a
copy of that layout, as the tests do.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import pathlib
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping
from typing import Any

from .errors import CourseError, say

__all__ = ["build_zip", "cmd_gradescope", "find_submission", "results_json", "run"]

#: Distributions the grader needs at run time (with their own dependencies,
#: which pip resolves); pinned to the versions of the environment building the zip.
#: nbgrader and jupyter_client because the sandbox module builds on them.
RUNTIME_DEPS = ("numpy", "ipython", "nbgrader", "jupyter_client", "matplotlib", "tqdm",
                "threadpoolctl")

HIDDEN_MARK = "### BEGIN HIDDEN TESTS"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# Built by `course gradescope {aid}` (course_pkg {version}).
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap util-linux
python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit("course autograder: Python >= 3.11 is needed, this image has "
             + sys.version.split()[0]
             + ": choose the Ubuntu 24.04 base image in the assignment's autograder settings.")
PY
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --no-cache-dir --quiet -r "$ROOT/source/requirements.txt"
"$ROOT/venv/bin/python" -c "import numpy, IPython; print('course autograder: ready')"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes results/results.json.
# Built by `course gradescope {aid}` (course_pkg {version}).
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
mkdir -p "$ROOT/results"
cd "$ROOT"
if [ ! -x "$PYTHON" ]; then
  cat > "$ROOT/results/results.json" <<'JSON'
{{"score": 0, "tests": [],
 "output": "The autograder is not installed (setup.sh did not finish): nothing was graded. \
Please tell your instructor; your submission is kept and can be regraded."}}
JSON
  echo "course autograder: $PYTHON is missing (did setup.sh run?)" >&2
  exit 1
fi
export PYTHONPATH="$ROOT/source/python${{PYTHONPATH:+:$PYTHONPATH}}"
exec "$PYTHON" -m course_pkg.instructor.gradescope --root "$ROOT"
"""


# --- building the zip ----------------------------------------------------------------------


def _requirements() -> str:
    lines = []
    for dist in RUNTIME_DEPS:
        try:
            lines.append(f"{dist}=={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            raise CourseError(f"cannot pin {dist}: it is not installed in this environment "
                              f"({sys.prefix}); install the course environment first.") from None
    return "\n".join(lines) + "\n"


def _package_files() -> list[tuple[pathlib.Path, str]]:
    """``(file, name in the zip)`` for the package's source (no caches, no build output)."""
    import course_pkg

    pkg = pathlib.Path(course_pkg.__file__).resolve().parent
    files = []
    for path in sorted(pkg.rglob("*")):
        rel = path.relative_to(pkg.parent)
        if path.is_file() and "__pycache__" not in rel.parts and path.suffix != ".pyc":
            files.append((path, f"python/{rel.as_posix()}"))
    return files


def _version() -> str:
    try:
        return importlib.metadata.version("course_pkg")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a bare checkout
        return "unknown"


def build_zip(source_nb: pathlib.Path, aid: str, out: pathlib.Path, *, timeout: float = 10.0,
              variants: bool = True, salt: str = "") -> list[str]:
    """Write the autograder zip of assignment ``aid`` to ``out``; return its file names.

    Parameters
    ----------
    source_nb : Path
        The instructor notebook (solutions and hidden tests).
    aid : str
        The assignment id.
    out : Path
        The zip to write (atomically: a temporary file, then renamed).
    timeout : float
        Seconds one call of a student's function may take.
    variants : bool
        Per-student variants of the hidden tests.
    salt : str
        The variants' course secret (``COURSE_VARIANT_SALT``).

    Returns
    -------
    list of str
        The names in the zip.
    """
    import nbformat

    from .notebooks import read_notebook, student_version

    source = read_notebook(source_nb)
    released = student_version(source)
    config = {"assignment": aid, "timeout": timeout, "variants": variants, "salt": salt,
              "course_pkg": _version(), "sandbox": True,
              "built": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    version = config["course_pkg"]
    texts = {
        "setup.sh": SETUP_SH.format(aid=aid, version=version),
        "run_autograder": RUN_AUTOGRADER.format(aid=aid, version=version),
        "requirements.txt": _requirements(),
        "gradescope.json": json.dumps(config, indent=2) + "\n",
        f"assignment/{aid}.ipynb": nbformat.writes(source),
        f"assignment/{aid}.released.ipynb": nbformat.writes(released),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in texts.items():
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = (0o755 if name in ("setup.sh", "run_autograder")
                                      else 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, text)
            for path, name in _package_files():
                zf.write(path, name)
            names = zf.namelist()
        os.replace(tmp, out)
    finally:
        pathlib.Path(tmp).unlink(missing_ok=True)
    return names


def _source_notebook(args, aid: str) -> pathlib.Path:
    from .coursedir import ASSIGNMENT_ID, check_assignment, packaged_assignments

    if not ASSIGNMENT_ID.match(aid):
        raise CourseError(f"{aid!r} is not a valid assignment id (letters, digits, _ . -).")
    if getattr(args, "source", None):
        nb = pathlib.Path(args.source).expanduser() / aid / f"{aid}.ipynb"
        if not nb.is_file():
            raise CourseError(f"{nb} does not exist (--source DIR holds <id>/<id>.ipynb).")
        return nb
    root = pathlib.Path(args.course_dir).expanduser().resolve()
    if (root / "nbgrader_config.py").exists() and (root / "source" / aid).is_dir():
        return check_assignment(root, aid)  # a course directory's own source
    nb = packaged_assignments() / aid / f"{aid}.ipynb"
    if not nb.is_file():
        known = sorted(p.name for p in packaged_assignments().iterdir() if p.is_dir())
        raise CourseError(f"unknown assignment id {aid!r}. Known assignments: "
                          f"{', '.join(known)}.")
    return nb


def cmd_gradescope(args) -> int:
    """``course gradescope ID``: write the Gradescope autograder zip of an assignment."""
    aid = args.assignment_id
    source_nb = _source_notebook(args, aid)
    if args.timeout <= 0:
        raise CourseError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    out = pathlib.Path(args.out or f"{aid}_gradescope.zip").expanduser().resolve()
    if out.is_dir():
        out = out / f"{aid}_gradescope.zip"
    if not out.parent.is_dir():
        raise CourseError(f"folder {out.parent} does not exist.")
    if out.exists() and not args.force:
        raise CourseError(f"{out} exists; pass --force to replace it (nothing was changed).")
    salt = os.environ.get("COURSE_VARIANT_SALT", "")
    names = build_zip(source_nb, aid, out, timeout=args.timeout,
                      variants=not args.no_variants, salt=salt)
    say(f"Wrote {out} ({len(names)} files) from {source_nb}.")
    say("  setup.sh, run_autograder, requirements.txt, gradescope.json, "
        f"assignment/{aid}.ipynb (hidden tests: keep the zip private), python/course_pkg/")
    if args.no_variants:
        say("  Hidden tests use the notebook's fixed seeds (--no-variants).")
    else:
        say("  Hidden tests draw per-student variants"
            + (" salted with $COURSE_VARIANT_SALT." if salt else
               " (no $COURSE_VARIANT_SALT set: unsalted)."))
    say("Upload it in Gradescope (Programming assignment > Configure autograder > Zip "
        "file upload), base image Ubuntu 24.04. Students submit their .ipynb.")
    return 0


# --- grading one submission (inside Gradescope) --------------------------------------------


def find_submission(folder: pathlib.Path, aid: str, test_ids: set[str]
                    ) -> tuple[pathlib.Path | None, str]:
    """The student's notebook in ``folder``, whatever its name, and a note or an error.

    ``<aid>.ipynb`` wins; otherwise the only notebook, or the only one holding
    the assignment's cells. Checkpoints and ``__MACOSX`` copies are ignored.
    Returns ``(None, reason)`` when there is no notebook or no way to choose.
    """
    found = sorted(p for p in folder.rglob("*.ipynb")
                   if p.is_file() and not {".ipynb_checkpoints", "__MACOSX"} & set(
                       p.relative_to(folder).parts) and not p.name.startswith("._"))
    if not found:
        return None, (f"No notebook (.ipynb) in your submission. Upload your {aid}.ipynb "
                      "(in Jupyter: File > Download as > Notebook).")
    exact = [p for p in found if p.name == f"{aid}.ipynb"]
    if len(exact) == 1:
        return exact[0], ""
    if len(found) == 1:
        return found[0], f"Graded {found[0].name} (the only notebook submitted)."
    ours = []
    for p in found:
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if any(f'"{t}"' in text for t in test_ids):
            ours.append(p)
    names = ", ".join(str(p.relative_to(folder)) for p in found)
    if len(ours) == 1:
        return ours[0], (f"Graded {ours[0].relative_to(folder)} (the only notebook of {aid} "
                         f"among: {names}).")
    return None, (f"Several notebooks in your submission ({names}) and no way to tell "
                  f"which is {aid}: submit only your {aid}.ipynb.")


def _student_id(root: pathlib.Path) -> str | None:
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        users = meta.get("users") or []
    except (OSError, ValueError, AttributeError):
        return None
    ids = []
    for user in users if isinstance(users, list) else []:
        if isinstance(user, Mapping):
            for key in ("sid", "email", "id"):
                if user.get(key) not in (None, ""):
                    ids.append(str(user[key]).strip().lower() if key == "email"
                               else str(user[key]).strip())
                    break
    return sorted(ids)[0] if ids else None


def _cell_names(source: Mapping[str, Any]) -> dict[str, tuple[str, bool]]:
    """``grade_id -> (name for the results, hidden?)`` from the docstring of each test cell."""
    import ast

    out = {}
    for cell in source.get("cells", []):
        md = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not md.get("grade") or md.get("solution"):
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        summary = ""
        try:
            body = ast.parse(src).body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                text = str(body[0].value.value).removeprefix("Hidden test:").strip()
                summary = text.split(":")[0].split(", ")[0].split(". ")[0].rstrip(".")[:90]
        except SyntaxError:
            pass
        name = md["grade_id"] + (f" ({summary.strip(' :')})" if summary.strip(" :") else "")
        out[md["grade_id"]] = (name[:120], HIDDEN_MARK in src)
    return out


def results_json(results, source: Mapping[str, Any], *, note: str = "",
                 variant=None, seconds: float = 0.0) -> dict[str, Any]:
    """Gradescope's ``results.json`` for :class:`~.trusted.CellResult` s.

    Hidden test cells get visibility ``after_published``, the others
    ``visible``; every test has score, max_score, name, output, status and
    its grading status in ``extra_data``.
    """
    from .trusted import summary

    names = _cell_names(source)
    tests = []
    for r in results:
        name, hidden = names.get(r.grade_id, (r.grade_id, False))
        if r.status == "passed":
            output = "passed"
        else:
            output = f"{r.status}: {r.message}"
        if r.output.strip():
            output += "\n" + r.output.strip()
        tests.append({"name": name, "score": r.score, "max_score": r.max_score,
                      "status": "passed" if r.status == "passed" else "failed",
                      "output": output,
                      "visibility": "after_published" if hidden else "visible",
                      "extra_data": {"grade_id": r.grade_id, "status": r.status}})
    lines = [f"Score {summary(results)}." if results else "Nothing was graded."]
    if variant is not None:
        lines.append(f"Hidden tests: variant {variant.id} (drawn from your student id).")
    if note:
        lines.append(note)
    return {"score": sum(r.score for r in results), "output": "\n".join(lines),
            "visibility": "visible", "stdout_visibility": "hidden",
            "execution_time": round(seconds), "tests": tests}


def _write(root: pathlib.Path, data: Mapping[str, Any]) -> pathlib.Path:
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(".results.json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out


def run(root: pathlib.Path) -> int:
    """Grade ``root/submission`` with ``root/source``; write ``root/results/results.json``.

    Whatever goes wrong, a results.json is written with a message for the
    student (score 0, nothing deleted: the submission can be regraded).
    """
    from .. import grading
    from .trusted import grade_submission

    start = time.monotonic()
    try:
        config = json.loads((root / "source" / "gradescope.json").read_text(encoding="utf-8"))
        aid = config["assignment"]
        source = json.loads((root / "source" / "assignment" / f"{aid}.ipynb").read_text(
            encoding="utf-8"))
        released = json.loads((root / "source" / "assignment" / f"{aid}.released.ipynb")
                              .read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as err:
        _write(root, {"score": 0, "tests": [], "output": (
            "The autograder is incomplete (its gradescope.json or notebooks are missing): "
            "nothing was graded. Please tell your instructor; your submission is kept.")})
        print(f"course autograder: broken autograder zip: {err}", file=sys.stderr)
        return 1
    test_ids = set(_cell_names(source))
    path, note = find_submission(root / "submission", aid, test_ids)
    if path is None:
        _write(root, {"score": 0, "tests": [], "output": note})
        print(f"course autograder: {note}")
        return 0
    try:
        submitted = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(submitted, dict) or not isinstance(submitted.get("cells"), list):
            raise ValueError("no list of cells")
    except (OSError, UnicodeDecodeError, ValueError) as err:
        message = (f"{path.name} is not a readable notebook ({str(err)[:120]}). Was it saved "
                   "completely? Download it again from Jupyter (File > Download as > "
                   "Notebook) and resubmit.")
        _write(root, {"score": 0, "tests": [], "output": message})
        print(f"course autograder: {message}")
        return 0
    student = _student_id(root)
    variant = None
    if config.get("variants", True):
        if student is None:
            note += ("\nNo student id in submission_metadata.json: the hidden tests used "
                     "the notebook's fixed inputs.")
        else:
            variant = grading.variant(student, aid, config.get("salt", ""))
    launcher = None
    if config.get("sandbox", True):
        from .sandbox import student_launcher

        launcher = student_launcher()
    try:
        results = grade_submission(source, submitted, launcher=launcher,
                                   timeout=float(config.get("timeout", 10.0)),
                                   released=released, variant=variant)
    except Exception as err:  # a grader bug must still leave a results.json
        _write(root, {"score": 0, "tests": [], "output": (
            "The autograder failed on this submission (not your fault): nothing was graded. "
            "Please tell your instructor; your submission is kept and can be regraded.")})
        print(f"course autograder: grading failed: {type(err).__name__}: {err}",
              file=sys.stderr)
        return 1
    data = results_json(results, source, note=note.strip(), variant=variant,
                        seconds=time.monotonic() - start)
    out = _write(root, data)
    print(f"course autograder: graded {path.name} of {student or 'unknown student'}: "
          f"{data['output'].splitlines()[0]} -> {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m course_pkg.instructor.gradescope --root /autograder`` (run_autograder)."""
    parser = argparse.ArgumentParser(description="Grade one Gradescope submission.")
    parser.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    args = parser.parse_args(argv)
    return run(pathlib.Path(args.root))


if __name__ == "__main__":
    sys.exit(main())
