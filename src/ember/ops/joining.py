"""Joining, repeating, flipping and scattering back: cat, stack, repeat, flip, roll and the
*_scatter ops that undo a view (their copies are what view gradients are made of)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtypes import _PROMOTE, FROM_NUMPY, get_default_dtype
from .._formats import contiguous_format
from .._tensor import Size, Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from ..autograd.graph import Math, Node
from ._core import (
    attach,
    check_new_shape,
    declare,
    joining_jvp,
    node_class,
    not_implemented,
    shape_str,
    wrap,
    wrap_dim,
    wrap_dims,
)
from .shape import expand, flatten, reshape, unsqueeze

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack",
           "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_tensors",
           "broadcast_shapes",
           "repeat", "tile", "repeat_interleave", "flip", "fliplr", "flipud", "rot90", "roll",
           "select_scatter", "slice_scatter", "block_diag"]


class VariadicNode(Node):
    """A node with any number of inputs: its one formula gets the input's position,
    f(m, grad, i, *saved, *ctx)."""

    __slots__ = ()

    def apply(self, grad: Any, graph: bool) -> tuple:
        args = (self.unpack(graph) if self._saved else ()) + self._ctx
        m = Math.graph if graph else Math.raw
        f = self.formulas[0]
        return tuple(None if e[0] is None else f(m, grad, i, *args)
                     for i, e in enumerate(self.next_functions))


def variadic_class(name: str, formula: Any) -> type:
    """A node class named as torch names it, for an op over a list of tensors."""
    return type(name, (VariadicNode,), {"__slots__": (), "formulas": (formula,),
                                        "n_outputs": 1, "__module__": "ember.autograd.graph"})


CatBackward0 = variadic_class(
    "CatBackward0",
    lambda m, g, i, dim, offsets, skipped: m.zeros((0,), g.dtype) if i in skipped else
    m.narrow(g, dim, offsets[i], offsets[i + 1] - offsets[i]))
StackBackward0 = variadic_class("StackBackward0", lambda m, g, i, dim: m.select(g, dim, i))


def _repeat_formula(m: Any, g: Any, shape: tuple, repeats: tuple) -> Any:
    padded = (1,) * (len(repeats) - len(shape)) + tuple(shape)
    inter = []
    for r, s in zip(repeats, padded):
        inter += [r, s]
    g = m.sum(m.reshape(g, tuple(inter)), tuple(range(0, 2 * len(repeats), 2)))
    return m.reshape(g, shape)


RepeatBackward0 = node_class("RepeatBackward0", _repeat_formula)
FlipBackward0 = node_class("FlipBackward0", lambda m, g, dims: m.flip(g, dims))
Rot90Backward0 = node_class("Rot90Backward0", lambda m, g, k, dims: m.rot90(g, -k, dims))
RollBackward0 = node_class(
    "RollBackward0", lambda m, g, shifts, dims: m.roll(g, tuple(-s for s in shifts), dims))
SelectScatterBackward0 = node_class(
    "SelectScatterBackward0",
    lambda m, g, dim, index: m.select_scatter(g, m.zeros_like(m.select(g, dim, index)), dim,
                                              index),
    lambda m, g, dim, index: m.select(g, dim, index),
)
SliceScatterBackward0 = node_class(
    "SliceScatterBackward0",
    lambda m, g, dim, start, end, step: m.slice_scatter(
        g, m.zeros_like(m.slice(g, dim, start, end, step)), dim, start, end, step),
    lambda m, g, dim, start, end, step: m.slice(g, dim, start, end, step),
)


def _tensor_list(tensors: Any, fn: str) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    out = list(tensors)
    for i, t in enumerate(out):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return out


def _promoted(tensors: list) -> np.dtype:
    dt = FROM_NUMPY[tensors[0]._data.dtype]
    for t in tensors[1:]:
        dt = _PROMOTE[dt, FROM_NUMPY[t._data.dtype]]
    return dt.np


@declare(jvp=joining_jvp("cat"))
def cat(tensors: Any, dim: int = 0, *, out: Any = None) -> Tensor:
    """Concatenates the given sequence of tensors in the given dimension; all must have the
    same shape except in the concatenating dimension (or be empty 1-D)."""
    ts = _tensor_list(tensors, "cat")
    if not ts:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # torch skips legacy empty 1-D tensors when the others have more dimensions.
    ref = next((t for t in ts if t._data.shape != (0,)), ts[0])
    rx = ref._data
    for i, t in enumerate(ts):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    # Only legacy empty tensors: torch leaves dim as it is (there is nothing to join).
    d = wrap_dim(dim, rx.ndim) if rx.shape != (0,) else 0
    dt = _promoted(ts)
    arrays, offsets = [], [0]
    for i, t in enumerate(ts):
        x = t._data
        if x.shape == (0,) and rx.ndim != 1:
            offsets.append(offsets[-1])
            continue
        if x.ndim != rx.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {rx.ndim} "
                               f"and {x.ndim}")
        for k in range(rx.ndim):
            if k != d and x.shape[k] != rx.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{rx.shape[k]} but got size {x.shape[k]} for tensor number {i} in the "
                    "list.")
        arrays.append(x)
        offsets.append(offsets[-1] + x.shape[d])
    res = wrap(np.concatenate(arrays, axis=d, dtype=dt) if arrays else
               np.empty(rx.shape, dt))
    if _mode.enabled and any(t._rg for t in ts):
        meta = [None if t._data.dtype == dt else (t._data.shape, t._data.dtype) for t in ts]
        skipped = tuple(i for i, t in enumerate(ts) if t._data.shape == (0,) and rx.ndim != 1)
        attach(CatBackward0, res, tuple(ts), (), (d, tuple(offsets), skipped),
               meta if any(x is not None for x in meta) else None)
    return res


concat = concatenate = cat


@declare(jvp=joining_jvp("stack"))
def stack(tensors: Any, dim: int = 0, *, out: Any = None) -> Tensor:
    """Concatenates a sequence of tensors along a new dimension; all must have the same
    shape."""
    ts = _tensor_list(tensors, "stack")
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = ts[0]._data.shape
    d = wrap_dim(dim, len(s0) + 1)
    for i, t in enumerate(ts[1:], 1):
        if t._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{shape_str(s0)} at entry 0 and {shape_str(t._data.shape)} at "
                               f"entry {i}")
    dt = _promoted(ts)
    res = wrap(np.stack([t._data for t in ts], axis=d, dtype=dt))
    if _mode.enabled and any(t._rg for t in ts):
        meta = [None if t._data.dtype == dt else (s0, t._data.dtype) for t in ts]
        attach(StackBackward0, res, tuple(ts), (), (d,),
               meta if any(x is not None for x in meta) else None)
    return res


def atleast_1d(*tensors: Any) -> Any:
    """Returns a 1-dimensional view of each input tensor with zero dimensions."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Returns a 2-dimensional view of each input tensor with fewer dimensions."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Returns a 3-dimensional view of each input tensor with fewer dimensions."""
    return _atleast(tensors, 3)


def _atleast(tensors: tuple, n: int) -> Any:
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    ts = [tensors[0]] if single else (list(tensors[0]) if len(tensors) == 1 else list(tensors))
    out = []
    for t in ts:
        nd = t._data.ndim
        if nd >= n:
            out.append(t)
        elif nd == 0:
            out.append(reshape(t, (1,) * n))
        elif n == 2 or nd == 2:
            out.append(unsqueeze(t, 0) if n == 2 else unsqueeze(t, -1))
        else:
            out.append(unsqueeze(unsqueeze(t, 0), -1))
    return out[0] if single else tuple(out)


@declare(jvp=joining_jvp("hstack"))
def hstack(tensors: Any, *, out: Any = None) -> Tensor:
    """Stacks tensors in sequence horizontally (column wise)."""
    ts = _tensor_list(tensors, "hstack")
    if not ts:
        raise RuntimeError("hstack expects a non-empty TensorList")
    ts = atleast_1d(ts)
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


@declare(jvp=joining_jvp("vstack"))
def vstack(tensors: Any, *, out: Any = None) -> Tensor:
    """Stacks tensors in sequence vertically (row wise)."""
    ts = _tensor_list(tensors, "vstack")
    if not ts:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return cat(atleast_2d(ts), 0)


def row_stack(tensors: Any, *, out: Any = None) -> Tensor:
    """Alias of vstack(): stacks tensors in sequence vertically (row wise)."""
    return vstack(tensors)


@declare(jvp=joining_jvp("dstack"))
def dstack(tensors: Any, *, out: Any = None) -> Tensor:
    """Stacks tensors in sequence depthwise (along the third axis)."""
    ts = _tensor_list(tensors, "dstack")
    if not ts:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return cat(atleast_3d(ts), 2)


@declare(jvp=joining_jvp("column_stack"))
def column_stack(tensors: Any, *, out: Any = None) -> Tensor:
    """Creates a new tensor by horizontally stacking the tensors in tensors (1-D ones as
    columns)."""
    ts = _tensor_list(tensors, "column_stack")
    if not ts:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    ts = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in ts]
    return cat(ts, 1)


def broadcast_tensors(*tensors: Any) -> tuple:
    """Broadcasts the given tensors according to the broadcasting semantics."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    from ._core import broadcast_shape

    shape: tuple = ()
    for t in tensors:
        shape = broadcast_shape(shape, t._data.shape)
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes: Any) -> Size:
    """Similar to broadcast_tensors() but for shapes: the shape the given shapes broadcast
    to."""
    shapes = tuple((s,) if isinstance(s, int) else s for s in shapes if s is not None)
    if not shapes:
        return Size(())
    for shape in shapes:
        if not isinstance(shape, (tuple, list)):
            raise RuntimeError("Input shapes should be of type ints, a tuple of ints, or a list "
                               f"of ints, got {shape}")
    common = [1] * max(len(s) for s in shapes)
    for arg_idx, shape in enumerate(shapes):
        for idx in range(-1, -1 - len(shape), -1):
            if shape[idx] == common[idx]:
                continue
            if common[idx] == 1:
                if shape[idx] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[idx] = shape[idx]
            if shape[idx] != 1 and common[idx] != shape[idx]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[idx]} at {idx}! "
                    f"Mismatching argument at index {arg_idx} had {shape}; but expected shape "
                    f"should be broadcastable to {common}")
    return Size(tuple(common))


