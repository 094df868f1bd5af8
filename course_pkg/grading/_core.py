"""The diagnosis engine behind the assignments' tests.

Every exercise (one student function) has a reference (the package's
implementation, without the cache) and a catalogue of the usual mistakes,
each a *mutation* of the reference: the function a student writes when they
make that one slip. When a student's output disagrees with the reference,
:func:`diagnose` reruns every mutation on the same inputs and names the one
that reproduces the student's output exactly, with what to change and which
part of the book to re-read.

The functions here take an :class:`Exercise`; the notebooks' test cells
call their by-name wrappers in :mod:`course_pkg.grading.checks`. They raise
:class:`AssertionError` with a readable message, so that nbgrader's feedback
shows that message and little of the hidden test's source.

Per-student variants (:class:`Variant`): inside :func:`use_variant` every
check that takes a ``seed`` draws its inputs from a seed derived from a
hash of the student id, so every catalogue gets variants for free.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import hashlib
import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Mistake",
    "Exercise",
    "Variant",
    "Verdict",
    "active_variant",
    "use_variant",
    "variant",
    "diagnose",
    "explain",
    "check_shape",
    "check_range",
    "check_known",
    "check_reference",
    "check_inputs_unchanged",
]

RTOL = 1e-6
ATOL = 1e-8


@dataclass(frozen=True)
class Mistake:
    """One catalogued mistake.

    Attributes
    ----------
    key : str
        Short identifier, e.g. ``"tanh_for_sigmoid"``.
    summary : str
        What the student most likely wrote, in one sentence.
    fix : str
        What to write instead, and why (the chapter's analogy if it helps).
    reread : str
        The chapter and section to re-read.
    mutate : callable
        The reference with this one mistake; same signature as the student's
        function. It may raise (a mistake that crashes is matched by its error
        message) or modify its arguments in place.
    edit : (str, str) or None
        The same mistake as a text edit of the notebook's solution: replace
        the first string by the second. The tests apply it to the solution
        source and check that the diagnosis names this mistake.
    """

    key: str
    summary: str
    fix: str
    reread: str
    mutate: Callable[..., Any]
    edit: tuple[str, str] | None = None


@dataclass
class Exercise:
    """A function the students write, its reference, inputs and mistakes."""

    name: str
    assignment: str
    signature: str
    equation: str
    reread: str
    arg_names: tuple[str, ...]
    reference: Callable[..., Any]
    make_inputs: Callable[[np.random.Generator, Mapping[str, int], float], dict[str, Any]]
    default_dims: dict[str, int]
    mistakes: list[Mistake] = field(default_factory=list)
    #: Names in the student's namespace replaced by the reference while their
    #: function runs (e.g. ``lstm_step_forward`` when grading ``lstm_forward``),
    #: so that one mistake is not counted twice.
    isolate: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def inputs(self, seed: int = 0, scale: float = 1.0, **dims: int) -> dict[str, Any]:
        """Random inputs with the given dimensions (defaults filled in)."""
        full = {**self.default_dims, **dims}
        return self.make_inputs(np.random.default_rng(seed), full, scale)

    def mistake(self, key: str) -> Mistake:
        for m in self.mistakes:
            if m.key == key:
                return m
        raise KeyError(f"{self.name} has no catalogued mistake {key!r}; "
                       f"known: {[m.key for m in self.mistakes]}")


# --- per-student variants of the hidden tests -----------------------------------------


@dataclass(frozen=True)
class Variant:
    """The variant of an assignment's hidden tests drawn for one student.

    A check run inside :func:`use_variant` draws its random inputs from
    ``variant.seed(seed)`` instead of ``seed``: the same shapes, other
    values, different for every student (and assignment). The expected
    values a failing test prints are therefore the student's own; copying
    another student's does not pass. Hand-made inputs (``check_known``)
    are not random and do not change.

    Attributes
    ----------
    student, assignment : str
        Whom and what the variant is for.
    key : int
        64 bits of ``sha256(salt, assignment, student)``.
    """

    student: str
    assignment: str
    key: int

    @property
    def id(self) -> str:
        """Eight hex digits naming the variant (shown in the feedback)."""
        return f"{self.key:016x}"[:8]

    def seed(self, seed: int) -> int:
        """The seed a check with ``seed`` uses in this variant (below 2**32)."""
        data = f"{self.key:016x}:{int(seed)}".encode()
        return int.from_bytes(hashlib.sha256(data).digest()[:4], "big")

    def describe(self) -> str:
        """One line for the feedback: which variant, drawn from what."""
        return (f"hidden-test variant {self.id}, drawn from the student id "
                f"{self.student!r} for {self.assignment}: the random inputs (and so the "
                "expected values) are this student's own")


def variant(student: str, assignment: str, salt: str = "") -> Variant:
    """The variant of ``assignment``'s hidden tests for ``student``.

    Parameters
    ----------
    student : str
        The student id (nbgrader's submission folder name, or on Gradescope
        the id the autograder reads from the submission's metadata).
        Surrounding spaces are ignored; case matters.
    assignment : str
        The assignment id, so that one student's variants differ between
        assignments.
    salt : str
        An optional course secret (``COURSE_VARIANT_SALT``): without it anyone
        can compute any student's variant (which only gives what the public
        reference would give anyway).

    Returns
    -------
    Variant
    """
    student = str(student).strip()
    if not student:
        raise ValueError("variant: the student id is empty; a variant needs the id of the "
                         "student whose hidden tests it draws.")
    digest = hashlib.sha256("\0".join((salt, assignment, student)).encode("utf-8")).digest()
    return Variant(student, assignment, int.from_bytes(digest[:8], "big"))


_ACTIVE: contextvars.ContextVar[Variant | None] = contextvars.ContextVar(
    "course_grading_variant", default=None)


def active_variant() -> Variant | None:
    """The variant the checks draw from now, or None (fixed seeds, as in the notebook)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def use_variant(v: Variant | None):
    """Run the checks inside the ``with`` block in variant ``v`` (None: fixed seeds).

    The trusted grader enters it around the hidden test cells only; the
    visible tests, which students run themselves, keep their fixed seeds.
    """
    token = _ACTIVE.set(v)
    try:
        yield v
    finally:
        _ACTIVE.reset(token)


def _seeds(seed: int) -> list[int]:
    """The seeds a check runs with: ``seed``, or in a variant its own seed, then ``seed``.

    In a variant the check must pass on both: the variant's inputs (so that
    another student's expected values do not pass, and the message shows
    this student's values) and the notebook's fixed inputs (so that no
    mistake costs fewer points in one variant than without variants).
    """
    v = _ACTIVE.get()
    return [seed] if v is None else [v.seed(seed), seed]


# --- running a function safely ---------------------------------------------------------


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None
    modified: list[str] = field(default_factory=list)


def _same_value(a: Any, b: Any) -> bool:
    """Exact structural equality, used to detect in-place modification."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and a.dtype == b.dtype
                and bool(np.array_equal(a, b, equal_nan=True)))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return set(a) == set(b) and all(_same_value(a[k], b[k]) for k in a)
    return a == b


def _takes_positionally(fn: Callable[..., Any], n: int) -> bool:
    try:
        inspect.signature(fn).bind(*range(n))
    except (TypeError, ValueError):
        return False
    return True


def run(
    fn: Callable[..., Any],
    inputs: Mapping[str, Any],
    isolate: Mapping[str, Callable[..., Any]] | None = None,
) -> Outcome:
    """Call ``fn(*copies of inputs)`` quietly; record errors and in-place changes.

    The arguments are passed positionally when the signature allows it, so
    that a student may name the parameters as they like; the catalogue's
    mutations, written ``f(h_prev, x, **params)``, get keywords.

    Numpy floating-point warnings and Python warnings are silenced: a warning
    written to stderr would make nbgrader give a passing test zero points,
    and the values are what is graded.
    """
    originals = {k: copy.deepcopy(v) for k, v in inputs.items()}
    args = {k: copy.deepcopy(v) for k, v in inputs.items()}
    out = Outcome()
    # A student's process stand-in (trusted grading) swaps the helpers on its side.
    call_isolated = getattr(fn, "call_isolated", None)
    namespace = None if call_isolated else getattr(fn, "__globals__", None)
    saved = {}
    if isolate and namespace is not None:
        for key, value in isolate.items():
            if key in namespace and namespace[key] is not fn:
                saved[key] = namespace[key]
                namespace[key] = value
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:  # positionally: a student may name the parameters as they like
            if call_isolated is not None:
                out.value = call_isolated(dict(isolate or {}), *args.values())
            elif _takes_positionally(fn, len(args)):
                out.value = fn(*args.values())
            else:
                out.value = fn(**args)
        except Exception as exc:  # the student's code may raise anything
            out.error = exc
        finally:
            if namespace is not None:
                namespace.update(saved)
    out.modified = [k for k in inputs if not _same_value(args[k], originals[k])]
    return out


# --- comparing outputs -------------------------------------------------------------------


def _leaves(value: Any, prefix: str) -> dict[str, Any]:
    """Flatten arrays, tuples and dicts into ``{path: leaf}``."""
    if isinstance(value, tuple | list):
        out: dict[str, Any] = {}
        for k, v in enumerate(value):
            out.update(_leaves(v, f"{prefix}[{k}]"))
        return out
    if isinstance(value, Mapping):
        out = {}
        for k in value:
            out.update(_leaves(value[k], f"{prefix}[{k!r}]"))
        return out
    return {prefix: value}


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, Mapping):
        return f"a dict with keys {sorted(value)}"
    return f"a {type(value).__name__}"


def _output_names(ex: Exercise, ref: Any) -> list[str]:
    """Human names for the reference's outputs, e.g. ['h', 'c']."""
    ret = ex.signature.split("->")[-1].strip().strip("()")
    names = [n.strip() for n in ret.split(",")]
    if isinstance(ref, tuple) and len(names) == len(ref):
        return names
    return names[:1]


def compare(ex: Exercise, got: Any, ref: Any, *, values: bool = True) -> str | None:
    """Describe how ``got`` differs from ``ref`` (structure, shape, dtype, values)."""
    names = _output_names(ex, ref)
    if isinstance(ref, tuple):
        if not isinstance(got, tuple | list) or len(got) != len(ref):
            return (f"{ex.name} should return a tuple of {len(ref)} "
                    f"({', '.join(names)}), but it returned {_kind(got)}.")
        pairs = list(zip(names, got, ref))
    else:
        if not isinstance(got, np.ndarray):
            return (f"{ex.name} should return one numpy array ({names[0]}), "
                    f"but it returned {_kind(got)}.")
        pairs = [(names[0], got, ref)]
    differences = []
    for name, g, r in pairs:
        g_leaves, r_leaves = _leaves(g, name), _leaves(r, name)
        if isinstance(r, Mapping):
            if not isinstance(g, Mapping):
                return f"{name} should be a dict with keys {sorted(r)}, got {_kind(g)}."
            missing = sorted(set(r) - set(g))
            if missing:
                return f"{name} is missing the key(s) {missing} (expected {sorted(r)})."
        for path, rv in r_leaves.items():
            gv = g_leaves.get(path)
            if not isinstance(gv, np.ndarray):
                return f"{path} should be a numpy array of shape {rv.shape}, got {_kind(gv)}."
            if gv.shape != rv.shape:
                return f"{path} has shape {gv.shape}, expected {rv.shape}."
            if gv.dtype != rv.dtype:
                return (f"{path} has dtype {gv.dtype}, expected {rv.dtype}: keep the "
                        f"inputs' precision (do not create float32 or integer arrays).")
            if not values:
                continue
            if not np.all(np.isfinite(gv)) and np.all(np.isfinite(rv)):
                differences.append(
                    f"{path} contains NaN or inf where the expected values are finite "
                    "(an overflow: use a numerically stable formula).")
            elif not np.allclose(gv, rv, rtol=RTOL, atol=ATOL, equal_nan=True):
                err = np.abs(gv - rv)
                err = np.where(np.isnan(err), np.inf, err)
                idx = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
                differences.append(
                    f"{path} differs from the expected values: at index {idx} it is "
                    f"{gv[idx]:.6g}, expected {rv[idx]:.6g}.")
    # Every output that differs, not only the first: which ones are right is a clue.
    return "\n".join(differences) or None


def _reproduces(m: Mistake, inputs: Mapping[str, Any], student: Outcome, ref: Any) -> bool:
    if m.key == "returned_cache":
        # Any extra trailing "cache" counts: the outputs come first and are right.
        got = student.value
        n = len(ref) if isinstance(ref, tuple) else 1
        if student.error is None and isinstance(got, tuple | list) and len(got) > n:
            head = got[0] if n == 1 else tuple(got[:n])
            try:
                return _close(head, ref)
            except Exception:
                return False
        return False
    mutant = run(m.mutate, inputs)
    if student.error is not None or mutant.error is not None:
        return (student.error is not None and mutant.error is not None
                and type(student.error) is type(mutant.error)
                and str(student.error) == str(mutant.error))
    if student.modified and set(student.modified) == set(mutant.modified):
        return True
    if mutant.modified:
        return False
    try:
        same_as_ref = _close(mutant.value, ref)
    except Exception:
        same_as_ref = False
    if same_as_ref:
        return False  # indistinguishable from a correct answer on these inputs
    return _close(student.value, mutant.value)


def _close(a: Any, b: Any) -> bool:
    la, lb = _leaves(a, ""), _leaves(b, "")
    if la.keys() != lb.keys() or (type(a) is not type(b) and not (
        isinstance(a, tuple | list) and isinstance(b, tuple | list)
    )):
        return False
    for k in la:
        x, y = la[k], lb[k]
        if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
            if x is not y and x != y:
                return False
            continue
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        if not np.allclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True):
            return False
    return True


