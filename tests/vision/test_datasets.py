"""minitorch.vision.datasets (MNIST, FashionMNIST, CIFAR10, CIFAR100, DatasetFolder, ImageFolder) compared with
torchvision's on the same generated files: lengths, data and targets, items (image bytes), transforms, classes,
samples, reprs and errors. Also the data root, the download=True error, corrupt / truncated / malicious files,
and (slow) the real MNIST and CIFAR-10 JPEG folders of ../shared/data."""
from __future__ import annotations

import gzip
import io
import os
import pickle
import re
import shutil
import struct
import tempfile

import numpy as np
import pytest
import torchvision
from hypothesis import given, settings, strategies as st

import minitorch
from minitorch.vision import datasets
from minitorch.vision.datasets import _root

SHARED_DATA = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


class Named:
    """A transform with a fixed repr (so that dataset reprs can be compared) that records its calls."""

    def __init__(self, name, fn):
        self.name, self.fn = name, fn

    def __call__(self, x):
        return self.fn(x)

    def __repr__(self):
        return f"{self.name}()"


def pixels(img):
    return img.mode, img.size, img.tobytes()


def same_items(mt_ds, tv_ds, indices=None):
    assert len(mt_ds) == len(tv_ds)
    for i in range(len(tv_ds)) if indices is None else indices:
        (mi, mtarget), (ti, ttarget) = mt_ds[i], tv_ds[i]
        assert pixels(mi) == pixels(ti) and mtarget == ttarget and type(mtarget) is type(ttarget)


def same_error(make_mt, make_tv):
    """Both raise the same exception type with the same message; returns the message."""
    with pytest.raises(Exception) as tv_err:
        make_tv()
    with pytest.raises(type(tv_err.value)) as mt_err:
        make_mt()
    assert str(mt_err.value) == str(tv_err.value)
    return str(mt_err.value)


# ---------------------------------------------------------------- MNIST / FashionMNIST
def idx_bytes(arr: np.ndarray) -> bytes:
    magic = 0x0800 | arr.ndim
    return magic.to_bytes(4, "big") + np.asarray(arr.shape, ">u4").tobytes() + arr.astype(np.uint8).tobytes()


def write(path, payload: bytes, gz: bool = False) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    path = path + ".gz" if gz else path
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(payload)
    return path


def mnist_arrays(seed=0, n_train=7, n_test=5, h=28, w=28):
    rng = np.random.default_rng(seed)
    return {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, h, w), dtype=np.uint8),
            "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
            "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, h, w), dtype=np.uint8),
            "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8)}


def write_mnist(folder, arrays, gz=False):
    return {name: write(os.path.join(folder, name), idx_bytes(arr), gz) for name, arr in arrays.items()}


@pytest.fixture
def tv_mnist(tmp_path):
    """torchvision's layout (<root>/<Name>/raw, plain files) for MNIST and FashionMNIST, with different data."""
    for seed, name in enumerate(["MNIST", "FashionMNIST"]):
        write_mnist(str(tmp_path / "tv" / name / "raw"), mnist_arrays(seed))
    return tmp_path


LAYOUTS = {  # where minitorch finds the files: (folder relative to root, gzipped)
    "torchvision_raw": ("{name}/raw", False),
    "torchvision_raw_gz": ("{name}/raw", True),
    "flat_subfolder_gz": ("{flat}", True),
    "flat_root": ("", False),
    "flat_root_gz": ("", True),
}


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_mnist_parity(tv_mnist, name, layout, train):
    arrays = mnist_arrays(["MNIST", "FashionMNIST"].index(name))
    sub, gz = LAYOUTS[layout]
    mt_root = tv_mnist / "mt"
    write_mnist(str(mt_root / sub.format(name=name, flat=getattr(datasets, name).flat_folder)), arrays, gz)
    mt = getattr(datasets, name)(str(mt_root), train=train)
    tv = getattr(torchvision.datasets, name)(str(tv_mnist / "tv"), train=train)
    assert mt.data.dtype is minitorch.uint8 and mt.targets.dtype is minitorch.int64
    assert tuple(mt.data.shape) == tuple(tv.data.shape) and tuple(mt.targets.shape) == tuple(tv.targets.shape)
    np.testing.assert_array_equal(mt.data.numpy(), tv.data.numpy())
    np.testing.assert_array_equal(mt.targets.numpy(), tv.targets.numpy())
    assert mt.classes == tv.classes and mt.class_to_idx == tv.class_to_idx and mt.train == tv.train
    assert mt.raw_folder == os.path.join(str(mt_root), name, "raw")
    assert mt.processed_folder == os.path.join(str(mt_root), name, "processed")
    same_items(mt, tv)
    assert mt[0][0].mode == "L"


