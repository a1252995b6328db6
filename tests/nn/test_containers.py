"""Containers (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, Flatten, Unflatten) compared with
torch's: indexing, slicing, list/dict operations, registration names, repr (with torch's compression of repeated
children), errors, forward and gradients."""
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn as nn


def _seq(fw, *args):
    return fw.nn.Sequential(*args)


def test_Sequential_parity():
    t = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Identity(), torch.nn.Linear(5, 2))
    m = nn.Sequential(nn.Linear(3, 5), nn.Identity(), nn.Linear(5, 2))
    assert list(m.state_dict()) == list(t.state_dict())
    assert repr(m) == repr(t)
    m.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = torch.randn(4, 3)
    np.testing.assert_allclose(m(minitorch.tensor(x.numpy())).detach().numpy(), t(x).detach().numpy(), atol=1e-5)
    assert len(m) == 3 and isinstance(m[-1], nn.Linear) and m[1] is list(m)[1]
    sub = m[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and list(sub._modules) == list(t[1:]._modules)
    with pytest.raises(IndexError, match="index 3 is out of range"):
        m[3]
    m.append(nn.Identity())
    assert list(m._modules) == ["0", "1", "2", "3"]
    del m[0]
    assert list(m._modules) == ["0", "1", "2"]


def test_Sequential_from_OrderedDict():
    m = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("id", nn.Identity())]))
    t = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 2)), ("id", torch.nn.Identity())]))
    assert list(m.state_dict()) == list(t.state_dict()) == ["fc.weight", "fc.bias"]
    assert repr(m) == repr(t)
    assert m.fc is m[0]


def test_ModuleList():
    layers = [nn.Linear(2, 3), nn.Linear(3, 1)]
    m = nn.ModuleList(layers)
    t = torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)])
    assert list(m.state_dict()) == list(t.state_dict())
    assert repr(m) == repr(t)
    assert len(m) == 2 and m[-1] is layers[1] and list(m) == layers
    assert isinstance(m[:1], nn.ModuleList) and len(m[:1]) == 1
    m.append(nn.Identity()).extend([nn.Identity()])
    assert len(m) == 4 and len(list(m.parameters())) == 4
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.append(3)


@pytest.mark.parametrize("args", [(), (0,), (1, 2), (0, -2)], ids=["default", "start0", "1to2", "0to-2"])
def test_Flatten_parity(args):
    x = torch.randn(2, 3, 4, 5)
    m, t = nn.Flatten(*args), torch.nn.Flatten(*args)
    assert repr(m) == repr(t)
    np.testing.assert_array_equal(m(minitorch.tensor(x.numpy())).numpy(), t(x).numpy())


def test_Unflatten_parity():
    x = torch.randn(2, 12)
    m, t = nn.Unflatten(1, (3, 4)), torch.nn.Unflatten(1, (3, 4))
    assert repr(m) == repr(t)
    np.testing.assert_array_equal(m(minitorch.tensor(x.numpy())).numpy(), t(x).numpy())


# --- helpers --------------------------------------------------------------------------------------------------------
def _names(mod):
    return list(mod.state_dict()), [n for n, _ in mod.named_modules()], [n for n, _ in mod.named_parameters()]


def _same_structure(m, t):
    assert _names(m) == _names(t)
    assert repr(m) == repr(t)


def _norm(s):
    return str(s).replace("minitorch.", "torch.")


