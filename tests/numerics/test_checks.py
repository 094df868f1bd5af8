"""Tests for course_pkg._checks: the validation every public function relies on.

The messages are part of the teaching: each must name the argument, the
expected shape or dtype, what arrived, and what to do.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_pkg._checks import (
    _evaluate,
    check_array,
    check_cache,
    check_choice,
    check_count,
    check_finite,
    check_gate_cache,
    check_gate_inputs,
    check_params,
    evaluate_shape,
    format_shape,
)


def test_format_shape():
    assert format_shape(("N", "H + D"), {"N": 2, "H": 3, "D": 4}) == "(N=2, H + D=7)"
    assert format_shape(("N", "H")) == "(N, H)"
    assert format_shape(("H",), {"H": 5}) == "(H=5,)"
    assert format_shape((3, "4H"), {"H": 2}) == "(3, 4H=8)"


@pytest.mark.parametrize(
    ("expr", "dims", "value"),
    [("H", {"H": 3}, 3), ("H + D", {"H": 3, "D": 4}, 7), ("4H", {"H": 5}, 20),
     ("H+1", {"H": 2}, 3), ("2", {}, 2), ("H + D", {"H": 3}, None)],
)
def test_evaluate(expr, dims, value):
    assert _evaluate(expr, dims) == value


def test_check_array_binds_and_returns_same_object():
    dims: dict[str, int] = {}
    x = np.zeros((2, 4))
    assert check_array("x", x, ("N", "D"), dims) is x
    assert dims == {"N": 2, "D": 4}
    check_array("h_prev", np.zeros((2, 3)), ("N", "H"), dims)
    check_array("W_f", np.zeros((7, 3)), ("H + D", "H"), dims)
    check_array("b", np.zeros(12, dtype=np.float32), ("4H",), dims)  # float32 is fine


def test_not_an_array():
    with pytest.raises(ValueError, match=r"x must be a numpy array of shape \(N, D\), got list"
                                         r".*np\.asarray\(x, dtype=np\.float64\)"):
        check_array("x", [[1.0, 2.0]], ("N", "D"))


def test_wrong_float_dtype():
    with pytest.raises(ValueError, match=r"x must have dtype float64 \(or float32\), got int64"
                                         r".*x\.astype\(np\.float64\)"):
        check_array("x", np.zeros((2, 2), dtype=np.int64), ("N", "D"))


def test_bool_and_int_dtypes():
    check_array("mask", np.ones((2, 3), dtype=bool), ("N", "S"), dtype="bool")
    with pytest.raises(ValueError, match=r"mask must be a boolean mask \(True = keep\), "
                                         r"got dtype int64.*astype\(bool\)"):
        check_array("mask", np.ones((2, 3), dtype=np.int64), ("N", "S"), dtype="bool")
    check_array("src", np.ones((2, 3), dtype=np.int32), ("S", "N"), dtype="int")
    with pytest.raises(ValueError, match=r"src must hold integer token ids, got dtype float64"):
        check_array("src", np.ones((2, 3)), ("S", "N"), dtype="int")


def test_wrong_ndim():
    with pytest.raises(ValueError, match=r"x must have 2 dimension\(s\) with shape \(N, D\), "
                                         r"got 1 dimension\(s\) with shape \(3,\)"):
        check_array("x", np.zeros(3), ("N", "D"))


def test_wrong_size_names_axis_and_suggests_transpose():
    dims = {"N": 2, "H": 3, "D": 4}
    with pytest.raises(ValueError) as info:
        check_array("W_f", np.zeros((3, 7)), ("H + D", "H"), dims)
    msg = str(info.value)
    assert "W_f has shape (3, 7), expected (H + D=7, H=3)" in msg
    assert "axis 0 should be H + D = 7 but is 3" in msg
    assert "transposed" in msg


def test_dimension_bound_earlier_must_agree():
    dims: dict[str, int] = {}
    check_array("x", np.zeros((2, 4)), ("N", "D"), dims)
    with pytest.raises(ValueError, match=r"h_prev has shape \(5, 3\), expected \(N=2, H=3\)"):
        check_array("h_prev", np.zeros((5, 3)), ("N", "H"), dims)


def test_fixed_int_dimension():
    check_array("X", np.zeros((3, 2)), ("T", 2))
    with pytest.raises(ValueError, match="axis 1 should be 2 = 2 but is 3"):
        check_array("X", np.zeros((3, 3)), ("T", 2))


@pytest.mark.parametrize(("bad", "kind"), [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")])
def test_nonfinite(bad, kind):
    x = np.zeros((2, 3))
    x[1, 2] = bad
    with pytest.raises(ValueError, match=rf"x contains 1 non-finite value\(s\) \({kind} at "
                                         r"index \(1, 2\)\).*exploding gradient"):
        check_array("x", x, ("N", "D"))
    check_array("x", x, ("N", "D"), finite=False)  # allowed when asked
    with pytest.raises(ValueError, match="non-finite"):
        check_finite("x", x)


def test_check_finite_counts():
    x = np.array([np.nan, 1.0, np.inf, np.nan])
    with pytest.raises(ValueError, match=r"3 non-finite value\(s\) \(NaN at index \(0,\)\)"):
        check_finite("x", x)
    check_finite("x", np.ones(3))


def test_check_params():
    spec = {"W_f": ("H + D", "H"), "b_f": ("H",)}
    dims = {"N": 2, "D": 4}
    params = {"W_f": np.zeros((7, 3)), "b_f": np.zeros(3)}
    check_params(params, spec, dims)
    assert dims["H"] == 3

    with pytest.raises(ValueError, match=r"params must be a dict of numpy arrays with keys "
                                         r"\['W_f', 'b_f'\], got list"):
        check_params([params["W_f"]], spec, {})
    with pytest.raises(ValueError, match=r"params is missing key\(s\) \['b_f'\]; expected keys "
                                         r"\['W_f', 'b_f'\].*init_\*_params"):
        check_params({"W_f": params["W_f"]}, spec, {"D": 4})
    with pytest.raises(ValueError, match=r"params\['b_f'\] has shape \(4,\)"):
        check_params({"W_f": params["W_f"], "b_f": np.zeros(4)}, spec, {"D": 4})
    with pytest.raises(ValueError, match=r"grads\['W_f'\]"):
        check_params({"W_f": np.zeros((3, 7)), "b_f": np.zeros(3)}, spec, {"D": 4},
                     where="grads")


def test_check_count_accepts_ints_and_rejects_bools_floats_and_small_values():
    assert check_count("n", 3, 1) == 3
    assert check_count("n", np.int64(0), 0) == 0
    for bad in (True, 2.0, 0, "3"):
        with pytest.raises(ValueError, match=r"n must be an int >= 1"):
            check_count("n", bad, 1)


def test_check_cache_dict_and_tuple():
    check_cache({"a": 1, "b": 2}, ("a", "b"), "f_forward")
    with pytest.raises(ValueError, match=r"cache is missing key\(s\) \['b'\].*f_forward"):
        check_cache({"a": 1}, ("a", "b"), "f_forward")
    with pytest.raises(ValueError, match=r"cache must be the dict returned by f_forward.*tuple"):
        check_cache((1, 2), ("a", "b"), "f_forward")
    check_cache((1, 2), ("a", "b"), "gate", as_tuple=True)
    with pytest.raises(ValueError, match=r"tuple returned by gate \(2 entries.*length 1"):
        check_cache((1,), ("a", "b"), "gate", as_tuple=True)
    with pytest.raises(ValueError, match=r"cache must be the tuple returned by gate.*dict"):
        check_cache({"a": 1, "b": 2}, ("a", "b"), "gate", as_tuple=True)


def test_evaluate_shape_and_unbound_dimensions():
    assert evaluate_shape(("H + D", "4H", 2), {"H": 3, "D": 4}) == (7, 12, 2)
    with pytest.raises(ValueError, match="unbound dimension"):
        evaluate_shape(("H + D",), {"H": 3})


def test_check_choice_names_the_options():
    check_choice("cell", "gru", ("rnn", "gru"))
    with pytest.raises(ValueError, match=r"cell must be one of 'rnn', 'gru'; got 'cnn'\. Hint"):
        check_choice("cell", "cnn", ("rnn", "gru"), " Hint")
    with pytest.raises(ValueError, match="must be one of"):
        check_choice("cell", np.zeros(2), ("rnn",))


def test_check_finite_custom_advice():
    with pytest.raises(ValueError, match=r"g contains 1 non-finite value\(s\) \(inf at index "
                       r"\(0,\)\)\. Clip it\."):
        check_finite("g", np.array([np.inf, 1.0]), "Clip it.")


def test_gate_checks_bind_h_and_check_the_cache():
    h, x = np.zeros((2, 3)), np.zeros((2, 4))
    assert check_gate_inputs(h, x, np.zeros((7, 3)), np.zeros(3), "W_f", "b_f") == 3
    with pytest.raises(ValueError, match=r"W_f has shape \(6, 3\)"):
        check_gate_inputs(h, x, np.zeros((6, 3)), np.zeros(3), "W_f", "b_f")
    cache = (np.zeros((2, 7)), np.zeros((7, 3)), np.zeros((2, 3)), 3)
    assert check_gate_cache(np.ones((2, 3)), cache, "df", "forget_gate") is cache
    with pytest.raises(ValueError, match="returned by forget_gate"):
        check_gate_cache(np.ones((2, 3)), cache[:3], "df", "forget_gate")
    with pytest.raises(ValueError, match="df"):
        check_gate_cache(np.ones((2, 4)), cache, "df", "forget_gate")
