"""The grading sandbox: every student kernel runs confined, with no view of the course.

A student notebook is code written by someone else; the autograder runs it. Without a
sandbox that code runs as the grader (root on CI), with the course directory, the
gradebook, every other submission, the repository and the network within reach. This
module confines each kernel with tools Debian ships without Docker:

* ``bwrap`` (Debian package ``bubblewrap``): a new mount, pid, network, ipc, uts and
  cgroup namespace; the filesystem is an empty tmpfs in which only what Python needs
  is bound **read-only** (``/usr``, ``/lib*``, a few ``/etc`` files, the Python base
  prefix, the virtualenv, the ``course_pkg`` package directory); ``/tmp`` and the work
  directory (a copy of the submission's folder, notebooks excluded) are private tmpfs
  of bounded size; ``--die-with-parent``, ``--new-session``.
* ``setpriv`` (util-linux), when the grader is root: the kernel runs as ``nobody``
  (65534) with no capabilities, no supplementary groups and ``no_new_privs``. (bwrap's
  own ``--uid`` inside a user namespace opened by root is still root outside: it can
  write root-owned files. So as root the sandbox opens no user namespace and drops to
  a real unprivileged uid instead.)
* ``prlimit`` (util-linux): address space, CPU seconds, processes, file size and open
  files (:class:`SandboxPolicy`).

The kernel talks to the grader over ZeroMQ ``ipc`` sockets in a per-kernel directory
bound into the sandbox (there is no network in the sandbox, not even loopback). Outputs
are capped while the cell runs, in the kernel (a start-up file caps each cell's prints)
and, authoritatively, on the grader's side as messages arrive (per cell and per
notebook), so a flood of output neither accumulates in the grader's memory nor grows
the notebook. A cell that ignores the interrupt after a timeout gets its sandbox killed
and a fresh one started for the cells after it.

Use with nbclient (``NotebookClient(nb, kernel_manager_class=SandboxedKernelManager)``)
or nbgrader (:func:`apply_sandbox_config` in ``nbgrader_config.py``). Without bwrap (or
without user namespaces, as non-root) the kernel falls back to ``prlimit`` alone, with
a loud warning.

See Also
--------
docs/instructors.md, section "The grading sandbox".
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import fnmatch
import importlib.util
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
import warnings
from dataclasses import dataclass, field
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import Instance, default

__all__ = [
    "SandboxPolicy",
    "SandboxUnavailableWarning",
    "SandboxError",
    "SandboxedKernelManager",
    "SandboxedKernelClient",
    "SandboxedExecute",
    "sandbox_problem",
    "sandbox_command",
    "apply_sandbox_config",
    "prepare_state",
    "student_launcher",
    "TRUNCATION_NOTE",
    "INFINITE_LOOP_MESSAGE",
]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

#: Appended to a cell's stream when the grader dropped some of its output.
TRUNCATION_NOTE = "\n[output truncated by the grader: {n} bytes]\n"

#: The error a cell gets when it did not return and ignored the interrupt.
INFINITE_LOOP_MESSAGE = (
    "the cell did not return (an infinite loop?): it ran past the grader's time limit "
    "and ignored the interrupt, so the grader killed its kernel"
)
_AFTER_RESTART = ("; the cells after it run in a fresh kernel, without the variables and "
                  "imports of the cells before")
_AFTER_KILL = "; the cells after it cannot run"

APT_HINT = "apt-get install bubblewrap"

#: Path of the submission's copy (read-only) and of the private work directory.
SUBMISSION_INSIDE = "/run/submission"

_OUTPUT_TYPES = frozenset({"stream", "display_data", "execute_result", "error",
                           "update_display_data"})
_COMM_TYPES = frozenset({"comm_open", "comm_msg", "comm_close"})


class SandboxError(RuntimeError):
    """The sandbox cannot be set up (the message says what to fix)."""


class SandboxUnavailableWarning(UserWarning):
    """bwrap is missing or unusable: kernels run with resource limits only."""


@dataclass(frozen=True)
class SandboxPolicy:
    """What a sandboxed kernel may use; every limit is per kernel (one notebook).

    Parameters
    ----------
    address_space : int
        ``RLIMIT_AS`` in bytes (default 2 GiB): a bigger allocation raises
        ``MemoryError`` in the student's cell instead of swapping the grader's machine.
    cpu_seconds : int
        ``RLIMIT_CPU`` in seconds of CPU time for the kernel process, all its threads
        together (default 600); the kernel is killed (SIGXCPU, then SIGKILL 5 s later)
        beyond it. A backstop: keep it above the per-cell wall timeout (nbgrader's
        ``Execute.timeout``, 120 s here), so that a looping cell meets the timeout, which
        explains itself, and not this limit, which ends the notebook as "Kernel died".
    processes : int
        ``RLIMIT_NPROC`` (default 64): processes and threads of the kernel's uid, so a
        fork bomb fails early. The kernel itself uses about ten threads.
    file_size : int
        ``RLIMIT_FSIZE`` in bytes (default 64 MiB): a larger write fails with
        ``OSError: [Errno 27] File too large``.
    open_files : int
        ``RLIMIT_NOFILE`` (default 256).
    tmpfs_size : int
        Size in bytes of each private tmpfs, ``/tmp`` and the work directory
        (default 256 MiB each); they live in memory, hence the bound.
    max_cell_output : int
        Output bytes kept per cell (default 1 MiB); the rest is dropped while the cell
        runs and replaced by :data:`TRUNCATION_NOTE`.
    max_notebook_output : int
        Output bytes kept per notebook (default 5 MiB).
    interrupt_grace : float
        Seconds a timed-out cell has to react to the interrupt before the grader kills
        the sandbox (default 3).
    restart_after_kill : bool
        After killing a kernel stuck in a cell, start a fresh one so that the following
        cells still run (and the submission is graded) instead of failing the whole
        notebook with ``DeadKernelError`` (default True).
    max_copy_bytes : int
        Largest submission folder (bytes) copied into the sandbox (default 64 MiB).
    copy_exclude : tuple of str
        Glob patterns not copied into the work directory (default: notebooks, since the
        autograded copy of the notebook holds the hidden tests).
    readonly_paths : tuple of str
        Extra host paths bound read-only at the same place (data sets, say).
    expose_packages : tuple of str
        Importable packages whose directory is bound read-only when it lies outside the
        virtualenv (an editable install lives in the repository: only the package
        directory is shown, never the repository). Default ``("course_pkg",)``.
    hide : tuple of str
        Paths (inside what is bound) covered by an empty tmpfs (directories) or by
        ``/dev/null`` (files), for instance reference solutions inside the package.
    workdir : str
        The kernel's working directory and ``$HOME`` inside the sandbox.
    uid, gid : int
        The unprivileged ids the kernel runs as when the grader is root (``nobody``).
    bwrap : str
        The bwrap executable (a name looked up on ``PATH``, or a path).
    env : dict
        Extra environment variables for the kernel (its environment is otherwise
        rebuilt from scratch: the grader's variables, tokens included, stay outside).

    Notes
    -----
    The limits are generous for the course's notebooks (numpy on small arrays: about
    150 MB of address space and a few CPU seconds each) and small next to a machine
    that grades many notebooks one after the other.
    """

    address_space: int = 2 * GiB
    cpu_seconds: int = 600
    processes: int = 64
    file_size: int = 64 * MiB
    open_files: int = 256
    tmpfs_size: int = 256 * MiB
    max_cell_output: int = 1 * MiB
    max_notebook_output: int = 5 * MiB
    interrupt_grace: float = 3.0
    restart_after_kill: bool = True
    max_copy_bytes: int = 64 * MiB
    copy_exclude: tuple[str, ...] = ("*.ipynb", ".ipynb_checkpoints", "__pycache__")
    readonly_paths: tuple[str, ...] = ()
    expose_packages: tuple[str, ...] = ("course_pkg",)
    hide: tuple[str, ...] = ()
    workdir: str = "/home/student"
    uid: int = 65534
    gid: int = 65534
    bwrap: str = "bwrap"
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("address_space", "cpu_seconds", "processes", "file_size", "open_files",
                     "tmpfs_size", "max_cell_output", "max_notebook_output",
                     "max_copy_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"SandboxPolicy.{name} must be a positive integer, "
                                 f"got {value!r}")
        if self.interrupt_grace < 0:
            raise ValueError(f"SandboxPolicy.interrupt_grace must be >= 0 seconds, "
                             f"got {self.interrupt_grace!r}")
        if not self.workdir.startswith("/"):
            raise ValueError(f"SandboxPolicy.workdir must be an absolute path, "
                             f"got {self.workdir!r}")


# --- is the sandbox available? ------------------------------------------------------------

def _resolve_bwrap(bwrap: str) -> str | None:
    if os.sep in bwrap:
        return bwrap if os.access(bwrap, os.X_OK) else None
    return shutil.which(bwrap)


def sandbox_problem(policy: SandboxPolicy | None = None) -> str | None:
    """Say why the bwrap sandbox cannot run here, or return None when it can.

    Parameters
    ----------
    policy : SandboxPolicy, optional
        Names the bwrap executable (default: ``bwrap`` on ``PATH``).

    Returns
    -------
    str or None
        A sentence naming what is missing and how to install it, or None.

    Notes
    -----
    The check runs ``bwrap ... true`` with the namespaces the sandbox uses (a few
    milliseconds, before every kernel), so an unusable bwrap (user namespaces disabled
    by the kernel, a container without ``CAP_SYS_ADMIN``) is caught as well as a
    missing one.
    """
    policy = policy or SandboxPolicy()
    root = os.geteuid() == 0
    path = _resolve_bwrap(policy.bwrap)
    problem = None
    if path is None:
        problem = (f"bubblewrap is missing: {policy.bwrap!r} is not an executable "
                   f"({APT_HINT}, or set SandboxPolicy.bwrap to its path)")
    else:
        for tool in ("prlimit", "setpriv") if root else ("prlimit",):
            if shutil.which(tool) is None:
                problem = f"{tool} is missing (apt-get install util-linux)"
        if problem is None:
            cmd = [path, *_namespace_args(root), "--ro-bind", "/", "/", "--proc", "/proc",
                   "--dev", "/dev", "true"]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired) as exc:
                problem = f"{path} cannot run: {exc}"
            else:
                if proc.returncode != 0:
                    problem = (f"{path} cannot create the sandbox's namespaces "
                               f"({proc.stderr.strip() or 'exit code ' + str(proc.returncode)})"
                               "; unprivileged user namespaces may be disabled "
                               "(sysctl kernel.unprivileged_userns_clone=1)")
    return problem


def _warn_unconfined(problem: str) -> None:
    message = (f"GRADING SANDBOX UNAVAILABLE: {problem}. Student kernels now run with "
               "resource limits (prlimit) only: they can read and write whatever the "
               f"grader can, the gradebook included, and reach the network. Install it: "
               f"{APT_HINT}.")
    warnings.warn(message, SandboxUnavailableWarning, stacklevel=3)
    bar = "!" * 78
    print(f"{bar}\n{message}\n{bar}", file=sys.stderr, flush=True)


# --- the command line ---------------------------------------------------------------------


def _namespace_args(root: bool) -> list[str]:
    if root:
        # No user namespace: a uid mapped by root's user namespace is root outside.
        # The kernel drops to a real unprivileged uid with setpriv instead.
        return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try"]
    return ["--unshare-all", "--disable-userns"]


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    for name in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                 "/etc/localtime", "/etc/alternatives", "/etc/mime.types"):
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    return args


def _package_dirs(names) -> list[str]:
    dirs = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise SandboxError(f"SandboxPolicy.expose_packages names {name!r}, which is not "
                               "an importable package in the grader's environment")
        dirs += [str(pathlib.Path(p).resolve()) for p in spec.submodule_search_locations]
    return dirs


def _is_within(path: str, parents) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in parents)


def _python_paths(python: str) -> list[str]:
    """The prefixes the kernel's interpreter needs (its venv and its base install)."""
    paths = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
             os.path.realpath(sys.exec_prefix), os.path.realpath(sys.base_exec_prefix)}
    exe = os.path.abspath(python) if os.sep in python else shutil.which(python)
    if exe:
        real = os.path.realpath(exe)
        if not _is_within(real, paths) and not real.startswith("/usr/"):
            paths.add(os.path.dirname(os.path.dirname(real)))
    # outermost first, so that nothing hides a deeper bind
    return sorted(p for p in paths if not _is_within(p, ["/usr"]))


