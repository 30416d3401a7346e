"""ember.nn.functional: functional forms of layers and losses."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtypes import from_numpy_dtype, result_type
from .._tensor import Tensor
from ..ops._cascade import cascade_sum
from ..ops._core import attach, needs_grad, node_class, wrap
from ..ops.nn_ops import _log_sigmoid_np as _log_sigmoid
from ..ops.nn_ops import _reach
from ..ops.pointwise import _sub_check, relu, sigmoid, tanh

__all__ = ["binary_cross_entropy_with_logits", "relu", "sigmoid", "tanh"]

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _reduce_grad(m: Any, g: Any, grad: Any, weight: Any, reduction: int, n: int) -> Any:
    g = grad * g
    if weight is not None:
        g = g * weight
    return g / n if reduction == 1 else g


def _bce_input_grad(m: Any, g: Any, x: Any, t: Any, w: Any, pw: Any, red: int, n: int) -> Any:
    s = m.sigmoid(x)
    if pw is None:
        d = s - t
    else:
        tp = pw * t
        d = (tp + 1 - t) * s - tp
    return _reduce_grad(m, g, d, w, red, n)


def _bce_target_grad(m: Any, g: Any, x: Any, t: Any, w: Any, pw: Any, red: int, n: int) -> Any:
    d = -x if pw is None else m.log_sigmoid(-x) - pw * m.log_sigmoid(x)
    return _reduce_grad(m, g, d, w, red, n)


BinaryCrossEntropyWithLogitsBackward0 = node_class(
    "BinaryCrossEntropyWithLogitsBackward0", _bce_input_grad, _bce_target_grad)


def _into(a: np.ndarray, b: Any) -> np.ndarray:
    # An in-place result keeps the dtype of the tensor written into.
    return b if b.dtype == a.dtype else b.astype(a.dtype)


def _reduce_loss(loss: np.ndarray, red: int) -> np.ndarray:
    if red == 0:
        return loss
    # torch sums in its own order (and half types in float32), then divides for the mean.
    acc = loss if loss.dtype.itemsize >= 4 else loss.astype(np.float32)
    total = cascade_sum(acc)
    if red == 1:
        with np.errstate(invalid="ignore"):
            total = total / total.dtype.type(loss.size)
    return total.astype(loss.dtype, copy=False)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Calculate Binary Cross Entropy between target and input logits."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _reach("size", target, input)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None and needs_grad(t):
            raise RuntimeError(
                "the derivative for '" + name + "' is not implemented.")
    x, t = input._data, target._data
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f'"log_sigmoid_cpu" not implemented for \'{from_numpy_dtype(x.dtype)._legacy}\'')
    if t.dtype.kind == "b":
        _sub_check(True, target)  # torch's 1 - target, the 1 taken as a bool
    elif t.dtype.kind != "f":
        # torch computes the loss in place in a tensor of the target's dtype
        raise RuntimeError(f"result type {result_type(input, target)._legacy} can't be cast to "
                           f"the desired output type {target.dtype._legacy}")
    with np.errstate(over="ignore", invalid="ignore"):
        # torch's steps and their rounding: log_sigmoid(x) * ((pos_weight - 1) * t + 1),
        # then ((1 - t) * x - that) * weight, each step rounded to its tensor's dtype.
        ls = _log_sigmoid(x)
        if pos_weight is not None:
            pw = pos_weight._data
            lw = (pw - pw.dtype.type(1)) * t
            ls = _into(ls, ls * (lw + lw.dtype.type(1)))
        loss = t.dtype.type(1) - t
        loss = _into(loss, _into(loss, loss * x) - ls)
        if weight is not None:
            loss = _into(loss, loss * weight._data)
    red = _REDUCTIONS[reduction]
    n = loss.size
    out = wrap(np.asarray(_reduce_loss(loss, red)))
    if needs_grad(input, target):
        w = None if weight is None else weight.detach()
        pw = None if pos_weight is None else pos_weight.detach()
        attach(BinaryCrossEntropyWithLogitsBackward0, out, (input, target),
               (input, target, w, pw), (red, n))
    return out


def _legacy_reduction(size_average: Any, reduce: Any) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


from ._attention import multi_head_attention_forward  # noqa: E402, F401
from ._functional import *  # noqa: E402, F403
from ._functional import __all__ as _more  # noqa: E402

__all__ = sorted(set(__all__) | set(_more) | {"multi_head_attention_forward"})
