"""Shape ops. Views share memory and the version counter with their base, as in torch."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import state as _mode
from ._core import attach, node_class, shape_str, wrap, wrap_dim, wrap_dims

__all__ = ["reshape", "view", "transpose", "swapaxes", "swapdims", "t", "permute",
           "unsqueeze", "squeeze", "expand", "flatten", "clone", "contiguous"]

ViewBackward0 = node_class("ViewBackward0", lambda m, g, shape: m.reshape(g, shape))
UnsafeViewBackward0 = node_class("UnsafeViewBackward0", lambda m, g, shape: m.reshape(g, shape))
TransposeBackward0 = node_class("TransposeBackward0", lambda m, g, a, b: m.transpose(g, a, b))
TBackward0 = node_class("TBackward0", lambda m, g, nd: m.transpose(g, 0, 1) if nd == 2 else g)
PermuteBackward0 = node_class("PermuteBackward0", lambda m, g, inv: m.permute(g, inv))
UnsqueezeBackward0 = node_class("UnsqueezeBackward0", lambda m, g, dim: m.squeeze(g, dim))
SqueezeBackward0 = node_class("SqueezeBackward0", lambda m, g, shape: m.reshape(g, shape))
SqueezeBackward1 = node_class("SqueezeBackward1", lambda m, g, shape: m.reshape(g, shape))
SqueezeBackward2 = node_class("SqueezeBackward2", lambda m, g, shape: m.reshape(g, shape))
SqueezeBackward4 = node_class("SqueezeBackward4", lambda m, g, shape: m.reshape(g, shape))
ExpandBackward0 = node_class("ExpandBackward0", lambda m, g, shape: m.sum_to(g, shape))
CloneBackward0 = node_class("CloneBackward0", lambda m, g: g)


def as_view(base: Tensor, data: np.ndarray, cls: type, ctx: tuple) -> Tensor:
    """A tensor over `data`, a view of `base`'s memory: it shares the version counter and,
    when recording, gets a `cls` node."""
    out = wrap(data)
    out._vc = base._vc
    out._base = base if base._base is None else base._base
    if base._rg and _mode.enabled:
        attach(cls, out, (base,), (), ctx)
    return out


def _infer_shape(shape: Any, numel: int) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size "
                               f"{numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size {numel}")
    return shape


def view(input: Tensor, *shape: Any) -> Tensor:
    """Returns a new tensor with the same data as the self tensor but of a different shape."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
        from .._dtypes import dtype as _dtype

        if isinstance(shape[0], _dtype):
            raise RuntimeError("view(dtype) is not supported")
    x = input._data
    new_shape = _infer_shape(shape, x.size)
    r = x.reshape(new_shape)
    if r.size and not np.may_share_memory(r, x):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return as_view(input, r, ViewBackward0, (x.shape,))


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """Returns a tensor with the same data and number of elements as input, but with the
    specified shape: a view when possible, otherwise a copy."""
    x = input._data
    new_shape = _infer_shape(shape, x.size)
    r = x.reshape(new_shape)
    if not r.size or np.may_share_memory(r, x):
        return as_view(input, r, ViewBackward0, (x.shape,))
    copy = clone(input, memory_format="contiguous")
    out = wrap(copy._data.reshape(new_shape))
    if copy._rg and _mode.enabled:
        attach(UnsafeViewBackward0, out, (copy,), (), (x.shape,))
    return out


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Returns a tensor that is a transposed version of input: dim0 and dim1 are swapped."""
    x = input._data
    a, b = wrap_dim(dim0, x.ndim), wrap_dim(dim1, x.ndim)
    if x.ndim == 0:
        return as_view(input, x.view(), TransposeBackward0, (0, 0))
    return as_view(input, x.swapaxes(a, b), TransposeBackward0, (a, b))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Expects input to be <= 2-D tensor and transposes dimensions 0 and 1."""
    x = input._data
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return as_view(input, x.T, TBackward0, (x.ndim,))


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Returns a view of the original tensor input with its dimensions permuted."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    x = input._data
    if len(dims) != x.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not "
            f"equal to len(dims) = {len(dims)}")
    dims = wrap_dims(dims, x.ndim)
    inv = tuple(int(i) for i in np.argsort(dims))
    return as_view(input, x.transpose(dims), PermuteBackward0, (inv,))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Returns a new tensor with a dimension of size one inserted at the specified position."""
    x = input._data
    d = wrap_dim(dim, x.ndim + 1)
    return as_view(input, np.expand_dims(x, d), UnsqueezeBackward0, (d,))


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Returns a tensor with all specified dimensions of input of size 1 removed."""
    x = input._data
    if dim is None:
        return as_view(input, x.reshape([s for s in x.shape if s != 1]), SqueezeBackward0,
                       (x.shape,))
    cls = SqueezeBackward2 if isinstance(dim, (tuple, list)) else SqueezeBackward1
    dims = wrap_dims(dim, x.ndim) if x.ndim else ()
    keep = [s for i, s in enumerate(x.shape) if not (i in dims and s == 1)]
    return as_view(input, x.reshape(keep), cls, (x.shape,))


def squeeze_first(input: Tensor) -> Tensor:
    """The in-place `squeeze_(0)` that torch's matmul applies to its result."""
    x = input._data
    return as_view(input, x.reshape(x.shape[1:]), SqueezeBackward4, (x.shape,))


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Returns a new view of the self tensor with singleton dimensions expanded to a larger
    size (-1 keeps a size)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    x = input._data
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"expand({type_name(input)}{{{shape_str(x.shape)}}}, size={shape_str(sizes)}): the "
            "number of sizes provided (" + str(len(sizes)) + ") must be greater or equal to "
            "the number of dimensions in the tensor (" + str(x.ndim) + ")")
    lead = len(sizes) - x.ndim
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    "non-existing dimension " + str(i))
            target.append(s)
            continue
        cur = x.shape[i - lead]
        if s == -1:
            target.append(cur)
        elif cur != s and cur != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) "
                f"at non-singleton dimension {i}.  Target sizes: {shape_str(sizes)}.  Tensor "
                f"sizes: {shape_str(x.shape)}")
        else:
            target.append(s)
    return as_view(input, np.broadcast_to(x, tuple(target)), ExpandBackward0, (x.shape,))


def type_name(t: Tensor) -> str:
    return "torch." + t.dtype._legacy + "Tensor"


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Flattens input by reshaping it into a one-dimensional tensor, or flattens the
    dimensions from start_dim to end_dim."""
    x = input._data
    if x.ndim == 0:
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, x.ndim), wrap_dim(end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in x.shape[s:e + 1]:
        n *= d
    return reshape(input, x.shape[:s] + (n,) + x.shape[e + 1:])


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """Returns a copy of input."""
    out = wrap(np.array(input._data, copy=True, order="K" if memory_format is None else "C"))
    if input._rg and _mode.enabled:
        attach(CloneBackward0, out, (input,))
    return out


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """Returns a contiguous in memory tensor containing the same data as self tensor; self
    itself when it already is."""
    if input._data.flags.c_contiguous:
        return input
    return clone(input, memory_format="contiguous")

