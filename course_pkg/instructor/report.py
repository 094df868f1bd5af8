"""``course report ID``: one HTML page per assignment for the instructor.

What the page shows, from the gradebook (scores per student and per test
cell, nbgrader's API) and the autograded notebooks (the verdict trusted
grading wrote in each test cell):

* a histogram of the total scores and a bar chart of the pass rate per test
  cell (matplotlib, Agg backend, embedded as PNG: the page is one
  self-contained file);
* the pass rate per test cell, as a table;
* the most frequent catalogued mistakes (the diagnosis names them in the
  failure message: "Likely mistake: ..."), each with the section of the book
  to re-teach, linked;
* the students whose code timed out, crashed, could not be tested, changed
  a test cell, handed in an unreadable notebook, or was collected but never
  autograded.

**Book links.** A mistake's ``reread`` ("chapter 3, "The forget gate",
section "The mechanism"") is resolved against the book's sources
(``book/NN_*.md`` next to the package, in a checkout) to
``<book>/book/03_forget_gate.html#the-mechanism`` (Sphinx's id of that
section heading). ``<book>`` is ``--book-url`` (the published book), else
``$COURSE_BOOK_URL``, else the local build ``_build/html`` as a ``file://``
URL when it exists. Without the book's sources the section is named, not
linked.
"""

from __future__ import annotations

import base64
import collections
import html
import io
import os
import pathlib
import re
import sys
from dataclasses import dataclass, field

from .errors import CourseError, say
from .roster import gradebook_url, has_gradebook

__all__ = ["ReportData", "book_link", "cmd_report", "collect", "render"]

#: Statuses that are not plain wrong answers: the instructor should look.
PROBLEM_STATUSES = ("timeout", "crashed", "error", "tampered")
REREAD = re.compile(r'chapter (\d+), "([^"]+)", section "([^"]+)"')
PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[2]


@dataclass
class ReportData:
    """Everything the page shows, gathered by :func:`collect`."""

    assignment: str
    max_score: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    #: grade_id -> (max points, {student: score})
    cells: dict[str, tuple[float, dict[str, float]]] = field(default_factory=dict)
    #: (exercise, mistake key) -> students
    mistakes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: student -> [(status, grade_id or "", message)]
    problems: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)


