"""``Tensor``: mirrors ``torch.Tensor`` — a strided view over a shared storage, plus autograd state.

The element data is a NumPy array that views the storage's buffer, so NumPy does the strided
indexing; this class exposes torch's view of it (element strides, ``storage_offset``,
``is_contiguous``) and the autograd fields (``requires_grad``, ``grad``, ``grad_fn``, ``is_leaf``).
Math, shape and indexing methods are attached by the modules in ``minitorch/_ops``.
"""
from __future__ import annotations

import copy
import weakref
from typing import Any, Callable, Iterator

import numpy as np

from . import _dtype
from ._device import device as _device_cls, cpu as _cpu, check_device
from ._storage import UntypedStorage
from . import autograd
from .autograd.grad_mode import _state
from .autograd.graph import RemovableHandle


class Tensor:
    """A multi-dimensional array with autograd (``torch.Tensor``)."""

    # the fields read on every op are slots; the rarely-set ones live in __dict__ with class defaults,
    # so that wrapping a fresh result array (Tensor._make, on every op) sets only four attributes
    __slots__ = ("_data", "_storage", "_requires_grad", "_grad_fn", "__dict__", "__weakref__")
    _output_nr = 0
    _grad = None
    _grad_accumulator = None
    _base = None
    _backward_hooks = None
    _post_accumulate_hooks = None
    _retains_grad = False

    # construction --------------------------------------------------------------------------------
    def __new__(cls, *args: Any, **kwargs: Any) -> "Tensor":
        """``Tensor(data)`` copies data as the default float dtype; ``Tensor(2, 3)`` is uninitialised."""
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            src = args[0]
            if isinstance(src, Tensor):
                return src.detach()
            arr = np.array(src, dtype=_dtype.get_default_dtype().np)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            arr = np.empty(tuple(int(s) for s in shape), dtype=_dtype.get_default_dtype().np)
        t = cls._make(arr)
        return t

    @classmethod
    def _make(cls, data: np.ndarray, storage: UntypedStorage | None = None) -> "Tensor":
        """Wraps an array (a fresh result, or a view of ``storage``) without copying."""
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        t = object.__new__(cls)
        t._data = data
        t._storage = storage if storage is not None else UntypedStorage(data)
        t._requires_grad = False
        t._grad_fn = None
        return t

    def _view_of(self, data: np.ndarray) -> "Tensor":
        """A tensor for ``data``, a NumPy view into this tensor's storage (no autograd linking)."""
        t = Tensor._make(data, self._storage)
        t._base = self if self._base is None else self._base
        return t

    # metadata --------------------------------------------------------------------------------------
    @property
    def shape(self) -> "Size":
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> "Size | int":
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype._BY_NP[self._data.dtype]

    @property
    def device(self) -> _device_cls:
        return _cpu

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None) -> "tuple[int, ...] | int":
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        return (self.data_ptr() - self._storage.data_ptr()) // self._data.itemsize

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self) -> UntypedStorage:
        return self._storage

    def is_shared(self) -> bool:
        """Whether the memory is in shared memory (as a batch from a DataLoader worker is)."""
        return self._storage.is_shared()

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def layout(self) -> str:
        return "strided"

    @property
    def _version(self) -> int:
        return self._storage._version

    def _bump_version(self) -> None:
        self._storage._version += 1

    def type(self, dtype: Any = None) -> "str | Tensor":
        if dtype is None:
            return "minitorch." + self.dtype._legacy
        if isinstance(dtype, str) and dtype.endswith("Tensor"):     # "torch.DoubleTensor" / "minitorch.DoubleTensor"
            dtype = next(d for d in _dtype.ALL_DTYPES if d._legacy == dtype.rsplit(".", 1)[-1])
        return self.to(_dtype.as_dtype(dtype))

    def is_inference(self) -> bool:
        return False

    # autograd state -------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._grad_fn is None and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def grad(self) -> "Tensor | None":
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of size "
                                   f"'{list(self.shape)}'. Please ensure that the gradient and the tensor are the same size")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype '{value.dtype._legacy[:-6].lower()}' to "
                                   f"a tensor with grad_dtype '{self.dtype._legacy[:-6]}'. The gradient must match "
                                   "the tensor's grad_dtype (defaults to the tensor's dtype).")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def data(self) -> "Tensor":
        """An alias of this tensor's memory, outside autograd (``.data`` in torch)."""
        return Tensor._make(self._data, self._storage)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data, self._storage = value._data, value._storage

    def detach(self) -> "Tensor":
        """A tensor sharing memory (and version counter) with this one, cut from the graph; like torch's, it
        is not a view of anything, so in-place writes to it are allowed even when this is a view of a leaf."""
        return Tensor._make(self._data, self._storage)

    def detach_(self) -> "Tensor":
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn, self._requires_grad, self._output_nr = None, False, 0
        return self

    def retain_grad(self) -> None:
        """Keeps ``.grad`` for a non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        ref = weakref.ref(self)

        def retain(grad: Tensor) -> None:
            t = ref()
            if t is not None:
                g = grad.detach().clone() if not _state["grad"] else grad
                t._grad = g if t._grad is None else t._grad + g
        retain._retains_grad = True
        self._grad_fn._add_tensor_hook(self._output_nr, retain)
        self._retains_grad = True

    def register_hook(self, hook: Callable[["Tensor"], "Tensor | None"]) -> RemovableHandle:
        """``hook(grad)`` runs when this tensor's gradient is computed; it may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._backward_hooks is None:
            self._backward_hooks = []
        return RemovableHandle(self._backward_hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[["Tensor"], None]) -> RemovableHandle:
        """``hook(tensor)`` runs after ``.grad`` of this leaf was accumulated."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        return RemovableHandle(self._post_accumulate_hooks, hook)

    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Computes the gradient of this tensor w.r.t. the graph leaves (``torch.Tensor.backward``)."""
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # conversion -------------------------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; copies only if needed."""
        dtype, copy = kwargs.get("dtype"), kwargs.get("copy", False)
        dev = kwargs.get("device")
        for a in args:
            if isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, dev = a.dtype, a.device
            elif isinstance(a, (str, _device_cls)):
                dev = a
            elif isinstance(a, bool):
                pass
            elif a is not None:
                raise TypeError(f"to() received an invalid combination of arguments: {type(a).__name__}")
        if dev is not None:
            check_device(dev)
        if dtype is not None and _dtype.as_dtype(dtype) is not self.dtype:
            from ._ops.elementwise import cast
            return cast(self, _dtype.as_dtype(dtype))
        return self.clone() if copy else self

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> "Tensor":
        check_device("cuda")
        return self

    def float(self) -> "Tensor":
        return self.to(_dtype.float32)

    def double(self) -> "Tensor":
        return self.to(_dtype.float64)

    def half(self) -> "Tensor":
        return self.to(_dtype.float16)

    def long(self) -> "Tensor":
        return self.to(_dtype.int64)

    def int(self) -> "Tensor":
        return self.to(_dtype.int32)

    def short(self) -> "Tensor":
        return self.to(_dtype.int16)

    def char(self) -> "Tensor":
        return self.to(_dtype.int8)

    def byte(self) -> "Tensor":
        return self.to(_dtype.uint8)

    def bool(self) -> "Tensor":
        return self.to(_dtype.bool_)

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The NumPy array sharing this tensor's memory (refused while it requires grad)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data.copy() if force else self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self) -> "float | int | bool":
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return bool(self._data.reshape(()))

    def _python_scalar(self) -> "float | int | bool":
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self) -> float:
        return float(self._python_scalar())

    def __int__(self) -> int:
        return int(self._python_scalar())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __deepcopy__(self, memo: dict) -> "Tensor":
        if id(self) in memo:
            return memo[id(self)]
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.")
        new = type(self)._make(self._data.copy())
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        new.__dict__.update({k: copy.deepcopy(v, memo) for k, v in self._user_attributes().items()})
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (_rebuild, (type(self), np.ascontiguousarray(self._data), self._requires_grad, self._user_attributes()))

    def _user_attributes(self) -> dict:
        """Attributes set on the tensor from outside (e.g. by nn), not autograd's bookkeeping."""
        return {k: v for k, v in self.__dict__.items() if k not in _AUTOGRAD_FIELDS}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