def _sizes(args: tuple) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list, Tensor)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def repeat(input: Tensor, *repeats: Any) -> Tensor:
    """Repeats this tensor along the specified dimensions."""
    reps = _sizes(repeats)
    x = input._data
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    padded = (1,) * (len(reps) - x.ndim) + x.shape
    target = tuple(r * s for r, s in zip(reps, padded))
    check_new_shape(target)
    res = wrap(np.tile(x, reps) if reps else x.copy())
    if input._rg and _mode.enabled:
        attach(RepeatBackward0, res, (input,), (), (x.shape, reps))
    return res


def tile(input: Tensor, dims: Any) -> Tensor:
    """Constructs a tensor by repeating the elements of input; dims gives the repetitions per
    dimension (padded with ones on the left)."""
    reps = tuple(int(d) for d in dims)
    nd = input._data.ndim
    if len(reps) < nd:
        reps = (1,) * (nd - len(reps)) + reps
    return repeat(input, reps)


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeats elements of a tensor (or, given only a tensor of repeats, the indices
    0, 1, ... each repeated that many times)."""
    if repeats is None:
        r = input._data
        _check_repeats(input)
        if r.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if r.size and r.min() < 0:
            raise RuntimeError("repeats can not be negative")
        return wrap(np.repeat(np.arange(r.size, dtype=r.dtype), r))
    x = input
    if isinstance(repeats, Tensor):
        # As torch: the repeats of each index, then index_select.
        from .indexing import index_select
        from .products import dim_size

        if dim is None:
            x, dim = flatten(input), 0
        r = repeats._data
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        n = dim_size(x._data, dim)
        if r.size != 1 and r.size != n:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) "
                f"= {r.size} and input.size({dim}) = {n}")
        _check_repeats(repeats)
        r = np.broadcast_to(r.reshape(-1), (n,))
        if r.size and r.min() < 0:
            raise RuntimeError("repeats can not be negative")
        idx = np.repeat(np.arange(n, dtype=np.int64), r)
        return index_select(x, dim, Tensor._make(idx))
    if dim is None:
        x = flatten(input)
        d = 0
    else:
        d = wrap_dim(dim, input._data.ndim)
    k = int(repeats)
    if k < 0:
        raise RuntimeError("Repeats must be non-negative")
    if x._data.ndim == 0:
        # torch unsqueezes dim + 1 of the 0-dim tensor itself.
        wrap_dim(d + 1, 0)
        x = reshape(x, (1,))
    shape = list(x._data.shape)
    shape.insert(d + 1, k)
    from .shape import clone

    e = clone(expand(unsqueeze(x, d + 1), tuple(shape)), memory_format=contiguous_format)
    return flatten(e, d, d + 1)


def _check_repeats(repeats: Tensor) -> None:
    if repeats._data.dtype not in (np.int64, np.int32):
        raise not_implemented("repeat_interleave_cpu", repeats.dtype)


def flip(input: Tensor, *dims: Any) -> Tensor:
    """Reverses the order of an n-D tensor along the given axes in dims."""
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    ds = _sizes(dims)
    x = input._data
    wd = wrap_dims(ds, x.ndim) if x.ndim else ()
    res = wrap(np.flip(x, wd).copy() if wd else x.copy())
    if input._rg and _mode.enabled:
        attach(FlipBackward0, res, (input,), (), (wd,))
    return res


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:
    """Rotates an n-D tensor by 90 degrees k times in the plane given by dims, from the first
    towards the second."""
    x = input._data
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = dims
    a, b = wrap_dim(d0, x.ndim), wrap_dim(d1, x.ndim)
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    res = wrap(_rot90_array(x, k, a, b))
    if input._rg and _mode.enabled:
        attach(Rot90Backward0, res, (input,), (), (k, (d0, d1)))
    return res


def _rot90_array(x: np.ndarray, k: int, a: int, b: int) -> np.ndarray:
    """x rotated as torch rotates it: a flipped copy with dims a and b swapped (k odd, so
    that the result has torch's strides), both dims flipped (k = 2), or a copy."""
    k %= 4
    if k == 1:
        return np.flip(x, b).copy().swapaxes(a, b)
    if k == 3:
        return np.flip(x, a).copy().swapaxes(a, b)
    return np.flip(x, (a, b)).copy() if k == 2 else np.array(x, order="C")


def fliplr(input: Tensor) -> Tensor:
    """Flips the tensor in the left/right direction (dimension 1)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flips the tensor in the up/down direction (dimension 0)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Rolls the tensor along the given dimensions (without dims: the flattened tensor, then
    its shape restored)."""
    sh = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    x = input._data
    dd = () if dims is None else (int(dims),) if isinstance(dims, (int, np.integer)) else \
        tuple(int(d) for d in dims)
    if len(sh) != 1 or len(dd) != 1:
        if not sh:
            raise RuntimeError("`shifts` required")
        if dd and len(sh) != len(dd):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, "
                               f"dims:{len(dd)}")
        if not dd and len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
    if not dd:
        res = wrap(np.roll(x, sh[0]).reshape(x.shape) if x.size else x.copy())
        wd = None
    elif not x.size:
        # torch rolls an empty tensor into a copy before it looks at the dims.
        res = wrap(x.copy())
        wd = tuple(d % x.ndim if x.ndim else 0 for d in dd)
    else:
        wd = tuple(wrap_dim(d, x.ndim, False) for d in dd)
        res = wrap(np.roll(x, sh, wd))
    if input._rg and _mode.enabled:
        attach(RollBackward0, res, (input,), (), (sh, wd))
    return res


