"""Instance normalisation: mirrors ``torch.nn`` ``InstanceNorm1d/2d/3d`` (``affine`` and
``track_running_stats`` off by default; unbatched inputs; torch's input-dim checks and its warning when
the channel count differs from ``num_features`` without affine parameters)."""
from __future__ import annotations

import warnings
from typing import Any

from ..._tensor import Tensor
from ..functional.normalization import instance_norm
from .batchnorm import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    """Statistics of each sample and channel; running statistics (when tracked) used in eval mode."""

    spatial = 1           # number of spatial dims: an input has spatial + 1 (unbatched) or spatial + 2 dims

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict, strict: bool,
                              missing_keys: list, unexpected_keys: list, error_msgs: list) -> None:
        """A pre-0.4 checkpoint (no version) may carry running statistics this layer does not track: torch
        reports them and drops them."""
        if local_metadata.get("version", None) is None and not self.track_running_stats:
            keys = [prefix + n for n in ("running_mean", "running_var") if prefix + n in state_dict]
            if keys:
                name = type(self).__name__
                error_msgs.append(
                    "Unexpected running stats buffer(s) {} for {} with track_running_stats=False. If state_dict is a "
                    "checkpoint saved before 0.4.0, this may be expected because {} does not track running stats by "
                    "default since 0.4.0. Please remove these keys from state_dict. If the running stats are actually "
                    "needed, instead set track_running_stats=True in {} to enable them. See the documentation of {} "
                    "for details.".format(" and ".join(f'"{k}"' for k in keys), name, name, name, name))
                for k in keys:
                    state_dict.pop(k)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def forward(self, input: Tensor) -> Tensor:
        low, high = self.spatial + 1, self.spatial + 2
        if input.dim() not in (low, high):
            raise ValueError(f"expected {low}D or {high}D input (got {input.dim()}D input)")
        feature_dim = input.dim() - low
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        unbatched = input.dim() == low
        out = instance_norm(input.unsqueeze(0) if unbatched else input, self.running_mean, self.running_var,
                            self.weight, self.bias, self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over a (N, C, L) or unbatched (C, L) input."""

    spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over a (N, C, H, W) or unbatched (C, H, W) input."""

    spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over a (N, C, D, H, W) or unbatched (C, D, H, W) input."""

    spatial = 3
