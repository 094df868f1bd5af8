r"""RNN, LSTM and GRU on agreement with the gates started open.

Chapter 8's main comparison. :func:`~course_pkg.experiments.agreement.agreement_by_distance`
with the package's default initialisation starts the LSTM's forget gate at
:math:`\sigma(1) \approx 0.73` and the GRU's update gate at about 0.5, a
memory of a few words; at long distances the gated cells then have no open
highway to the subject and the comparison says more about the start than
about the cells. :func:`fair_agreement_comparison` starts both gated cells
with a memory of about 20 words (forget bias 3 for the LSTM, update-gate
bias 3 for the GRU, the same :math:`\sigma(3) \approx 0.95` "keep" value;
Gers et al. 2000, Jozefowicz et al. 2015, Tallec and Ollivier 2018), gives
every cell the same larger budget and reports every seed, so the spread
is visible.

References
----------
Gers, F. A., Schmidhuber, J. and Cummins, F. (2000). Learning to forget:
continual prediction with LSTM. Neural Computation 12(10).
Jozefowicz, R., Zaremba, W. and Sutskever, I. (2015). An empirical
exploration of recurrent network architectures. ICML.
Tallec, C. and Ollivier, Y. (2018). Can recurrent neural networks warp time?
ICLR.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..cells import CELLS
from . import single_threaded_blas
from .agreement import agreement_by_distance

__all__ = ["FAIR_DISTANCES", "SOLVED", "fair_agreement_comparison"]

#: Distances of chapter 8's main figure.
FAIR_DISTANCES = (10, 20, 40, 60)

#: Held-out accuracy from which a run counts as having found the subject.
SOLVED = 0.95


@single_threaded_blas
def fair_agreement_comparison(
    cells: Sequence[str] = tuple(CELLS),
    distances: Sequence[int] = FAIR_DISTANCES,
    seed: int = 0,
    *,
    n_seeds: int = 3,
    steps: int = 600,
    H: int = 20,
    forget_bias: float = 3.0,
    update_bias: float = 3.0,
) -> dict:
    r"""Agreement accuracy by distance, gates started open, every seed reported.

    Parameters
    ----------
    cells : sequence of {"rnn", "lstm", "gru"}
    distances : sequence of int, default ``FAIR_DISTANCES``
    seed : int
        Seeds ``seed .. seed + n_seeds - 1`` are trained for every pair.
    n_seeds : int, default 3
    steps : int, default 600
        Adam updates per run (the same for every cell).
    H : int, default 20
    forget_bias : float, default 3.0
        Initial LSTM forget-gate bias, :math:`f \approx \sigma(3) \approx 0.95`.
    update_bias : float, default 3.0
        Added to the GRU's update-gate bias, :math:`z \approx 0.95`.

    Returns
    -------
    dict
        The result of :func:`~course_pkg.experiments.agreement.agreement_by_distance`
        (``"distances"``, ``"accuracy"`` = mean over seeds, ``"per_seed"``)
        plus, per cell and distance, ``"min"`` and ``"max"`` over the seeds,
        ``"solved"``: how many seeds reached :data:`SOLVED`, ``"n_seeds"``
        and ``"settings"`` (the keyword arguments used).

    Notes
    -----
    A gate value :math:`a` kept for :math:`k` steps leaves :math:`a^k` of the
    stored value, so the memory time is about :math:`1 / (1 - a)`: 20 words
    for :math:`a = \sigma(3)` against 4 for :math:`\sigma(1)`. The LSTM keeps
    :math:`c_t = f_t \odot c_{t-1} + \dots` and the GRU
    :math:`h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t`, so the same bias
    on :math:`f` and on :math:`z` gives both cells the same initial memory.
    The plain RNN has no gate to start open; it gets the same budget.

    See Also
    --------
    course_pkg.experiments.agreement.agreement_by_distance
    course_pkg.plotting.plot_accuracy_by_distance
    Book chapter 8, "The GRU".
    """
    result = agreement_by_distance(
        cells, distances, seed, H=H, steps=steps, n_seeds=n_seeds,
        forget_bias=forget_bias, update_bias=update_bias)
    per_seed = {c: np.asarray(v) for c, v in result["per_seed"].items()}  # (distances, seeds)
    result["min"] = {c: a.min(axis=1).tolist() for c, a in per_seed.items()}
    result["max"] = {c: a.max(axis=1).tolist() for c, a in per_seed.items()}
    result["solved"] = {c: (a >= SOLVED).sum(axis=1).astype(int).tolist()
                        for c, a in per_seed.items()}
    result["n_seeds"] = int(n_seeds)
    result["settings"] = {"steps": int(steps), "H": int(H), "forget_bias": float(forget_bias),
                          "update_bias": float(update_bias)}
    return result