_INSTRUCTOR_DATA = pathlib.Path(__file__).resolve().parent / "data"


def sandbox_command(kernel_cmd: list[str], *, policy: SandboxPolicy, state_dir: str,
                    ipc_dir: str, fallback: bool = False) -> list[str]:
    """Wrap a kernel command line in bwrap, setpriv and prlimit.

    Parameters
    ----------
    kernel_cmd : list of str
        The command that starts the kernel (``python -m ipykernel_launcher -f ...``).
    policy : SandboxPolicy
        Limits, paths to expose and paths to hide.
    state_dir : str
        The per-kernel directory holding ``submission/`` (the copy of the submission's
        folder) and ``etc/`` (the sandbox's ``passwd`` and ``group``).
    ipc_dir : str
        The directory of the connection file and ipc sockets, bound read-write.
    fallback : bool, optional
        Build the ``prlimit``-only command (no isolation; see :func:`sandbox_problem`).

    Returns
    -------
    list of str
        The full command line to launch.

    Notes
    -----
    Order: ``bwrap`` (namespaces and mounts) then, as root, ``setpriv`` (drop to
    ``policy.uid``) then ``prlimit`` (so that ``RLIMIT_NPROC`` counts the sandbox uid's
    processes) then ``sh`` copying the submission into the private work directory
    before ``exec``-ing the kernel.
    """
    limits = ["prlimit", f"--as={policy.address_space}",
              f"--cpu={policy.cpu_seconds}:{policy.cpu_seconds + 5}",
              f"--nproc={policy.processes}", f"--fsize={policy.file_size}",
              f"--nofile={policy.open_files}", "--core=0", "--"]
    if fallback:
        return limits + list(kernel_cmd)
    root = os.geteuid() == 0
    bwrap = _resolve_bwrap(policy.bwrap)
    if bwrap is None:
        raise SandboxError(f"bubblewrap is missing: {policy.bwrap!r} ({APT_HINT})")
    workdir = policy.workdir
    args = [bwrap, *_namespace_args(root), "--die-with-parent", "--new-session",
            "--hostname", "sandbox",
            # bwrap (as root) would make /etc 0700 and the student could read nothing in it
            "--perms", "0755", "--dir", "/etc", *_system_binds(),
            "--ro-bind", os.path.join(state_dir, "etc", "passwd"), "/etc/passwd",
            "--ro-bind", os.path.join(state_dir, "etc", "group"), "/etc/group",
            "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(policy.tmpfs_size), "--tmpfs", "/tmp"]
    made = {"/", "/usr", "/tmp", "/proc", "/dev", "/etc"}

    def bind(flag: str, src: str, dest: str) -> None:
        # bwrap (as root) makes missing parent directories 0700: make them 0755 first
        missing = [str(d) for d in reversed(pathlib.PurePosixPath(dest).parents)
                   if str(d) not in made]
        for d in missing:
            args.extend(["--perms", "0755", "--dir", d])
            made.add(d)
        args.extend([flag, src, dest])
        made.add(dest)

    bind("--ro-bind", os.path.join(state_dir, "etc", "fonts.conf"), "/etc/fonts/fonts.conf")
    bound = ["/usr"]
    for path in _python_paths(kernel_cmd[0]) + _package_dirs(policy.expose_packages):
        if not _is_within(path, bound):
            bind("--ro-bind", path, path)
            bound.append(path)
    for path in policy.readonly_paths:
        path = os.path.realpath(path)
        if not os.path.exists(path):
            raise SandboxError(f"SandboxPolicy.readonly_paths names {path}, which does "
                               "not exist")
        bind("--ro-bind", path, path)
    bind("--bind", ipc_dir, ipc_dir)
    bind("--ro-bind", os.path.join(state_dir, "submission"), SUBMISSION_INSIDE)
    for d in reversed(pathlib.PurePosixPath(workdir).parents):
        if str(d) not in made:
            args.extend(["--perms", "0755", "--dir", str(d)])
            made.add(str(d))
    args += ["--perms", "0777", "--size", str(policy.tmpfs_size), "--tmpfs", workdir]
    # The package ships the instructor notebooks (solutions, hidden tests): never shown.
    always = [str(_INSTRUCTOR_DATA)] if "course_pkg" in policy.expose_packages else []
    for path in (*policy.hide, *always):
        path = os.path.realpath(path)
        if os.path.isdir(path):
            args += ["--tmpfs", path]
        elif os.path.exists(path):
            args += ["--ro-bind", "/dev/null", path]
    args += ["--chdir", workdir, "--"]
    if root:
        args += ["setpriv", f"--reuid={policy.uid}", f"--regid={policy.gid}",
                 "--clear-groups", "--no-new-privs", "--inh-caps=-all",
                 "--bounding-set=-all", "--"]
    copy = f'cp -R {SUBMISSION_INSIDE}/. "$HOME"/ 2>/dev/null; exec "$@"'
    return args + limits + ["/bin/sh", "-c", copy, "sh", *kernel_cmd]


# --- the kernel-side output cap ----------------------------------------------------------

#: Run by the kernel at start-up (``IPKernelApp.exec_files``): caps what each cell writes
#: to stdout/stderr *inside the kernel*, so an honest print loop never sends the grader
#: more than the budget. Student code can undo it; the grader's cap
#: (:class:`CappedIOPubChannel`) is the one that holds.
_KERNEL_CAP = """\
def _course_output_cap(limit, note):
    import sys
    import ipykernel.iostream as iostream
    from IPython import get_ipython

    original = iostream.OutStream.write
    used, dropped = {}, {}

    def write(self, string):
        if not isinstance(string, str):
            return original(self, string)
        key = self.parent_header.get("msg_id")
        room = limit - used.get(key, 0)
        if len(string) <= room:
            used[key] = used.get(key, 0) + len(string)
            return original(self, string)
        if room > 0:
            original(self, string[:room])
        used[key] = limit
        per_stream = dropped.setdefault(key, {})
        per_stream[self.name] = per_stream.get(self.name, 0) + len(string) - max(room, 0)
        return len(string)

    def report(*args):
        for key in list(dropped):
            for name, n in dropped.pop(key).items():
                stream = sys.stderr if name == "stderr" else sys.stdout
                original(stream, note.format(n=n))
                stream.flush()

    iostream.OutStream.write = write
    get_ipython().events.register("post_run_cell", report)


_course_output_cap(__LIMIT__, __NOTE__)
del _course_output_cap
"""


# --- the kernel manager -------------------------------------------------------------------


def prepare_state(state: str, ipc: str, policy: SandboxPolicy) -> None:
    """Write the sandbox's ``etc/passwd`` and ``etc/group`` and set the permissions.

    ``state`` is the per-sandbox directory of :func:`sandbox_command` (it must
    already hold ``submission/``), ``ipc`` the directory bound read-write.
    As root, what the sandbox reads is made readable by its uid through the
    binds, while ``state`` itself stays 0700: nobody outside can look in.
    """
    root = os.geteuid() == 0
    etc = os.path.join(state, "etc")
    os.makedirs(etc, exist_ok=True)
    uid, gid = (policy.uid, policy.gid) if root else (os.getuid(), os.getgid())
    pathlib.Path(etc, "passwd").write_text(
        f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"student:x:{uid}:{gid}:student:{policy.workdir}:/usr/sbin/nologin\n")
    pathlib.Path(etc, "group").write_text(f"root:x:0:\nstudent:x:{gid}:\n")
    # fontconfig's own configuration (the host may have none): without it matplotlib's
    # first font scan writes "Fontconfig error" into the student's notebook
    pathlib.Path(etc, "fonts.conf").write_text(
        "<?xml version=\"1.0\"?>\n<fontconfig>\n  <dir>/usr/share/fonts</dir>\n"
        "  <cachedir>/tmp/fontconfig</cachedir>\n</fontconfig>\n")
    if root:
        for dirpath, _, files in os.walk(state):
            os.chmod(dirpath, 0o755)
            for name in files:
                os.chmod(os.path.join(dirpath, name), 0o644)
        os.chmod(state, 0o700)
        os.chown(ipc, policy.uid, policy.gid)


#: The policy of a student's process in trusted grading: nothing of course_pkg is
#: visible (the process gets the pieces it may use from the grader), and the CPU
#: backstop is above the per-call wall timeout times the number of calls.
STUDENT_PROCESS_POLICY = dict(expose_packages=(), cpu_seconds=300)


def student_launcher(policy: SandboxPolicy | None = None):
    """A launcher for :class:`~.isolation.StudentProcess`: its command, sandboxed.

    Parameters
    ----------
    policy : SandboxPolicy, optional
        Default: :class:`SandboxPolicy` with :data:`STUDENT_PROCESS_POLICY`
        (no package exposed, 300 s of CPU).

    Returns
    -------
    callable
        ``launch(argv, private_dir) -> argv``. ``private_dir`` (the runner's
        files) is bound read-only; a per-process state directory is made in
        it. Without a usable bwrap the command gets ``prlimit`` only, after a
        loud :class:`SandboxUnavailableWarning`.
    """
    import dataclasses

    policy = policy or SandboxPolicy(**STUDENT_PROCESS_POLICY)
    problem = sandbox_problem(policy)
    if problem is not None:
        _warn_unconfined(problem)

    def launch(argv: list[str], private_dir) -> list[str]:
        if problem is not None:
            return sandbox_command(argv, policy=policy, state_dir="", ipc_dir="",
                                   fallback=True)
        private_dir = str(private_dir)
        state = tempfile.mkdtemp(prefix="sandbox-", dir=private_dir)
        ipc = os.path.join(state, "ipc")
        os.makedirs(os.path.join(state, "submission"))
        os.makedirs(ipc)
        prepare_state(state, ipc, policy)
        bound = dataclasses.replace(policy, readonly_paths=(*policy.readonly_paths,
                                                            private_dir))
        return sandbox_command(argv, policy=bound, state_dir=state, ipc_dir=ipc)

    return launch


def _copyable(path: str) -> bool:
    """Regular files, directories and symlinks; not sockets, fifos or devices."""
    mode = os.lstat(path).st_mode
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)


