"""minitorch.utils.data samplers against torch.utils.data: orders equal torch's where no randomness is involved
(SequentialSampler, BatchSampler), lengths and errors equal torch's everywhere; the random samplers (RandomSampler,
SubsetRandomSampler, WeightedRandomSampler) draw from minitorch's RNG, so they are tested for their statistics and
for reproducibility under ``manual_seed`` / ``Generator``."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.utils.data as mdata
import torch.utils.data as tdata

from raises_like_torch import raises_like_torch

FWS = {"minitorch": minitorch, "torch": torch}


def _gen(seed):
    return minitorch.Generator().manual_seed(seed)


# SequentialSampler and BatchSampler: equal to torch ---------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 7])
def test_SequentialSampler_equals_torch(n):
    mine, theirs = mdata.SequentialSampler(range(n)), tdata.SequentialSampler(range(n))
    assert list(mine) == list(theirs) == list(range(n))
    assert len(mine) == len(theirs) == n
    assert isinstance(mine, mdata.Sampler)


BATCHES = [(10, 3, False), (10, 3, True), (9, 3, True), (9, 3, False), (2, 5, False), (2, 5, True), (0, 4, False),
           (1, 1, True)]


@pytest.mark.parametrize("n,batch_size,drop_last", BATCHES, ids=[f"BatchSampler-{c}" for c in BATCHES])
def test_BatchSampler_equals_torch(n, batch_size, drop_last):
    out = {name: fw.utils.data.BatchSampler(fw.utils.data.SequentialSampler(range(n)), batch_size, drop_last)
           for name, fw in FWS.items()}
    assert list(out["minitorch"]) == list(out["torch"])
    assert len(out["minitorch"]) == len(out["torch"]) == len(list(out["minitorch"]))
    assert all(type(b) is list for b in out["minitorch"])


def test_BatchSampler_over_plain_iterable_and_random_sampler():
    assert list(mdata.BatchSampler(iter("abcde"), 2, False)) == [["a", "b"], ["c", "d"], ["e"]]
    batches = list(mdata.BatchSampler(mdata.RandomSampler(range(10), generator=_gen(0)), 4, False))
    assert [len(b) for b in batches] == [4, 4, 2] and sorted(sum(batches, [])) == list(range(10))


@pytest.mark.parametrize("batch_size,drop_last,match", [(0, False, "batch_size=0"), (True, False, "batch_size=True"),
                                                        (2.0, False, "batch_size=2.0"), (-1, False, "batch_size=-1"),
                                                        (2, 1, "drop_last should be a boolean value, but got "
                                                               "drop_last=1")],
                         ids=["BatchSampler-zero", "BatchSampler-bool", "BatchSampler-float", "BatchSampler-negative",
                              "BatchSampler-drop_last"])
def test_BatchSampler_errors(batch_size, drop_last, match):
    raises_like_torch(lambda fw: fw.utils.data.BatchSampler(range(4), batch_size, drop_last), match)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_BatchSampler_differential(n, batch_size, drop_last):
    mine = mdata.BatchSampler(range(n), batch_size, drop_last)
    theirs = tdata.BatchSampler(range(n), batch_size, drop_last)
    assert list(mine) == list(theirs) and len(mine) == len(theirs)


# RandomSampler -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,num_samples,replacement", [(10, None, False), (10, 4, False), (10, 25, False),
                                                       (10, None, True), (10, 70, True), (1, 3, False)],
                         ids=lambda v: str(v))
def test_RandomSampler_len_equals_torch_and_draws_in_range(n, num_samples, replacement):
    mine = mdata.RandomSampler(range(n), replacement, num_samples, generator=_gen(0))
    theirs = tdata.RandomSampler(range(n), replacement, num_samples)
    assert len(mine) == len(theirs) == len(list(mine)) == len(list(theirs))
    assert mine.num_samples == theirs.num_samples and mine.replacement is replacement
    assert all(type(i) is int and 0 <= i < n for i in mine)


def test_RandomSampler_without_replacement_is_permutation_blocks():
    idx = list(mdata.RandomSampler(range(10), num_samples=25, generator=_gen(1)))
    assert sorted(idx[:10]) == sorted(idx[10:20]) == list(range(10))
    assert len(set(idx[20:])) == 5
    assert idx[:10] != idx[10:20]      # a fresh permutation per block


def test_RandomSampler_permutations_are_uniform():
    # over 2000 epochs each index lands at position 0 about 200 times (binomial std ~13.4)
    sampler = mdata.RandomSampler(range(10), generator=_gen(2))
    first = np.bincount([next(iter(sampler)) for _ in range(2000)], minlength=10)
    assert np.all(np.abs(first - 200) < 60), first


def test_RandomSampler_with_replacement_statistics():
    idx = np.array(list(mdata.RandomSampler(range(7), replacement=True, num_samples=7001, generator=_gen(3))))
    counts = np.bincount(idx, minlength=7)
    assert counts.sum() == 7001 and np.all(np.abs(counts - 1000) < 120), counts     # std ~29
    hundred = list(mdata.RandomSampler(range(100), replacement=True, generator=_gen(4)))
    assert len(set(hundred)) < 90          # draws repeat (about 63 distinct expected)


def test_RandomSampler_reproducible_with_manual_seed():
    sampler = mdata.RandomSampler(range(30))
    minitorch.manual_seed(5)
    epochs = [list(sampler), list(sampler)]
    assert epochs[0] != epochs[1]          # each epoch seeds a fresh generator from the default one
    minitorch.manual_seed(5)
    assert [list(sampler), list(sampler)] == epochs
    minitorch.manual_seed(6)
    assert list(sampler) != epochs[0]


def test_RandomSampler_generator_is_advanced_not_reset():
    gen = _gen(7)
    sampler = mdata.RandomSampler(range(30), generator=gen)
    a, b = list(sampler), list(sampler)
    assert a != b
    gen.manual_seed(7)
    assert list(sampler) == a
    state = minitorch.get_rng_state()
    list(sampler)
    assert minitorch.get_rng_state().numpy().tolist() == state.numpy().tolist()   # default generator untouched


@pytest.mark.parametrize("args,match", [(([],), "num_samples should be a positive integer value, but got "
                                                "num_samples=0"),
                                        ((range(3), False, 0), "num_samples=0"),
                                        ((range(3), False, 2.0), "num_samples=2.0"),
                                        ((range(3), 1), "replacement should be a boolean value, but got "
                                                        "replacement=1")],
                         ids=["RandomSampler-empty", "RandomSampler-zero", "RandomSampler-float",
                              "RandomSampler-replacement"])
def test_RandomSampler_errors(args, match):
    raises_like_torch(lambda fw: fw.utils.data.RandomSampler(*args), match)


def test_RandomSampler_empty_source_with_num_samples():
    raises_like_torch(lambda fw: list(fw.utils.data.RandomSampler(range(0), True, 3)),
                       "random_ expects 'from' to be less than 'to'")
    raises_like_torch(lambda fw: list(fw.utils.data.RandomSampler(range(0), False, 3)), "modulo by zero")


# SubsetRandomSampler -----------------------------------------------------------------------------------------
def test_SubsetRandomSampler_permutes_indices():
    indices = [3, 9, 27, 81, 243]
    sampler = mdata.SubsetRandomSampler(indices, generator=_gen(0))
    a = list(sampler)
    assert sorted(a) == indices and len(sampler) == len(tdata.SubsetRandomSampler(indices)) == 5
    orders = {tuple(sampler) for _ in range(50)}
    assert len(orders) > 10
    sampler.generator.manual_seed(0)
    assert list(sampler) == a
    minitorch.manual_seed(4)
    b = list(mdata.SubsetRandomSampler(indices))
    minitorch.manual_seed(4)
    assert list(mdata.SubsetRandomSampler(indices)) == b


# WeightedRandomSampler ---------------------------------------------------------------------------------------
def test_WeightedRandomSampler_frequencies_follow_weights():
    weights = [1.0, 0.0, 3.0, 6.0]
    sampler = mdata.WeightedRandomSampler(weights, 10000, generator=_gen(0))
    counts = np.bincount(list(sampler), minlength=4)
    assert counts[1] == 0
    assert np.allclose(counts / 10000, [0.1, 0.0, 0.3, 0.6], atol=0.02), counts
    assert len(sampler) == len(tdata.WeightedRandomSampler(weights, 10000)) == 10000


def test_WeightedRandomSampler_without_replacement_and_inputs():
    sampler = mdata.WeightedRandomSampler(np.array([1, 5, 1, 5, 1]), 5, replacement=False, generator=_gen(1))
    assert sorted(sampler) == list(range(5))
    assert sampler.weights.dtype is minitorch.float64 and sampler.replacement is False
    heavy = [list(mdata.WeightedRandomSampler([1.0, 100.0, 1.0], 1, False, _gen(s)))[0] for s in range(40)]
    assert heavy.count(1) > 30
    t = mdata.WeightedRandomSampler(minitorch.tensor([0.5, 0.5]), 3, generator=_gen(2))
    assert len(list(t)) == 3


def test_WeightedRandomSampler_reproducible():
    gen = _gen(9)
    sampler = mdata.WeightedRandomSampler([0.2, 0.3, 0.5], 50, generator=gen)
    a = list(sampler)
    assert list(sampler) != a
    gen.manual_seed(9)
    assert list(sampler) == a


@pytest.mark.parametrize("args,match", [(([1.0, 2.0], 0), "num_samples should be a positive integer value, but got "
                                                          "num_samples=0"),
                                        (([1.0, 2.0], True), "num_samples=True"),
                                        (([1.0, 2.0], 2.0), "num_samples=2.0"),
                                        (([1.0, 2.0], 2, 1), "replacement should be a boolean value, but got "
                                                             "replacement=1"),
                                        (([[1.0, 2.0]], 2), r"weights should be a 1d sequence but given weights have "
                                                            r"shape \(1, 2\)")],
                         ids=["WeightedRandomSampler-zero", "WeightedRandomSampler-bool", "WeightedRandomSampler-float",
                              "WeightedRandomSampler-replacement", "WeightedRandomSampler-2d"])
def test_WeightedRandomSampler_errors(args, match):
    raises_like_torch(lambda fw: fw.utils.data.WeightedRandomSampler(*args), match)


@pytest.mark.parametrize("weights,n,replacement,match", [([0.0, 0.0], 2, True, "sum of probabilities <= 0"),
                                                         ([1.0, 1.0], 3, False, "cannot sample n_sample > "
                                                                                "prob_dist.size"),
                                                         ([-1.0, 1.0], 2, True, "probability")],
                         ids=["zero-weights", "too-many-without-replacement", "negative-weight"])
def test_WeightedRandomSampler_bad_weights_on_iteration(weights, n, replacement, match):
    raises_like_torch(lambda fw: list(fw.utils.data.WeightedRandomSampler(weights, n, replacement)), match)


def test_Sampler_base():
    with pytest.raises(NotImplementedError):
        iter(mdata.Sampler())
    assert mdata.Sampler[int] is not None
