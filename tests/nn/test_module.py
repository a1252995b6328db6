"""Module API (registration, iteration, state_dict, modes, hooks, repr) compared with torch.nn.Module."""
import copy

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
