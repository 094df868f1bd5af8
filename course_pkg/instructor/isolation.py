"""The grader's side of trusted grading: a student's code in a separate process.

The tests of an assignment call the student's functions. In a notebook
kernel those calls, and the comparisons after them, run next to the
student's code, which can replace ``numpy.testing``, the ``grading``
helpers, or return an object that equals everything. Here the student's
code runs in its own process (inside the grading sandbox when one is given)
and the tests run in the grader's process, where every student function is
a :class:`StudentFunction`: calling it sends the arguments over a pipe and
brings back plain ``float64``-style arrays (see :mod:`._channel`). Nothing
the student defines can take part in computing the verdict.

A call that does not return within ``timeout`` seconds kills the student's
process (its whole process group) and raises :class:`StudentTimeout`; a
process that dies raises :class:`StudentCrashed`. Both derive from
``BaseException`` so that the diagnosis engine, which catches the errors a
student's function raises, does not retry them; the next call starts a
fresh process and reloads the notebook's code.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from ..gradcheck import GradCheckResult
from ._channel import Channel, ChannelClosed, ChannelTimeout, ProtocolError

__all__ = [
    "GradingStopped",
    "StudentCrashed",
    "StudentFunction",
    "StudentProcess",
    "StudentTimeout",
]

_HERE = pathlib.Path(__file__).resolve().parent
RECORDS = {"GradCheckResult": (GradCheckResult,
                               lambda r: {"errors": dict(r), "tol": r.tol},
                               lambda f: GradCheckResult(f["errors"], f["tol"]))}


class GradingStopped(BaseException):
    """The student's process could not answer; ``reason`` says why, for the feedback."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StudentTimeout(GradingStopped):
    """A call did not return in time."""


class StudentCrashed(GradingStopped):
    """The student's process died or broke the channel."""


Launcher = Callable[[list[str], pathlib.Path], list[str]]


class StudentProcess:
    """The student's code, running in a process of its own.

    Parameters
    ----------
    cells : sequence of str
        Python source of the notebook's code cells, in order (IPython syntax
        already turned into Python).
    copied : sequence of (str, str)
        ``(module name, source)`` of package modules the student may import,
        in dependency order (e.g. ``course_pkg._checks``, ``course_pkg.activations``).
    remote : dict
        ``module name -> {name: function}``: functions the student may call
        that run in the grader's process (e.g. ``lstm_forward`` in 06).
    launcher : callable, optional
        ``launcher(argv, workdir) -> argv`` wraps the command, e.g. in the
        grading sandbox. None runs the process directly.
    timeout : float
        Seconds one call of a student function may take.
    load_timeout : float
        Seconds for running all the cells once.
    env : dict, optional
        Environment of the process (default: a minimal one).
    """

    def __init__(self, cells: Sequence[str], copied: Sequence[tuple[str, str]] = (),
                 remote: dict[str, dict[str, Callable[..., Any]]] | None = None, *,
                 launcher: Launcher | None = None, timeout: float = 10.0,
                 load_timeout: float = 60.0, env: dict[str, str] | None = None):
        if timeout <= 0 or load_timeout <= 0:
            raise ValueError(f"timeouts must be positive, got {timeout} and {load_timeout}")
        self.cells = list(cells)
        self.copied = [tuple(pair) for pair in copied]
        self.remote = dict(remote or {})
        self.launcher = launcher
        self.timeout, self.load_timeout = float(timeout), float(load_timeout)
        self.env = env if env is not None else {
            "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
            "FONTCONFIG_FILE": "/etc/fonts/fonts.conf",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "HOME": "/tmp"}
        self.load_errors: list[tuple[int, str]] = []
        self.functions: list[str] = []
        self._proc: subprocess.Popen | None = None
        self._channel: Channel | None = None
        self._dir: pathlib.Path | None = None

    # --- life cycle ------------------------------------------------------------------------

    def __enter__(self) -> StudentProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the process and run the cells (raises GradingStopped if that fails)."""
        self.close()
        self._dir = pathlib.Path(tempfile.mkdtemp(prefix="course-student-"))
        os.chmod(self._dir, 0o755)
        for name in ("_channel.py", "_student_runner.py"):
            shutil.copy(_HERE / name, self._dir / name)
        argv = [sys.executable, "-I", str(self._dir / "_student_runner.py")]
        if self.launcher is not None:
            argv = self.launcher(argv, self._dir)
        self._stderr = open(self._dir / "stderr.txt", "wb")
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            env=self.env, cwd=self._dir, start_new_session=True)
        self._channel = Channel(self._proc.stdout.fileno(), self._proc.stdin.fileno(),
                                records=RECORDS, grader_side=True)
        for functions in self.remote.values():  # exported once, for the whole session
            for fn in functions.values():
                self._channel.export(fn)
        answer = self._call("__load__", (self.copied, self.remote, self.cells), {},
                            self.load_timeout, loading=True)
        self.load_errors = [(int(k), str(msg)) for k, msg in answer["errors"]]
        self.functions = [str(n) for n in answer["functions"]]

    def close(self) -> None:
        """Kill the process group and remove the private directory."""
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._proc.wait()
            for pipe in (self._proc.stdin, self._proc.stdout):
                pipe.close()
            self._stderr.close()
            self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # --- calls -----------------------------------------------------------------------------

    def function(self, name: str) -> StudentFunction:
        """A stand-in for the student's function ``name``."""
        return StudentFunction(self, name)

    def _call(self, name: str, args: tuple, kwargs: dict, timeout: float,
              loading: bool = False) -> Any:
        if self._proc is None or self._proc.poll() is not None:
            if loading:
                raise StudentCrashed("the student's process is not running")
            self.start()
        try:
            return self._channel.call(name, args, kwargs, timeout=timeout)
        except ChannelTimeout:
            self.close()
            what = ("running the notebook's cells" if loading
                    else f"{name}(...)")
            raise StudentTimeout(
                f"{what} did not return within {timeout:g} s (an infinite loop?)") from None
        except ChannelClosed:
            status = self._proc.wait() if self._proc is not None else None
            self.close()
            raise StudentCrashed(_death(status, name, loading)) from None
        except ProtocolError as err:
            self.close()
            raise StudentCrashed(f"the student's process sent a malformed answer ({err}); "
                                 "did the code write into the grader's channel?") from None


def _death(status: int | None, name: str, loading: bool) -> str:
    what = "while running the notebook's cells" if loading else f"during {name}(...)"
    if status is not None and status < 0:
        sig = signal.Signals(-status).name
        hint = {"SIGKILL": " (memory or CPU-time limit?)", "SIGXCPU": " (CPU-time limit)",
                "SIGSEGV": " (a crash in native code)", "SIGXFSZ": " (file-size limit)"}
        return f"the student's process was killed by {sig} {what}{hint.get(sig, '')}"
    return f"the student's process exited (status {status}) {what}"


class StudentFunction:
    """Calls the student's function ``name`` in its process; see the module docstring."""

    def __init__(self, process: StudentProcess, name: str):
        self.process, self.name = process, name
        self.__name__ = self.remote_name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.process._call(self.name, args, kwargs, self.process.timeout)

    def call_isolated(self, isolate: dict[str, Callable[..., Any]], *args: Any) -> Any:
        """Call with the student's helpers ``isolate`` replaced by the grader's functions."""
        return self.process._call("__call_isolated__", (self.name, isolate, list(args), {}),
                                  {}, self.process.timeout)

    def __repr__(self) -> str:
        return f"<student function {self.name}>"
