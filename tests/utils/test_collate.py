"""minitorch.utils.data default_collate / default_convert against torch's on the same nested batches: the
structure (container types, keys, order), the dtypes, shapes and values must be equal, and bad batches raise
torch's exception with torch's message."""
import collections
import re
from typing import NamedTuple

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.utils.data as mdata
import torch.utils.data as tdata

FWS = {"minitorch": minitorch, "torch": torch}


class Point(NamedTuple):
    x: object
    y: object


class Frozen(collections.abc.Mapping):
    """A read-only mapping whose constructor takes no dict: collate falls back to a plain dict."""

    def __init__(self, **kw):
        self._d = kw

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


class Row(collections.abc.Sequence):
    """A read-only sequence rebuilt from a list (``Row(values)``)."""

    def __init__(self, values):
        self._v = list(values)

    def __getitem__(self, i):
        return self._v[i]

    def __len__(self):
        return len(self._v)

    def __eq__(self, other):
        return type(other) is Row and self._v == other._v


def _norm(x):
    """A framework-neutral description of a collated batch: container types, keys, dtypes, shapes, values."""
    if isinstance(x, (minitorch.Tensor, torch.Tensor)):
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), x.detach().numpy().tolist())
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.tolist())
    if isinstance(x, collections.abc.Mapping):
        return (type(x).__name__, [(k, _norm(v)) for k, v in x.items()])
    if isinstance(x, (list, tuple, Row)):
        return (type(x).__name__, [_norm(v) for v in x])
    return (type(x).__name__, x)


def _tensor(fw, values, dtype):
    return fw.tensor(values, dtype=getattr(fw, dtype))


# a batch is built per framework, so that tensors are each framework's own
BATCHES = {
    "tensors": lambda fw: [_tensor(fw, [1.0, 2.0], "float32"), _tensor(fw, [3.0, 4.0], "float32")],
    "tensors_int64_2d": lambda fw: [_tensor(fw, [[i, i + 1]], "int64") for i in range(3)],
    "scalar_tensors": lambda fw: [_tensor(fw, 1.5, "float64"), _tensor(fw, 2.5, "float64")],
    "noncontiguous": lambda fw: [fw.arange(6.0).reshape(2, 3).t(), fw.arange(6.0, 12.0).reshape(2, 3).t()],
    "floats": lambda fw: [0.5, 1.25, -2.0],
    "ints": lambda fw: [1, 2, -3],
    "bools": lambda fw: [True, False, True],
    "strings": lambda fw: ["a", "bc"],
    "bytes": lambda fw: [b"a", b"bc"],
    "numpy_arrays": lambda fw: [np.arange(3, dtype=np.float32), np.ones(3, dtype=np.float32)],
    "numpy_int32_2d": lambda fw: [np.full((2, 2), i, dtype=np.int32) for i in range(3)],
    "numpy_0d": lambda fw: [np.array(1.5), np.array(2.5)],
    "numpy_scalars_float32": lambda fw: [np.float32(1.5), np.float32(2)],
    "numpy_scalars_int16": lambda fw: [np.int16(1), np.int16(7)],
    "numpy_scalars_bool": lambda fw: [np.bool_(True), np.bool_(False)],
    "numpy_float64_scalars": lambda fw: [np.float64(0.25), np.float64(1)],
    "tuples": lambda fw: [(_tensor(fw, [1.0], "float32"), 0), (_tensor(fw, [2.0], "float32"), 1)],
    "lists": lambda fw: [[1, 2.0, "x"], [3, 4.0, "y"]],
    "dicts": lambda fw: [{"img": np.zeros((2, 2), np.uint8), "label": 3, "name": "a"},
                         {"img": np.ones((2, 2), np.uint8), "label": 4, "name": "b"}],
    "ordered_dict": lambda fw: [collections.OrderedDict(b=1, a=2.0), collections.OrderedDict(b=3, a=4.0)],
    "defaultdict": lambda fw: [collections.defaultdict(int, k=1), collections.defaultdict(int, k=2)],
    "frozen_mapping": lambda fw: [Frozen(a=1, b=2.0), Frozen(a=3, b=4.0)],
    "namedtuple": lambda fw: [Point(1, np.float32(2)), Point(3, np.float32(4))],
    "custom_sequence": lambda fw: [Row([1, 2.0]), Row([3, 4.0])],
    "nested": lambda fw: [({"a": [1, (2.5, "s")], "t": _tensor(fw, [[1, 2]], "int32")}, Point([True], b"q")),
                          ({"a": [3, (4.5, "u")], "t": _tensor(fw, [[3, 4]], "int32")}, Point([False], b"r"))],
    "mixed_int_bool": lambda fw: [True, 2],
    "single": lambda fw: [{"x": _tensor(fw, [1.0, 2.0], "float64")}],
}