_AUTOGRAD_FIELDS = frozenset(("_output_nr", "_grad", "_grad_accumulator", "_base", "_backward_hooks",
                               "_post_accumulate_hooks", "_retains_grad"))

from .autograd import function as _function  # noqa: E402  (import cycle: function.py needs the class)
_function.Tensor = Tensor


def _rebuild(cls: type, data: np.ndarray, requires_grad: bool, state: dict) -> Tensor:
    return _with_state(cls._make(np.array(data)), requires_grad, state)


def _with_state(t: Tensor, requires_grad: bool, state: dict) -> Tensor:
    """``t`` given the ``requires_grad`` flag and the user attributes that a pickle carried."""
    t._requires_grad = requires_grad
    t.__dict__.update(state)
    return t


class Size(tuple):
    """``torch.Size``: a tuple of ints describing a shape."""

    def __repr__(self) -> str:
        return f"minitorch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item: Any) -> Any:
        out = super().__getitem__(item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other: tuple) -> "Size":
        return Size(tuple(self) + tuple(other))


def is_tensor(obj: Any) -> bool:
    """``torch.is_tensor``: whether ``obj`` is a minitorch Tensor."""
    return isinstance(obj, Tensor)


def _wrap_dim(dim: int, ndim: int) -> int:
    """Turns a possibly negative ``dim`` into an index, with torch's IndexError when out of range."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim
