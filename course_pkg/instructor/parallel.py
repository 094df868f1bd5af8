"""Grading at scale: the submissions graded in parallel, the gradebook written once.

``course autograde ID -j N`` (and ``--dask ADDRESS``) split nbgrader's autograde in two:

1. **Grade** (:func:`grade_payload`, anywhere the course environment is installed):
   one submission's notebook, with the instructor's and the released notebook, goes
   in as JSON text; the score of every test cell (:class:`~.trusted.CellResult`) comes
   out as JSON. This is the expensive part (the student's code runs in the grading
   sandbox) and it touches no file of the course directory, so it runs in ``N`` local
   processes (:func:`grade_locally`) or on the workers of a Dask cluster
   (:mod:`.dask_backend`).
2. **Record** (on the instructor's machine, one writer): nbgrader's own ``autograde``
   runs once over the graded students, with ``TrustedExecute`` reading the stored
   results instead of grading again, so nbgrader still restores the hidden and locked
   cells, records the timestamps and late penalties and writes the gradebook
   (SQLite or PostgreSQL) as it always does: no row is lost or written twice.

Each result is stored atomically (temporary file, then rename) in
``.course-autograde/<id>/<student>.json`` under the course directory, with a digest
of what it was computed from; a run that is killed continues where it stopped
(:func:`plan`): a student whose notebook, source, timestamp and settings did not
change since the result was recorded is skipped.

As root, every sandboxed student process runs as an unprivileged uid. ``RLIMIT_NPROC``
counts the processes of a uid, so parallel workers sharing ``nobody`` would share the
budget: a fork bomb in one worker would starve the honest student next to it. Each
grading process therefore takes a uid of its own (:func:`worker_uid`), held with a
lock file for as long as the process lives.
"""

from __future__ import annotations

import atexit
import dataclasses
import fcntl
import hashlib
import json
import os
import pathlib
import pwd
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "GRADER_VERSION",
    "STATE_DIR",
    "Plan",
    "default_jobs",
    "grade_locally",
    "grade_payload",
    "gradebook_url",
    "make_payload",
    "mark_pending",
    "mark_recorded",
    "open_gradebook",
    "plan",
    "read_result",
    "uid_processes",
    "wait_uid_idle",
    "worker_uid",
    "write_atomic",
    "write_result",
]

#: Changes when the grader's verdicts could change for the same notebook: stored
#: results of another version are graded again.
GRADER_VERSION = "trusted-1"

#: Folder of the course directory holding the stored results.
STATE_DIR = ".course-autograde"

#: The uids a grading process may run its students' code as, when the grader is root:
#: ``nobody`` and the unassigned uids just below it (64 slots: 64 parallel workers).
UID_SLOTS = tuple(range(65534, 65534 - 64, -1))
_SLOT_LOCKS = pathlib.Path(tempfile.gettempdir()) / "course-grading-uids"
_local = threading.local()


def default_jobs() -> int:
    """The number of CPUs this process may run on (``-j`` default)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _course_config(root: pathlib.Path):
    from traitlets.config import Config

    c = Config()
    path = root / "nbgrader_config.py"
    code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    exec(code, {"get_config": lambda: c, "__file__": str(path)})
    return c.CourseDirectory if "CourseDirectory" in c else {}


def gradebook_url(root: pathlib.Path) -> str:
    """The gradebook's database URL: ``db_url`` of the course's nbgrader_config.py.

    ``course init --db URL`` writes it; without it nbgrader's default,
    ``sqlite:///<root>/gradebook.db``, applies.
    """
    url = _course_config(root).get("db_url")
    return str(url) if url else f"sqlite:///{root / 'gradebook.db'}"


def open_gradebook(root: pathlib.Path):
    """nbgrader's ``Gradebook`` of the course directory ``root`` (its URL and course id)."""
    from nbgrader.api import Gradebook

    course_id = _course_config(root).get("course_id") or "default_course"
    return Gradebook(gradebook_url(root), str(course_id))