SEQ_OPS = {
    "insert": lambda fw, s: s.insert(1, fw.nn.Tanh()),
    "insert_neg": lambda fw, s: s.insert(-1, fw.nn.Tanh()),
    "insert_end": lambda fw, s: s.insert(3, fw.nn.Tanh()),
    "extend": lambda fw, s: s.extend([fw.nn.Tanh(), fw.nn.ReLU()]),
    "pop": lambda fw, s: s.pop(1),
    "pop_slice": lambda fw, s: s.pop(slice(0, 2)),
    "add": lambda fw, s: s + fw.nn.Sequential(fw.nn.Tanh()),
    "iadd": lambda fw, s: s.__iadd__(fw.nn.Sequential(fw.nn.Tanh())),
    "mul": lambda fw, s: s * 2,
    "rmul": lambda fw, s: 2 * s,
    "imul": lambda fw, s: s.__imul__(3),
    "setitem": lambda fw, s: s.__setitem__(-1, fw.nn.Sigmoid()),
    "delitem_slice": lambda fw, s: s.__delitem__(slice(None, None, 2)),
    "delitem": lambda fw, s: s.__delitem__(-2),
    "slice": lambda fw, s: s[::-1],
    "index": lambda fw, s: s[-2],
}


@pytest.mark.parametrize("op", list(SEQ_OPS), ids=[f"Sequential-{k}" for k in SEQ_OPS])
def test_Sequential_ops_parity(op):
    out = []
    for fw in (minitorch, torch):
        s = fw.nn.Sequential(fw.nn.Linear(2, 2), fw.nn.ReLU(), fw.nn.Linear(2, 2))
        res = SEQ_OPS[op](fw, s)
        out.append((repr(s), repr(res), _names(s), len(s), [type(x).__name__ for x in s]))
    assert out[0] == out[1]


@pytest.mark.parametrize("call,exc", [
    (lambda fw, s: s + [fw.nn.ReLU()], ValueError), (lambda fw, s: s * 0, ValueError),
    (lambda fw, s: s * 1.5, TypeError), (lambda fw, s: s.insert(5, fw.nn.ReLU()), IndexError),
    (lambda fw, s: s.insert(0, 3), AssertionError), (lambda fw, s: s[2], IndexError),
    (lambda fw, s: s.__setitem__(-3, fw.nn.ReLU()), IndexError), (lambda fw, s: s.append(3), TypeError),
], ids=["add_list", "mul_zero", "mul_float", "insert_range", "insert_type", "index", "setitem", "append_type"])
def test_Sequential_errors_parity(call, exc):
    msgs = []
    for fw in (minitorch, torch):
        s = fw.nn.Sequential(fw.nn.Linear(2, 2), fw.nn.ReLU())
        with pytest.raises(exc) as e:
            call(fw, s)
        msgs.append(_norm(e.value).replace("minitorch", "torch").replace(".nn.modules.container", ".nn.modules."
                                                                         "container"))
    assert msgs[0] == msgs[1]


def test_Sequential_shares_modules_and_dir():
    lin = nn.Linear(2, 2)
    s = nn.Sequential(lin) * 2
    assert s[0] is s[1] is lin and len(list(s.parameters())) == 2
    assert not any(k.isdigit() for k in dir(s))


MODULELIST_OPS = {
    "append": lambda fw, m: m.append(fw.nn.Tanh()),
    "extend": lambda fw, m: m.extend([fw.nn.Tanh(), fw.nn.Linear(2, 2)]),
    "iadd": lambda fw, m: m.__iadd__([fw.nn.Tanh()]),
    "add": lambda fw, m: m + [fw.nn.Tanh()],
    "insert": lambda fw, m: m.insert(1, fw.nn.Tanh()),
    "pop": lambda fw, m: m.pop(0),
    "delitem_slice": lambda fw, m: m.__delitem__(slice(1, None)),
    "setitem": lambda fw, m: m.__setitem__(1, fw.nn.Sigmoid()),
    "slice": lambda fw, m: m[1:],
}


@pytest.mark.parametrize("op", list(MODULELIST_OPS), ids=[f"ModuleList-{k}" for k in MODULELIST_OPS])
def test_ModuleList_ops_parity(op):
    out = []
    for fw in (minitorch, torch):
        m = fw.nn.ModuleList([fw.nn.Linear(2, 2), fw.nn.ReLU(), fw.nn.Linear(2, 2)])
        res = MODULELIST_OPS[op](fw, m)
        out.append((repr(m), repr(res), _names(m), len(m)))
    assert out[0] == out[1]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, but got int"):
        nn.ModuleList().extend(3)


