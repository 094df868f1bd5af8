"""The assertion helpers that the notebooks' test cells call.

Each must pass the reference, and fail a catalogued mistake with a message
that names it.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg import grading
from course_pkg.activations import sigmoid
from course_pkg.grading import _core


def good_forget_gate(h_prev, x, W_f, b_f):
    return sigmoid(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)


def tanh_forget_gate(h_prev, x, W_f, b_f):
    return np.tanh(np.concatenate([h_prev, x], axis=1) @ W_f + b_f)


def wrong_shape_forget_gate(h_prev, x, W_f, b_f):
    return good_forget_gate(h_prev, x, W_f, b_f).T


def test_check_shape_passes_and_fails():
    grading.check_shape(good_forget_gate, "forget_gate", N=3, D=4, H=5)
    with pytest.raises(AssertionError, match=r"(?i)shape"):
        grading.check_shape(wrong_shape_forget_gate, "forget_gate", N=3, D=4, H=5)


def test_check_range_names_tanh_for_sigmoid():
    grading.check_range(good_forget_gate, "forget_gate", low=0.0, high=1.0, N=4, D=3, H=2)
    with pytest.raises(AssertionError) as info:
        grading.check_range(tanh_forget_gate, "forget_gate", low=0.0, high=1.0,
                            N=4, D=3, H=2, scale=3.0)
    assert "tanh" in str(info.value).lower()


def test_check_known_compares_with_hand_computed_answer():
    h_prev, x = np.array([[1.0, -1.0]]), np.array([[2.0]])
    W_f = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]])
    b_f = np.array([0.0, 1.0])
    expected = sigmoid(np.array([[2.0, -1.0]]))
    grading.check_known(good_forget_gate, "forget_gate", (h_prev, x, W_f, b_f), expected)
    with pytest.raises(AssertionError, match=r"(?i)tanh"):
        grading.check_known(tanh_forget_gate, "forget_gate", (h_prev, x, W_f, b_f), expected)


def test_catalogue_assembles_every_catalogue_in_course_order():
    from course_pkg.grading import attention, catalogue, charlm, gates, gru, lstm

    assert catalogue.CATALOGUES == (gates, lstm, gru, attention, charlm)
    assert catalogue.EXERCISES == (*gates.EXERCISES, *lstm.EXERCISES, *gru.EXERCISES,
                                   *attention.EXERCISES, *charlm.EXERCISES)
    names = [ex.name for ex in catalogue.EXERCISES]
    assert len(set(names)) == len(names)
    order = [grading.ASSIGNMENTS.index(ex.assignment) for ex in catalogue.EXERCISES]
    assert order == sorted(order)
    assert grading.get_exercise("forget_gate") is gates.FORGET_GATE
    assert grading.exercises("02_input_gate") == [gates.INPUT_GATE, gates.CANDIDATE]
    with pytest.raises(KeyError, match="unknown exercise 'nope'"):
        grading.get_exercise("nope")


def test_engine_takes_exercises_and_checks_take_names():
    ex = grading.get_exercise("forget_gate")
    assert _core.diagnose(good_forget_gate, ex).ok
    assert "tanh" in _core.explain(tanh_forget_gate, ex).lower()
    assert "tanh" in grading.explain(tanh_forget_gate, "forget_gate").lower()


def test_gate_inputs_make_random_nonzero_biases():
    from course_pkg.grading.gates import gate_inputs

    make = gate_inputs("W_i", "b_i")
    inputs = make(np.random.default_rng(0), {"N": 2, "D": 3, "H": 4}, 1.0)
    assert inputs["W_i"].shape == (7, 4)
    assert inputs["b_i"].shape == (4,)
    assert np.all(inputs["b_i"] != 0)


def test_gate_mistakes_catalogue_covers_the_usual_slips():
    from course_pkg.grading.gates import gate_mistakes

    mistakes = gate_mistakes("f", "W_f", "b_f", "sigmoid", "chapter 3")
    keys = {m.key for m in mistakes}
    assert len(keys) == len(mistakes), "mistake keys must be unique"
    for slip in ("tanh_for_sigmoid", "missing_bias", "concat_order", "elementwise_product",
                 "column_convention", "unstable_sigmoid"):
        assert slip in keys, f"the gate catalogue lacks the usual slip {slip!r}"
    assert all(m.summary and m.fix and m.reread for m in mistakes)


def test_build_parser_lists_every_step_of_the_workflow():
    from course_pkg.instructor.cli import build_parser

    parser = build_parser()
    help_text = parser.format_help()
    for command in ("init", "release", "collect", "autograde", "feedback", "export",
                    "check", "export-student"):
        assert command in help_text, f"`course {command}` is missing from the CLI"


def test_grading_modules_import_each_other_without_cycles():
    """The engine imports no catalogue; only catalogue.py assembles them (no registry)."""
    import ast
    import pathlib

    pkg = pathlib.Path(_core.__file__).parent
    graph = {}
    for path in pkg.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module)
                else:
                    deps.update(alias.name for alias in node.names)
        graph[path.stem] = deps & {p.stem for p in pkg.glob("*.py")}
    assert graph["_core"] == set()
    assert {m for m, deps in graph.items() if {"gates", "lstm"} <= deps} <= {"catalogue"}

    def visit(module, stack):
        assert module not in stack, f"import cycle: {' -> '.join([*stack, module])}"
        for dep in graph[module]:
            visit(dep, [*stack, module])

    for module in graph:
        visit(module, [])
