"""``course collect``: copy hand-ins (a folder or a zip) into ``submitted/``.

The layouts and LMS names understood are those of :mod:`.handins`; the
class list that maps LMS names and numbers to student ids is
:mod:`.roster`'s. Each submission is validated, staged in the course
directory, then moved into ``submitted/<student>/<id>/`` in one rename,
with a ``timestamp.txt`` (nbgrader's submission time) from the file's time
in the zip or on disk, unless the hand-in has one. Nothing is overwritten
silently: a different submission replaces a collected one only if it is
newer (or with ``--replace``), and the earlier one is kept under
``superseded/``. The command ends with ``N collected, M skipped
(reasons)`` and exits with 3 when anything was skipped.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import pathlib
import re
import shutil
import tempfile

from .coursedir import check_assignment, course_root, source_dir
from .errors import CourseError, progress, say
from .handins import HandIn, extract_zip, find_handins
from .roster import Roster, default_roster, record_students, safe_student_id
from .timestamps import nbgrader_timestamp, read_timestamp

__all__ = ["EXIT_SKIPPED", "cmd_collect", "student_for"]

#: exit code of ``course collect`` when some hand-ins were skipped (the others are collected)
EXIT_SKIPPED = 3


def student_for(h: HandIn, roster: Roster | None) -> tuple[str, str]:
    """``(student id, "")`` for the hand-in ``h``, or ``("", why not)``.

    With a class list the hand-in's LMS id, name, folder or file prefix (and any
    number or email in it) is looked up; without one the id is made from the
    hand-in: the folder or prefix as it is when it is a valid id, accents folded
    and other characters replaced by ``_`` otherwise; Canvas ``<lastfirst>_<user id>``
    (Canvas names are not unique); Moodle the full name (its participant number
    changes with every assignment).
    """
    if roster is not None:
        tokens = re.findall(r"[\w.+-]+@[\w-]+\.[\w.-]+|\d{3,}", h.key)
        ids = tuple(dict.fromkeys((h.lms_id, h.key, *tokens)))
        names = tuple(dict.fromkeys((h.name or h.key, h.key.replace("_", " "),
                                     re.sub(r"[\d_]+", " ", h.key))))
        student, why = roster.find(ids=ids, names=names)
        return (student.student_id, "") if student else ("", why)
    raw = f"{h.key}_{h.lms_id}" if h.layout == "canvas" else h.key
    sid = safe_student_id(raw)
    if not sid:
        return "", (f"cannot make a student id from {raw!r}; give a class list "
                    "(--map students.csv)")
    return sid, ""


def _category(reason: str) -> str:
    head = re.split(r" \(|: |; |\. ", reason, maxsplit=1)[0]
    head = re.sub(r"^(is|the name) ", "", head)
    return head[:60]


def _stamp_of(folder: pathlib.Path, nb: pathlib.Path) -> dt.datetime:
    ts = folder / "timestamp.txt"
    if ts.is_file():
        when = read_timestamp(ts.read_text(encoding="utf-8", errors="replace"))
        if when is not None:
            return when
    return dt.datetime.fromtimestamp(nb.stat().st_mtime, dt.UTC)


def _handin_time(h: HandIn) -> dt.datetime:
    """When ``h`` was handed in: its timestamp.txt (nbgrader layout), else the file's time."""
    if h.folder is not None:
        return _stamp_of(h.folder, h.notebook)
    return dt.datetime.fromtimestamp(h.mtime, dt.UTC)


