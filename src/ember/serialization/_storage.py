"""Storages as torch's checkpoints hold them, and the torch names a checkpoint's pickle
refers to (torch._utils._rebuild_tensor_v2, torch.FloatStorage, torch.float32, torch.Size,
...), each mapped to what ember has, or to a clear error naming what it lacks."""

from __future__ import annotations

import importlib
import pickle
import sys
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from .. import _dtypes
from .._tensor import Size, Tensor, device

# torch's storage classes: the dtype each holds and its element size in bytes.
_STORAGE_DTYPES = {
    "DoubleStorage": ("float64", 8), "FloatStorage": ("float32", 4),
    "HalfStorage": ("float16", 2), "LongStorage": ("int64", 8), "IntStorage": ("int32", 4),
    "ShortStorage": ("int16", 2), "CharStorage": ("int8", 1), "ByteStorage": ("uint8", 1),
    "BoolStorage": ("bool", 1), "BFloat16Storage": ("bfloat16", 2),
    "ComplexDoubleStorage": ("complex128", 16), "ComplexFloatStorage": ("complex64", 8),
    "QInt8Storage": ("qint8", 1), "QInt32Storage": ("qint32", 4), "QUInt8Storage": ("quint8", 1),
    "QUInt4x2Storage": ("quint4x2", 1), "QUInt2x4Storage": ("quint2x4", 1),
}
# Every dtype torch names, with its element size: the ones ember lacks are refused by name.
_TORCH_DTYPES = {
    "float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4,
    "int16": 2, "int8": 1, "uint8": 1, "bool": 1, "complex128": 16, "complex64": 8,
    "complex32": 4, "uint16": 2, "uint32": 4, "uint64": 8, "float8_e4m3fn": 1,
    "float8_e4m3fnuz": 1, "float8_e5m2": 1, "float8_e5m2fnuz": 1, "float8_e8m0fnu": 1,
    "float4_e2m1fn_x2": 1, "qint8": 1, "qint32": 4, "quint8": 1, "quint4x2": 1, "quint2x4": 1,
    "bits8": 1, "bits16": 2, "bits1x8": 1, "bits2x4": 1, "bits4x2": 1,
    **{f"int{i}": 1 for i in range(1, 8)}, **{f"uint{i}": 1 for i in range(1, 8)},
}
_ALIASES = {"half": "float16", "float": "float32", "double": "float64", "long": "int64",
            "int": "int32", "short": "int16", "cfloat": "complex64", "cdouble": "complex128",
            "chalf": "complex32", "bit": "bits8"}


def ember_dtype(name: str) -> _dtypes.dtype:
    """ember's dtype of torch's dtype name; a clear error when ember has none of that name or
    holds it in a different number of bytes."""
    d = getattr(_dtypes, name, None)
    # ALL_DTYPES are the ones ember stores and computes in; bfloat16 is only named.
    if d not in _dtypes.ALL_DTYPES or d.itemsize != _TORCH_DTYPES.get(name, d.itemsize):
        raise TypeError(f"ember.load: the checkpoint holds tensors of dtype torch.{name}, which "
                        "ember does not support")
    return d


class StorageType:
    """One of torch's storage classes (torch.FloatStorage, ...) named in a checkpoint: which
    dtype the storage holds."""

    __slots__ = ("name", "dtype_name", "itemsize")

    def __init__(self, name: str, dtype_name: str, itemsize: int) -> None:
        self.name = name
        self.dtype_name = dtype_name
        self.itemsize = itemsize

    def __reduce__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<class 'torch.{self.name}'>"


for _name, (_dt, _size) in _STORAGE_DTYPES.items():
    globals()[_name] = StorageType(_name, _dt, _size)
UntypedStorage = StorageType("UntypedStorage", "uint8", 1)
STORAGE_TYPES = {n: globals()[n] for n in [*_STORAGE_DTYPES, "UntypedStorage"]}
STORAGE_OF_DTYPE = {st.dtype_name: st for st in STORAGE_TYPES.values()
                    if st is not UntypedStorage}


