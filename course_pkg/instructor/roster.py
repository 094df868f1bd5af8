"""The class list: who the students are, by their course id and by their LMS identities.

One CSV file, ``students.csv``, serves two commands: ``course collect --map``
turns the names and numbers an LMS puts on hand-ins (a Canvas user id, a
Moodle full name, an email) into course student ids, and ``course export``
fills the identity columns Canvas and Moodle match grades on. Without
``--map``/``--roster`` both commands use ``<course>/students.csv`` if it exists.

Columns (header names are case-insensitive; only ``student_id`` is required,
and even that may be left out of an LMS export, see below):

====================  ==================================================
``student_id``        the id used in ``submitted/<student_id>/`` and the gradebook
``first_name``        given name
``last_name``         family name
``name``              full name as the LMS shows it (``Jane Doe``); split if
                      first/last are missing
``email``             Moodle matches grades on it
``lms_id``            Canvas user id (Canvas's ``ID`` column)
``sis_user_id``       Canvas ``SIS User ID``
``sis_login_id``      Canvas ``SIS Login ID``
``id_number``         Moodle ``ID number``
``section``           Canvas ``Section``
====================  ==================================================

A Canvas gradebook export (``Student, ID, SIS User ID, SIS Login ID,
Section, ...``) and a Moodle grade export (``First name, Last name, ID
number, Email address, ...``) are read as they are: their columns are these
under other names. When a row has no ``student_id`` it is derived from the
first of ``sis_login_id``, ``sis_user_id``, ``id_number``, the email's local
part or ``lms_id``, made safe (:func:`safe_student_id`).
"""

from __future__ import annotations

import csv
import dataclasses
import pathlib
import re
import unicodedata

from .errors import CourseError

__all__ = ["STUDENT_ID", "Roster", "Student", "compact_name", "load_roster", "safe_student_id"]

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")

#: header (normalised: lower case, letters and digits only) -> field
ALIASES = {
    "studentid": "student_id", "courseid": "student_id", "nbgraderid": "student_id",
    "firstname": "first_name", "givenname": "first_name", "first": "first_name",
    "lastname": "last_name", "surname": "last_name", "familyname": "last_name",
    "last": "last_name",
    "name": "name", "student": "name", "fullname": "name", "studentname": "name",
    "email": "email", "emailaddress": "email", "mail": "email",
    "lmsid": "lms_id", "lmsuserid": "lms_id", "canvasid": "lms_id", "canvasuserid": "lms_id",
    "id": "lms_id", "userid": "lms_id",
    "sisuserid": "sis_user_id", "sisloginid": "sis_login_id", "loginid": "sis_login_id",
    "idnumber": "id_number", "section": "section", "sections": "section",
}
FIELDS = ("student_id", "first_name", "last_name", "name", "email", "lms_id", "sis_user_id",
          "sis_login_id", "id_number", "section")


@dataclasses.dataclass
class Student:
    """One row of the class list (empty strings where the file says nothing)."""

    student_id: str
    first_name: str = ""
    last_name: str = ""
    name: str = ""
    email: str = ""
    lms_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    id_number: str = ""
    section: str = ""

    def names(self) -> set[str]:
        """The compacted forms of this student's name an LMS may write."""
        out = {compact_name(self.name)} if self.name else set()
        if self.first_name or self.last_name:
            out |= {compact_name(self.first_name + self.last_name),
                    compact_name(self.last_name + self.first_name)}
        return out - {""}


#: letters that Unicode does not decompose into a base letter and an accent
TRANSLITERATE = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "Æ": "AE",
                               "æ": "ae", "Œ": "OE", "œ": "oe", "Đ": "D", "đ": "d", "Þ": "Th",
                               "þ": "th", "ı": "i"})


def compact_name(text: str) -> str:
    """``text`` without accents, case, spaces or punctuation: how Canvas writes a name.

    ``"Doe, Jane"`` -> ``"doejane"``; ``"Ana María"`` -> ``"anamaria"``.
    """
    folded = unicodedata.normalize("NFKD", text.translate(TRANSLITERATE))
    return "".join(ch for ch in folded if ch.isalnum() and ch.isascii()).lower()


def safe_student_id(text: str) -> str:
    """A valid student id made from ``text`` (accents folded, other characters -> ``_``).

    A valid id is returned unchanged; ``"Ana María"`` becomes ``"Ana_Maria"``. Returns
    ``""`` when nothing usable is left.
    """
    if STUDENT_ID.match(text):
        return text
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFC", text)
                                   .translate(TRANSLITERATE))
    ascii_ = "".join(ch for ch in folded if ch.isascii() and not unicodedata.combining(ch))
    out = re.sub(r"[^A-Za-z0-9_.@-]+", "_", ascii_).strip("_.-@")[:100]
    return out if STUDENT_ID.match(out) else ""


