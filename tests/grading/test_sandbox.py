"""The grading sandbox: every attack a student notebook can try fails.

Each attack runs as a cell of a real notebook in a real sandboxed kernel
(:class:`~course_pkg.instructor.sandbox.SandboxedKernelManager`, executed by
nbclient), and the test asserts on the cell's outputs *and* on the host (the
file untouched, no connection accepted, no process left). A control notebook
checks that honest work (numpy, course_pkg) still runs. The ``nbgrader`` test
runs ``nbgrader autograde`` on a tiny course directory configured with
:func:`~course_pkg.instructor.sandbox.apply_sandbox_config`.

Skipped when bwrap cannot run here (the message says why), except the fallback
test, which points the module at a missing bwrap on purpose.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

import course_pkg
from course_pkg.instructor.coursedir import packaged_assignments
from course_pkg.instructor.sandbox import (
    INFINITE_LOOP_MESSAGE,
    SandboxedKernelManager,
    SandboxError,
    SandboxPolicy,
    SandboxUnavailableWarning,
    apply_sandbox_config,
    sandbox_command,
    sandbox_problem,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: The instructor notebooks (solutions and hidden tests) that ship with the package.
DATA = packaged_assignments()
PROBLEM = sandbox_problem()
# COURSE_REQUIRE_SANDBOX=1 (set by .ci/run): a missing sandbox fails the tests instead.
needs_bwrap = pytest.mark.skipif(
    PROBLEM is not None and os.environ.get("COURSE_REQUIRE_SANDBOX") != "1",
    reason=f"no sandbox here: {PROBLEM}")
IS_ROOT = os.geteuid() == 0


#: As nbgrader's Execute: on a timeout, interrupt and record this error in the cell.
ON_TIMEOUT = {"interrupt_on_timeout": True, "error_on_timeout": {
    "ename": "CellTimeoutError", "evalue": "", "traceback": ["CellTimeoutError"]}}


def run(cells, *, cwd, policy=None, timeout=60, **client_kw):
    """Execute ``cells`` in a sandboxed kernel; return the executed notebook."""
    nb = new_notebook(cells=[new_code_cell(src) for src in cells])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                              "language": "python"}
    config = Config()
    if policy is not None:
        config.SandboxedKernelManager.policy = policy
    client = NotebookClient(nb, kernel_manager_class=SandboxedKernelManager, config=config,
                            timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}}, **client_kw)
    client.execute()
    return nb


def text(cell) -> str:
    """Everything a cell showed: streams, results and errors."""
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
        else:
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "".join(parts)


def errors(cell) -> list[str]:
    return [out.ename for out in cell.outputs if out.output_type == "error"]


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.fixture
def course(tmp_path):
    """A fake course directory: gradebook, another student's graded notebook, a secret."""
    root = tmp_path / "course"
    (root / "autograded" / "bob" / "ps1").mkdir(parents=True)
    (root / "gradebook.db").write_bytes(b"SQLite format 3\x00 fake gradebook")
    (root / "secret.txt").write_text("the answers")
    (root / "autograded" / "bob" / "ps1" / "ps1.ipynb").write_text(
        json.dumps({"cells": [{"source": "### BEGIN HIDDEN TESTS"}]}))
    work = root / "submitted" / "alice" / "ps1"
    work.mkdir(parents=True)
    (work / "data.csv").write_text("1,2,3\n")
    (work / "ps1.ipynb").write_text("{}")  # the autograded copy holds hidden tests
    return root, work


# --- unit checks of the recipe (no kernel) -----------------------------------------------


