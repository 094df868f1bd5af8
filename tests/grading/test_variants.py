"""Per-student variants of the hidden tests (course_pkg.grading.variant).

The hidden tests draw their random inputs from a hash of the student id, so
the expected values a failing hidden test prints belong to that student:
copying them into another student's notebook does not pass. The honest
solution must score full marks in every variant, the visible tests (which
students run themselves) keep their fixed seeds, and the known answers are
untouched.
"""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest

from course_pkg import grading
from course_pkg.grading import catalogue
from course_pkg.instructor.coursedir import packaged_assignments
from course_pkg.instructor.trusted import grade_submission

DATA = packaged_assignments()
STUDENTS = [f"student{k:02d}" for k in range(20)]
HIDDEN = "### BEGIN HIDDEN TESTS"


def _source(aid: str) -> dict:
    return json.loads((DATA / aid / f"{aid}.ipynb").read_text(encoding="utf-8"))


def _text(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _solution_namespace(aid: str) -> tuple[dict, list[str]]:
    """The instructor notebook's code (solutions) run in one namespace, and its
    seeded hidden test cells (every check that takes ``seed=``)."""
    nb = _source(aid)
    namespace: dict = {"__name__": "__main__"}
    hidden = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        md = cell["metadata"].get("nbgrader", {})
        src = _text(cell)
        if md.get("grade") and not md.get("solution"):
            if HIDDEN in src and "seed=" in src:
                hidden.append(src)
            continue
        if md.get("solution") or not md:
            exec(compile(src, f"<{aid}>", "exec"), namespace)
    return namespace, hidden


@pytest.mark.parametrize("aid", catalogue.ASSIGNMENTS)
def test_honest_solution_scores_full_in_every_variant(aid):
    namespace, hidden = _solution_namespace(aid)
    assert hidden, f"{aid} has no seeded hidden test"
    for student in STUDENTS:
        with grading.use_variant(grading.variant(student, aid)):
            for src in hidden:
                exec(src, dict(namespace))  # raises AssertionError if a check fails
    assert grading.active_variant() is None


def test_variant_is_a_stable_hash_of_salt_assignment_and_student():
    v = grading.variant(" ana ", "01_forget_gate")
    digest = hashlib.sha256(b"\0" + b"01_forget_gate\0ana").digest()
    assert v.key == int.from_bytes(digest[:8], "big")
    assert v.student == "ana" and v.id == f"{v.key:016x}"[:8]
    assert grading.variant("ana", "01_forget_gate") == v
    others = {grading.variant("ana", "02_input_gate").id,
              grading.variant("bob", "01_forget_gate").id,
              grading.variant("ana", "01_forget_gate", salt="term-2026").id}
    assert v.id not in others and len(others) == 3
    seeds = {v.seed(s) for s in (7, 101, 102, 202)}
    assert len(seeds) == 4 and all(0 <= s < 2**32 for s in seeds)
    assert v.id in v.describe() and "ana" in v.describe()


@pytest.mark.parametrize("bad", ["", "   "])
def test_empty_student_id_is_refused(bad):
    with pytest.raises(ValueError, match="student id is empty"):
        grading.variant(bad, "01_forget_gate")


def _tanh_gate(h_prev, x, W_f, b_f):
    return np.tanh(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)


def _failure(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


def test_printed_expected_values_differ_between_students():
    messages = {}
    for student in ("ana", "bob"):
        v = grading.variant(student, "01_forget_gate")
        with grading.use_variant(v):
            messages[student] = _failure(grading.check_reference, _tanh_gate, "forget_gate",
                                         seed=101)
        assert f"variant {v.id}" in messages[student]
        assert "Likely mistake" in messages[student]
    expected = {s: re.findall(r"expected (-?[\d.e+-]+)", m) for s, m in messages.items()}
    assert expected["ana"] and expected["bob"] and expected["ana"] != expected["bob"]
    plain = _failure(grading.check_reference, _tanh_gate, "forget_gate", seed=101)
    assert "variant" not in plain  # outside a variant: the notebook's fixed seeds


def test_copied_expected_values_fail_for_another_student():
    """A "solution" that returns another student's expected outputs, call by call."""
    ex = grading.get_exercise("forget_gate")
    namespace, _ = _solution_namespace("01_forget_gate")
    honest = namespace["forget_gate"]
    recorded = []

    def recorder(*args):
        out = honest(*args)
        recorded.append(out.copy())
        return out

    ana = grading.variant("ana", "01_forget_gate")
    shapes = [{}, {"N": 1}, {"H": 1}, {"N": 2, "D": 1, "H": 3}]
    with grading.use_variant(ana):
        grading.check_reference(recorder, "forget_gate", shapes=shapes, seed=101)
    assert len(recorded) == 2 * len(shapes)  # each shape: ana's inputs, then the fixed ones

    def copier():
        calls = iter(recorded)
        return lambda h_prev, x, W_f, b_f: next(calls).copy()

    with grading.use_variant(ana):  # the copied values are right for ana ...
        grading.check_reference(copier(), ex.name, shapes=shapes, seed=101)
    for student in ("bob", "carla"):  # ... and wrong for anyone else
        with grading.use_variant(grading.variant(student, "01_forget_gate")):
            message = _failure(grading.check_reference, copier(), ex.name, shapes=shapes,
                               seed=101)
        assert "differs from the expected values" in message


def test_a_variant_also_checks_the_fixed_inputs():
    """No mistake costs fewer points in a variant than with the notebook's fixed seeds."""
    ex = grading.get_exercise("forget_gate")
    fixed = ex.inputs(seed=101)
    right = ex.reference(**fixed)

    def wrong_only_on_the_fixed_inputs(h_prev, x, W_f, b_f):
        out = ex.reference(h_prev, x, W_f, b_f)
        return out + 1.0 if out.shape == right.shape and np.allclose(out, right) else out

    with grading.use_variant(grading.variant("ana", "01_forget_gate")):
        message = _failure(grading.check_reference, wrong_only_on_the_fixed_inputs,
                           "forget_gate", seed=101)
    assert message.startswith("Comparison with the reference") and "is not right" in message


def test_known_answers_do_not_change_in_a_variant():
    ex = grading.get_exercise("forget_gate")
    inputs = ex.inputs(seed=0, N=2, D=1, H=2)
    expected = ex.reference(**inputs)
    with grading.use_variant(grading.variant("ana", "01_forget_gate")):
        grading.check_known(ex.reference, "forget_gate", inputs, expected, atol=1e-12)
        grading.check_shape(ex.reference, "forget_gate", N=3, D=4, H=5)
        message = _failure(grading.check_known, _tanh_gate, "forget_gate", inputs, expected)
    assert "Known-answer check" in message


def test_trusted_grading_uses_the_variant_in_hidden_cells_only():
    aid = "01_forget_gate"
    nb = _source(aid)
    v = grading.variant("ana", aid)
    results = grade_submission(nb, nb, variant=v)
    assert all(r.status == "passed" for r in results)
    for r in results:
        hidden = r.grade_id in {"test_forget_gate_random", "test_forget_gate_stability",
                                "test_forget_gate_inputs_unchanged"}
        assert (f"variant {v.id}" in r.output) == hidden, r
    plain = grade_submission(nb, nb)
    assert not any("variant" in r.output for r in plain)


def _scaled_checks() -> list[tuple[str, str, dict]]:
    """Every hidden ``check_reference(..., scale=...)`` of the notebooks (a stability cell):
    (assignment, exercise name, keyword arguments)."""
    found = []
    call = re.compile(r'check_reference\(\w+, "(\w+)",(.*?scale=[^)]*)\)')
    for aid in catalogue.ASSIGNMENTS:
        for src in _solution_namespace(aid)[1]:
            for name, rest in call.findall(src):
                found.append((aid, name, eval(f"dict({rest.strip()})")))  # literal kwargs
    return found


SCALED = _scaled_checks()


def test_every_stability_cell_is_found():
    assert len(SCALED) >= 9 and all("scale" in kw for _, _, kw in SCALED)


@pytest.mark.parametrize("aid, name, kwargs", SCALED,
                         ids=[f"{a}-{n}-{kw['seed']}" for a, n, kw in SCALED])
def test_a_stability_cell_gives_every_mistake_the_same_verdict_in_every_variant(
        aid, name, kwargs):
    """Saturation can hide a mistake on large inputs, depending on the draw: in a variant
    the large inputs judge stability only, so no student loses the point by the draw."""
    ex = grading.get_exercise(name)

    def passes(fn, student=None):
        v = None if student is None else grading.variant(student, aid)
        try:
            with grading.use_variant(v):
                grading.check_reference(fn, name, **kwargs)
        except AssertionError:
            return False
        return True

    for m in ex.mistakes:
        fixed = passes(m.mutate)
        assert all(passes(m.mutate, s) == fixed for s in STUDENTS[:8]), (m.key, fixed)
    assert all(passes(ex.reference, s) for s in STUDENTS[:3])
