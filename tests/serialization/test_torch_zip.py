"""Tests for loading torch.save zip checkpoints (restricted unpickler)."""
import collections
import io
import pickle
import zipfile

import numpy as np
import pytest
import torch

from minitorch.serialization import CheckpointError, load

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_save_then_minitorch_load(tmp_path, dtype):
    g = torch.Generator().manual_seed(0)
    base = (torch.randn(4, 5, generator=g) * 10).to(getattr(torch, dtype))
    obj = {"model": collections.OrderedDict(w=base, wt=base.t(), s=base[1:, ::2], z=base[0, 0],
                                            e=torch.empty(0, 3, dtype=base.dtype)),
           "p": torch.nn.Parameter(torch.ones(2)), "epoch": 4, "lr": 0.5, "tag": "x", "n": None,
           "betas": (0.9, 0.99), "ids": [1, 2]}
    torch.save(obj, tmp_path / "t.pt")
    r = load(tmp_path / "t.pt")
    assert isinstance(r["model"], collections.OrderedDict)
    for k, v in obj["model"].items():
        assert r["model"][k].dtype.name == dtype and tuple(r["model"][k].shape) == tuple(v.shape)
        np.testing.assert_array_equal(r["model"][k].numpy(), v.numpy())
    assert r["p"].requires_grad
    assert r["epoch"] == 4 and r["lr"] == 0.5 and r["tag"] == "x" and r["n"] is None
    assert r["betas"] == (0.9, 0.99) and r["ids"] == [1, 2]


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_refused(tmp_path):
    marker = tmp_path / "pwned"
    p = tmp_path / "evil.pt"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("evil/data.pkl", pickle.dumps({"x": _Evil(marker)}, protocol=2))
        z.writestr("evil/byteorder", "little")
        z.writestr("evil/version", "3\n")
    with pytest.raises(RuntimeError, match=r"refusing to load .*evil\.pt.*(posix|os)\.system"):
        load(p)
    assert not marker.exists()


def test_corrupt_torch_zip_names_file(tmp_path):
    p = tmp_path / "bad.pt"
    torch.save({"w": torch.ones(100)}, p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"bad\.pt"):
        load(p)


@pytest.mark.parametrize("dtype", DTYPES)
def test_minitorch_save_torch_format_then_torch_load(tmp_path, dtype):
    import minitorch
    from minitorch.serialization import save
    rng = np.random.default_rng(0)
    arr = (rng.standard_normal((4, 5)) * 10).astype(dtype)
    base = minitorch.tensor(arr)
    obj = {"model": collections.OrderedDict(w=base, wt=base.t(), s=base[1:, ::2], z=base[0, 0],
                                            e=minitorch.tensor(np.zeros((0, 3), dtype=dtype))),
           "optimizer": {"state": {0: {"step": 3}}, "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99)}]},
           "epoch": 4, "tag": "x", "n": None, "big": 2 ** 70, "flag": True, "empty": {}, "el": []}
    save(obj, tmp_path / "m.pt", format="torch")
    r = torch.load(tmp_path / "m.pt", weights_only=True)
    assert isinstance(r["model"], collections.OrderedDict)
    for k, v in obj["model"].items():
        assert r["model"][k].dtype == getattr(torch, dtype) and tuple(r["model"][k].shape) == tuple(v.shape)
        np.testing.assert_array_equal(r["model"][k].numpy(), v.numpy())
    assert r["optimizer"] == {"state": {0: {"step": 3}}, "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99)}]}
    assert r["epoch"] == 4 and r["tag"] == "x" and r["n"] is None and r["big"] == 2 ** 70 and r["flag"] is True
    assert r["empty"] == {} and r["el"] == []
    back = load(tmp_path / "m.pt")    # and minitorch reads its own torch-format file
    np.testing.assert_array_equal(back["model"]["wt"].numpy(), arr.T)


def test_unknown_format_rejected(tmp_path):
    import minitorch
    from minitorch.serialization import save
    with pytest.raises(ValueError, match="'onnx'"):
        save(minitorch.zeros(2), tmp_path / "x", format="onnx")


def test_overrunning_tensor_record_refused(tmp_path):
    p = tmp_path / "over.pt"
    torch.save({"w": torch.ones(4)}, p)
    with zipfile.ZipFile(p) as z:
        files = {n: z.read(n) for n in z.namelist()}
    pkl = next(n for n in files if n.endswith("data.pkl"))
    assert files[pkl].count(b"K\x04\x85") == 1
    files[pkl] = files[pkl].replace(b"K\x04\x85", b"J\x00\x00\x01\x00\x85")   # size (4,) -> (65536,)
    with zipfile.ZipFile(p, "w") as z:
        for n, raw in files.items():
            z.writestr(n, raw)
    with pytest.raises(CheckpointError, match=r"over\.pt.*overruns"):
        load(p)
