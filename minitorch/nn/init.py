"""Weight initialisation: mirrors ``torch.nn.init`` (in-place, under ``no_grad``, torch's formulas)."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_", "dirac_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "trunc_normal_", "sparse_"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "sigmoid")


def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    """The recommended gain for ``nonlinearity`` (torch's table)."""
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Any = None) -> Tensor:
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Any = None) -> Tensor:
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)), generator)


def eye_(tensor: Tensor) -> Tensor:
    """Fills a 2-D tensor with the identity matrix (ones on the main diagonal of a possibly non-square matrix)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    from .. import eye
    with no_grad():
        return tensor.copy_(eye(*tensor.shape, dtype=tensor.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fills a 3/4/5-D convolution weight with the Dirac delta: each of the first ``min(out/groups, in)`` output
    channels of every group copies its input channel at the kernel's centre."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = tensor.shape[0] // groups
    d = np.arange(min(per_group, tensor.shape[1]))
    out_idx = (np.arange(groups)[:, None] * per_group + d).ravel()
    centre = tuple(np.full(out_idx.shape, s // 2) for s in tensor.shape[2:])
    values = np.zeros(tensor.shape, dtype=tensor.dtype.np)
    values[(out_idx, np.tile(d, groups)) + centre] = 1
    from .. import tensor as _tensor
    with no_grad():
        return tensor.copy_(_tensor(values))


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Any = None) -> Tensor:
    """Fills with a (semi-)orthogonal matrix (the tensor viewed as ``(rows, numel // rows)``): the Q factor of a
    standard normal matrix with the signs of R's diagonal folded in (uniform over orthogonal matrices), times
    ``gain``."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    from .. import empty
    from .. import tensor as _tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = empty(rows, cols, dtype=tensor.dtype).normal_(0, 1, generator=generator).detach().numpy().astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    with no_grad():
        tensor.view_as(_tensor(q)).copy_(_tensor(q * gain))
    return tensor


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Any = None) -> Tensor:
    """Fills with samples of N(mean, std^2) truncated to ``[a, b]``, by rejection as torch does: normal proposals
    when ``[a, b]`` holds more than 30% of the mass, else uniform proposals on ``[a, b]`` accepted with
    probability pdf / peak pdf (all entries at once, redrawing only the rejected ones each round)."""
    def norm_cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values "
                      "may be incorrect.", stacklevel=2)
    from .. import empty_like
    with no_grad():
        if norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std) > 0.3:
            lo, hi = (np.asarray(v, dtype=tensor.dtype.np).item() for v in (a, b))
            values = tensor.normal_(mean, std, generator=generator).detach().numpy().copy()
            pending = (values < lo) | (values > hi)
            while pending.any():
                redraw = empty_like(tensor).normal_(mean, std, generator=generator).detach().numpy()
                values[pending] = redraw[pending]
                pending = (values < lo) | (values > hi)
        else:
            log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2
            values = np.zeros(tensor.shape, dtype=tensor.dtype.np)
            pending = np.ones(tensor.shape, dtype=bool)
            while pending.any():
                cand = empty_like(tensor).uniform_(a, b, generator=generator).detach().numpy()
                accept = np.log(empty_like(tensor).uniform_(generator=generator).detach().numpy()) <= \
                    -0.5 * ((cand - mean) / std) ** 2 - log_peak
                take = pending & accept
                values[take] = cand[take]
                pending &= ~accept
        from .. import tensor as _tensor
        return tensor.copy_(_tensor(values))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Any = None) -> Tensor:
    """Fills a 2-D tensor with N(0, std^2) samples, then zeroes ``ceil(sparsity * rows)`` random rows of each
    column."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    from .. import rand
    from .. import tensor as _tensor
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with no_grad():
        values = tensor.normal_(0, std, generator=generator).detach().numpy().copy()
        ranks = np.argsort(rand(rows, cols, generator=generator).numpy(), axis=0)    # a random permutation per column
        np.put_along_axis(values, ranks[:num_zeros], 0, axis=0)
        return tensor.copy_(_tensor(values))