@dataclass
class Verdict:
    """Result of :func:`diagnose`: ``ok``, and if not, the problem and likely mistake."""

    ok: bool
    problem: str = ""
    mistake: Mistake | None = None
    where: str = ""
    exercise: Exercise | None = None
    alternatives: list[Mistake] = field(default_factory=list)

    def message(self) -> str:
        ex = self.exercise
        if self.ok or ex is None:
            return "correct"
        if self.problem.endswith(_NOT_IMPLEMENTED_END):
            return self.problem
        lines = [f"{ex.name} is not right yet. {self.where}".rstrip(), self.problem]
        if self.mistake is not None:
            m = self.mistake
            lines += [
                f"Likely mistake: {m.summary} (your output is exactly what that mistake gives).",
                f"Fix: {m.fix}",
                f"Re-read: {m.reread}.",
            ]
            if self.alternatives:
                others = "; ".join(a.summary for a in self.alternatives)
                lines.append(f"(The same output also comes from: {others}.)")
        else:
            lines += [
                "No catalogued mistake reproduces your output; compare your code with the "
                f"equation, line by line: {ex.equation}",
                f"Re-read: {ex.reread}.",
            ]
        return "\n".join(line for line in lines if line)


def _dims_text(inputs: Mapping[str, Any], ex: Exercise) -> str:
    shapes = ", ".join(
        f"{k} {v.shape}" for k, v in inputs.items() if isinstance(v, np.ndarray)
    )
    return f"(inputs: {shapes})" if shapes else ""


