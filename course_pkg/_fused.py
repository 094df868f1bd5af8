"""The fused gate layout shared by the sequence passes of the LSTM and the GRU.

:func:`course_pkg.lstm.lstm_forward` and :func:`course_pkg.gru.gru_forward`
stack the per-gate weights side by side, so that one product per time step
computes every gate: ``W_h`` (H, G H) reads ``h_prev``, ``W_x`` (D, G H)
reads ``x`` and ``b`` is (G H,), the gates in the order of the module's
``GATES``. Their backward passes split the stacked gradients back into one
``W_k`` (H + D, H) and one ``b_k`` (H,) per gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["fuse_gates", "split_gate_grads"]


def fuse_gates(
    params: Mapping[str, np.ndarray], gates: Sequence[str], H: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack the gate weights: ``W_h`` (H, G H), ``W_x`` (D, G H), ``b`` (G H,)."""
    W = np.concatenate([params[f"W_{g}"] for g in gates], axis=1)  # (H + D, G H)
    b = np.concatenate([params[f"b_{g}"] for g in gates])  # (G H,)
    return np.ascontiguousarray(W[:H]), np.ascontiguousarray(W[H:]), b


def split_gate_grads(
    dW_h: np.ndarray, dW_x: np.ndarray, db: np.ndarray, gates: Sequence[str], H: int
) -> dict[str, np.ndarray]:
    """Split stacked gradients (H, G H), (D, G H), (G H,) into ``W_k`` (H + D, H), ``b_k`` (H,)."""
    grads = {}
    for k, gate in enumerate(gates):
        cols = slice(k * H, (k + 1) * H)
        grads[f"W_{gate}"] = np.concatenate([dW_h[:, cols], dW_x[:, cols]], axis=0)
        grads[f"b_{gate}"] = db[cols]
    return grads
