"""Tests for beam search (course_pkg.seq2seq.beam_search) and its hand-built trap."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from course_pkg.experiments.beam import TRAP_TABLE, TRAP_VOCAB, greedy_trap
from course_pkg.seq2seq import (
    ATTENTIONS,
    beam_search,
    greedy_decode,
    init_seq2seq_params,
    sequence_log_prob,
)

V_SRC, V_TGT, E, H = 7, 5, 3, 4


def _model(seed, cell="lstm", attention=None, scale=1.5):
    rng = np.random.default_rng(seed)
    shapes = init_seq2seq_params(V_SRC, V_TGT, E, H, 0, cell, attention)
    params = {k: rng.normal(size=v.shape) * scale for k, v in shapes.items()}
    S = 4
    src = rng.integers(0, V_SRC, size=(S, 1))
    return params, src, np.ones((S, 1), dtype=bool)


def _cut_at(tokens, eos):
    hits = np.flatnonzero(tokens == eos)
    return tokens if hits.size == 0 else tokens[: hits[0] + 1]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("eos", [None, 0])
def test_beam_width_one_is_greedy(cell, attention, eos):
    for seed in range(4):
        params, src, mask = _model(seed, cell, attention)
        greedy, _ = greedy_decode(src, mask, params, cell, attention, bos=1, max_len=7)
        beam, log_prob = beam_search(src, mask, params, cell, attention, bos=1, eos=eos,
                                     max_len=7, beam_width=1)
        expected = greedy[:, 0] if eos is None else _cut_at(greedy[:, 0], eos)
        np.testing.assert_array_equal(beam, expected)
        assert log_prob == pytest.approx(
            sequence_log_prob(src, mask, beam, params, cell, attention, bos=1), abs=1e-10)


@pytest.mark.parametrize("attention", [None, "additive"])
def test_full_width_beam_finds_the_most_probable_sequence(attention):
    """Without early stop and a beam as wide as all sequences, beam search is exhaustive."""
    L = 3
    params, src, mask = _model(11, "lstm", attention)
    everything = [np.array(y) for y in itertools.product(range(V_TGT), repeat=L)]
    log_probs = [sequence_log_prob(src, mask, y, params, "lstm", attention, bos=1)
                 for y in everything]
    assert np.isclose(np.exp(log_probs).sum(), 1.0)        # a distribution over V^L sequences
    tokens, log_prob = beam_search(src, mask, params, "lstm", attention, bos=1, eos=None,
                                   max_len=L, beam_width=V_TGT ** L)
    np.testing.assert_array_equal(tokens, everything[int(np.argmax(log_probs))])
    assert log_prob == pytest.approx(max(log_probs), abs=1e-10)


def test_trap_greedy_loses_to_beam():
    params, src, mask = greedy_trap()
    eos, bos = TRAP_VOCAB.index("<eos>"), TRAP_VOCAB.index("<bos>")
    greedy, _ = greedy_decode(src, mask, params, "lstm", None, bos=bos, max_len=4)
    greedy = _cut_at(greedy[:, 0], eos)
    greedy_lp = sequence_log_prob(src, mask, greedy, params, bos=bos)
    tokens, beam_lp = beam_search(src, mask, params, bos=bos, eos=eos, max_len=4, beam_width=2)
    assert [TRAP_VOCAB[t] for t in greedy] == ["a", "<eos>"]
    assert [TRAP_VOCAB[t] for t in tokens] == ["b", "<eos>"]
    assert beam_lp > greedy_lp + 0.5                        # strictly (and clearly) better
    # the model reproduces its table: p(a, eos) = 0.55 * 0.34, p(b, eos) = 0.40 * 0.90
    table = np.asarray(TRAP_TABLE) / np.sum(TRAP_TABLE, axis=1, keepdims=True)
    assert np.exp(greedy_lp) == pytest.approx(table[bos, 2] * table[2, eos], rel=1e-6)
    assert np.exp(beam_lp) == pytest.approx(table[bos, 3] * table[3, eos], rel=1e-6)


def test_length_normalisation_changes_the_ranking():
    """A long, likely-per-token hypothesis beats a short one only once lengths are normalised."""
    table = np.array([
        [0.25, 1e-6, 0.375, 0.375],
        [0.48, 1e-6, 0.52, 1e-6],       # after <bos>: stop (0.48) or "a" (0.52)
        [0.05, 1e-6, 0.95, 1e-6],       # after "a": "a" again, almost surely
        [0.25, 1e-6, 0.375, 0.375],
    ])
    params, src, mask = greedy_trap(table)
    short, _ = beam_search(src, mask, params, eos=0, max_len=4, beam_width=2, length_alpha=0.0)
    long_, _ = beam_search(src, mask, params, eos=0, max_len=4, beam_width=2, length_alpha=1.0)
    assert short.tolist() == [0]
    assert long_.size > 1


def test_beam_search_bad_input():
    params, src, mask = _model(0)
    args = dict(src_mask=mask, params=params)
    with pytest.raises(ValueError, match="one sequence"):
        beam_search(np.repeat(src, 2, axis=1), np.repeat(mask, 2, axis=1), params)
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(src, **args, beam_width=0)
    with pytest.raises(ValueError, match="eos"):
        beam_search(src, **args, eos=V_TGT)
    with pytest.raises(ValueError, match="bos"):
        beam_search(src, **args, bos=-1)
    with pytest.raises(ValueError, match="max_len"):
        beam_search(src, **args, max_len=0)
    with pytest.raises(ValueError, match="length_alpha"):
        beam_search(src, **args, length_alpha=-1.0)
    with pytest.raises(ValueError, match="tokens"):
        sequence_log_prob(src, mask, np.array([], dtype=int), params)
    with pytest.raises(ValueError, match="one sequence"):
        sequence_log_prob(np.repeat(src, 2, axis=1), np.repeat(mask, 2, axis=1),
                          np.array([1]), params)
    with pytest.raises(ValueError, match="square"):
        greedy_trap(np.ones((2, 3)))
    with pytest.raises(ValueError, match="positive"):
        greedy_trap(np.zeros((3, 3)))
