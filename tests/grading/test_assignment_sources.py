"""The assignments' single sources, ``assignments/<id>/<id>.py``, and their builder.

* The known answers written as literals in the visible tests are recomputed
  here with the reference package, so they cannot go stale.
* The builder (``scripts/build_assignments.py``, :mod:`course_pkg.instructor.build`)
  puts the banner first, gives cells stable ids, and ``--check`` names a
  stale notebook.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping

import numpy as np
import pytest
from helpers import source_notebook, source_path

from course_pkg import attention, charlm, grading, gru, lstm, lstm_gates
from course_pkg.instructor.build import BANNER, build_all, build_notebook, cell_ids, render
from course_pkg.instructor.nbconfig import BANNER_ID

IDS = list(grading.ASSIGNMENTS)


def _lstm_backward(dhs, X, h0, c0, params):
    _, _, cache = lstm.lstm_forward(X, h0, c0, params)
    return lstm.lstm_backward(dhs, cache)


#: What each exercise should return, computed by the reference package itself.
REFERENCE = {
    "forget_gate": lambda h, x, W, b: lstm_gates.forget_gate(h, x, W, b)[0],
    "input_gate": lambda h, x, W, b: lstm_gates.input_gate(h, x, W, b)[0],
    "candidate": lambda h, x, W, b: lstm_gates.candidate(h, x, W, b)[0],
    "output_gate": lambda h, x, W, b: lstm_gates.output_gate(h, x, W, b)[0],
    "cell_update": lambda f, c_prev, i, g: lstm_gates.cell_update(f, c_prev, i, g)[0],
    "cell_update_backward": lambda dc, f, c_prev, i, g: tuple(
        lstm_gates.cell_update_backward(dc, (f, c_prev, i, g))),
    "hidden_state": lambda o, c: lstm_gates.hidden_state(o, c)[0],
    "lstm_step_forward": lambda x, h, c, p: lstm.lstm_step_forward(x, h, c, p)[:2],
    "lstm_forward": lambda X, h0, c0, p: lstm.lstm_forward(X, h0, c0, p)[:2],
    "lstm_backward": _lstm_backward,
    "gru_step_forward": lambda x, h, p: gru.gru_step_forward(x, h, p, variant="cho")[0],
    "scaled_dot_scores": lambda Q, K: attention.scaled_dot_scores(Q, K)[0],
    "attention": lambda Q, K, V, mask: attention.attention_forward(Q, K, V, mask)[:2],
    "make_batches": charlm.make_batches,
    "charlm_forward": lambda x, h0, c0, p: (lambda logits, state, _: (logits, *state))(
        *charlm.charlm_forward(x, h0, c0, p)),
    "train_tbptt": lambda p, x, y, lr, clip: charlm.train_charlm(p, x, y, lr=lr, clip=clip),
    "next_char_probs": charlm.next_char_probs,
    "sample": lambda p, start, n, tau, seed: charlm.sample_ids(p, start, n, tau, seed),
}


class _Recorder:
    """Stands in for ``course_pkg.grading`` in a notebook: records check_known calls."""

    def __init__(self):
        self.known = []

    def check_known(self, fn, name, args, expected, atol=1e-6):
        self.known.append((name, args, expected, atol))

    def __getattr__(self, attr):  # every other check: not what is tested here
        return lambda *args, **kwargs: None


def _known_answers(aid):
    recorder = _Recorder()
    namespace = {"__name__": "__main__"}
    for cell in source_notebook(aid).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"<{aid}>", "exec"), namespace)
            namespace["grading"] = recorder
    return recorder.known


def _leaves(value, path=""):
    if isinstance(value, tuple | list):
        return {k: v for i, item in enumerate(value)
                for k, v in _leaves(item, f"{path}[{i}]").items()}
    if isinstance(value, Mapping):
        return {k: v for key in value for k, v in _leaves(value[key], f"{path}[{key}]").items()}
    return {path: value}


@pytest.mark.parametrize("aid", IDS)
def test_known_answers_in_the_sources_match_the_reference_package(aid):
    known = _known_answers(aid)
    assert known, f"{aid} has no known-answer test"
    assert {name for name, *_ in known} <= set(REFERENCE)
    for name, args, expected, atol in known:
        ref = REFERENCE[name](*args)
        got, want = _leaves(expected), _leaves(ref)
        assert got.keys() == want.keys(), (name, sorted(got), sorted(want))
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=0, atol=min(atol, 1e-9),
                                       err_msg=f"{aid}: {name}{key} is stale")


def test_every_exercise_has_a_checked_known_answer():
    names = {name for aid in IDS for name, *_ in _known_answers(aid)}
    assert names == {ex.name for ex in grading.exercises()}


@pytest.mark.parametrize("aid", IDS)
def test_source_is_plain_python_with_nbgrader_cell_headers(aid):
    text = source_path(aid).read_text(encoding="utf-8")
    compile(text, str(source_path(aid)), "exec")
    assert not text.startswith("# ---"), "no jupytext YAML header: the builder sets the metadata"
    assert '# %% nbgrader={"grade": true' in text and "# %% [markdown]" in text


def test_banner_comes_first_and_ids_are_stable():
    nb = build_notebook(source_path("01_forget_gate"))
    assert nb.cells[0].id == BANNER_ID
    assert nb.cells[0].source == BANNER.format(aid="01_forget_gate")
    ids = [c.id for c in nb.cells]
    assert ids[:4] == [BANNER_ID, "header", "imports", "about-forget_gate"]
    assert "tests-forget_gate" in ids and ids[-2:] == ["scratch-md", "scratch"]
    assert cell_ids(nb.cells[1:]) == ids[1:]
    assert render(nb) == render(build_notebook(source_path("01_forget_gate")))


def test_check_names_the_stale_notebook(tmp_path, root):
    sources, out = tmp_path / "src", tmp_path / "out"
    for aid in ("01_forget_gate", "07_gru"):
        (sources / aid).mkdir(parents=True)
        shutil.copy(source_path(aid), sources / aid)
    written, stale = build_all(sources, out)
    assert [p.name for p in written] == ["01_forget_gate.ipynb", "07_gru.ipynb"] and not stale
    assert build_all(sources, out, check=True) == ([], [])
    src = sources / "07_gru" / "07_gru.py"
    src.write_text(src.read_text().replace("(9 points)", "(10 points)"))
    script = root / "scripts" / "build_assignments.py"
    proc = subprocess.run([sys.executable, str(script), "--check", "--sources", str(sources),
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "07_gru.ipynb" in proc.stdout and "01_forget_gate" not in proc.stdout
    proc = subprocess.run([sys.executable, str(script), "--sources", str(sources),
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0 and "07_gru.ipynb" in proc.stdout
    assert "(10 points)" in (out / "07_gru" / "07_gru.ipynb").read_text()
    assert build_all(sources, out, check=True) == ([], [])
