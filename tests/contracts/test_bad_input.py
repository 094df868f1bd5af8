"""Bad input to every public forward and backward function raises a helpful ValueError.

For every forward/backward function of rnn, lstm, lstm_gates, gru (both
variants), attention (three scores), seq2seq and losses, four mistakes are
made on an otherwise valid call:

1. ``transposed`` -- a weight is transposed (for a backward: the upstream
   gradient; for a function without weights: its second array argument). The
   message must name the argument and show both the shape received and the
   shape expected.
2. ``dtype`` -- a float input is passed as int64 (token arrays, which must be
   int, are passed as float64). The message must name the argument.
3. ``nan`` -- a NaN is planted in a float input. The message must name it.
4. ``missing`` -- a key is deleted from the parameter dict (for a backward:
   from the cache, or an entry dropped from a tuple cache; for a function
   taking its weight as an argument: the weight is passed as None). The
   message must name the key (or argument). Functions without any parameter
   or cache (dot scores, cell update, hidden state, losses) have no case here.

Sizes are chosen so that every transposition changes the shape
(N=2, D=3, H=4, T=5).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from course_pkg import attention as att
from course_pkg import gru, gru_gates, losses, lstm, lstm_gates, rnn, seq2seq

N, D, H, T = 2, 3, 4, 5
# attention: queries Tq, source S, key size d, value size dv, alignment size A
TQ, S, DK, DV, A = 3, 5, 4, 6, 7
# seq2seq: vocabularies, embedding, hidden, lengths
VS, VT, E, HS, SS, TT = 9, 11, 3, 4, 5, 6


def _rng():
    return np.random.default_rng(7)


def _normal(*shape):
    return _rng().normal(size=shape)


@dataclass
class Case:
    """One public function and where to plant each mistake.

    ``make()`` returns the keyword arguments of a valid call. A "path" is a
    tuple: ``("x",)`` names an argument, ``("params", "W")`` a key of a dict
    argument.
    """

    name: str
    fn: Callable
    make: Callable[[], dict]
    transposed: tuple
    dtype: tuple
    nan: tuple
    missing: tuple | None = None


def _get(kwargs, path):
    obj = kwargs
    for key in path:
        obj = obj[key]
    return obj


def _set(kwargs, path, value):
    """Replace the entry at ``path``, copying dicts on the way (the originals stay intact)."""
    obj = kwargs
    for key in path[:-1]:
        if isinstance(obj[key], dict):
            obj[key] = dict(obj[key])
        obj = obj[key]
    obj[path[-1]] = value


def _label(path):
    """How the argument appears in messages: ``x`` or ``params['W']`` (key at least)."""
    return path[-1]


def _names(msg: str, name: object) -> bool:
    """``name`` appears in ``msg`` as a whole word (``do`` must not match ``dout``)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(str(name))}(?![A-Za-z0-9_])", msg) is not None


# --------------------------------------------------------------------------- builders


def _rnn_params():
    return {k: _normal(*v.shape) for k, v in rnn.init_rnn_params(D, H, 0).items()}


def _lstm_params():
    return {k: _normal(*v.shape) + 0.1 for k, v in lstm.init_lstm_params(D, H, 0).items()}


def _gru_params(variant):
    return {k: _normal(*v.shape) for k, v in gru.init_gru_params(D, H, 0, variant).items()}


def _backward(forward_kwargs, forward, grad_name, grad_shape_of, extra=None):
    """Keyword arguments of a backward call: run the forward, add an upstream gradient."""

    def make():
        kw = forward_kwargs()
        out = forward(**kw)
        cache = out[-1]
        shape = grad_shape_of(out)
        return {grad_name: _normal(*shape), "cache": cache, **(extra() if extra else {})}

    return make


def _gate_kwargs(wname, bname):
    return lambda: {"h_prev": _normal(N, H), "x": _normal(N, D),
                    wname: _normal(H + D, H), bname: _normal(H)}


def _additive_params():
    return {k: _normal(*v.shape) for k, v in att.init_additive_params(DK, DK, A, 0).items()}


def _att_kwargs(score):
    def make():
        kw = {"Q": _normal(N, TQ, DK), "K": _normal(N, S, DK), "V": _normal(N, S, DV),
              "mask": np.ones((N, S), dtype=bool), "score": score}
        if score == "additive":
            kw["params"] = _additive_params()
        return kw

    return make