def test_mnist_transforms_and_repr(tv_mnist):
    transform = Named("Invert", lambda im: 255 - np.asarray(im))
    target_transform = Named("Times10", lambda t: t * 10)
    root = str(tv_mnist / "tv")
    mt = datasets.MNIST(root, train=False, transform=transform, target_transform=target_transform)
    tv = torchvision.datasets.MNIST(root, train=False, transform=transform, target_transform=target_transform)
    for i in range(len(tv)):
        (mx, my), (tx, ty) = mt[i], tv[i]
        np.testing.assert_array_equal(mx, tx)
        assert my == ty == 10 * int(tv.targets[i])
    assert repr(mt) == repr(tv)
    assert repr(datasets.FashionMNIST(root)) == repr(torchvision.datasets.FashionMNIST(root))
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        datasets.vision.VisionDataset(root, transforms=transform, transform=transform)


@given(n=st.integers(1, 6), h=st.integers(1, 9), w=st.integers(1, 9), gz=st.booleans(), train=st.booleans())
@settings(max_examples=15, deadline=None, derandomize=True)
def test_MNIST_random_shapes_parity(n, h, w, gz, train):  # torchvision cannot read an empty file: n >= 1
    arrays = mnist_arrays(n + h + w, n, n, h, w)
    with tempfile.TemporaryDirectory() as tmp:
        write_mnist(os.path.join(tmp, "tv", "MNIST", "raw"), arrays)
        write_mnist(os.path.join(tmp, "mt", "mnist"), arrays, gz)
        mt = datasets.MNIST(os.path.join(tmp, "mt"), train=train)
        tv = torchvision.datasets.MNIST(os.path.join(tmp, "tv"), train=train)
        np.testing.assert_array_equal(mt.data.numpy(), tv.data.numpy())
        np.testing.assert_array_equal(mt.targets.numpy(), tv.targets.numpy())
        same_items(mt, tv)


CORRUPT = {  # file, what to write instead of it (from the good bytes), expected message
    "bad_magic_labels": ("train-labels-idx1-ubyte", lambda b: (2051).to_bytes(4, "big") + b[4:],
                         "bad magic number 2051, expected 2049"),
    "bad_magic_images": ("train-images-idx3-ubyte", lambda b: b"\x00\x00\x0b\x03" + b[4:],
                         "bad magic number 2819, expected 2051"),
    "truncated_images": ("train-images-idx3-ubyte", lambda b: b[:-5],
                         f"truncated IDX file: {16 + 7 * 784 - 5} bytes, expected {16 + 7 * 784}"),
    "truncated_header": ("train-images-idx3-ubyte", lambda b: b[:10],
                         "truncated IDX file: 10 bytes, shorter than its 16-byte header"),
    "empty_labels": ("train-labels-idx1-ubyte", lambda b: b"", "truncated IDX file: 0 bytes"),
    "trailing_data": ("train-labels-idx1-ubyte", lambda b: b + b"\x00", "IDX file with trailing data: 16 bytes"),
    "wrong_dims": ("train-labels-idx1-ubyte", lambda b: b[:4] + (1).to_bytes(4, "big") + b[8:],
                   "IDX file with trailing data: 15 bytes, expected 9 (a 8-byte header and 1 unsigned bytes)"),
}


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("case", list(CORRUPT))
def test_MNIST_corrupt_file_names_it(tmp_path, case, gz):
    arrays = mnist_arrays()
    paths = write_mnist(str(tmp_path / "MNIST" / "raw"), arrays, gz)
    name, corrupt, message = CORRUPT[case]
    write(str(tmp_path / "MNIST" / "raw" / name), corrupt(idx_bytes(arrays[name])), gz)
    with pytest.raises(RuntimeError, match=re.escape(paths[name]) + ": " + re.escape(message)):
        datasets.MNIST(str(tmp_path))
    datasets.MNIST(str(tmp_path), train=False)  # the other split's files are fine


