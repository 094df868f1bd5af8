"""Tests for course_pkg.tasks: shapes, dtypes, seeding, and labels that match the data.

The date task lives in course_pkg.dates and is tested in test_dates.py (which also
checks that course_pkg.tasks does not re-export it).
"""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg.tasks import (
    DISTRACTORS,
    SUBJECTS,
    VERBS,
    adding_task,
    agreement_batches,
    agreement_task,
    copy_task,
    one_hot,
)

# --------------------------------------------------------------------------- agreement


def test_agreement_shapes_and_dtypes():
    task = agreement_task(50, 7, rng=0)
    T, V = 9, len(task.vocab)
    assert task.tokens.shape == (T, 50) and task.tokens.dtype == np.int64
    assert task.X.shape == (T, 50, V) and task.X.dtype == np.float64
    assert task.y.shape == (50,) and task.y.dtype == np.int64
    assert len(task.sentences) == 50 and task.distance == 7
    np.testing.assert_array_equal(task.X.argmax(-1), task.tokens)
    np.testing.assert_array_equal(task.X.sum(-1), 1.0)
    assert len(set(task.vocab)) == V


def test_agreement_seeded():
    a = agreement_task(20, 5, rng=3)
    b = agreement_task(20, 5, rng=np.random.default_rng(3))
    c = agreement_task(20, 5, rng=4)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.sentences == b.sentences
    assert a.sentences != c.sentences


def test_agreement_labels_match_sentences():
    task = agreement_task(300, 6, rng=1)
    singular = {s for s, _ in SUBJECTS}
    plural = {p for _, p in SUBJECTS}
    for j, sentence in enumerate(task.sentences):
        words = sentence.split()
        assert words[0] == "the"
        assert words[-1] == VERBS[task.y[j]]
        assert (words[1] in plural) == bool(task.y[j])
        assert (words[1] in singular) == (not task.y[j])
        # The tokens spell the sentence without its verb.
        assert [task.vocab[k] for k in task.tokens[:, j]] == words[:-1]
    # Both labels occur, roughly balanced.
    assert 0.4 < task.y.mean() < 0.6


def test_agreement_distractors_not_solvable_from_last_token():
    task = agreement_task(4000, 5, rng=2)
    sing_d = {s for s, _ in DISTRACTORS}
    plur_d = {p for _, p in DISTRACTORS}
    assert 0.4 < task.distractor.mean() < 0.6
    for j in np.flatnonzero(task.distractor)[:200]:
        words = task.sentences[j].split()[2:-1]
        nouns = [w for w in words if w in sing_d | plur_d]
        assert len(nouns) == 1
        assert (nouns[0] in plur_d) == (bool(task.y[j]) != bool(task.attractor[j]))
    # The last token carries (almost) no information about the label: the best
    # rule "last token -> majority label" is near chance.
    last = task.tokens[-1]
    correct = 0
    for tok in np.unique(last):
        ys = task.y[last == tok]
        correct += max(ys.sum(), len(ys) - ys.sum())
    assert correct / len(last) < 0.6
    # Half the distractors are attractors (opposite number) by default.
    assert 0.4 < task.attractor[task.distractor].mean() < 0.6


def test_agreement_options():
    none = agreement_task(100, 6, rng=0, distractor_prob=0.0)
    assert not none.distractor.any()
    allatt = agreement_task(100, 6, rng=0, distractor_prob=1.0, attractor_prob=1.0)
    assert allatt.distractor.all() and allatt.attractor.all()
    short = agreement_task(100, 2, rng=0, distractor_prob=1.0)  # no room for a phrase
    assert not short.distractor.any()
    zero = agreement_task(4, 0, rng=0)
    assert zero.tokens.shape == (2, 4)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0, 3), {}, "n must be"),
        ((5, -1), {}, "distance"),
        ((5, 3), {"distractor_prob": 2}, "prob"),
    ],
)
def test_agreement_bad_args(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        agreement_task(*args, **kwargs)


def test_agreement_batches_for_train():
    batches = agreement_batches(8, 4, n_batches=3)
    a = batches(0, np.random.default_rng(0))
    b = batches(0, np.random.default_rng(0))
    assert len(a) == 3 and a[0].X.shape == (6, 8, len(a[0].vocab))
    np.testing.assert_array_equal(a[2].tokens, b[2].tokens)
    assert not np.array_equal(a[0].tokens, a[1].tokens)


# --------------------------------------------------------------------------- adding


def test_adding_task():
    X, y = adding_task(200, 30, rng=0)
    assert X.shape == (30, 200, 2) and X.dtype == np.float64
    assert y.shape == (200,) and y.dtype == np.float64
    markers = X[:, :, 1]
    np.testing.assert_array_equal(markers.sum(0), 2.0)
    assert set(np.unique(markers)) == {0.0, 1.0}
    np.testing.assert_array_equal(markers[:15].sum(0), 1.0)  # one per half
    np.testing.assert_allclose(y, (X[:, :, 0] * markers).sum(0), rtol=1e-15)
    assert np.all((X[:, :, 0] >= 0) & (X[:, :, 0] < 1))
    X2, y2 = adding_task(200, 30, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    with pytest.raises(ValueError, match="T must be"):
        adding_task(3, 1)


# --------------------------------------------------------------------------- copy


def test_copy_task():
    task = copy_task(10, 5, 3, 4, rng=0)
    L = 2 * 5 + 3
    assert task.src.shape == task.targets.shape == task.mask.shape == (L, 10)
    assert task.src.dtype == task.targets.dtype == np.int64 and task.mask.dtype == bool
    assert task.X.shape == (L, 10, 6) and task.V == 6
    np.testing.assert_array_equal(task.X.argmax(-1), task.src)
    np.testing.assert_array_equal(task.src[:5], task.symbols)
    np.testing.assert_array_equal(task.targets[-5:], task.symbols)
    np.testing.assert_array_equal(task.targets[:-5], task.blank)
    np.testing.assert_array_equal(task.src[5 + 3 - 1], task.go)
    assert (task.src[5:] != task.go).sum() == (L - 5 - 1) * 10
    assert task.mask.sum() == 5 * 10 and task.mask[-5:].all()
    assert task.symbols.min() >= 1 and task.symbols.max() <= 4
    again = copy_task(10, 5, 3, 4, rng=0)
    np.testing.assert_array_equal(task.src, again.src)
    with pytest.raises(ValueError, match="delay"):
        copy_task(2, 3, 0)


def test_one_hot_checks():
    np.testing.assert_array_equal(one_hot(np.array([1, 0]), 2), [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="lie in"):
        one_hot(np.array([2]), 2)
    with pytest.raises(ValueError, match="integers"):
        one_hot(np.array([0.5]), 2)