def test_sandbox_command_confines_and_limits(tmp_path):
    policy = SandboxPolicy()
    (tmp_path / "submission").mkdir()
    cmd = sandbox_command(["python", "-m", "ipykernel_launcher"], policy=policy,
                          state_dir=str(tmp_path), ipc_dir=str(tmp_path / "ipc"))
    joined = " ".join(cmd)
    for flag in ("--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid"):
        assert flag in joined or "--unshare-all" in joined, flag
    assert f"--as={2 * 1024**3}" in cmd and "--nproc=64" in cmd
    assert f"--fsize={64 * 1024**2}" in cmd and "--nofile=256" in cmd
    assert "--cpu=600:605" in cmd
    # the repository is never bound, only the package directory inside it
    binds = {cmd[i + 1] for i, a in enumerate(cmd) if a in ("--bind", "--ro-bind")}
    assert str(ROOT) not in binds
    assert str(pathlib.Path(course_pkg.__file__).parent) in binds
    writable = {cmd[i + 1] for i, a in enumerate(cmd) if a == "--bind"}
    assert writable == {str(tmp_path / "ipc")}
    if IS_ROOT:
        assert "--reuid=65534" in cmd and "--no-new-privs" in cmd
    fallback = sandbox_command(["python"], policy=policy, state_dir=str(tmp_path),
                               ipc_dir=str(tmp_path), fallback=True)
    assert fallback[0] == "prlimit" and "bwrap" not in " ".join(fallback)


def test_policy_rejects_bad_limits():
    with pytest.raises(ValueError, match="address_space must be a positive integer"):
        SandboxPolicy(address_space=0)
    with pytest.raises(ValueError, match="workdir must be an absolute path"):
        SandboxPolicy(workdir="work")


def test_apply_sandbox_config_swaps_nbgraders_execute():
    c = Config()
    apply_sandbox_config(c, SandboxPolicy(cpu_seconds=30))
    names = [p if isinstance(p, str) else p.__name__ for p in
             c.Autograde.autograde_preprocessors]
    assert names[0] == "course_pkg.instructor.sandbox.SandboxedExecute"
    assert "Execute" not in names and "LimitOutput" in names
    assert c.SandboxedKernelManager.policy.cpu_seconds == 30


@needs_bwrap
@pytest.mark.skipif(not IS_ROOT, reason="concerns a grader running as root")
def test_why_setpriv_and_not_bwrap_uid_when_root(tmp_path):
    """bwrap's --uid in a user namespace made by root is still root outside."""
    target = tmp_path / "root_owned.txt"
    target.write_text("root's\n")
    target.chmod(0o644)
    write = ["sh", "-c", f"echo pwned >> {target}"]
    subprocess.run(["bwrap", "--unshare-user", "--uid", "65534", "--gid", "65534",
                    "--ro-bind", "/", "/", "--bind", str(tmp_path), str(tmp_path), *write],
                   check=False, capture_output=True)
    assert "pwned" in target.read_text()  # the rejected recipe writes root's file
    target.write_text("root's\n")
    proc = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--bind", str(tmp_path),
                           str(tmp_path), "setpriv", "--reuid=65534", "--regid=65534",
                           "--clear-groups", "--no-new-privs", "--", *write],
                          check=False, capture_output=True, text=True)
    assert proc.returncode != 0 and "Permission denied" in proc.stderr
    assert target.read_text() == "root's\n"


# --- attacks ------------------------------------------------------------------------------


@needs_bwrap
def test_uid_is_not_root_and_the_course_directory_is_invisible(course):
    root, work = course
    before = (root / "gradebook.db").read_bytes()
    nb = run([
        "import os; print('UID', os.getuid(), os.geteuid())",
        f"open({str(root / 'secret.txt')!r}).read()",
        f"open({str(root / 'gradebook.db')!r}, 'ab').write(b'pwned')",
        f"open({str(root / 'autograded/bob/ps1/ps1.ipynb')!r}).read()",
        "print(sorted(os.listdir('.')))",
        "open('/etc/shadow').read()",
    ], cwd=work)
    uid = int(text(nb.cells[0]).split()[1])
    assert uid != 0
    if IS_ROOT:
        assert uid == 65534
    for cell in nb.cells[1:4]:
        assert errors(cell) == ["FileNotFoundError"], text(cell)
    # only the submission's own files, and not its notebook (hidden tests)
    assert text(nb.cells[4]).strip() == "['data.csv']"
    assert errors(nb.cells[5]), text(nb.cells[5])
    assert (root / "gradebook.db").read_bytes() == before