class LoadedStorage:
    """A storage read from a checkpoint, on the CPU: its bytes and the dtype its tensors see
    them as. map_location callables receive it as torch's receive an UntypedStorage."""

    __slots__ = ("data", "dtype_name", "location")

    def __init__(self, data: np.ndarray, dtype_name: str, location: str) -> None:
        self.data = data
        self.dtype_name = dtype_name
        self.location = location

    @property
    def device(self) -> device:
        return device("cpu")

    def nbytes(self) -> int:
        """The storage's size in bytes."""
        return self.data.nbytes

    def size(self) -> int:
        """The number of elements of the storage's dtype it holds."""
        return self.data.nbytes // _TORCH_DTYPES[self.dtype_name]

    def cpu(self) -> LoadedStorage:
        """The storage on the CPU: itself."""
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> LoadedStorage:
        """Moves the storage to a CUDA device, which ember has none of."""
        raise AssertionError("Torch not compiled with CUDA enabled")

    def to(self, *args: Any, **kwargs: Any) -> LoadedStorage:
        """The storage on the given device: only the CPU exists."""
        where = args[0] if args else kwargs.get("device", "cpu")
        restore_location(self, str(where))
        return self

    def __repr__(self) -> str:
        return f"<torch.storage.UntypedStorage of {self.nbytes()} bytes on cpu>"


def restore_location(storage: LoadedStorage, location: str) -> LoadedStorage:
    """torch's default_restore_location, for a CPU-only torch: 'cpu' keeps the storage, any
    other device fails with the error torch gives where that device is missing."""
    if location == "cpu":
        return storage
    kind = location.split(":")[0]
    if kind in ("cuda", "xpu", "mtia"):
        raise RuntimeError(
            f"Attempting to deserialize object on a {kind.upper()} device but "
            f"torch.{kind}.is_available() is False. If you are running on a CPU-only machine, "
            "please use torch.load with map_location=torch.device('cpu') to map your storages "
            "to the CPU.")
    if kind == "hpu":
        raise RuntimeError(
            "The HPU device module is not registered. If you are running on a CPU-only "
            "machine, please use torch.load with map_location=torch.device('cpu') to map your "
            "storages to the CPU.")
    if kind == "mps":
        raise RuntimeError("torch.UntypedStorage(): Storage device not recognized: mps")
    raise RuntimeError("don't know how to restore data location of "
                       f"torch.storage.UntypedStorage (tagged with {location})")


def location_restorer(map_location: Any) -> Callable[[LoadedStorage, str], LoadedStorage]:
    """What torch.load's map_location asks for: None keeps each storage's own location, a
    string or device puts every storage there, a dict renames locations, and a callable
    (storage, location) returns a storage or None for the default."""
    if map_location is None:
        return restore_location
    if isinstance(map_location, dict):
        return lambda s, loc: restore_location(s, str(map_location.get(loc, loc)))
    if isinstance(map_location, bytes):
        map_location = map_location.decode("ascii")
    if isinstance(map_location, str) or hasattr(map_location, "type"):
        where = str(map_location)
        return lambda s, loc: restore_location(s, where)

    def restore(storage: LoadedStorage, loc: str) -> LoadedStorage:
        result = map_location(storage, loc)
        if result is None:
            return restore_location(storage, loc)
        if not isinstance(result, LoadedStorage):
            raise TypeError(f"map_location should return a storage or None, got "
                            f"{type(result).__name__}")
        return result

    return restore


# -- rebuilding tensors: torch._utils' functions, under their own names ---------------------

def _rebuild_tensor_v2(storage: LoadedStorage, storage_offset: int, size: Any, stride: Any,
                       requires_grad: bool, backward_hooks: Any, metadata: Any = None
                       ) -> Tensor:
    """A tensor over storage with torch's offset, sizes and strides (in elements): a view of
    the storage's array, so tensors of one storage share memory."""
    _check_storage(storage)
    return _view(storage, ember_dtype(storage.dtype_name), storage_offset, size, stride,
                 requires_grad)


