"""``course collect``: copy submissions (a folder or a zip) into ``submitted/``.

Accepted layouts: ``<student>/<id>/<id>.ipynb`` or
``submitted/<student>/<id>/...``, optionally wrapped in one top folder (as
an LMS export usually is). A zip with unsafe paths (absolute, ``..``, drive
letters, backslashes, symbolic links) is refused before anything is
extracted; each submission is validated, staged, then moved into place.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import stat
import tempfile
import zipfile

from .coursedir import check_assignment, course_root
from .errors import CourseError, progress, say
from .notebooks import read_notebook

__all__ = ["STUDENT_ID", "cmd_collect"]

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")


def _safe_member(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name:
        return False
    parts = pathlib.PurePosixPath(name).parts
    return ".." not in parts and not any(p.startswith("~") for p in parts[:1])


def _extract_zip(path: pathlib.Path, dest: pathlib.Path) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise CourseError(f"{path} is not a valid zip file.") from None
    with zf:
        unsafe = []
        for info in zf.infolist():
            mode = info.external_attr >> 16
            if not _safe_member(info.filename) or stat.S_ISLNK(mode):
                unsafe.append(info.filename)
        if unsafe:
            raise CourseError(
                f"refusing {path}: it holds unsafe paths (absolute, '..', drive letters, "
                f"backslashes or symbolic links): {unsafe[:5]}. Nothing was extracted.")
        total = sum(i.file_size for i in zf.infolist())
        if total > 2 * 1024**3:
            raise CourseError(f"refusing {path}: it would extract to {total / 1e9:.1f} GB.")
        zf.extractall(dest)


def _find_student_folders(base: pathlib.Path, aid: str) -> dict[str, pathlib.Path]:
    """Map student id -> folder holding the assignment, for the accepted layouts."""
    candidates = [base, base / "submitted"]
    # a zip often wraps everything in one top folder
    subdirs = [p for p in base.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))]
    if len(subdirs) == 1:
        candidates += [subdirs[0], subdirs[0] / "submitted"]
    for cand in candidates:
        if not cand.is_dir():
            continue
        found = {p.name: p / aid for p in sorted(cand.iterdir())
                 if p.is_dir() and (p / aid).is_dir()}
        if found:
            return found
    return {}


def cmd_collect(args) -> int:
    """``course collect ID PATH``: copy the valid submissions in, report the skipped ones."""
    root = course_root(args)
    aid = args.assignment_id
    check_assignment(root, aid)
    src = pathlib.Path(args.path).expanduser().resolve()
    if not src.exists():
        raise CourseError(f"no such file or folder: {src}")
    (root / "submitted").mkdir(exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".collect.", dir=root))
    try:
        if src.is_file():
            if src.suffix.lower() != ".zip":
                raise CourseError(f"{src} is neither a folder nor a .zip file.")
            _extract_zip(src, staging / "unzipped")
            base = staging / "unzipped"
        else:
            base = src
        folders = _find_student_folders(base, aid)
        if not folders:
            raise CourseError(
                f"no submissions of {aid} found in {src}: expected <student>/{aid}/{aid}.ipynb "
                f"(or submitted/<student>/{aid}/...).")
        collected, skipped = [], []
        for student, folder in progress(folders.items(), desc="collect", unit="student"):
            if not STUDENT_ID.match(student):
                skipped.append((student, "not a valid student id (letters, digits, _ . @ -)"))
                continue
            nb_path = folder / f"{aid}.ipynb"
            if not nb_path.is_file():
                skipped.append((student, f"no {aid}.ipynb in {folder.name}/"))
                continue
            if any(p.is_symlink() for p in folder.rglob("*")):
                skipped.append((student, "contains symbolic links"))
                continue
            try:
                read_notebook(nb_path)
            except CourseError as exc:
                skipped.append((student, str(exc)))
                continue
            target = root / "submitted" / student / aid
            if target.exists() and not args.replace:
                skipped.append((student, f"already collected in {target} (use --replace)"))
                continue
            stage = staging / "ready" / student
            shutil.copytree(folder, stage, symlinks=False)
            if not (stage / "timestamp.txt").exists():
                ts = os.path.getmtime(nb_path)
                import datetime as _dt

                stamp = _dt.datetime.fromtimestamp(ts, _dt.UTC)
                (stage / "timestamp.txt").write_text(
                    stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"), encoding="utf-8")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                old = staging / "replaced" / student
                old.parent.mkdir(parents=True, exist_ok=True)
                target.replace(old)
            stage.replace(target)
            collected.append(student)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say(f"Collected {len(collected)} submission(s) of {aid} into {root / 'submitted'}/"
        f"<student>/{aid}/")
    if collected:
        say("  students: " + ", ".join(collected))
    for student, why in skipped:
        say(f"  skipped {student}: {why}")
    if collected:
        say(f"Next: course autograde {aid}")
    return 0 if collected else 1