def test_MNIST_bad_gzip_and_count_mismatch(tmp_path):
    arrays = mnist_arrays()
    paths = write_mnist(str(tmp_path / "mnist"), arrays, gz=True)
    with open(paths["t10k-images-idx3-ubyte"], "rb") as f:
        good = f.read()
    with open(paths["t10k-images-idx3-ubyte"], "wb") as f:
        f.write(good[: len(good) // 2])
    with pytest.raises(RuntimeError, match=re.escape(paths["t10k-images-idx3-ubyte"]) + ": cannot be read"):
        datasets.MNIST(str(tmp_path), train=False)
    with open(paths["t10k-images-idx3-ubyte"], "wb") as f:
        f.write(b"not gzip at all")
    with pytest.raises(RuntimeError, match=re.escape(paths["t10k-images-idx3-ubyte"]) + ": cannot be read"):
        datasets.MNIST(str(tmp_path), train=False)
    write(paths["train-labels-idx1-ubyte"][:-3], idx_bytes(arrays["train-labels-idx1-ubyte"][:3]), gz=True)
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.gz holds 7 images but .*"
                                           r"train-labels-idx1-ubyte.gz holds 3 labels"):
        datasets.MNIST(str(tmp_path))


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_MNIST_download_error_says_what_to_place_where(tmp_path, name):
    raw = os.path.join(str(tmp_path), name, "raw")
    with pytest.raises(RuntimeError) as err:
        getattr(datasets, name)(str(tmp_path), download=True)
    text = str(err.value)
    assert "no network" in text and f"Place these files in {raw}:" in text
    assert all(f + ".gz" in text for f in MNIST_FILES)
    with pytest.raises(RuntimeError, match=f"{name}: dataset not found") as err:
        getattr(datasets, name)(str(tmp_path))
    assert raw in str(err.value) and "train-images-idx3-ubyte" in str(err.value)
    write_mnist(raw, mnist_arrays(), gz=True)  # once the files are there, download=True is a no-op as in torchvision
    assert len(getattr(datasets, name)(str(tmp_path), download=True)) == 7


def test_data_root(tmp_path, monkeypatch):
    write_mnist(str(tmp_path / "mnist"), mnist_arrays(), gz=True)
    monkeypatch.setenv(_root.DATA_ENV, str(tmp_path))
    assert datasets.default_root() == str(tmp_path)
    ds = datasets.MNIST(None, train=False)
    assert ds.root == str(tmp_path) and len(ds) == 5
    monkeypatch.delenv(_root.DATA_ENV)
    if os.path.isdir(SHARED_DATA):
        assert datasets.default_root() == SHARED_DATA
    else:
        with pytest.raises(RuntimeError, match=_root.DATA_ENV):
            datasets.default_root()
    monkeypatch.setattr(_root, "_REPO_DATA", str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match="No data root: pass root=..., or set the environment variable "
                                           "MINITORCH_DATA"):
        datasets.MNIST(None)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert datasets.MNIST("~", train=False).root == str(tmp_path)  # "~" expanded as torchvision does


# ---------------------------------------------------------------- CIFAR-10 / CIFAR-100
CIFAR = {"CIFAR10": ("cifar-10-batches-py", ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                                             "data_batch_5"], ["test_batch"], "batches.meta", "label_names",
                     "labels", 10),
         "CIFAR100": ("cifar-100-python", ["train"], ["test"], "meta", "fine_label_names", "fine_labels", 100)}


class Python2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 ``str`` (BINSTRING), as the published batches were pickled."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes(self, obj):
        self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def dump(path, obj, protocol):
    """Pickle ``obj``; protocol 2 as Python 2 with NumPy 1 wrote the published batches."""
    if protocol == 2:
        buffer = io.BytesIO()
        Python2Pickler(buffer, protocol=2).dump(obj)
        payload = buffer.getvalue().replace(b"numpy._core.", b"numpy.core.")
    else:
        payload = pickle.dumps(obj, protocol=protocol)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(payload)