def _short(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _stage(h: HandIn, aid: str, stage: pathlib.Path) -> tuple[dt.datetime, str]:
    """Copy the submission into ``stage`` with a timestamp.txt; ``(its time, note)``."""
    note = ""
    file_time = dt.datetime.fromtimestamp(h.mtime, dt.UTC)
    if h.folder is not None:
        shutil.copytree(h.folder, stage, symlinks=False,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__MACOSX"))
        if h.notebook.name != f"{aid}.ipynb":
            (stage / h.notebook.name).replace(stage / f"{aid}.ipynb")
            note = f"{h.notebook.name} renamed {aid}.ipynb"
        ts = stage / "timestamp.txt"
        if ts.is_file():
            when = read_timestamp(ts.read_text(encoding="utf-8", errors="replace"))
            if when is not None:
                return when, note
            note = "its timestamp.txt was unreadable: replaced by the file's time"
    else:
        stage.mkdir(parents=True)
        shutil.copy2(h.notebook, stage / f"{aid}.ipynb")
    (stage / "timestamp.txt").write_text(nbgrader_timestamp(file_time), encoding="utf-8")
    return file_time, note


def _unique(path: pathlib.Path) -> pathlib.Path:
    n, out = 1, path
    while out.exists():
        n += 1
        out = path.with_name(f"{path.name}-{n}")
    return out


def cmd_collect(args) -> int:
    """``course collect ID PATH``: copy the valid submissions in, report the skipped ones."""
    root = course_root(args)
    aid = args.assignment_id
    check_assignment(root, aid)
    known = {p.name for p in source_dir(root).iterdir() if (p / f"{p.name}.ipynb").exists()}
    src = pathlib.Path(args.path).expanduser().resolve()
    if not src.exists():
        raise CourseError(f"no such file or folder: {src}")
    roster = default_roster(root, getattr(args, "map", None))
    tz = getattr(args, "tz", None)
    (root / "submitted").mkdir(exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".collect.", dir=root))
    collected: list[str] = []
    unchanged: list[str] = []
    notes: list[str] = []
    derived: list[str] = []
    records: dict[str, dict[str, str]] = {}
    try:
        if src.is_file():
            if src.suffix.lower() != ".zip":
                raise CourseError(f"{src} is neither a folder nor a .zip file.")
            shown, damaged, times = extract_zip(src, staging / "unzipped", tz)
            base = staging / "unzipped"
        else:
            base, shown, damaged = src, {}, []
            times = "file times from the file system (each notebook's modification time)"
        from .notebooks import read_notebook  # nbformat: only once there is work to do

        handins, skipped, ignored = find_handins(base, aid, known, shown)
        skipped = damaged + skipped
        if not handins and not skipped:
            seen = [shown.get(p, p.relative_to(base).as_posix())
                    for p in sorted(base.rglob("*.ipynb"))][:5]
            raise CourseError(
                f"no submissions of {aid} found in {src}. Expected one of: "
                f"<student>/{aid}/{aid}.ipynb (nbgrader), <student>/{aid}.ipynb, "
                f"<student>_{aid}.ipynb, a Canvas or Moodle bulk download. "
                + (f"Notebooks seen: {', '.join(seen)}." if seen else
                   "It holds no notebook (.ipynb) at all.")
                + (f" Known assignments: {', '.join(sorted(known))}." if seen else ""))

        # whose is each hand-in, is it usable; the latest of several for one student
        by_student: dict[str, list[HandIn]] = {}
        for h in handins:
            sid, why = student_for(h, roster)
            if not sid:
                skipped.append((h.shown, why))
                continue
            if h.folder is not None and any(p.is_symlink() for p in h.folder.rglob("*")):
                skipped.append((h.shown, "its folder contains symbolic links (not followed)"))
                continue
            try:
                read_notebook(h.notebook)
            except CourseError as exc:
                why = str(exc).replace(str(h.notebook), h.shown)
                skipped.append((h.shown, re.sub(rf"^{re.escape(h.shown)} (is )?", "", why)))
                continue
            by_student.setdefault(sid, []).append(h)
            if roster is None and sid != (f"{h.key}_{h.lms_id}" if h.layout == "canvas"
                                          else h.key):
                derived.append(f"{h.key!r} -> {sid}")
            if roster is not None:
                s = roster.by_id[sid]
                records[sid] = {"first_name": s.first_name, "last_name": s.last_name,
                                "email": s.email, "lms_user_id": s.lms_id}
            elif h.layout == "canvas":
                records[sid] = {"lms_user_id": h.lms_id}
        chosen: dict[str, HandIn] = {}
        for sid, hs in by_student.items():
            hs.sort(key=_handin_time)
            chosen[sid] = hs[-1]
            if len(hs) > 1:
                notes.append(f"{sid}: {len(hs)} hand-ins ({', '.join(h.shown for h in hs)}); "
                             f"kept the latest, {hs[-1].shown}")

        for sid, h in progress(sorted(chosen.items()), desc="collect", unit="student"):
            stage = staging / "ready" / sid
            stage.parent.mkdir(parents=True, exist_ok=True)
            when, note = _stage(h, aid, stage)
            if note:
                notes.append(f"{sid}: {note}")
            target = root / "submitted" / sid / aid
            if target.exists():
                old_nb = target / f"{aid}.ipynb"
                if old_nb.is_file() and filecmp.cmp(old_nb, stage / f"{aid}.ipynb",
                                                    shallow=False):
                    unchanged.append(sid)
                    continue
                old_when = _stamp_of(target, old_nb) if old_nb.is_file() else None
                if not args.replace and old_when is not None and old_when >= when:
                    skipped.append((h.shown, f"older than the submission already collected "
                                    f"for {sid} ({_short(when)} <= {_short(old_when)}); "
                                    "that one is kept (--replace takes this one anyway)"))
                    continue
                keep = _unique(root / "superseded" / sid / aid / (
                    old_when.strftime("%Y%m%dT%H%M%SZ") if old_when else "undated"))
                keep.parent.mkdir(parents=True, exist_ok=True)
                target.replace(keep)
                notes.append(f"{sid}: replaced the earlier submission"
                             + (f" of {_short(old_when)}" if old_when else "")
                             + f" (kept in {keep.relative_to(root)})")
                if (root / "autograded" / sid / aid).exists():
                    notes.append(f"{sid}: the autograded copy is now stale: "
                                 f"course autograde {aid} --student {sid} --force")
            target.parent.mkdir(parents=True, exist_ok=True)
            stage.replace(target)
            collected.append(sid)
            if h.late:
                notes.append(f"{sid}: Canvas marked it LATE (submitted {_short(when)})")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    try:
        record_students(root, {s: r for s, r in records.items()
                               if s in collected or s in unchanged})
    except Exception as exc:  # the submissions are in place; the names are a convenience
        notes.append(f"could not record names/LMS ids in the gradebook: {exc}")

    say(f"Collected {len(collected)} submission(s) of {aid} from {src.name} into "
        f"{root / 'submitted'}/<student>/{aid}/")
    for sid in collected:
        h = chosen[sid]
        say(f"  {sid:<24} {h.shown}")
    if unchanged:
        say(f"  already collected, unchanged: {', '.join(unchanged)}")
    for note in notes:
        say(f"  note: {note}")
    if roster is not None:
        say(f"Student ids: from the class list {roster.path}.")
    else:
        say("Student ids: the student folder or file-name prefix; Canvas <lastfirst>_<user "
            "id>, Moodle the full name; accents folded, other characters -> _ (give "
            "--map students.csv to use your own ids).")
        if derived:
            say("  derived: " + ", ".join(derived[:20]) + (" ..." if len(derived) > 20 else ""))
    say(f"Submission times: {times}.")
    if ignored:
        say(f"Ignored {len(ignored)} file(s) that are not submissions of {aid}: "
            + ", ".join(f"{p} ({r})" for p, r in ignored[:5])
            + (" ..." if len(ignored) > 5 else ""))
    for where, why in skipped:
        say(f"  skipped {where}: {why}")
    counts: dict[str, int] = {}
    for _where, why in skipped:
        counts[_category(why)] = counts.get(_category(why), 0) + 1
    reasons = ", ".join(f"{n} {c}" for c, n in sorted(counts.items(),
                                                     key=lambda kv: (-kv[1], kv[0])))
    total = len(collected) + len(unchanged)
    say(f"{total} collected, {len(skipped)} skipped" + (f" ({reasons})" if reasons else ""))
    if total:
        say(f"Next: course autograde {aid}")
    return EXIT_SKIPPED if skipped else 0
