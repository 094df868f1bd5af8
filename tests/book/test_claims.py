"""The book's claims about its own results, asserted on the experiments' output.

Every sentence of the book that interprets a computed figure or number
("the gated cells win at every distance", "the norm rises again") has a
test here that calls the same experiment function with the same arguments
as the chapter and asserts the property the prose states. If a change to the
package or to an experiment's settings changes the result, this module fails
instead of the book silently contradicting itself.

Numbers quoted in prose come from ``myst_nb.glue`` in the chapter's code;
:func:`test_every_glued_value_in_prose_is_defined` checks that no prose
reference points at a value the chapter does not compute.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

from course_pkg.activations import sigmoid
from course_pkg.experiments import agreement, fair_comparison
from course_pkg.experiments.gradient_flow import gradient_norms_by_distance
from course_pkg.experiments.highway import highway_only_norms
from course_pkg.gru import gru_step_forward, init_gru_params

BOOK = pathlib.Path(__file__).resolve().parents[2] / "book"
CELLS = ("rnn", "lstm", "gru")


# --- structure: prose numbers come from the code ---------------------------------------

GLUE_ROLE = re.compile(r"\{glue(?::text|:md)?\}`([^`:]+)(?::[^`]*)?`")
GLUE_CALL = re.compile(r"""glue\(\s*f?["']([^"']+)["']""")


def _chapters():
    return [*sorted(BOOK.glob("[0-9][0-9]_*.md")), BOOK / "char_language_model.md"]


@pytest.mark.parametrize("path", _chapters(), ids=lambda p: p.stem)
def test_every_glued_value_in_prose_is_defined(path):
    text = path.read_text(encoding="utf-8")
    used = set(GLUE_ROLE.findall(text))
    defined = set(GLUE_CALL.findall(text))
    # f-string keys such as f"ch8-pit-{cell}" are expanded over the cells
    expanded = set()
    for key in defined:
        if "{cell}" in key:
            expanded |= {key.replace("{cell}", c) for c in CELLS}
        else:
            expanded.add(key)
    missing = sorted(used - expanded)
    assert not missing, f"{path.name} quotes glued values it never computes: {missing}"


def test_glue_pattern_can_fail():
    text = "see {glue:text}`nowhere:.2f`"
    assert set(GLUE_ROLE.findall(text)) == {"nowhere"}


# --- chapter 1: the trace of step 1 --------------------------------------------------------

def _ch1_trace(scale=1.0):
    from course_pkg.rnn import init_rnn_params, rnn_forward

    rng = np.random.default_rng(0)
    T, D, H = 20, 3, 8
    params = init_rnn_params(D, H, rng)
    params["W"][:H] *= scale
    X = np.repeat(rng.normal(size=(T, 1, D)), 2, axis=1)
    X[0, 1] = -X[0, 0]
    hs, _ = rnn_forward(X, np.zeros((2, H)), params)
    return np.linalg.norm(hs[:, 0] - hs[:, 1], axis=1)     # (T,)


def test_ch1_trace_of_step_1_fades():
    diff = _ch1_trace()
    assert np.all(np.diff(diff) < 0)                       # "shrinks as the steps go by"
    assert diff[-1] < 1e-4 * diff[0]                       # "more than 4 orders of magnitude"


def test_ch1_stronger_recurrence_remembers_longer():
    # exercise 1.4: W_hh times 3 keeps the difference alive much longer
    ratio = _ch1_trace(3.0)[-1] / _ch1_trace()[-1]
    assert 1000 < ratio < 10000                            # "about <thousands> times"


# --- chapter 2: the Jacobian product and the initialisations -----------------------------

def test_ch2_jacobian_product_falls_despite_sigma_max_near_one():
    from course_pkg import init as inits
    from course_pkg.rnn import init_rnn_params, rnn_forward

    rng = np.random.default_rng(0)
    T, N, D, H = 30, 1, 4, 16
    params = init_rnn_params(D, H, rng)
    X = rng.normal(size=(T, N, D))
    hs, _ = rnn_forward(X, np.zeros((N, H)), params)
    W_hh = params["W"][:H]
    sigma_max = np.linalg.svd(W_hh, compute_uv=False)[0]
    P = np.eye(H)
    for k in range(1, T):
        P = P @ (np.diag(1 - hs[T - k, 0] ** 2) @ W_hh.T)
        if k == 5:
            at_5 = np.linalg.norm(P, 2)
    assert 0.9 < sigma_max < 1.2              # "about 1, so the bound allows slow growth"
    assert (at_5 / np.linalg.norm(P, 2)) ** (5 / 23) > 5   # falls fast anyway
    assert np.abs(np.linalg.eigvals(W_hh)).max() < 0.8      # spectral radius well below 1
    # "He's factor 2 makes a tanh RNN's W_hh too large"; orthogonal keeps every sigma at 1
    assert np.linalg.svd(inits.he_normal((H, H), 1), compute_uv=False)[0] > 1.5
    np.testing.assert_allclose(np.linalg.svd(inits.orthogonal((H, H), 1), compute_uv=False), 1)


# --- chapter 3: a stored value under repeated forgetting ---------------------------------

def test_ch3_forgetting_numbers():
    # "with f = 0.99 it is still 0.78 after 25 steps, with f = 0.5 about 0.001 after 10"
    assert 0.77 < 0.99 ** 25 < 0.8
    assert 0.5 ** 10 < 0.0011
    # exercise 3.4: a saturated gate (f(1-f) < 1e-3) scales the gradient down >= 250-fold
    assert 0.25 / 1e-3 == pytest.approx(250)


def test_ch3_hand_set_gate_keeps_and_forgets():
    from course_pkg.lstm_gates import forget_gate

    H = 3
    h_prev = np.array([[0.5, -0.2, 0.1], [0.0, 0.3, -0.4]])
    x = np.array([[1.0, 0.0], [-1.0, 0.5]])
    W_f = np.zeros((H + 2, H))
    W_f[H + 0, 2] = 4.0
    f, _ = forget_gate(h_prev, x, W_f, np.array([4.0, -4.0, 0.0]))
    assert np.all(np.abs(f[:, 0] - 0.98) < 0.005)          # "about 98 % in both sequences"
    assert np.all(np.abs(f[:, 1] - 0.02) < 0.005)          # "entry 1 keeps about 2 %"
    assert f[0, 2] > 0.95 and f[1, 2] < 0.05               # entry 2 follows input feature 0


# --- chapter 5: the highway figure --------------------------------------------------------

@pytest.fixture(scope="module")
def ch5():
    kw = {"T": 60, "H": 32, "seed": 0}
    return {
        "rnn": gradient_norms_by_distance("rnn", **kw),
        "lstm1": gradient_norms_by_distance("lstm", forget_bias=1.0, **kw),
        "lstm3": gradient_norms_by_distance("lstm", forget_bias=3.0, **kw),
        "highway3": highway_only_norms(forget_bias=3.0, **kw),
    }


def test_ch5_rnn_vanishes_and_lstm_fades_slower(ch5):
    rnn, lstm1 = ch5["rnn"]["norm"], ch5["lstm1"]["norm"]
    assert rnn[59] < 1e-6 * rnn[0]          # "falls by many orders of magnitude"
    assert lstm1[59] < lstm1[0]             # "that curve still falls"
    assert lstm1[59] > 100 * rnn[59]        # "far more slowly than the RNN's"


def test_ch5_forget_bias_3_dips_then_rises(ch5):
    lo = ch5["lstm3"]["norm"]
    k_min = int(np.argmin(lo))
    assert lo[1] < 0.2 * lo[0]              # "drops by about an order of magnitude"
    assert 0 < k_min < 59
    assert lo[59] > 1.5 * lo[k_min]         # "and then rises again"


def test_ch5_highway_alone_only_shrinks(ch5):
    hw = ch5["highway3"]["norm"]
    assert np.all(np.diff(hw) <= 0)         # a product of factors f in (0, 1)
    mean_f = ch5["highway3"]["mean_f"]
    assert abs(mean_f - sigmoid(3.0)) < 0.02
    # "keeps a fraction ... of what entered it over 59 steps": about mean_f ** 59
    assert 0.5 < (hw[59] / hw[0]) / mean_f ** 59 < 2


def test_ch5_highway_starts_where_the_full_cell_gradient_starts(ch5):
    # same network and loss: at k = 0 nothing has been carried back yet
    assert ch5["highway3"]["norm"][0] == pytest.approx(ch5["lstm3"]["cell_norm"][0])


def test_ch5_indirect_paths_amplify(ch5):
    full, hw = ch5["lstm3"]["cell_norm"], ch5["highway3"]["norm"]
    assert full[59] > 5 * hw[59]            # "about N times more"
    assert full[59] > full[20]              # the full gradient grows with distance


# --- chapter 4: the input gate filters the candidate --------------------------------------

def test_ch4_gate_only_shrinks_a_proposal():
    from course_pkg.lstm_gates import candidate, input_gate

    rng = np.random.default_rng(1)
    N, H, D = 2, 4, 3
    h_prev = rng.normal(scale=0.5, size=(N, H))
    x = rng.normal(size=(N, D))
    W_i = rng.normal(scale=0.8, size=(H + D, H))
    W_g = rng.normal(scale=0.8, size=(H + D, H))
    i, _ = input_gate(h_prev, x, W_i, np.zeros(H))
    g, _ = candidate(h_prev, x, W_g, np.zeros(H))
    assert np.all(np.sign(i * g) == np.sign(g))
    assert np.all(np.abs(i * g) <= np.minimum(np.abs(i), np.abs(g)))


def _ch4_filter(W_i_row, w_i, b_i):
    from course_pkg.lstm_gates import candidate, cell_update, forget_gate, input_gate

    flag = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0], dtype=float)
    content = np.array([0.6, -0.9, 0.8, 0.5, 0.9, -0.7, 0.4, -0.3, 0.9, 0.8, -0.9, 0.7])
    X = np.stack([flag, content], axis=1)[:, None, :]
    H, D = 1, 2
    W_i = np.zeros((H + D, H))
    W_i[H + W_i_row, 0] = w_i
    W_g = np.zeros((H + D, H))
    W_g[H + 1, 0] = 2.0
    W_f = np.zeros((H + D, H))
    h, c = np.zeros((1, H)), np.zeros((1, H))
    rows = []
    for t in range(len(flag)):
        f, _ = forget_gate(h, X[t], W_f, np.array([6.0]))
        i, _ = input_gate(h, X[t], W_i, np.array([b_i]))
        g, _ = candidate(h, X[t], W_g, np.zeros(H))
        c, _ = cell_update(f, c, i, g)
        rows.append((i[0, 0], g[0, 0], (i * g)[0, 0], c[0, 0], f[0, 0]))
    return flag, content, np.array(rows).T


def test_ch4_filter_figure():
    flag, _, (i, g, _, c, f) = _ch4_filter(0, 8.0, -4.0)
    on = flag == 1
    assert np.all(np.abs(i[on] - 0.98) < 0.005)            # "about 0.98 on flagged steps"
    assert np.all(np.abs(i[~on] - 0.02) < 0.005)           # "and 0.02 elsewhere"
    assert np.all(np.abs(f - 0.998) < 0.0005)              # "sigma(6) ~ 0.998"
    dc = np.abs(np.diff(np.concatenate([[0.0], c])))
    assert dc[on].min() > 5 * dc[~on].max()                # the cell moves only when flagged
    assert np.all(np.abs(g[~on]) > 0.2)                    # the candidate proposes everywhere


def test_ch4_exercise_writes_only_negative_content():
    _, content, (i, g, ig, _, _) = _ch4_filter(1, -10.0, 0.0)
    pos = content > 0
    assert np.all(np.abs(ig[pos]) < 0.02)          # "positive values give writes close to 0"
    assert np.all(np.abs(ig[~pos] - g[~pos]) < 0.1 * np.abs(g[~pos]))   # "almost unchanged"
    assert abs(i[content == 0.4][0] - 0.02) < 0.005         # "sigma(-4) ~ 0.02"


# --- chapter 6: h against c -----------------------------------------------------------------

def test_ch6_counting_cell_h_levels_off_below_o():
    from course_pkg.lstm_gates import hidden_state

    steps = np.arange(1, 21)
    c = 0.5 * steps
    h, _ = hidden_state(np.full((1, 20), 0.9), c[None, :])
    assert np.all(h[0] < 0.9)                              # "levels off just below 0.9"
    assert 0.9 - h[0, -1] < 1e-6                           # "... short of it" at step 20
    assert h[0, -1] - h[0, 9] < 1e-3                       # flat over the second half
    assert np.all(np.diff(c) > 0) and 0.9 * c[-1] > 5      # the slip o * c keeps growing


def test_ch6_h_bounded_by_the_gate():
    from course_pkg.lstm_gates import hidden_state

    cs = np.linspace(-5, 5, 400)
    for o in (1.0, 0.6, 0.2):
        h, _ = hidden_state(np.full((1, cs.size), o), cs[None, :])
        assert np.all(np.abs(h) <= o)


def test_ch6_saturated_entry_passes_little_gradient():
    from course_pkg.lstm_gates import hidden_state, hidden_state_backward

    _, cache = hidden_state(np.ones((1, 1)), np.full((1, 1), 4.0))
    _, dc = hidden_state_backward(np.ones((1, 1)), cache)
    assert 1e-3 < dc[0, 0] < 1.5e-3                        # "about 1.3e-3"


# --- chapter 11: self-attention ignores order -------------------------------------------------

def test_ch11_self_attention_needs_positions():
    from course_pkg.attention import attention_forward

    words = "the cats that the dog chased were hungry".split()
    rng = np.random.default_rng(0)
    d_model, d = 16, 8
    embedding = {w: rng.normal(size=d_model) for w in sorted(set(words))}
    W_Q, W_K, W_V = (rng.normal(size=(d_model, d)) / np.sqrt(d_model) for _ in range(3))
    X = np.stack([embedding[w] for w in words])[None]

    def attend(X):
        return attention_forward(X @ W_Q, X @ W_K, X @ W_V, score="scaled_dot")

    Y, A, _ = attend(X)
    perm = rng.permutation(len(words))
    np.testing.assert_allclose(attend(X[:, perm])[0], Y[:, perm])   # equivariant
    first, second = [t for t, w in enumerate(words) if w == "the"]
    np.testing.assert_allclose(Y[0, first], Y[0, second])
    np.testing.assert_allclose(A[0, first], A[0, second])          # identical rows ...
    np.testing.assert_allclose(A[0, :, first], A[0, :, second])    # ... and columns
    T = len(words)
    rates = 10000.0 ** (np.arange(0, d_model, 2) / d_model)
    P = np.zeros((T, d_model))
    P[:, 0::2] = np.sin(np.arange(T)[:, None] / rates)
    P[:, 1::2] = np.cos(np.arange(T)[:, None] / rates)
    _, A_pos, _ = attend(X + P[None])
    assert np.abs(A_pos[0, first] - A_pos[0, second]).max() > 0.01  # positions make them differ


# --- chapter 8: the GRU Jacobian and the agreement race -----------------------------------

def _gru_jacobians():
    rng = np.random.default_rng(0)
    N, D, H = 4, 3, 5
    p = init_gru_params(D, H, rng, variant="reset_after")
    x = rng.normal(size=(N, D))[:1]
    h1 = rng.normal(size=(N, H))[:1]

    def parts(h):
        h_new, c = gru_step_forward(x, h, p, variant="reset_after")
        return {"h": h_new[0], "z": c["z"][0], "n": c["n"][0]}

    def fd(name, eps=1e-6):
        J = np.empty((H, H))
        for k in range(H):
            hp, hm = h1.copy(), h1.copy()
            hp[0, k] += eps
            hm[0, k] -= eps
            J[:, k] = (parts(hp)[name] - parts(hm)[name]) / (2 * eps)
        return J

    q = parts(h1)
    base = np.diag(q["z"]) + np.diag(1 - q["z"]) @ fd("n")
    right = base + np.diag(h1[0] - q["n"]) @ fd("z")
    flipped = base + np.diag(q["n"] - h1[0]) @ fd("z")
    return fd("h"), right, flipped


def test_ch8_gru_jacobian_sign():
    dh, right, flipped = _gru_jacobians()
    assert np.abs(dh - right).max() < 1e-7
    assert np.abs(dh - flipped).max() > 1e-3


def test_ch8_fair_budget_is_half_again_the_default():
    import inspect

    default = inspect.signature(agreement.train_agreement).parameters["steps"].default
    fair = inspect.signature(fair_comparison.fair_agreement_comparison).parameters["steps"]
    assert fair.default == 1.5 * default            # "half again the package default"
    bias = inspect.signature(fair_comparison.fair_agreement_comparison).parameters
    assert bias["forget_bias"].default == bias["update_bias"].default == 3.0
    assert sigmoid(3.0) == pytest.approx(0.95, abs=0.005)


@pytest.fixture(scope="module")
def ch8_fair():
    return fair_comparison.fair_agreement_comparison(seed=0)


@pytest.mark.slow
def test_ch8_gated_cells_find_the_subject_everywhere(ch8_fair):
    n = ch8_fair["n_seeds"]
    for cell in ("lstm", "gru"):
        assert ch8_fair["solved"][cell] == [n] * len(ch8_fair["distances"]), cell


@pytest.mark.slow
def test_ch8_plain_rnn_misses_some_runs(ch8_fair):
    total = ch8_fair["n_seeds"] * len(ch8_fair["distances"])
    rnn = sum(ch8_fair["solved"]["rnn"])
    assert rnn < total                       # there is a first failed distance
    assert rnn < sum(ch8_fair["solved"]["lstm"])
    assert rnn < sum(ch8_fair["solved"]["gru"])
    assert ch8_fair["accuracy"]["rnn"][-1] < ch8_fair["accuracy"]["lstm"][-1]


@pytest.mark.slow
def test_ch8_runs_are_mostly_all_or_nothing(ch8_fair):
    # "A run that fails mostly sits at chance rather than halfway"
    a = np.concatenate([np.ravel(ch8_fair["per_seed"][c]) for c in CELLS])
    between = (a > 0.6) & (a < fair_comparison.SOLVED)
    failed = a < fair_comparison.SOLVED
    assert between.sum() < (failed & ~between).sum()


@pytest.mark.slow
def test_ch8_gated_cells_differ_within_seed_spread(ch8_fair):
    lstm = np.asarray(ch8_fair["accuracy"]["lstm"])
    gru = np.asarray(ch8_fair["accuracy"]["gru"])
    spread = np.maximum(np.subtract(ch8_fair["max"]["lstm"], ch8_fair["min"]["lstm"]),
                        np.subtract(ch8_fair["max"]["gru"], ch8_fair["min"]["gru"]))
    assert np.all(np.abs(lstm - gru) <= spread + 0.02)


@pytest.fixture(scope="module")
def ch8_pitfall():
    res = agreement.agreement_by_distance(cells=CELLS, distances=(40,), seed=0, n_seeds=3,
                                          steps=400)
    solved = {c: int(sum(a >= fair_comparison.SOLVED for a in res["per_seed"][c][0]))
              for c in CELLS}
    trained, _, _ = agreement.train_agreement("rnn", 40, seed=1, steps=400)
    start, _, _ = agreement.train_agreement("rnn", 40, seed=1, steps=1)
    H = trained["W_out"].shape[0]

    def radius(p):
        return float(np.abs(np.linalg.eigvals(p["W"][:H])).max())

    return solved, radius(start), radius(trained)


@pytest.mark.slow
def test_ch8_pitfall_rnn_wins_with_the_default_start(ch8_pitfall):
    solved, _, _ = ch8_pitfall
    assert solved["rnn"] > solved["lstm"]
    assert solved["rnn"] > solved["gru"]


@pytest.mark.slow
def test_ch8_pitfall_rnn_latches(ch8_pitfall):
    _, r0, r1 = ch8_pitfall
    assert r0 < 1 < r1                       # "once their largest singular value passes 1"


# --- chapter 7: the gate heatmaps -----------------------------------------------------------

def test_ch7_heatmap_description():
    params, _, task = agreement.train_agreement("lstm", distance=10, seed=0)
    units, _ = agreement.number_units(params, task, k=4)
    n = int(np.flatnonzero(task.attractor)[0])
    gates = agreement.gate_activations(params, task.tokens[:, n])
    f, i, o = (gates[g][:, units] for g in ("f", "i", "o"))
    rising = f[-1] > f[0]
    assert i.min() > 0.3                     # "the input gates never close"
    assert rising.sum() == len(units) - 1    # "the remaining unit forgets more and more"
    falling = ~rising
    assert np.all(o[-1][falling] < 0.5 * o[0][falling])   # "... and closes its output gate"
    assert np.all(f[-1][rising] > 0.8)


# --- chapter 9: the bottleneck on reversal ------------------------------------------------

@pytest.fixture(scope="module")
def reverse_result():
    from course_pkg.experiments import bottleneck

    return bottleneck.reverse_accuracy_by_length(seed=0)


@pytest.mark.slow
def test_ch9_plain_model_falls_with_length(reverse_result):
    plain = np.asarray(reverse_result["char_accuracy"]["no attention"])
    exact = np.asarray(reverse_result["accuracy"]["no attention"])
    assert plain[0] > 0.9 and plain[-1] < plain[0] - 0.4
    assert np.all(np.diff(plain) <= 0.02)          # falls steadily
    assert plain[-1] > reverse_result["chance"]
    assert exact[-1] < 0.01                        # "essentially never" at the longest length


@pytest.mark.slow
def test_ch9_which_positions_survive():
    from course_pkg.experiments import bottleneck
    from course_pkg.seq2seq import greedy_decode
    from course_pkg.tasks import reverse_task

    params, _ = bottleneck.train_reverse_model(None, seed=0)
    task = reverse_task(200, 20, 8, np.random.default_rng(5))
    tokens, _ = greedy_decode(task.src, task.src_mask, params, "lstm", None,
                              bos=task.bos, max_len=21)
    by_pos = (tokens[:20] == task.tgt_out[:20]).mean(axis=1)
    assert by_pos[0] > 0.9                         # the last symbols read come out right
    assert by_pos[8:14].max() < 0.35               # the middle is little better than chance
    assert by_pos[-1] > by_pos[8:14].min()         # a small recovery at the end


@pytest.mark.slow
def test_ch10_attention_keeps_reversal_accuracy(reverse_result):
    plain = np.asarray(reverse_result["char_accuracy"]["no attention"])
    attn = np.asarray(reverse_result["char_accuracy"]["attention"])
    assert np.all(attn >= plain - 0.01)
    assert attn[-1] > 0.9 > plain[-1] + 0.5


# --- chapter 10: dates by format -----------------------------------------------------------

@pytest.mark.slow
def test_ch10_dates_by_length_and_format():
    from course_pkg.experiments import attention_dates

    res = attention_dates.date_accuracy_by_length(seed=0)
    plain = np.asarray(res["accuracy"]["no attention"])
    attn = np.asarray(res["accuracy"]["attention"])
    assert plain[0] == plain.min() < plain.max()   # "its worst bucket is the shortest"
    assert np.all(attn >= plain)                   # (glued count, but the prose says "never below")
    p_params, _, test = attention_dates.train_date_model(None, seed=0)
    a_params, _, _ = attention_dates.train_date_model(attention="additive", seed=0)
    fmts = np.array(test.formats)
    acc = {}
    for label, params in (("plain", p_params), ("attention", a_params)):
        preds, _ = attention_dates.date_predictions(params, test)
        right = np.array([a == b for a, b in zip(preds, test.tgt_strings)])
        acc[label] = {f: right[fmts == f].mean() for f in set(test.formats)}
    worst_two = sorted(acc["plain"], key=acc["plain"].get)[:2]
    assert set(worst_two) == {"dd.MM.yy", "MM/dd/yyyy"}   # "the two all-digit ones"
    for f in worst_two:                                   # "far more accurate"
        assert acc["attention"][f] > acc["plain"][f] + 0.3


# --- chapter 12: training in practice ------------------------------------------------------
# Each test calls the experiment with the chapter's (default) arguments.


def test_ch12_truncation_error_shrinks_to_zero_and_cuts_inputs():
    from course_pkg.experiments import practice

    r = practice.truncation_bias()
    rel = r["rel_error"]
    assert np.all(np.diff(rel) < 0), rel                 # falls as the chunk grows
    k8 = int(np.flatnonzero(r["chunk"] == 8)[0])
    assert rel[k8] > 0.1                                 # "still off" at k = 8
    assert rel[-1] < 1e-12 and r["chunk"][-1] == r["dx_full"].shape[0]   # only k = T removes it
    T = r["dx_full"].shape[0]
    assert np.all(r["dx_trunc"][k8][: T - 8] == 0)       # "exactly zero" before the last chunk
    assert np.all(r["dx_full"] > 0)                      # full BPTT reaches every input


def test_ch12_recall_needs_a_chunk_longer_than_the_delay():
    from course_pkg.experiments import practice

    r = practice.recall_by_chunk()
    acc = r["accuracy"].mean(axis=1)
    short = acc[r["chunk"] <= r["delay"]]
    long_ = acc[r["chunk"] > r["delay"]]
    assert short.max() < r["chance"] + 0.1               # "stays at chance"
    assert long_.min() > short.max() + 0.1               # "beyond it the network learns"
    assert r["chance"] == 0.25


def test_ch12_clipping_threshold_u_shape():
    from course_pkg.experiments import practice

    r = practice.clipping_sweep()
    loss = np.asarray(r["final_loss"])
    best = int(np.argmin(loss))
    assert r["threshold"][best] not in (None, r["threshold"][0])   # a middle threshold wins
    assert loss[0] > 3 * loss[best]                      # the smallest tau crawls
    assert r["threshold"][-1] is None and r["diverged_at"][-1] is not None   # unclipped diverges
    norms = np.asarray(r["runs"][best]["grad_norm"])
    frac = np.mean(norms > r["threshold"][best])
    assert np.median(norms) > 10 * r["threshold"][best]  # "far above the threshold"
    assert frac > 0.9                                    # clipping sets every step's length


def test_ch12_forget_bias_matters_more_than_the_recurrent_start():
    from course_pkg.experiments import practice

    r = practice.init_comparison()
    assert len(r["seeds"]) == 5                          # "five times each"
    acc = r["accuracy"].mean(axis=1)
    assert r["labels"][0] == "forget bias 0" and r["labels"][1] == "forget bias 1"
    assert r["accuracy"][0].max() < 0.3                  # bias 0 stays at chance, every seed
    assert r["accuracy"][1:].min() > r["accuracy"][0].max() + 0.08  # every bias-1 run learns
    assert acc[1:].max() - acc[1:].min() < acc[1:].min() - acc[0]   # closer to each other


def test_ch12_bidirectional_sees_the_next_symbol():
    from course_pkg.experiments import practice

    r = practice.lookahead_comparison()
    assert r["unidirectional"]["accuracy"] < r["chance"] + 0.08
    assert r["bidirectional"]["accuracy"] > 0.9
    assert abs(np.mean(r["unidirectional"]["loss"][-20:]) - np.log(4)) < 0.05


def test_ch12_stacked_bilstm_matches_the_torch_fixture_to_rounding_error():
    """The chapter's cell: our 2-layer bidirectional LSTM on case 0 of the fixture."""
    from course_pkg.stacked import stacked_backward, stacked_forward

    path = BOOK.parent / "tests" / "fixtures" / "torch_stacked_bilstm.npz"
    with np.load(path) as data:
        a = {k[len("case0__"):]: data[k] for k in data.files if k.startswith("case0__")}
    ours = {k[len("param_"):]: v for k, v in a.items() if k.startswith("param_")}
    state0 = tuple((a["h0"][j], a["c0"][j]) for j in range(4))
    out, _, cache = stacked_forward(a["X"], ours, "lstm", state0)
    dX, _, grads = stacked_backward(a["dout"], cache, tuple((a["dh_n"][j], a["dc_n"][j])
                                                            for j in range(4)))
    worst = max(np.abs(out - a["out"]).max(), np.abs(dX - a["grad_X"]).max(),
                max(np.abs(grads[k] - a[f"grad_{k}"]).max() for k in grads))
    assert worst < 1e-12                                 # "float64 rounding error"
    assert len(grads) == 32


# --- project: the character-level language model -------------------------------------------


@pytest.fixture(scope="module")
def charlm_project():
    """The project chapter's training run, with the chapter's settings."""
    from course_pkg import charlm

    text = charlm.load_text()
    vocab = charlm.build_vocab(text)
    ids = charlm.encode(text, vocab)
    split = int(0.9 * len(ids))
    train_ids, held_out = ids[:split], ids[split:]
    inputs, targets = charlm.make_batches(train_ids, seq_len=25, batch_size=32)
    params = charlm.init_charlm_params(len(vocab), 64, rng=0)
    ppl = {"train": [charlm.perplexity(params, train_ids[:2000])],
           "held": [charlm.perplexity(params, held_out)]}
    for _ in range(10):
        params, _ = charlm.train_charlm(params, inputs, targets, lr=0.02, clip=1.0)
        ppl["train"].append(charlm.perplexity(params, train_ids[:2000]))
        ppl["held"].append(charlm.perplexity(params, held_out))
    return charlm, params, vocab, text, ppl


def test_charlm_untrained_is_close_to_uniform(charlm_project):
    _, _, vocab, _, ppl = charlm_project
    assert 0.8 * len(vocab) < ppl["held"][0] < 1.2 * len(vocab)


def test_charlm_learns_and_generalises_less_well_than_it_fits(charlm_project):
    ppl = charlm_project[-1]
    assert ppl["held"][-1] < 0.3 * ppl["held"][0]  # it learned which characters follow which
    assert ppl["train"][-1] < ppl["held"][-1]  # better on the text it has read


def test_charlm_low_temperature_writes_story_words_high_temperature_does_not(charlm_project):
    charlm, params, vocab, text, _ = charlm_project
    words = set(re.findall(r"[a-z]+", text.lower()))

    def known_share(temperature):
        sample = charlm.sample(params, vocab, "Mei ", 160, temperature, rng=0)[4:]
        found = re.findall(r"[a-z]+", sample.lower())
        return sum(w in words for w in found) / max(len(found), 1)

    assert known_share(0.3) > 0.5
    assert known_share(0.3) > known_share(1.0) > known_share(1.5)
    assert known_share(1.5) < known_share(0.3) - 0.2


# --- worked examples and beam search: the chapters' own cells, executed ---------------------

_CELL_RE = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.M | re.S)


