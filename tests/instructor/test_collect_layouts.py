"""``course collect``: the layouts instructors download, names, times, class lists, summaries.

No nbgrader process runs here. A course directory with an empty gradebook is
made once per module and copied for each test (creating a gradebook runs
nbgrader's migrations, a few seconds).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import struct
import zipfile
import zlib

import nbformat
import pytest
from helpers import source_notebook

from course_pkg.instructor import cli
from course_pkg.instructor.collect import EXIT_SKIPPED, student_for
from course_pkg.instructor.handins import (
    HandIn,
    extract_zip,
    find_handins,
    names_assignment,
    zip_member_name,
)
from course_pkg.instructor.roster import (
    Roster,
    Student,
    compact_name,
    load_roster,
    open_gradebook,
    safe_student_id,
)
from course_pkg.instructor.timestamps import read_timestamp

AID = "01_forget_gate"
NB = nbformat.writes(source_notebook(AID))
OTHER = nbformat.writes(source_notebook("02_input_gate"))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    base = tmp_path_factory.mktemp("template")
    assert cli.main(["init", str(base / "c")]) == 0
    with open_gradebook(base / "c"):
        pass  # creates gradebook.db once
    return base / "c"


@pytest.fixture
def course(template, tmp_path):
    dest = tmp_path / "c"
    shutil.copytree(template, dest, symlinks=True)
    cfg = dest / "nbgrader_config.py"
    cfg.write_text(cfg.read_text().replace(str(template), str(dest)))
    return dest


def collect(course, path, *extra, capsys):
    code = cli.main(["--course-dir", str(course), "collect", AID, str(path), *map(str, extra)])
    return code, capsys.readouterr()


def write_tree(base, files):
    for rel, text in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def submitted(course):
    return sorted(p.parent.name for p in (course / "submitted").glob(f"*/{AID}")
                  if (p / f"{AID}.ipynb").is_file())


# --- layouts ------------------------------------------------------------------------------

@pytest.mark.parametrize(("files", "expected"), [
    ({f"ana/{AID}/{AID}.ipynb": NB}, ["ana"]),                                  # nbgrader
    ({f"export/submitted/ana/{AID}/{AID}.ipynb": NB}, ["ana"]),                 # wrapped
    ({f"ana/{AID}.ipynb": NB, f"bob/{AID}-Copy1.ipynb": NB}, ["ana", "bob"]),   # per folder
    ({f"cleo/{AID} (1).ipynb": NB}, ["cleo"]),
    ({f"doe_jane_12345_{AID}.ipynb": NB, f"roe-max-{AID}.ipynb": NB},           # flat
     ["doe_jane_12345", "roe-max"]),
    ({f"doejane_1234_998877_{AID}.ipynb": NB,                                   # Canvas
      f"roemax_LATE_1235_998878_{AID}-1.ipynb": NB,
      "kimlee_1236_998879_my work.ipynb": NB},
     ["doejane_1234", "kimlee_1236", "roemax_1235"]),
    ({"Jane Doe_881_assignsubmission_file_/" + f"{AID}.ipynb": NB,              # Moodle
      "Max Roe_882_assignsubmission_file_" + f"{AID}.ipynb": NB},
     ["Jane_Doe", "Max_Roe"]),
])
def test_each_common_layout_is_collected(course, tmp_path, capsys, files, expected):
    write_tree(tmp_path / "handin", files)
    code, out = collect(course, tmp_path / "handin", capsys=capsys)
    assert code == 0, out.out + out.err
    assert submitted(course) == expected
    assert f"{len(expected)} collected, 0 skipped" in out.out
    for sid in expected:
        ts = (course / "submitted" / sid / AID / "timestamp.txt").read_text()
        assert read_timestamp(ts) is not None


def test_canvas_names_and_late_marks_are_reported(course, tmp_path, capsys):
    write_tree(tmp_path / "h", {f"roemax_LATE_1235_998878_{AID}.ipynb": NB,
                                "roemax_LATE_1235_998879_notes.pdf": "x",
                                "leeann_1240_998880_report.pdf": "x"})
    code, out = collect(course, tmp_path / "h", capsys=capsys)
    assert code == EXIT_SKIPPED
    assert "roemax_1235: Canvas marked it LATE" in out.out
    assert "skipped leeann_1240_998880_report.pdf: handed in no notebook" in out.out
    assert "1 collected, 1 skipped (1 handed in no notebook)" in out.out
    # the Canvas user id is recorded for the Canvas export
    with open_gradebook(course) as gb:
        assert gb.find_student("roemax_1235").lms_user_id == "1235"


def test_other_assignments_and_non_notebooks_are_ignored_not_skipped(course, tmp_path, capsys):
    write_tree(tmp_path / "h", {f"ana/{AID}.ipynb": NB, "ana/02_input_gate.ipynb": OTHER,
                                "bob_02_input_gate.ipynb": OTHER, "readme.txt": "hi",
                                "__MACOSX/ana/._x.ipynb": "junk", ".DS_Store": "x"})
    code, out = collect(course, tmp_path / "h", capsys=capsys)
    assert code == 0 and submitted(course) == ["ana"]
    assert "Ignored 2 file(s)" in out.out and "another assignment's notebook" in out.out


def test_unknown_layout_says_what_was_expected_and_what_was_seen(course, tmp_path, capsys):
    write_tree(tmp_path / "h", {"notes.txt": "x"})
    code, out = collect(course, tmp_path / "h", capsys=capsys)
    assert code == 2 and "no submissions of 01_forget_gate found" in out.err
    assert "<student>/01_forget_gate.ipynb" in out.err and "Canvas" in out.err
    assert "no notebook (.ipynb) at all" in out.err
    write_tree(tmp_path / "h2", {"hw/lab.ipynb": NB})
    code, out = collect(course, tmp_path / "h2", capsys=capsys)
    assert code == EXIT_SKIPPED
    assert "skipped hw/lab.ipynb: the name does not say it is 01_forget_gate" in out.out


def test_names_assignment():
    assert names_assignment(f"{AID}.ipynb", AID) == ("exact", "")
    assert names_assignment("01-Forget-Gate-Copy1.ipynb", AID) == ("exact", "")
    assert names_assignment(f"{AID} (2).ipynb", AID) == ("exact", "")
    assert names_assignment(f"{AID}-2.ipynb", AID) == ("exact", "")
    assert names_assignment(f"doe_jane_12345_{AID}.ipynb", AID) == ("prefixed", "doe_jane_12345")
    assert names_assignment(f"Ana María {AID}.ipynb", AID) == ("prefixed", "Ana María")
    assert names_assignment("01_forget_gate_v2.ipynb", AID) is None
    assert names_assignment("x_02_input_gate.ipynb", AID) is None


def test_find_handins_names_each_layout(tmp_path):
    write_tree(tmp_path, {f"a/{AID}/{AID}-Copy1.ipynb": NB, f"a/{AID}/data.csv": "1",
                          f"b/{AID}.ipynb": NB, f"c_{AID}.ipynb": NB,
                          f"dd_LATE_7_8_{AID}.ipynb": NB})
    found, skipped, ignored = find_handins(tmp_path, AID, {AID, "02_input_gate"})
    layouts = {h.key: (h.layout, h.late) for h in found}
    assert layouts == {"a": ("nbgrader", False), "b": ("folder", False),
                       "c": ("flat", False), "dd": ("canvas", True)}
    assert not skipped and not ignored
    nbgrader = next(h for h in found if h.layout == "nbgrader")
    assert nbgrader.folder == tmp_path / "a" / AID


# --- zips: names and times ------------------------------------------------------------------

def _raw_zip(path, entries):
    """A zip whose names are raw bytes (no UTF-8 flag): written under ASCII placeholders of
    the same length, then patched. ``entries``: (raw name, data, extra field bytes)."""
    placeholders = []
    with zipfile.ZipFile(path, "w") as zf:
        for i, (raw, data, extra) in enumerate(entries):
            ph = f"{i:02d}".ljust(len(raw), "x")
            placeholders.append((ph.encode(), raw))
            info = zipfile.ZipInfo(ph, date_time=(2027, 1, 15, 23, 30, 0))
            info.extra = extra
            zf.writestr(info, data)
    blob = path.read_bytes()
    for ph, raw in placeholders:
        assert blob.count(ph) == 2  # local header and central directory
        blob = blob.replace(ph, raw)
    path.write_bytes(blob)


def _unicode_path_field(raw: bytes, name: str) -> bytes:
    body = b"\x01" + struct.pack("<L", zlib.crc32(raw) & 0xFFFFFFFF) + name.encode("utf-8")
    return struct.pack("<HH", 0x7075, len(body)) + body


def test_zip_names_are_decoded(tmp_path):
    utf8 = f"Ana María/{AID}.ipynb"
    legacy = f"José Núñez/{AID}.ipynb"
    raw_legacy = legacy.encode("cp850")
    z = tmp_path / "h.zip"
    _raw_zip(z, [(utf8.encode("utf-8"), NB, b""),  # UTF-8 bytes without the flag
                 (raw_legacy, NB, _unicode_path_field(raw_legacy, legacy))])  # 0x7075
    with zipfile.ZipFile(z) as zf:
        names = sorted(zip_member_name(i) for i in zf.infolist())
        assert "Ana Mar├¡a" in zf.infolist()[0].filename  # what zipfile alone shows
    assert names == sorted([utf8, legacy])
    shown, damaged, _how = extract_zip(z, tmp_path / "out", tz="UTC")
    assert not damaged
    assert sorted(shown.values()) == sorted([utf8, legacy])
    assert (tmp_path / "out" / "Ana María" / f"{AID}.ipynb").is_file()


def test_accented_folders_become_safe_ids_and_the_summary_says_how(course, tmp_path, capsys):
    z = tmp_path / "h.zip"
    _raw_zip(z, [(f"Ana María/{AID}.ipynb".encode(), NB, b"")])
    code, out = collect(course, z, capsys=capsys)
    assert code == 0 and submitted(course) == ["Ana_Maria"]
    assert "'Ana María' -> Ana_Maria" in out.out
    assert "Ana María/01_forget_gate.ipynb" in out.out


def test_timestamp_is_the_file_time_in_the_zip(course, tmp_path, capsys):
    z = tmp_path / "h.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(zipfile.ZipInfo(f"ana/{AID}.ipynb", date_time=(2027, 1, 15, 23, 30, 0)), NB)
        # Info-ZIP's extended timestamp (UTC) wins over the local date_time
        info = zipfile.ZipInfo(f"bob/{AID}.ipynb", date_time=(2027, 1, 15, 23, 30, 0))
        utc = int(dt.datetime(2027, 1, 16, 8, 0, tzinfo=dt.UTC).timestamp())
        info.extra = struct.pack("<HHBl", 0x5455, 5, 1, utc)
        zf.writestr(info, NB)
    code, out = collect(course, z, "--tz", "Europe/Paris", capsys=capsys)
    assert code == 0
    ana = (course / "submitted/ana" / AID / "timestamp.txt").read_text()
    bob = (course / "submitted/bob" / AID / "timestamp.txt").read_text()
    assert ana == "2027-01-15 22:30:00.000000 UTC"  # 23:30 in Paris (CET, +01:00)
    assert bob == "2027-01-16 08:00:00.000000 UTC"
    assert "read as Europe/Paris" in out.out


def test_folder_hand_ins_take_the_file_modification_time(course, tmp_path, capsys):
    write_tree(tmp_path / "h", {f"ana/{AID}.ipynb": NB})
    when = dt.datetime(2027, 1, 14, 12, 0, tzinfo=dt.UTC).timestamp()
    os.utime(tmp_path / "h" / "ana" / f"{AID}.ipynb", (when, when))
    collect(course, tmp_path / "h", capsys=capsys)
    ts = (course / "submitted/ana" / AID / "timestamp.txt").read_text()
    assert ts == "2027-01-14 12:00:00.000000 UTC"


def test_skipped_files_are_named_inside_the_hand_in_and_exit_code_is_3(course, tmp_path, capsys):
    z = tmp_path / "subs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(f"export/ana/{AID}/{AID}.ipynb", NB)
        zf.writestr(f"export/bob/{AID}/{AID}.ipynb", '{"cells": [')
        zf.writestr(f"export/cy/{AID}/notes.txt", "no notebook")
    code, out = collect(course, z, capsys=capsys)
    assert code == EXIT_SKIPPED == 3
    assert f"skipped export/bob/{AID}/{AID}.ipynb: not valid notebook JSON" in out.out
    assert f"skipped export/cy/{AID}/: no {AID}.ipynb in this folder" in out.out
    assert ".collect." not in out.out and str(course) + "/." not in out.out
    assert ("1 collected, 2 skipped (1 no 01_forget_gate.ipynb in this folder, "
            "1 not valid notebook JSON)") in out.out
    assert submitted(course) == ["ana"]
    assert not [p for p in course.iterdir() if p.name.startswith(".collect")]


# --- several hand-ins, re-collecting -------------------------------------------------------

def _set_mtime(path, y, m, d, h):
    t = dt.datetime(y, m, d, h, tzinfo=dt.UTC).timestamp()
    os.utime(path, (t, t))


def test_two_hand_ins_of_one_student_keep_the_latest(course, tmp_path, capsys):
    write_tree(tmp_path / "h", {f"ana/{AID}.ipynb": NB, f"ana_{AID}.ipynb": NB + "\n"})
    _set_mtime(tmp_path / "h" / "ana" / f"{AID}.ipynb", 2027, 1, 10, 9)
    _set_mtime(tmp_path / "h" / f"ana_{AID}.ipynb", 2027, 1, 11, 9)
    code, out = collect(course, tmp_path / "h", capsys=capsys)
    assert code == 0 and submitted(course) == ["ana"]
    assert f"ana: 2 hand-ins (ana/{AID}.ipynb, ana_{AID}.ipynb); kept the latest, " \
           f"ana_{AID}.ipynb" in out.out
    assert (course / "submitted/ana" / AID / f"{AID}.ipynb").read_text() == NB + "\n"


def test_recollecting_keeps_unchanged_replaces_newer_refuses_older(course, tmp_path, capsys):
    nb = tmp_path / "h" / "ana" / f"{AID}.ipynb"
    write_tree(tmp_path / "h", {f"ana/{AID}.ipynb": NB})
    _set_mtime(nb, 2027, 1, 10, 9)
    assert collect(course, tmp_path / "h", capsys=capsys)[0] == 0
    target = course / "submitted/ana" / AID / f"{AID}.ipynb"
    # the same file again: nothing to do
    code, out = collect(course, tmp_path / "h", capsys=capsys)
    assert code == 0 and "already collected, unchanged: ana" in out.out
    # an older, different hand-in: refused, the collected one is kept
    nb.write_text(NB + " ")
    _set_mtime(nb, 2027, 1, 9, 9)
    code, out = collect(course, tmp_path / "h", capsys=capsys)
    assert code == EXIT_SKIPPED and "older than the submission already collected" in out.out
    assert target.read_text() == NB
    # a newer one replaces it; the earlier one is kept under superseded/
    nb.write_text(NB + "  ")
    _set_mtime(nb, 2027, 1, 12, 9)
    code, out = collect(course, tmp_path / "h", capsys=capsys)
    assert code == 0 and "replaced the earlier submission" in out.out
    assert target.read_text() == NB + "  "
    kept = list((course / "superseded" / "ana" / AID).glob(f"*/{AID}.ipynb"))
    assert len(kept) == 1 and kept[0].read_text() == NB


# --- class lists ----------------------------------------------------------------------------

def test_map_turns_lms_names_into_course_ids_and_records_them(course, tmp_path, capsys):
    roster = tmp_path / "students.csv"
    roster.write_text("student_id,first_name,last_name,email,lms_id,section\n"
                      "jdoe,Jane,Doe,jane@uni.edu,1234,A\n"
                      "mroe,Max,Roe,max@uni.edu,1235,B\n"
                      "cruiz,Carla,Ruiz,carla@uni.edu,,A\n", encoding="utf-8")
    write_tree(tmp_path / "h", {f"doejane_1234_998877_{AID}.ipynb": NB,
                                f"whoever_9999_998878_{AID}.ipynb": NB,
                                "Carla Ruiz_55_assignsubmission_file_/nb.ipynb": NB,
                                f"max@uni.edu_{AID}.ipynb": NB})
    code, out = collect(course, tmp_path / "h", "--map", roster, capsys=capsys)
    assert code == EXIT_SKIPPED
    assert submitted(course) == ["cruiz", "jdoe", "mroe"]
    assert "skipped whoever_9999_998878_01_forget_gate.ipynb: not in students.csv" in out.out
    assert f"Student ids: from the class list {roster}" in out.out
    with open_gradebook(course) as gb:
        s = gb.find_student("jdoe")
        assert (s.first_name, s.last_name, s.email, s.lms_user_id) == (
            "Jane", "Doe", "jane@uni.edu", "1234")
    # <course>/students.csv is the default class list
    shutil.copy(roster, course / "students.csv")
    shutil.rmtree(course / "submitted")
    code, out = collect(course, tmp_path / "h", capsys=capsys)
    assert submitted(course) == ["cruiz", "jdoe", "mroe"]


def test_student_for_without_and_with_a_roster(tmp_path):
    h = HandIn("Ana María", "folder", tmp_path / "x.ipynb", "Ana María/x.ipynb")
    assert student_for(h, None) == ("Ana_Maria", "")
    c = HandIn("doejane", "canvas", tmp_path / "x.ipynb", "x", lms_id="1234", name="doejane")
    assert student_for(c, None) == ("doejane_1234", "")
    roster = Roster([Student("jd", first_name="Jane", last_name="Doe"),
                     Student("jd2", first_name="Jane", last_name="Doe", lms_id="77")])
    assert student_for(HandIn("x", "canvas", tmp_path, "x", lms_id="77"), roster) == ("jd2", "")
    sid, why = student_for(c, roster)
    assert sid == "" and "fits 2 students" in why
    assert student_for(HandIn("???", "folder", tmp_path, "x"), None)[0] == ""


def test_load_roster_reads_canvas_and_moodle_exports(tmp_path):
    canvas = tmp_path / "canvas.csv"
    canvas.write_text('Student,ID,SIS User ID,SIS Login ID,Section,HW1 (123)\n'
                      '    Points Possible,,,,,10\n'
                      '"Doe, Jane",1234,S001,jdoe,Sec A,9\n'
                      '"Student, Test",999,,,Sec A,\n', encoding="utf-8")
    r = load_roster(canvas)
    assert len(r) == 1
    s = r.students[0]
    assert (s.student_id, s.first_name, s.last_name, s.lms_id, s.sis_user_id, s.section) == (
        "jdoe", "Jane", "Doe", "1234", "S001", "Sec A")
    moodle = tmp_path / "moodle.csv"
    moodle.write_text("First name,Last name,ID number,Institution,Department,Email address\n"
                      "Ana,María,20231,,,ana@uni.edu\n", encoding="utf-8")
    s = load_roster(moodle).students[0]
    assert (s.student_id, s.email, s.id_number) == ("20231", "ana@uni.edu", "20231")
    assert "anamaria" in s.names() and "mariaana" in s.names()


@pytest.mark.parametrize(("text", "message"), [
    ("first_name,last_name\nJane,Doe\n", "no student_id column"),
    ("student_id,email\njd,a@b\njd,c@d\n", "student ids listed twice: jd"),
    ("student_id\nbad id!\n", "line 2: student id 'bad id!' is not valid"),
    ("student_id\n", "lists no students"),
])
def test_load_roster_refuses_bad_class_lists_clearly(tmp_path, text, message):
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match=message):
        load_roster(path)


def test_bad_map_is_refused_before_anything_is_collected(course, tmp_path, capsys):
    write_tree(tmp_path / "h", {f"ana/{AID}.ipynb": NB})
    code, out = collect(course, tmp_path / "h", "--map", tmp_path / "nope.csv", capsys=capsys)
    assert code == 2 and "no such class list" in out.err
    assert submitted(course) == []


def test_safe_student_id_and_compact_name():
    assert safe_student_id("ana") == "ana"
    assert safe_student_id("Ana María") == "Ana_Maria"
    assert safe_student_id("  Łukasz O'Brien ") == "Lukasz_O_Brien"
    assert safe_student_id("Søren Æbeltoft") == "Soren_AEbeltoft"
    assert safe_student_id("日本") == ""
    assert compact_name("Doe, Jane") == "doejane" and compact_name("Ana María") == "anamaria"


def test_damaged_zip_members_and_symlinks_are_skipped_and_named(course, tmp_path, capsys):
    z = tmp_path / "h.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(f"ana/{AID}.ipynb", NB)
        zf.writestr(f"bob/{AID}.ipynb", NB.replace("forget", "FORGET", 1))
    blob = bytearray(z.read_bytes())
    i = blob.index(b"FORGET")
    blob[i:i + 6] = b"f0rget"  # bob's data no longer matches its CRC
    z.write_bytes(bytes(blob))
    code, out = collect(course, z, capsys=capsys)
    assert code == EXIT_SKIPPED and submitted(course) == ["ana"]
    assert f"skipped bob/{AID}.ipynb: cannot be unpacked" in out.out
    # a folder hand-in whose submission folder holds a symbolic link
    write_tree(tmp_path / "f", {f"cy/{AID}/{AID}.ipynb": NB})
    (tmp_path / "f" / "cy" / AID / "link").symlink_to("/etc/passwd")
    code, out = collect(course, tmp_path / "f", capsys=capsys)
    assert code == EXIT_SKIPPED and "cy" not in submitted(course)
    assert "contains symbolic links" in out.out


def test_flat_names_with_numbers_are_found_in_the_class_list(tmp_path):
    roster = Roster([Student("jd", first_name="Jane", last_name="Doe"),
                     Student("mr", first_name="Max", last_name="Roe", sis_user_id="12345")])
    flat = HandIn("doe_jane_777", "flat", tmp_path, "x")
    assert student_for(flat, roster) == ("jd", "")
    assert student_for(HandIn("roe_12345", "flat", tmp_path, "x"), roster) == ("mr", "")


def test_collect_release_and_export_load_nbformat_and_nbgrader_only_when_working():
    """A mistyped path or date is answered at once: the heavy imports wait for real work."""
    import subprocess
    import sys

    code = ("import sys\nimport course_pkg.instructor.collect, course_pkg.instructor.release, "
            "course_pkg.instructor.export\n"
            "print([m for m in ('nbformat', 'nbgrader', 'sqlalchemy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_backslashes_from_old_windows_zips_are_folder_separators(course, tmp_path, capsys):
    z = tmp_path / "h.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("subs\\ana\\" + f"{AID}.ipynb", NB)
    code, out = collect(course, z, capsys=capsys)
    assert code == 0 and submitted(course) == ["ana"], out.out
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("subs\\..\\..\\evil.ipynb", NB)
    code, out = collect(course, z, capsys=capsys)
    assert code == 2 and "unsafe paths" in out.err
    assert not (tmp_path / "evil.ipynb").exists()


def test_a_broken_later_hand_in_does_not_hide_a_valid_earlier_one(course, tmp_path, capsys):
    write_tree(tmp_path / "h", {f"ana/{AID}.ipynb": NB, f"ana_{AID}.ipynb": '{"cells": ['})
    _set_mtime(tmp_path / "h" / "ana" / f"{AID}.ipynb", 2027, 1, 10, 9)
    _set_mtime(tmp_path / "h" / f"ana_{AID}.ipynb", 2027, 1, 11, 9)
    code, out = collect(course, tmp_path / "h", capsys=capsys)
    assert code == EXIT_SKIPPED and submitted(course) == ["ana"]
    assert f"skipped ana_{AID}.ipynb: not valid notebook JSON" in out.out
    assert (course / "submitted/ana" / AID / f"{AID}.ipynb").read_text() == NB
