"""DataLoader in the main process (``num_workers=0``) against torch's: argument errors, ``len()``, batches, warnings,
restartable iteration and seeded shuffling. Worker processes are tested in test_dataloader_workers.py."""
from __future__ import annotations

import inspect
import re
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.utils.data
from minitorch.utils.data import DataLoader

FRAMEWORKS = (minitorch, torch)


def counting(fw, n: int, length: int | None = None):
    """An iterable dataset of ``fw`` yielding 0..n-1, reporting ``length`` as its ``len`` when given."""
    class Counting(fw.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(n))

    if length is None:
        return Counting()
    return type("CountingWithLen", (Counting,), {"__len__": lambda self: length})()


def samples(kind: str, n: int = 7) -> list:
    """Map-style datasets (plain lists, accepted by both frameworks) of several sample structures."""
    rng = np.random.default_rng(0)
    if kind == "ints":
        return list(range(n))
    if kind == "arrays":
        return [(rng.standard_normal((2, 3)).astype(np.float32), i) for i in range(n)]
    if kind == "dicts":
        return [{"x": rng.standard_normal(3), "y": float(i), "name": f"s{i}"} for i in range(n)]
    raise ValueError(kind)


def to_numpy(obj):
    """A batch as nested lists/dicts of (dtype name, ndarray) so that both frameworks' batches compare equal."""
    if isinstance(obj, (minitorch.Tensor, torch.Tensor)):
        return (str(obj.dtype).split(".")[-1], obj.numpy())
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_numpy(v) for v in obj]
    return obj


def assert_same_batches(mini_batches, torch_batches) -> None:
    mini, ref = to_numpy(list(mini_batches)), to_numpy(list(torch_batches))
    assert len(mini) == len(ref)
    np.testing.assert_equal(mini, ref)


def both(fn):
    """``fn(fw)`` for minitorch and torch: (result or exception) pairs."""
    out = []
    for fw in FRAMEWORKS:
        try:
            out.append(fn(fw))
        except Exception as e:   # noqa: BLE001 - the exception itself is the result compared
            out.append(e)
    return out


def no_address(msg: str) -> str:
    return re.sub(r" at 0x[0-9a-f]+", "", msg).replace("minitorch", "torch")


# --- argument errors: torch's type and message ------------------------------------------------------------------
ARG_ERRORS = {
    "num_workers_negative": dict(num_workers=-1),
    "timeout_negative": dict(timeout=-1),
    "prefetch_factor_without_workers": dict(prefetch_factor=2),
    "prefetch_factor_negative": dict(num_workers=1, prefetch_factor=-1),
    "persistent_workers_without_workers": dict(persistent_workers=True),
    "sampler_and_shuffle": dict(sampler=[0, 1], shuffle=True),
    "batch_sampler_and_batch_size": dict(batch_sampler=[[0, 1]], batch_size=2),
    "batch_sampler_and_shuffle": dict(batch_sampler=[[0, 1]], shuffle=True),
    "batch_sampler_and_sampler": dict(batch_sampler=[[0, 1]], sampler=[0, 1]),
    "batch_sampler_and_drop_last": dict(batch_sampler=[[0, 1]], drop_last=True),
    "batch_size_None_and_drop_last": dict(batch_size=None, drop_last=True),
    "batch_size_zero": dict(batch_size=0),
    "multiprocessing_context_without_workers": dict(multiprocessing_context="fork"),
    "multiprocessing_context_unknown": dict(num_workers=1, multiprocessing_context="thread"),
    "multiprocessing_context_bad_type": dict(num_workers=1, multiprocessing_context=3),
}


@pytest.mark.parametrize("kwargs", ARG_ERRORS.values(), ids=ARG_ERRORS.keys())
def test_DataLoader_argument_errors(kwargs):
    mini, ref = both(lambda fw: fw.utils.data.DataLoader(list(range(4)), **kwargs))
    assert isinstance(ref, Exception), "the case must be an error in torch"
    assert type(mini) is type(ref)
    assert str(mini) == str(ref)


ITERABLE_ERRORS = {"shuffle": dict(shuffle=True), "sampler": dict(sampler=[0, 1]),
                   "batch_sampler": dict(batch_sampler=[[0, 1]])}


@pytest.mark.parametrize("kwargs", ITERABLE_ERRORS.values(), ids=ITERABLE_ERRORS.keys())
def test_DataLoader_iterable_dataset_argument_errors(kwargs):
    mini, ref = both(lambda fw: fw.utils.data.DataLoader(counting(fw, 4), **kwargs))
    assert type(mini) is type(ref) is ValueError
    assert str(mini) == str(ref)


