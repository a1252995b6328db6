"""Module API compared with torch.nn.Module: registration rules and errors, iteration (prefix/recurse/duplicates),
state_dict / load_state_dict (keys, metadata, errors, assign, extra state, the _load_from_state_dict extension point,
state-dict hooks), modes, dtype conversion, forward hooks and full backward (pre-)hooks, repr."""
import copy
from collections import OrderedDict

import numpy as np

import pytest
import torch

import minitorch
import minitorch.nn as nn


def _pair():
    """The same small model built in both frameworks."""
    def build(fw):
        class Net(fw.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = fw.nn.Linear(3, 4)
                self.seq = fw.nn.Sequential(fw.nn.Linear(4, 4), fw.nn.Identity(), fw.nn.Linear(4, 2, bias=False))
                self.scale = fw.nn.Parameter(fw.ones(2))
                self.register_buffer("count", fw.zeros(1))
                self.register_buffer("tmp", fw.zeros(2), persistent=False)

            def forward(self, x):
                return self.seq(self.fc(x)) * self.scale
        return Net()
    return build(minitorch), build(torch)


def test_parameter_basics():
    p = nn.Parameter(minitorch.ones(2))
    tp = torch.nn.Parameter(torch.ones(2))
    assert isinstance(p, minitorch.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == repr(tp)
    assert not nn.Parameter(minitorch.ones(2), requires_grad=False).requires_grad
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q is not p


def test_names_and_state_dict_keys_match_torch():
    m, t = _pair()
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in m.named_children()] == [n for n, _ in t.named_children()]
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_parameters(prefix="p", recurse=False)] == \
        [n for n, _ in t.named_parameters(prefix="p", recurse=False)]
    assert m.get_submodule("seq.0") is m.seq[0]
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        m.get_submodule("seq.nope")


