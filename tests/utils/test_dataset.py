"""minitorch.utils.data datasets against torch.utils.data: TensorDataset, StackDataset, ConcatDataset, ChainDataset,
Subset and random_split (lengths, remainder distribution, warnings and errors equal to torch's; the permutation
itself comes from minitorch's RNG, so it is checked for being a partition and for reproducibility)."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.utils.data as mdata
import torch.utils.data as tdata

from raises_like_torch import raises_like_torch

FWS = {"minitorch": minitorch, "torch": torch}


def _values(x):
    return x.numpy().tolist() if isinstance(x, (minitorch.Tensor, torch.Tensor)) else x


class Stream:
    """An iterable dataset over ``range(n)`` (created per framework)."""

    def __init__(self, fw, n):
        self.cls = type("S", (fw.utils.data.IterableDataset,),
                        {"__iter__": lambda s: iter(range(n)), "__len__": lambda s: n})

    def __call__(self):
        return self.cls()


# TensorDataset -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("index", [0, 3, -1, slice(1, 4), slice(None, None, 2)], ids=str)
def test_TensorDataset_items_equal_torch(index):
    x, y = np.arange(15.0).reshape(5, 3), np.arange(5)
    out = {n: fw.utils.data.TensorDataset(fw.from_numpy(x), fw.from_numpy(y)) for n, fw in FWS.items()}
    assert len(out["minitorch"]) == len(out["torch"]) == 5
    mine, theirs = out["minitorch"][index], out["torch"][index]
    assert isinstance(mine, tuple) and len(mine) == 2
    for a, b in zip(mine, theirs):
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        assert _values(a) == _values(b)


def test_TensorDataset_size_mismatch():
    raises_like_torch(lambda fw: fw.utils.data.TensorDataset(fw.zeros(3, 2), fw.zeros(4)),
                       "^Size mismatch between tensors$")


# StackDataset --------------------------------------------------------------------------------------------------
def test_StackDataset_tuple_and_dict():
    a, b = list(range(4)), list("abcd")
    s = mdata.StackDataset(a, b)
    assert len(s) == 4 and s[2] == (2, "c")
    d = mdata.StackDataset(x=a, y=b)
    assert d[-1] == {"x": 3, "y": "d"} == tdata.StackDataset(x=a, y=b)[-1]


@pytest.mark.parametrize("case", ["both", "none", "mismatch"])
def test_StackDataset_errors(case):
    args = {"both": lambda d: d.StackDataset([1], y=[2]), "none": lambda d: d.StackDataset(),
            "mismatch": lambda d: d.StackDataset([1, 2], [3])}[case]
    raises_like_torch(lambda fw: args(fw.utils.data), {"both": "both types are given", "none": "At least one",
                                                        "mismatch": "Size mismatch between datasets"}[case])


# ConcatDataset -------------------------------------------------------------------------------------------------
def test_ConcatDataset_equals_torch_at_every_index():
    parts = [list(range(3)), [], list("xy"), list(range(10, 15))]
    mine, theirs = mdata.ConcatDataset(parts), tdata.ConcatDataset(parts)
    assert mine.cumulative_sizes == theirs.cumulative_sizes == [3, 3, 5, 10]
    assert len(mine) == len(theirs) == 10
    assert [mine[i] for i in range(-10, 10)] == [theirs[i] for i in range(-10, 10)]
    assert mine.datasets == parts


def test_ConcatDataset_index_errors():
    raises_like_torch(lambda fw: fw.utils.data.ConcatDataset([[1, 2], [3]])[-4],
                       "absolute value of index should not exceed dataset length")
    raises_like_torch(lambda fw: fw.utils.data.ConcatDataset([[1, 2], [3]])[3], "out of range")


def test_ConcatDataset_rejects_empty_and_iterable():
    raises_like_torch(lambda fw: fw.utils.data.ConcatDataset([]), "datasets should not be an empty iterable")
    raises_like_torch(lambda fw: fw.utils.data.ConcatDataset(iter([])), "datasets should not be an empty iterable")
    raises_like_torch(lambda fw: fw.utils.data.ConcatDataset([[1], Stream(fw, 2)()]),
                       "ConcatDataset does not support IterableDataset")


def test_Dataset_add_makes_ConcatDataset():
    class Squares(mdata.Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 3

    both = Squares() + Squares() + Squares()
    assert isinstance(both, mdata.ConcatDataset)
    assert len(both) == 9 and [both[i] for i in range(9)] == [0, 1, 4] * 3


def test_Dataset_base_class():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__"):
        mdata.Dataset()[0]
    assert mdata.Dataset[int] is not None        # generic, as torch's
    raises_like_torch(lambda fw: fw.utils.data.IterableDataset(), "abstract")


# ChainDataset and IterableDataset --------------------------------------------------------------------------------
def test_ChainDataset_chains_lazily():
    chain = Stream(minitorch, 3)() + Stream(minitorch, 2)()
    assert isinstance(chain, mdata.ChainDataset)
    assert list(chain) == [0, 1, 2, 0, 1] and len(chain) == 5
    assert list(mdata.ChainDataset([Stream(minitorch, 2)(), Stream(minitorch, 1)()])) == [0, 1, 0]


def test_ChainDataset_rejects_map_style():
    def run(fw):
        return list(fw.utils.data.ChainDataset([Stream(fw, 2)(), [5, 6]]))

    raises_like_torch(run, "ChainDataset only supports IterableDataset")
    raises_like_torch(lambda fw: len(fw.utils.data.ChainDataset([[5, 6]])),
                       "ChainDataset only supports IterableDataset")


# Subset ----------------------------------------------------------------------------------------------------------
def test_Subset_items_and_getitems():
    base = list("abcdefg")
    sub = mdata.Subset(base, [6, 0, 3])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == ["g", "a", "d"] and sub[-1] == "d"
    assert sub.__getitems__([2, 0]) == ["d", "g"]

    class Batched(list):
        def __getitems__(self, idx):
            return ("batched", idx)

    assert mdata.Subset(Batched(base), [6, 0, 3]).__getitems__([2, 0]) == ("batched", [3, 6])


def test_Subset_subclass_must_override_getitems():
    def make(fw):
        cls = type("Doubled", (fw.utils.data.Subset,), {"__getitem__": lambda self, i: 2 * self.dataset[i]})
        return cls([1, 2], [0])

    raises_like_torch(make, "^Doubled overrides __getitem__ but not __getitems__")
    both = type("Both", (mdata.Subset,), {"__getitem__": lambda self, i: 0, "__getitems__": lambda self, i: []})
    assert len(both([1, 2], [0, 1])) == 2


def test_Subset_list_index_forwards_list():
    class Recorder(mdata.Dataset):
        def __getitem__(self, idx):
            return idx

    assert mdata.Subset(Recorder(), [5, 6, 7])[[0, 2]] == [5, 7]


# random_split --------------------------------------------------------------------------------------------------
SPLITS = [(10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]), (10, [0.33, 0.33, 0.34]), (7, [0.1, 0.1, 0.8]),
          (3, [0.25, 0.25, 0.25, 0.25]), (5, [1.0]), (0, [0.5, 0.5]), (4, [0, 4])]


def _split_lengths(fw, n, lengths):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        subsets = fw.utils.data.random_split(range(n), lengths)
    return [len(s) for s in subsets], [str(w.message) for w in caught], [w.filename for w in caught]


@pytest.mark.parametrize("n,lengths", SPLITS, ids=[f"random_split-{n}-{lengths}" for n, lengths in SPLITS])
def test_random_split_lengths_and_warnings_equal_torch(n, lengths):
    mine, theirs = _split_lengths(minitorch, n, lengths), _split_lengths(torch, n, lengths)
    assert mine[:2] == theirs[:2]
    assert all(f == __file__ for f in mine[2])       # warnings point at the caller, as torch's stacklevel does


@pytest.mark.parametrize("n,lengths", SPLITS, ids=[f"partition-{n}-{lengths}" for n, lengths in SPLITS])
def test_random_split_is_a_partition(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        subsets = mdata.random_split(list(range(100, 100 + n)), lengths, generator=minitorch.Generator())
    items = [s[i] for s in subsets for i in range(len(s))]
    assert sorted(items) == list(range(100, 100 + n))
    assert all(isinstance(s, mdata.Subset) for s in subsets)


def test_random_split_reproducible_and_random():
    def split(seed):
        return [list(s.indices) for s in mdata.random_split(range(50), [20, 30],
                                                            generator=minitorch.Generator().manual_seed(seed))]

    assert split(1) == split(1)
    assert split(1) != split(2)
    assert split(1)[0] != list(range(20))
    minitorch.manual_seed(3)
    first = [list(s.indices) for s in mdata.random_split(range(50), [0.5, 0.5])]      # default generator
    minitorch.manual_seed(3)
    assert first == [list(s.indices) for s in mdata.random_split(range(50), [0.5, 0.5])]


@pytest.mark.parametrize("lengths,match", [([3, 3], "Sum of input lengths does not equal the length of the input "
                                                    "dataset!"),
                                           ([0.5, 0.6], "Sum of input lengths"),
                                           ([1.5, -0.5], "Fraction at index 0 is not between 0 and 1")],
                         ids=["random_split-sum", "random_split-fractions-sum", "random_split-fraction-range"])
def test_random_split_errors(lengths, match):
    raises_like_torch(lambda fw: fw.utils.data.random_split(range(10), lengths), match)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(0, 60), weights=st.lists(st.integers(1, 20), min_size=1, max_size=5))
def test_random_split_fraction_lengths_differential(n, weights):
    fracs = [w / sum(weights) for w in weights]
    assert _split_lengths(minitorch, n, fracs)[:2] == _split_lengths(torch, n, fracs)[:2]
