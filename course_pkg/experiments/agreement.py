r"""Subject-verb agreement across a distance: RNN vs LSTM vs GRU.

The cat/cats example of chapter 2 made into an experiment (after Linzen et
al. 2016): a network reads "the cats quietly near the house today ..." and
must say, at the last word, whether the verb is "was" or "were". The only
evidence is the subject, ``distance + 1`` words back; a distractor noun of
random number can sit in between.

* :func:`train_agreement` trains one cell (Adam, a fixed training set of a
  few thousand sentences) and reports held-out accuracy per epoch.
* :func:`agreement_by_distance` does that for every cell and distance with
  the same hidden size, for the figure of chapter 8.
* :func:`gate_activations` and :func:`number_units` look inside a trained
  LSTM for chapter 7's gate heatmaps.

Model: the cell reads one-hot words; a linear layer on the last hidden state
gives two logits, trained with softmax cross-entropy.

References
----------
Linzen, T., Dupoux, E. and Goldberg, Y. (2016). Assessing the ability of
LSTMs to learn syntax-sensitive dependencies. TACL 4.
Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory.
Cho, K. et al. (2014). Learning phrase representations using RNN
encoder-decoder for statistical machine translation. EMNLP.
Chung, J. et al. (2014). Empirical evaluation of gated recurrent neural
networks on sequence modeling. arXiv:1412.3555.
Bengio, Y., Simard, P. and Frasconi, P. (1994). Learning long-term
dependencies with gradient descent is difficult. IEEE Trans. Neural Networks.
Jozefowicz, R., Zaremba, W. and Sutskever, I. (2015). An empirical
exploration of recurrent network architectures. ICML.
Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training
recurrent neural networks. ICML.
Tallec, C. and Ollivier, Y. (2018). Can recurrent neural networks warp time?
ICLR (chrono initialisation of gate biases).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .._checks import CheckedParams, check_count
from ..cells import CELLS, cell_sizes, get_cell, param_shapes, zero_state
from ..losses import softmax_cross_entropy
from ..lstm import lstm_forward
from ..tasks import VERBS, agreement_task, one_hot
from ..train import train
from . import _map_runs, single_threaded_blas
from .gradient_flow import _check_cell, init_cell

__all__ = [
    "DEFAULT_DISTANCES",
    "AgreementModel",
    "agreement_forward",
    "agreement_loss_and_grads",
    "agreement_accuracy",
    "train_agreement",
    "agreement_by_distance",
    "gate_activations",
    "number_units",
]

#: Distances of the book's figure.
DEFAULT_DISTANCES = (5, 10, 20, 30, 40)


@dataclass(frozen=True, eq=False)
class AgreementModel(CheckedParams):
    """An agreement classifier: which cell it is, and its parameters.

    Attributes
    ----------
    cell : {"rnn", "lstm", "gru"}
        The recurrent cell (the GRU is the reset-after variant), looked up in
        :data:`course_pkg.cells.CELLS`; never guessed from the parameter keys.
    params : mapping of str -> ndarray
        The cell's parameters plus ``W_out`` (H, 2) and ``b_out`` (2,),
        stored as a read-only mapping (the arrays themselves are shared).

    The model is also a read-only mapping over ``params`` (``model["W_out"]``,
    ``for key in model``).
    """

    cell: str
    params: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        _check_cell(self.cell)
        shapes = {**param_shapes(self.cell, input_dim="V"),
                  "W_out": ("H", 2), "b_out": (2,)}
        self._freeze_params(shapes)


def _check_model(model: Any) -> AgreementModel:
    if not isinstance(model, AgreementModel):
        raise ValueError(
            "model must be an AgreementModel (from train_agreement, or "
            f"AgreementModel(cell, params) for a parameter dict); got {type(model).__name__}."
        )
    return model


def _core(model: AgreementModel) -> dict[str, np.ndarray]:
    return {k: v for k, v in model.params.items() if k not in ("W_out", "b_out")}


def agreement_forward(model: AgreementModel, X: np.ndarray) -> tuple[np.ndarray, dict]:
    r"""Logits for "was"/"were" after reading a batch of sentences.

    Parameters
    ----------
    model : AgreementModel
        Its cell, and the cell parameters plus ``W_out`` (H, 2) and ``b_out`` (2,).
    X : ndarray of shape (T, N, V)
        One-hot sentences (``AgreementTask.X``).

    Returns
    -------
    logits : ndarray of shape (N, 2)
    cache : dict
        ``"cell"``, ``"hs"`` (T, N, H), the cell's own cache (``"inner"``;
        for the LSTM and GRU its ``"gates"``).

    Notes
    -----
    :math:`\text{logits} = h_T W_{out} + b_{out}`.

    See Also
    --------
    agreement_loss_and_grads
    Book chapter 7, "The whole cell, through time" (the agreement classifier).
    """
    cell = _check_model(model).cell
    N = X.shape[1]
    H = model["W_out"].shape[0]
    # every state starts at zero (for the LSTM c0 = h0 = 0)
    state0 = zero_state(cell, N, H, X.dtype)
    hs, _, inner = get_cell(cell).forward(X, state0, _core(model))
    logits = hs[-1] @ model["W_out"] + model["b_out"]  # (N, H) @ (H, 2) -> (N, 2)
    return logits, {"cell": cell, "hs": hs, "inner": inner}


def agreement_loss_and_grads(
    model: AgreementModel, batch: Any
) -> tuple[float, dict[str, np.ndarray]]:
    """Softmax cross-entropy on one :class:`~course_pkg.tasks.AgreementTask` and its gradients.

    Parameters
    ----------
    model : AgreementModel
        As for :func:`agreement_forward`.
    batch : AgreementTask
        Uses ``batch.X`` (T, N, V) and ``batch.y`` (N,).

    Returns
    -------
    loss : float
    grads : dict of ndarray
        Same keys and shapes as ``model.params``.

    See Also
    --------
    agreement_forward, course_pkg.train.train
    Book chapter 7, "The whole cell, through time".
    """
    logits, cache = agreement_forward(model, batch.X)
    loss, dlogits = softmax_cross_entropy(logits, batch.y)  # dlogits (N, 2)
    hs = cache["hs"]
    dhs = np.zeros_like(hs)
    dhs[-1] = dlogits @ model["W_out"].T  # (N, 2) @ (2, H) -> (N, H)
    _, _, grads = get_cell(cache["cell"]).backward(dhs, cache["inner"])
    grads = dict(grads)
    grads["W_out"] = hs[-1].T @ dlogits  # (H, 2)
    grads["b_out"] = dlogits.sum(axis=0)  # (2,)
    return loss, grads


def agreement_accuracy(model: AgreementModel, task: Any) -> float:
    """Fraction of ``task``'s sentences whose verb number is predicted correctly.

    Parameters
    ----------
    model : AgreementModel
        As for :func:`agreement_forward`.
    task : AgreementTask
        Uses ``task.X`` (T, N, V) and ``task.y`` (N,).

    Returns
    -------
    float
        In [0, 1]; 0.5 is chance.

    See Also
    --------
    train_agreement
    Book chapter 8, "The GRU" (accuracy by distance for RNN, LSTM and GRU).
    """
    logits, _ = agreement_forward(model, task.X)
    return float(np.mean(np.argmax(logits, axis=1) == task.y))


@single_threaded_blas
def train_agreement(
    cell: str = "lstm",
    distance: int = 10,
    seed: int = 0,
    H: int = 20,
    steps: int = 400,
    *,
    n_train: int = 3200,
    n_test: int = 1000,
    batch_size: int = 32,
    lr: float = 0.01,
    clip: float | None = 5.0,
    forget_bias: float = 1.0,
    update_bias: float = 0.0,
) -> tuple[AgreementModel, dict[str, list], Any]:
    r"""Train one cell on the agreement task at one distance.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    distance : int
        Words between the subject and the verb.
    seed : int
        Seeds the weights, the training and test sentences and the shuffling.
    H : int, default 20
        Hidden size (the same for every cell in the book's comparison).
    steps : int, default 400
        Adam steps; the training set is cycled (reshuffled each epoch).
    n_train, n_test : int
        Sizes of the training set and of the held-out test set.
    batch_size : int
    lr : float, default 0.01
        Adam learning rate.
    clip : float or None, default 5.0
        Global-norm gradient clipping (a safety net; rarely active).
    forget_bias : float, default 1.0
        Added to the LSTM's forget-gate bias at initialisation (ignored by
        the RNN and the GRU). 1 is the a priori choice of Jozefowicz et al.
        (2015); it gives :math:`f \approx \sigma(1) \approx 0.73`, a memory
        time of about :math:`1 / (1 - f) \approx 4` words. Larger values
        (e.g. :math:`\ln T`, the "chrono" idea of Tallec and Ollivier 2018)
        start the memory long enough for the distance; see the notes of
        :func:`agreement_by_distance`.
    update_bias : float, default 0.0
        Added to the GRU's update-gate bias ``b_z`` at initialisation
        (ignored by the RNN and the LSTM). With :math:`h_t = (1 - z_t)
        \odot n_t + z_t \odot h_{t-1}` a positive bias starts
        :math:`z \approx \sigma(b)` near 1, the GRU's counterpart of a large
        forget bias: 3 gives :math:`z \approx 0.95`, a memory time of about
        :math:`1 / (1 - z) \approx 20` words.

    Returns
    -------
    model : AgreementModel
        ``model.cell`` and ``model.params``: the trained cell parameters plus
        ``W_out`` (H, 2), ``b_out`` (2,). The LSTM starts with forget bias
        ``forget_bias``, the GRU with ``update_bias`` added to ``b_z``. The
        model reads like the parameter dict.
    history : dict of lists
        From :func:`course_pkg.train.train`: ``"loss"``, ``"grad_norm"`` per
        step; ``"accuracy"``: held-out accuracy after every epoch.
    task : AgreementTask
        The held-out test sentences (``task.vocab`` maps token ids to words).

    Raises
    ------
    ValueError
        On an unknown cell or a bad size.

    See Also
    --------
    Book chapter 7, "The whole cell, through time"; chapter 8, "The GRU".
    """
    cell = _check_cell(cell)
    distance = check_count("distance", distance, 0)
    H = check_count("H", H, 1)
    steps = check_count("steps", steps, 1)
    batch_size = check_count("batch_size", batch_size, 1)
    n_train = check_count("n_train", n_train, batch_size)
    rng = np.random.default_rng([seed, distance])
    train_task = agreement_task(n_train, distance, rng)
    test_task = agreement_task(check_count("n_test", n_test, 1), distance, rng)
    V = len(train_task.vocab)
    params = init_cell(cell, V, H, rng, forget_bias=float(forget_bias))
    if cell == "gru":
        params["b_z"] = params["b_z"] + float(update_bias)  # (H,)
    params["W_out"] = rng.uniform(-1, 1, size=(H, 2)) / np.sqrt(H)
    params["b_out"] = np.zeros(2)
    per_epoch = n_train // batch_size
    epochs = -(-steps // per_epoch)
    X_all, y_all = train_task.X, train_task.y
    done = [0]

    def batches(epoch: int, shuffle_rng: np.random.Generator) -> list:
        order = shuffle_rng.permutation(n_train)
        out = []
        for b in range(per_epoch):
            if done[0] >= steps:
                break
            idx = order[b * batch_size:(b + 1) * batch_size]
            out.append(_Batch(X_all[:, idx], y_all[idx]))
            done[0] += 1
        return out

    params, history = train(
        lambda p, batch: agreement_loss_and_grads(AgreementModel(cell, p), batch), params,
        batches, optimizer="adam", lr=lr, epochs=epochs, clip=clip, progress=False, seed=seed,
        eval_fn=lambda p: {"accuracy": agreement_accuracy(AgreementModel(cell, p), test_task)},
    )
    return AgreementModel(cell, params), history, test_task


class _Batch:
    """A minibatch with the two attributes the loss reads."""

    __slots__ = ("X", "y")

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.X = X
        self.y = y


@single_threaded_blas
def agreement_by_distance(
    cells: Sequence[str] = tuple(CELLS),
    distances: Sequence[int] = DEFAULT_DISTANCES,
    seed: int = 0,
    *,
    H: int = 20,
    steps: int = 400,
    n_seeds: int = 3,
    forget_bias: float = 1.0,
    update_bias: float = 0.0,
) -> dict:
    r"""Held-out agreement accuracy of each cell at each distance.

    Every (cell, distance) pair is trained from scratch by
    :func:`train_agreement` with the same hidden size and steps, once per
    seed ``seed, seed + 1, ..., seed + n_seeds - 1``; the accuracies are
    averaged over the seeds. (Whether a run finds the subject at all is
    close to all-or-nothing and depends on the seed at long distances, so a
    single seed gives a jagged curve.)

    Parameters
    ----------
    cells : sequence of {"rnn", "lstm", "gru"}
    distances : sequence of int
    seed : int
    H : int, default 20
    steps : int, default 400
    n_seeds : int, default 3
    forget_bias : float, default 1.0
        The LSTM's initial forget bias (see :func:`train_agreement`).
    update_bias : float, default 0.0
        Added to the GRU's initial update-gate bias (see :func:`train_agreement`).

    Returns
    -------
    dict
        ``"distances"``: list of int; ``"accuracy"``: ``{cell: list of float}``,
        the final held-out accuracy (in [0, 1]; chance is 0.5) per distance,
        averaged over the seeds; ``"per_seed"``: ``{cell: list of lists}``,
        the accuracy of every seed (outer list: distances).

    Notes
    -----
    The design is fixed a priori and identical for the three cells: hidden
    size 20, PyTorch's uniform :math:`\pm 1/\sqrt{H}` initialisation, LSTM
    forget bias 1 (Jozefowicz et al. 2015), Adam with learning rate 0.01,
    gradient clipping at global norm 5 (Pascanu et al. 2013), 400 updates of
    32 sentences drawn from the same 3200 training sentences, accuracy on
    1000 held-out sentences, seeds 0, 1, 2. Nothing is tuned per cell.

    What it shows, and why. Every run starts on the plateau at loss
    :math:`\ln 2` and either leaves it (accuracy near 1, attractor sentences
    included) or stays at chance. At initialisation the subject's influence on
    the last state over 40 words is about :math:`10^{-3}` for the LSTM (some
    forget gates near :math:`\sigma(1.2) \approx 0.77`) and about
    :math:`10^{-8}` or less for the RNN and the GRU (update gate near 0.5). Yet on the
    plateau Adam's normalised steps make the weights drift: the RNN's
    recurrent spectral radius grows from about 0.5 until, near 1, the
    subject gets through, and the RNN then forms two stable saturated states
    (spectral radius about 2) that *latch* the bit indefinitely (Bengio et
    al. 1994). The LSTM's forget gates drift the other way (mean
    :math:`f` from 0.73 to about 0.67): nothing rewards a long memory before
    the subject is found, so its memory time stays near
    :math:`1 / (1 - f) \approx 4` words and at distance 40 the subject's
    trace is about :math:`0.73^{40} \approx 10^{-5}`. With forget bias 3
    (memory time about 20 words) the same LSTM solves distance 40 with all
    three seeds, leaving the plateau after 120 to 290 updates. The gates
    give a highway only once they are open; with the standard
    initialisation they are not open wide enough for 40 words.

    See Also
    --------
    course_pkg.plotting.plot_accuracy_by_distance
    Book chapter 8, "The GRU".
    """
    for c in cells:
        _check_cell(c)
    distances = [check_count("distance", d, 0) for d in distances]
    n_seeds = check_count("n_seeds", n_seeds, 1)
    runs = [(c, d, s, H, steps, forget_bias, update_bias)
            for c in cells for d in distances for s in range(seed, seed + n_seeds)]
    # independent runs: in COURSE_EXPERIMENT_WORKERS processes if set, longest first
    finals = iter(_map_runs(_final_accuracy, runs,
                            cost=[_CELL_COST[r[0]] * (r[1] + 2) for r in runs]))
    accuracy: dict[str, list[float]] = {}
    per_seed: dict[str, list[list[float]]] = {}
    for c in cells:
        accuracy[c], per_seed[c] = [], []
        for _ in distances:
            accs = [next(finals) for _ in range(n_seeds)]
            per_seed[c].append(accs)
            accuracy[c].append(float(np.mean(accs)))
    return {"distances": distances, "accuracy": accuracy, "per_seed": per_seed}


#: Relative cost of one training step per time step (measured), to start long runs first.
_CELL_COST = MappingProxyType({"rnn": 1.0, "lstm": 5.0, "gru": 3.0})


@single_threaded_blas
def _final_accuracy(cell: str, distance: int, seed: int, H: int, steps: int,
                    forget_bias: float, update_bias: float) -> float:
    """Held-out accuracy after training one run (a worker of agreement_by_distance)."""
    _, history, _ = train_agreement(cell, distance, seed, H=H, steps=steps,
                                     forget_bias=forget_bias, update_bias=update_bias)
    return float(history["accuracy"][-1])


def _as_tokens(tokens: Any) -> np.ndarray:
    """Token ids (T,) from ids, a list of words or a sentence string."""
    if isinstance(tokens, str):
        tokens = tokens.split()
    if isinstance(tokens, np.ndarray) and np.issubdtype(tokens.dtype, np.integer):
        if tokens.ndim != 1:
            raise ValueError(
                f"tokens must be one sentence of shape (T,), got shape {tokens.shape}; "
                "pass task.tokens[:, j] for sentence j (no silent flattening)."
            )
        ids = tokens  # (T,)
    else:
        words = [str(w) for w in tokens]
        if words and words[-1] in VERBS:
            words = words[:-1]  # the network never reads the verb
        lookup = agreement_task(1, 0, 0).word_to_id
        unknown = [w for w in words if w not in lookup]
        if unknown:
            raise ValueError(f"unknown word(s) {unknown}; the vocabulary is {sorted(lookup)}.")
        ids = np.array([lookup[w] for w in words], dtype=np.int64)
    if ids.size == 0:
        raise ValueError("tokens must hold at least one word.")
    return ids


@single_threaded_blas
def gate_activations(model: AgreementModel, tokens: Any) -> dict[str, np.ndarray]:
    r"""Gate activations of a trained LSTM (or GRU) while it reads one sentence.

    Parameters
    ----------
    model : AgreementModel
        From :func:`train_agreement` with ``cell="lstm"`` (or ``"gru"``).
    tokens : ndarray of int of shape (T,), list of str, or str
        The sentence: token ids, words, or a string of words (a final "was"
        or "were" is dropped, as the network never reads the verb).

    Returns
    -------
    dict of ndarray of shape (T, H)
        LSTM: ``"f", "i", "g", "o"``; GRU: ``"z", "r", "n"``.

    Raises
    ------
    ValueError
        For RNN parameters (no gates) or an unknown word.

    See Also
    --------
    course_pkg.plotting.plot_gate_heatmap
    Book chapter 7, "The whole cell, through time".
    """
    cell = _check_model(model).cell
    if cell == "rnn":
        raise ValueError("gate_activations needs LSTM or GRU parameters; a plain RNN has no "
                         "gates.")
    ids = _as_tokens(tokens)
    V, _ = cell_sizes(cell, model.params)
    X = one_hot(ids[:, None], V)  # (T, 1, V)
    _, cache = agreement_forward(model, X)
    return {k: np.array(v[:, 0, :]) for k, v in cache["inner"]["gates"].items()}


@single_threaded_blas
def number_units(
    model: AgreementModel, task: Any, k: int = 6, state: str = "c"
) -> tuple[np.ndarray, np.ndarray]:
    r"""The hidden units whose final state best tracks the subject's number.

    Parameters
    ----------
    model : AgreementModel
        From :func:`train_agreement` with ``cell="lstm"``.
    task : AgreementTask
        Sentences to correlate over (e.g. the held-out task).
    k : int, default 6
        How many units to return.
    state : {"c", "h"}
        Correlate the cell state (the memory) or the hidden state.

    Returns
    -------
    units : int ndarray of shape (k,)
        Unit indices, strongest absolute correlation first.
    corr : ndarray of shape (H,)
        Pearson correlation of every unit's final state with ``task.y``.

    Notes
    -----
    :math:`\rho_j = \operatorname{corr}_n(s_{T,j}^{(n)}, y^{(n)})` with
    :math:`s` = ``c`` or ``h``; units with :math:`|\rho_j|` near 1 carry the
    subject's number to the verb.

    See Also
    --------
    gate_activations
    Book chapter 7, "The whole cell, through time" (gate heatmaps).
    """
    if _check_model(model).cell != "lstm":
        raise ValueError("number_units needs LSTM parameters (from train_agreement('lstm', ...)).")
    if state not in ("c", "h"):
        raise ValueError(f"state must be 'c' or 'h'; got {state!r}.")
    X = task.X
    N = X.shape[1]
    H = model["W_out"].shape[0]
    k = min(check_count("k", k, 1), H)
    h0 = np.zeros((N, H))
    hs, cs, _ = lstm_forward(X, h0, h0, _core(model))
    s = (cs if state == "c" else hs)[-1]  # (N, H)
    y = task.y.astype(float)
    sc = s - s.mean(axis=0)
    yc = y - y.mean()
    denom = np.sqrt((sc**2).sum(axis=0) * (yc**2).sum())
    corr = np.divide(sc.T @ yc, denom, out=np.zeros(H), where=denom > 0)  # (H,)
    units = np.argsort(-np.abs(corr), kind="stable")[:k]
    return units, corr
