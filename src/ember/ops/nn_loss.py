"""Loss functions and their derivatives.

Forwards are NumPy; each node is one row of the derivative table with torch's name.
Formulas are written against the math namespace `m`, so they run on arrays in plain
backward and on tensors under create_graph.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._arg_parser import check_call
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from . import _math, arithmetic
from ._cascade import cascade_sum
from ._core import (
    _reach,
    attach,
    broadcast_shape,
    check_out_shape,
    needs_grad,
    node_class,
    not_implemented,
    quiet,
    wrap,
)
from .nn_activation import _log_sigmoid_np
from .nn_softmax import LogSoftmaxBackward0, _log_softmax_last, _log_softmax_rows

__all__ = []


REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def reduction_enum(reduction: str) -> int:
    """torch's _Reduction.get_enum: it compares with each name (so that a tensor or a list
    is as wrong as a bad string) in torch's Python code, before any native op's parser."""
    for name, enum in REDUCTIONS.items():
        if isinstance(reduction, str) and reduction == name:
            return enum
    e = ValueError(f"{reduction} is not a valid value for reduction")
    e.python_level = True
    raise e


def _reduce_np(loss: np.ndarray, red: int) -> np.ndarray:
    if red == 1:
        if not loss.size:
            return np.asarray(np.nan, loss.dtype)
        acc = _math.reduce_dtype(loss.dtype)
        return np.asarray(np.sum(loss, dtype=acc) / acc.type(loss.size), loss.dtype)
    if red == 2:
        return np.asarray(np.sum(loss, dtype=_math.reduce_dtype(loss.dtype)), loss.dtype)
    return loss


def _spread(m: Any, g: Any, red: int, n: int) -> Any:
    return g / n if red == 1 else g


def _mse_grad(m: Any, g: Any, x: Any, t: Any, red: int, n: int) -> Any:
    return _spread(m, g, red, n) * (2 * (x - t))


MseLossBackward0 = node_class(
    "MseLossBackward0",
    _mse_grad,
    lambda m, g, x, t, red, n: -_mse_grad(m, g, x, t, red, n))


def _check_loss_kernel(input: Tensor, kernel: str) -> None:
    # The promoted pair has no integer kernel in torch.
    if input._data.dtype.kind != "f":
        raise not_implemented(kernel, input.dtype)


def _broadcast_pair(input: Tensor, target: Tensor, stacklevel: int) -> tuple:
    # torch's Python losses warn of a size mismatch and then broadcast_tensors the pair;
    # `stacklevel` counts from this function to the user's call.
    _reach("size", target, input)
    x, t = input._data, target._data
    if x.shape != t.shape:
        import warnings

        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", UserWarning,
            stacklevel=stacklevel)
        shape = broadcast_shape(x.shape, t.shape)
        input = input.expand(shape)
        target = target.expand(shape)
    return input, target


def _loss_pair(input: Tensor, target: Tensor, name: str) -> tuple:
    from .._dtypes import result_type

    input, target = _broadcast_pair(input, target, 5)
    dt = result_type(input, target)
    if input.dtype != dt:
        input = input.to(dt)
    if target.dtype != dt:
        target = target.to(dt)
    return input, target


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Any = None) -> Tensor:
    """Measures the element-wise mean squared error."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    input, target = _loss_pair(input, target, "mse_loss")
    _check_loss_kernel(input, "mse_cpu")
    red = reduction_enum(reduction)
    with np.errstate(all="ignore"):
        d = input._data - target._data
        out = wrap(_reduce_np(d * d, red))
    if needs_grad(input, target):
        attach(MseLossBackward0, out, (input, target), (input, target), (red, d.size))
    return out


