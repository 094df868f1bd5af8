"""Fair scoring: one slip costs the points of the test that checks it, no more."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from course_pkg import grading
from course_pkg.activations import sigmoid
from course_pkg.instructor.coursedir import packaged_assignments
from course_pkg.instructor.trusted import grade_submission

DATA = packaged_assignments()


def _nb(aid: str) -> dict:
    return json.loads((DATA / aid / f"{aid}.ipynb").read_text())


def _replace_body(nb: dict, grade_id: str, body: str) -> dict:
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            src = "".join(cell["source"])
            cell["source"] = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION",
                                    lambda _: body, src, flags=re.S)
    return nb


def test_in_place_update_with_right_values_loses_only_the_inputs_unchanged_test():
    source = _nb("03_cell_state")
    body = "c_prev *= f\n    c_prev += i * g\n    return c_prev"
    results = grade_submission(source, _replace_body(source, "cell_update", body))
    failed = [r.grade_id for r in results if r.status != "passed"]
    assert failed == ["test_cell_update_inputs_unchanged"], failed
    assert "in place" in results[[r.grade_id for r in results].index(failed[0])].message


def test_in_place_update_in_the_kernel_also_loses_only_that_test():
    def cell_update(f, c_prev, i, g):
        c_prev *= f
        c_prev += i * g
        return c_prev

    grading.check_shape(cell_update, "cell_update", N=3, H=5)
    grading.check_reference(cell_update, "cell_update", shapes=[{}, {"N": 1}], seed=111)
    with pytest.raises(AssertionError, match="in place"):
        grading.check_inputs_unchanged(cell_update, "cell_update", seed=7)


def test_renamed_parameters_are_called_positionally_in_the_kernel():
    def forget_gate(h, x_t, W, b):
        return sigmoid(np.concatenate([h, x_t], axis=1) @ W + b)

    grading.check_reference(forget_gate, "forget_gate", shapes=[{}, {"N": 1}], seed=101)
    grading.check_inputs_unchanged(forget_gate, "forget_gate", seed=7)


def test_every_differing_output_is_listed():
    def cell_update_backward(dc, f, c_prev, i, g):
        return dc * c_prev, dc, dc * g, dc  # dc_prev and dg both wrong

    msg = grading.explain(cell_update_backward, "cell_update_backward")
    assert "dc_prev differs" in msg and "dg differs" in msg
    assert "df differs" not in msg and "di differs" not in msg


def test_a_mistake_is_named_only_if_random_inputs_confirm_it():
    rng = np.random.default_rng(0)
    h_prev, x = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    W_f, b_f = np.zeros((5, 3)), rng.normal(size=3)  # zero weights: mistakes coincide

    def bias_after_activation(h_prev, x, W_f, b_f):  # the catalogued slip
        return sigmoid(np.concatenate([h_prev, x], axis=1) @ W_f) + b_f

    def constant(h_prev, x, W_f, b_f):  # agrees with that slip only when W_f = 0
        return np.full((h_prev.shape[0], W_f.shape[1]), 0.5) + b_f

    inputs = dict(h_prev=h_prev, x=x, W_f=W_f, b_f=b_f)
    named = grading.explain(bias_after_activation, "forget_gate", **inputs)
    assert "Likely mistake" in named
    unconfirmed = grading.explain(constant, "forget_gate", **inputs)
    assert "Likely mistake" not in unconfirmed
    assert "No catalogued mistake" in unconfirmed