def _run_cells(chapter: str, marker: str, monkeypatch) -> tuple[dict, dict]:
    """Run the chapter's first code cell (imports), then the cell containing ``marker``.

    ``myst_nb.glue`` is replaced by a recorder, so the test sees exactly the
    values the prose quotes. Returns the cell's namespace and the glued values.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import myst_nb

    glued: dict = {}
    monkeypatch.setattr(myst_nb, "glue",
                        lambda key, value, display=True: glued.update({key: value}))
    cells = _CELL_RE.findall((BOOK / f"{chapter}.md").read_text(encoding="utf-8"))
    target = [c for c in cells if marker in c]
    assert len(target) == 1, f"{chapter}: {len(target)} cells contain {marker!r}"
    namespace: dict = {}
    exec(cells[0], namespace)                                    # the book's own code
    exec(target[0], namespace)
    plt.close("all")
    return namespace, glued


def test_ch7_scalar_step_by_hand_equals_the_package(monkeypatch):
    from course_pkg.lstm import lstm_step_forward

    ns, glued = _run_cells("07_lstm_through_time", "hand = {", monkeypatch)
    cache = ns["step_cache"]
    for gate in "figo":
        assert glued[f"ch7-hand-{gate}"] == pytest.approx(cache[gate][0, 0], abs=1e-14)
    assert glued["ch7-hand-c"] == pytest.approx(ns["c_pkg"][0, 0], abs=1e-14)
    assert glued["ch7-hand-h"] == pytest.approx(ns["h_pkg"][0, 0], abs=1e-14)
    assert glued["ch7-hand-dc-prev"] == pytest.approx(ns["dc_prev_pkg"][0, 0], abs=1e-14)
    assert glued["ch7-hand-dh-prev"] == pytest.approx(ns["dh_prev_pkg"][0, 0], abs=1e-14)
    assert glued["ch7-hand-dx"] == pytest.approx(ns["dx_pkg"][0, 0], abs=1e-14)
    for k in "figo":
        np.testing.assert_allclose(ns["dW"][k], ns["grads_pkg"][f"W_{k}"][:, 0], atol=1e-14)
    assert glued["ch7-hand-gap"] < 1e-12
    # the backward by hand is the derivative of the forward (central differences on dh/dc_prev)
    params, eps = ns["params"], 1e-6
    x, h_prev, c_prev = (np.array([[ns[k]]]) for k in ("x", "h_prev", "c_prev"))
    h_up, _, _ = lstm_step_forward(x, h_prev, c_prev + eps, params)
    h_down, _, _ = lstm_step_forward(x, h_prev, c_prev - eps, params)
    assert glued["ch7-hand-dc-prev"] == pytest.approx(((h_up - h_down) / (2 * eps))[0, 0],
                                                      rel=1e-6)
    # prose: c keeps most of the old value (f c_prev) and adds a smaller share (i g)
    assert ns["f"] * ns["c_prev"] > ns["i"] * ns["g"] > 0
    assert glued["ch7-hand-dc-prev"] == pytest.approx(ns["dc"] * ns["f"])


def test_ch10_decoder_step_by_hand(monkeypatch):
    _, glued = _run_cells("10_attention", "h_dec = [1.0, 0.5]", monkeypatch)
    a1, a2, a3 = (glued[f"ch10-hand-alpha{s}"] for s in (1, 2, 3))
    assert a3 > a1 > a2 > 0                       # best match first, none ignored
    assert a1 + a2 + a3 == pytest.approx(1.0)
    assert glued["ch10-hand-gap"] < 1e-12
    # leans towards h3 = (1, 1) and h1 = (1, 0): the first coordinate is the larger
    assert glued["ch10-hand-ctx1"] > glued["ch10-hand-ctx2"]


def test_ch11_three_tokens_by_hand(monkeypatch):
    ns, glued = _run_cells("11_transformers", "X3 = [[1.0, 0.0]", monkeypatch)
    A_self, A_cross = np.array(ns["A_self"]), np.array(ns["A_cross"])
    assert glued["ch11-hand-self-33"] == A_self[2].max() == A_self[2, 2]
    assert glued["ch11-hand-self-12"] == A_self[0].min() > 0
    assert glued["ch11-hand-cross-22"] > glued["ch11-hand-cross-21"]
    assert glued["ch11-hand-cross-22"] == A_cross[1].max()
    assert glued["ch11-hand-cross-21"] == A_cross[1].min()
    assert glued["ch11-hand-gap"] < 1e-12


def test_ch9_beam_search_beats_greedy_on_the_trap(monkeypatch):
    ns, glued = _run_cells("09_encoder_decoder", "greedy_trap()", monkeypatch)
    vocab, results = ns["TRAP_VOCAB"], ns["results"]
    words = {name: [vocab[t] for t in tokens] for name, (tokens, _) in results.items()}
    assert words["greedy"] == words["beam, k = 1"] == ["a", "<eos>"]
    assert words["beam, k = 2"] == ["b", "<eos>"]
    ratio = glued["ch9-beam-beam-p"] / glued["ch9-beam-greedy-p"]
    assert 1.5 < ratio < 2                       # "almost twice as likely"