def test_shared_parameters_deduplicated():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_and_grads_match_torch_after_load(dtype):
    m, t = _pair()
    t = t.to(getattr(torch, dtype))
    m = m.to(getattr(minitorch, dtype))
    res = m.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert res.missing_keys == [] and res.unexpected_keys == []
    x = torch.randn(5, 3, dtype=getattr(torch, dtype))
    out_t = t(x)
    out_m = m(minitorch.tensor(x.numpy()))
    assert out_m.dtype == getattr(minitorch, dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert abs(out_m.detach().numpy() - out_t.detach().numpy()).max() < tol
    out_t.sum().backward()
    out_m.sum().backward()
    for (n, pm), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        assert abs(pm.grad.numpy() - pt.grad.numpy()).max() < tol * 10, n
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_load_state_dict_errors_like_torch():
    m, t = _pair()
    sd = {k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()}
    tsd = dict(t.state_dict())
    del sd["fc.bias"], tsd["fc.bias"]
    sd["extra"] = minitorch.zeros(1)
    tsd["extra"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as em:
        m.load_state_dict(sd)
    with pytest.raises(RuntimeError) as et:
        t.load_state_dict(tsd)
    assert str(em.value).replace("Net", "") == str(et.value).replace("Net", "")
    rm, rt = m.load_state_dict(sd, strict=False), t.load_state_dict(tsd, strict=False)
    assert rm.missing_keys == rt.missing_keys and rm.unexpected_keys == rt.unexpected_keys
    sd = {k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()}
    sd["fc.weight"] = minitorch.zeros(2, 2)
    tsd = dict(t.state_dict(), **{"fc.weight": torch.zeros(2, 2)})
    with pytest.raises(RuntimeError) as em:
        m.load_state_dict(sd)
    with pytest.raises(RuntimeError) as et:
        t.load_state_dict(tsd)
    assert str(em.value) == str(et.value)


def test_train_eval_apply_requires_grad():
    m, _ = _pair()
    assert m.training and m.seq[0].training
    m.eval()
    assert not m.training and not m.seq[0].training
    m.train()
    assert m.seq[0].training
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 3
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_dtype_keeps_parameters():
    m = nn.Linear(2, 3).double()
    assert m.weight.dtype == minitorch.float64 and isinstance(m.weight, nn.Parameter)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert m.float().bias.dtype == minitorch.float32
    assert m.half().weight.dtype == minitorch.float16


def test_setattr_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(minitorch.ones(1))
    m.sub = nn.Linear(1, 1)
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and m.plain == 3
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = minitorch.ones(1)
    m.w = None
    assert list(m.parameters(recurse=False)) == []
    del m.sub
    assert list(m.children()) == []
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", minitorch.ones(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("plain", None)
    with pytest.raises(TypeError, match="parameter 'x'"):
        m.register_parameter("x", minitorch.ones(1))


def test_hooks_run_and_remove():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    out = lin(minitorch.ones(1, 2))
    assert calls == [(1, 2)]
    assert abs(out.detach().numpy() - (lin.bias.detach().numpy() + 1)).max() < 1e-6
    h1.remove()
    h2.remove()
    lin(minitorch.ones(1, 2))
    assert len(calls) == 1


def test_repr_and_missing_forward_like_torch():
    m, t = _pair()
    assert repr(m) == repr(t)
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_zero_grad_set_to_none_false():
    lin = nn.Linear(2, 2)
    lin(minitorch.ones(1, 2)).sum().backward()
    lin.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in lin.parameters())


# --- helpers for the tests below ------------------------------------------------------------------------------------
def _np(t):
    return None if t is None else t.detach().numpy()


def _norm(msg):
    """An error message with the framework and the user class names made neutral."""
    return str(msg).replace("minitorch.", "torch.").replace("minitorch", "torch")


def _both(build):
    """``build(fw)`` for both frameworks, with minitorch's weights copied from torch's."""
    torch.manual_seed(0)
    t = build(torch)
    m = build(minitorch)
    m.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return m, t


def _shared(fw):
    """Shared submodules and a parameter registered twice under different names."""
    lin = fw.nn.Linear(2, 2)
    root = fw.nn.Module()
    root.a = lin
    root.b = fw.nn.Sequential(lin, fw.nn.ReLU(), fw.nn.Linear(2, 3))
    root.w = lin.weight
    root.register_buffer("buf", fw.zeros(2))
    root.b[2].register_buffer("alias", root.buf)
    root.register_buffer("nothing", None)
    root.register_parameter("empty", None)
    return root


@pytest.mark.parametrize("kwargs", [{}, {"prefix": "p"}, {"recurse": False}, {"remove_duplicate": False},
                                    {"prefix": "x", "recurse": False, "remove_duplicate": False}],
                         ids=["default", "prefix", "no_recurse", "duplicates", "all"])
def test_named_parameters_buffers_parity(kwargs):
    m, t = _shared(minitorch), _shared(torch)
    assert [n for n, _ in m.named_parameters(**kwargs)] == [n for n, _ in t.named_parameters(**kwargs)]
    assert [n for n, _ in m.named_buffers(**kwargs)] == [n for n, _ in t.named_buffers(**kwargs)]
    assert len(list(m.parameters(recurse=kwargs.get("recurse", True)))) == \
        len(list(t.parameters(recurse=kwargs.get("recurse", True))))


@pytest.mark.parametrize("kwargs", [{}, {"prefix": "top"}, {"remove_duplicate": False}], ids=["default", "prefix",
                                                                                            "duplicates"])
def test_named_modules_children_parity(kwargs):
    m, t = _shared(minitorch), _shared(torch)
    assert [n for n, _ in m.named_modules(**kwargs)] == [n for n, _ in t.named_modules(**kwargs)]
    assert [n for n, _ in m.named_children()] == [n for n, _ in t.named_children()]
    assert [type(c).__name__ for c in m.children()] == [type(c).__name__ for c in t.children()]
    assert [type(c).__name__ for c in m.modules()] == [type(c).__name__ for c in t.modules()]
    assert list(m.state_dict()) == list(t.state_dict())
    memo_m, memo_t = {m.a}, {t.a}
    assert [n for n, _ in m.named_modules(memo_m)] == [n for n, _ in t.named_modules(memo_t)] == ["", "b", "b.1", "b.2"]


def test_get_submodule_parameter_buffer():
    m, t = _shared(minitorch), _shared(torch)
    assert m.get_submodule("b.2") is m.b[2] and m.get_submodule("") is m
    assert m.get_parameter("b.2.bias") is m.b[2].bias
    assert m.get_buffer("buf") is m.buf
    for call in (lambda x: x.get_submodule("b.9"), lambda x: x.get_submodule("w"),
                 lambda x: x.get_parameter("b.2.alias"), lambda x: x.get_buffer("a.bias"),
                 lambda x: x.get_parameter("a.nope")):
        with pytest.raises(AttributeError) as et:
            call(t)
        with pytest.raises(AttributeError, match=".") as em:
            call(m)
        assert str(em.value) == str(et.value)


def test_state_dict_keep_vars_metadata_and_prefix():
    m, t = _pair()
    sd = m.state_dict(keep_vars=True)
    assert sd["fc.weight"] is m.fc.weight
    plain = m.state_dict()
    assert plain["fc.weight"] is not m.fc.weight and not plain["fc.weight"].requires_grad
    assert dict(plain._metadata) == dict(t.state_dict()._metadata)
    assert list(m.state_dict(prefix="model.")) == list(t.state_dict(prefix="model."))
    dest = OrderedDict()
    assert m.state_dict(destination=dest) is dest and list(dest) == list(t.state_dict())


def _sd(t, drop=(), add=None):
    """torch's state_dict (a plain dict, as after conversion) with keys dropped/added, for both frameworks."""
    tsd = OrderedDict((k, v) for k, v in t.state_dict().items() if k not in drop)
    tsd.update(add or {})
    return tsd, OrderedDict((k, minitorch.tensor(v.numpy())) for k, v in tsd.items())


@pytest.mark.parametrize("drop,add", [
    (("seq.0.bias", "count"), {}),
    ((), {"seq.5.weight": torch.zeros(1), "seq.0.extra": torch.zeros(1), "zzz": torch.zeros(1), "tmp": torch.zeros(2)}),
    (("fc.weight",), {"fc.weight.x": torch.zeros(1), "fc._extra_state": torch.zeros(1)}),
], ids=["missing", "unexpected", "both"])
def test_load_state_dict_incompatible_keys_parity(drop, add):
    m, t = _pair()
    tsd, msd = _sd(t, drop, add)
    rt, rm = t.load_state_dict(tsd, strict=False), m.load_state_dict(msd, strict=False)
    assert (rm.missing_keys, rm.unexpected_keys) == (rt.missing_keys, rt.unexpected_keys)
    assert repr(rm) == repr(rt)
    with pytest.raises(RuntimeError) as et:
        t.load_state_dict(tsd)
    with pytest.raises(RuntimeError) as em:
        m.load_state_dict(msd)
    assert str(em.value) == str(et.value)


def test_load_state_dict_bad_values_parity():
    m, t = _pair()
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([("fc.weight", minitorch.zeros(4, 3))])
    tsd, msd = _sd(t)
    tsd["fc.bias"], msd["fc.bias"] = [0.0] * 4, [0.0] * 4
    tsd["count"], msd["count"] = torch.zeros(3), minitorch.zeros(3)
    with pytest.raises(RuntimeError) as et:
        t.load_state_dict(tsd)
    with pytest.raises(RuntimeError) as em:
        m.load_state_dict(msd)
    assert _norm(em.value) == _norm(et.value)
    assert repr(m.load_state_dict(_sd(t)[1])) == "<All keys matched successfully>"


def _tolerant(fw):
    """A module that accepts checkpoints lacking ``steps`` by filling it in (as torch's BatchNorm does for
    ``num_batches_tracked``), through the ``_load_from_state_dict`` extension point."""
    class Tolerant(fw.nn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.lin = fw.nn.Linear(2, 2)
            self.register_buffer("steps", fw.tensor(5))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                                  unexpected_keys, error_msgs):
            if local_metadata.get("version", None) is None and prefix + "steps" not in state_dict:
                state_dict[prefix + "steps"] = fw.tensor(0)
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                          unexpected_keys, error_msgs)
    return fw.nn.Sequential(Tolerant())


