"""dtypes and torch's type promotion rules."""

from __future__ import annotations

import builtins as _b

import numpy as np

__all__ = [
    "dtype", "float16", "half", "float32", "float", "float64", "double", "int8", "int16",
    "short", "int32", "int", "int64", "long", "uint8", "bool", "bfloat16", "get_default_dtype",
    "set_default_dtype", "promote_types", "result_type", "can_cast",
]

_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    """A torch-style dtype: a name, a NumPy dtype and a promotion category."""

    __slots__ = ("_name", "np", "category", "itemsize", "_legacy")

    def __init__(self, name: str, np_dtype: type, category: int, legacy: str) -> None:
        self._name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self._legacy = legacy

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return False

    @property
    def is_signed(self) -> bool:
        return self.np.kind in "fi"

    def to_real(self) -> dtype:
        return self

    def __repr__(self) -> str:
        return "torch." + self._name

    def __reduce__(self) -> str:
        # A global of this module: pickle finds it by name, as it finds torch's dtypes.
        return self._name


float16 = half = dtype("float16", np.float16, _FLOAT, "Half")
float32 = float = dtype("float32", np.float32, _FLOAT, "Float")
float64 = double = dtype("float64", np.float64, _FLOAT, "Double")
int8 = dtype("int8", np.int8, _INT, "Char")
int16 = short = dtype("int16", np.int16, _INT, "Short")
int32 = int = dtype("int32", np.int32, _INT, "Int")
int64 = long = dtype("int64", np.int64, _INT, "Long")
uint8 = dtype("uint8", np.uint8, _INT, "Byte")
bool = dtype("bool", np.bool_, _BOOL, "Bool")



BFLOAT16_UNSUPPORTED = (
    "ember does not compute in torch.bfloat16: NumPy has no bfloat16 type. Use torch.float32 "
    "(or torch.float16) instead.")


class _NameOnlyDtype(dtype):
    """A dtype ember names (for comparisons, `finfo`-style metadata and error messages) but
    cannot store or compute in: asking for its NumPy type raises one clear error."""

    __slots__ = ()

    def __init__(self, name: str, itemsize: int, category: int, legacy: str) -> None:
        self._name = name
        self.category = category
        self.itemsize = itemsize
        self._legacy = legacy

    @property
    def np(self) -> np.dtype:
        raise TypeError(BFLOAT16_UNSUPPORTED)

    @property
    def is_signed(self) -> bool:
        return True


bfloat16 = _NameOnlyDtype("bfloat16", 2, _FLOAT, "BFloat16")

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
FROM_NUMPY: dict[np.dtype, dtype] = {d.np: d for d in ALL_DTYPES}

_default = [float32]


def get_default_dtype() -> dtype:
    """Get the current default floating point torch.dtype."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Sets the default floating point dtype to d (float32 or float64)."""
    if d is bfloat16:
        raise TypeError(BFLOAT16_UNSUPPORTED)
    if d not in (float32, float64, float16):
        raise TypeError(
            "only floating-point types are supported as the default type")
    _default[0] = d


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    try:
        return FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == _FLOAT:
        return a if a.itemsize > b.itemsize else b
    # Integers: uint8 with a signed type needs a wider signed type, as in torch.
    if a is uint8 or b is uint8:
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize > b.itemsize else b


_PROMOTE = {(a, b): _promote_pair(a, b) for a in ALL_DTYPES for b in ALL_DTYPES}


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """Returns the dtype with the smallest size and scalar kind that is not smaller nor of
    lower kind than either type1 or type2."""
    r = _PROMOTE.get((type1, type2))
    if r is None and bfloat16 in (type1, type2):
        other = type2 if type1 is bfloat16 else type1
        # As torch: bfloat16 wins over integers and bool, float16 and bfloat16 meet in
        # float32, and wider floats win.
        if other is bfloat16 or other.category != _FLOAT:
            return bfloat16
        return float32 if other is float16 else other
    return r


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # torch's combine_categories: a lower-priority operand only matters when it is of a
    # higher category (bool < int < float) than the operands above it.
    if higher is None:
        return lower
    if lower is None or higher.category == _FLOAT:
        return higher
    if higher is bool or lower.category == _FLOAT:
        return _PROMOTE[higher, lower]
    return higher


def scalar_dtype(value) -> dtype:
    """The dtype a Python number takes as a wrapped scalar operand."""
    t = type(value)
    if t is _b.bool:
        return bool
    if t is _b.int:
        return int64
    if t is _b.float:
        return _default[0]
    if isinstance(value, np.generic):
        if isinstance(value, np.bool_):
            return bool
        if isinstance(value, np.integer):
            return int64
        return _default[0]
    if isinstance(value, _b.bool):
        return bool
    if isinstance(value, _b.int):
        return int64
    return _default[0]


_RESULT_CACHE: dict = {}


def result_type_of(dim: dtype | None, zero: dtype | None, wrapped: dtype | None) -> dtype:
    """torch's result type from the promoted dtypes of dimensioned tensors, 0-dim tensors and
    Python numbers, in that order of priority."""
    key = (dim, zero, wrapped)
    r = _RESULT_CACHE.get(key)
    if r is None:
        r = _RESULT_CACHE[key] = _combine(dim, _combine(zero, wrapped))
    return r


def result_type(*operands) -> dtype:
    """Returns the torch.dtype that would result from performing an arithmetic operation on
    the provided input tensors or numbers."""
    dim = zero = wrapped = None
    for op in operands:
        data = getattr(op, "_data", None)
        if data is not None:
            d = FROM_NUMPY[data.dtype]
            if data.ndim:
                dim = d if dim is None else _PROMOTE[dim, d]
            else:
                zero = d if zero is None else _PROMOTE[zero, d]
        else:
            d = scalar_dtype(op)
            wrapped = d if wrapped is None else _PROMOTE[wrapped, d]
    return result_type_of(dim, zero, wrapped)


def can_cast(from_: dtype, to: dtype) -> _b.bool:
    """Determines if a type conversion is allowed under PyTorch casting rules."""
    if from_.category == _FLOAT and to.category != _FLOAT:
        return False
    if from_.category != _BOOL and to is bool:
        return False
    return True


def type_description(data: np.ndarray) -> str:
    """torch's legacy type name and shape, as error messages print them."""
    legacy = FROM_NUMPY[data.dtype]._legacy
    return f"torch.{legacy}Tensor [{', '.join(str(s) for s in data.shape)}]"


# The names torch's messages give dtypes where they print a TypeMeta (`dtype()`, not
# `scalar_type()`): C++'s own type names.
_TYPE_META = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


def type_meta_name(dt: np.dtype) -> str:
    """torch's TypeMeta name of a NumPy dtype (`float`, `long int`, `c10::Half`)."""
    return _TYPE_META[dt.name]
