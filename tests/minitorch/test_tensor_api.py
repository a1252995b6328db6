"""The Tensor's non-math API against torch: device handling, dtype conversions, Python protocols
(item, tolist, numpy, len, iter, bool, float/int/index, __array__), default dtype, type(), sizes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch
from parity import run_both


def same_tensor(mt, th) -> None:
    assert tuple(mt.shape) == tuple(th.shape)
    assert str(mt.dtype).split(".")[-1] == str(th.dtype).split(".")[-1]
    assert mt.tolist() == th.tolist() or np.allclose(np.asarray(mt.tolist(), float), np.asarray(th.tolist(), float),
                                                     equal_nan=True)


# device ------------------------------------------------------------------------------------------------------------
def test_device_is_cpu():
    t = minitorch.ones(2)
    assert t.device == minitorch.device("cpu") and str(t.device) == "cpu" and t.device.type == "cpu"
    assert repr(t.device) == repr(torch.ones(2).device)
    assert not t.is_cuda
    assert t.to("cpu") is t and t.cpu() is t and t.to(minitorch.device("cpu")) is t
    assert minitorch.zeros(2, device="cpu").device.type == "cpu"


CUDA = {
    "to_cuda": lambda t: t.to("cuda"),
    "to_cuda0": lambda t: t.to("cuda:0"),
    "to_device_cuda": lambda t: t.to(minitorch.device("cuda")),
    "cuda": lambda t: t.cuda(),
    "zeros_cuda": lambda t: minitorch.zeros(2, device="cuda"),
    "tensor_cuda": lambda t: minitorch.tensor([1.0], device="cuda"),
    "rand_cuda": lambda t: minitorch.rand(2, device="cuda"),
    "arange_cuda": lambda t: minitorch.arange(3, device="cuda"),
    "like_cuda": lambda t: minitorch.zeros_like(t, device="cuda"),
    "new_cuda": lambda t: t.new_zeros(2, device="cuda"),
}


@pytest.mark.parametrize("case", CUDA, ids=list(CUDA))
def test_cuda_raises_no_gpu_backend(case):
    with pytest.raises(RuntimeError, match="minitorch has no cuda backend"):
        CUDA[case](minitorch.ones(2))


def test_bad_device_string():
    mt, th = run_both(lambda fw: fw.device("gpu"))
    assert type(mt) is type(th) is RuntimeError


# dtype conversions ---------------------------------------------------------------------------------------------------
CONVERSIONS = {
    "float": lambda t, fw: t.float(),
    "double": lambda t, fw: t.double(),
    "half": lambda t, fw: t.half(),
    "long": lambda t, fw: t.long(),
    "int": lambda t, fw: t.int(),
    "short": lambda t, fw: t.short(),
    "char": lambda t, fw: t.char(),
    "byte": lambda t, fw: t.byte(),
    "bool": lambda t, fw: t.bool(),
    "to_dtype": lambda t, fw: t.to(fw.int16),
    "to_dtype_kw": lambda t, fw: t.to(dtype=fw.float64),
    "to_device_dtype": lambda t, fw: t.to("cpu", fw.float16),
    "to_other": lambda t, fw: t.to(fw.zeros(1, dtype=fw.int64)),
    "type_dtype": lambda t, fw: t.type(fw.float64),
    "type_string": lambda t, fw: t.type(f"{fw.__name__}.IntTensor"),
}
SOURCES = {"float": [1.7, -1.2, 0.0, 2.5], "int": [3, -2, 0, 7], "bool": [True, False, True, False]}


@pytest.mark.parametrize("src", SOURCES, ids=list(SOURCES))
@pytest.mark.parametrize("case", CONVERSIONS, ids=list(CONVERSIONS))
def test_conversions_match_torch(case, src):
    mt, th = run_both(lambda fw: CONVERSIONS[case](fw.tensor(SOURCES[src]), fw))
    same_tensor(mt, th)


def test_to_same_dtype_returns_self_and_copy_copies():
    t = minitorch.ones(2)
    assert t.float() is t and t.to(minitorch.float32) is t
    c = t.to(minitorch.float32, copy=True)
    assert c is not t and c.data_ptr() != t.data_ptr()


def test_conversion_is_differentiable():
    x = minitorch.tensor([1.5, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.dtype is minitorch.float64
    (y * 2).sum().backward()
    assert x.grad.dtype is minitorch.float32 and x.grad.tolist() == [2.0, 2.0]


# Python protocols ------------------------------------------------------------------------------------------------
PROTOCOLS = {
    "item_float": lambda fw: fw.tensor(1.5).item(),
    "item_int": lambda fw: fw.tensor([[7]]).item(),
    "item_bool": lambda fw: fw.tensor(True).item(),
    "item_nan_is_float": lambda fw: type(fw.tensor(float("nan")).item()).__name__,
    "item_type_int": lambda fw: type(fw.tensor(3).item()).__name__,
    "item_requires_grad": lambda fw: fw.ones(1, requires_grad=True).item(),
    "tolist": lambda fw: fw.tensor([[1, 2], [3, 4]]).tolist(),
    "tolist_0d": lambda fw: fw.tensor(2.5).tolist(),
    "tolist_f16": lambda fw: fw.tensor([0.1], dtype=fw.float16).tolist(),
    "tolist_requires_grad": lambda fw: fw.ones(2, requires_grad=True).tolist(),
    "len": lambda fw: len(fw.ones(3, 2)),
    "len_empty": lambda fw: len(fw.zeros(0, 4)),
    "iter": lambda fw: [x.tolist() for x in fw.tensor([[1, 2], [3, 4]])],
    "iter_shapes": lambda fw: [tuple(x.shape) for x in fw.zeros(2, 3, 4)],
    "bool_true": lambda fw: bool(fw.tensor([3])),
    "bool_false": lambda fw: bool(fw.tensor(0.0)),
    "float": lambda fw: float(fw.tensor([2.5])),
    "float_of_int": lambda fw: float(fw.tensor(3)),
    "int_truncates": lambda fw: int(fw.tensor(-2.7)),
    "index": lambda fw: [10, 20, 30][fw.tensor(1)],
    "index_in_range": lambda fw: list(range(10))[fw.tensor(2):fw.tensor(5)],
    "numel": lambda fw: fw.zeros(2, 3, 4).numel(),
    "nelement": lambda fw: fw.zeros(2, 0).nelement(),
    "dim": lambda fw: fw.zeros(2, 3, 4).dim(),
    "dim_0d": lambda fw: fw.tensor(1).dim(),
    "ndim": lambda fw: fw.zeros(2, 3).ndim,
    "element_size_f32": lambda fw: fw.zeros(1).element_size(),
    "element_size_f16": lambda fw: fw.zeros(1, dtype=fw.float16).element_size(),
    "element_size_i64": lambda fw: fw.zeros(1, dtype=fw.int64).element_size(),
    "element_size_bool": lambda fw: fw.zeros(1, dtype=fw.bool).element_size(),
    "size": lambda fw: list(fw.zeros(2, 3).size()),
    "size_dim": lambda fw: fw.zeros(2, 3).size(-1),
    "type_float": lambda fw: fw.zeros(1).type().split(".")[-1],
    "type_int32": lambda fw: fw.zeros(1, dtype=fw.int32).type().split(".")[-1],
    "type_bool": lambda fw: fw.zeros(1, dtype=fw.bool).type().split(".")[-1],
    "type_f64": lambda fw: fw.zeros(1, dtype=fw.float64).type().split(".")[-1],
    "is_floating_point": lambda fw: (fw.zeros(1).is_floating_point(), fw.zeros(1, dtype=fw.int8).is_floating_point()),
}


@pytest.mark.parametrize("case", PROTOCOLS, ids=list(PROTOCOLS))
def test_protocols_match_torch(case):
    mt, th = run_both(PROTOCOLS[case])
    assert not isinstance(th, Exception), th
    assert mt == th and type(mt) is type(th), (mt, th)


PROTOCOL_ERRORS = {
    "item_many": lambda fw: fw.ones(2).item(),
    "bool_many": lambda fw: bool(fw.ones(2)),
    "bool_empty": lambda fw: bool(fw.zeros(0)),
    "if_many": lambda fw: 1 if fw.tensor([1, 2]) > 0 else 0,
    "float_many": lambda fw: float(fw.ones(2)),
    "int_many": lambda fw: int(fw.ones(3)),
    "index_float": lambda fw: [1, 2][fw.tensor(1.0)],
    "index_many": lambda fw: [1, 2][fw.tensor([0, 1])],
    "len_0d": lambda fw: len(fw.tensor(1.0)),
    "iter_0d": lambda fw: iter(fw.tensor(1.0)),
    "numpy_requires_grad": lambda fw: fw.ones(2, requires_grad=True).numpy(),
    "default_dtype_int": lambda fw: fw.set_default_dtype(fw.int64),
}
# the exact wording differs; the exception type and the key words match
LOOSE = {"len_0d": "0-d tensor", "iter_0d": "0-d tensor", "default_dtype_int": "only floating-point types"}


@pytest.mark.parametrize("case", PROTOCOL_ERRORS, ids=list(PROTOCOL_ERRORS))
def test_protocol_errors_match_torch(case):
    mt, th = run_both(PROTOCOL_ERRORS[case])
    assert isinstance(th, Exception), th
    assert isinstance(mt, Exception) and type(mt) is type(th), (mt, th)
    if case in LOOSE:
        assert LOOSE[case] in str(mt) and LOOSE[case] in str(th)
    else:
        assert str(mt) == str(th)


def test_numpy_shares_memory():
    t = minitorch.zeros(2, 3)
    a = t.numpy()
    a[0, 1] = 4.0
    assert t[0, 1].item() == 4.0
    t[1, 2] = 5.0
    assert a[1, 2] == 5.0
    assert t.detach().numpy().base is a.base or np.shares_memory(t.detach().numpy(), a)
    view = t.t()
    assert np.shares_memory(view.numpy(), a) and view.numpy().shape == (3, 2)


def test_numpy_dtype_and_force():
    for name in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"):
        assert minitorch.zeros(1, dtype=getattr(minitorch, name)).numpy().dtype == np.dtype(name)
    t = minitorch.ones(2, requires_grad=True)
    forced = t.numpy(force=True)
    assert forced.tolist() == [1.0, 1.0]


def test_array_protocol():
    t = minitorch.arange(6).reshape(2, 3)
    a = np.asarray(t)
    assert a.dtype == np.int64 and a.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert np.shares_memory(a, t.numpy())
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert np.array(minitorch.tensor([1.5, 2.5])).sum() == 4.0


def test_default_dtype_roundtrip():
    assert minitorch.get_default_dtype() is minitorch.float32
    minitorch.set_default_dtype(minitorch.float64)
    try:
        assert minitorch.get_default_dtype() is minitorch.float64
        assert minitorch.tensor(1.0).dtype is minitorch.float64
        assert (minitorch.tensor([1, 2]) * 0.5).dtype is minitorch.float64
        assert repr(minitorch.tensor([1.5])) == "tensor([1.5000])"
        assert repr(minitorch.tensor([1.5], dtype=minitorch.float32)) == "tensor([1.5000], dtype=minitorch.float32)"
    finally:
        minitorch.set_default_dtype(minitorch.float32)
    assert minitorch.tensor(1.0).dtype is minitorch.float32


def _set_requires_grad(t):
    t.requires_grad = True


@pytest.mark.parametrize("how", [lambda t: t.requires_grad_(), _set_requires_grad], ids=["method", "attribute"])
def test_requires_grad_on_int_tensor_message(how):
    # torch words the method's, the attribute's and the factories' errors differently: each is matched
    mt, th = run_both(lambda fw: how(fw.zeros(2, dtype=fw.int32)))
    assert type(mt) is type(th) is RuntimeError and str(mt) == str(th)


def test_dtype_conversion_node_is_named_like_torch():
    for fw in (minitorch, torch):
        x = fw.ones(2, requires_grad=True)
        name = x.double().grad_fn.name() if fw is minitorch else type(x.double().grad_fn).__name__
        assert name == "ToCopyBackward0"
