"""The student's side of trusted grading: run the notebook's code, answer calls.

Started by :class:`course_pkg.instructor.isolation.StudentProcess` as
``python -I _student_runner.py`` from a private copy of this file and
:mod:`._channel`, inside the grading sandbox. It reads calls on its standard
input and answers on its standard output (both moved to private descriptors
at start; anything the student prints goes to standard error).

The runner never decides a grade: it only executes the student's cells and
returns what the student's functions return, as plain arrays. The checks run
in the grader's process, on those arrays.

``course_pkg`` here is a stand-in built from what the grader sends: the
modules an assignment may use by copy (``activations``, ``gradcheck``) and
the reference functions it may call (assignment 06 calls ``lstm_forward``)
as stubs that call the grader. Nothing else of the package, neither the
other references nor the grading catalogues, exists in this process.
"""

from __future__ import annotations

import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _channel import Channel


class _NoGrading(types.ModuleType):
    def __getattr__(self, name: str):
        raise AttributeError(
            f"course_pkg.grading.{name} is not available while your notebook is graded "
            "(the grader runs the tests itself)")


def _get_ipython():
    class _Shell:
        def run_line_magic(self, *args, **kwargs):
            return None

        run_cell_magic = system = run_line_magic

    return _Shell()


class _DenyPackage:
    """First on ``sys.meta_path``: no other part of course_pkg can be imported.

    The sandbox is what really hides the package (its files are not there);
    this only keeps an unsandboxed run from finding it by a plain import.
    """

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname.split(".")[0] == "course_pkg" and fullname not in sys.modules:
            raise ModuleNotFoundError(
                f"{fullname} is not available while your notebook is graded", name=fullname)
        return None


def _build_package(channel: Channel, copied: list, remote: dict) -> None:
    """Install the stand-in ``course_pkg`` into ``sys.modules``."""
    sys.meta_path.insert(0, _DenyPackage)
    pkg = types.ModuleType("course_pkg")
    pkg.__path__ = []  # a package with no files: only what is installed below exists
    sys.modules["course_pkg"] = pkg
    grading = _NoGrading("course_pkg.grading")
    grading.IN_GRADER = True  # the notebook may skip its demos (course_pkg.grading.IN_GRADER)
    sys.modules["course_pkg.grading"] = grading
    pkg.grading = grading
    for name, source in copied:  # sent in dependency order
        mod = types.ModuleType(name)
        mod.__package__ = "course_pkg"
        sys.modules[name] = mod
        exec(compile(source, f"<{name}>", "exec"), mod.__dict__)
        setattr(pkg, name.rsplit(".", 1)[1], mod)
    for name, functions in remote.items():
        mod = sys.modules.get(name) or types.ModuleType(name)
        sys.modules[name] = mod
        setattr(pkg, name.rsplit(".", 1)[1], mod)
        for attr, fn in functions.items():
            setattr(mod, attr, fn)
    gradcheck = sys.modules.get("course_pkg.gradcheck")
    if gradcheck is not None:
        cls = gradcheck.GradCheckResult
        channel.records["GradCheckResult"] = (
            cls, lambda r: {"errors": dict(r), "tol": r.tol},
            lambda f: cls(f["errors"], f["tol"]))


def main() -> None:
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # print() goes to stderr, never into the channel
    sys.stdin = open(os.devnull)
    channel = Channel(rfd, wfd)
    namespace: dict = {"__name__": "__main__", "get_ipython": _get_ipython}

    def load(copied, remote, cells):
        """Build course_pkg, run every cell; return cell errors and the names defined."""
        _build_package(channel, copied, remote)
        errors = []
        me = os.getpid()
        for k, source in enumerate(cells):
            try:
                exec(compile(source, f"<cell {k}>", "exec"), namespace)
            except BaseException as err:  # a failing cell does not stop the others
                errors.append([k, f"{type(err).__name__}: {err}"[:2000]])
            if os.getpid() != me:  # a copy made by os.fork in the cell: only the original goes on
                os._exit(0)
        names = sorted(n for n, v in namespace.items()
                       if callable(v) and not n.startswith("__") and n != "get_ipython")
        for n in names:
            channel.names[n] = namespace[n]
        return {"errors": errors, "functions": names}

    def call_isolated(name, isolate, args, kwargs):
        """Call ``name`` with some of its helpers replaced by the grader's for this call.

        Assignment 05 grades ``lstm_forward`` with the reference step in place
        of the student's, so that one mistake is not counted twice.
        """
        saved = {k: namespace[k] for k in isolate if k in namespace and k != name}
        namespace.update({k: v for k, v in isolate.items() if k in saved})
        try:
            return namespace[name](*args, **kwargs)
        finally:
            namespace.update(saved)

    channel.names["__load__"] = load
    channel.names["__call_isolated__"] = call_isolated
    while True:
        header, _ = channel.serve()
        if header.get("op") == "stop":
            os._exit(0)


if __name__ == "__main__":
    main()