def test_load_from_state_dict_extension_point():
    m, t = _tolerant(minitorch), _tolerant(torch)
    assert m.state_dict()._metadata["0"] == t.state_dict()._metadata["0"] == {"version": 2}
    tsd, msd = _sd(t, drop=("0.steps",))
    assert repr(m.load_state_dict(msd)) == repr(t.load_state_dict(tsd))
    assert int(m[0].steps) == int(t[0].steps) == 0
    tsd = t.state_dict()                       # with metadata (version 2): the missing key is reported
    del tsd["0.steps"]
    msd = m.state_dict()
    del msd["0.steps"]
    rt, rm = t.load_state_dict(tsd, strict=False), m.load_state_dict(msd, strict=False)
    assert rm.missing_keys == rt.missing_keys == ["0.steps"]


def test_load_state_dict_assign():
    m, t = _pair()
    tsd, msd = _sd(t)
    old = m.fc.weight
    m.load_state_dict(msd, assign=True)
    assert m.fc.weight is not old and isinstance(m.fc.weight, nn.Parameter) and m.fc.weight.requires_grad
    assert m.fc.weight.data_ptr() == msd["fc.weight"].data_ptr()
    assert m.count is msd["count"]
    t.load_state_dict(tsd, assign=True)
    assert t.count is tsd["count"]