def _s2s_kwargs(cell, attention):
    def make():
        p = seq2seq.init_seq2seq_params(VS, VT, E, HS, 0, cell, attention)
        src = np.array([[1, 2, 3, 4, 5], [2, 3, 4, 0, 0]], dtype=np.int64).T  # (S, N)
        return {"src": src, "src_mask": src != 0,
                "tgt_in": np.arange(TT * N, dtype=np.int64).reshape(TT, N) % VT,
                "params": p, "cell": cell, "attention": attention}

    return make


def _cases() -> list[Case]:
    cases: list[Case] = []
    add = cases.append

    # ----- rnn
    step = lambda: {"x": _normal(N, D), "h_prev": _normal(N, H), "params": _rnn_params()}  # noqa: E731
    seqf = lambda: {"X": _normal(T, N, D), "h0": _normal(N, H), "params": _rnn_params()}  # noqa: E731
    add(Case("rnn_step_forward", rnn.rnn_step_forward, step, ("params", "W"), ("x",),
             ("h_prev",), ("params", "b")))
    add(Case("rnn_step_backward", rnn.rnn_step_backward,
             _backward(step, rnn.rnn_step_forward, "dh", lambda o: o[0].shape),
             ("dh",), ("dh",), ("dh",), ("cache", "z")))
    add(Case("rnn_forward", rnn.rnn_forward, seqf, ("params", "W"), ("X",), ("X",),
             ("params", "W")))
    add(Case("rnn_backward", rnn.rnn_backward,
             _backward(seqf, rnn.rnn_forward, "dhs", lambda o: o[0].shape),
             ("dhs",), ("dhs",), ("dhs",), ("cache", "hs")))

    # ----- lstm_gates
    def add_gates(*table):  # an affine gate and its backward, for each row
        for fwd, bwd, w, b, dname in table:
            kw = _gate_kwargs(w, b)
            add(Case(fwd.__name__, fwd, kw, (w,), ("x",), ("h_prev",), (w,)))
            add(Case(bwd.__name__, bwd, _backward(kw, fwd, dname, lambda o: o[0].shape),
                     (dname,), (dname,), (dname,), ("cache", 1)))

    add_gates(
        (lstm_gates.forget_gate, lstm_gates.forget_gate_backward, "W_f", "b_f", "df"),
        (lstm_gates.input_gate, lstm_gates.input_gate_backward, "W_i", "b_i", "di"),
        (lstm_gates.candidate, lstm_gates.candidate_backward, "W_g", "b_g", "dg"),
        (lstm_gates.output_gate, lstm_gates.output_gate_backward, "W_o", "b_o", "do"),
    )
    cu = lambda: {"f": _normal(N, H), "c_prev": _normal(N, H), "i": _normal(N, H),  # noqa: E731
                  "g": _normal(N, H)}
    add(Case("cell_update", lstm_gates.cell_update, cu, ("c_prev",), ("f",), ("g",)))
    add(Case("cell_update_backward", lstm_gates.cell_update_backward,
             _backward(cu, lstm_gates.cell_update, "dc", lambda o: o[0].shape),
             ("dc",), ("dc",), ("dc",), ("cache", 1)))
    hsk = lambda: {"o": _normal(N, H), "c": _normal(N, H)}  # noqa: E731
    add(Case("hidden_state", lstm_gates.hidden_state, hsk, ("c",), ("o",), ("c",)))
    add(Case("hidden_state_backward", lstm_gates.hidden_state_backward,
             _backward(hsk, lstm_gates.hidden_state, "dh", lambda o: o[0].shape),
             ("dh",), ("dh",), ("dh",), ("cache", 1)))
    add(Case("concat_inputs", lstm_gates.concat_inputs,
             lambda: {"h_prev": _normal(N, H), "x": _normal(N, D)}, ("x",), ("h_prev",), ("x",)))

    # ----- lstm
    lstep = lambda: {"x": _normal(N, D), "h_prev": _normal(N, H), "c_prev": _normal(N, H),  # noqa: E731
                     "params": _lstm_params()}
    lseq = lambda: {"X": _normal(T, N, D), "h0": _normal(N, H), "c0": _normal(N, H),  # noqa: E731
                    "params": _lstm_params()}
    add(Case("lstm_step_forward", lstm.lstm_step_forward, lstep, ("params", "W_o"), ("x",),
             ("c_prev",), ("params", "W_g")))
    lstep_b = _backward(lstep, lstm.lstm_step_forward, "dh", lambda o: o[0].shape,
                        extra=lambda: {"dc": _normal(N, H)})
    add(Case("lstm_step_backward", lstm.lstm_step_backward, lstep_b, ("dh",), ("dh",), ("dh",),
             ("cache", "h_cache")))
    add(Case("lstm_step_backward[dc]", lstm.lstm_step_backward, lstep_b, ("dc",), ("dc",),
             ("dc",), ("cache", "c_cache")))
    add(Case("lstm_forward", lstm.lstm_forward, lseq, ("params", "W_f"), ("X",), ("h0",),
             ("params", "b_i")))
    lseq_b = _backward(lseq, lstm.lstm_forward, "dhs", lambda o: o[0].shape,
                       extra=lambda: {"dc_last": _normal(N, H)})
    add(Case("lstm_backward", lstm.lstm_backward, lseq_b, ("dhs",), ("dhs",), ("dhs",),
             ("cache", "acts")))
    add(Case("lstm_backward[dc_last]", lstm.lstm_backward, lseq_b, ("dc_last",),
             ("dc_last",), ("dc_last",), ("cache", "tcs")))

    # ----- gru
    add_gates(
        (gru_gates.update_gate, gru_gates.update_gate_backward, "W_z", "b_z", "dz"),
        (gru_gates.reset_gate, gru_gates.reset_gate_backward, "W_r", "b_r", "dr"),
    )
    su = lambda: {"z": _normal(N, H), "n": _normal(N, H), "h_prev": _normal(N, H)}  # noqa: E731
    add(Case("gru_state_update", gru_gates.gru_state_update, su, ("h_prev",), ("z",), ("n",)))
    add(Case("gru_state_update_backward", gru_gates.gru_state_update_backward,
             _backward(su, gru_gates.gru_state_update, "dh", lambda o: o[0].shape),
             ("dh",), ("dh",), ("dh",), ("cache", 1)))
    for variant in gru_gates.VARIANTS:
        def cand(variant=variant):
            kw = {"h_prev": _normal(N, H), "x": _normal(N, D), "r": _normal(N, H),
                  "W_n": _normal(H + D, H), "b_n": _normal(H), "variant": variant}
            kw["b_hn"] = _normal(H) if variant == "reset_after" else None
            return kw

        add(Case(f"gru_candidate[{variant}]", gru_gates.gru_candidate, cand, ("W_n",), ("r",),
                 ("x",), ("W_n",)))
        add(Case(f"gru_candidate_backward[{variant}]", gru_gates.gru_candidate_backward,
                 _backward(cand, gru_gates.gru_candidate, "dn", lambda o: o[0].shape),
                 ("dn",), ("dn",), ("dn",), ("cache", 1)))

        def gstep(variant=variant):
            return {"x": _normal(N, D), "h_prev": _normal(N, H),
                    "params": _gru_params(variant), "variant": variant}

        def gseq(variant=variant):
            return {"X": _normal(T, N, D), "h0": _normal(N, H),
                    "params": _gru_params(variant), "variant": variant}

        add(Case(f"gru_step_forward[{variant}]", gru.gru_step_forward, gstep,
                 ("params", "W_r"), ("h_prev",), ("x",), ("params", "W_n")))
        add(Case(f"gru_step_backward[{variant}]", gru.gru_step_backward,
                 _backward(gstep, gru.gru_step_forward, "dh", lambda o: o[0].shape),
                 ("dh",), ("dh",), ("dh",), ("cache", "n_cache")))
        add(Case(f"gru_forward[{variant}]", gru.gru_forward, gseq, ("params", "W_z"), ("X",),
                 ("h0",), ("params", "b_r")))
        add(Case(f"gru_backward[{variant}]", gru.gru_backward,
                 _backward(gseq, gru.gru_forward, "dhs", lambda o: o[0].shape),
                 ("dhs",), ("dhs",), ("dhs",), ("cache", "aux")))

    # ----- attention
    qk = lambda: {"Q": _normal(N, TQ, DK), "K": _normal(N, S, DK)}  # noqa: E731
    for fwd, bwd in ((att.dot_scores, att.dot_scores_backward),
                     (att.scaled_dot_scores, att.scaled_dot_scores_backward)):
        add(Case(fwd.__name__, fwd, qk, ("K",), ("Q",), ("K",)))
        add(Case(bwd.__name__, bwd,
                 _backward(qk, fwd, "dscores", lambda o: o[0].shape),
                 ("dscores",), ("dscores",), ("dscores",), ("cache", "K")))
    adk = lambda: {**qk(), "params": _additive_params()}  # noqa: E731
    add(Case("additive_scores", att.additive_scores, adk, ("params", "W_q"), ("K",), ("Q",),
             ("params", "v")))
    add(Case("additive_scores_backward", att.additive_scores_backward,
             _backward(adk, att.additive_scores, "dscores", lambda o: o[0].shape),
             ("dscores",), ("dscores",), ("dscores",), ("cache", "hidden")))
    for score in att.SCORES:
        kw = _att_kwargs(score)
        weight = ("params", "W_k") if score == "additive" else ("V",)
        add(Case(f"attention_forward[{score}]", att.attention_forward, kw, weight, ("Q",),
                 ("V",), ("params", "b") if score == "additive" else None))
        add(Case(f"attention_backward[{score}]", att.attention_backward,
                 _backward(kw, att.attention_forward, "dcontext", lambda o: o[0].shape),
                 ("dcontext",), ("dcontext",), ("dcontext",), ("cache", "score_cache")))

    # ----- seq2seq
    for cell, attention in (("lstm", None), ("gru", "additive"), ("lstm", "dot")):
        tag = f"{cell},{attention}"
        kw = _s2s_kwargs(cell, attention)
        add(Case(f"seq2seq_forward[{tag}]", seq2seq.seq2seq_forward, kw, ("params", "W_out"),
                 ("src",), ("params", "E_src"),
                 ("params", "dec_b_r" if cell == "gru" else "dec_W_f")))
        add(Case(f"seq2seq_backward[{tag}]", seq2seq.seq2seq_backward,
                 _backward(kw, seq2seq.seq2seq_forward, "dlogits", lambda o: o[0].shape),
                 ("dlogits",), ("dlogits",), ("dlogits",), ("cache", "dec_cache")))

        def loss_kw(kw=kw):
            k = kw()
            k["tgt_out"] = (k["tgt_in"] + 1) % VT
            k["tgt_mask"] = np.ones((TT, N), dtype=bool)
            return k

        add(Case(f"seq2seq_loss[{tag}]", seq2seq.seq2seq_loss, loss_kw, ("tgt_out",),
                 ("tgt_in",), ("params", "E_tgt"), ("params", "b_out")))

        def dec_kw(kw=kw):
            k = kw()
            del k["tgt_in"]
            return {**k, "bos": 1, "max_len": 4}

        add(Case(f"greedy_decode[{tag}]", seq2seq.greedy_decode, dec_kw, ("src_mask",),
                 ("src",), ("params", "W_out"), ("params", "E_tgt")))

        def beam_kw(dec_kw=dec_kw):
            k = dec_kw()
            k["src"], k["src_mask"] = k["src"][:, :1], k["src_mask"][:, :1]  # one sequence
            return {**k, "eos": 0, "beam_width": 2}

        add(Case(f"beam_search[{tag}]", seq2seq.beam_search, beam_kw, ("src_mask",),
                 ("src",), ("params", "W_out"), ("params", "E_tgt")))

        def logp_kw(beam_kw=beam_kw):
            k = beam_kw()
            del k["eos"], k["beam_width"], k["max_len"]
            return {**k, "tokens": np.array([2, 3, 0], dtype=np.int64)}

        add(Case(f"sequence_log_prob[{tag}]", seq2seq.sequence_log_prob, logp_kw,
                 ("src_mask",), ("src",), ("params", "W_out"), ("params", "E_tgt")))

    # ----- losses
    ce = lambda: {"logits": _normal(T, N, VT),  # noqa: E731
                  "targets": np.arange(T * N, dtype=np.int64).reshape(T, N) % VT,
                  "mask": np.ones((T, N), dtype=bool)}
    add(Case("softmax_cross_entropy", losses.softmax_cross_entropy, ce, ("targets",),
             ("logits",), ("logits",)))
    bce = lambda: {"logits": _normal(T, N), "targets": np.ones((T, N)),  # noqa: E731
                   "mask": np.ones((T, N), dtype=bool)}
    add(Case("sigmoid_binary_cross_entropy", losses.sigmoid_binary_cross_entropy, bce,
             ("mask",), ("logits",), ("targets",)))
    readout = lambda: {"hs": _normal(T, N, H), "W": _normal(H, VT),  # noqa: E731
                       "b": _normal(VT), **{k: v for k, v in ce().items() if k != "logits"}}
    add(Case("readout_cross_entropy", losses.readout_cross_entropy, readout, ("W",),
             ("targets",), ("hs",)))
    readout_bw = lambda: {"dlogits": _normal(T, N, VT), "hs": _normal(T, N, H),  # noqa: E731
                          "W": _normal(H, VT)}
    add(Case("readout_backward", losses.readout_backward, readout_bw, ("W",), ("hs",),
             ("dlogits",)))
    return cases