_NOT_IMPLEMENTED_END = "run that cell, then rerun the tests."
_NOT_IMPLEMENTED = (
    "{name} is not implemented yet: replace `raise NotImplementedError()` in its "
    "cell with your code, " + _NOT_IMPLEMENTED_END
)


def _describe_error(ex: Exercise, err: BaseException) -> str:
    text = f"{ex.name} raised {type(err).__name__}: {str(err)[:300]}"
    low = str(err).lower()
    if "broadcast" in low or "matmul" in low or "shapes" in low or "aligned" in low:
        text += (" -- check the shapes in every product: write them next to the code "
                 f"as comments. The contract: {ex.signature}; {ex.equation}")
    return text


def diagnose(
    fn: Callable[..., Any],
    ex: Exercise,
    inputs: Mapping[str, Any] | None = None,
    expected: Any = None,
    *,
    in_place_counts: bool = True,
    confirm: bool = False,
) -> Verdict:
    """Run ``fn`` and, if it is wrong, name the catalogued mistake that explains it.

    Parameters
    ----------
    fn : callable
        The student's function.
    ex : Exercise
        The exercise (see :func:`course_pkg.grading.get_exercise`).
    inputs : dict, optional
        Keyword arguments to test on; random generic inputs if omitted.
    expected : optional
        The expected output on ``inputs``; the reference's if omitted.
    in_place_counts : bool
        Whether changing an argument in place makes the answer wrong. Only
        the inputs-unchanged test says so; the value tests judge the values
        returned, so one slip costs the points of one test.
    confirm : bool
        For hand-made ``inputs`` (zero weights, tiny shapes), where several
        mistakes can give the same output: name a mistake only if it also
        explains the student's output on random inputs.

    Returns
    -------
    Verdict
        ``verdict.ok`` and ``verdict.message()``.
    """
    generic = ex.inputs(seed=1234)
    if inputs is None:
        inputs = generic
    inputs = dict(inputs)
    ref = ex.reference(**copy.deepcopy(inputs)) if expected is None else expected
    student = run(fn, inputs, ex.isolate)
    where = _dims_text(inputs, ex)
    if isinstance(student.error, NotImplementedError):
        return Verdict(False, _NOT_IMPLEMENTED.format(name=ex.name), None, "", ex)
    problem = None
    if student.modified and in_place_counts:
        args = ", ".join(student.modified)
        problem = (f"{ex.name} changed its argument(s) {args} in place. A function must "
                   "not modify its inputs: the caller still needs them (the backward "
                   "pass, the next time step). Compute into a new array instead.")
    elif student.error is not None:
        problem = _describe_error(ex, student.error)
    else:
        problem = compare(ex, student.value, ref)
    if problem is None:
        return Verdict(True, exercise=ex)
    matches = [m for m in ex.mistakes if _reproduces(m, inputs, student, ref)]
    if inputs is not generic and (confirm or len(matches) != 1):
        # Disambiguate, find, or (confirm=True) confirm a match on generic inputs.
        ref_g = ex.reference(**copy.deepcopy(generic))
        student_g = run(fn, generic, ex.isolate)
        on_generic = []
        if student_g.error is not None or (student_g.modified and in_place_counts) or (
            compare(ex, student_g.value, ref_g) is not None
        ):
            on_generic = [m for m in ex.mistakes if _reproduces(m, generic, student_g, ref_g)]
        both = [m for m in matches if m in on_generic]
        matches = both or on_generic or ([] if confirm else matches)
    return Verdict(False, problem, matches[0] if matches else None, where, ex, matches[1:3])


