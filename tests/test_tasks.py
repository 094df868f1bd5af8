"""Tests for course_pkg.tasks: shapes, dtypes, seeding, and labels that match the data."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from course_pkg.tasks import (
    DATE_FORMATS,
    DISTRACTORS,
    SUBJECTS,
    VERBS,
    adding_task,
    agreement_batches,
    agreement_task,
    copy_task,
    date_source_vocab,
    date_target_vocab,
    date_task,
    decode_source,
    decode_target,
    encode_dates,
    format_date,
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


# --------------------------------------------------------------------------- dates


def test_date_examples_from_the_brief():
    d = datetime.date(2026, 11, 23)
    rendered = {format_date(d, f) for f in DATE_FORMATS}
    for s in ["23 Nov 2026", "23 November 2026", "Monday, 23 November 2026", "11/23/2026",
              "23.11.26", "November 23, 2026", "Mon 23 Nov 2026",
              "Monday, the 23rd of November 2026"]:
        assert s in rendered
    with pytest.raises(ValueError, match="unknown date format"):
        format_date(d, "yyyy")


def test_date_task_shapes_and_round_trip():
    task = date_task(200, rng=0)
    S = max(len(s) for s in task.src_strings)
    assert task.src.shape == task.src_mask.shape == (S, 200)
    assert task.src.dtype == np.int64 and task.src_mask.dtype == bool
    assert task.tgt_in.shape == task.tgt_out.shape == (11, 200)
    assert task.tgt_in.dtype == task.tgt_out.dtype == np.int64
    assert task.src_vocab[0] == task.tgt_vocab[0] == "<pad>"
    assert (task.tgt_in[0] == task.bos).all() and (task.tgt_out[-1] == task.eos).all()
    np.testing.assert_array_equal(task.tgt_in[1:], task.tgt_out[:-1])  # teacher forcing
    np.testing.assert_array_equal(task.src_lengths, [len(s) for s in task.src_strings])
    for j in range(200):
        assert task.decode_target(task.tgt_out[:, j]) == task.tgt_strings[j]
        assert decode_target(task.tgt_in[:, j]) == task.tgt_strings[j]
        assert decode_source(task.src[:, j]) == task.src_strings[j]
        # padding only at the end, mask = real characters
        n = len(task.src_strings[j])
        assert task.src_mask[:n, j].all() and not task.src_mask[n:, j].any()
        assert (task.src[n:, j] == 0).all() and (task.src[:n, j] != 0).all()
        # A real calendar date, in range, rendered from its own format.
        date = datetime.date.fromisoformat(task.tgt_strings[j])
        assert date == task.dates[j] and 1950 <= date.year <= 2049
        assert format_date(date, task.formats[j]) == task.src_strings[j]


def test_date_task_variety_and_lengths():
    task = date_task(500, rng=1)
    assert set(task.formats) == set(DATE_FORMATS)
    lengths = task.src_lengths
    assert lengths.min() == 8 and lengths.max() > 30
    assert len(set(task.tgt_strings)) > 450
    # Leap days are real days and can appear.
    feb29 = date_task(20000, rng=2, formats=["d MMM yyyy"], min_year=2000, max_year=2003)
    assert "29 Feb 2000" in feb29.src_strings and "2000-02-29" in feb29.tgt_strings
    assert not any(s.startswith("29 Feb 200") and not s.endswith("2000")
                   for s in feb29.src_strings)


def test_date_task_seeded():
    a, b, c = date_task(30, rng=5), date_task(30, rng=np.random.default_rng(5)), date_task(30, 6)
    assert a.src_strings == b.src_strings
    np.testing.assert_array_equal(a.src, b.src)
    np.testing.assert_array_equal(a.tgt_out, b.tgt_out)
    assert a.src_strings != c.src_strings


def test_date_vocab_fixed():
    short = date_task(5, rng=0, formats=["dd.MM.yy"])
    long = date_task(5, rng=0)
    assert short.src_vocab == long.src_vocab == date_source_vocab()
    assert date_target_vocab() == ["<pad>", "<bos>", "<eos>", "-", *"0123456789"]


def test_two_digit_year_is_unambiguous():
    task = date_task(400, rng=3, formats=["dd.MM.yy"])
    years = {}
    for s, d in zip(task.src_strings, task.dates):
        years.setdefault(s[-2:], set()).add(d.year)
    assert all(len(v) == 1 for v in years.values())
    with pytest.raises(ValueError, match="ambiguous"):
        date_task(5, formats=["dd.MM.yy"], min_year=1900, max_year=2049)
    wide = date_task(20, rng=0, formats=["d MMMM yyyy"], min_year=1, max_year=9999)
    assert all(0 < d.year < 10000 for d in wide.dates)


def test_encode_dates_errors():
    src, mask = encode_dates(["1 May 2000", "12/01/1999"])
    assert src.shape == (10, 2) and mask[:, 0].all() and mask[:, 1].all()
    with pytest.raises(ValueError, match="outside the source vocabulary"):
        encode_dates(["1 May 2000!"])
    with pytest.raises(ValueError, match="list of str"):
        encode_dates("1 May 2000")
    with pytest.raises(ValueError, match="1-D int"):
        decode_target(np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="unknown date format"):
        date_task(3, formats=["dd/MM/yyyy"])


def test_decode_target_stops_at_eos():
    ids = {c: k for k, c in enumerate(date_target_vocab())}
    toks = np.array([ids["<bos>"], ids["1"], ids["-"], ids["<eos>"], ids["9"], ids["<pad>"]])
    assert decode_target(toks) == "1-"


def test_one_hot_checks():
    np.testing.assert_array_equal(one_hot(np.array([1, 0]), 2), [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="lie in"):
        one_hot(np.array([2]), 2)
    with pytest.raises(ValueError, match="integers"):
        one_hot(np.array([0.5]), 2)