class Roster:
    """The students of a class list, found by any identity an LMS puts on a hand-in."""

    def __init__(self, students: list[Student], path: pathlib.Path | None = None):
        self.students = students
        self.path = path
        self.by_id = {s.student_id: s for s in students}

    def __len__(self) -> int:
        return len(self.students)

    def find(self, *, ids: tuple[str, ...] = (), names: tuple[str, ...] = ()
             ) -> tuple[Student | None, str]:
        """The student matching one of ``ids`` (ids, LMS ids, emails) or ``names``.

        Returns ``(student, "")`` or ``(None, why)``; a name that fits two students is
        ambiguous and matches nobody.
        """
        for key in ids:
            if not key:
                continue
            hits = [s for s in self.students if key in (
                s.student_id, s.lms_id, s.sis_user_id, s.sis_login_id, s.id_number)
                or (s.email and key.lower() == s.email.lower())]
            if len(hits) == 1:
                return hits[0], ""
        for name in names:
            key = compact_name(name)
            if not key:
                continue
            hits = [s for s in self.students if key in s.names()]
            if len(hits) == 1:
                return hits[0], ""
            if len(hits) > 1:
                return None, (f"the name {name!r} fits {len(hits)} students in "
                              f"{self.path.name if self.path else 'the roster'} "
                              f"({', '.join(s.student_id for s in hits)}); add their LMS id")
        shown = ", ".join(repr(k) for k in (*ids, *names) if k)
        return None, (f"not in {self.path.name if self.path else 'the roster'} "
                      f"(looked for {shown})")


def _field(header: str) -> str | None:
    key = re.sub(r"[^a-z0-9]", "", header.lower())
    return ALIASES.get(key)


def load_roster(path: str | pathlib.Path) -> Roster:
    """Read a class list (see the module docstring); a CourseError names any bad row."""
    path = pathlib.Path(path).expanduser()
    if not path.is_file():
        raise CourseError(f"no such class list: {path} (a CSV with a header row; see "
                          "docs/instructors.md, 'The class list').")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CourseError(f"{path} is not UTF-8 text: save the class list as "
                          "'CSV UTF-8' and try again.") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(text.splitlines(), dialect))
    if not rows:
        raise CourseError(f"{path} is empty: expected a header row, then one row per student.")
    header = rows[0]
    fields = [_field(h) for h in header]
    if "student_id" not in fields and not {"lms_id", "sis_user_id", "sis_login_id", "id_number",
                                            "email"} & set(fields):
        raise CourseError(
            f"{path}: no student_id column (nor an LMS id, SIS id, ID number or email to "
            f"derive it from). Header read: {header}. Expected e.g. "
            "student_id,first_name,last_name,email,lms_id,sis_user_id,sis_login_id,section.")
    students: list[Student] = []
    problems: list[str] = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values: dict[str, str] = {}
        for f, cell in zip(fields, row, strict=False):
            if f and cell.strip() and f not in values:
                values[f] = cell.strip()
        name = values.get("name", "")
        if "points possible" in name.lower() or "student, test" in name.lower():
            continue  # Canvas export: the points row and the test student
        if "," in name and not (values.get("first_name") or values.get("last_name")):
            last, _, first = name.partition(",")  # Canvas writes "Doe, Jane"
            values["last_name"], values["first_name"] = last.strip(), first.strip()
            values["name"] = f"{first.strip()} {last.strip()}"
        sid = values.get("student_id") or safe_student_id(
            values.get("sis_login_id") or values.get("sis_user_id") or values.get("id_number")
            or values.get("email", "").split("@")[0] or values.get("lms_id", ""))
        if not sid or not STUDENT_ID.match(sid):
            problems.append(f"line {lineno}: student id {sid!r} is not valid "
                            "(letters, digits, _ . @ -; at most 100)")
            continue
        values["student_id"] = sid
        students.append(Student(**values))
    seen: dict[str, int] = {}
    for s in students:
        seen[s.student_id] = seen.get(s.student_id, 0) + 1
    dups = sorted(k for k, n in seen.items() if n > 1)
    if dups:
        problems.append(f"student ids listed twice: {', '.join(dups)}")
    if problems:
        raise CourseError(f"{path} has problems (nothing was changed):\n  "
                          + "\n  ".join(problems[:20]))
    if not students:
        raise CourseError(f"{path} lists no students (only a header row).")
    return Roster(students, path)


def default_roster(root: pathlib.Path, given: str | None) -> Roster | None:
    """The class list given on the command line, else ``<course>/students.csv``, else None."""
    if given:
        return load_roster(given)
    if (root / "students.csv").is_file():
        return load_roster(root / "students.csv")
    return None


def gradebook_url(root: pathlib.Path) -> str:
    """The gradebook database of the course directory ``root`` (``course init --db``)."""
    from .parallel import gradebook_url as configured

    return configured(root)


def has_gradebook(root: pathlib.Path) -> bool:
    """Whether ``root`` has a gradebook: a server database, or ``gradebook.db`` exists."""
    url = gradebook_url(root)
    return not url.startswith("sqlite") or (root / "gradebook.db").is_file()


def open_gradebook(root: pathlib.Path):
    """nbgrader's ``Gradebook`` of the course directory ``root`` (use it in a ``with``).

    Creating a gradebook runs ``alembic`` from PATH: this environment's is put first.
    """
    import os
    import sys

    from nbgrader.api import Gradebook

    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    return Gradebook(gradebook_url(root))


def record_students(root: pathlib.Path, records: dict[str, dict[str, str]]) -> None:
    """Write names, emails and LMS ids into nbgrader's student table (non-empty values only)."""
    records = {sid: {k: v for k, v in rec.items() if v} for sid, rec in records.items()}
    records = {sid: rec for sid, rec in records.items() if rec}
    if not records:
        return
    with open_gradebook(root) as gb:
        for sid, rec in records.items():
            gb.update_or_create_student(sid, **rec)