def _fail(verdict: Verdict, context: str = "") -> None:
    msg = verdict.message()
    if context:
        msg = f"{context}\n{msg}"
    v = _ACTIVE.get()
    if v is not None:
        msg += f"\n({v.describe()}.)"
    raise AssertionError(msg)


def explain(fn: Callable[..., Any], ex: Exercise, **inputs: Any) -> str:
    """The diagnosis message for ``fn`` (for ``assert ..., explain(...)``)."""
    return diagnose(fn, ex, inputs or None, confirm=bool(inputs)).message()


def _as_inputs(ex: Exercise, args: Sequence[Any] | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(args, Mapping):
        return dict(args)
    if len(args) != len(ex.arg_names):
        raise ValueError(f"{ex.name} takes {len(ex.arg_names)} arguments {ex.arg_names}, "
                         f"the test passed {len(args)}.")
    return dict(zip(ex.arg_names, args))


def check_shape(fn: Callable[..., Any], ex: Exercise, seed: int = 0, **dims: int) -> None:
    """Assert that ``fn`` returns the right structure, shapes and dtype (not values)."""
    for s in _seeds(seed):
        _check_shape(fn, ex, s, **dims)


def _check_shape(fn: Callable[..., Any], ex: Exercise, seed: int, **dims: int) -> None:
    inputs = ex.inputs(seed=seed, **dims)
    student = run(fn, inputs, ex.isolate)
    ref = ex.reference(**copy.deepcopy(inputs))
    if student.error is None and compare(ex, student.value, ref, values=False) is None:
        return
    _fail(diagnose(fn, ex, inputs, in_place_counts=False), f"Shape/dtype check with {dims}:")


def check_range(
    fn: Callable[..., Any],
    ex: Exercise,
    low: float,
    high: float,
    seed: int = 0,
    scale: float = 1.0,
    **dims: int,
) -> None:
    """Assert that every output entry lies in ``[low, high]``."""
    for s in _seeds(seed):
        _check_range(fn, ex, low, high, s, scale, **dims)


def _check_range(fn: Callable[..., Any], ex: Exercise, low: float, high: float, seed: int,
                 scale: float, **dims: int) -> None:
    inputs = ex.inputs(seed=seed, scale=scale, **dims)
    student = run(fn, inputs, ex.isolate)
    ref = ex.reference(**copy.deepcopy(inputs))
    if student.error is None and compare(ex, student.value, ref, values=False) is None:
        leaves = [v for v in _leaves(student.value, "").values() if isinstance(v, np.ndarray)]
        bad = [v for v in leaves if not np.all((v >= low) & (v <= high))]
        if not bad:
            return
        context = (f"Range check: every entry of the output should lie in [{low}, {high}]; "
                   f"yours spans [{np.nanmin(bad[0]):.4g}, {np.nanmax(bad[0]):.4g}].")
        verdict = diagnose(fn, ex, inputs, in_place_counts=False)
        if verdict.ok:  # in range only fails where the reference is fine: report it
            raise AssertionError(context)
        _fail(verdict, context)
    _fail(diagnose(fn, ex, inputs, in_place_counts=False), "Range check:")


def check_known(
    fn: Callable[..., Any],
    ex: Exercise,
    args: Sequence[Any] | Mapping[str, Any],
    expected: Any,
    atol: float = 1e-6,
) -> None:
    """Assert ``fn(*args)`` equals a hand-computed ``expected`` (within ``atol``)."""
    inputs = _as_inputs(ex, args)
    student = run(fn, inputs, ex.isolate)
    if student.error is None:
        exp_leaves, got_leaves = _leaves(expected, ""), _leaves(student.value, "")
        same_structure = not isinstance(expected, tuple) or (
            isinstance(student.value, tuple | list) and len(student.value) == len(expected))
        if same_structure and exp_leaves.keys() == got_leaves.keys() and all(
            isinstance(got_leaves[k], np.ndarray)
            and got_leaves[k].shape == np.shape(exp_leaves[k])
            and np.allclose(got_leaves[k], exp_leaves[k], rtol=0, atol=atol)
            for k in exp_leaves
        ):
            return
    verdict = diagnose(fn, ex, inputs, in_place_counts=False, confirm=True)
    if verdict.ok:  # matches the reference but not the hand-computed value: test bug
        raise AssertionError(f"{ex.name}: the known answer disagrees with the reference; "
                             "please tell your instructor.")
    _fail(verdict, "Known-answer check (the inputs and the expected values are in the cell):")


def check_reference(
    fn: Callable[..., Any],
    ex: Exercise,
    shapes: Sequence[Mapping[str, int]] = ({},),
    seed: int = 0,
    scale: float = 1.0,
) -> None:
    """Assert that ``fn`` matches the reference on random inputs of several shapes.

    ``scale`` multiplies the inputs (use e.g. 1e3 to test numerical stability).

    In a variant, a scaled check judges only stability on the variant's own
    inputs: it fails there only if ``fn`` is right on the same inputs unscaled
    (so the large ones break it). Saturated gates can hide a mistake on large
    inputs, by chance and depending on the draw; without this rule a student
    with such a mistake would lose the stability point in some variants and not
    in others. Correctness is judged on the fixed inputs, as without variants,
    and by the unscaled checks.
    """
    for k, dims in enumerate(shapes):
        for s in _seeds(seed + k):
            inputs = ex.inputs(seed=s, scale=scale, **dims)
            verdict = diagnose(fn, ex, inputs, in_place_counts=False)
            if not verdict.ok:
                dims_text = ", ".join(f"{d}={v}" for d, v in {**ex.default_dims, **dims}.items())
                context = f"Comparison with the reference on random inputs ({dims_text}"
                context += f", inputs scaled by {scale:g})." if scale != 1.0 else ")."
                overflows = scale != 1.0 and diagnose(fn, ex, ex.inputs(seed=s, **dims),
                                                      in_place_counts=False).ok
                if scale != 1.0 and s != seed + k and not overflows:
                    continue  # the variant's large inputs judge stability only (see above)
                if overflows:
                    context += (" Your function is right on ordinary inputs but not on large "
                                "ones: it overflows. Use a stable formula (course_pkg's sigmoid "
                                "and np.tanh are stable; shift softmax scores by their maximum).")
                _fail(verdict, context)

def check_inputs_unchanged(fn: Callable[..., Any], ex: Exercise, seed: int = 0,
                           **dims: int) -> None:
    """Assert that ``fn`` does not modify its arguments in place."""
    for s in _seeds(seed):
        _check_inputs_unchanged(fn, ex, s, **dims)


def _check_inputs_unchanged(fn: Callable[..., Any], ex: Exercise, seed: int,
                            **dims: int) -> None:
    inputs = ex.inputs(seed=seed, **dims)
    student = run(fn, inputs, ex.isolate)
    if student.error is None and not student.modified:
        return
    _fail(diagnose(fn, ex, inputs), "Inputs-unchanged check:")
