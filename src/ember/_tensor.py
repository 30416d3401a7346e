"""Tensor: an array with autograd state. No math lives here; the ops package adds the
methods and operators."""

from __future__ import annotations

import builtins
import re
import warnings
import weakref
from typing import Any, Callable

import numpy as np

from . import _dtypes
from ._dims import wrap_dim
from ._dtypes import FROM_NUMPY, type_description, type_meta_name
from ._formats import is_in_format, strided
from ._version import ZERO_VC, mark_detached, shared_counter, version
from .autograd import _cuts
from .autograd import graph as _graph
from .autograd.graph import NO_GRAD_VIEW, AccumulateGrad, add_hook, note_rebase

__all__ = ["Tensor", "Size", "device", "check_device", "type_description"]

_new = object.__new__
# Set by the ops package: regenerates the history of a view whose base changed in place.
_view_hooks: list = [None]


def storage_start(a: np.ndarray) -> int:
    """The lowest address of the memory an array spans (where torch's storage of a tensor
    over it would begin)."""
    ptr = a.__array_interface__["data"][0]
    if not a.size:
        return ptr
    return ptr + sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s < 0)


class Size(tuple):
    """torch.Size: a tuple of dimension sizes."""

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    def numel(self) -> int:
        """Returns the number of elements a tensor of this size would hold."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


# The device types torch knows, in the order its error message lists them.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9]\d*|0))?\Z")
_NO_ACCELERATOR = "Cannot access accelerator device when none is available."


class device:
    """torch.device: where a tensor lives. Every device type of torch can be named; tensors
    live on the CPU only, as in a CPU-only build of torch (`check_device` says what using
    another device raises)."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool):
            # A bare index names the current accelerator, and a CPU build has none.
            if type < 0:
                raise RuntimeError("Device index must not be negative")
            raise RuntimeError(_NO_ACCELERATOR)
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({builtins.type(type).__name__})")
        m = _DEVICE_STRING.match(type)
        if m is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        name, idx = m.groups()
        if name not in DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start "
                               f"of device string: {type}")
        if idx is not None:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            index = int(idx)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self) -> device:
        # `with torch.device(d):` makes d the default device for the block.
        _ENTERED.append(DEFAULT_DEVICE[0])
        DEFAULT_DEVICE[0] = self
        return self

    def __exit__(self, *exc: Any) -> None:
        DEFAULT_DEVICE[0] = _ENTERED.pop()

CPU = device("cpu")
# torch.set_default_device: None (the CPU) or the device factories create tensors on.
DEFAULT_DEVICE: list = [None]
# The defaults that `with device(...)` blocks replaced, innermost last.
_ENTERED: list = []


def check_device(d: Any) -> None:
    """Raises what a CPU-only build of torch raises when a tensor is made on or moved to the
    device `d` (a device, a string, an index, or None for the default device)."""
    if d is None:
        d = DEFAULT_DEVICE[0]
        if d is None:
            return
    if builtins.type(d) is str and d == "cpu":
        return
    if isinstance(d, int) and not isinstance(d, bool):
        raise RuntimeError(_NO_ACCELERATOR if d >= 0 else "Device index must not be negative")
    kind = device(d).type
    if kind == "cpu":
        return
    if kind in ("cuda", "xpu"):
        raise AssertionError(f"Torch not compiled with {kind.upper()} enabled")
    if kind == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise RuntimeError(f"ember has no {kind} device: its tensors live on the CPU only")


META = device("meta")


class MetaArray(np.ndarray):
    """The data of a tensor on the meta device: a shape and a dtype, no values. Computing
    with it raises, as torch does when a meta tensor meets a CPU one (a module moved to
    'meta' is a placeholder whose parameters torch.func.functional_call replaces)."""

    _message = "Tensor on device meta is not on the expected device cpu!"

    def __array_ufunc__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(self._message)

    def __array_function__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(self._message)


