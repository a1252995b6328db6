"""Tests for save_safetensors / load_safetensors (spec-built files; the safetensors package is not installed)."""
import json
import struct

import numpy as np
import pytest

import minitorch
from minitorch.serialization import CheckpointError, load_safetensors, save_safetensors

DTYPES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "int32": "I32", "int64": "I64",
          "float16": "F16", "float32": "F32", "float64": "F64"}


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_round_trip(tmp_path, dtype):
    rng = np.random.default_rng(1)
    arrs = {"a": (rng.standard_normal((3, 4)) * 10).astype(dtype), "s": np.array(5).astype(dtype),
            "e": np.zeros((0, 2), dtype=dtype)}
    ts = {k: minitorch.tensor(v) for k, v in arrs.items()}
    ts["t"] = ts["a"].t()
    save_safetensors(ts, tmp_path / "m.safetensors", metadata={"format": "pt"})
    r = load_safetensors(tmp_path / "m.safetensors")
    assert set(r) == {"a", "s", "e", "t"}
    for k in ts:
        assert r[k].dtype == ts[k].dtype and tuple(r[k].shape) == tuple(ts[k].shape)
        np.testing.assert_array_equal(r[k].numpy(), ts[k].numpy())
    raw = (tmp_path / "m.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"format": "pt"} and header["a"]["dtype"] == DTYPES[dtype]
    assert header["a"]["shape"] == [3, 4]


def _hand_made(path, entries):
    header, data = {}, b""
    for name, arr in entries.items():
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[arr.dtype.name], "shape": list(arr.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


def test_reads_spec_file(tmp_path):
    entries = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "i": np.array([1, -2], dtype=np.int64)}
    _hand_made(tmp_path / "h.safetensors", entries)
    r = load_safetensors(tmp_path / "h.safetensors")
    for k, v in entries.items():
        assert r[k].numpy().dtype == v.dtype
        np.testing.assert_array_equal(r[k].numpy(), v)


def test_truncated_names_file(tmp_path):
    p = tmp_path / "cut.safetensors"
    _hand_made(p, {"w": np.ones(100, dtype=np.float32)})
    data = p.read_bytes()
    for cut in (5, 20, len(data) - 4):
        p.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=r"cut\.safetensors"):
            load_safetensors(p)
