"""Course directories: ``course init``, and where the notebooks and submissions are.

A course directory has nbgrader's layout: ``nbgrader_config.py``,
``source/<id>/<id>.ipynb`` (the instructor notebooks), and the folders
nbgrader fills (``release/``, ``submitted/``, ``autograded/``,
``feedback/``, ``gradebook.db``). The instructor notebooks ship inside the
package (:func:`packaged_assignments`), so an installed ``course`` command
needs no checkout of the repository.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import tempfile

from .errors import CourseError, say

__all__ = [
    "ASSIGNMENT_ID",
    "check_assignment",
    "cmd_init",
    "course_root",
    "enclosing_repository",
    "packaged_assignments",
    "source_dir",
    "submissions",
]

ASSIGNMENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")

CONFIG_TEMPLATE = '''"""nbgrader configuration of this course directory (written by `course init`).

Shared settings (warnings ignored, deleted test cells restored with 0 points,
hidden tests removed from the feedback) come from course_pkg.instructor.nbconfig.
"""

from course_pkg.instructor.nbconfig import apply_config

c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.course_id = {course_id!r}
apply_config(c)
'''


def packaged_assignments() -> pathlib.Path:
    """The instructor source notebooks shipped with the package: ``<id>/<id>.ipynb``."""
    return pathlib.Path(__file__).resolve().parent / "data" / "assignments"


def enclosing_repository(path: pathlib.Path) -> pathlib.Path | None:
    """The git work tree holding ``path`` (which need not exist yet), or None."""
    for folder in (path, *path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def course_root(args) -> pathlib.Path:
    """The course directory given by ``--course-dir``; it must hold nbgrader_config.py."""
    root = pathlib.Path(args.course_dir).expanduser().resolve()
    if not (root / "nbgrader_config.py").exists():
        raise CourseError(
            f"{root} is not a course directory (no nbgrader_config.py). Create one with "
            "`course init DIR`, then pass `--course-dir DIR` or set COURSE_DIR=DIR.")
    return root


def source_dir(root: pathlib.Path) -> pathlib.Path:
    """The folder of the instructor notebooks in the course directory ``root``."""
    for name in ("source", "assignments"):
        if (root / name).is_dir():
            return root / name
    raise CourseError(f"{root} has no source/ folder with the instructor notebooks; "
                      "`course init` creates it.")


def check_assignment(root: pathlib.Path, aid: str) -> pathlib.Path:
    """The source notebook of assignment ``aid``, or a CourseError listing the known ids."""
    if not ASSIGNMENT_ID.match(aid):
        raise CourseError(f"{aid!r} is not a valid assignment id (letters, digits, _ . -).")
    src = source_dir(root)
    nb = src / aid / f"{aid}.ipynb"
    if not nb.exists():
        known = sorted(p.name for p in src.iterdir() if (p / f"{p.name}.ipynb").exists())
        raise CourseError(f"unknown assignment id {aid!r}: {nb} does not exist. "
                          f"Known assignments: {', '.join(known) or 'none'}.")
    return nb


def submissions(root: pathlib.Path, aid: str, folder: str = "submitted") -> list[str]:
    """The students with a non-empty ``folder/<student>/<aid>/`` in the course directory."""
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / aid).is_dir() and any((p / aid).iterdir()))


def _db_config(url: str) -> str:
    """The nbgrader_config.py lines of ``course init --db URL`` (a shared gradebook)."""
    if not re.match(r"^(sqlite|postgresql|postgresql\+\w+|mysql\+\w+)://", url):
        raise CourseError(f"--db must be a database URL such as "
                          f"postgresql://USER@HOST:PORT/DBNAME or sqlite:////path/gradebook.db, "
                          f"got {url!r}")
    return ("# The gradebook is shared (course init --db): keep a password out of this file,\n"
            "# in ~/.pgpass or PGPASSWORD.\n"
            f"c.CourseDirectory.db_url = {url!r}\n")


def cmd_init(args) -> int:
    """``course init DIR``: write nbgrader_config.py and link (or copy) the source notebooks."""
    root = pathlib.Path(args.dir).expanduser().resolve()
    db = getattr(args, "db", None)
    db_lines = _db_config(db) if db else ""
    assignments = (pathlib.Path(args.source).resolve() if args.source
                   else packaged_assignments())
    if not assignments.is_dir():
        raise CourseError(f"no assignments folder at {assignments}; pass --source.")
    repo = enclosing_repository(root)
    if repo is not None:
        raise CourseError(
            f"{root} is inside the repository {repo}: student submissions and the "
            "gradebook must never land in git. Choose a folder outside it.")
    if (root / "nbgrader_config.py").exists():
        raise CourseError(f"{root} is already a course directory (nbgrader_config.py exists).")
    root.mkdir(parents=True, exist_ok=True)
    source = root / "source"
    if source.exists() or source.is_symlink():
        raise CourseError(f"{source} already exists; remove it or choose another folder.")
    if args.copy:
        tmp = pathlib.Path(tempfile.mkdtemp(prefix=".source.", dir=root))
        try:
            for nb in sorted(assignments.glob("*/*.ipynb")):
                (tmp / nb.parent.name).mkdir(exist_ok=True)
                shutil.copy2(nb, tmp / nb.parent.name / nb.name)
            tmp.replace(source)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        how = f"copied from {assignments}"
    else:
        source.symlink_to(assignments, target_is_directory=True)
        how = f"a link to {assignments}"
    text = CONFIG_TEMPLATE.format(root=str(root), course_id=args.course_id) + db_lines
    tmp_cfg = root / ".nbgrader_config.py.tmp"
    tmp_cfg.write_text(text, encoding="utf-8")
    tmp_cfg.replace(root / "nbgrader_config.py")
    ids = sorted(p.parent.name for p in source.glob("*/*.ipynb"))
    say(f"Created course directory {root}")
    say(f"  nbgrader_config.py   course id {args.course_id!r}")
    say(f"  source/              {how} ({len(ids)} assignments: {', '.join(ids)})")
    if db:
        say(f"  gradebook            {db.split('@')[-1] if '@' in db else db} (--db)")
    say(f"Next: export COURSE_DIR={root}; course release {ids[0] if ids else 'ID'}")
    return 0