@needs_bwrap
def test_repository_is_invisible_and_package_is_read_only(tmp_path):
    pkg = pathlib.Path(course_pkg.__file__).parent
    lstm = pkg / "lstm.py"
    before = lstm.read_bytes()
    nb = run([
        f"import glob; print(glob.glob({str(DATA / '*' / '*.ipynb')!r}))",
        f"open({str(lstm)!r}, 'a').write('# pwned')",
        f"open({str(pkg / 'evil.py')!r}, 'w').write('x = 1')",
        "import course_pkg.lstm; print('imported', course_pkg.lstm.__name__)",
    ], cwd=tmp_path)
    assert text(nb.cells[0]).strip() == "[]"
    assert list(DATA.glob("*/*.ipynb")), "the test needs notebooks to hide"
    # PermissionError (not the owner) or OSError EROFS (read-only bind) for the owner
    assert errors(nb.cells[1]) in (["PermissionError"], ["OSError"]), text(nb.cells[1])
    assert errors(nb.cells[2]) in (["PermissionError"], ["OSError"]), text(nb.cells[2])
    assert "imported course_pkg.lstm" in text(nb.cells[3])
    assert lstm.read_bytes() == before and not (pkg / "evil.py").exists()


@needs_bwrap
def test_hide_covers_a_path_inside_the_package(tmp_path):
    grading = pathlib.Path(course_pkg.__file__).parent / "grading"
    nb = run([f"import os; print(os.listdir({str(grading)!r}))"], cwd=tmp_path,
             policy=SandboxPolicy(hide=(str(grading),)))
    assert text(nb.cells[0]).strip() == "[]"
    assert any(grading.iterdir())


@needs_bwrap
def test_no_network_not_even_loopback(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        nb = run([
            f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)",
            "import urllib.request; urllib.request.urlopen('http://example.com', timeout=3)",
        ], cwd=tmp_path)
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()
    assert errors(nb.cells[0]) == ["ConnectionRefusedError"], text(nb.cells[0])
    assert errors(nb.cells[1]) == ["URLError"], text(nb.cells[1])


@needs_bwrap
@pytest.mark.slow
def test_no_daemon_survives_the_kernel(tmp_path):
    marker = f"{600 + uuid.uuid4().int % 10**6 / 10**7:.7f}"  # sleep 600.xxxxxxx
    seen = []

    def look(cell_index, **_):
        if cell_index == 1:
            seen.extend(processes_with(marker))

    nb = run([
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execvp('sleep', ['sleep', {marker!r}])\n"
        "    os._exit(0)\n"
        "os.wait(); print('daemon started')",
        "import time; time.sleep(1)",
    ], cwd=tmp_path, on_cell_executed=look)
    assert "daemon started" in text(nb.cells[0])
    assert seen, "the daemon should be running while the kernel is"
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []


@needs_bwrap
def test_memory_processes_and_disk_are_limited(tmp_path):
    nb = run([
        "big = bytearray(8 * 2**30)",
        "import subprocess\n"
        "procs = []\n"
        "try:\n"
        "    for _ in range(300):\n"
        "        procs.append(subprocess.Popen(['sleep', '30']))\n"
        "except OSError as exc:\n"
        "    print('FAILED_AT', len(procs), type(exc).__name__)\n"
        "for p in procs:\n"
        "    p.kill(); p.wait()",
        "chunk = b'x' * 2**20\n"
        "written = 0\n"
        "try:\n"
        "    with open('big.bin', 'wb') as f:\n"
        "        for _ in range(2048):\n"
        "            f.write(chunk); f.flush(); written += len(chunk)\n"
        "except OSError as exc:\n"
        "    print('STOPPED_AT', written, exc.errno)",
        "import os; os.remove('big.bin'); print('ok')",
        "files = []\n"
        "try:\n"
        "    for _ in range(1000):\n"
        "        files.append(open('/dev/null'))\n"
        "except OSError as exc:\n"
        "    print('FILES', len(files), exc.errno)\n"
        "for f in files:\n"
        "    f.close()",
    ], cwd=tmp_path)
    assert errors(nb.cells[0]) == ["MemoryError"], text(nb.cells[0])
    words = text(nb.cells[1]).split()
    assert words[0] == "FAILED_AT" and int(words[1]) < 300, text(nb.cells[1])
    words = text(nb.cells[2]).split()
    assert words[0] == "STOPPED_AT", text(nb.cells[2])
    assert int(words[1]) <= 64 * 2**20 and int(words[2]) in (27, 28)  # EFBIG, ENOSPC
    assert "ok" in text(nb.cells[3])
    assert not (tmp_path / "big.bin").exists()  # written inside the sandbox only
    words = text(nb.cells[4]).split()
    assert words[0] == "FILES" and int(words[1]) < 256 and int(words[2]) == 24  # EMFILE


@needs_bwrap
@pytest.mark.slow
def test_cpu_time_is_limited(tmp_path):
    with pytest.raises(DeadKernelError):  # SIGXCPU after 2 s of CPU, long before 60 s
        run(["while True:\n    pass"], cwd=tmp_path, policy=SandboxPolicy(cpu_seconds=2),
            timeout=60)


@needs_bwrap
@pytest.mark.slow
def test_output_flood_is_capped_while_the_cell_runs(tmp_path):
    nb = run([
        "import sys\nfor _ in range(200):\n    print('x' * (2**20 - 1))",
        "import sys\nfor _ in range(20):\n    sys.stderr.write('e' * 2**20)",
        "print('still here')",
        # around the kernel-side cap: messages sent straight to the iopub socket
        "k = get_ipython().kernel\nparent = k.get_parent()\nfor _ in range(200):\n"
        "    k.session.send(k.iopub_socket, 'stream', {'name': 'stdout', 'text': 'y' * 2**20},"
        " parent=parent, ident=b'stream.stdout')",
    ], cwd=tmp_path, timeout=120)
    out = text(nb.cells[0])
    assert len(out) < 1.1 * 2**20
    assert "[output truncated by the grader: " in out
    dropped = int(out.rsplit("[output truncated by the grader: ", 1)[1].split()[0])
    assert dropped > 190 * 2**20
    # the stderr flood keeps a stderr output (a test cell writing to stderr still fails)
    assert any(o.output_type == "stream" and o.name == "stderr"
               and "output truncated" in o.text for o in nb.cells[1].outputs)
    assert "still here" in text(nb.cells[2])
    bypass = text(nb.cells[3])
    assert len(bypass) < 1.1 * 2**20 and "[output truncated by the grader: " in bypass
    assert len(nbformat.writes(nb)) < 5.5 * 2**20


@needs_bwrap
@pytest.mark.slow
def test_sigint_immune_infinite_loop_is_killed(tmp_path):
    policy = SandboxPolicy(interrupt_grace=1.0)
    start = time.monotonic()
    nb = run([
        "x = 41\nprint('before')",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        "print('after', 'x' in globals())",
    ], cwd=tmp_path, policy=policy, timeout=3, **ON_TIMEOUT)
    elapsed = time.monotonic() - start
    assert "before" in text(nb.cells[0])
    assert "did not return (an infinite loop?)" in text(nb.cells[1])
    assert INFINITE_LOOP_MESSAGE in text(nb.cells[1])
    # the next cell ran, in a fresh sandbox (the variables are gone)
    assert text(nb.cells[2]).strip() == "after False"
    assert elapsed < 3 + 1 + 10, f"took {elapsed:.1f} s"


@needs_bwrap
@pytest.mark.slow
def test_without_restart_a_cell_after_a_killed_kernel_fails_the_notebook(tmp_path):
    with pytest.raises(DeadKernelError):
        run(["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass",
             "print('never')"], cwd=tmp_path,
            policy=SandboxPolicy(interrupt_grace=0.5, restart_after_kill=False),
            timeout=2, **ON_TIMEOUT)


@needs_bwrap
@pytest.mark.slow
def test_interruptible_loop_is_interrupted_not_killed(tmp_path):
    nb = run(["while True:\n    pass", "print('alive')"], cwd=tmp_path, timeout=2,
             policy=SandboxPolicy(interrupt_grace=5.0), **ON_TIMEOUT)
    assert "KeyboardInterrupt" in errors(nb.cells[0])
    assert "alive" in text(nb.cells[1])


# --- honest work --------------------------------------------------------------------------


@needs_bwrap
def test_honest_notebook_runs_fine(course):
    _, work = course
    start = time.monotonic()
    nb = run([
        "import numpy as np\nfrom course_pkg.activations import sigmoid\n"
        "print(float(sigmoid(np.zeros(3)).sum()))",
        "print(open('data.csv').read().strip())",
        "open('notes.txt', 'w').write('scratch'); print(open('notes.txt').read())",
        "import tempfile\nwith tempfile.TemporaryFile() as f: f.write(b'1')\nprint('tmp ok')",
    ], cwd=work)
    elapsed = time.monotonic() - start
    assert [errors(c) for c in nb.cells] == [[], [], [], []]
    assert text(nb.cells[0]).strip() == "1.5"
    assert text(nb.cells[1]).strip() == "1,2,3"
    assert text(nb.cells[2]).strip() == "scratch"
    assert not (work / "notes.txt").exists()  # the work directory is a private copy
    assert elapsed < 30


@needs_bwrap
@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(DATA.glob("*/*.ipynb")),
                         ids=lambda p: p.stem)
def test_every_assignment_passes_its_own_tests_in_the_sandbox(source):
    """The instructor notebooks (solutions and hidden tests) run clean in the sandbox."""
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(nb, kernel_manager_class=SandboxedKernelManager, timeout=120,
                            allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(source.parent)}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and [text(c) for c in code if errors(c)] == []
    assert not [o for c in code for o in c.outputs
                if o.output_type == "stream" and o.name == "stderr"]


@needs_bwrap
def test_oversized_submission_is_refused_with_a_clear_error(tmp_path):
    (tmp_path / "big.bin").write_bytes(b"0" * 2_000_000)
    before = set(pathlib.Path(tempfile.gettempdir()).glob("course-sandbox-*"))
    with pytest.raises(SandboxError, match="holds more than 1000000 bytes"):
        run(["1"], cwd=tmp_path, policy=SandboxPolicy(max_copy_bytes=1_000_000))
    # nothing left behind
    assert set(pathlib.Path(tempfile.gettempdir()).glob("course-sandbox-*")) <= before


def test_missing_bwrap_falls_back_loudly(tmp_path, capfd):
    policy = SandboxPolicy(bwrap="/nonexistent/bwrap")
    assert "apt-get install bubblewrap" in sandbox_problem(policy)
    with pytest.warns(SandboxUnavailableWarning, match="bubblewrap is missing"):
        nb = run(["big = bytearray(8 * 2**30)", "print('ran')"], cwd=tmp_path, policy=policy)
    assert "GRADING SANDBOX UNAVAILABLE" in capfd.readouterr().err
    assert errors(nb.cells[0]) == ["MemoryError"]  # prlimit still applies
    assert "ran" in text(nb.cells[1])


# --- nbgrader -----------------------------------------------------------------------------


