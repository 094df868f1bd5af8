"""What instructors download from an LMS, read as submissions: zips, layouts, names.

:func:`extract_zip` unpacks a zip safely, with the names its makers meant
(the UTF-8 flag, Info-ZIP's Unicode Path extra field 0x7075, or UTF-8 bytes
written without the flag) and the file times it stores (the UTC "extended
timestamp" field 0x5455 when present, otherwise the member's date and time,
which zip stores without a timezone: they are read as local time of the
``--tz`` zone, default this computer's).

:func:`find_handins` finds the notebooks of one assignment in a folder and
says whose each one is. The layouts (``ID`` the assignment id; any of them
may sit under ``submitted/`` or one wrapping folder):

* nbgrader: ``<student>/ID/ID.ipynb`` (the whole ``<student>/ID/`` folder is
  the submission);
* one folder per student: ``<student>/ID.ipynb``;
* flat files: ``<student>_ID.ipynb`` (also ``-`` or a space before ``ID``);
* Canvas "Download Submissions": ``<lastfirst>_[LATE_]<user id>_<submission
  id>_<the student's file name>``;
* Moodle "Download all submissions": ``<Full Name>_<participant
  id>_assignsubmission_file_`` folders, or files with that prefix.

File names may carry copy suffixes (``ID-Copy1.ipynb``, ``ID (1).ipynb``,
Canvas's resubmission ``ID-2.ipynb``). Under an LMS name a student's only
notebook is taken whatever it is called.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pathlib
import re
import shutil
import stat
import struct
import unicodedata
import zipfile
import zlib

from .errors import CourseError
from .timestamps import localize, timezone

__all__ = ["HandIn", "extract_zip", "find_handins", "names_assignment", "zip_member_name"]

MAX_UNPACKED = 2 * 1024**3

CANVAS = re.compile(
    r"^(?P<name>[^_/]+)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<orig>.+)$")
MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?:file|onlinetext)_(?P<orig>.*)$")
COPY_SUFFIX = re.compile(r"(?:[ _-]?copy\d*| ?\(\d+\)|-\d+)$", re.I)
IGNORED_PARTS = ("__MACOSX", ".ipynb_checkpoints", "__pycache__")


@dataclasses.dataclass
class HandIn:
    """One notebook found in a hand-in, and what its path says about whose it is."""

    key: str                   #: how the hand-in names the student (folder, prefix, LMS name)
    layout: str                #: "nbgrader", "folder", "flat", "canvas" or "moodle"
    notebook: pathlib.Path     #: where it is on disk now
    shown: str                 #: its path inside the hand-in, for messages
    folder: pathlib.Path | None = None  #: nbgrader layout: the whole submission folder
    lms_id: str = ""           #: Canvas user id
    name: str = ""             #: the LMS's name for the student
    late: bool = False         #: Canvas marked it LATE
    mtime: float = 0.0         #: the file's time (from the zip, or the file system)


def _decode_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its maker meant it."""
    name = info.orig_filename
    if info.flag_bits & 0x800:
        return name  # UTF-8 flag: zipfile decoded it already
    raw = name.encode("cp437")
    extra = info.extra
    while len(extra) >= 4:
        hid, size = struct.unpack("<HH", extra[:4])
        body = extra[4:4 + size]
        if hid == 0x7075 and len(body) > 5 and body[0] == 1:
            (crc,) = struct.unpack("<L", body[1:5])
            if crc == zlib.crc32(raw) & 0xFFFFFFFF:
                try:
                    return body[5:].decode("utf-8")
                except UnicodeDecodeError:
                    pass
        extra = extra[4 + size:]
    try:
        return raw.decode("utf-8")  # UTF-8 bytes written without the flag
    except UnicodeDecodeError:
        return name


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's name, decoded (UTF-8 flag, Unicode Path field 0x7075, bare UTF-8), NFC."""
    return unicodedata.normalize("NFC", _decode_name(info))


def _zip_time(info: zipfile.ZipInfo, tz: dt.tzinfo | None) -> tuple[float, bool]:
    """``(POSIX time, exact)``: the 0x5455 UTC time if present, else date_time in ``tz``."""
    extra = info.extra
    while len(extra) >= 4:
        hid, size = struct.unpack("<HH", extra[:4])
        body = extra[4:4 + size]
        if hid == 0x5455 and len(body) >= 5 and body[0] & 1:
            return float(struct.unpack("<l", body[1:5])[0]), True
        extra = extra[4 + size:]
    try:
        naive = dt.datetime(*info.date_time)
    except ValueError:  # a zero date in a hand-made zip
        naive = dt.datetime(1980, 1, 1)
    return localize(naive, tz).timestamp(), False


