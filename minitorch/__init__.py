"""minitorch: a deep-learning framework on NumPy that mirrors PyTorch's API (``import minitorch as torch``).

This module mirrors torch's top level: tensor creation, math, dtypes, grad modes and seeding.
"""
from __future__ import annotations

from . import _dtype
from ._device import device
from ._dtype import (bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64, dtype,
                     get_default_dtype, set_default_dtype, promote_types, result_type, can_cast)
from ._storage import UntypedStorage
from ._tensor import Size, Tensor
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled
from ._ops.creation import (tensor, as_tensor, from_numpy, zeros, ones, empty, full, zeros_like, ones_like,
                            empty_like, full_like, arange, linspace, logspace, eye)
from ._ops.elementwise import (add, sub, subtract, mul, multiply, div, divide, true_divide, neg, negative, pow,
                               exp, log, where)
from ._ops.reduction import sum, mean
from ._ops.shape import (view_as, reshape, permute, transpose, swapaxes, swapdims, t, adjoint, squeeze, unsqueeze,
                         flatten, ravel, unflatten, narrow, select, unbind, as_strided, clone, movedim, moveaxis,
                         broadcast_to)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
__version__ = "0.1.0"
