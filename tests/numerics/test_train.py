"""Tests for course_pkg.train: convergence, history, divergence, progress bar."""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg.train import TrainingDiverged, train

W_TRUE = np.array([[1.0], [-2.0], [0.5]])


def regression_batches(rng, n_batches=4, B=32):
    out = []
    for _ in range(n_batches):
        X = rng.normal(size=(B, 3))
        out.append((X, X @ W_TRUE + 0.3))
    return out


def linreg(params, batch):
    X, y = batch
    r = X @ params["W"] + params["b"] - y  # (B, 1)
    grads = {"W": 2 * X.T @ r / len(y), "b": 2 * r.mean(axis=0)}
    return float(np.mean(r**2)), grads


def fresh():
    return {"W": np.zeros((3, 1)), "b": np.zeros(1)}


@pytest.mark.parametrize(("optimizer", "lr", "epochs"), [("sgd", 0.1, 50), ("adam", 0.05, 150)])
def test_linear_regression_converges(rng, optimizer, lr, epochs):
    params = fresh()
    out, hist = train(linreg, params, regression_batches(rng), optimizer=optimizer, lr=lr,
                      epochs=epochs, progress=False)
    np.testing.assert_allclose(out["W"], W_TRUE, atol=1e-3)
    np.testing.assert_allclose(out["b"], [0.3], atol=1e-3)
    assert hist["loss"][-1] < 1e-5 < hist["loss"][0]
    assert len(hist["loss"]) == len(hist["grad_norm"]) == len(hist["epoch"]) == 4 * epochs
    assert len(hist["epoch_loss"]) == epochs
    assert hist["epoch"][0] == 0 and hist["epoch"][-1] == epochs - 1
    # The caller's dict and arrays are untouched.
    assert not params["W"].any() and not params["b"].any()
    assert out["W"] is not params["W"]


def test_callable_batches_and_seed():
    calls = []

    def batches(epoch, rng):
        calls.append(epoch)
        return regression_batches(rng, n_batches=2)

    _, h1 = train(linreg, fresh(), batches, epochs=3, seed=4, progress=False)
    _, h2 = train(linreg, fresh(), batches, epochs=3, seed=4, progress=False)
    _, h3 = train(linreg, fresh(), batches, epochs=3, seed=5, progress=False)
    assert calls == [0, 1, 2] * 3
    assert h1["loss"] == h2["loss"]
    assert h1["loss"] != h3["loss"]


def test_grad_norm_logged_before_clipping(rng):
    batches = regression_batches(rng, n_batches=1)
    _, full = linreg(fresh(), batches[0])
    expected = np.sqrt(sum(np.sum(g**2) for g in full.values()))
    out, hist = train(linreg, fresh(), batches, optimizer="sgd", lr=0.01, clip=0.1,
                      progress=False)
    assert hist["grad_norm"][0] == pytest.approx(expected, rel=1e-12)
    assert expected > 0.1
    # The step taken was the clipped one: |delta theta| = lr * clip.
    step = np.sqrt(np.sum(out["W"] ** 2) + np.sum(out["b"] ** 2))
    assert step == pytest.approx(0.01 * 0.1, rel=1e-10)


def test_eval_fn_once_per_epoch(rng):
    seen = []

    def eval_fn(params):
        seen.append(params["W"].copy())
        return {"accuracy": 0.5, "loss": 1.0}

    _, hist = train(linreg, fresh(), regression_batches(rng), epochs=3, eval_fn=eval_fn,
                    progress=False)
    assert len(seen) == 3 and len(hist["eval"]) == 3
    assert hist["accuracy"] == [0.5] * 3
    assert hist["eval_loss"] == [1.0] * 3  # "loss" is the step loss; not overwritten
    assert len(hist["loss"]) == 12

    _, hist = train(linreg, fresh(), regression_batches(rng), epochs=2,
                    eval_fn=lambda p: 0.25, progress=False)
    assert hist["eval"] == [0.25, 0.25]


def test_nan_loss_stops_with_history(rng):
    batches = regression_batches(rng, n_batches=5)
    calls = {"n": 0}

    def flaky(params, batch):
        calls["n"] += 1
        loss, grads = linreg(params, batch)
        return (np.nan if calls["n"] == 7 else loss), grads

    params = fresh()
    with pytest.raises(TrainingDiverged) as info:
        train(flaky, params, batches, optimizer="sgd", lr=0.01, epochs=3, progress=False)
    err = info.value
    assert isinstance(err, ValueError)
    msg = str(err)
    assert "step 7" in msg and "epoch 1" in msg
    assert "clip" in msg and "smaller learning rate" in msg
    assert err.step == 7
    assert len(err.history["loss"]) == 6 and len(err.history["grad_norm"]) == 6
    assert np.all(np.isfinite(err.history["loss"]))
    assert set(err.params) == {"W", "b"}
    assert not params["W"].any()


def test_real_divergence_is_caught(rng):
    # SGD with a learning rate far above 2 / curvature blows up; the loop must
    # stop with TrainingDiverged before numpy overflows (no RuntimeWarning).
    def quad(params, batch):
        x = params["x"]
        with np.errstate(over="ignore", invalid="ignore"):
            loss = float(np.sum(x**2))
            return loss, {"x": 2 * x}

    with pytest.raises(TrainingDiverged) as info:
        train(quad, {"x": np.ones(2)}, [None], optimizer="sgd", lr=10.0, epochs=2000,
              progress=False)
    assert info.value.history["loss"][-1] > 1e100


def test_nan_gradient_stops(rng):
    def bad_grads(params, batch):
        return 1.0, {"W": np.full((3, 1), np.nan), "b": np.zeros(1)}

    with pytest.raises(TrainingDiverged, match=r"grads\['W'\]"):
        train(bad_grads, fresh(), [None], progress=False)


def test_progress_false_prints_nothing(rng, capsys):
    train(linreg, fresh(), regression_batches(rng), epochs=2, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_progress_true_shows_bar(rng, capsys):
    train(linreg, fresh(), regression_batches(rng), epochs=2, progress=True)
    assert "8/8" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"epochs": 0}, "epochs"),
        ({"clip": -1.0}, "clip"),
        ({"optimizer": "sgd", "beta1": 0.5}, "sgd takes no extra options"),
    ],
)
def test_bad_arguments(rng, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train(linreg, fresh(), regression_batches(rng), progress=False, **kwargs)


def test_generator_batches_rejected(rng):
    gen = iter(regression_batches(rng))
    with pytest.raises(ValueError, match="generator would be used up"):
        train(linreg, fresh(), gen, progress=False)


def test_bad_params():
    with pytest.raises(ValueError, match="params must be a non-empty dict"):
        train(linreg, {}, [None], progress=False)
    with pytest.raises(ValueError, match="float64"):
        train(linreg, {"W": np.zeros((3, 1), dtype=int)}, [None], progress=False)


@pytest.mark.parametrize("module", ["optim", "init", "train", "tasks"])
def test_docstring_examples(module):
    """The Examples sections of the new modules run and print what they claim."""
    import doctest
    import importlib

    mod = importlib.import_module(f"course_pkg.{module}")
    result = doctest.testmod(mod, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