CASES = _cases()


def _ids(cases):
    return [c.name for c in cases]


def _numbers_after_expected(msg: str) -> list[int]:
    part = msg.split("expected", 1)[1] if "expected" in msg else ""
    return [int(v) for v in re.findall(r"\d+", part)]


def _is_subsequence(small, big) -> bool:
    it = iter(big)
    return all(any(v == w for w in it) for v in small)


def _error_with(case, kwargs, path, bad) -> str:
    """The ValueError message of ``case.fn`` once the argument at ``path`` is ``bad``."""
    _set(kwargs, path, bad)
    with pytest.raises(ValueError) as err:
        case.fn(**kwargs)
    return str(err.value)


TRANSPOSED = [c for c in CASES if c.transposed]


@pytest.mark.parametrize("case", TRANSPOSED, ids=_ids(TRANSPOSED))
def test_transposed_argument(case):
    kwargs = case.make()
    good = _get(kwargs, case.transposed)
    bad = np.ascontiguousarray(good.T) if good.ndim == 2 else np.transpose(good)
    assert bad.shape != good.shape, "test sizes must make the transposition visible"
    msg = _error_with(case, kwargs, case.transposed, bad)
    assert _names(msg, _label(case.transposed)), msg
    assert str(bad.shape) in msg, f"received shape {bad.shape} not in: {msg}"
    assert _is_subsequence(good.shape, _numbers_after_expected(msg)), (
        f"expected shape {good.shape} not in: {msg}")


