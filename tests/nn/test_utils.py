"""nn.utils (clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_, parameters_to_vector,
vector_to_parameters) compared with torch.nn.utils on the same gradients."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn as nn

SHAPES = [(3, 4), (5,), (), (2, 1, 3)]


def _params(fw, grads, dtype="float64"):
    """Parameters (zeros) with the given numpy gradients (None: no grad)."""
    ps = []
    for g, shape in zip(grads, SHAPES):
        p = fw.nn.Parameter(fw.zeros(shape, dtype=getattr(fw, dtype)))
        if g is not None:
            p.grad = fw.tensor(g, dtype=getattr(fw, dtype))
        ps.append(p)
    return ps


def _grads(seed=0, scale=1.0, missing=()):
    rng = np.random.default_rng(seed)
    return [None if i in missing else rng.standard_normal(s) * scale for i, s in enumerate(SHAPES)]


def _compare(fn, grads, dtype="float64", **kwargs):
    """Runs ``fn(fw.nn.utils, params, **kwargs)`` in both frameworks: same result and same gradients after."""
    out = []
    for fw in (minitorch, torch):
        ps = _params(fw, grads, dtype)
        res = fn(fw.nn.utils, ps, **kwargs)
        out.append((res, [None if p.grad is None else p.grad.numpy() for p in ps]))
    (rm, gm), (rt, gt) = out
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    if rt is None:
        assert rm is None
    else:
        assert str(rm.dtype).replace("minitorch", "torch") == str(rt.dtype) and rm.shape == rt.shape
        np.testing.assert_allclose(rm.numpy(), rt.numpy(), **tol)
    for a, b in zip(gm, gt):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, **tol)
    return rm


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [1, 2, 3.5, math.inf, 0.5], ids=["1", "2", "3.5", "inf", "0.5"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3], ids=["clipped", "unclipped"])
def test_clip_grad_norm_parity(norm_type, max_norm, dtype):
    total = _compare(lambda u, ps: u.clip_grad_norm_(ps, max_norm, norm_type), _grads(missing=(2,)), dtype)
    assert total.dim() == 0


def test_clip_grad_norm_single_tensor_generator_and_empty():
    _compare(lambda u, ps: u.clip_grad_norm_(ps[0], 0.1), _grads())
    _compare(lambda u, ps: u.clip_grad_norm_((p for p in ps), 0.1, norm_type="inf"), _grads())
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        total = nn.utils.clip_grad_norm_((p for p in []), 1.0)
    assert float(total) == 0.0 and total.dtype == minitorch.float32
    assert float(nn.utils.clip_grad_norm_(_params(minitorch, [None] * 4), 1.0)) == 0.0


@pytest.mark.parametrize("bad", [math.nan, math.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("norm_type", [2.0, math.inf], ids=["2", "inf"])
def test_clip_grad_norm_nonfinite(bad, norm_type):
    grads = _grads()
    grads[0][1, 1] = bad
    for fw in (minitorch, torch):
        with pytest.raises(RuntimeError) as e:
            fw.nn.utils.clip_grad_norm_(_params(fw, grads), 1.0, norm_type, error_if_nonfinite=True)
        assert f"The total norm of order {float(norm_type)} for gradients from `parameters` is non-finite" in \
            str(e.value)
    _compare(lambda u, ps: u.clip_grad_norm_(ps, 1.0, norm_type), grads)   # scales by the non-finite norm


def test_clip_grad_norm_deprecated_alias():
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        _compare(lambda u, ps: u.clip_grad_norm(ps, 0.3), _grads())


@pytest.mark.parametrize("norm_type", [1, 2, math.inf], ids=["1", "2", "inf"])
def test_get_total_norm_and_clip_grads_with_norm_parity(norm_type):
    grads = _grads(scale=3.0)
    total = _compare(lambda u, ps: u.get_total_norm([p.grad for p in ps], norm_type), grads)
    _compare(lambda u, ps: u.clip_grads_with_norm_(ps, 1.0, u.get_total_norm([p.grad for p in ps], norm_type)),
             grads)
    assert float(nn.utils.get_total_norm([])) == 0.0
    assert float(total) > 1.0


@pytest.mark.parametrize("clip_value", [0.1, 1, 10.0], ids=["0.1", "1", "10"])
def test_clip_grad_value_parity(clip_value):
    _compare(lambda u, ps: u.clip_grad_value_(ps, clip_value), _grads(missing=(1,)), "float32")
    _compare(lambda u, ps: u.clip_grad_value_(ps[0], clip_value), _grads())


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shapes=st.lists(st.lists(st.integers(1, 4), max_size=3).map(tuple), min_size=1, max_size=4),
       seed=st.integers(0, 2 ** 16), scale=st.floats(1e-3, 1e3), max_norm=st.floats(1e-2, 1e2),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]), dtype=st.sampled_from(["float32", "float64"]))
def test_clip_grad_norm_hypothesis(shapes, seed, scale, max_norm, norm_type, dtype):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s) * scale for s in shapes]
    out = []
    for fw in (minitorch, torch):
        ps = [fw.nn.Parameter(fw.zeros(s, dtype=getattr(fw, dtype))) for s in shapes]
        for p, g in zip(ps, grads):
            p.grad = fw.tensor(g, dtype=getattr(fw, dtype))
        total = fw.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
        out.append([total.numpy()] + [p.grad.numpy() for p in ps])
    tol = dict(rtol=1e-12, atol=0) if dtype == "float64" else dict(rtol=2e-6, atol=1e-9 * scale)
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, **tol)


def test_clip_grad_norm_on_a_trained_model():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    m.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = torch.randn(16, 4)
    (t(x) ** 2).sum().backward()
    (m(minitorch.tensor(x.numpy())) ** 2).sum().backward()
    nt = torch.nn.utils.clip_grad_norm_(t.parameters(), 0.7)
    nm = nn.utils.clip_grad_norm_(m.parameters(), 0.7)
    np.testing.assert_allclose(nm.numpy(), nt.numpy(), rtol=1e-5)
    for pm, pt in zip(m.parameters(), t.parameters()):
        np.testing.assert_allclose(pm.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_parameters_to_vector_and_back():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    m.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    vt = torch.nn.utils.parameters_to_vector(t.parameters())
    vm = nn.utils.parameters_to_vector(m.parameters())
    np.testing.assert_array_equal(vm.detach().numpy(), vt.detach().numpy())
    assert vm.shape == vt.shape and vm.requires_grad
    vm.sum().backward()                                   # differentiable: gradient 1 for every parameter
    assert all((p.grad.numpy() == 1).all() for p in m.parameters())
    new = np.arange(vt.numel(), dtype=np.float32)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t.parameters())
    vec = minitorch.tensor(new)
    nn.utils.vector_to_parameters(vec, m.parameters())
    for (n, pm), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(pm.detach().numpy(), pt.detach().numpy(), err_msg=n)
        assert isinstance(pm, nn.Parameter) and pm.requires_grad
    vec[0] = 100.0                                        # the parameters share the vector's memory, as in torch
    assert float(m[0].weight[0, 0]) == 100.0


def test_vector_to_parameters_type_error_like_torch():
    errors = []
    for fw in (minitorch, torch):
        with pytest.raises(TypeError) as e:
            fw.nn.utils.vector_to_parameters([1.0, 2.0], [fw.nn.Parameter(fw.zeros(2))])
        errors.append(str(e.value))
    assert errors[0] == errors[1] == "expected torch.Tensor, but got: list"