def _make_id(title: str) -> str:
    """Sphinx's (docutils') id of a section title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def book_link(reread: str, book_url: str | None,
              book_dir: pathlib.Path | None = None) -> str | None:
    """The URL of the book section named in a mistake's ``reread`` text, or None.

    Parameters
    ----------
    reread : str
        E.g. ``chapter 3, "The forget gate", section "The mechanism"``.
    book_url : str or None
        The book's base URL (published site or ``file://.../_build/html``).
    book_dir : Path, optional
        The book's sources (``book/NN_*.md``); default: next to the package.

    Returns
    -------
    str or None
        None if the text names no chapter and section, the chapter's file
        cannot be found, or there is no base URL.
    """
    m = REREAD.search(reread)
    book_dir = book_dir or PACKAGE_ROOT / "book"
    if m is None or not book_url or not book_dir.is_dir():
        return None
    chapter, section = int(m.group(1)), m.group(3)
    files = sorted(book_dir.glob(f"{chapter:02d}_*.md"))
    if not files:
        return None
    text = files[0].read_text(encoding="utf-8")
    if not re.search(rf"^##+ {re.escape(section)}\s*$", text, re.M):
        return None
    return f"{book_url.rstrip('/')}/book/{files[0].stem}.html#{_make_id(section)}"


def _default_book_url() -> str | None:
    url = os.environ.get("COURSE_BOOK_URL")
    if url:
        return url
    built = PACKAGE_ROOT / "_build" / "html"
    return built.as_uri() if (built / "index.html").is_file() else None


def _cell_order(root: pathlib.Path, aid: str) -> dict[str, int]:
    from .coursedir import check_assignment
    from .notebooks import read_notebook

    try:
        nb = read_notebook(check_assignment(root, aid))
    except CourseError:
        return {}
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    return {g: k for k, g in enumerate(i for i in ids if i)}


def collect(root: pathlib.Path, aid: str) -> ReportData:
    """Read the gradebook and the autograded notebooks of ``aid`` in course dir ``root``."""
    from nbgrader.api import Gradebook, MissingEntry

    from ..grading import exercises
    from .coursedir import submissions
    from .notebooks import read_notebook
    from .trusted_execute import ENAME_STATUS

    data = ReportData(aid)
    catalogue = [(ex.name, m) for ex in exercises(aid) for m in ex.mistakes]
    if not has_gradebook(root):
        raise CourseError(f"{root} has no gradebook.db: run `course autograde {aid}` first.")
    # nbgrader may run `alembic` (its migrations) from PATH: use this environment's
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get(
        "PATH", "")
    with Gradebook(gradebook_url(root)) as gb:
        try:
            gb.find_assignment(aid)
        except MissingEntry:
            raise CourseError(f"{aid} is not in the gradebook of {root}: release and "
                              f"autograde it first (`course autograde {aid}`).") from None
        for sub in gb.assignment_submissions(aid):
            student = sub.student_id
            data.scores[student] = float(sub.score)
            data.max_score = max(data.max_score, float(sub.max_score))
            for nb in sub.notebooks:
                for g in nb.grades:
                    _, per = data.cells.setdefault(g.name, (float(g.max_score), {}))
                    per[student] = float(g.score)
    order = _cell_order(root, aid)  # the notebook's order, not the database's
    data.cells = dict(sorted(data.cells.items(), key=lambda kv: order.get(kv[0], len(order))))
    for student in sorted(data.scores):
        path = root / "autograded" / student / aid / f"{aid}.ipynb"
        if not path.is_file():
            continue
        try:
            nb = read_notebook(path)
        except CourseError as err:
            data.problems.setdefault(student, []).append(("unreadable", "", str(err)))
            continue
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            for out in cell.get("outputs", []):
                if out.get("output_type") != "error":
                    continue
                status = ENAME_STATUS.get(out.get("ename"), "failed")
                message = str(out.get("evalue", ""))
                if status in PROBLEM_STATUSES:
                    data.problems.setdefault(student, []).append((status, grade_id, message))
                for name, m in catalogue:
                    if f"Likely mistake: {m.summary}" in message:
                        who = data.mistakes.setdefault((name, m.key), [])
                        if student not in who:
                            who.append(student)
                        break
    for student in submissions(root, aid):
        kept = root / "submitted" / student / aid / f"{aid}.ipynb.unreadable"
        if kept.exists():
            data.problems.setdefault(student, []).append(
                ("unreadable", "", f"unreadable notebook, kept as {kept}"))
        elif not (root / "autograded" / student / aid).is_dir():
            data.problems.setdefault(student, []).append(
                ("not autograded", "", f"collected but not autograded: run "
                 f"`course autograde {aid} --student {student}`"))
    return data


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figures(data: ReportData) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3))
    ax = fig.add_subplot()
    top = max(data.max_score, 1.0)
    bins = [x - 0.5 for x in range(int(top) + 2)] if top <= 40 else 20
    ax.hist(list(data.scores.values()), bins=bins, color="#3a6ea5", edgecolor="white")
    ax.set_xlabel(f"score (out of {data.max_score:g})")
    ax.set_ylabel("students")
    ax.set_title(f"{data.assignment}: scores of {len(data.scores)} student(s)")
    hist = _png(fig)

    fig = Figure(figsize=(6, 0.4 * max(len(data.cells), 2) + 1))
    ax = fig.add_subplot()
    names = list(data.cells)
    rates = [_pass_rate(*data.cells[n]) for n in names]
    ax.barh(names[::-1], rates[::-1], color="#5a9a5a")
    ax.set_xlim(0, 100)
    ax.set_xlabel("passed (% of students)")
    ax.set_title("pass rate per test cell")
    return hist, _png(fig)


def _pass_rate(max_points: float, per: dict[str, float]) -> float:
    if not per:
        return 0.0
    return 100.0 * sum(1 for s in per.values() if s >= max_points) / len(per)


def render(data: ReportData, book_url: str | None = None) -> str:
    """The report page for ``data``: one self-contained HTML document."""
    from ..grading import get_exercise

    e = html.escape
    hist, rates = _figures(data)
    n = len(data.scores)
    mean = sum(data.scores.values()) / n if n else 0.0
    rows = "".join(
        f"<tr><td><code>{e(g)}</code></td><td>{mx:g}</td><td>{_pass_rate(mx, per):.0f}%</td>"
        f"<td>{sum(1 for s in per.values() if s < mx)}</td></tr>"
        for g, (mx, per) in data.cells.items())
    mistakes = sorted(data.mistakes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    mrows = []
    for (name, key), who in mistakes:
        m = get_exercise(name).mistake(key)
        url = book_link(m.reread, book_url)
        where = f'<a href="{e(url)}">{e(m.reread)}</a>' if url else e(m.reread)
        mrows.append(f"<tr><td>{len(who)}</td><td><code>{e(name)}</code></td>"
                     f"<td><code>{e(key)}</code>: {e(m.summary)}</td><td>{where}</td>"
                     f"<td>{e(', '.join(sorted(who)))}</td></tr>")
    grouped: dict[tuple[str, str], tuple[list[str], str]] = {}
    for student, items in sorted(data.problems.items()):
        for status, gid, msg in items:  # one row per student and status
            cells, _ = grouped.setdefault((student, status), ([], msg))
            if gid:
                cells.append(gid)
    prows = "".join(
        f"<tr><td>{e(s)}</td><td>{e(status)}</td><td>{e(', '.join(cells))}</td>"
        f"<td>{e(msg[:300])}</td></tr>"
        for (s, status), (cells, msg) in grouped.items())
    none = '<p class="none">None.</p>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Report: {e(data.assignment)}</title>
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
td, th {{ border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left;
          vertical-align: top; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Assignment {e(data.assignment)}</h1>
<p id="summary">{n} student(s) graded; mean score {mean:.2f} of {data.max_score:g}.</p>
<h2>Scores</h2>
<img id="histogram" alt="histogram of the scores" src="data:image/png;base64,{hist}">
<h2>Pass rate per test cell</h2>
<img id="pass-rates" alt="pass rate per test cell" src="data:image/png;base64,{rates}">
<table id="cells"><thead><tr><th>test cell</th><th>points</th><th>passed</th>
<th>students who lost the points</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Most frequent catalogued mistakes</h2>
<p>Named by the diagnosis in the failure messages; re-teach the linked section.</p>
{f'''<table id="mistakes"><thead><tr><th>students</th><th>function</th><th>mistake</th>
<th>re-teach</th><th>who</th></tr></thead><tbody>{"".join(mrows)}</tbody></table>'''
 if mrows else none}
<h2>Timeouts, crashes and other problems</h2>
<p>Tests that scored 0 for a reason other than a wrong answer: look at these.</p>
{f'''<table id="problems"><thead><tr><th>student</th><th>status</th><th>test cells</th>
<th>message (the first)</th></tr></thead><tbody>{prows}</tbody></table>''' if prows else none}
</body></html>
"""


def cmd_report(args) -> int:
    """``course report ID``: write ``<out>/<ID>.html`` (default ``<course dir>/reports``)."""
    from .coursedir import check_assignment, course_root

    root = course_root(args)
    aid = args.assignment_id
    check_assignment(root, aid)
    data = collect(root, aid)
    if not data.scores:
        raise CourseError(f"no graded submission of {aid} in the gradebook of {root}: run "
                          f"`course autograde {aid}` first.")
    out_dir = pathlib.Path(args.out).expanduser().resolve() if args.out else root / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{aid}.html"
    book_url = getattr(args, "book_url", None) or _default_book_url()
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(render(data, book_url), encoding="utf-8")
    os.replace(tmp, out)
    counts = collections.Counter(status for items in data.problems.values()
                                 for status in {status for status, _, _ in items})
    say(f"Wrote {out}: {len(data.scores)} student(s), {len(data.mistakes)} catalogued "
        f"mistake(s) seen" + (", students with problems: " + ", ".join(
            f"{k} {v}" for k, v in sorted(counts.items())) if counts else "") + ".")
    if book_url is None:
        say("  Book sections are named, not linked: pass --book-url URL (or set "
            "COURSE_BOOK_URL) to link them.")
    return 0