def _l1(input: Tensor, target: Tensor, red: int) -> Tensor:
    # torch's native l1_loss is composite: |input - target| reduced by the ops themselves, so
    # an integer pair sums as integers and its mean fails as mean's does.
    loss = arithmetic.sub(input, target).abs()
    if red == 1:
        return loss.mean()
    if red == 2:
        return loss.sum()
    return loss


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Any = None) -> Tensor:
    """Measures the mean element-wise absolute value difference, each element's error
    scaled by `weight` when it is given (the mean is then divided by the weights' sum)."""
    input, target = _broadcast_pair(input, target, 4)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if weight is None:
        return _l1(input, target, reduction_enum(reduction))
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    weighted = arithmetic.sub(input, target).abs() * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def _smooth_l1_grad(m: Any, g: Any, x: Any, t: Any, red: int, n: int, beta: float) -> Any:
    d = x - t
    return _spread(m, g, red, n) * m.where(d < -beta, -1.0, m.where(d > beta, 1.0, d / beta))


SmoothL1LossBackward0 = node_class(
    "SmoothL1LossBackward0",
    _smooth_l1_grad,
    lambda m, g, x, t, red, n, beta: -_smooth_l1_grad(m, g, x, t, red, n, beta))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Squared term if the absolute element-wise error falls below beta, L1 term otherwise."""
    input, target = _broadcast_pair(input, target, 4)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
    if beta == 0:
        # torch's Python code hands beta 0 to l1_loss, whose composite ops check the dtypes.
        return _l1(input, target, red)
    # torch's meta function refuses a negative beta before the kernel sees the dtypes.
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _loss_pair(input, target, "smooth_l1_loss")
    _check_loss_kernel(input, "smooth_l1_cpu")
    x = input._data
    t = x.dtype.type
    with np.errstate(all="ignore"):
        ad = np.abs(x - target._data)
        loss = np.where(ad < t(beta), t(0.5) * ad * ad / t(beta), ad - t(0.5 * beta))
        out = wrap(_reduce_np(np.asarray(loss, x.dtype), red))
    if needs_grad(input, target):
        attach(SmoothL1LossBackward0, out, (input, target), (input, target),
               (red, ad.size, beta))
    return out


def _huber_grad(m: Any, g: Any, x: Any, t: Any, red: int, n: int, delta: float) -> Any:
    d = x - t
    return _spread(m, g, red, n) * m.where(d < -delta, -delta, m.where(d > delta, delta, d))


HuberLossBackward0 = node_class(
    "HuberLossBackward0",
    _huber_grad,
    lambda m, g, x, t, red, n, delta: -_huber_grad(m, g, x, t, red, n, delta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:
    """Squared term if the absolute element-wise error falls below delta, a delta-scaled L1
    term otherwise."""
    from .._dtypes import can_cast

    _reach("size", target, input)
    out_dtype = input.dtype
    input, target = _loss_pair(input, target, "huber_loss")
    red = reduction_enum(reduction)
    # torch's order: its Python code above, the native op's parser, its delta check, the
    # loss written into a tensor of the input's dtype, then the kernel of the promoted pair.
    check_call("huber_loss", (input, target, red, delta), {}, "NN")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if out_dtype != input.dtype and not can_cast(input.dtype, out_dtype):
        raise RuntimeError(f"result type {input.dtype._legacy} can't be cast to the desired "
                           f"output type {out_dtype._legacy}")
    _check_loss_kernel(input, "huber_cpu")
    x = input._data
    t = x.dtype.type
    with np.errstate(all="ignore"):
        ad = np.abs(x - target._data)
        loss = np.where(ad < t(delta), t(0.5) * ad * ad, t(delta) * (ad - t(0.5) * t(delta)))
        out = wrap(_reduce_np(np.asarray(loss, x.dtype), red))
    if needs_grad(input, target):
        attach(HuberLossBackward0, out, (input, target), (input, target),
               (red, ad.size, delta))
    return out if out.dtype == out_dtype else out.to(out_dtype)


def _bce_grad(m: Any, g: Any, x: Any, t: Any, w: Any, red: int, n: int) -> Any:
    eps = 1e-12
    d = (x - t) / m.where(x * (1 - x) < eps, eps, x * (1 - x))
    d = _spread(m, g, red, n) * d
    return d if w is None else d * w


def _bce_target_grad(m: Any, g: Any, x: Any, t: Any, w: Any, red: int, n: int) -> Any:
    d = (m.log(1 - x) - m.log(x))
    d = m.where(d > 100, 100.0, m.where(d < -100, -100.0, d))
    d = _spread(m, g, red, n) * d
    return d if w is None else d * w


BinaryCrossEntropyBackward0 = node_class(
    "BinaryCrossEntropyBackward0", _bce_grad, _bce_target_grad)


def _check_weight_broadcasts(weight: Tensor, shape: tuple) -> None:
    # torch's words when a loss's weight does not broadcast to the loss's shape.
    ws = weight._data.shape
    if len(ws) > len(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{list(np.broadcast_shapes(ws, shape))}")
    for k in range(1, len(ws) + 1):
        if ws[-k] not in (1, shape[-k]):
            raise RuntimeError(f"Attempting to broadcast a dimension of length {ws[-k]} at {-k}! "
                               f"Mismatching argument at index 1 had {weight.shape!r}; but "
                               f"expected shape should be broadcastable to {list(shape)}")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """Measures the Binary Cross Entropy between the target and input probabilities; the
    logarithms are clamped to be >= -100."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
    _reach("size", target, input)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) is deprecated. Please ensure they have "
                         "the same size.")
    x, t = input._data, target._data
    if t.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {target.dtype._legacy} but expected "
                           f"{input.dtype._legacy}")
    _check_loss_kernel(input, "binary_cross_entropy")
    if x.size and (np.any(x < 0) or np.any(x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    tt = x.dtype.type
    with np.errstate(divide="ignore", invalid="ignore"):
        lx = np.maximum(np.log(x), tt(-100))
        l1x = np.maximum(np.log(tt(1) - x), tt(-100))
    loss = (t - tt(1)) * l1x - t * lx
    w = None
    if weight is not None:
        _check_weight_broadcasts(weight, x.shape)
        w = weight.detach() if weight._data.shape == x.shape else weight.detach().expand(x.shape)
        loss = loss * w._data
    out = wrap(_reduce_np(np.asarray(loss, x.dtype), red))
    if needs_grad(input, target):
        attach(BinaryCrossEntropyBackward0, out, (input, target), (input, target, w),
               (red, x.size))
    return out


def _bce_reduce_grad(m: Any, g: Any, grad: Any, weight: Any, reduction: int, n: int) -> Any:
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
    return _bce_reduce_grad(m, g, d, w, red, n)


def _bce_target_grad(m: Any, g: Any, x: Any, t: Any, w: Any, pw: Any, red: int, n: int) -> Any:
    d = -x if pw is None else m.log_sigmoid(-x) - pw * m.log_sigmoid(x)
    return _bce_reduce_grad(m, g, d, w, red, n)


BinaryCrossEntropyWithLogitsBackward0 = node_class(
    "BinaryCrossEntropyWithLogitsBackward0", _bce_input_grad, _bce_target_grad)


def _into(a: np.ndarray, b: Any) -> np.ndarray:
    # An in-place result keeps the dtype of the tensor written into.
    return b if b.dtype == a.dtype else b.astype(a.dtype)


def _bce_reduce(loss: np.ndarray, red: int) -> np.ndarray:
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
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
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
            f'"log_sigmoid_cpu" not implemented for \'{input.dtype._legacy}\'')
    if t.dtype.kind == "b":
        arithmetic._sub_check(True, target)  # torch's 1 - target, the 1 taken as a bool
    elif t.dtype.kind != "f":
        from .._dtypes import result_type

        # torch computes the loss in place in a tensor of the target's dtype
        raise RuntimeError(f"result type {result_type(input, target)._legacy} can't be cast to "
                           f"the desired output type {target.dtype._legacy}")
    with np.errstate(over="ignore", invalid="ignore"):
        # torch's steps and their rounding: log_sigmoid(x) * ((pos_weight - 1) * t + 1),
        # then ((1 - t) * x - that) * weight, each step rounded to its tensor's dtype.
        ls = _log_sigmoid_np(x)
        if pos_weight is not None:
            pw = pos_weight._data
            lw = (pw - pw.dtype.type(1)) * t
            ls = _into(ls, ls * (lw + lw.dtype.type(1)))
        loss = t.dtype.type(1) - t
        loss = _into(loss, _into(loss, loss * x) - ls)
        if weight is not None:
            loss = _into(loss, loss * weight._data)
    n = loss.size
    out = wrap(np.asarray(_bce_reduce(loss, red)))
    if needs_grad(input, target):
        w = None if weight is None else weight.detach()
        pw = None if pos_weight is None else pos_weight.detach()
        attach(BinaryCrossEntropyWithLogitsBackward0, out, (input, target),
               (input, target, w, pw), (red, n))
    return out


def poisson_nll(input: Tensor, target: Tensor, log_input: bool, full: bool,
                eps: float) -> Tensor:
    """The unreduced loss of nn.functional.poisson_nll_loss: exp(input) - target * input
    (input - target * log(input + eps) without log_input), with Stirling's term of
    target > 1 when full."""
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + stirling.masked_fill(t <= 1, 0)
    return loss


def soft_margin_loss(input: Tensor, target: Tensor, size_average: Any = None,
                     reduce: Any = None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), the two-class logistic loss."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
    # torch computes -input * target in place, in a tensor of the input's shape (negating a
    # bool input fails first).
    if input._data.dtype == np.bool_:
        arithmetic.neg(input)
    check_out_shape(input._data.shape, target._data.shape)
    if input._data.dtype.kind in "iu":
        # An integer output: multiplying in a float target, or else exp_, cannot write it.
        from .._dtypes import get_default_dtype, result_type

        rt = result_type(input, target) if target._data.dtype.kind in "fc" else \
            get_default_dtype()
        raise RuntimeError(f"result type {rt._legacy} can't be cast to the desired output "
                           f"type {input.dtype._legacy}")
    x, y = input._data, target._data.astype(input._data.dtype, copy=False)
    with np.errstate(all="ignore"):
        loss = np.log1p(np.exp(-y * x))
    n = loss.size
    out = wrap(np.asarray(loss.sum() / x.dtype.type(n) if red == 1 else
                          loss.sum() if red == 2 else loss, x.dtype))
    if needs_grad(input):
        attach(SoftMarginLossBackward0, out, (input,), (input,), (y, red, n))
    return out


def _soft_margin_grad(m: Any, g: Any, x: Any, y: Any, red: int, n: int) -> Any:
    ny = m.const(-y)
    z = m.exp(ny * x)
    d = ny * z / (z + 1)
    return d * g / n if red == 1 else d * g


SoftMarginLossBackward0 = node_class("SoftMarginLossBackward0", _soft_margin_grad)


def _nll_grad(m: Any, g: Any, x: Any, t: np.ndarray, coef: np.ndarray, c: int, red: int,
              rows_shape: tuple, perm: Any) -> Any:
    # t: the class of each row (0 where ignored); coef is -weight[target] (0 where ignored),
    # divided by the total weight for 'mean'.
    gr = m.reshape(g, (-1, 1)) * m.const(coef) if red == 0 else \
        m.expand(m.reshape(g, (1, 1)), coef.shape) * m.const(coef)
    gx = m.reshape(m.scatter_rows(gr, t[:, None], c), rows_shape)
    return m.tie(gx if perm is None else m.permute(gx, perm), x)


def _nll_grad_np(m: Any, g: np.ndarray, x: np.ndarray, t: np.ndarray, coef: np.ndarray,
                 c: int, red: int, rows_shape: tuple, perm: Any) -> np.ndarray:
    if perm is not None:
        return _nll_grad(m, g, x, t, coef, c, red, rows_shape, perm)
    # One picked entry per row: write it in place of a scatter-add.
    vals = (g.reshape(-1, 1) if red == 0 else g.reshape(1, 1)) * coef
    gx = np.zeros((t.shape[0], c), vals.dtype)
    gx[np.arange(t.shape[0]), t] = vals[:, 0]
    return gx.reshape(rows_shape)


NllLossBackward0 = node_class("NllLossBackward0", _nll_grad, raw=(_nll_grad_np,))
NllLoss2DBackward0 = node_class("NllLoss2DBackward0", _nll_grad, raw=(_nll_grad_np,))


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """The negative log likelihood loss over class indices."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
    # torch's Python code ends here: the rest is its native op, behind that op's parser.
    check_call("nll_loss_nd", (input, target, weight, red, ignore_index), {}, "NN")
    x, t = input._data, target._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    # torch reads a 0-dim target's (absent) first size as 0
    if x.ndim >= 2 and x.shape[0] != (t.shape[0] if t.ndim else 0):
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({t.shape[0] if t.ndim else 0}).")
    if weight is not None and weight._rg and _mode.enabled:
        # torch's kernel has no derivative for weight and refuses one that needs it, before
        # it looks at the target.
        kernel = "nll_loss_forward" if x.ndim <= 2 else "nll_loss2d_forward"
        raise RuntimeError(f"The function '{kernel}' is not differentiable with respect to "
                           "argument 'weight'. This input cannot have requires_grad True.")
    if x.ndim == 3 or x.ndim > 4:
        # As torch: through the 2-D loss on a (N, C, 1, rest) view, its result viewed back.
        out_size = (x.shape[0],) + x.shape[2:]
        if t.shape != out_size:
            raise RuntimeError(f"Expected target size {list(out_size)}, got {list(t.shape)}")
        n, c = x.shape[:2]
        ret = nll_loss(input.reshape(n, c, 1, -1) if x.size else input.reshape(n, c, 0, 0),
                       target.reshape(n, 1, -1) if t.size else target.reshape(n, 0, 0),
                       weight, None, ignore_index, None, reduction)
        return ret.view(out_size) if red == 0 else ret
    if x.ndim <= 2 and t.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if x.ndim == 4 and t.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {t.ndim}")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{target.dtype._legacy}")
    if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{t.shape[0]}")
    c = x.shape[1] if x.ndim >= 2 else x.shape[0]
    if weight is not None and (weight._data.ndim != 1 or weight._data.size != c):
        raise RuntimeError("weight tensor should be defined either for all or no classes"
                           if x.ndim == 4 else
                           f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if x.ndim == 4:
        if t.shape[1:] != x.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: "
                               f"{list(t.shape)}")
    # the kernel's own dtype checks
    if x.dtype.kind != "f":
        raise not_implemented("nll_loss2d_forward_out_frame" if x.ndim == 4 else
                              "nll_loss_out_frame", input.dtype)
    if x.ndim == 4 and t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype._legacy}")
    if weight is not None and weight._data.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._legacy} but found "
                           f"{weight.dtype._legacy}")
    if x.ndim == 2 and weight is None and red and t.dtype == np.int64 and x.shape[0] and \
            x.dtype.kind == "f":
        fast = _nll_rows(input, x, t, c, red, ignore_index)
        if fast is not None:
            return fast
    # Rows of (sample, class): classes last.
    if x.ndim == 1:
        rows = x.reshape(1, c)
    elif x.ndim == 2:
        rows = x
    else:
        rows = np.moveaxis(x, 1, -1).reshape(-1, c)
    tf = t.reshape(-1).astype(np.int64)
    valid = tf != ignore_index
    bad = valid & ((tf < 0) | (tf >= c))
    if bad.any():
        raise IndexError(f"Target {tf[bad][0]} is out of bounds.")
    safe = np.where(valid, tf, 0)
    w = np.ones(c, x.dtype) if weight is None else weight._data.astype(x.dtype)
    wt = np.where(valid, w[safe], x.dtype.type(0)).astype(x.dtype)
    picked = rows[np.arange(rows.shape[0]), safe]
    losses = -wt * picked
    if red == 0:
        res = losses.reshape(t.shape)
        coef = -wt[:, None]
    else:
        total = np.sum(wt, dtype=x.dtype)
        s = np.sum(losses, dtype=x.dtype)
        if red == 1:
            res = np.asarray(quiet(np.true_divide, s, total), x.dtype)
            # With every target ignored the loss is 0/0 but torch's gradient is 0.
            coef = (-wt / total if total else np.zeros_like(wt)).astype(x.dtype)[:, None]
        else:
            res = np.asarray(s, x.dtype)
            coef = -wt[:, None]
    out = wrap(np.asarray(res, x.dtype))
    if needs_grad(input):
        cls = NllLoss2DBackward0 if x.ndim == 4 else NllLossBackward0
        if x.ndim > 2:
            rows_shape = (x.shape[0],) + x.shape[2:] + (c,)
            perm = (0, x.ndim - 1) + tuple(range(1, x.ndim - 1))
        else:
            rows_shape, perm = x.shape, None
        attach(cls, out, (input,), (input, safe, coef.astype(x.dtype), c, red, rows_shape, perm))
    return out


def _nll_rows(input: Tensor, x: np.ndarray, t: np.ndarray, c: int, red: int,
              ignore_index: int) -> Tensor | None:
    """nll_loss of an (N, C) batch with every target a class (none ignored), no weights,
    reduced: the common case, without the per-sample weight arrays; None otherwise."""
    n = x.shape[0]
    if t.min() < 0 or t.max() >= c or (0 <= ignore_index < c and (t == ignore_index).any()):
        return None
    s = np.add.reduce(x[np.arange(n), t])
    if red == 1:
        total = x.dtype.type(n)
        out = wrap(np.asarray(-s / total, x.dtype))
        scale = x.dtype.type(-1) / total
    else:
        out = wrap(np.asarray(-s, x.dtype))
        scale = x.dtype.type(-1)
    if needs_grad(input):
        # The target is copied: changing it in place later must not change the gradient.
        attach(NllLossBackward0, out, (input,), (input, t.copy(), np.full((n, 1), scale, x.dtype),
                                                  c, red, x.shape, None))
    return out


def cross_entropy_rows(input: Tensor, target: Tensor, red: int,
                       ignore_index: int) -> Tensor | None:
    """cross_entropy of an (N, C) batch of logits against class indices, reduced, with no
    weights and no label smoothing: log_softmax and nll_loss (torch's two nodes) without the
    general paths' checks, the nll_loss's own general path where a target is ignored (or out
    of range, which it refuses as torch does). None when the general path must run."""
    x, t = input._data, target._data
    if x.ndim != 2 or t.ndim != 1 or t.dtype != np.int64 or x.dtype.kind != "f" or not red:
        return None
    n, c = x.shape
    if not n or t.shape[0] != n or c < 2:
        return None
    with np.errstate(all="ignore"):
        logp = _log_softmax_rows(x) if n >= 64 and c <= 64 else _log_softmax_last(x)
    lp = wrap(logp)
    if needs_grad(input):
        attach(LogSoftmaxBackward0, lp, (input,), (lp,), ((1,),))
    out = _nll_rows(lp, logp, t, c, red, ignore_index)
    if out is None:
        # the log-probabilities are already computed and recorded: only nll_loss runs again
        out = nll_loss(lp, target, None, None, ignore_index, None,
                       "mean" if red == 1 else "sum")
    return out


def kl_div_checks(input: Tensor, target: Tensor) -> None:
    """torch.kl_div's own check (after its parser, which torch.nn.functional's Python code
    reaches last)."""
    if input._data.dtype.kind not in "fc" or target._data.dtype.kind not in "fc":
        raise RuntimeError("kl_div: Integral inputs not supported.")


def cosine_embedding_checks(input1: Tensor, input2: Tensor, target: Tensor) -> int:
    """torch.cosine_embedding_loss's own checks of the ranks; the target's rank."""
    td = target.dim()
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != td + 1 or input2.dim() != td + 1:
        raise RuntimeError(f"{td}D target tensor expects {td + 1}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    return td


def legacy_reduction(size_average: Any, reduce: Any) -> str:
    """The reduction string for the deprecated size_average and reduce arguments."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