@pytest.mark.parametrize("name", BATCHES, ids=[f"default_collate-{n}" for n in BATCHES])
def test_default_collate_equals_torch(name):
    mine = mdata.default_collate(BATCHES[name](minitorch))
    theirs = tdata.default_collate(BATCHES[name](torch))
    assert _norm(mine) == _norm(theirs)


def test_default_collate_keeps_namedtuple_and_mutable_types():
    batch = [Point(1, 2.0), Point(3, 4.0)]
    out = mdata.default_collate(batch)
    assert type(out) is Point and out.x.dtype is minitorch.int64 and out.y.dtype is minitorch.float64
    dd = mdata.default_collate([collections.defaultdict(list, k=1)])
    assert type(dd) is collections.defaultdict and dd.default_factory is list
    assert type(mdata.default_collate([Row([1]), Row([2])])) is Row
    assert type(mdata.default_collate([Frozen(a=1)])) is dict


def test_default_collate_stacked_tensor_is_new_memory():
    a, b = minitorch.zeros(2), minitorch.ones(2)
    out = mdata.default_collate([a, b])
    out[0, 0] = 5.0
    assert a.tolist() == [0.0, 0.0]


def test_default_collate_gradients_flow_through_stack():
    a = minitorch.ones(2, requires_grad=True)
    mdata.default_collate([a, a * 2]).sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


# errors --------------------------------------------------------------------------------------------------------
BAD = {
    "shape_mismatch": (lambda fw: [fw.zeros(2), fw.zeros(3)],
                       re.escape("stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at "
                                 "entry 1")),
    "numpy_shape_mismatch": (lambda fw: [np.zeros((2, 2)), np.zeros((2, 3))], "stack expects each tensor to be equal "
                                                                            "size"),
    "unequal_lists": (lambda fw: [[1, 2], [3]], "^each element in list of batch should be of equal size$"),
    "unequal_nested": (lambda fw: [{"a": (1, 2)}, {"a": (1,)}], "each element in list of batch should be of equal "
                                                              "size"),
    "object": (lambda fw: [object(), object()], re.escape("default_collate: batch must contain tensors, numpy arrays, "
                                                          "numbers, dicts or lists; found <class 'object'>")),
    "none": (lambda fw: [None, None], "found <class 'NoneType'>"),
    "numpy_strings": (lambda fw: [np.array(["a", "b"]), np.array(["c", "d"])], "numpy arrays, numbers, dicts or "
                                                                            "lists; found <U1"),
    "numpy_objects": (lambda fw: [np.array([1, None]), np.array([2, None])], "found object$"),
    "set": (lambda fw: [{1}, {2}], "found <class 'set'>"),
}


@pytest.mark.parametrize("name", BAD, ids=[f"default_collate-{n}" for n in BAD])
def test_default_collate_errors_equal_torch(name):
    make, match = BAD[name]
    errors = {}
    for fw_name, fw in FWS.items():
        with pytest.raises(Exception) as info:
            fw.utils.data.default_collate(make(fw))
        errors[fw_name] = info.value
    assert type(errors["minitorch"]) is type(errors["torch"]), errors
    assert all(re.search(match, str(e)) for e in errors.values()), errors


