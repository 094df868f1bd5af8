"""The grading helpers: catalogues of mistakes and their diagnosis."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
from helpers import solution_body, source_notebook

from course_pkg import grading, lstm
from course_pkg.grading import lstm as glstm
from course_pkg.grading._core import run

ALL = grading.exercises()
MISTAKES = [(ex.name, m.key) for ex in ALL for m in ex.mistakes]
UNSTABLE = {"unstable_sigmoid", "unstable_tanh", "unstable_softmax", "shift_only_when_masked"}
#: Mistakes that show only on some shapes: the dimensions that reveal them.
# a longer prompt, so that reading only its last character changes the draws
REVEALING_DIMS = {"shift_only_when_masked": {"masked": 0}, "prompt_last_only": {"P": 6}}


def _scale(key: str) -> float:
    return 1e3 if key in UNSTABLE else 1.0


def test_every_assignment_has_exercises():
    names = {ex.assignment for ex in ALL}
    assert names == set(grading.ASSIGNMENTS) - {"06_lstm_backward"} | {"06_lstm_backward"}
    # the gate and attention exercises catalogue at least six mistakes each; the
    # char-LM's five smaller functions at least two each and fifteen together
    for ex in ALL:
        assert len(ex.mistakes) >= (2 if ex.assignment == "09_char_lm" else 6), ex.name
    assert sum(len(ex.mistakes) for ex in ALL if ex.assignment == "09_char_lm") >= 15


@pytest.mark.parametrize("name", [ex.name for ex in ALL])
def test_reference_is_diagnosed_correct(name):
    ex = grading.get_exercise(name)
    for dims in ({}, {"N": 1}):
        inputs = ex.inputs(seed=5, **dims)
        assert grading.diagnose(lambda **kw: ex.reference(**kw), name, inputs).ok


@pytest.mark.parametrize(("name", "key"), MISTAKES)
def test_each_mutation_is_named_by_the_diagnosis(name, key):
    """Run the mutation as if a student wrote it: the diagnosis names that mistake."""
    ex = grading.get_exercise(name)
    m = ex.mistake(key)
    inputs = ex.inputs(seed=11, scale=_scale(key), **REVEALING_DIMS.get(key, {}))
    verdict = grading.diagnose(m.mutate, name, inputs)
    assert not verdict.ok
    assert verdict.mistake is not None, verdict.message()
    named = [verdict.mistake.key] + [a.key for a in verdict.alternatives]
    assert key in named, verdict.message()
    msg = verdict.message()
    assert ("Re-read:" in msg and m.summary in msg) or key != verdict.mistake.key


def _student_function(name: str, edits):
    """Compile the solution in assignments/<id>/<id>.py with a catalogued text edit applied."""
    ex = grading.get_exercise(name)
    nb = source_notebook(ex.assignment)
    namespace: dict = {}
    for cell in nb.cells:  # imports and earlier solutions
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        if cell.metadata.get("nbgrader", {}).get("grade_id") == name:
            src = cell.source
            body = solution_body(nb, name)
            new_body = body
            for old, new in edits:
                assert old in new_body, f"edit {old!r} does not apply to {name}'s solution"
                new_body = new_body.replace(old, new)
            exec(src.replace(body, new_body), namespace)
            break
        if cell.metadata.get("nbgrader", {}).get("solution") or "import" in cell.source:
            exec(cell.source, namespace)
    return namespace[name]


@pytest.mark.parametrize(("name", "key"), MISTAKES)
def test_source_edit_reproduces_the_mutation(name, key):
    """The edit of the solution source and the mutation function agree exactly."""
    ex = grading.get_exercise(name)
    m = ex.mistake(key)
    assert m.edit, f"{name}.{key} has no source edit"
    fn = _student_function(name, m.edit)
    inputs = ex.inputs(seed=3, scale=_scale(key), **REVEALING_DIMS.get(key, {}))
    verdict = grading.diagnose(fn, name, inputs)
    assert not verdict.ok
    named = [verdict.mistake.key] + [a.key for a in verdict.alternatives] if verdict.mistake \
        else []
    assert key in named, verdict.message()


def test_solution_sources_match_reference():
    for ex in ALL:
        fn = _student_function(ex.name, ())
        for dims in ({}, {"N": 1}, {"H": 1}):
            inputs = ex.inputs(seed=2, **dims)
            assert grading.diagnose(fn, ex.name, inputs).ok, ex.name


def test_switch_free_mutation_bases_equal_the_package():
    rng = np.random.default_rng(0)
    ex = grading.get_exercise("lstm_backward")
    inputs = ex.inputs(seed=4, T=5, N=2, D=3, H=4)
    ours = glstm.bptt(**copy.deepcopy(inputs))
    ref = ex.reference(**copy.deepcopy(inputs))
    for a, b in zip(ours[:3], ref[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for k in ref[3]:
        np.testing.assert_allclose(ours[3][k], ref[3][k], rtol=1e-10, atol=1e-12)
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    params = lstm.init_lstm_params(3, 4, rng)
    h1, c1 = glstm.step(x, h, c, params)
    h2, c2, _ = lstm.lstm_step_forward(x, h, c, params)
    np.testing.assert_allclose(h1, h2, rtol=1e-12)
    np.testing.assert_allclose(c1, c2, rtol=1e-12)


def test_diagnosis_of_not_implemented_and_errors():
    def blank(h_prev, x, W_f, b_f):
        raise NotImplementedError()

    msg = grading.diagnose(blank, "forget_gate").message()
    assert "not implemented yet" in msg

    def crash(h_prev, x, W_f, b_f):
        return h_prev @ W_f

    msg = grading.diagnose(crash, "forget_gate").message()
    assert "raised ValueError" in msg and "shapes" in msg


def test_unknown_mistake_gets_the_equation():
    def odd(h_prev, x, W_f, b_f):
        return np.full((x.shape[0], b_f.shape[0]), 0.3)

    msg = grading.diagnose(odd, "forget_gate").message()
    assert "No catalogued mistake" in msg and "f = sigmoid" in msg


def test_checks_raise_assertion_errors_with_the_diagnosis():
    m = grading.get_exercise("cell_update_backward").mistake("forgot_f_in_dc_prev")
    with pytest.raises(AssertionError, match="forgetting the factor f"):
        grading.check_reference(m.mutate, "cell_update_backward", shapes=[{}, {"N": 1}])
    inplace = grading.get_exercise("cell_update").mistake("in_place").mutate
    with pytest.raises(AssertionError, match="in place"):
        grading.check_inputs_unchanged(inplace, "cell_update")


def test_stability_check_explains_overflow():
    m = grading.get_exercise("forget_gate").mistake("unstable_sigmoid")
    grading.check_reference(m.mutate, "forget_gate")  # fine on ordinary inputs
    with pytest.raises(AssertionError, match="overflows"):
        grading.check_reference(m.mutate, "forget_gate", scale=1e3)


def test_naive_but_correct_sigmoid_passes_stability_quietly():
    def forget_gate(h_prev, x, W_f, b_f):
        a = np.concatenate([h_prev, x], axis=1) @ W_f + b_f
        return 1 / (1 + np.exp(-a))  # overflows to exp(inf) but gives the right 0

    # pytest turns RuntimeWarning into errors: the helpers must silence it
    grading.check_reference(forget_gate, "forget_gate", scale=1e3)


def test_isolation_restores_the_students_namespace():
    ns: dict = {}
    exec("def lstm_step_forward(x, h, c, p):\n    raise RuntimeError('broken step')\n"
         "def lstm_forward(X, h0, c0, params):\n"
         "    import numpy as np\n"
         "    hs, cs = [], []\n"
         "    h, c = h0, c0\n"
         "    for t in range(X.shape[0]):\n"
         "        h, c = lstm_step_forward(X[t], h, c, params)\n"
         "        hs.append(h); cs.append(c)\n"
         "    return np.stack(hs), np.stack(cs)\n", ns)
    broken = ns["lstm_step_forward"]
    grading.check_reference(ns["lstm_forward"], "lstm_forward")
    assert ns["lstm_step_forward"] is broken


def test_run_detects_in_place_changes():
    def f(a, b):
        b["k"] += 1
        return a

    out = run(f, {"a": np.zeros(2), "b": {"k": np.zeros(2)}})
    assert out.modified == ["b"]


def test_gradient_checker_grading():
    from course_pkg.gradcheck import check_gradients

    def good(backward, seed=0):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(2, 2, 3))
        h0, c0 = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
        params = lstm.init_lstm_params(3, 2, rng)
        dhs = rng.normal(size=(2, 2, 2))

        def loss():
            return float(np.sum(lstm.lstm_forward(X, h0, c0, params)[0] * dhs))

        dX, dh0, dc0, grads = backward(dhs, X, h0, c0, params)
        return check_gradients(loss, {"X": X, "h0": h0, "c0": c0, **params},
                               {"X": dX, "h0": dh0, "c0": dc0, **grads})

    grading.check_gradient_checker(good)

    def lazy(backward, seed=0):  # never fails
        return good(functools.partial(glstm.bptt), seed)

    with pytest.raises(AssertionError, match="cannot fail"):
        grading.check_gradient_checker(lazy)
