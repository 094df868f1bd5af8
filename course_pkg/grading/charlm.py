"""Catalogue of the usual mistakes for assignment 09 (a character-level language model).

As in :mod:`.lstm`, each mistake flips one switch of a readable reference
(:func:`batches`, :func:`forward`, :func:`train`, :func:`probs`, :func:`generate`);
the switch-free versions agree with :mod:`course_pkg.charlm`, which the tests check.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np

from .. import charlm as ref
from ..optim import adam_init, adam_step, clip_by_global_norm
from ._core import Exercise, Mistake

__all__ = ["EXERCISES", "batches", "forward", "train", "probs", "generate"]

CH = 'the chapter "Project: a character-level language model"'
CH_BATCH = CH + ', section "Chunks and streams"'
CH_TBPTT = CH + ', section "Truncated backpropagation through time"'
CH_SAMPLE = CH + ', section "Sampling with a temperature"'
CONTRACT = "the assignment's contract at the top of the notebook"
_m = Mistake


def _params(rng: np.random.Generator, V: int, H: int) -> dict[str, np.ndarray]:
    params = ref.init_charlm_params(V, H, rng)
    return {k: rng.normal(size=v.shape) * 0.5 for k, v in params.items()}  # non-zero biases


# --- make_batches -----------------------------------------------------------------------------


def batches(ids, seq_len, batch_size, *, shift=1, layout="ktn"):
    """:func:`course_pkg.charlm.make_batches` with switches; the defaults are right."""
    T, N = seq_len, batch_size
    K = (len(ids) - 1) // (T * N)
    S = K * T
    x = ids[: N * S].reshape(N, K, T)  # (N, K, T)
    y = ids[shift : N * S + shift].reshape(N, K, T)  # (N, K, T)
    axes = (1, 2, 0) if layout == "ktn" else (1, 0, 2)
    return x.transpose(axes).copy(), y.transpose(axes).copy()  # (K, T, N) when right


def _batch_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    return {"ids": rng.integers(0, dims["V"], size=dims["L"]),
            "seq_len": dims["T"], "batch_size": dims["N"]}


MAKE_BATCHES = Exercise(
    name="make_batches",
    assignment="09_char_lm",
    signature="make_batches(ids, seq_len, batch_size) -> (inputs, targets)",
    equation="K = (L - 1) // (T N), S = K T; inputs[k, t, n] = ids[n S + k T + t]; "
             "targets[k, t, n] = ids[n S + k T + t + 1]",
    reread=CH_BATCH,
    arg_names=("ids", "seq_len", "batch_size"),
    reference=ref.make_batches,
    make_inputs=_batch_inputs,
    default_dims={"L": 41, "T": 3, "N": 2, "V": 7},
    mistakes=[
        _m("targets_not_shifted", "your targets are the inputs themselves (not shifted by one)",
           "the model predicts the NEXT character: targets = ids shifted by one, "
           "ids[1 : N * S + 1]. Predicting the current character, which it has just read, "
           "is trivially easy and teaches nothing.",
           CH_BATCH, partial(batches, shift=0), (("ids[1 : N * S + 1]", "ids[: N * S]"),)),
        _m("batch_major", "you returned (K, N, T) arrays, not time-major (K, T, N)",
           "the LSTM reads time-major chunks: transpose the (N, K, T) streams to (K, T, N).",
           'appendix A, "Notation and conventions"', partial(batches, layout="knt"),
           ((".transpose(1, 2, 0)", ".transpose(1, 0, 2)"),)),
    ],
)


# --- charlm_forward ---------------------------------------------------------------------------


def forward(inputs, h0, c0, params, *, state="given", last=-1, bias=True):
    """The model over one chunk with switches; returns (logits, h, c)."""
    V = params["W_y"].shape[1]
    X = np.eye(V)[inputs]  # (T, N, V)
    if state != "given":
        h0, c0 = np.zeros_like(h0), np.zeros_like(c0)
    hs, cs, _ = ref.lstm_forward(X, h0, c0, params)  # (T, N, H)
    logits = hs @ params["W_y"]  # (T, N, V)
    if bias:
        logits = logits + params["b_y"]
    return logits, hs[last], cs[last]


def _ref_forward(inputs, h0, c0, params):
    logits, (h, c), _ = ref.charlm_forward(inputs, h0, c0, params)
    return logits, h, c


def _forward_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    T, N, V, H = dims["T"], dims["N"], dims["V"], dims["H"]
    return {"inputs": rng.integers(0, V, size=(T, N)),
            "h0": rng.uniform(-1, 1, size=(N, H)) * scale,
            "c0": rng.normal(size=(N, H)) * scale,
            "params": _params(rng, V, H)}


CHARLM_FORWARD = Exercise(
    name="charlm_forward",
    assignment="09_char_lm",
    signature="charlm_forward(inputs, h0, c0, params) -> (logits, h, c)",
    equation="X = one-hot(inputs) (T, N, V); hs, cs = lstm_forward(X, h0, c0, params); "
             "logits = hs @ W_y + b_y; return logits, hs[-1], cs[-1]",
    reread=CH_TBPTT,
    arg_names=("inputs", "h0", "c0", "params"),
    reference=_ref_forward,
    make_inputs=_forward_inputs,
    default_dims={"T": 4, "N": 3, "V": 6, "H": 5},
    mistakes=[
        _m("state_ignored", "you started the chunk from zeros instead of h0 and c0",
           "pass the state in: lstm_forward(X, h0, c0, params). The previous chunk's final "
           "state is the memory of everything read so far.",
           CH_TBPTT, partial(forward, state="zeros"),
           (("lstm_forward(X, h0, c0, params)",
             "lstm_forward(X, np.zeros_like(h0), np.zeros_like(c0), params)"),)),
        _m("first_state_returned", "you returned the state after the FIRST character",
           "the next chunk continues from the state after the last character: hs[-1], cs[-1].",
           CH_TBPTT, partial(forward, last=0),
           (("return logits, hs[-1], cs[-1]", "return logits, hs[0], cs[0]"),)),
        _m("missing_output_bias", "you left out the output bias b_y",
           "logits = hs @ W_y + b_y: the bias learns how common each character is.",
           CONTRACT, partial(forward, bias=False), ((' + params["b_y"]', ""),)),
    ],
)


# --- train_tbptt ------------------------------------------------------------------------------


def train(params, inputs, targets, lr, clip, *, carry="hc", clip_when="before"):
    """One pass of truncated BPTT with switches; returns (params, losses)."""
    K, _, N = inputs.shape
    H = params["b_f"].shape[0]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    state = adam_init(params)
    losses = np.zeros(K)
    for k in range(K):
        h_in = h if "h" in carry else np.zeros((N, H))
        c_in = c if "c" in carry else np.zeros((N, H))
        losses[k], grads, (h, c) = ref.charlm_loss_and_grads(params, inputs[k], targets[k],
                                                             h_in, c_in)
        if clip_when == "before":
            grads, _ = clip_by_global_norm(grads, clip)
        params, state = adam_step(params, grads, state, lr=lr)
    return params, losses


def _ref_train(params, inputs, targets, lr, clip):
    return ref.train_charlm(params, inputs, targets, lr=lr, clip=clip)


def _train_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    K, T, N, V, H = dims["K"], dims["T"], dims["N"], dims["V"], dims["H"]
    return {"params": _params(rng, V, H),
            "inputs": rng.integers(0, V, size=(K, T, N)),
            "targets": rng.integers(0, V, size=(K, T, N)),
            "lr": 0.05, "clip": 0.2}


_CALL = "charlm_loss_and_grads(params, inputs[k], targets[k], h, c)"
_STEP = "params, state = adam_step(params, grads, state, lr=lr)"
_CLIP = "grads, _ = clip_by_global_norm(grads, clip)"

TRAIN_TBPTT = Exercise(
    name="train_tbptt",
    assignment="09_char_lm",
    signature="train_tbptt(params, inputs, targets, lr, clip) -> (params, losses)",
    equation="h, c = zeros; state = adam_init(params); for k: loss_k, grads, (h, c) = "
             "charlm_loss_and_grads(params, inputs[k], targets[k], h, c); grads = "
             "clip_by_global_norm(grads, clip)[0]; params, state = adam_step(params, grads, "
             "state, lr=lr)",
    reread=CH_TBPTT,
    arg_names=("params", "inputs", "targets", "lr", "clip"),
    reference=_ref_train,
    make_inputs=_train_inputs,
    default_dims={"K": 4, "T": 3, "N": 2, "V": 5, "H": 4},
    mistakes=[
        _m("state_not_carried", "every chunk starts again from a zero state",
           "carry the state over: the (h, c) returned for chunk k is the state chunk k + 1 "
           "starts from (only the gradient is cut at the chunk boundary, not the memory).",
           CH_TBPTT, partial(train, carry=""),
           ((_CALL, _CALL.replace("h, c)", "np.zeros((N, H)), np.zeros((N, H)))")),)),
        _m("cell_not_carried", "you carried h over but restarted c from zeros at every chunk",
           "the cell state is the long-term memory: carry c as well as h.",
           CH_TBPTT, partial(train, carry="h"),
           ((_CALL, _CALL.replace("h, c)", "h, np.zeros((N, H)))")),)),
        _m("clip_after_step", "you clipped the gradients after the optimizer step",
           "clip first, then step: the step must use the clipped gradients (clipping "
           "afterwards changes nothing).",
           'chapter 2, "When memory fades" (clipping)', partial(train, clip_when="never"),
           ((f"{_CLIP}\n        {_STEP}", f"{_STEP}\n        {_CLIP}"),)),
    ],
)


# --- next_char_probs --------------------------------------------------------------------------


def probs(logits, temperature, *, where="before", stable=True):
    """Softmax with a temperature, with switches."""
    if where == "before":
        y = logits / temperature
    elif where == "times":
        y = logits * temperature
    else:
        y = logits
    e = np.exp(y - y.max(axis=-1, keepdims=True)) if stable else np.exp(y)
    p = e / e.sum(axis=-1, keepdims=True)
    return p / temperature if where == "after" else p


def _probs_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    return {"logits": rng.normal(size=(dims["N"], dims["V"])) * 2.0 * scale,
            "temperature": 0.7}


NEXT_CHAR_PROBS = Exercise(
    name="next_char_probs",
    assignment="09_char_lm",
    signature="next_char_probs(logits, temperature) -> p",
    equation="y = logits / temperature; p = exp(y - max y) / sum(exp(y - max y)) over the "
             "last axis",
    reread=CH_SAMPLE,
    arg_names=("logits", "temperature"),
    reference=ref.next_char_probs,
    make_inputs=_probs_inputs,
    default_dims={"N": 3, "V": 6},
    mistakes=[
        _m("temperature_after_softmax",
           "you applied the temperature after the softmax (divided the probabilities)",
           "divide the logits, then take the softmax: softmax(logits / temperature). "
           "Dividing probabilities by the temperature does not sharpen or flatten them, "
           "and they no longer sum to 1.",
           CH_SAMPLE, partial(probs, where="after"),
           (("y = logits / temperature", "y = logits"),
            ("return p / p.sum(axis=-1, keepdims=True)",
             "return p / p.sum(axis=-1, keepdims=True) / temperature"))),
        _m("temperature_ignored", "you ignored the temperature (a plain softmax)",
           "divide the logits by the temperature before the softmax.",
           CH_SAMPLE, partial(probs, where="ignored"),
           (("y = logits / temperature", "y = logits"),)),
        _m("temperature_multiplied", "you multiplied the logits by the temperature",
           "divide: a low temperature must make the distribution sharper, logits / temperature.",
           CH_SAMPLE, partial(probs, where="times"),
           (("logits / temperature", "logits * temperature"),)),
        _m("unstable_softmax", "your softmax overflows on large logits",
           "subtract the maximum before exp: np.exp(y - y.max(axis=-1, keepdims=True)).",
           'chapter 10, "Attention" (the stable softmax)', partial(probs, stable=False),
           (("np.exp(y - y.max(axis=-1, keepdims=True))", "np.exp(y)"),)),
    ],
)


# --- sample -----------------------------------------------------------------------------------


def generate(params, start_ids, n, temperature, seed, *, pick="sample", state="carry",
             prompt="all"):
    """Sampling with switches; returns the generated ids (n,)."""
    rng = np.random.default_rng(seed)
    H = params["b_f"].shape[0]
    V = params["W_y"].shape[1]
    h, c = np.zeros((1, H)), np.zeros((1, H))
    first = start_ids if prompt == "all" else start_ids[-1:]
    logits, h, c = _ref_forward(first[:, None], h, c, params)
    out = np.zeros(n, dtype=np.int64)
    for k in range(n):
        p = ref.next_char_probs(logits[-1, 0], temperature)
        out[k] = rng.choice(V, p=p) if pick == "sample" else np.argmax(p)
        if state != "carry":
            h, c = np.zeros((1, H)), np.zeros((1, H))
        logits, h, c = _ref_forward(out[k : k + 1, None], h, c, params)
    return out


def _ref_sample(params, start_ids, n, temperature, seed):
    return ref.sample_ids(params, start_ids, n, temperature, np.random.default_rng(seed))


def _sample_inputs(rng: np.random.Generator, dims: Mapping[str, int], scale: float) -> dict:
    V, H = dims["V"], dims["H"]
    params = {k: v * 4.0 for k, v in _params(rng, V, H).items()}  # a state that matters
    return {"params": params,
            "start_ids": rng.integers(0, V, size=dims["P"]),
            "n": dims["n"], "temperature": 0.8, "seed": int(rng.integers(1000))}


_FEED = "logits, h, c = charlm_forward(out[k : k + 1, None], h, c, params)"

SAMPLE = Exercise(
    name="sample",
    assignment="09_char_lm",
    signature="sample(params, start_ids, n, temperature, seed) -> ids",
    equation="rng = default_rng(seed); read start_ids from a zero state; n times: "
             "p = next_char_probs(logits[-1, 0], temperature); x = rng.choice(V, p=p); "
             "feed x from the current state",
    reread=CH_SAMPLE,
    arg_names=("params", "start_ids", "n", "temperature", "seed"),
    reference=_ref_sample,
    make_inputs=_sample_inputs,
    default_dims={"V": 6, "H": 5, "P": 3, "n": 12},
    isolate={"charlm_forward": _ref_forward, "next_char_probs": ref.next_char_probs},
    mistakes=[
        _m("argmax_sampling", "you took the most likely character instead of drawing one",
           "draw it: rng.choice(V, p=p). The argmax ignores the temperature and repeats "
           "itself (the the the ...).",
           CH_SAMPLE, partial(generate, pick="argmax"),
           (("out[k] = rng.choice(V, p=p)", "out[k] = np.argmax(p)"),)),
        _m("state_not_carried", "you fed each new character from a zero state",
           "keep the state: feed the new character from the (h, c) the previous one left.",
           CH_SAMPLE, partial(generate, state="reset"),
           ((_FEED, _FEED.replace("h, c, params)", "np.zeros((1, H)), np.zeros((1, H)), "
                                  "params)")),)),
        _m("prompt_last_only", "you read only the last character of the prompt",
           "read the whole prompt first: charlm_forward(start_ids[:, None], h, c, params).",
           CH_SAMPLE, partial(generate, prompt="last"),
           (("charlm_forward(start_ids[:, None], h, c, params)",
             "charlm_forward(start_ids[-1:, None], h, c, params)"),)),
    ],
)

EXERCISES = (MAKE_BATCHES, CHARLM_FORWARD, TRAIN_TBPTT, NEXT_CHAR_PROBS, SAMPLE)
