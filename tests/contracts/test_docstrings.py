"""Every public function has a numpydoc docstring in the house style.

Checked for every function in ``__all__`` of the modules below:

* a one-line summary (one line, ending with a full stop), then a blank line;
* a ``Parameters`` section naming every argument (if there are any) and a
  ``Returns`` section;
* an array argument or result is described with its shape,
  ``ndarray of shape (N, H)`` (the ``:`` line must say ``shape``);
* a ``See Also`` section that names the book chapter (or appendix);
* a ``Notes`` section (where the equation goes) for the functions of the
  modules that implement equations.

``course_pkg.grading`` and ``course_pkg.instructor`` are the assignment tooling's
and are not checked here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import pathlib
import re
import tokenize

import pytest

MODULES = [
    "activations", "attention", "cells", "dates", "diagrams", "gradcheck", "gru", "gru_gates",
    "init", "losses", "lstm", "lstm_gates", "optim", "plotting", "rnn", "seq2seq", "tasks",
    "torch_interop",
    "train", "experiments", "experiments.agreement", "experiments.attention_dates",
    "experiments.bottleneck",
    "experiments.gradient_flow", "experiments.practice",
    "stacked", "bidirectional", "dropout", "truncated",
]
#: Modules whose functions implement an equation, which belongs in Notes.
EQUATION_MODULES = {"activations", "attention", "gru", "gru_gates", "init", "losses", "lstm",
                    "lstm_gates", "optim", "rnn", "seq2seq", "gradcheck",
                    "bidirectional", "dropout", "truncated"}


def _functions():
    for short in MODULES:
        module = importlib.import_module(f"course_pkg.{short}")
        for name in module.__all__:
            obj = getattr(module, name)
            # re-exports are checked where they are defined
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                yield pytest.param(short, name, obj, id=f"{short}.{name}")


def _section(doc: str, title: str) -> str | None:
    m = re.search(rf"^{title}\n-{{{len(title)}}}\n(.*?)(?=^\w[\w ]*\n-{{3,}}\n|\Z)", doc,
                  re.M | re.S)
    return m.group(1) if m else None


def _documented_names(section: str) -> set[str]:
    names: set[str] = set()
    for line in section.splitlines():
        if line and not line[0].isspace():
            head = line.split(" : ")[0]
            names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


@pytest.mark.parametrize(("module", "name", "func"), list(_functions()))
def test_numpydoc_docstring(module, name, func):
    doc = inspect.getdoc(func) or ""
    lines = doc.splitlines()
    problems = []
    if not lines or not lines[0].strip().endswith("."):
        problems.append("summary line missing or not ending with a full stop")
    elif len(lines) > 1 and lines[1].strip():
        problems.append("summary is more than one line (leave a blank line after it)")
    params = [p for p in inspect.signature(func).parameters if p != "self"]
    par = _section(doc, "Parameters")
    if params and par is None:
        problems.append("no Parameters section")
    elif params:
        missing = [p for p in params if p not in _documented_names(par)]
        if missing:
            problems.append(f"Parameters does not describe {missing}")
    ret = _section(doc, "Returns")
    if ret is None:
        problems.append("no Returns section")
    for title, text in (("Parameters", par), ("Returns", ret)):
        for line in (text or "").splitlines():
            if line and not line[0].isspace() and " : " in line:
                kind = line.split(" : ", 1)[1]
                if re.match(r"ndarray\b", kind) and "shape" not in kind:
                    problems.append(f"{title}: '{line}' should say 'ndarray of shape (...)'")
    see = _section(doc, "See Also")
    if see is None:
        problems.append("no See Also section")
    elif not re.search(r"\b(chapter|chapters|appendix)\b", see, re.I):
        problems.append("See Also does not name the book chapter")
    if module in EQUATION_MODULES and not name.endswith("param_shapes") \
            and _section(doc, "Notes") is None:
        problems.append("no Notes section (the equation goes there)")
    assert not problems, f"course_pkg.{module}.{name}: " + "; ".join(problems)


# --------------------------------------------------------------------------- shape comments

PKG = pathlib.Path(importlib.import_module("course_pkg").__file__).parent
SHAPED_CALLS = ("reshape", "einsum", "matmul", "transpose")


def _source_files():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).as_posix()
        if not rel.startswith(("grading/", "instructor/")):
            yield pytest.param(path, id=rel)


@pytest.mark.parametrize("path", list(_source_files()))
def test_every_product_and_reshape_has_a_shape_comment(path):
    """A matrix product (``@``) or a reshape carries a ``# (N, H)`` comment.

    The comment may sit on any line of the expression or on the line above it.
    """
    src = path.read_text(encoding="utf-8")
    comments = {
        tok.start[0]: tok.string
        for tok in tokenize.generate_tokens(io.StringIO(src).readline)
        if tok.type == tokenize.COMMENT
    }
    missing = []
    for node in ast.walk(ast.parse(src)):
        is_product = isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)
        is_reshape = (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                      and node.func.attr in SHAPED_CALLS
                      and not (isinstance(node.func.value, ast.Name)
                               and node.func.value.id in ("p", "ax", "plt")))
        if not (is_product or is_reshape):
            continue
        lines = range(node.lineno - 1, node.end_lineno + 1)
        if not any("(" in comments.get(line, "") for line in lines):
            missing.append(f"line {node.lineno}: {ast.get_source_segment(src, node)[:60]}")
    assert not missing, f"{path.name}: products/reshapes without a shape comment: {missing}"