@pytest.mark.parametrize("layout", [
    ("L2", "L2", "L2", "R", "L3", "L3", "L2"), ("R", "R"), ("L2",), (), ("S", "R", "S"),
], ids=["runs", "all_same", "single", "empty", "no_runs"])
def test_ModuleList_repr_compression_parity(layout):
    def build(fw):
        make = {"L2": lambda: fw.nn.Linear(2, 2), "L3": lambda: fw.nn.Linear(2, 3), "R": fw.nn.ReLU,
                "S": lambda: fw.nn.Sequential(fw.nn.Linear(1, 1), fw.nn.ReLU())}
        return fw.nn.ModuleList([make[k]() for k in layout])
    _same_structure(build(minitorch), build(torch))
    nested = [fw.nn.Sequential(build(fw), fw.nn.ModuleList([build(fw), build(fw)])) for fw in (minitorch, torch)]
    _same_structure(*nested)


def test_ModuleDict_parity():
    out = []
    for fw in (minitorch, torch):
        d = fw.nn.ModuleDict({"b": fw.nn.Linear(2, 3), "a": fw.nn.ReLU()})
        d["c"] = fw.nn.Linear(3, 1)
        d.update([("z", fw.nn.Tanh()), ("b", fw.nn.Linear(2, 4))])
        d.update(fw.nn.ModuleDict({"y": fw.nn.Sigmoid()}))
        popped = d.pop("a")
        del d["z"]
        out.append((repr(d), _names(d), list(d.keys()), [type(v).__name__ for v in d.values()],
                    [k for k, _ in d.items()], list(d), len(d), "c" in d, "a" in d, type(popped).__name__))
        d.clear()
        out.append(len(d))
    assert out[:2] == out[2:]
    for bad, exc, msg in [(3, TypeError, "ModuleDict.update should be called with an iterable of key/value pairs, "
                                         "but got int"),
                          ([("a",)], ValueError, "element #0 has length 1; 2 is required"),
                          ([3], TypeError, "element #0 should be Iterable; isint")]:
        with pytest.raises(exc, match=msg):
            nn.ModuleDict().update(bad)
        with pytest.raises(exc, match=msg):
            torch.nn.ModuleDict().update(bad)


def test_ParameterList_parity():
    out = []
    for fw in (minitorch, torch):
        pl = fw.nn.ParameterList([fw.nn.Parameter(fw.ones(2, 3)), fw.zeros(4, dtype=fw.float64)])
        pl.append(fw.ones(1))
        pl.extend([fw.nn.Parameter(fw.ones(2), requires_grad=False), "note"])
        pl += [fw.zeros(3)]
        pl[0] = fw.zeros(5)
        out.append((_norm(repr(pl)), list(pl.state_dict()), [n for n, _ in pl.named_parameters()], len(pl),
                    [type(p).__name__ for p in pl], [getattr(p, "requires_grad", None) for p in pl],
                    _norm(repr(pl[1:4])), isinstance(pl[-1], fw.nn.Parameter)))
        with pytest.raises(RuntimeError, match="ParameterList should not be called"):
            pl()
        with pytest.raises(IndexError, match="index 6 is out of range"):
            pl[6]
        with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable, but got"):
            pl.extend(fw.ones(2))
    assert out[0] == out[1]