DTYPE = [c for c in CASES if c.dtype]


@pytest.mark.parametrize("case", DTYPE, ids=_ids(DTYPE))
def test_wrong_dtype(case):
    kwargs = case.make()
    good = _get(kwargs, case.dtype)
    if np.issubdtype(good.dtype, np.floating):
        bad = np.round(good * 3).astype(np.int64)
    else:
        bad = good.astype(np.float64)
    msg = _error_with(case, kwargs, case.dtype, bad)
    assert _names(msg, _label(case.dtype)) and "dtype" in msg, msg


NAN = [c for c in CASES if c.nan]


def _non_finite_error(case, value, where):
    """The message once entry ``where(size)`` of the argument ``case.nan`` is ``value``."""
    kwargs = case.make()
    bad = _get(kwargs, case.nan).copy()
    bad.flat[where(bad.size)] = value
    return _error_with(case, kwargs, case.nan, bad)


@pytest.mark.parametrize("case", NAN, ids=_ids(NAN))
def test_nan(case):
    msg = _non_finite_error(case, np.nan, lambda size: size // 2)
    assert _names(msg, _label(case.nan)) and "NaN" in msg, msg


@pytest.mark.parametrize("case", NAN, ids=_ids(NAN))
def test_inf(case):
    msg = _non_finite_error(case, -np.inf, lambda size: 0)
    assert _names(msg, _label(case.nan)) and "inf" in msg, msg


MISSING = [c for c in CASES if c.missing]


@pytest.mark.parametrize("case", MISSING, ids=_ids(MISSING))
def test_missing_key(case):
    kwargs = case.make()
    container_path, key = case.missing[:-1], case.missing[-1]
    if not container_path:  # a weight passed as an argument: pass None instead
        kwargs[key] = None
        label = key
    else:
        container = _get(kwargs, container_path)
        if isinstance(container, tuple):  # a tuple cache: drop one entry
            container = container[:key] + container[key + 1:]
            label = container_path[-1]
        else:
            container = dict(container)
            del container[key]
            label = key
        _set(kwargs, container_path, container)
    with pytest.raises(ValueError) as err:
        case.fn(**kwargs)
    msg = str(err.value)
    assert _names(msg, label), msg
    if container_path:
        assert _names(msg, container_path[-1]), msg


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_valid_call_succeeds(case):
    # The builders themselves are valid: the errors above come from the mistake.
    case.fn(**case.make())


def _snapshot(value):
    """A deep copy of arrays inside dicts/tuples/lists, for before/after comparison."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(_snapshot(v) for v in value)
    return value


def _assert_same(a, b, where):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_valid_call_is_pure_and_repeatable(case):
    """No hidden state: inputs (and caches) are not modified, a second call is identical."""
    kwargs = case.make()
    before = _snapshot(kwargs)
    first = case.fn(**kwargs)
    _assert_same(before, kwargs, "inputs after the call")
    second = case.fn(**kwargs)
    _assert_same(_snapshot(first), _snapshot(second), f"{case.name} called twice")


def test_every_public_forward_and_backward_is_covered():
    covered = {c.fn.__name__ for c in CASES}
    modules = (rnn, lstm, lstm_gates, gru, att, seq2seq, losses)
    public = set()
    for mod in modules:
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj) and not isinstance(obj, type) and not name.startswith("init_") \
                    and not name.endswith("param_shapes"):
                public.add(name)
    assert public <= covered, f"not covered: {sorted(public - covered)}"
