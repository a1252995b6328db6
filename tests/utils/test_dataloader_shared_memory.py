"""Batches from DataLoader workers travel in shared memory, as torch's do: ``Tensor.is_shared``, torch's collate
rules in a worker (``stack`` with ``out=``), the ``transfer`` pickling (views, dtypes, subclasses, attributes,
autograd flags), which process deletes the files, and the fallback to copies where ``/dev/shm`` has no room."""
from __future__ import annotations

import errno
import gc
import io
import os
import pickle

import numpy as np
import pytest
import torch
import torch.multiprocessing  # noqa: F401  (registers torch's tensor reductions with ForkingPickler)
import torch.utils.data
from multiprocessing.reduction import ForkingPickler

import minitorch
import minitorch.utils.data
from minitorch import _shared_memory
from minitorch.utils.data import transfer

pytestmark = pytest.mark.usefixtures("hard_timeout_and_no_leaks")

needs_shm = pytest.mark.skipif(not _shared_memory.AVAILABLE, reason="no writable /dev/shm with posix_fallocate")


class Images:
    """Item i: (a 3x4x5 float32 image full of i, the label i)."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.full((3, 4, 5), i, np.float32), i


def first_batch(fw, dataset, **kwargs):
    return next(iter(fw.utils.data.DataLoader(dataset, **kwargs)))


@needs_shm
def test_worker_batches_are_shared_like_torch():
    for fw in (minitorch, torch):
        images, labels = first_batch(fw, Images(), batch_size=4, num_workers=1)
        assert images.is_shared() and labels.is_shared() and images.untyped_storage().is_shared()
        images, labels = first_batch(fw, Images(), batch_size=4)
        assert not images.is_shared() and not labels.is_shared()
        assert not fw.zeros(3).is_shared()
    mine = first_batch(minitorch, Images(), batch_size=4, num_workers=2)
    theirs = first_batch(torch, Images(), batch_size=4, num_workers=2)
    for m, t in zip(mine, theirs):
        assert str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(m.numpy(), t.numpy())


@needs_shm
def test_received_batch_is_writable_and_outlives_the_loader():
    loader = minitorch.utils.data.DataLoader(Images(), batch_size=5, num_workers=2)
    received = list(loader)
    del loader
    gc.collect()
    images = received[1][0]
    images.add_(1)                                   # writable in place, like any tensor
    assert images[:, 0, 0, 0].tolist() == [6.0, 7.0, 8.0, 9.0, 10.0]
    assert images.is_contiguous() and images.storage_offset() == 0


DTYPE_PAIRS = [("float64", "float32"), ("float32", "float64"), ("int64", "bool"), ("bool", "int64"),
               ("float32", "int64"), ("int64", "float32"), ("uint8", "int8")]


@pytest.mark.parametrize("num_workers", [0, 1])
@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids="-".join)
def test_worker_collate_casts_to_the_first_dtype_like_torch(pair, num_workers):
    """In a worker torch stacks with ``out=``: dtypes are cast to the first tensor's, or a TypeError says they
    cannot be; the main process promotes instead."""
    class Mixed:
        def __init__(self, fw):
            self.fw = fw

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return self.fw.ones(2, dtype=getattr(self.fw, pair[i]))

    def outcome(fw):
        it = iter(fw.utils.data.DataLoader(Mixed(fw), batch_size=2, num_workers=num_workers))
        try:
            return str(next(it).dtype).split(".")[-1]
        except TypeError as e:
            return str(e).split("\n")[-2 if num_workers else -1]
        finally:
            if num_workers:
                it._shutdown_workers()

    assert outcome(minitorch) == outcome(torch)
    if num_workers == 0:
        assert outcome(minitorch) == str(minitorch.promote_types(*(getattr(minitorch, d) for d in pair))).split(".")[-1]


def test_worker_collate_errors_like_torch():
    class Items:
        def __init__(self, fw, kind):
            self.fw, self.kind = fw, kind

        def __len__(self):
            return 2

        def __getitem__(self, i):
            fw = self.fw
            if self.kind == "shapes":
                return fw.ones(2 + i)
            if self.kind == "grad":
                return fw.ones(2, requires_grad=True)
            return fw.ones(2, dtype=fw.int64 if i == 0 else fw.float32)

    for kind, error, match in (("shapes", RuntimeError, r"stack expects each tensor to be equal size, but got \[2\] "
                                                       r"at entry 0 and \[3\] at entry 1"),
                               ("grad", RuntimeError, r"functions with out=\.\.\. arguments don't support automatic "
                                                      r"differentiation"),
                               ("cast", TypeError, "input types can't be cast to the desired output type Long")):
        for fw in (minitorch, torch):
            it = iter(fw.utils.data.DataLoader(Items(fw, kind), batch_size=2, num_workers=1))
            with pytest.raises(error, match=match) as info:
                next(it)
            assert str(info.value).startswith(f"Caught {error.__name__} in DataLoader worker process 0.")
            it._shutdown_workers()


# --- transfer: pickling through shared memory ----------------------------------------------------------------------
def shared_tensor(shape, dtype=np.float64):
    data = _shared_memory.empty_shared(shape, np.dtype(dtype))
    data[...] = np.arange(data.size).reshape(shape)
    return minitorch.Tensor._make(data)


@needs_shm
def test_transfer_views_of_one_file_keep_sharing_memory():
    base = shared_tensor((4, 6))
    payload = transfer.dumps({"base": base, "t": base.t(), "row": base[2, 1:5], "again": base})
    got = transfer.loads(payload)
    assert got["again"] is got["base"]                     # pickle's memo: one object stays one object
    for key in ("t", "row"):
        np.testing.assert_array_equal(got[key].numpy(), {"t": base.t(), "row": base[2, 1:5]}[key].numpy())
        assert got[key].stride() == {"t": (1, 6), "row": (1,)}[key]
        assert got[key].untyped_storage() is got["base"].untyped_storage()
    got["base"][2, 1] = -1.0                               # the views alias the same received memory
    assert got["t"][1, 2].item() == got["row"][0].item() == -1.0
    assert base[2, 1].item() == -1.0                       # one memory: the sender's mapping sees the write too


@needs_shm
@pytest.mark.parametrize("dtype", [minitorch.float32, minitorch.float64, minitorch.int64, minitorch.uint8,
                                   minitorch.int8, minitorch.bool])
def test_transfer_round_trip_of_ordinary_tensors(dtype):
    """A tensor not in shared memory (any dtype, non-contiguous) is copied into a new shared file to travel."""
    x = minitorch.arange(24).reshape(4, 6).to(dtype)
    views = [x, x.t(), x[:, ::2], x[1, 3], minitorch.zeros(0, 3, dtype=dtype)]
    got = transfer.loads(transfer.dumps(views))
    for before, after in zip(views, got):
        assert after.dtype == before.dtype and after.shape == before.shape
        np.testing.assert_array_equal(after.numpy(), before.numpy())
        assert after.is_shared() == (before.numel() > 0)     # an empty tensor has no bytes to share: by value


@needs_shm
def test_transfer_keeps_class_attributes_and_requires_grad():
    p = minitorch.nn.Parameter(minitorch.ones(2, 3))
    t = minitorch.ones(4, requires_grad=True)
    t.tag = "label"
    got_p, got_t = transfer.loads(transfer.dumps((p, t)))
    assert type(got_p) is minitorch.nn.Parameter and got_p.requires_grad and got_p.is_leaf
    assert got_t.requires_grad and got_t.tag == "label" and got_t.grad_fn is None
    assert got_p.is_shared() and got_t.is_shared()


def test_transfer_refuses_non_leaf_requiring_grad_like_torch():
    mine = minitorch.ones(2, requires_grad=True) * 2
    theirs = torch.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as expected:
        ForkingPickler.dumps(theirs)
    with pytest.raises(RuntimeError) as got:
        transfer.dumps(mine)
    assert str(got.value) == str(expected.value)
    assert transfer.loads(transfer.dumps(mine.detach())).tolist() == [2.0, 2.0]


# --- who deletes the files -----------------------------------------------------------------------------------------
@needs_shm
def test_unsent_shared_array_deletes_its_file_when_collected():
    data = _shared_memory.empty_shared((3,), np.float32)
    path = _shared_memory.shared_buffer(data).path
    assert os.path.exists(path) and os.path.getsize(path) == 12
    del data
    gc.collect()
    assert not os.path.exists(path)


@needs_shm
def test_loads_deletes_the_path_and_keeps_the_memory():
    x = shared_tensor((5,))
    path = _shared_memory.shared_buffer(x._data).path
    payload = transfer.dumps(x)
    del x
    gc.collect()
    assert os.path.exists(path)                            # handed on: now the receiver's to delete
    got = transfer.loads(payload)
    assert not os.path.exists(path)
    assert got.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_loads_opens_only_shared_memory_files(tmp_path):
    victim = tmp_path / "minitorch_keep"
    victim.write_bytes(b"12345678")

    class Forged:
        def __reduce__(self):
            return (transfer._rebuild_tensor, (minitorch.Tensor, _PersistentRef(str(victim)), "<f4", (2,), (4,), 0,
                                               False, {}))

    with pytest.raises(ValueError, match="not a minitorch shared-memory file"):
        transfer.loads(_ForgingPickler.dumps(Forged()))
    assert victim.read_bytes() == b"12345678"


class _PersistentRef:
    def __init__(self, path):
        self.path = path


class _ForgingPickler(pickle.Pickler):
    """Writes a payload naming any path as a shared file, as a corrupted or forged worker message could."""

    def persistent_id(self, obj):
        return ("minitorch.shared", obj.path) if isinstance(obj, _PersistentRef) else None

    @classmethod
    def dumps(cls, obj):
        file = io.BytesIO()
        cls(file).dump(obj)
        return file.getvalue()


@needs_shm
def test_failed_dumps_keeps_the_files_with_their_owner():
    x = shared_tensor((5,))
    path = _shared_memory.shared_buffer(x._data).path
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        transfer.dumps([x, lambda: None])
    assert _shared_memory.shared_buffer(x._data).sendable()
    assert transfer.loads(transfer.dumps(x)).tolist() == x.tolist()   # still sent by name, not copied
    assert not os.path.exists(path)


@needs_shm
def test_a_file_is_handed_on_once():
    """A second send of the same shared tensor travels as a copy (the first receiver deleted the path)."""
    x = shared_tensor((3,))
    first, second = transfer.dumps(x), transfer.dumps(x)
    assert transfer.loads(first).tolist() == transfer.loads(second).tolist() == [0.0, 1.0, 2.0]


# --- no room in shared memory: copies ------------------------------------------------------------------------------
def no_room(fd, offset, length):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("how", ["full", "absent"])
def test_without_shared_memory_batches_travel_as_copies(monkeypatch, how):
    if how == "full":
        monkeypatch.setattr(os, "posix_fallocate", no_room)     # forked workers inherit the patch
        assert _shared_memory.empty_shared((4,), np.float32) is None
    else:
        monkeypatch.setattr(_shared_memory, "AVAILABLE", False)
    x = minitorch.arange(6.0).reshape(2, 3).t()
    got = transfer.loads(transfer.dumps(x))
    assert not got.is_shared() and got.tolist() == x.tolist()
    batches = list(minitorch.utils.data.DataLoader(Images(), batch_size=4, num_workers=2))
    expected = list(minitorch.utils.data.DataLoader(Images(), batch_size=4))
    for (images, labels), (want_images, want_labels) in zip(batches, expected, strict=True):
        assert not images.is_shared() and not labels.is_shared()
        assert minitorch.equal(images, want_images) and minitorch.equal(labels, want_labels)
