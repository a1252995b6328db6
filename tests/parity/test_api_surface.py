"""Every op the foundation issue names exists in minitorch under torch's name, as function and method."""
from __future__ import annotations

import pytest
import torch

import minitorch

FUNCTIONS = """
tensor as_tensor from_numpy zeros ones full empty arange linspace eye zeros_like ones_like full_like empty_like
rand randn randint randperm normal bernoulli multinomial manual_seed Generator seed rand_like randn_like
exp log log1p expm1 sqrt rsqrt pow abs sign neg reciprocal sin cos tan tanh sigmoid relu erf clamp clip where
maximum minimum floor ceil round trunc fmod remainder lerp isnan isinf isfinite nan_to_num logical_and logical_or
logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not
sum mean prod var std max min amax amin argmax argmin logsumexp softmax log_softmax cumsum cumprod all any norm
topk sort argsort unique
matmul mm bmm dot outer einsum tensordot addmm baddbmm
cat stack split chunk gather scatter scatter_add index_select masked_fill masked_select nonzero tril triu
repeat_interleave flip roll tile
get_default_dtype set_default_dtype promote_types result_type no_grad enable_grad set_grad_enabled inference_mode
equal is_tensor broadcast_shapes broadcast_tensors isclose allclose
is_grad_enabled as_strided permute transpose t squeeze unsqueeze flatten unflatten narrow select unbind reshape
""".split()

METHODS = """
size stride storage_offset is_contiguous contiguous untyped_storage data_ptr as_strided view reshape permute
transpose t expand expand_as squeeze unsqueeze flatten unflatten narrow select unbind to float double long int bool
half cpu item tolist numpy backward detach detach_ requires_grad_ retain_grad register_hook
register_post_accumulate_grad_hook add_ mul_ sub_ div_ zero_ fill_ copy_ clamp_ masked_fill_ uniform_ normal_
repeat gather scatter scatter_add index_select masked_fill sum mean max min softmax log_softmax topk sort
""".split()

PROPERTIES = "shape dtype device T mT grad grad_fn is_leaf requires_grad ndim".split()
AUTOGRAD = "backward grad Function gradcheck gradgradcheck detect_anomaly no_grad enable_grad".split()
FUNCTIONAL = "jacobian hessian vjp jvp hvp".split()


@pytest.mark.parametrize("name", FUNCTIONS)
def test_top_level_function_exists(name):
    assert hasattr(torch, name), f"test list is wrong: torch has no {name}"
    assert callable(getattr(minitorch, name, None)), f"minitorch.{name} is missing"


@pytest.mark.parametrize("name", METHODS)
def test_tensor_method_exists(name):
    assert hasattr(torch.Tensor, name), f"test list is wrong: torch.Tensor has no {name}"
    assert callable(getattr(minitorch.Tensor, name, None)), f"minitorch.Tensor.{name} is missing"


@pytest.mark.parametrize("name", PROPERTIES)
def test_tensor_property_exists(name):
    t = minitorch.ones(2, 2, requires_grad=True)
    getattr(t, name)


@pytest.mark.parametrize("name", AUTOGRAD)
def test_autograd_api_exists(name):
    assert hasattr(minitorch.autograd, name)


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_autograd_functional_api_exists(name):
    from minitorch.autograd import functional
    assert callable(getattr(functional, name, None))