def _copy_submission(src: str | None, dest: str, policy: SandboxPolicy) -> None:
    """Copy the kernel's working directory, minus excluded names, without following links."""
    os.makedirs(dest)
    if not src or not os.path.isdir(src):
        return
    total = [0]

    def ignore(folder, names):
        skipped = {n for n in names
                   if any(fnmatch.fnmatch(n, pat) for pat in policy.copy_exclude)
                   or not _copyable(os.path.join(folder, n))}
        for n in names:
            path = os.path.join(folder, n)
            if n not in skipped and os.path.isfile(path) and not os.path.islink(path):
                total[0] += os.path.getsize(path)
        if total[0] > policy.max_copy_bytes:
            raise SandboxError(
                f"the submission folder {src} holds more than {policy.max_copy_bytes} bytes "
                "(SandboxPolicy.max_copy_bytes); remove large files or raise the limit")
        return skipped

    shutil.copytree(src, dest, symlinks=True, ignore=ignore, dirs_exist_ok=True)


class SandboxedKernelManager(AsyncKernelManager):
    """A jupyter_client kernel manager whose kernels run in the grading sandbox.

    Every kernel gets a fresh sandbox (:func:`sandbox_command`): a private copy of the
    working directory nbclient passes (the notebook's folder, notebooks excluded), the
    ``ipc`` transport in a private directory, a clean environment, the limits of
    :attr:`policy`. Interrupts are sent as messages (signals cannot cross the pid
    namespace); a kernel still busy ``policy.interrupt_grace`` seconds after the
    interrupt is killed, its cell gets :data:`INFINITE_LOOP_MESSAGE`, and (with
    ``policy.restart_after_kill``) a fresh sandbox takes its place, so that the
    following cells still run.

    Use ``NotebookClient(nb, kernel_manager_class=SandboxedKernelManager)``, or
    :class:`SandboxedExecute` with nbgrader. Configure with
    ``c.SandboxedKernelManager.policy = SandboxPolicy(...)``.
    """

    policy = Instance(SandboxPolicy, config=True, help="Limits and visible paths.")

    @default("policy")
    def _policy_default(self):
        return SandboxPolicy()

    @default("transport")
    def _transport_default(self):
        return "ipc"

    @default("client_factory")
    def _client_factory_default(self):
        return SandboxedKernelClient

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self._state_dir: str | None = None
        self._iopub_watchers: list[tuple[CappedIOPubChannel, SandboxedKernelClient]] = []
        self.sandboxed: bool | None = None

    # -- start --------------------------------------------------------------------------

    async def _async_pre_start_kernel(self, **kw):
        if self._state_dir is None:
            self._state_dir = tempfile.mkdtemp(prefix="course-sandbox-")
            ipc = os.path.join(self._state_dir, "ipc")
            os.makedirs(ipc)
            self.connection_file = os.path.join(ipc, "kernel.json")
            self.ip = os.path.join(ipc, "k")
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        try:
            return await self._launch_in_sandbox(kernel_cmd, **kw)
        except BaseException:
            if self._state_dir is not None:
                shutil.rmtree(self._state_dir, ignore_errors=True)
                self._state_dir = None
            raise

    async def _launch_in_sandbox(self, kernel_cmd, **kw):
        assert self._state_dir is not None
        policy = self.policy
        problem = sandbox_problem(policy)
        self.sandboxed = problem is None
        state, ipc = self._state_dir, os.path.join(self._state_dir, "ipc")
        submission = os.path.join(state, "submission")
        shutil.rmtree(submission, ignore_errors=True)
        _copy_submission(kw.get("cwd"), submission, policy)
        if problem is not None:
            _warn_unconfined(problem)
            kw["cwd"] = submission
            home = submission
        else:
            prepare_state(state, ipc, policy)
            kw["cwd"] = state
            # no JPY_PARENT_PID: the grader's pid means nothing in the pid namespace
            # (ipykernel would see a changed parent and quit); --die-with-parent does it
            kw["independent"] = True
            home = policy.workdir
        kw["env"] = self._kernel_env(kw.get("env") or {}, home)
        cap = os.path.join(ipc, "output_cap.py")
        limit = max(policy.max_cell_output - 4 * KiB, KiB)  # room left for the notes
        pathlib.Path(cap).write_text(_KERNEL_CAP.replace("__LIMIT__", repr(limit))
                                     .replace("__NOTE__", repr(TRUNCATION_NOTE)))
        os.chmod(cap, 0o644)
        if any("ipykernel" in part for part in kernel_cmd):
            kernel_cmd = [*kernel_cmd, f"--IPKernelApp.exec_files={cap}"]
        cmd = sandbox_command(kernel_cmd, policy=policy, state_dir=state, ipc_dir=ipc,
                              fallback=problem is not None)
        self.log.debug("sandboxed kernel command: %s", cmd)
        return await super()._async_launch_kernel(cmd, **kw)

    def _kernel_env(self, env: dict, home: str) -> dict:
        python_bin = os.path.dirname(os.path.abspath(sys.executable))
        clean = {
            "PATH": os.pathsep.join([python_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": home, "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
            "FONTCONFIG_FILE": "/etc/fonts/fonts.conf",  # written by prepare_state
            "IPYTHONDIR": "/tmp/ipython", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            # ipykernel ignores a parent pid of 1 (no parent poller, no console banner)
            "JPY_PARENT_PID": "1",
        }
        spec_env = getattr(self.kernel_spec, "env", None) or {}
        for key, value in env.items():
            if key in spec_env or key.startswith(("NBGRADER_", "JPY_SESSION")) or key in (
                    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "PYTHONHASHSEED", "TZ"):
                clean[key] = value
        clean.update(self.policy.env)
        return clean

    # -- interrupt, kill, clean up ------------------------------------------------------

    async def _async_interrupt_kernel(self) -> None:
        """Interrupt by message; kill the sandbox if the cell is still busy after the grace."""
        if not self.has_kernel:
            return await super()._async_interrupt_kernel()
        msg = self.session.msg("interrupt_request", content={})
        self._connect_control_socket()
        self.session.send(self._control_socket, msg)
        watchers = [w for w, _ in self._iopub_watchers if w.busy_parent is not None]
        if not watchers:
            return
        deadline = asyncio.get_running_loop().time() + self.policy.interrupt_grace
        while asyncio.get_running_loop().time() < deadline:
            if all(w.busy_parent is None for w in watchers) or not await self.is_alive():
                return
            await asyncio.sleep(0.1)
        restart = self.policy.restart_after_kill
        message = INFINITE_LOOP_MESSAGE + (_AFTER_RESTART if restart else _AFTER_KILL)
        self.log.error("Sandboxed kernel %s: %s.", self.kernel_id, message)
        await self._async_kill_kernel()
        for w in watchers:
            w.inject_dead_kernel(message)
        if restart:
            # let the reader of the cell (nbclient) take the error and the idle first
            loop = asyncio.get_running_loop()
            until = loop.time() + 2.0
            while any(w._ready for w in watchers) and loop.time() < until:
                await asyncio.sleep(0.01)
            try:
                await self._restart_after_kill()
            except Exception as exc:  # the cells after it then fail with DeadKernelError
                self.log.error("Sandboxed kernel %s could not be restarted: %s",
                               self.kernel_id, exc)

    async def _restart_after_kill(self) -> None:
        """Start a fresh sandbox on the same ipc sockets; return when the clients reach it."""
        await self._async_restart_kernel(now=True)
        for channel, _ in self._iopub_watchers:
            channel.revive()
        # the clients' sockets reconnect by themselves; kernel_info proves each one does
        # (no cell runs meanwhile: the one that looped was just ended)
        for _, client in self._iopub_watchers:
            if client.channels_running:
                await client.wait_for_ready(timeout=60)

    interrupt_kernel = _async_interrupt_kernel

    def _watch(self, channel: CappedIOPubChannel, client: SandboxedKernelClient) -> None:
        self._iopub_watchers.append((channel, client))

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._state_dir is not None:
            shutil.rmtree(self._state_dir, ignore_errors=True)
            self._state_dir = None

    cleanup_resources = _async_cleanup_resources


# --- the client: output capped while the cell runs ----------------------------------------


def _output_size(content: dict) -> int:
    if "text" in content:
        return len(content["text"])
    size = 0
    for key in ("data", "metadata"):
        for value in (content.get(key) or {}).values():
            size += len(value) if isinstance(value, str) else len(json.dumps(value))
    size += len(content.get("evalue", "")) + sum(len(x) for x in content.get("traceback", []))
    return size


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more]"


class CappedIOPubChannel(AsyncZMQSocketChannel):
    """The iopub channel of :class:`SandboxedKernelClient`: keeps at most the budget.

    Output messages beyond ``max_cell_output`` bytes for a cell, or
    ``max_notebook_output`` for the notebook, are dropped as they arrive; when the cell
    ends (its ``idle`` status), one note per stream says how many bytes were dropped
    (on stderr if stderr output was dropped, so a failing cell still fails). Errors are
    always kept, clipped to a few KiB. The channel also tracks the busy cell, which the
    kernel manager needs to tell a successful interrupt from an ignored one.
    """

    policy: SandboxPolicy = SandboxPolicy()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.busy_parent: str | None = None
        self._cell_bytes: dict[str, int] = collections.defaultdict(int)
        self._dropped: dict[str, dict[str, int]] = collections.defaultdict(
            lambda: collections.defaultdict(int))
        self._total = 0
        self._error_kept: set[str | None] = set()
        # messages already filtered (or made up here), returned before the socket's
        self._ready: collections.deque = collections.deque()
        self._wake = asyncio.Event()
        self._dead = False

    # synthetic messages -----------------------------------------------------------------

    def _synthetic(self, msg_type: str, content: dict, parent: str | None) -> dict:
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "grader",
                  "session": "sandbox", "version": "5.3",
                  "date": datetime.datetime.now(datetime.UTC)}
        return {"header": header, "msg_id": header["msg_id"], "msg_type": msg_type,
                "parent_header": {"msg_id": parent} if parent else {},
                "metadata": {}, "content": content, "buffers": []}

    def inject_dead_kernel(self, message: str) -> None:
        """End the busy cell with an error saying the kernel was killed, then idle."""
        parent = self.busy_parent
        self._dead = True
        if parent is None:
            return
        self._ready.append(self._synthetic("error", {
            "ename": "CellTimeoutError", "evalue": message,
            "traceback": [f"CellTimeoutError: {message}"]}, parent))
        self._ready.extend(self._notes(parent))
        self._ready.append(self._synthetic("status", {"execution_state": "idle"}, parent))
        self.busy_parent = None
        self._wake.set()

    def revive(self) -> None:
        """The kernel was restarted: read its socket again."""
        self._dead = False
        self._wake.set()

    def _notes(self, parent: str) -> list[dict]:
        dropped = self._dropped.pop(parent, {})
        return [self._synthetic("stream", {"name": name,
                                           "text": TRUNCATION_NOTE.format(n=n)}, parent)
                for name, n in sorted(dropped.items(), key=lambda kv: kv[0] != "stdout")]

    # filtering -----------------------------------------------------------------------------

    def _filter(self, msg: dict) -> list[dict]:
        msg_type = msg.get("msg_type") or msg["header"]["msg_type"]
        parent = msg.get("parent_header", {}).get("msg_id")
        content = msg.get("content", {})
        if msg_type == "status" and parent:
            state = content.get("execution_state")
            # only code execution counts (an interrupt_request has its own busy/idle)
            executing = msg.get("parent_header", {}).get("msg_type") == "execute_request"
            if state == "busy" and executing:
                self.busy_parent = parent
            elif state == "idle":
                if self.busy_parent == parent:
                    self.busy_parent = None
                return [*self._notes(parent), msg]
            return [msg]
        if msg_type not in _OUTPUT_TYPES and msg_type not in _COMM_TYPES:
            return [msg]
        size = _output_size(content)
        left = min(self.policy.max_cell_output - self._cell_bytes[parent],
                   self.policy.max_notebook_output - self._total)
        if msg_type == "error" and parent not in self._error_kept:
            # the first error of a cell is always kept (clipped): it is what fails the cell
            self._error_kept.add(parent)
            content["evalue"] = _clip(content.get("evalue", ""), 2 * KiB)
            content["traceback"] = [_clip(x, 2 * KiB) for x in content.get("traceback", [])[-20:]]
            size = min(size, 8 * KiB)
        elif size > left:
            stream = {"stream": content.get("name", "stdout"), "error": "stderr"}.get(
                msg_type, "stdout")
            if msg_type == "stream" and left > 0:
                kept = content["text"][:left]
                content["text"] = kept
                self._dropped[parent][stream] += size - len(kept)
                size = len(kept)
            else:
                if msg_type not in _COMM_TYPES:
                    self._dropped[parent][stream] += size
                return []
        self._cell_bytes[parent] += size
        self._total += size
        return [msg]

    async def _next(self, timeout: float | None) -> tuple[dict, bool]:
        """The next message and whether it is already filtered."""
        if self._ready:
            return self._ready.popleft(), True
        self._wake.clear()
        if self._dead:
            # the kernel was killed: nothing comes from its socket until a restart
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                raise Empty from None
            if self._ready:
                return self._ready.popleft(), True
            if self._dead:
                raise Empty
            self._wake.clear()  # revived: read the new kernel's socket
        poll = asyncio.ensure_future(self.socket.poll(
            None if timeout is None else int(timeout * 1000)))
        wake = asyncio.ensure_future(self._wake.wait())
        try:
            done, _ = await asyncio.wait({poll, wake}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (poll, wake):
                if not task.done():
                    task.cancel()
        if self._ready:
            return self._ready.popleft(), True
        if poll in done and poll.result():
            return await self._recv(), False
        raise Empty

    async def get_msg(self, timeout: float | None = None) -> dict:  # type: ignore[override]
        """Return the next kept message (raise ``queue.Empty`` after ``timeout`` seconds)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            msg, filtered = await self._next(left)
            if filtered:
                return msg
            try:
                kept = self._filter(msg)
            except (TypeError, ValueError, AttributeError, KeyError):
                kept = []  # a malformed message (made up by the student's code): dropped
            if kept:
                self._ready.extend(kept[1:])
                return kept[0]
            if deadline is not None and loop.time() >= deadline:
                raise Empty


class SandboxedKernelClient(AsyncKernelClient):
    """The async kernel client of :class:`SandboxedKernelManager` (capped iopub)."""

    @property
    def iopub_channel(self):
        """The iopub channel, a :class:`CappedIOPubChannel` with the manager's policy."""
        if self._iopub_channel is None:
            socket = self.connect_iopub()
            parent = self.parent
            channel = CappedIOPubChannel(socket, self.session, self.ioloop)
            if isinstance(parent, SandboxedKernelManager):
                channel.policy = parent.policy
                parent._watch(channel, self)
            self._iopub_channel = channel
        return self._iopub_channel


# --- nbgrader -----------------------------------------------------------------------------


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` preprocessor with its kernels in the grading sandbox.

    nbgrader's ``Execute`` passes ``kernel_manager_class=AsyncKernelManager`` to its
    parent's constructor, which overrides ``c.Execute.kernel_manager_class`` from the
    configuration; hence this subclass, put in place by :func:`apply_sandbox_config`.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        limit = f"{self.timeout} s" if self.timeout else "its time limit"
        self.error_on_timeout = {
            "ename": "CellTimeoutError",
            "evalue": f"the cell did not return (an infinite loop?) within {limit}",
            "traceback": [f"CellTimeoutError: the cell did not return (an infinite loop?) "
                          f"within {limit}; it was interrupted"],
        }


def apply_sandbox_config(c: Any, policy: SandboxPolicy | None = None) -> Any:
    """Make nbgrader's autograde run every kernel in the grading sandbox.

    Parameters
    ----------
    c : traitlets.config.Config
        The configuration object of ``nbgrader_config.py`` (``get_config()``).
    policy : SandboxPolicy, optional
        Limits and exposed paths; the defaults of :class:`SandboxPolicy` otherwise.

    Returns
    -------
    traitlets.config.Config
        ``c``, with ``Autograde.autograde_preprocessors`` using
        :class:`SandboxedExecute` instead of nbgrader's ``Execute``.
    """
    from nbgrader.converters import Autograde

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    current = c.Autograde.autograde_preprocessors if "autograde_preprocessors" in c.Autograde \
        else default
    c.Autograde.autograde_preprocessors = [
        "course_pkg.instructor.sandbox.SandboxedExecute" if p in (Execute, _dotted(Execute))
        else p for p in current]
    if policy is not None:
        c.SandboxedKernelManager.policy = policy
    return c


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