@pytest.mark.parametrize("attr", ["batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                  "persistent_workers"])
def test_DataLoader_attribute_frozen_after_init(attr):
    mini, ref = both(lambda fw: setattr(fw.utils.data.DataLoader(list(range(4))), attr, None))
    assert type(mini) is type(ref) is ValueError
    assert str(mini) == str(ref)


def test_DataLoader_timeout_needs_workers():
    mini, ref = both(lambda fw: next(iter(fw.utils.data.DataLoader(list(range(4)), timeout=1))))
    assert type(mini) is type(ref) is AssertionError
    assert str(mini) == str(ref)


def test_DataLoader_too_many_workers_warning():
    cpus = len(__import__("os").sched_getaffinity(0))
    messages = []
    for fw in FRAMEWORKS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fw.utils.data.DataLoader(list(range(4)), num_workers=cpus + 1)
        messages.append([str(w.message) for w in caught if w.category is UserWarning])
    assert messages[0] and messages[0] == messages[1]


# --- len(): a table of cases against torch --------------------------------------------------------------------
LEN_CASES = {
    "map_batch1": (10, dict()),
    "map_batch3": (10, dict(batch_size=3)),
    "map_batch3_drop_last": (10, dict(batch_size=3, drop_last=True)),
    "map_batch5_exact": (10, dict(batch_size=5, drop_last=True)),
    "map_batch_larger_than_dataset": (10, dict(batch_size=16)),
    "map_batch_larger_drop_last": (10, dict(batch_size=16, drop_last=True)),
    "map_batch_size_None": (10, dict(batch_size=None)),
    "map_shuffle": (10, dict(batch_size=4, shuffle=True)),
    "map_sampler": (10, dict(batch_size=2, sampler=[9, 1, 4])),
    "map_batch_sampler": (10, dict(batch_sampler=[[0, 1], [2], [3, 4, 5]])),
    "map_empty": (0, dict(batch_size=2)),
    "iterable_batch3": ("iter10", dict(batch_size=3)),
    "iterable_batch3_drop_last": ("iter10", dict(batch_size=3, drop_last=True)),
    "iterable_batch_size_None": ("iter10", dict(batch_size=None)),
    "iterable_batch_larger_drop_last": ("iter10", dict(batch_size=16, drop_last=True)),
}


@pytest.mark.parametrize("data,kwargs", LEN_CASES.values(), ids=LEN_CASES.keys())
def test_DataLoader_len(data, kwargs):
    def length(fw):
        ds = counting(fw, 10, length=10) if data == "iter10" else list(range(data))
        return len(fw.utils.data.DataLoader(ds, **kwargs))
    mini, ref = both(length)
    assert mini == ref


def test_DataLoader_len_iterable_without_len_raises_TypeError():
    mini, ref = both(lambda fw: len(fw.utils.data.DataLoader(counting(fw, 4), batch_size=2)))
    assert type(mini) is type(ref) is TypeError


# --- batches: equal to torch's ---------------------------------------------------------------------------------
BATCH_CASES = {
    "ints_batch3": ("ints", dict(batch_size=3)),
    "ints_batch3_drop_last": ("ints", dict(batch_size=3, drop_last=True)),
    "ints_batch_size_None": ("ints", dict(batch_size=None)),
    "arrays_batch2": ("arrays", dict(batch_size=2)),
    "arrays_batch_size_None": ("arrays", dict(batch_size=None)),
    "arrays_sampler": ("arrays", dict(batch_size=2, sampler=[6, 0, 3, 3])),
    "arrays_batch_sampler": ("arrays", dict(batch_sampler=[[4, 1], [0], [2, 3, 5, 6]])),
    "dicts_batch4": ("dicts", dict(batch_size=4)),
    "dicts_batch4_drop_last": ("dicts", dict(batch_size=4, drop_last=True)),
    "ints_collate_fn_identity": ("ints", dict(batch_size=3, collate_fn=lambda b: b)),
}


@pytest.mark.parametrize("kind,kwargs", BATCH_CASES.values(), ids=BATCH_CASES.keys())
def test_DataLoader_batches_match_torch(kind, kwargs):
    data = samples(kind)
    assert_same_batches(DataLoader(data, **kwargs), torch.utils.data.DataLoader(data, **kwargs))


ITERABLE_BATCH_CASES = {"batch3": dict(batch_size=3), "batch3_drop_last": dict(batch_size=3, drop_last=True),
                        "batch_size_None": dict(batch_size=None), "batch20": dict(batch_size=20)}


@pytest.mark.parametrize("kwargs", ITERABLE_BATCH_CASES.values(), ids=ITERABLE_BATCH_CASES.keys())
def test_DataLoader_iterable_dataset_batches_match_torch(kwargs):
    assert_same_batches(DataLoader(counting(minitorch, 10), **kwargs),
                        torch.utils.data.DataLoader(counting(torch, 10), **kwargs))


def test_DataLoader_TensorDataset_batches_match_torch():
    x = np.arange(24, dtype=np.float32).reshape(8, 3)
    y = np.arange(8)
    mini = minitorch.utils.data.TensorDataset(minitorch.from_numpy(x), minitorch.from_numpy(y))
    ref = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    assert_same_batches(DataLoader(mini, batch_size=3), torch.utils.data.DataLoader(ref, batch_size=3))


def test_DataLoader_uses_dataset_getitems():
    class Batched(minitorch.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitems__(self, indices):
            return [10 * i for i in indices]

    assert [b.tolist() for b in DataLoader(Batched(), batch_size=2)] == [[0, 10], [20, 30], [40]]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(0, 20), batch_size=st.one_of(st.none(), st.integers(1, 8)), drop_last=st.booleans(),
       iterable=st.booleans())
def test_DataLoader_differential_hypothesis(n, batch_size, drop_last, iterable):
    drop_last = drop_last and batch_size is not None
    kwargs = dict(batch_size=batch_size, drop_last=drop_last)
    make = (lambda fw: counting(fw, n, length=n)) if iterable else (lambda fw: list(range(n)))
    mini, ref = DataLoader(make(minitorch), **kwargs), torch.utils.data.DataLoader(make(torch), **kwargs)
    assert len(mini) == len(ref)
    assert_same_batches(mini, ref)


# --- iteration behaviour -----------------------------------------------------------------------------------------
def test_DataLoader_iteration_is_restartable():
    loader = DataLoader(samples("arrays"), batch_size=3)
    first, second = to_numpy(list(loader)), to_numpy(list(loader))
    np.testing.assert_equal(first, second)
    it = iter(loader)
    assert len(it) == 3
    next(it)
    np.testing.assert_equal(to_numpy(list(iter(loader))), first)   # a new iterator starts over


def test_DataLoader_shuffle_is_seeded():
    data = list(range(20))

    def epochs(seed=None, generator=None):
        if seed is not None:
            minitorch.manual_seed(seed)
        loader = DataLoader(data, batch_size=4, shuffle=True, generator=generator)
        return [[b.tolist() for b in loader] for _ in range(2)]

    a, b = epochs(seed=0), epochs(seed=0)
    assert a == b and a[0] != a[1]                          # reproducible, reshuffled every epoch
    assert sorted(sum(a[0], [])) == data
    assert epochs(seed=1) != a
    g = epochs(generator=minitorch.Generator().manual_seed(3))
    assert g == epochs(generator=minitorch.Generator().manual_seed(3))


def test_DataLoader_draws_a_base_seed_per_epoch_like_torch():
    """Every iterator draws one number from the generator (torch's worker base seed), workers or not."""
    for fw in FRAMEWORKS:
        g = fw.Generator().manual_seed(0)
        before = g.get_state()
        iter(fw.utils.data.DataLoader(list(range(4)), generator=g))
        assert not fw.equal(before, g.get_state())


def test_DataLoader_pin_memory_is_a_noop_with_torch_warning():
    messages = []
    for fw in FRAMEWORKS:
        with pytest.warns(UserWarning) as caught:
            batches = to_numpy(list(fw.utils.data.DataLoader(samples("arrays"), batch_size=3, pin_memory=True)))
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1]
    np.testing.assert_equal(batches, to_numpy(list(DataLoader(samples("arrays"), batch_size=3))))


def test_DataLoader_iterable_len_mismatch_warning():
    messages = []
    for fw in FRAMEWORKS:
        loader = fw.utils.data.DataLoader(counting(fw, 6, length=4), batch_size=None)
        len(loader)
        with pytest.warns(UserWarning) as caught:
            assert len(list(loader)) == 6
        messages.append([no_address(str(w.message)) for w in caught])
    assert messages[0] == messages[1] and len(messages[0]) == 2


def test_DataLoader_exception_in_dataset_propagates_unchanged():
    class Broken(minitorch.utils.data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            raise ValueError(f"bad item {i}")

    with pytest.raises(ValueError, match="^bad item 0$"):
        next(iter(DataLoader(Broken())))


def test_DataLoader_signature_matches_torch():
    def params(cls):
        return [(p.name, p.default, p.kind) for p in inspect.signature(cls.__init__).parameters.values()]
    assert params(DataLoader) == params(torch.utils.data.DataLoader)