def test_collate_with_custom_collate_fn_map():
    def collate_point(batch, *, collate_fn_map=None):
        return ("points", len(batch))

    table = {**mdata.default_collate_fn_map, Point: collate_point}
    assert mdata.collate([{"p": Point(1, 2)}, {"p": Point(3, 4)}], collate_fn_map=table) == {"p": ("points", 2)}
    with pytest.raises(TypeError, match="found <class 'int'>"):
        mdata.collate([1, 2])          # no table: only containers are understood


# default_convert -------------------------------------------------------------------------------------------------
CONVERT = {
    "tensor": lambda fw: _tensor(fw, [1, 2], "int32"),
    "ndarray": lambda fw: np.arange(4.0).reshape(2, 2),
    "numpy_scalar": lambda fw: np.int16(3),
    "numpy_bool": lambda fw: np.bool_(True),
    "numpy_str_scalar": lambda fw: np.str_("abc"),
    "numpy_str_array": lambda fw: np.array(["a", "b"]),
    "python_numbers": lambda fw: [1, 2.5, True],
    "string": lambda fw: "abc",
    "tuple": lambda fw: (np.float32(1), "a"),
    "namedtuple": lambda fw: Point(np.zeros(2, np.uint8), 1),
    "dict": lambda fw: {"a": np.ones(3, np.int64), "b": [np.float64(2)]},
    "ordered_dict": lambda fw: collections.OrderedDict(z=np.int8(1), a=2),
    "frozen_mapping": lambda fw: Frozen(a=np.float32(1)),
    "custom_sequence": lambda fw: Row([np.int32(1), 2]),
    "none": lambda fw: None,
}


@pytest.mark.parametrize("name", CONVERT, ids=[f"default_convert-{n}" for n in CONVERT])
def test_default_convert_equals_torch(name):
    mine = mdata.default_convert(CONVERT[name](minitorch))
    theirs = tdata.default_convert(CONVERT[name](torch))
    assert _norm(mine) == _norm(theirs)


def test_default_convert_returns_tensors_unchanged():
    t = minitorch.ones(2)
    assert mdata.default_convert(t) is t
    assert type(mdata.default_convert(Point(1, 2))) is Point


# hypothesis: random nested samples ------------------------------------------------------------------------------
_LEAF = st.sampled_from(["int", "float", "bool", "str", "f32", "i64", "np_f32", "np_i32", "tensor"])


def _leaf(kind, rng, fw, shape):
    v = rng.standard_normal(shape)
    return {"int": lambda: int(rng.integers(-9, 9)), "float": lambda: float(v.flat[0]) if v.size else 0.5,
            "bool": lambda: bool(rng.integers(0, 2)), "str": lambda: "s" * int(rng.integers(0, 3)),
            "f32": lambda: np.float32(v.flat[0] if v.size else 0), "i64": lambda: np.int64(rng.integers(9)),
            "np_f32": lambda: v.astype(np.float32), "np_i32": lambda: (v * 10).astype(np.int32),
            "tensor": lambda: fw.from_numpy(v.copy())}[kind]()


# a nested spec of tuples, lists and dicts whose leaves name the kind of value built there
_SPEC = st.recursive(_LEAF, lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=3).map(tuple),
                                                    st.lists(inner, min_size=1, max_size=3),
                                                    st.dictionaries(st.sampled_from("abc"), inner, min_size=1)),
                     max_leaves=6)


def _build(spec, rng, fw, shape):
    if isinstance(spec, str):
        return _leaf(spec, rng, fw, shape)
    if isinstance(spec, dict):
        return {k: _build(v, rng, fw, shape) for k, v in spec.items()}
    return type(spec)(_build(v, rng, fw, shape) for v in spec)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(spec=_SPEC, batch=st.integers(1, 4), shape=st.lists(st.integers(0, 3), max_size=3).map(tuple),
       seed=st.integers(0, 2**16))
def test_default_collate_differential(spec, batch, shape, seed):
    samples = {n: [_build(spec, np.random.default_rng([seed, i]), fw, shape) for i in range(batch)]
               for n, fw in FWS.items()}
    assert _norm(mdata.default_collate(samples["minitorch"])) == _norm(tdata.default_collate(samples["torch"]))