def meta_array(shape: tuple, dtype: np.dtype, cls: type = MetaArray) -> np.ndarray:
    """An array of `cls` (a MetaArray class) with this shape and dtype and no storage."""
    return np.broadcast_to(np.zeros((), dtype), shape).view(cls)


def is_meta_device(d: Any) -> bool:
    """Whether a device argument (a device or its string) names the meta device."""
    if isinstance(d, str):
        return d.split(":")[0] == "meta"
    return isinstance(d, device) and d.type == "meta"


class Tensor:
    """A multi-dimensional array with autograd: `requires_grad`, `grad`, `grad_fn`."""

    # Views also set _vv (the version their history was recorded at) and _cm (torch's
    # CreationMeta: how the view was made, which decides whether it may be changed in place).
    __slots__ = ("_data", "_rg", "_fn", "_nr", "_grad", "_vc", "_base", "_acc", "_hooks",
                 "_vv", "_cm", "__weakref__")

    # Tensor subclasses (Parameter) set this to keep their class through detach-like ops.
    __array_priority__ = 1000

    # -- construction -------------------------------------------------------------------

    @staticmethod
    def _make(data: np.ndarray, requires_grad: bool = False) -> Tensor:
        """A leaf tensor over `data` (no copy)."""
        t = _new(Tensor)
        t._data = data
        t._rg = requires_grad
        t._fn = None
        t._nr = 0
        t._grad = None
        t._vc = ZERO_VC
        t._base = None
        t._acc = None
        t._hooks = None
        return t

    @staticmethod
    def _make_output(data: np.ndarray, node: Any, vc: list, nr: int = 0) -> Tensor:
        """A tensor that is output `nr` of `node`, sharing the version counter `vc`."""
        t = _new(Tensor)
        t._data = data
        t._rg = True
        t._fn = node
        t._nr = nr
        t._grad = None
        t._vc = vc
        t._base = None
        t._acc = None
        t._hooks = None
        return t

    _from_array = _make

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # __new__ did the work

    # -- metadata -----------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """Returns the size of the tensor (a torch.Size), or of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._wrap_dim(dim)]

    def _wrap_dim(self, dim: int) -> int:
        # size(dim) and stride(dim): a 0-dim tensor has no dimension to ask about.
        return wrap_dim(dim, self._data.ndim, wrap_scalar=False)

    def dim(self) -> int:
        """Returns the number of dimensions of the tensor."""
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        """Returns the total number of elements in the tensor."""
        return self._data.size

    nelement = numel

    @property
    def dtype(self) -> _dtypes.dtype:
        return FROM_NUMPY[self._data.dtype]

    @property
    def device(self) -> device:
        return META if type(self._data) is MetaArray else CPU

    @property
    def is_meta(self) -> bool:
        return type(self._data) is MetaArray

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        """Is True if the Tensor is stored on the CPU."""
        return type(self._data) is not MetaArray

    def get_device(self) -> int:
        """The index of the CUDA device the tensor lives on; -1 for a CPU tensor."""
        return -1

    @property
    def nbytes(self) -> int:
        """The number of bytes the tensor's elements take (numel * element_size)."""
        return self._data.size * self._data.itemsize

    @property
    def itemsize(self) -> int:
        """The size in bytes of one element (element_size())."""
        return self._data.itemsize

    @property
    def real(self) -> Tensor:
        """The real values of the tensor: for a real tensor, itself."""
        return self

    @property
    def imag(self) -> Tensor:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def is_conj(self) -> bool:
        """Whether the tensor's conjugate bit is set: never for a real tensor."""
        return False

    def is_neg(self) -> bool:
        """Whether the tensor's negative bit is set: never for a real tensor."""
        return False

    def share_memory_(self) -> Tensor:
        """Moves the storage to shared memory: a no-op in ember, whose data-loading worker
        processes receive copies."""
        return self

    def is_floating_point(self) -> bool:
        """Returns True if the data type of self is a floating point data type."""
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def element_size(self) -> int:
        return self._data.itemsize

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Returns True if self tensor is contiguous in memory in the order specified by
        memory format (torch.contiguous_format by default)."""
        return is_in_format(self._data, memory_format)

    @property
    def layout(self) -> Any:
        """The memory layout of the tensor: torch.strided, the one layout ember has."""
        return strided

    def stride(self, dim: int | None = None):
        """Returns the stride of the tensor, in elements."""
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[self._wrap_dim(dim)]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def storage_offset(self) -> int:
        """Returns self tensor's offset in the underlying storage in terms of number of
        storage elements (the storage is the memory of the view's base)."""
        base = self if self._base is None else self._base
        return (self.data_ptr() - storage_start(base._data)) // self._data.itemsize

    def _is_view(self) -> bool:
        """Whether the tensor is a view of another tensor (its `_base`)."""
        return self._base is not None

    @property
    def _version(self) -> int:
        return version(self._vc)

    # -- autograd state -----------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        if not self._rg and self._base is not None and self._base._rg:
            # A view whose base took a history from an in-place change since the view was
            # made requires grad through it, as in torch (grad_fn regenerates its history).
            return self.grad_fn is not None or self._rg
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want "
                    "to use a computed variable in a subgraph that doesn't require "
                    "differentiation use var_no_grad = var.detach().")
            return
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Change if autograd should record operations on this tensor: sets this tensor's
        requires_grad attribute in-place. Returns this tensor."""
        if requires_grad and self._fn is None and self._data.dtype.kind != "f":
            # torch words this one differently from the attribute setter's.
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        if self._base is not None and (self._rg or self._base._rg) and getattr(
                self, "_vv", None) not in (
                None, self._vc):
            _view_hooks[0](self)
        return self._fn

    @property
    def is_leaf(self) -> bool:
        return self._fn is None

    @property
    def output_nr(self) -> int:
        return self._nr

    @property
    def grad(self) -> Tensor | None:
        if self._fn is not None and self._grad is None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
                "mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_c10_name(value)}' to a "
                    f"tensor with grad_dtype '{self.dtype._legacy}'. The gradient must match "
                    "the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
                    "the tensor's grad_dtype attribute with a specific dtype, or None to "
                    "allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a "
                    "tensor and its gradient may break downstream systems that assume they "
                    "match.")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{_dims(value)}' to a tensor "
                    f"of size '{_dims(self)}'. Please ensure that the gradient and the "
                    "tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def data(self) -> Tensor:
        """The tensor's data, detached from autograd and untracked by its version counter."""
        if _cuts.recorder is not None:
            _cuts.note(self, ".data")
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    def detach(self) -> Tensor:
        """Returns a new Tensor, detached from the current graph, sharing storage and the
        version counter."""
        if _cuts.recorder is not None:
            _cuts.note(self, ".detach()")
        t = Tensor._make(self._data)
        t._vc = shared_counter(self)
        return t

    def detach_(self) -> Tensor:
        """Detaches the Tensor from the graph that created it, making it a leaf."""
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        note_rebase(self, None)
        mark_detached(self)
        self._fn = None
        self._rg = False
        self._nr = 0
        return self

    def _edge(self) -> tuple:
        """The graph edge a consumer of this tensor points to: (grad_fn, output_nr), the
        leaf's AccumulateGrad, or (None, 0) when no gradient flows here."""
        if self._base is not None and (self._rg or self._base._rg) and getattr(
                self, "_vv", None) not in (
                None, self._vc):
            # An in-place op changed the base since this view's history was recorded:
            # regenerate it from the base's (torch does the same on access).
            _view_hooks[0](self)
        fn = self._fn
        if fn is not None:
            return (fn, self._nr)
        if not self._rg or self._base is not None and getattr(self, "_cm", 0) == NO_GRAD_VIEW:
            # A view made in no_grad mode requires grad through its base, yet it has no
            # history and is no leaf that accumulates: in torch no gradient flows to it.
            return (None, 0)
        acc = self._acc
        acc = acc() if acc is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._acc = weakref.ref(acc)
        return (acc, 0)

    @property
    def retains_grad(self) -> bool:
        return self._fn is not None and bool(self._hooks) and "retain" in self._hooks

    def retain_grad(self) -> None:
        """Enables this Tensor to have its grad populated during backward()."""
        if self._fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self.retains_grad:
            return
        ref = weakref.ref(self)
        self._tensor_hooks()["retain"] = ref
        self._fn_prehook_install()

    def _tensor_hooks(self) -> dict:
        if self._hooks is None:
            self._hooks = {}
        return self._hooks

    def _fn_prehook_install(self) -> None:
        # Hooks of a non-leaf tensor run when its grad_fn receives the gradient for it.
        fn = self._fn
        try:
            tensors = fn._pre_hooks
        except AttributeError:
            tensors = fn._pre_hooks = {}
        key = ("tensor", self._nr)
        if key not in tensors:
            tensors[key] = weakref.ref(self)
            from .autograd.graph import hook_count

            hook_count[0] += 1

    def register_hook(self, hook: Callable) -> Any:
        """Registers a backward hook, called with the gradient of this tensor; it may return
        a new gradient to use in its place."""
        if not self._rg:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient")
        hooks = self._tensor_hooks()
        fns = hooks.setdefault("hooks", {})
        handle = add_hook(fns, hook)
        if self._fn is not None:
            self._fn_prehook_install()
        return handle

    def register_post_accumulate_grad_hook(self, hook: Callable) -> Any:
        """Registers a hook called with this leaf tensor after its .grad was accumulated."""
        if self._fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors")
        fns = self._tensor_hooks().setdefault("post", {})
        return add_hook(fns, hook)

    def _apply_hooks(self, grad: Any, graph: bool) -> Any:
        """Runs this tensor's hooks on its incoming gradient (an array, or a tensor in graph
        mode); each may return a gradient to use in its place."""
        fns = self._hooks.get("hooks")
        if not fns:
            return grad
        g = grad if graph else Tensor._make(grad)
        for fn in list(fns.values()):
            r = fn(g)
            if r is not None:
                g = r
        return g if graph else g._data

    def _store_grad(self, grad: Any, graph: bool) -> None:
        """Accumulates a gradient into the .grad of a non-leaf tensor (retain_grad, or
        backward(inputs=...))."""
        if graph:
            value = grad if isinstance(grad, Tensor) else Tensor._make(grad)
        else:
            value = Tensor._make(np.array(grad, copy=True))
        old = self._grad
        self._grad = value if old is None else old + value

    def _run_post_accumulate_hooks(self) -> None:
        fns = self._hooks.get("post")
        if fns:
            for fn in list(fns.values()):
                fn(self)

    # -- conversion -----------------------------------------------------------------------

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """Returns the tensor as a NumPy ndarray, sharing its memory."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._rg:
            return self.numpy()
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def item(self) -> Any:
        """Returns the value of this tensor as a standard Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        """Returns the tensor as a (nested) list of Python numbers."""
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(
                "only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size else
                "Boolean value of Tensor with no values is ambiguous")
        return bool(self._data.reshape(()).item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            e = TypeError("iteration over a 0-d tensor")
            e.python_level = True  # as Python's protocol fails in torch, before any parser
            raise e
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self, tensor_contents=tensor_contents)

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __reduce_ex__(self, proto: int):
        return (_rebuild, (self._data, self._rg))

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self._fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        new = type(self)._deepcopy_of(self)
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    @classmethod
    def _deepcopy_of(cls, t: Tensor) -> Tensor:
        return Tensor._make(t._data.copy(), t._rg)

    def __setstate__(self, state: Any) -> None:
        raise TypeError("tensors are restored through their reduce function")


def _rebuild(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._make(data, requires_grad)


def _dims(t: Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t._data.shape) + "]"


def _c10_name(t: Tensor) -> str:
    return type_meta_name(t._data.dtype)


_graph.Tensor = Tensor