def _rebuild_tensor_v3(storage: LoadedStorage, storage_offset: int, size: Any, stride: Any,
                       requires_grad: bool, backward_hooks: Any, dtype: Any,
                       metadata: Any = None) -> Tensor:
    """_rebuild_tensor_v2 for dtypes without a storage class of their own."""
    if not isinstance(dtype, _dtypes.dtype):
        raise pickle.UnpicklingError(f"expected a dtype, got {type(dtype).__name__}")
    return _view(storage, dtype, storage_offset, size, stride, requires_grad)


def _rebuild_tensor(storage: LoadedStorage, storage_offset: int, size: Any,
                    stride: Any) -> Tensor:
    """The rebuild function of older checkpoints: _rebuild_tensor_v2 without autograd state."""
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, False, None)


def _rebuild_parameter(data: Tensor, requires_grad: bool, backward_hooks: Any) -> Tensor:
    """An nn.Parameter over data's storage."""
    from ..nn.parameter import Parameter

    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"a Parameter needs a tensor, got {type(data).__name__}")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter_with_state(data: Tensor, requires_grad: bool, backward_hooks: Any,
                                  state: Any) -> Tensor:
    """An nn.Parameter with attributes set on it."""
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    if state:
        raise pickle.UnpicklingError("ember.load: the checkpoint holds a Parameter with "
                                     f"attributes ({', '.join(map(str, state))}), which ember's "
                                     "Parameter cannot take")
    return p


def _rebuild_from_type_v2(func: Callable, new_type: Any, args: tuple, state: Any) -> Any:
    """A tensor of a subclass, rebuilt by func(*args)."""
    ret = func(*args)
    if type(ret) is not new_type and new_type is not Tensor:
        raise pickle.UnpicklingError(f"ember.load: the checkpoint holds a tensor of class "
                                     f"{getattr(new_type, '__name__', new_type)}, which ember "
                                     "cannot rebuild")
    if state:
        raise pickle.UnpicklingError("ember.load: the checkpoint holds a tensor with attributes "
                                     f"({', '.join(map(str, state))}), which ember's tensors "
                                     "cannot take")
    return ret


def _rebuild_device_tensor_from_cpu_tensor(data: Tensor, dtype: Any, device: Any,
                                           requires_grad: bool) -> Tensor:
    """A tensor saved from a device torch could not write directly: its CPU copy."""
    restore_location(LoadedStorage(np.empty(0, np.uint8), "uint8", "cpu"), str(device))
    out = data.to(dtype) if dtype is not None else data
    return out.requires_grad_(bool(requires_grad)) if requires_grad else out


def _unsupported(what: str) -> Callable:
    def rebuild(*args: Any) -> Any:
        raise TypeError(f"ember.load: the checkpoint holds {what}, which ember does not "
                        "support")
    return rebuild


def _check_storage(storage: Any) -> None:
    if not isinstance(storage, LoadedStorage):
        raise pickle.UnpicklingError(f"expected a storage, got {type(storage).__name__}")


def _view(storage: Any, dt: _dtypes.dtype, offset: Any, size: Any, stride: Any,
          requires_grad: Any) -> Tensor:
    _check_storage(storage)
    if not (isinstance(size, (tuple, list)) and isinstance(stride, (tuple, list))):
        raise pickle.UnpicklingError("a tensor's size and stride must be tuples")
    size, stride = tuple(size), tuple(stride)
    if not (_naturals(size) and _naturals(stride) and len(size) == len(stride)
            and type(offset) is int and offset >= 0):
        raise RuntimeError(f"ember.load: invalid tensor geometry: sizes {list(size)}, strides "
                           f"{list(stride)}, storage offset {offset}")
    n = storage.data.nbytes // dt.itemsize
    needed = 0 if 0 in size else offset + 1 + sum((s - 1) * st for s, st in zip(size, stride))
    if needed > n:
        # torch's own error for a tensor that claims more of its storage than the file holds.
        raise RuntimeError("Trying to resize storage that is not resizable")
    flat = storage.data[: n * dt.itemsize].view(dt.np)
    if 0 in size:
        arr = np.empty(size, dt.np)
    else:
        arr = np.lib.stride_tricks.as_strided(flat[offset:], size,
                                              [s * dt.itemsize for s in stride])
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _naturals(seq: tuple) -> bool:
    return all(type(v) is int and v >= 0 for v in seq)