def write_atomic(path: pathlib.Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


# --- the worker's side ----------------------------------------------------------------


def worker_uid() -> int:
    """A uid of :data:`UID_SLOTS` that no other grading process on this machine holds.

    Taken once per process and thread, with an exclusive ``flock`` on
    ``$TMPDIR/course-grading-uids/<uid>.lock``, released when the process exits. A
    uid that belongs to an account of this machine (other than ``nobody``) is never
    taken. When every slot is held, the call waits for one.
    """
    uid = getattr(_local, "uid", None)
    if uid is not None:
        return uid
    _SLOT_LOCKS.mkdir(mode=0o700, exist_ok=True)
    candidates = []
    for uid in UID_SLOTS:
        try:
            if uid != 65534 and pwd.getpwuid(uid):
                continue
        except KeyError:
            pass
        candidates.append(uid)
    while True:
        for uid in candidates:
            fh = open(_SLOT_LOCKS / f"{uid}.lock", "a")  # held while the process lives
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                continue
            _local.uid, _local.lock = uid, fh
            atexit.register(fh.close)  # released at exit, without a ResourceWarning
            return uid
        time.sleep(0.2)


def uid_processes(uid: int) -> int:
    """The number of processes (and threads' leaders) of ``uid`` in ``/proc``."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(entry.path).st_uid == uid:
                    count += 1
            except OSError:  # gone meanwhile
                continue
    return count


def wait_uid_idle(uid: int, timeout: float = 15.0) -> bool:
    """Wait until no process of ``uid`` is left (a killed fork bomb takes a moment to go).

    ``RLIMIT_NPROC`` counts every process of the uid: the next student, run as the
    same uid, must not start while the previous one's processes are still being
    reaped, or its own interpreter cannot start its threads. True when idle.
    """
    deadline = time.monotonic() + timeout
    while uid_processes(uid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _launcher(sandbox: bool):
    if not sandbox:
        return None
    from .sandbox import STUDENT_PROCESS_POLICY, SandboxPolicy, student_launcher

    if os.geteuid() != 0:
        return student_launcher()
    uid = worker_uid()
    wait_uid_idle(uid)
    return student_launcher(SandboxPolicy(**STUDENT_PROCESS_POLICY, uid=uid, gid=65534))


def grade_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Grade one submission: the worker's whole job, JSON in and JSON out.

    Parameters
    ----------
    payload : dict
        From :func:`make_payload`: ``student``, ``digest``, the notebooks
        ``source``, ``released`` and ``submitted`` as JSON text, ``timeout``,
        ``load_timeout``, ``sandbox`` and ``variant`` (``[assignment, salt]`` to draw
        the student's variant of the hidden tests, or None for the fixed inputs).

    Returns
    -------
    dict
        ``student``, ``digest``, ``results`` (one dict per test cell, the fields of
        :class:`~.trusted.CellResult`), ``seconds``, ``worker`` (``host:pid`` of the
        process that graded it) and ``error`` (None, or why the submission could not
        be graded at all: it is then not recorded).
    """
    from .. import grading
    from .trusted import grade_submission

    start = time.perf_counter()
    out: dict[str, Any] = {"student": payload["student"], "digest": payload["digest"],
                           "results": None, "error": None,
                           "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        drawn = payload.get("variant")
        variant = (grading.variant(payload["student"], drawn[0], drawn[1])
                   if drawn is not None else None)
        results = grade_submission(
            json.loads(payload["source"]), json.loads(payload["submitted"]),
            launcher=_launcher(payload["sandbox"]), timeout=payload["timeout"],
            load_timeout=payload["load_timeout"], released=json.loads(payload["released"]),
            variant=variant)
        out["results"] = [dataclasses.asdict(r) for r in results]
    except Exception as err:  # reported by the coordinator; the student is graded again
        out["error"] = f"{type(err).__name__}: {err}"
    out["seconds"] = time.perf_counter() - start
    return out


# --- the coordinator's side -----------------------------------------------------------


def _sha(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p.encode() if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def _paths(root: pathlib.Path, aid: str, student: str) -> dict[str, pathlib.Path]:
    name = f"{aid}.ipynb"
    return {"source": root / "source" / aid / name, "released": root / "release" / aid / name,
            "submitted": root / "submitted" / student / aid / name,
            "timestamp": root / "submitted" / student / aid / "timestamp.txt",
            "result": root / STATE_DIR / aid / f"{student}.json",
            "pending": root / STATE_DIR / aid / f"{student}.pending",
            "autograded": root / "autograded" / student / aid}


def make_payload(root: pathlib.Path, aid: str, student: str, *, timeout: float,
                 sandbox: bool, load_timeout: float = 60.0,
                 variants: bool = True) -> dict[str, Any]:
    """What a worker needs to grade ``student``'s submission (see :func:`grade_payload`).

    With ``variants`` (the default, as in ``TrustedExecute``) the hidden tests draw
    the student's own inputs, salted with ``$COURSE_VARIANT_SALT``.
    """
    p = _paths(root, aid, student)
    texts = {k: p[k].read_text(encoding="utf-8") for k in ("source", "released", "submitted")}
    variant = [aid, os.environ.get("COURSE_VARIANT_SALT", "")] if variants else None
    digest = _sha(GRADER_VERSION, texts["source"], texts["released"], texts["submitted"],
                  repr((float(timeout), float(load_timeout), bool(sandbox), variant)))
    return {"student": student, "digest": digest, **texts, "timeout": float(timeout),
            "load_timeout": float(load_timeout), "sandbox": bool(sandbox),
            "variant": variant}


def _timestamp(root: pathlib.Path, aid: str, student: str) -> str:
    path = _paths(root, aid, student)["timestamp"]
    return path.read_text(encoding="utf-8").strip() if path.exists() else ""


def write_result(root: pathlib.Path, aid: str, result: dict[str, Any]) -> None:
    """Store a worker's result for the recording step (atomically)."""
    write_atomic(_paths(root, aid, result["student"])["result"],
                 json.dumps({**result, "recorded": None}, indent=1))


def read_result(root: pathlib.Path, aid: str, student: str) -> dict[str, Any] | None:
    """The stored result of ``student`` (None if there is none or it is unreadable)."""
    path = _paths(root, aid, student)["result"]
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def mark_recorded(root: pathlib.Path, aid: str, students: Iterable[str]) -> None:
    """Note that nbgrader recorded these students' stored results in the gradebook."""
    for s in students:
        stored = read_result(root, aid, s)
        if stored is not None:
            stored["recorded"] = _timestamp(root, aid, s) or "-"
            write_atomic(_paths(root, aid, s)["result"], json.dumps(stored, indent=1))
        _paths(root, aid, s)["pending"].unlink(missing_ok=True)


def mark_pending(root: pathlib.Path, aid: str, students: Iterable[str]) -> None:
    """Note, before nbgrader runs, that these students' gradebook rows are being written."""
    for s in students:
        write_atomic(_paths(root, aid, s)["pending"], "")


@dataclasses.dataclass
class Plan:
    """What one ``course autograde`` run does, student by student.

    ``done``: recorded earlier from the same inputs (skipped);
    ``record``: graded earlier (a killed run, say), to be recorded only;
    ``grade``: to grade, then record;
    ``missing``: no notebook to grade (an unreadable one was set aside).
    """

    payloads: dict[str, dict[str, Any]]
    done: list[str]
    record: list[str]
    grade: list[str]
    missing: list[str]


def plan(root: pathlib.Path, aid: str, students: Sequence[str], *, timeout: float,
         sandbox: bool, force: bool) -> Plan:
    """Sort the students into done / record / grade (see :class:`Plan`).

    A student is done when the stored result was computed from the same notebooks and
    settings, nbgrader recorded it with the same timestamp, no recording was
    interrupted (no ``.pending`` mark) and the autograded folder exists. A submission
    autograded by an earlier ``course autograde`` that left no stored result counts
    as done too (nbgrader's own rule), unless ``force``.
    """
    payloads, done, record, grade, missing = {}, [], [], [], []
    for s in students:
        p = _paths(root, aid, s)
        if not p["submitted"].exists():  # no notebook (unreadable, set aside)
            missing.append(s)
            continue
        payloads[s] = make_payload(root, aid, s, timeout=timeout, sandbox=sandbox)
        stored = None if force else read_result(root, aid, s)
        fresh = (stored is not None and stored.get("digest") == payloads[s]["digest"]
                 and stored.get("results") is not None)
        interrupted = p["pending"].exists()
        if fresh and not interrupted and p["autograded"].is_dir() and \
                stored.get("recorded") == (_timestamp(root, aid, s) or "-"):
            done.append(s)
        elif fresh:
            record.append(s)
        elif stored is None and not force and not interrupted and p["autograded"].is_dir():
            done.append(s)  # autograded before results were stored: nbgrader would skip it
        else:
            grade.append(s)
    return Plan(payloads, done, record, grade, missing)


def grade_locally(payloads: Sequence[dict[str, Any]], jobs: int,
                  on_result: Callable[[dict[str, Any]], None]) -> None:
    """Grade ``payloads`` in ``jobs`` processes; call ``on_result`` as each finishes.

    ``jobs == 1`` grades in this process, one after the other. Otherwise a pool of
    ``jobs`` processes (``forkserver``, with the grading modules preloaded) grades
    them; each process takes its own sandbox uid (:func:`worker_uid`).
    """
    if jobs <= 1 or len(payloads) <= 1:
        for payload in payloads:
            on_result(grade_payload(payload))
        return
    import concurrent.futures
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["course_pkg.instructor.parallel", "course_pkg.instructor.trusted",
                                "course_pkg.instructor.sandbox"])
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(payloads)),
                                                mp_context=ctx) as pool:
        futures = [pool.submit(grade_payload, p) for p in payloads]
        try:
            for future in concurrent.futures.as_completed(futures):
                on_result(future.result())
        except BaseException:
            for f in futures:
                f.cancel()
            raise
