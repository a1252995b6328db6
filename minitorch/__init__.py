"""minitorch: a deep-learning framework on NumPy that mirrors PyTorch's API (``import minitorch as torch``).

This module mirrors torch's top level: dtypes, devices, tensor creation and random sampling, math,
reductions, linear algebra, shape and indexing ops, grad modes and seeding. Each op family lives in
one module under ``minitorch/_ops`` and is re-exported here through its ``__all__``.
"""
from __future__ import annotations

from ._device import device
from ._dtype import (bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64, dtype,
                     get_default_dtype, set_default_dtype, promote_types, result_type, can_cast)
from ._storage import UntypedStorage
from ._tensor import Size, Tensor, is_tensor
from . import autograd, cuda
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                       set_grad_enabled)
from ._ops.creation import *  # noqa: F401,F403
from ._ops.random import *  # noqa: F401,F403
from ._ops.elementwise import *  # noqa: F401,F403
from ._ops.unary import *  # noqa: F401,F403
from ._ops.logical import *  # noqa: F401,F403
from ._ops.reduction import *  # noqa: F401,F403
from ._ops.softmax import *  # noqa: F401,F403
from ._ops.cumulative import *  # noqa: F401,F403
from ._ops.sorting import *  # noqa: F401,F403
from ._ops.linalg import *  # noqa: F401,F403
from ._ops.shape import *  # noqa: F401,F403
from ._ops.strided import *  # noqa: F401,F403
from ._ops.joining import *  # noqa: F401,F403
from ._ops.indexing import *  # noqa: F401,F403
from ._ops.conv import *  # noqa: F401,F403
from ._ops import inplace as _inplace  # noqa: F401  (registers copy_ and the in-place machinery)
from . import nn, optim, utils  # noqa: E402
from .serialization import load, save  # noqa: E402

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
__version__ = "0.1.0"