def test_extra_state_parity():
    def build(fw):
        class WithExtra(fw.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = fw.nn.Linear(1, 1)
                self.note = "a"

            def get_extra_state(self):
                return {"note": self.note}

            def set_extra_state(self, state):
                self.note = state["note"]
        return fw.nn.Sequential(WithExtra())
    m, t = build(minitorch), build(torch)
    assert list(m.state_dict()) == list(t.state_dict()) == ["0._extra_state", "0.lin.weight", "0.lin.bias"]
    msd = m.state_dict()
    msd["0._extra_state"] = {"note": "b"}
    m.load_state_dict(msd)
    assert m[0].note == "b"
    del msd["0._extra_state"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0._extra_state"'):
        m.load_state_dict(msd)


@pytest.mark.parametrize("args", [("float64",), ("cpu", "float64"), ("tensor64",), ("cpu",)],
                         ids=["dtype", "device_dtype", "tensor", "device"])
def test_to_parity(args):
    def convert(fw, mod):
        conv = [getattr(fw, a) if a.startswith("float") else fw.zeros(1, dtype=fw.float64) if a == "tensor64"
                else a for a in args]
        return mod.to(*conv)
    m, t = _pair()
    w = m.fc.weight
    m(minitorch.ones(2, 3)).sum().backward()
    assert convert(minitorch, m) is m and m.fc.weight is w             # torch converts in place: same Parameter
    convert(torch, t)
    assert [(n, str(p.dtype)) for n, p in m.state_dict().items()] == \
        [(n, str(p.dtype).replace("torch", "minitorch")) for n, p in t.state_dict().items()]
    assert m.fc.weight.grad.dtype == m.fc.weight.dtype


def test_to_errors_and_cuda():
    m, t = _pair()
    with pytest.raises(TypeError) as et:
        t.to(torch.int32)
    with pytest.raises(TypeError) as em:
        m.to(minitorch.int32)
    assert _norm(em.value) == _norm(et.value)
    with pytest.raises(RuntimeError, match="cuda"):
        m.cuda()
    assert m.cpu() is m


@pytest.mark.parametrize("op", [
    "register_parameter(1, None)", "register_parameter('a.b', None)", "register_parameter('', None)",
    "register_parameter('x', fw.ones(1))", "register_parameter('plain', None)",
    "register_parameter('nonleaf', fw.nn.Parameter(fw.ones(1)) * 2)",
    "register_buffer(3, None)", "register_buffer('a.b', None)", "register_buffer('', None)",
    "register_buffer('x', 3)", "register_buffer('plain', None)",
    "add_module('x', 3)", "add_module(1, None)", "add_module('plain', None)", "add_module('a.b', None)",
    "add_module('', None)", "register_module('x', 3)",
    "__setattr__('w', fw.ones(1))", "__setattr__('sub', 3)", "__setattr__('buf', 3)",
    "__getattr__('nope')", "__delattr__('nope')", "train('yes')",
], ids=lambda s: s.split("(")[0] + "-" + s.split("(", 1)[1][:12])
def test_registration_errors_parity(op):
    def build(fw):
        mod = fw.nn.Module()
        mod.w = fw.nn.Parameter(fw.ones(1))
        mod.sub = fw.nn.Identity()
        mod.register_buffer("buf", fw.ones(1))
        mod.plain = 1
        return mod
    errors = []
    for fw in (torch, minitorch):
        mod = build(fw)
        with pytest.raises(Exception) as e:
            eval("mod." + op, {"mod": mod, "fw": fw})
        errors.append((type(e.value), _norm(e.value)))
    assert errors[0] == errors[1]


def test_setattr_before_init_parity():
    for fw in (torch, minitorch):
        class Early(fw.nn.Module):
            def __init__(self, value):
                self.x = value
        for value in (fw.nn.Parameter(fw.ones(1)), fw.nn.Identity()):
            with pytest.raises(AttributeError, match="before Module.__init__"):
                Early(value)


def test_reassignment_moves_between_registries():
    for fw in (torch, minitorch):
        mod = fw.nn.Module()
        mod.x = fw.nn.Identity()
        mod.x = fw.nn.Parameter(fw.ones(1))            # a module slot becomes a parameter
        assert list(mod._modules) == [] and list(mod._parameters) == ["x"]
        mod.register_buffer("b", fw.ones(1), persistent=False)
        mod.b = fw.zeros(2)                            # still a (non-persistent) buffer
        assert "b" in mod._buffers and "b" not in mod.state_dict()
        mod.nb = fw.nn.Buffer(fw.ones(1), persistent=False)
        mod.pb = fw.nn.Buffer(fw.ones(1))
        assert list(mod.state_dict()) == ["x", "pb"]
        assert [n for n, _ in mod.named_buffers()] == ["b", "nb", "pb"]
        del mod.b, mod.x
        assert list(mod._parameters) == [] and "b" not in mod._buffers
        mod.sub = fw.nn.Identity()
        mod.sub = None
        assert mod.sub is None and list(mod.children()) == []


def test_dir_lists_registered_names():
    m, t = _pair()
    for name in ("fc", "seq", "scale", "count", "tmp", "forward", "training"):
        assert name in dir(m)
    assert not any(k[0].isdigit() for k in dir(m.seq))
    assert dir(m) == sorted(dir(m))


def test_extra_repr_multiline_and_nesting_like_torch():
    def build(fw):
        class Multi(fw.nn.Module):
            def extra_repr(self):
                return "a=1\nb=2"

        class One(fw.nn.Module):
            def extra_repr(self):
                return "k=3"
        top = fw.nn.Module()
        top.m = Multi()
        top.o = One()
        top.o.inner = Multi()
        top.empty = None
        return top
    assert repr(build(minitorch)) == repr(build(torch))


def test_zero_grad_and_requires_grad_parity():
    m, t = _both(lambda fw: fw.nn.Linear(3, 2))
    x = torch.randn(4, 3)
    t(x).sum().backward()
    m(minitorch.tensor(x.numpy())).sum().backward()
    t.zero_grad(set_to_none=False)
    m.zero_grad(set_to_none=False)
    assert [(_np(p.grad) == 0).all() for p in m.parameters()] == [(p.grad == 0).all().item() for p in t.parameters()]
    m.requires_grad_(False).requires_grad_(True)
    assert all(p.requires_grad for p in m.parameters())


# --- forward hooks --------------------------------------------------------------------------------------------------
def _forward_hook_log(fw):
    log = []
    lin = fw.nn.Linear(2, 2)
    with torch.no_grad() if fw is torch else minitorch.no_grad():
        lin.weight.fill_(1.0)
        lin.bias.fill_(0.0)

    class Wrap(fw.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lin

        def forward(self, x, scale=1.0):
            return self.lin(x) * scale
    mod = Wrap()
    mod.register_forward_pre_hook(lambda m, args: log.append(("pre", _np(args[0]).tolist())))
    mod.register_forward_pre_hook(lambda m, args: log.append(("pre-first",)), prepend=True)
    mod.register_forward_pre_hook(lambda m, args, kw: ((args[0] + 1,), {"scale": 2.0}), with_kwargs=True)
    mod.register_forward_hook(lambda m, args, kw, out: log.append(("post-kw", kw, _np(out).tolist())),
                              with_kwargs=True)
    h = mod.register_forward_hook(lambda m, args, out: out * 10)
    log.append(_np(mod(fw.ones(1, 2), scale=3.0)).tolist())
    h.remove()
    log.append(_np(mod(fw.ones(1, 2))).tolist())

    def bad(x):
        raise ValueError("boom")
    lin2 = fw.nn.Linear(1, 1)
    lin2.forward = bad
    lin2.register_forward_hook(lambda m, args, out: log.append(("always", out)), always_call=True)
    with pytest.raises(ValueError):
        lin2(fw.ones(1))
    return log


def test_forward_hooks_parity():
    assert _forward_hook_log(minitorch) == _forward_hook_log(torch)


def test_forward_pre_hook_with_kwargs_bad_return():
    lin = nn.Linear(2, 2)
    lin.register_forward_pre_hook(lambda m, a, k: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        lin(minitorch.ones(1, 2))


# --- full backward hooks --------------------------------------------------------------------------------------------
def _two_in_two_out(fw):
    class TwoInTwoOut(fw.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = fw.nn.Linear(3, 2)

        def forward(self, x, y, k, flag=True):
            return self.lin(x) * y.sum() + k, (x * x).sum()
    return TwoInTwoOut()


def _backward_hook_log(fw, input_grads, replace=False, pre=False, remove=False):
    torch.manual_seed(0)
    t_mod = _two_in_two_out(torch)
    mod = t_mod if fw is torch else _two_in_two_out(fw)
    if fw is minitorch:
        mod.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    log = []

    def hook(m, grad_input, grad_output):
        assert m is mod
        log.append(("hook", [_np(g) for g in grad_input], [_np(g) for g in grad_output]))
        if replace:
            return tuple(None if g is None else g * 3 for g in grad_input)

    def pre_hook(m, grad_output):
        log.append(("pre", [_np(g) for g in grad_output]))
        return tuple(None if g is None else g * 2 for g in grad_output)
    handle = mod.register_full_backward_hook(hook)
    if pre:
        mod.register_full_backward_pre_hook(pre_hook)
    if remove:
        handle.remove()
    rng = np.random.default_rng(1)
    xs = [fw.tensor(rng.standard_normal(s), dtype=fw.float64, requires_grad=r)
          for s, r in zip([(4, 3), (5,), ()], input_grads)]
    a, b = mod.double()(*xs)
    (a * fw.tensor(rng.standard_normal((4, 2)))).sum().add(b * 0.5).backward()
    log.append([_np(x.grad) for x in xs])
    log.append([_np(p.grad) for p in mod.parameters()])
    return log


def _assert_logs_equal(lm, lt):
    assert len(lm) == len(lt)
    for em, et in zip(lm, lt):
        flat_m = em if isinstance(em, list) else [x for part in em[1:] for x in part]
        flat_t = et if isinstance(et, list) else [x for part in et[1:] for x in part]
        if not isinstance(em, list):
            assert em[0] == et[0]
        assert len(flat_m) == len(flat_t)
        for a, b in zip(flat_m, flat_t):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("input_grads,replace,pre,remove", [
    ((True, True, True), False, False, False),
    ((True, False, False), False, False, False),
    ((True, True, False), True, False, False),
    ((True, False, True), True, True, False),
    ((True, True, True), False, False, True),
], ids=["all_inputs", "some_inputs", "replace_grad_input", "pre_hook_replaces_grad_output", "removed"])
def test_full_backward_hook_parity(input_grads, replace, pre, remove):
    _assert_logs_equal(_backward_hook_log(minitorch, input_grads, replace, pre, remove),
                       _backward_hook_log(torch, input_grads, replace, pre, remove))


def test_full_backward_hook_no_input_requires_grad():
    logs = []
    for fw in (minitorch, torch):
        torch.manual_seed(0)
        t_lin = torch.nn.Linear(3, 2)
        lin = t_lin if fw is torch else nn.Linear(3, 2)
        if fw is minitorch:
            lin.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t_lin.state_dict().items()})
        log = []
        lin.register_full_backward_hook(lambda m, gi, go: log.append(("hook", list(gi), [_np(g) for g in go])))
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            lin(fw.ones(2, 3)).sum().backward()
        log.append([_np(lin.weight.grad)])
        logs.append(log)
    _assert_logs_equal(*logs)
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (minitorch.ones(2, 3),))
    with pytest.raises(RuntimeError, match="no input requires gradient should always return None"), \
            pytest.warns(UserWarning):
        lin(minitorch.ones(2, 3)).sum().backward()


def test_full_backward_hook_errors_and_graph():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    out = lin(minitorch.ones(2, 3, requires_grad=True))
    assert out.grad_fn.name() == "BackwardHookFunctionBackward"
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, but "
                                           "expected 1"):
        out.sum().backward()
    lin = nn.Linear(3, 2)
    lin.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_output, got 2, but expected 1"):
        lin(minitorch.ones(2, 3, requires_grad=True)).sum().backward()
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: None)
    with minitorch.no_grad():
        assert lin(minitorch.ones(2, 3, requires_grad=True)).grad_fn is None