def _nbgrader(root, *argv, check=True):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
               + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *argv,
                           f"--CourseDirectory.root={root}"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _course_with_submission(tmp_path, answer: str, extra_config: str = ""):
    """A one-question course, released, with alice's submission ``answer``."""
    root = tmp_path / "course"
    (root / "source" / "ps1").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(
        # nbgrader's own autograde (a kernel runs the whole notebook), sandboxed: the
        # course's trusted grading replaces that step, but the kernel sandbox stays
        # available to anyone who runs notebooks with nbgrader's Execute.
        "from course_pkg.instructor.sandbox import SandboxPolicy, apply_sandbox_config\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.CourseDirectory.course_id = 'sbx'\n" + (extra_config or "apply_sandbox_config(c)\n"))
    meta = {"schema_version": 3, "locked": False, "solution": True, "grade": False,
            "grade_id": "answer"}
    test_meta = {"schema_version": 3, "locked": True, "solution": False, "grade": True,
                 "grade_id": "test_answer", "points": 1}
    nb = new_notebook(cells=[
        new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
                      metadata={"nbgrader": meta}),
        new_code_cell("assert x == 1", metadata={"nbgrader": test_meta}),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                              "language": "python"}
    nbformat.write(nb, root / "source" / "ps1" / "ps1.ipynb")
    _nbgrader(root, "generate_assignment", "ps1", "--force")
    sub = nbformat.read(root / "release" / "ps1" / "ps1.ipynb", as_version=4)
    sub.cells[0].source = answer
    (root / "submitted" / "alice" / "ps1").mkdir(parents=True)
    nbformat.write(sub, root / "submitted" / "alice" / "ps1" / "ps1.ipynb")
    return root


@needs_bwrap
@pytest.mark.nbgrader
@pytest.mark.slow
def test_nbgrader_autograde_runs_kernels_in_the_sandbox(tmp_path):
    gradebook = tmp_path / "course" / "gradebook.db"
    root = _course_with_submission(tmp_path, (
        "x = 1\nimport os\nprint('UID', os.getuid())\n"
        f"try:\n    open({str(gradebook)!r}, 'ab').write(b'pwned')\n"
        "except OSError as exc:\n    print('GRADEBOOK', type(exc).__name__)\n"
        "else:\n    print('GRADEBOOK written')\n"))
    before = gradebook.read_bytes()
    _nbgrader(root, "autograde", "ps1")
    graded = nbformat.read(root / "autograded" / "alice" / "ps1" / "ps1.ipynb", as_version=4)
    out = text(graded.cells[0])
    assert "GRADEBOOK FileNotFoundError" in out, out
    uid = int(out.split("UID", 1)[1].split()[0])
    assert uid != 0 and (uid == 65534 or not IS_ROOT)
    assert errors(graded.cells[1]) == []  # the test cell passed, in the sandbox
    assert b"pwned" not in gradebook.read_bytes()
    assert before[:16] == gradebook.read_bytes()[:16]


@needs_bwrap
@pytest.mark.nbgrader
@pytest.mark.slow
def test_nbgrader_autograde_does_not_stall_on_a_sigint_immune_loop(tmp_path):
    root = _course_with_submission(
        tmp_path,
        "x = 1\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
        "    pass\n",
        extra_config="c.Execute.timeout = 3\n"
                     "apply_sandbox_config(c, SandboxPolicy(interrupt_grace=1.0))\n")
    start = time.monotonic()
    log = _nbgrader(root, "autograde", "ps1", check=False)
    elapsed = time.monotonic() - start
    assert "did not return (an infinite loop?)" in log, log
    assert elapsed < 60, f"autograde took {elapsed:.0f} s"
    # graded all the same: the loop's cell says why, the test after it fails (0 points)
    graded = nbformat.read(root / "autograded" / "alice" / "ps1" / "ps1.ipynb", as_version=4)
    assert INFINITE_LOOP_MESSAGE in text(graded.cells[0])
    assert errors(graded.cells[1]) == ["NameError"], text(graded.cells[1])
