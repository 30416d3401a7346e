"""torch.finfo and torch.iinfo: the numerical properties of the floating and integer
dtypes."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import _dtypes

__all__ = ["finfo", "iinfo"]

# bfloat16 has no NumPy type (ember stores it in another one): its properties by hand.
_BFLOAT16 = {"bits": 16, "eps": 2.0**-7, "max": 3.3895313892515355e38, "tiny": 2.0**-126,
             "resolution": 0.01}


def _check_dtype(name: str, type: Any) -> None:
    if not isinstance(type, _dtypes.dtype):
        raise TypeError(f"{name}(): argument 'type' (position 1) must be torch.dtype, not "
                        f"{builtins.type(type).__name__}")



class finfo:
    """The numerical properties of a floating point dtype (the default dtype when none is
    given): bits, eps, max, min, tiny (= smallest_normal) and resolution."""

    def __init__(self, type: Any = None) -> None:
        if type is None:
            type = _dtypes.get_default_dtype()
        _check_dtype("finfo", type)
        if not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        name = repr(type)[len("torch."):]
        if name == "bfloat16":
            props = _BFLOAT16
        else:
            info = np.finfo(type.np)
            props = {"bits": int(info.bits), "eps": float(info.eps), "max": float(info.max),
                     "tiny": float(info.smallest_normal),
                     "resolution": 10.0 ** -int(info.precision)}
        self.bits = props["bits"]
        self.eps = props["eps"]
        self.max = props["max"]
        self.min = -props["max"]
        self.tiny = self.smallest_normal = props["tiny"]
        self.resolution = props["resolution"]
        self.dtype = name

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """The numerical properties of an integer dtype: bits, max and min."""

    def __init__(self, type: Any) -> None:
        _check_dtype("iinfo", type)
        if type is _dtypes.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo "
                            "to handle 'torch.iinfo'")
        info = np.iinfo(type.np)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = repr(type)[len("torch."):]

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"
