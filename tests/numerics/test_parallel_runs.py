"""Independent training runs in worker processes give the serial results, bit for bit.

``COURSE_EXPERIMENT_WORKERS`` (set by ``scripts/execute_book.py`` for the book
build) sends the runs of ``agreement_by_distance``, ``date_accuracy_by_length``
and ``reverse_accuracy_by_length`` to spawned processes; nothing the book
prints may change.
"""

from __future__ import annotations

import os

import pytest

from course_pkg.experiments import _map_runs, _workers, agreement, attention_dates, bottleneck

TINY_AGREEMENT = {"cells": ("rnn", "lstm", "gru"), "distances": (1, 3), "seed": 0,
                  "H": 4, "steps": 6, "n_seeds": 2}


def _serial_and_parallel(monkeypatch, run):
    monkeypatch.setenv("COURSE_EXPERIMENT_WORKERS", "1")
    serial = run()
    monkeypatch.setenv("COURSE_EXPERIMENT_WORKERS", "2")
    parallel = run()
    return serial, parallel


def test_agreement_by_distance_same_in_two_processes(monkeypatch):
    serial, parallel = _serial_and_parallel(
        monkeypatch, lambda: agreement.agreement_by_distance(**TINY_AGREEMENT))
    assert parallel == serial  # floats compared exactly


def test_date_and_reverse_accuracy_same_in_two_processes(monkeypatch):
    def run():
        return (attention_dates.date_accuracy_by_length(seed=0, H=6, steps=4, n_test=30),
                bottleneck.reverse_accuracy_by_length(seed=0, H=6, steps=4, n_test=10,
                                                      lengths=(4, 6)))
    serial, parallel = _serial_and_parallel(monkeypatch, run)
    assert repr(parallel) == repr(serial)  # NaN-safe exact comparison


def test_map_runs_uses_other_processes_and_keeps_the_order(monkeypatch):
    monkeypatch.setenv("COURSE_EXPERIMENT_WORKERS", "2")
    args = [(k,) for k in range(5)]
    pids = _map_runs(os.getpid, [()] * 3)
    assert os.getpid() not in pids
    assert _map_runs(abs, [(-k,) for k, in args], cost=[1, 5, 2, 4, 3]) == list(range(5))


def test_map_runs_serial_by_default(monkeypatch):
    monkeypatch.delenv("COURSE_EXPERIMENT_WORKERS", raising=False)
    assert _workers() == 1
    assert _map_runs(os.getpid, [(), ()]) == [os.getpid()] * 2


def test_bad_worker_count_is_named(monkeypatch):
    monkeypatch.setenv("COURSE_EXPERIMENT_WORKERS", "two")
    with pytest.raises(ValueError, match="COURSE_EXPERIMENT_WORKERS must be a whole number"):
        _workers()