def _safe(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name:
        return False
    parts = pathlib.PurePosixPath(name).parts
    return ".." not in parts and not any(p.startswith("~") for p in parts[:1])


def extract_zip(path: pathlib.Path, dest: pathlib.Path, tz: str | None = None
                ) -> tuple[dict[pathlib.Path, str], list[tuple[str, str]], str]:
    """Unpack ``path`` into ``dest`` with decoded names and the zip's file times.

    Refuses (before writing anything) a zip with absolute paths, ``..``, drive
    letters, symbolic links, or more than 2 GiB unpacked; a backslash is read as
    a folder separator (old Windows tools write them). Returns
    ``{extracted path: name in the zip}``, the members that could not be unpacked
    (``(name, error)``: damaged, encrypted) and a sentence saying where the times came from.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CourseError(f"{path} is not a valid zip file ({exc}). Re-download it; a "
                          "browser may have saved an error page under the zip's name.") from None
    zone = timezone(tz)
    with zf:
        infos = zf.infolist()
        # old Windows tools (PowerShell 5's Compress-Archive) write "\\" between folders
        names = [zip_member_name(i).replace("\\", "/") for i in infos]
        unsafe = [n for i, n in zip(infos, names, strict=True)
                  if not _safe(n) or stat.S_ISLNK(i.external_attr >> 16)]
        if unsafe:
            raise CourseError(
                f"refusing {path}: it holds unsafe paths (absolute, '..', drive letters "
                f"or symbolic links): {unsafe[:5]}. Nothing was extracted.")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNPACKED:
            raise CourseError(f"refusing {path}: it would extract to {total / 1e9:.1f} GB.")
        shown: dict[pathlib.Path, str] = {}
        damaged: list[tuple[str, str]] = []
        exact = local = 0
        for info, name in zip(infos, names, strict=True):
            target = dest.joinpath(*pathlib.PurePosixPath(name).parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as exc:
                target.unlink(missing_ok=True)
                damaged.append((name, f"cannot be unpacked ({exc})"))
                continue
            when, is_exact = _zip_time(info, zone)
            exact += is_exact
            local += not is_exact
            os.utime(target, (when, when))
            shown[target] = name
    if exact and not local:
        how = "file times from the zip's UTC timestamps"
    else:
        where = tz or "this computer's local time"
        how = (f"file times from the zip, which stores them without a timezone: read as "
               f"{where} (use --tz to change)")
    return shown, damaged, how


def names_assignment(filename: str, aid: str) -> tuple[str, str] | None:
    """Whether the notebook ``filename`` names assignment ``aid``, and how.

    ``("exact", "")`` for ``ID.ipynb`` (copy suffixes allowed, ``_``, ``-`` and
    spaces interchangeable, any case), ``("prefixed", prefix)`` for
    ``<prefix>_ID.ipynb`` (or ``-``, a space), None otherwise.
    """
    stem = unicodedata.normalize("NFC", filename).strip()
    if stem.lower().endswith(".ipynb"):
        stem = stem[:-6].rstrip()
    sep = r"[\s_-]+"
    body = sep.join(re.escape(tok) for tok in re.split(sep, aid) if tok)
    pattern = re.compile(rf"^(?:(?P<prefix>.+?){sep})?{body}$", re.I)
    for _ in range(3):  # "ID-Copy1 (1)" and the like
        m = pattern.match(stem)
        if m:
            prefix = (m.group("prefix") or "").strip(" _-")
            return ("prefixed", prefix) if prefix else ("exact", "")
        new = COPY_SUFFIX.sub("", stem).strip()
        if new == stem:
            break
        stem = new
    return None


def _ignored(rel: pathlib.PurePath) -> bool:
    return any(p in IGNORED_PARTS or p.startswith(".") for p in rel.parts)


def find_handins(base: pathlib.Path, aid: str, known: set[str],
                 shown: dict[pathlib.Path, str] | None = None,
                 label: str = ""
                 ) -> tuple[list[HandIn], list[tuple[str, str]], list[tuple[str, str]]]:
    """The notebooks of ``aid`` under ``base``; ``(hand-ins, skipped, ignored)``.

    ``skipped`` and ``ignored`` are ``(path inside the hand-in, reason)``:
    skipped are what looked like a submission of ``aid`` but cannot be used,
    ignored are other assignments' notebooks and files that are not notebooks.
    ``known`` holds every assignment id of the course (to recognise the others);
    ``shown`` maps extracted paths to their names in a zip.
    """
    shown = shown or {}

    def show(p: pathlib.Path) -> str:
        if p in shown:
            return shown[p]
        rel = p.relative_to(base).as_posix()
        return f"{label}/{rel}" if label else rel

    others = {k for k in known if k != aid}
    handins: list[HandIn] = []
    skipped: list[tuple[str, str]] = []
    ignored: list[tuple[str, str]] = []
    lms_files: dict[tuple[str, str], list[pathlib.Path]] = {}
    nbgrader_dirs: set[pathlib.Path] = set()

    files = []
    for p in sorted(base.rglob("*")):
        rel = p.relative_to(base)
        if _ignored(rel):
            continue
        if p.is_symlink():
            skipped.append((show(p), "a symbolic link (not followed)"))
            continue
        if p.is_dir():
            if p.name == aid and p.parent != base and p.parent.name != "submitted":
                nbgrader_dirs.add(p)
            continue
        files.append(p)

    def mtime(p: pathlib.Path) -> float:
        return p.stat().st_mtime

    # nbgrader layout: <student>/<aid>/ is the submission, whatever else it holds
    for d in sorted(nbgrader_dirs):
        nbs = [f for f in files if f.parent == d and f.suffix.lower() == ".ipynb"]
        exact = [f for f in nbs if f.name == f"{aid}.ipynb"]
        named = exact or [f for f in nbs if (names_assignment(f.name, aid) or ("",))[0] == "exact"]
        if len(named) == 1:
            handins.append(HandIn(d.parent.name, "nbgrader", named[0], show(named[0]), folder=d,
                                  mtime=mtime(named[0])))
        elif not named:
            skipped.append((show(d) + "/", f"no {aid}.ipynb in this folder"
                            + (f" (found {', '.join(f.name for f in nbs)})" if nbs else "")))
        else:
            skipped.append((show(d) + "/", f"several notebooks named like {aid}.ipynb: "
                            + ", ".join(f.name for f in named)))
    files = [f for f in files if not any(d in f.parents for d in nbgrader_dirs)]

    for f in files:
        rel = f.relative_to(base)
        is_nb = f.suffix.lower() == ".ipynb"
        # LMS names, on the file or on a folder above it
        lms = None
        m = CANVAS.match(f.name)
        if m:
            lms = ("canvas", m.group("name"), m.group("uid"), m.group("orig"),
                   bool(m.group("late")))
        else:
            for part in (*rel.parts[:-1], rel.name):
                m = MOODLE.match(part)
                if m:
                    orig = m.group("orig") if part == rel.name else rel.name
                    lms = ("moodle", m.group("name"), "", orig, False)
                    break
        if lms is not None:
            layout, name, uid, orig, late = lms
            if not is_nb:
                lms_files.setdefault((name, uid), []).append(f)
                continue
            how = names_assignment(orig, aid)
            if how is None and any(names_assignment(orig, o) for o in others):
                ignored.append((show(f), "another assignment's notebook"))
                continue
            handins.append(HandIn(name, layout, f, show(f), lms_id=uid, name=name, late=late,
                                  mtime=mtime(f)))
            if how is None:
                handins[-1].layout += "?"  # taken only if it is the student's only notebook
            continue
        if not is_nb:
            continue
        how = names_assignment(f.name, aid)
        if how is not None and how[0] == "prefixed":
            handins.append(HandIn(how[1], "flat", f, show(f), mtime=mtime(f)))
        elif how is not None and f.parent != base and f.parent.name != "submitted":
            handins.append(HandIn(f.parent.name, "folder", f, show(f), mtime=mtime(f)))
        elif how is not None:
            skipped.append((show(f), f"whose is it? The name has no student before {aid} "
                            f"(expected <student>/{aid}.ipynb or <student>_{aid}.ipynb)"))
        elif any(names_assignment(f.name, o) for o in others):
            ignored.append((show(f), "another assignment's notebook"))
        else:
            skipped.append((show(f), f"the name does not say it is {aid} (expected "
                            f"{aid}.ipynb in a student's folder, or <student>_{aid}.ipynb)"))

    # an LMS hand-in whose notebook does not name the assignment counts only if it is
    # the student's only notebook
    final: list[HandIn] = []
    for h in handins:
        if h.layout.endswith("?"):
            same = [g for g in handins if g.key == h.key and g.lms_id == h.lms_id
                    and g.layout.rstrip("?") == h.layout.rstrip("?")]
            if len(same) == 1:
                h.layout = h.layout.rstrip("?")
                final.append(h)
            elif all(g.layout.endswith("?") for g in same):
                skipped.append((h.shown, f"{len(same)} notebooks from this student and none "
                                f"is named {aid}.ipynb: which one is the submission?"))
            else:
                ignored.append((h.shown, f"another notebook of the same student (one is "
                                f"named {aid}.ipynb)"))
            continue
        final.append(h)
    for (name, uid), paths in sorted(lms_files.items()):
        if not any(h.key == name and h.lms_id == uid for h in final):
            reason = ("a zip inside the hand-in: unzip it and collect the folder"
                      if any(p.suffix.lower() == ".zip" for p in paths)
                      else f"handed in no notebook ({len(paths)} other file(s))")
            skipped.append((show(paths[0]), reason))
    return final, skipped, ignored