def _scatter_into(input: Tensor, src: Tensor, key: tuple, cls: type, ctx: tuple,
                  view_shape: tuple) -> Tensor:
    x = input._data
    if src._data.shape != view_shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{shape_str(src._data.shape)}, slice size = {shape_str(view_shape)}")
    out = x.copy()
    out[key] = src._data
    res = wrap(out)
    if _mode.enabled and (input._rg or src._rg):
        meta = None if src._data.dtype == x.dtype else [None, (view_shape, src._data.dtype)]
        attach(cls, res, (input, src), (), ctx, meta)
    return res


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """Embeds the values of src into input at the given index along dim (a copy)."""
    x = input._data
    if not x.ndim:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d]
    if index < -n or index >= n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{shape_str(x.shape)} at dimension {d}")
    i = index + n if index < 0 else index
    key = (slice(None),) * d + (i,)
    return _scatter_into(input, src, key, SelectScatterBackward0, (d, i),
                         x.shape[:d] + x.shape[d + 1:])


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """Embeds the values of src into input at the given slice along dim (a copy)."""
    x = input._data
    if not x.ndim:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    a, b, _ = slice(start, end, step).indices(x.shape[d])
    b = max(a, b)
    key = (slice(None),) * d + (slice(a, b, step),)
    return _scatter_into(input, src, key, SliceScatterBackward0, (d, a, b, step),
                         x[key].shape)