def test_ParameterDict_parity():
    out = []
    for fw in (minitorch, torch):
        pd = fw.nn.ParameterDict({"b": fw.ones(2, 3), "a": fw.nn.Parameter(fw.zeros(1, dtype=fw.float64))})
        pd["c"] = fw.ones(4)
        pd.update([("z", fw.zeros(2)), ("note", "text")])
        pd.update(OrderedDict([("y", fw.ones(1)), ("x", fw.ones(1))]))
        p = pd.pop("z")
        k, v = pd.popitem()
        dflt = pd.setdefault("d", fw.ones(3))
        out.append((_norm(repr(pd)), list(pd.state_dict()), list(pd.keys()), [type(v).__name__ for v in pd.values()],
                    [k for k, _ in pd.items()], list(pd), list(reversed(pd)), len(pd), "c" in pd,
                    type(p).__name__, k, type(dflt).__name__, pd.get("nope", 7), _norm(repr(pd.copy())),
                    list(pd.fromkeys(["q", "r"]).keys()), list((pd | fw.nn.ParameterDict({"w": fw.ones(1)})).keys())))
        pd.clear()
        with pytest.raises(TypeError, match="not a string \\(type is 'int'\\)"):
            fw.nn.ParameterDict()[1] = fw.ones(1)
        out.append(len(pd))
    assert out[:2] == out[2:]


def test_containers_in_a_model_train_like_torch():
    def build(fw):
        class Net(fw.nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = fw.nn.ModuleDict({"enc": fw.nn.Sequential(fw.nn.Linear(3, 4), fw.nn.Tanh()),
                                                "heads": fw.nn.ModuleList([fw.nn.Linear(4, 2) for _ in range(2)])})
                self.scales = fw.nn.ParameterList([fw.ones(2), fw.ones(2) * 2])
                self.bias = fw.nn.ParameterDict({"h0": fw.zeros(2), "h1": fw.ones(2)})

            def forward(self, x):
                h = self.blocks["enc"](x)
                return sum(head(h) * s + self.bias[f"h{i}"]
                           for i, (head, s) in enumerate(zip(self.blocks["heads"], self.scales)))
        return Net()
    torch.manual_seed(0)
    t = build(torch)
    m = build(minitorch)
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = torch.randn(5, 3)
    t(x).square().sum().backward()
    m(minitorch.tensor(x.numpy())).square().sum().backward()
    for (n, pm), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pm.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


_LEAVES = st.sampled_from(["linear", "linear_nobias", "relu", "tanh", "identity", "flatten"])
_TREES = st.recursive(_LEAVES, lambda kids: st.tuples(st.sampled_from(["seq", "list", "dict", "params"]),
                                                      st.lists(kids, min_size=0, max_size=4)), max_leaves=12)


def _build_tree(fw, spec):
    if isinstance(spec, str):
        return {"linear": lambda: fw.nn.Linear(2, 3), "linear_nobias": lambda: fw.nn.Linear(3, 2, bias=False),
                "relu": fw.nn.ReLU, "tanh": fw.nn.Tanh, "identity": fw.nn.Identity, "flatten": fw.nn.Flatten}[spec]()
    kind, kids = spec
    children = [_build_tree(fw, k) for k in kids]
    if kind == "seq":
        return fw.nn.Sequential(*children)
    if kind == "list":
        return fw.nn.ModuleList(children)
    if kind == "dict":
        return fw.nn.ModuleDict({f"k{len(kids) - i}": c for i, c in enumerate(children)})
    return fw.nn.Sequential(fw.nn.ParameterList([fw.ones(i + 1) for i in range(len(kids))]),
                            fw.nn.ParameterDict({f"p{len(kids) - i}": fw.ones(i + 1) for i in range(len(kids))}))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(spec=_TREES)
def test_random_container_trees_match_torch(spec):
    m, t = _build_tree(minitorch, spec), _build_tree(torch, spec)
    assert _norm(repr(m)) == repr(t)
    assert _names(m) == _names(t)
    assert [n for n, _ in m.named_modules(remove_duplicate=False)] == \
        [n for n, _ in t.named_modules(remove_duplicate=False)]
    assert [tuple(p.shape) for p in m.parameters()] == [tuple(p.shape) for p in t.parameters()]
