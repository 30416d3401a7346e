"""`Variable`: the deprecated wrapper torch keeps as an alias of Tensor."""

from __future__ import annotations

import warnings
from typing import Any


class VariableMeta(type):
    """Every tensor is a Variable, as in torch."""

    def __instancecheck__(cls, other: Any) -> bool:
        from .._tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=VariableMeta):
    """The Variable API is deprecated: Variables are no longer necessary to use autograd
    with tensors. `Variable(tensor)` returns a tensor that shares the data of `tensor` and
    has no history (as `tensor.detach()`), with `requires_grad` as given."""

    def __new__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False,
                _grad_fn: Any = None, name: Any = None) -> Any:
        from .. import _dtypes
        from .._tensor import Tensor
        from ..ops.creation import empty

        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=2)
        if data is None:
            var = empty(0, dtype=_dtypes.get_default_dtype())
        elif isinstance(data, Tensor):
            var = data.detach()
        else:
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad:
            if not var.is_floating_point():
                raise RuntimeError("Only Tensors of floating point and complex dtype can "
                                   "require gradients")
            var.requires_grad_(True)
        return var