def _get_layout(name: str) -> Any:
    """torch's layout of its name: ember has no layout objects, torch.strided included."""
    if name != "torch.strided":
        raise TypeError(f"ember.load: the checkpoint holds tensors of layout {name}, which "
                        "ember does not support")
    raise TypeError("ember.load: the checkpoint names torch.strided, which ember does not "
                    "have")


_REBUILDS = {
    "_rebuild_tensor": _rebuild_tensor, "_rebuild_tensor_v2": _rebuild_tensor_v2,
    "_rebuild_tensor_v3": _rebuild_tensor_v3, "_rebuild_parameter": _rebuild_parameter,
    "_rebuild_parameter_with_state": _rebuild_parameter_with_state,
    "_rebuild_device_tensor_from_cpu_tensor": _rebuild_device_tensor_from_cpu_tensor,
    "_rebuild_qtensor": _unsupported("quantized tensors"),
    "_rebuild_sparse_tensor": _unsupported("sparse tensors"),
    "_rebuild_meta_tensor_no_storage": _unsupported("tensors on the meta device"),
    "_rebuild_nested_tensor": _unsupported("nested tensors"),
    "_rebuild_wrapper_subclass": _unsupported("tensor subclasses"),
    "_rebuild_device_tensor_from_numpy": _unsupported("tensors rebuilt from NumPy on a device"),
}
_QSCHEMES = ("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
             "per_channel_symmetric", "per_channel_affine_float_qparams")


def _device(*args: Any) -> device:
    return device(*args)


def torch_allowed_global(module: str, name: str) -> Any:
    """What ember has for one of the globals torch's weights-only loader allows, or None when
    torch does not allow it. Names ember lacks resolve to a clear error."""
    from ..nn.parameter import Parameter

    if module == "torch._utils" and name in _REBUILDS:
        return _REBUILDS[name]
    if module == "torch._tensor" and name == "_rebuild_from_type_v2":
        return _rebuild_from_type_v2
    if module == "torch.serialization" and name == "_get_layout":
        return _get_layout
    if module == "torch.nn.parameter" and name == "Parameter":
        return Parameter
    if module == "torch":
        if name in STORAGE_TYPES:
            return _storage_type(name)
        if name in _TORCH_DTYPES or name in _ALIASES:
            return ember_dtype(_ALIASES.get(name, name))
        if name == "Size":
            return Size
        if name == "Tensor":
            return Tensor
        if name == "device":
            return _device
        if name in _QSCHEMES:
            raise TypeError("ember.load: the checkpoint holds quantized tensors, which ember "
                            "does not support")
    if module == "torch.storage" and name in ("UntypedStorage", "TypedStorage"):
        return UntypedStorage
    return None


def _storage_type(name: str) -> StorageType:
    st = STORAGE_TYPES[name]
    ember_dtype(st.dtype_name)
    return st


def torch_global(module: str, name: str, import_modules: bool = True) -> Any:
    """The object a torch-written pickle names as module.name, for a full (not weights-only)
    load: torch's allowed globals as above, any other torch.X as ember.X (whole torch modules,
    torch.nn.modules.linear.Linear, load into ember's classes of the same name), and an
    UnpicklingError naming the class where ember has none. Without import_modules, only
    modules already imported are looked in."""
    found = torch_allowed_global(module, name)
    if found is not None:
        return found
    candidates = ["ember" + module[len("torch"):]]
    if module.startswith("torch.nn.modules."):
        candidates.append("ember.nn")
    for mod_name in candidates:
        try:
            obj: Any = (importlib.import_module(mod_name) if import_modules
                        else sys.modules[mod_name])
        except (ImportError, KeyError):
            continue
        try:
            for part in name.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    raise pickle.UnpicklingError(f"ember.load: the checkpoint holds {module}.{name}, which "
                                 "ember does not have")


def empty_hooks() -> OrderedDict:
    """The backward hooks torch saves with each tensor: none."""
    return OrderedDict()