def test_full_backward_hook_on_submodules_order():
    orders = []
    for fw in (minitorch, torch):
        seq = fw.nn.Sequential(fw.nn.Linear(2, 3), fw.nn.Tanh(), fw.nn.Linear(3, 1))
        order = []
        for name, mod in seq.named_modules():
            mod.register_full_backward_hook(lambda m, gi, go, name=name: order.append((name, len(gi), len(go))))
        seq(fw.ones(4, 2, requires_grad=True)).sum().backward()
        orders.append(order)
    assert orders[0] == orders[1]


def _state_hook_log(fw):
    log = []
    root = fw.nn.Sequential(fw.nn.Linear(2, 2), fw.nn.Linear(2, 1))
    root[0].register_state_dict_pre_hook(lambda m, prefix, keep_vars: log.append(("sd-pre", prefix, keep_vars)))
    root.register_state_dict_post_hook(lambda m, sd, prefix, meta: log.append(("sd-post", list(sd), prefix)))
    root[1].register_state_dict_post_hook(lambda m, sd, prefix, meta: sd.pop(prefix + "bias") and None)
    sd = root.state_dict(keep_vars=True)
    log.append(list(sd))

    def load_pre(m, state_dict, prefix, meta, strict, missing, unexpected, errors):
        log.append(("load-pre", prefix, sorted(state_dict)))
        state_dict.setdefault(prefix + "bias", fw.zeros(1))

    def load_post(m, keys):
        log.append(("load-post", list(keys.missing_keys), list(keys.unexpected_keys)))
        keys.unexpected_keys.clear()
    root[1].register_load_state_dict_pre_hook(load_pre)
    root.register_load_state_dict_post_hook(load_post)
    sd = dict(sd, extra=fw.zeros(1))
    log.append(repr(root.load_state_dict(sd)))
    h = root.register_load_state_dict_post_hook(lambda m, keys: keys)
    with pytest.raises(AssertionError, match="not expected to return new values"):
        root.load_state_dict(sd)
    h.remove()
    root.register_state_dict_post_hook(lambda m, sd, prefix, meta: sd)
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        root.state_dict()
    return log


def test_state_dict_hooks_parity():
    assert _state_hook_log(minitorch) == _state_hook_log(torch)
