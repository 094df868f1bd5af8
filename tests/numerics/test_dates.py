"""Tests for course_pkg.dates (the date-translation task), imported both from
course_pkg.dates and through the course_pkg.tasks re-exports."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

import course_pkg.dates as dates_mod
import course_pkg.tasks as tasks_mod
from course_pkg.dates import (
    DATE_FORMATS,
    date_source_vocab,
    date_target_vocab,
    date_task,
    decode_source,
    decode_target,
    encode_dates,
    format_date,
)

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


@pytest.mark.parametrize("name", [*dates_mod.__all__])
def test_date_names_have_one_home(name):
    # The date task lives in course_pkg.dates only; course_pkg.tasks shares just the
    # special symbols (its reverse task uses them too), from course_pkg._tokens.
    if name in ("BOS", "EOS", "PAD"):
        assert getattr(tasks_mod, name) == getattr(dates_mod, name)
    else:
        assert not hasattr(tasks_mod, name) and name not in tasks_mod.__all__


def test_date_helpers_round_trip():
    a = dates_mod.date_task(7, rng=11)
    b = date_task(7, rng=11)
    assert isinstance(a, dates_mod.DateTask)
    assert a.src_strings == b.src_strings
    np.testing.assert_array_equal(a.src, b.src)
    assert dates_mod.decode_target(a.tgt_out[:, 0]) == a.tgt_strings[0]
    src, mask = dates_mod.encode_dates(a.src_strings)
    np.testing.assert_array_equal(src, a.src)
    np.testing.assert_array_equal(mask, a.src_mask)
    assert dates_mod.decode_source(src[:, 1]) == a.src_strings[1]
    assert dates_mod.format_date(a.dates[0], a.formats[0]) == a.src_strings[0]


def test_source_vocab_covers_exactly_the_rendered_characters():
    # The source alphabet is a constant derived from the month/weekday names;
    # it must be exactly the set of characters the formats produce.
    chars: set[str] = set()
    day = datetime.date(1999, 1, 1)
    for _ in range(731):  # two years: every month, weekday, day number, digit
        for render in DATE_FORMATS.values():
            chars.update(render(day))
        day += datetime.timedelta(days=1)
    assert date_source_vocab() == ["<pad>", *sorted(chars)]


def test_date_constants_are_read_only_and_vocab_calls_independent():
    with pytest.raises(TypeError):
        DATE_FORMATS["yyyy"] = lambda d: str(d.year)  # type: ignore[index]
    v = date_source_vocab()
    v.append("!")
    assert "!" not in date_source_vocab()
    t = date_target_vocab()
    t.clear()
    assert len(date_target_vocab()) == 14