def write_cifar(root, name, protocol=2, n=3):
    folder, train, test, meta, key, labels_key, n_classes = CIFAR[name]
    rng = np.random.default_rng(len(name))
    for i, batch in enumerate(train + test):
        dump(os.path.join(root, folder, batch), {"batch_label": f"batch {i}", labels_key: rng.integers(
            0, n_classes, n + i).tolist(), "data": rng.integers(0, 256, (n + i, 3072), dtype=np.uint8),
            "filenames": [f"img_{j}.png" for j in range(n + i)]}, protocol)
    dump(os.path.join(root, folder, meta), {key: [f"class {c}" for c in range(n_classes)], "num_vis": 3072},
         protocol)
    return os.path.join(root, folder)


@pytest.fixture
def no_md5(monkeypatch):
    """torchvision checks the published md5s: accept the generated files instead."""
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda path, md5=None: os.path.isfile(path))


@pytest.mark.parametrize("protocol", [2, 5], ids=["protocol2_numpy1_names", "protocol5"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
@pytest.mark.parametrize("name", list(CIFAR))
def test_cifar_parity(tmp_path, no_md5, name, train, protocol):
    write_cifar(str(tmp_path), name, protocol)
    transform, target_transform = Named("Array", np.asarray), Named("Plus1", lambda t: t + 1)
    mt = getattr(datasets, name)(str(tmp_path), train=train)
    tv = getattr(torchvision.datasets, name)(str(tmp_path), train=train)
    assert isinstance(mt.data, np.ndarray) and mt.data.dtype == np.uint8 and mt.data.shape == tv.data.shape
    np.testing.assert_array_equal(mt.data, tv.data)
    assert mt.targets == tv.targets and all(type(t) is int for t in mt.targets)
    assert mt.classes == tv.classes and mt.class_to_idx == tv.class_to_idx
    same_items(mt, tv)
    assert mt[0][0].mode == "RGB"
    mt = getattr(datasets, name)(str(tmp_path), train=train, transform=transform, target_transform=target_transform)
    tv = getattr(torchvision.datasets, name)(str(tmp_path), train=train, transform=transform,
                                            target_transform=target_transform)
    np.testing.assert_array_equal(mt[1][0], tv[1][0])
    assert mt[1][1] == tv[1][1] == tv.targets[1] + 1
    assert repr(mt) == repr(tv)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, "w")  # a side effect the unpickler must not run


@pytest.mark.parametrize("file", ["data_batch_1", "batches.meta"])
def test_CIFAR10_malicious_pickle_refused(tmp_path, file):
    folder = write_cifar(str(tmp_path), "CIFAR10")
    marker = str(tmp_path / "pwned")
    dump(os.path.join(folder, file), {"data": Evil(marker), "labels": [], "label_names": Evil(marker)}, 2)
    with pytest.raises(RuntimeError, match=re.escape(os.path.join(folder, file)) + r": not a valid CIFAR pickle: "
                       r"global 'io.open' is forbidden: only NumPy's array reconstruction helpers"):
        datasets.CIFAR10(str(tmp_path))
    assert not os.path.exists(marker)


def test_CIFAR10_corrupt_batches_named(tmp_path):
    folder = write_cifar(str(tmp_path), "CIFAR10")
    path = os.path.join(folder, "data_batch_2")
    with open(path, "rb") as f:
        good = f.read()
    with open(path, "wb") as f:
        f.write(good[:100])
    with pytest.raises(RuntimeError, match=re.escape(path) + ": not a valid CIFAR pickle"):
        datasets.CIFAR10(str(tmp_path))
    dump(path, {"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}, 2)
    with pytest.raises(RuntimeError, match=re.escape(path) + r": not a CIFAR batch: 'data' is uint8 of shape "
                                                             r"\(2, 100\) with 2 labels, expected uint8 of shape"):
        datasets.CIFAR10(str(tmp_path))
    dump(path, [1, 2, 3], 2)
    with pytest.raises(RuntimeError, match=re.escape(path) + ": not a CIFAR batch: expected a dict"):
        datasets.CIFAR10(str(tmp_path))
    assert len(datasets.CIFAR10(str(tmp_path), train=False)) == 8  # the test batch is fine


@pytest.mark.parametrize("name", list(CIFAR))
def test_cifar_download_error_says_what_to_place_where(tmp_path, name):
    folder, train, test, meta = CIFAR[name][:4]
    with pytest.raises(RuntimeError) as err:
        getattr(datasets, name)(str(tmp_path), download=True)
    text = str(err.value)
    assert "no network" in text and f"Place these files in {os.path.join(str(tmp_path), folder)}:" in text
    assert all(f"\n    {f}" in text for f in train + test + [meta])
    with pytest.raises(RuntimeError, match=f"{name}: dataset not found"):
        getattr(datasets, name)(str(tmp_path))


# ---------------------------------------------------------------- DatasetFolder / ImageFolder
def save_image(path, seed, mode="RGB", size=(5, 4), fmt=None):
    from PIL import Image

    os.makedirs(os.path.dirname(path), exist_ok=True)
    channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
    arr = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    Image.fromarray(arr.squeeze(-1) if channels == 1 else arr, mode).save(path, fmt)


@pytest.fixture
def image_tree(tmp_path):
    """Classes with spaces and parentheses, nested folders, upper-case extensions, grey / RGBA images, a file
    that is not an image, and a symbolic link to a folder outside the tree (followed)."""
    root = tmp_path / "images"
    files = ["cat/b.png", "cat/a (1).PNG", "cat/sub dir/z.bmp", "dog (big)/x y.jpg", "dog (big)/notes.txt",
             "dog (big)/q.JPEG", "zebra/n.ppm", "zebra/m.tiff", "zebra/w.webp"]
    for i, f in enumerate(files):
        path = str(root / f)
        if f.endswith(".txt"):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").close()
        else:
            ext = f.rsplit(".", 1)[1].lower()
            fmt = {"jpg": "JPEG", "jpeg": "JPEG", "tiff": "TIFF", "ppm": "PPM", "webp": "WEBP"}.get(ext)
            save_image(path, i, ["RGB", "L", "RGBA"][i % 3] if ext in ("png", "tiff") else "RGB", fmt=fmt)
    save_image(str(tmp_path / "outside" / "linked.png"), 99)
    os.symlink(str(tmp_path / "outside"), str(root / "zebra" / "link"))
    return str(root)


def test_ImageFolder_parity(image_tree):
    transform, target_transform = Named("Array", np.asarray), Named("Neg", lambda t: -t)
    mt = datasets.ImageFolder(image_tree)
    tv = torchvision.datasets.ImageFolder(image_tree)
    assert mt.classes == tv.classes == ["cat", "dog (big)", "zebra"] and mt.class_to_idx == tv.class_to_idx
    assert mt.samples == tv.samples and mt.imgs == tv.imgs and mt.targets == tv.targets
    assert len(mt) == 9 and any(p.endswith(os.path.join("link", "linked.png")) for p, _ in mt.samples)
    assert mt.extensions == tv.extensions == datasets.IMG_EXTENSIONS == torchvision.datasets.folder.IMG_EXTENSIONS
    same_items(mt, tv)
    assert {mt[i][0].mode for i in range(len(mt))} == {"RGB"}
    mt = datasets.ImageFolder(image_tree, transform=transform, target_transform=target_transform)
    tv = torchvision.datasets.ImageFolder(image_tree, transform=transform, target_transform=target_transform)
    for i in range(len(tv)):
        np.testing.assert_array_equal(mt[i][0], tv[i][0])
        assert mt[i][1] == tv[i][1] == -tv.targets[i]
    assert repr(mt) == repr(tv)


def test_DatasetFolder_parity(image_tree):
    def loader(path):
        return os.path.basename(path)

    def valid(path):
        return "a" in os.path.basename(path) or "n" in os.path.basename(path) or path.endswith(".txt")

    for kwargs in ({"extensions": (".png", ".txt")}, {"extensions": ".jpg", "allow_empty": True},
                   {"is_valid_file": valid}, {"extensions": (".png",), "allow_empty": True}):
        mt = datasets.DatasetFolder(image_tree, loader, **kwargs)
        tv = torchvision.datasets.DatasetFolder(image_tree, loader, **kwargs)
        assert mt.samples == tv.samples and mt.targets == tv.targets and mt.classes == tv.classes
        assert [mt[i] for i in range(len(mt))] == [tv[i] for i in range(len(tv))]
        assert mt.extensions == tv.extensions
    assert datasets.folder.make_dataset(image_tree, extensions=(".png", ".jpg")) == \
        torchvision.datasets.folder.make_dataset(image_tree, extensions=(".png", ".jpg"))
    assert datasets.folder.find_classes(image_tree) == torchvision.datasets.folder.find_classes(image_tree)
    assert datasets.folder.is_image_file("A.JPG") and not datasets.folder.is_image_file("a.txt")


def test_folder_errors_match_torchvision(image_tree, tmp_path):
    def both(cls, *args, **kwargs):
        return lambda fw: getattr(fw.datasets, cls)(*args, **kwargs)

    loader = datasets.pil_loader
    cases = [both("DatasetFolder", image_tree, loader, extensions=(".png",)),  # two classes without a file
             both("DatasetFolder", image_tree, loader, extensions=".gif"),
             both("DatasetFolder", image_tree, loader, is_valid_file=lambda p: p.endswith(".ppm")),
             both("DatasetFolder", image_tree, loader),  # neither extensions nor is_valid_file
             both("DatasetFolder", image_tree, loader, extensions=".png", is_valid_file=bool),
             both("ImageFolder", str(tmp_path / "images" / "zebra" / "link")),  # no class folder
             both("ImageFolder", str(tmp_path / "nowhere"))]
    messages = [same_error(lambda: case(minitorch.vision), lambda: case(torchvision)) for case in cases]
    assert messages[0] == "Found no valid file for the classes dog (big). Supported extensions are: .png"
    assert messages[5].startswith("Couldn't find any class folder in")
    same_error(lambda: datasets.folder.make_dataset(image_tree, {}, ".png"),
               lambda: torchvision.datasets.folder.make_dataset(image_tree, {}, ".png"))
    same_error(lambda: datasets.DatasetFolder.make_dataset(image_tree, None, ".png"),
               lambda: torchvision.datasets.DatasetFolder.make_dataset(image_tree, None, ".png"))


def test_loaders(image_tree):
    path = os.path.join(image_tree, "cat", "a (1).PNG")
    assert pixels(datasets.pil_loader(path)) == pixels(torchvision.datasets.folder.pil_loader(path))
    assert pixels(datasets.default_loader(path)) == pixels(torchvision.datasets.folder.default_loader(path))


# ---------------------------------------------------------------- the real files (slow)
@pytest.mark.slow
def test_real_MNIST_equals_torchvision(tmp_path):
    src = os.path.join(SHARED_DATA, "mnist")
    if not os.path.isdir(src):
        pytest.skip(f"{src} is not there")
    raw = tmp_path / "MNIST" / "raw"  # torchvision wants the uncompressed files in <root>/MNIST/raw
    raw.mkdir(parents=True)
    for name in MNIST_FILES:
        with gzip.open(os.path.join(src, name + ".gz"), "rb") as f, open(raw / name, "wb") as out:
            shutil.copyfileobj(f, out)
    for train, n in ((True, 60000), (False, 10000)):
        mt, tv = datasets.MNIST(SHARED_DATA, train=train), torchvision.datasets.MNIST(str(tmp_path), train=train)
        assert len(mt) == len(tv) == n
        np.testing.assert_array_equal(mt.data.numpy(), tv.data.numpy())
        np.testing.assert_array_equal(mt.targets.numpy(), tv.targets.numpy())
        same_items(mt, tv, range(0, n, 997))
        assert mt.raw_folder != os.path.join(SHARED_DATA, "mnist")  # found in the flat folder, not in MNIST/raw


@pytest.mark.slow
def test_real_cifar10_jpeg_ImageFolder_equals_torchvision():
    root = os.path.join(SHARED_DATA, "cifar10-jpeg")
    if not os.path.isdir(root):
        pytest.skip(f"{root} is not there")
    for split in ("train", "test"):
        mt = datasets.ImageFolder(os.path.join(root, split))
        tv = torchvision.datasets.ImageFolder(os.path.join(root, split))
        assert len(mt.classes) == 10 and mt.classes == tv.classes and mt.class_to_idx == tv.class_to_idx
        assert mt.samples == tv.samples and mt.targets == tv.targets
        assert len(mt) == {"train": 10000, "test": 5000}[split]
        same_items(mt, tv, range(0, len(tv), 499))
