"""Random sampling: mirrors ``torch.Generator``, ``torch.manual_seed`` / ``seed`` / ``initial_seed`` /
``get_rng_state`` / ``set_rng_state`` and the samplers ``rand``, ``randn``, ``randint``, ``randperm``,
``normal``, ``bernoulli``, ``multinomial``, ``*_like`` and the in-place ``uniform_``, ``normal_``,
``bernoulli_``, ``exponential_``, ``random_``.

A ``Generator`` wraps a NumPy ``Generator(PCG64)``: the same seed gives the same stream (not torch's
numbers, which come from a different engine), and separate generators are independent. Every sampler
takes ``generator=`` (the default generator when omitted) and torch's factory keywords.
"""
from __future__ import annotations

import secrets
from typing import Any, Sequence

import numpy as np

from .. import _dtype
from .._device import check_device
from .._tensor import Tensor
from ..autograd.function import Function
from ._method import tensor_method
from .creation import _finish, _size_arg, zeros, zeros_like
from ._operands import not_implemented, type_name
from .elementwise import _broadcast_error
from .inplace import check_inplace

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial",
           "rand_like", "randn_like", "randint_like"]

_DEFAULT_SEED = 67280421310721      # torch's default initial seed
_U64 = (1 << 64) - 1


class Generator:
    """A random stream (``torch.Generator``) backed by NumPy's PCG64 bit generator."""

    def __init__(self, device: Any = "cpu"):
        self.device = check_device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        """Restarts the stream from ``seed`` (negative seeds wrap to uint64, as in torch)."""
        if isinstance(seed, Tensor):
            seed = seed.item()
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _U64
        self._np = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Seeds from the operating system's entropy and returns the seed used."""
        s = secrets.randbits(63)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The stream's state as a uint8 tensor (restore it with ``set_state``)."""
        st = self._np.bit_generator.state
        words = [st["state"]["state"], st["state"]["inc"], st["has_uint32"], st["uinteger"], self._seed]
        raw = b"".join(int(w).to_bytes(16, "little") for w in words)
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state: Tensor) -> "Generator":
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dtype.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if new_state.numel() != _STATE_BYTES:
            raise RuntimeError(f"Expected a PCG64 generator state of size {_STATE_BYTES} but found the input RNG "
                               f"state size to be {new_state.numel()}")
        raw = new_state._data.tobytes()
        state, inc, has32, uint, seed = (int.from_bytes(raw[i:i + 16], "little") for i in range(0, _STATE_BYTES, 16))
        bit = np.random.PCG64()
        bit.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": has32,
                     "uinteger": uint}
        self._np, self._seed = np.random.Generator(bit), seed
        return self

    def __repr__(self) -> str:
        return f"<minitorch.Generator object at {hex(id(self))}>"


_STATE_BYTES = 5 * 16
default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seeds the default generator and returns it (``torch.manual_seed``)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seeds the default generator nondeterministically and returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


# helpers ---------------------------------------------------------------------------------------------------------
def _rng(generator: Generator | None) -> np.random.Generator:
    if generator is None:
        return default_generator._np
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a minitorch.Generator, not {type(generator).__name__}")
    return generator._np


def _need_float(dt: _dtype.dtype, kernel: str) -> None:
    if not dt.is_floating_point:
        raise not_implemented(kernel, dt.np)


def _uniform(rng: np.random.Generator, shape: tuple, dt: _dtype.dtype) -> np.ndarray:
    """Uniform [0, 1) samples of float dtype ``dt`` (float16 is drawn as float32 and rounded)."""
    if dt is _dtype.float64:
        return rng.random(shape)
    out = rng.random(shape, dtype=np.float32)
    return out if dt is _dtype.float32 else np.minimum(out.astype(dt.np), np.nextafter(dt.np.type(1), dt.np.type(0)))


def _standard_normal(rng: np.random.Generator, shape: tuple, dt: _dtype.dtype) -> np.ndarray:
    if dt is _dtype.float64:
        return rng.standard_normal(shape)
    return rng.standard_normal(shape, dtype=np.float32).astype(dt.np, copy=False)


def _float_dtype(dtype: Any) -> _dtype.dtype:
    return _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()


def _check_std(std: float) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