BlockDiagBackward0 = variadic_class(
    "BlockDiagBackward0",
    lambda m, g, i, rows, cols, shapes: m.reshape(
        m.slice(m.slice(g, 0, rows[i], rows[i + 1], 1), 1, cols[i], cols[i + 1], 1),
        shapes[i]))


def block_diag(*tensors: Tensor) -> Tensor:
    """Create a block diagonal matrix from provided tensors: each (0-, 1- or 2-D, as a
    matrix of one row for fewer dimensions) on the diagonal, zeros elsewhere."""
    ts = _tensor_list(tensors, "block_diag")
    for i, t in enumerate(ts):
        if t._data.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t._data.ndim} dimensions")
    dt = _promoted(ts) if ts else get_default_dtype().np
    blocks = [t._data.reshape((1,) * (2 - t._data.ndim) + t._data.shape) for t in ts]
    rows, cols = [0], [0]
    for b in blocks:
        rows.append(rows[-1] + b.shape[0])
        cols.append(cols[-1] + b.shape[1])
    out = np.zeros((rows[-1] if ts else 1, cols[-1]), dt)
    for i, b in enumerate(blocks):
        out[rows[i]:rows[i + 1], cols[i]:cols[i + 1]] = b
    res = wrap(out)
    if _mode.enabled and any(t._rg for t in ts):
        meta = [None if t._data.dtype == dt else (t._data.shape, t._data.dtype) for t in ts]
        attach(BlockDiagBackward0, res, tuple(ts), (),
               (tuple(rows), tuple(cols), tuple(t._data.shape for t in ts)),
               meta if any(x is not None for x in meta) else None)
    return res


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
