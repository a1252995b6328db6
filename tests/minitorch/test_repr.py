"""``repr(tensor)`` (minitorch/_tensor_str.py) against torch's text, with "torch." spelled "minitorch."."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch

_rng = np.random.default_rng(0)
f32, f64, f16 = np.float32, np.float64, np.float16

CASES = {
    "ints": np.array([1, -2, 300]),
    "int_2d": np.array([[1, 22], [-333, 4]]),
    "int_0d": np.array(5),
    "int_large": np.array([10 ** 12, -5]),
    "bools": np.array([True, False]),
    "bool_2d": np.array([[True, False], [False, True]]),
    "bool_0d": np.array(True),
    "bool_long_row": np.tile([True, False], 20),
    "float_0d": np.array(2.5, f32),
    "float_0d_negative_whole": np.array(-3.0, f32),
    "float_whole": np.array([1.0, 2.0, -3.0], f32),
    "float_whole_negative": np.array([-1.0, -20.0], f32),
    "float_decimals": np.array([1.5, -2.25, 3.125], f32),
    "float_2d": _rng.standard_normal((3, 4)).astype(f32),
    "float_zeros": np.zeros(3, f32),
    "negative_zero": np.array([-0.0, 1.0], f32),
    "rounding_up": np.array([0.99995, 1.00004], f32),
    "sci_large": np.array([1e10, 1.0], f32),
    "sci_small": np.array([1e-5, 1.0], f32),
    "sci_ratio": np.array([0.001, 10.0], f32),
    "fixed_ratio_below_1000": np.array([0.01, 9.0], f32),
    "sci_mixed_sign": np.array([-1e-5, 2.0, 3e3], f32),
    "sci_whole_above_1e8": np.array([1e9, 1.0], f32),
    "whole_1e8": np.array([1e8, 2.0], f32),
    "fixed_big_values": np.array([123456.789, 1.5], f32),
    "float64_tiny": np.array([1e-10]),
    "float64_1e-4": np.array([1e-4, 1.0]),
    "float64_thirds": np.array([1 / 3, 2 / 3]),
    "float64_sci_negative": np.array([-1e10, 5.0]),
    "float64_whole_large": np.array([1e16, 2.0]),
    "nan_inf": np.array([np.nan, np.inf, -np.inf, 1.5], f32),
    "nan_only": np.array([np.nan], f32),
    "inf_with_whole": np.array([np.inf, 2.0], f32),
    "nan_with_whole": np.array([np.nan, 1.0, 2.0], f32),
    "float16": np.array([1.5, 2.0], f16),
    "float16_sci": np.array([1e-4, 60000], f16),
    "int32": np.array([1, 2], np.int32),
    "uint8": np.array([1, 200], np.uint8),
    "int8": np.array([-1], np.int8),
    "int16": np.array([3], np.int16),
    "empty": np.zeros((0,), f32),
    "empty_2d": np.zeros((2, 0), f32),
    "empty_int": np.zeros((0, 3), np.int64),
    "empty_float64": np.zeros((0,)),
    "empty_bool": np.zeros((0,), bool),
    "3d": _rng.standard_normal((2, 3, 4)).astype(f32),
    "3d_int": _rng.integers(-50, 50, (2, 2, 3)),
    "4d": np.arange(24, dtype=f32).reshape(2, 3, 2, 2),
    "column": np.arange(5.0, dtype=f32).reshape(5, 1),
    "one_element_2d": np.array([[3.5]], f32),
    "long_row_wraps": _rng.standard_normal(30).astype(f32),
    "long_int_row_wraps": np.arange(40),
    "long_rows_2d_wrap": _rng.standard_normal((3, 25)).astype(f32),
    "long_row_float64_suffix_wraps": _rng.standard_normal(9),
    "suffix_wraps_int32": np.arange(100000, 100012, dtype=np.int32),
    "suffix_on_new_line": np.full(7, 0.1),
    "suffix_fits_as_torch_spells_it": np.full(7, 10000, np.int32),   # "minitorch." would not fit in 80 columns
    "summarised_1d": np.arange(2000, dtype=f32),
    "summarised_2d": _rng.standard_normal((50, 50)).astype(f32),
    "summarised_int": np.arange(1001),
    "summarised_3d": _rng.standard_normal((20, 10, 10)).astype(f32),
    "summarised_sci": (_rng.standard_normal(2000) * 1e6).astype(f32),
    "summarised_bool": np.ones(1500, bool),
    "summarised_wide_rows": _rng.standard_normal((4, 2000)).astype(f32),
    "not_summarised_1000": np.arange(1000, dtype=f32),
}


def torch_text(t: torch.Tensor) -> str:
    return repr(t).replace("torch.", "minitorch.")


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_repr_matches_torch(case):
    a = CASES[case]
    assert repr(minitorch.from_numpy(a.copy())) == torch_text(torch.from_numpy(a.copy()))


@pytest.mark.parametrize("case", ["float_decimals", "float_2d", "empty", "long_row_float64_suffix_wraps", "int32",
                                  "suffix_on_new_line"])
def test_repr_requires_grad(case):
    a = CASES[case]
    if a.dtype.kind != "f":
        a = a.astype(f32)
    mt = minitorch.from_numpy(a.copy()).requires_grad_()
    th = torch.from_numpy(a.copy()).requires_grad_()
    assert repr(mt) == torch_text(th)


# ops whose node names agree with torch's (minitorch names nodes after its Function classes)
GRAD_FN = {
    "mul": lambda x: x * 2,
    "add": lambda x: x + 1,
    "sum": lambda x: x.sum(),
    "sub_float64": lambda x: (x.double() - 1).sum(),
    "div": lambda x: x / 3,
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "view": lambda x: x.view(2, 2),
    "expand": lambda x: x[None].expand(2, 4) * 1,
}


@pytest.mark.parametrize("case", GRAD_FN, ids=list(GRAD_FN))
def test_repr_grad_fn(case):
    data = [1.5, -2.0, 0.25, 4.0]
    mt = GRAD_FN[case](minitorch.tensor(data, requires_grad=True))
    th = GRAD_FN[case](torch.tensor(data, requires_grad=True))
    assert repr(mt) == torch_text(th)


def test_repr_detached_and_no_grad():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x.detach()) == "tensor([1., 2.])"
    with minitorch.no_grad():
        assert repr(x * 2) == "tensor([2., 4.])"


def test_repr_under_float64_default():
    minitorch.set_default_dtype(minitorch.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for a in (np.array([1.5, 2.0]), np.array([1.5], f32), np.zeros((0,)), np.zeros((0,), f32)):
            assert repr(minitorch.from_numpy(a.copy())) == torch_text(torch.from_numpy(a.copy()))
    finally:
        minitorch.set_default_dtype(minitorch.float32)
        torch.set_default_dtype(torch.float32)


def test_str_and_format():
    t = minitorch.tensor([1.0, 2.5])
    assert str(t) == repr(t)
    assert f"{minitorch.tensor(2.5):.2f}" == "2.50"
    assert repr(minitorch.Size([2, 3])) == "minitorch.Size([2, 3])"
