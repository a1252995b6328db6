"""Tests for minitorch.serialization.save/load (minitorch's own format)."""
import collections
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import minitorch
from minitorch.serialization import CheckpointError, load, save

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _tensor(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    arr = (rng.standard_normal(shape) * 10).astype(getattr(np, dtype) if dtype != "bool" else np.bool_)
    return minitorch.tensor(arr)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (5,), (2, 3, 4)])
def test_round_trip_dtypes_shapes(tmp_path, dtype, shape):
    t = _tensor(dtype, shape)
    save(t, tmp_path / "t.mt")
    r = load(tmp_path / "t.mt")
    assert r.dtype == t.dtype and tuple(r.shape) == shape
    np.testing.assert_array_equal(r.numpy(), t.numpy())


def test_non_contiguous_and_file_object(tmp_path):
    base = _tensor("float32", (4, 6))
    views = {"t": base.t(), "step": base[:, ::2]}
    with open(tmp_path / "v.mt", "wb") as fh:
        save(views, fh)
    with open(tmp_path / "v.mt", "rb") as fh:
        r = load(fh)
    for k, v in views.items():
        np.testing.assert_array_equal(r[k].numpy(), v.numpy())
        assert tuple(r[k].shape) == tuple(v.shape)


def test_nested_checkpoint(tmp_path):
    w = _tensor("float64", (3, 2))
    w.requires_grad_(True)
    ckpt = {
        "model": collections.OrderedDict([("fc.weight", w), ("fc.bias", _tensor("float64", (3,)))]),
        "optimizer": {"state": {0: {"step": 7, "exp_avg": _tensor("float64", (3, 2))}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False,
                                        "foreach": None, "name": "grp"}]},
        "epoch": 3, "loss": float("inf"), "big": 2 ** 70, "nan": float("nan"),
    }
    save(ckpt, tmp_path / "c.mt")
    r = load(tmp_path / "c.mt")
    assert isinstance(r["model"], collections.OrderedDict) and list(r["model"]) == ["fc.weight", "fc.bias"]
    assert r["model"]["fc.weight"].requires_grad
    np.testing.assert_array_equal(r["model"]["fc.weight"].detach().numpy(), w.detach().numpy())
    st = r["optimizer"]["state"]
    assert list(st) == [0] and st[0]["step"] == 7 and type(st[0]["step"]) is int
    g = r["optimizer"]["param_groups"][0]
    assert g["betas"] == (0.9, 0.999) and type(g["betas"]) is tuple and g["params"] == [0, 1]
    assert g["amsgrad"] is False and g["foreach"] is None and g["lr"] == 1e-3
    assert r["epoch"] == 3 and r["loss"] == float("inf") and r["big"] == 2 ** 70 and np.isnan(r["nan"])


def test_unsupported_object_rejected(tmp_path):
    with pytest.raises(TypeError, match="set"):
        save({"x": {1, 2}}, tmp_path / "bad.mt")
    assert not os.listdir(tmp_path)    # no temp file left behind


@pytest.mark.parametrize("cut", [4, 12, 20, -3])
def test_truncated_file_names_file(tmp_path, cut):
    p = tmp_path / "trunc.mt"
    save({"a": _tensor("float32", (10, 10))}, p)
    data = p.read_bytes()
    p.write_bytes(data[:cut])
    with pytest.raises(RuntimeError, match=r"trunc\.mt"):
        load(p)


def test_corrupt_header_names_file(tmp_path):
    p = tmp_path / "corrupt.mt"
    save({"a": _tensor("float32", (3,))}, p)
    data = bytearray(p.read_bytes())
    data[17] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"corrupt\.mt.*corrupt|corrupt.*corrupt\.mt"):
        load(p)
    p.write_bytes(b"garbage that is not a checkpoint")
    with pytest.raises(RuntimeError, match=r"corrupt\.mt is not a minitorch checkpoint"):
        load(p)


_WRITER = """
import sys, numpy as np, minitorch
from minitorch.serialization import save
i = 0
while True:
    i += 1
    save({"version": i, "w": minitorch.tensor(np.full((1 << 21,), float(i)))}, sys.argv[1])
"""


def test_kill_mid_save_keeps_previous_file(tmp_path):
    target = tmp_path / "ckpt.mt"
    save({"version": 0, "w": minitorch.tensor(np.full((1 << 21,), 0.0))}, target)
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)])
    try:
        deadline = time.time() + 30
        while time.time() < deadline:    # wait until a temp file is being written
            if any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
                break
            time.sleep(0.005)
        else:
            pytest.fail("writer never started a save")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    r = load(target)
    np.testing.assert_array_equal(r["w"].numpy(), np.full((1 << 21,), float(r["version"])))