# factories -------------------------------------------------------------------------------------------------------
def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, out: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    dt = _float_dtype(dtype)
    _need_float(dt, "check_uniform_bounds")
    return _finish(_uniform(_rng(generator), _size_arg(size, "rand"), dt), requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False, out: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Standard normal samples."""
    dt = _float_dtype(dtype)
    _need_float(dt, "normal_kernel_cpu")
    return _finish(_standard_normal(_rng(generator), _size_arg(size, "randn"), dt), requires_grad, device)


def _check_range(low: int, high: int) -> None:
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")


def _integers(rng: np.random.Generator, low: int, high: int, shape: tuple, dt: _dtype.dtype) -> np.ndarray:
    _check_range(low, high)
    if dt is _dtype.bool_ and (low < 0 or high > 2):
        raise RuntimeError("to - 1 is out of bounds for bool")
    span = high - low
    if span <= 1 << 32:     # scaling a double is exact enough here, and far cheaper than rng.integers
        draws = np.minimum((rng.random(shape) * span).astype(np.int64), span - 1)
        return (draws + low).astype(dt.np, copy=False)
    return rng.integers(low, high, shape, dtype=np.int64).astype(dt.np, copy=False)


def randint(*args: Any, low: int | None = None, high: int | None = None, size: Sequence[int] | None = None,
            generator: Generator | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False,
            out: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high), int64 by default."""
    if size is None and args:
        args, size = args[:-1], args[-1]
    bounds = args + tuple(v for v in (low, high) if v is not None)
    if len(bounds) not in (1, 2) or size is None:
        raise TypeError(f"randint() received an invalid combination of arguments - got {len(bounds)} bounds; "
                        "expected (int high, tuple of ints size) or (int low, int high, tuple of ints size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {len(args) + 1}) must be tuple of ints, not "
                        f"{type(size).__name__}")
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.int64
    arr = _integers(_rng(generator), int(low), int(high), _size_arg((size,), "randint"), dt)
    return _finish(arr, requires_grad, device)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, out: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 by default)."""
    (n,) = _size_arg((n,), "randperm")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.int64
    return _finish(_rng(generator).permutation(n).astype(dt.np, copy=False), requires_grad, device)


class Normal(Function):
    """``normal(mean, std)`` with tensor arguments: torch records it, with zero gradients."""

    _array_forward = True

    @staticmethod
    def forward(ctx, mean: Any, std: Any, rng: np.random.Generator, shape: tuple, dt: _dtype.dtype) -> np.ndarray:
        ctx.shapes = (np.shape(mean), np.shape(std))
        return (mean + std * _standard_normal(rng, shape, dt)).astype(dt.np, copy=False)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return tuple(zeros(s, dtype=grad.dtype) if ctx.needs_input_grad[i] else None
                     for i, s in enumerate(ctx.shapes)) + (None, None, None)


def normal(mean: Any, std: Any = 1.0, size: Sequence[int] | None = None, *, generator: Generator | None = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None,
           layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Normal samples: ``normal(mean, std)`` with tensors (broadcast), or ``normal(mean, std, size)`` with floats."""
    rng = _rng(generator)
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got (float, float): with float "
                            "mean and std, pass size")
        _check_std(std)
        dt = _float_dtype(dtype)
        _need_float(dt, "normal_kernel_cpu")
        arr = (mean + std * _standard_normal(rng, _size_arg((size,), "normal"), dt)).astype(dt.np, copy=False)
        return _finish(arr, requires_grad, device)
    if isinstance(std, Tensor):
        if std.numel() and bool((std._data < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        _check_std(std)
    dt = _dtype.result_type(*tensors)
    _need_float(dt, "normal_kernel_cpu")
    try:
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        raise _broadcast_error(mean._data, std._data) from None
    return Normal.apply(mean, std, rng, shape, dt)


class Bernoulli(Function):
    """``bernoulli(p)``: recorded by torch with a zero gradient for ``p``."""

    _array_forward = True

    @staticmethod
    def forward(ctx, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (_uniform(rng, p.shape, _dtype._BY_NP[p.dtype]) < p).astype(p.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return zeros_like(grad), None


_P_IN_ERROR = "Expected p_in >= 0 && p_in <= 1 to be true, but got false."


def _check_p(p: float) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")


@tensor_method
def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None, out: Any = None) -> Tensor:
    """0/1 samples of ``input``'s shape and dtype, with probabilities ``input`` (or the float ``p``)."""
    rng = _rng(generator)
    if p is not None:
        _check_p(p)
        return Tensor._make((rng.random(input._data.shape) < p).astype(input._data.dtype))
    p_in = input._data
    if p_in.dtype.kind != "f":
        raise not_implemented("bernoulli_tensor_cpu_p_", p_in.dtype)
    if p_in.size and not (p_in.min() >= 0 and p_in.max() <= 1):
        raise RuntimeError(_P_IN_ERROR)
    return Bernoulli.apply(input, rng)


@tensor_method
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator: Generator | None = None,
                out: Any = None) -> Tensor:
    """Category indices drawn from the rows of ``input`` (unnormalised probabilities), int64."""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{type_name(input._data.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    probs = input._data.reshape(-1, input.shape[-1]).astype(np.float64)
    n_cat = probs.shape[1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not np.isfinite(probs).all() or (probs < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = probs.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng(generator)
    rows = probs.shape[0]
    if replacement:
        # inverse CDF: search every row's uniforms in that row's cumulative sums, shifted by the row index
        cdf = np.cumsum(probs / total, axis=1)
        cdf[:, -1] = 1.0
        u = rng.random((rows, num_samples))
        offsets = np.arange(rows)[:, None]
        idx = np.searchsorted((cdf + offsets).ravel(), (u + offsets).ravel(), side="right")
        out = np.minimum(idx.reshape(rows, num_samples) - offsets * n_cat, n_cat - 1)
    else:
        # exponential race (torch's algorithm): the k smallest Exp(1)/p are a sample without replacement
        keys = rng.standard_exponential((rows, n_cat)) / probs
        out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._make(out.astype(np.int64).reshape(tuple(input.shape[:-1]) + (num_samples,)))


def rand_like(input: Tensor, *, generator: Generator | None = None, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None, layout: Any = None) -> Tensor:
    dt = _dtype.as_dtype(dtype) if dtype is not None else input.dtype
    _need_float(dt, "check_uniform_bounds")
    return _finish(_uniform(_rng(generator), input._data.shape, dt), requires_grad, device)


def randn_like(input: Tensor, *, generator: Generator | None = None, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None, layout: Any = None) -> Tensor:
    dt = _dtype.as_dtype(dtype) if dtype is not None else input.dtype
    _need_float(dt, "normal_kernel_cpu")
    return _finish(_standard_normal(_rng(generator), input._data.shape, dt), requires_grad, device)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, generator: Generator | None = None,
                 dtype: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None,
                 layout: Any = None) -> Tensor:
    """``randint_like(input, high)`` or ``randint_like(input, low, high)``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator, dtype=dtype or input.dtype, device=device,
                   requires_grad=requires_grad)


# in-place samplers: written straight into the tensor's memory, outside autograd ---------------------------------
def _fill(self: Tensor, values: np.ndarray) -> Tensor:
    self._data[...] = values
    self._bump_version()
    return self


@tensor_method
def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None,
             **kwargs: Any) -> Tensor:
    """Fills with uniform samples in [from, to) (``from`` is also accepted as a keyword)."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    check_inplace(self)
    _need_float(self.dtype, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_:g} > to={to:g}")
    u = _uniform(_rng(generator), self._data.shape, _dtype.float64 if self.dtype is _dtype.float64 else _dtype.float32)
    return _fill(self, u if from_ == 0 and to == 1 else from_ + (to - from_) * u)


@tensor_method
def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    check_inplace(self)
    _need_float(self.dtype, "normal_kernel_cpu")
    _check_std(std)
    z = _standard_normal(_rng(generator), self._data.shape, self.dtype)
    return _fill(self, z if mean == 0 and std == 1 else mean + std * z)


@tensor_method
def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    check_inplace(self)
    if not self.dtype.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {type_name(self._data.dtype)}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _fill(self, _rng(generator).standard_exponential(self._data.shape) / lambd)


@tensor_method
def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fills with 0/1 samples, each 1 with probability ``p`` (a float or a broadcastable tensor)."""
    check_inplace(self)
    if isinstance(p, Tensor):
        if p.numel() and not bool(((p._data >= 0) & (p._data <= 1)).all()):
            raise RuntimeError(_P_IN_ERROR)
        p = p._data
    else:
        _check_p(p)
    return _fill(self, _rng(generator).random(self._data.shape) < p)


@tensor_method
def random_(self: Tensor, from_: int = 0, to: int | None = None, *, generator: Generator | None = None) -> Tensor:
    """``random_(to)`` / ``random_(from, to)``: integers in [from, to); ``random_()`` spans the integers the
    dtype holds exactly (``[0, 2**mantissa]`` for floats, ``[0, max]`` for integers)."""
    check_inplace(self)
    if to is None and from_ != 0:
        from_, to = 0, from_
    if to is None:
        dt = self.dtype
        if dt.is_floating_point:
            to = 2 ** (np.finfo(dt.np).nmant + 1) + 1
        else:
            to = 2 if dt is _dtype.bool_ else int(np.iinfo(dt.np).max) + (dt is not _dtype.int64)
    return _fill(self, _integers(_rng(generator), int(from_), int(to), self._data.shape, _dtype.int64))
