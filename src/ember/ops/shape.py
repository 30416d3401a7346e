"""Shape ops. Views share memory and the version counter with their base, as in torch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtypes
from .._formats import contiguous_format, in_format, is_in_format, preserve_format
from .._tensor import MetaArray, Tensor, storage_start
from .._transform_hooks import transform_ops
from .._version import bump_version, shared_counter, snapshot
from ..autograd.grad_mode import state as _mode
from ..autograd.graph import MULTI_OUTPUT_VIEW, NO_GRAD_VIEW
from ._core import (
    PASSTHROUGH,
    attach,
    attach_outputs,
    attach_unary,
    check_tensor,
    declare,
    int_sizes,
    linear_jvp,
    node_class,
    shape_str,
    wrap,
    wrap_dim,
    wrap_dims,
)

__all__ = ["reshape", "view", "transpose", "swapaxes", "swapdims", "t", "permute",
           "unsqueeze", "squeeze", "expand", "flatten", "clone", "contiguous", "unflatten",
           "movedim", "moveaxis", "expand_as", "broadcast_to", "narrow", "select", "unbind",
           "split", "split_with_sizes", "chunk", "tensor_split", "alias", "unsafe_split",
           "unsafe_chunk", "unfold", "as_strided", "resize_as_", "ravel", "is_same_size",
           "hsplit", "vsplit", "dsplit"]

ViewBackward0 = node_class("ViewBackward0", lambda m, g, shape: m.reshape(g, shape))
UnsafeViewBackward0 = node_class("UnsafeViewBackward0", lambda m, g, shape: m.reshape(g, shape))
ReshapeAliasBackward0 = node_class("ReshapeAliasBackward0",
                                   lambda m, g, shape: m.reshape(g, shape))
TransposeBackward0 = node_class("TransposeBackward0",
                                lambda m, g, a, b: g if a == b else m.transpose(g, a, b))
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
    out = Tensor._make(_writable(data))
    out._vc = shared_counter(base)
    out._base = base if base._base is None else base._base
    out._vv = snapshot(out._vc)
    if not _mode.enabled or base._base is not None:
        # (A view of a base, recorded, has the plain CreationMeta: nothing to set.)
        _creation_meta(out, base, 0)
    if base._rg and _mode.enabled:
        attach_unary(cls, out, base, 0, ctx)
    return out


def _creation_meta(out: Tensor, input: Tensor, meta: int) -> None:
    """torch's CreationMeta: a view made in no_grad mode, or by an op that returns several
    views, must not be changed in place while recording; a view of such a view inherits
    that. A view made in no_grad mode requires grad when its base does."""
    if not _mode.enabled:
        meta = NO_GRAD_VIEW
        out._rg = input._rg
    elif not meta and input._base is not None:
        meta = getattr(input, "_cm", 0)
    if meta:
        out._cm = meta


def _writable(data: np.ndarray) -> np.ndarray:
    """`data`, writable when base's memory is and no two of its elements share a location:
    as in torch, a view of an expanded tensor can be written where it does not repeat."""
    if type(data) is not np.ndarray:
        if isinstance(data, MetaArray):
            return data  # a meta tensor's view: shapes only, no memory to write
        # NumPy hands back a scalar copy for some 0-dim keys: a view must never be a copy.
        raise TypeError(f"a view needs an array over its base's memory, not {type(data)}")
    if not data.flags.writeable and not shares_locations(data.shape, data.strides):
        return writable_alias(data)
    return data


def shares_locations(shape: tuple, strides: tuple) -> bool:
    """Whether two elements of an array of this geometry share a memory location in the way
    torch detects (a stride of 0 over a dimension of more than one element)."""
    return all(shape) and any(st == 0 and n > 1 for n, st in zip(shape, strides))


def _infer_shape(shape: Any, numel: int, fn: str) -> tuple:
    shape = int_sizes(shape, fn, "size" if fn == "view" else "shape")
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{shape_str(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape "
                               f"{shape_str(shape)} because the unspecified dimension size -1 "
                               "can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size "
                               f"{numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{shape_str(shape)}' is invalid for input of size {numel}")
    return shape


@declare(jvp=linear_jvp("view"))
def view(input: Tensor, *shape: Any, dtype: Any = None) -> Tensor:
    """Returns a new tensor with the same data as the self tensor but of a different shape;
    view(dtype): the same memory read as elements of another dtype."""
    if dtype is not None:
        return _view_dtype(input, dtype)
    if len(shape) == 1 and isinstance(shape[0], _dtypes.dtype):
        return _view_dtype(input, shape[0])
    x = input._data
    new_shape = _infer_shape(shape, x.size, "view")
    r = x.reshape(new_shape)
    if r.size and not np.may_share_memory(r, x):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return as_view(input, r, ViewBackward0, (x.shape,))


def _view_dtype(input: Tensor, dt: _dtypes.dtype) -> Tensor:
    """view(dtype): no gradient flows through it, as in torch; it shares input's memory
    and version counter."""
    x = input._data
    old = _dtypes.FROM_NUMPY[x.dtype]
    if dt.itemsize != x.itemsize:
        what = f"to view {old._legacy} as {dt._legacy} (different element sizes)"
        if x.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if input.stride(-1) != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {input.stride(-1)}")
        ratio = dt.itemsize // x.itemsize
        if ratio > 1:
            if x.shape[-1] % ratio:
                raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {what}, but "
                                   f"got {x.shape[-1]}")
            if input.storage_offset() % ratio:
                raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} {what}"
                                   f", but got {input.storage_offset()}")
            for d in range(x.ndim - 1):
                if input.stride(d) % ratio:
                    raise RuntimeError(f"self.stride({d}) must be divisible by {ratio} {what}"
                                       f", but got {input.stride(d)}")
    out = Tensor._make(x.view(dt.np))
    out._vc = shared_counter(input)
    return out


def resize_(input: Tensor, *size: Any, memory_format: Any = None) -> Tensor:
    """Resizes self tensor to the specified size: its elements are those of its memory in
    order from its offset, the ones beyond the old memory uninitialized (zeros here)."""
    if input._rg:
        raise RuntimeError("cannot resize variables that require grad")
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise RuntimeError("numel: integer multiplication overflow")
    x = input._data
    if shape == x.shape:
        return input
    n = math.prod(shape)
    memory = _memory_from(x)
    if n <= memory.size:
        new = memory[:n]
    else:
        new = np.zeros(n, x.dtype)
        new[:memory.size] = memory
    new = new.reshape(shape)
    input._data = new if memory_format is None else in_format(new, memory_format)
    bump_version(input)
    return input


def _memory_from(x: np.ndarray) -> np.ndarray:
    """The elements of the memory x lies in, from x's first one on, as one flat array (torch's
    storage from the tensor's offset): the array that owns the memory, when it is dense and
    of x's dtype; else x's own elements in memory order."""
    root = x
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root.dtype == x.dtype and root.flags.c_contiguous:
        start = (x.__array_interface__["data"][0] - root.__array_interface__["data"][0])
        return root.reshape(-1)[start // x.itemsize:]
    return np.ravel(x, order="K")


def resize_as_(input: Tensor, the_template: Tensor, *, memory_format: Any = None) -> Tensor:
    """Resizes the self tensor to be the same size as the specified tensor."""
    return resize_(input, tuple(the_template._data.shape), memory_format=memory_format)


@declare(jvp=linear_jvp("reshape"))
def reshape(input: Tensor, *shape: Any) -> Tensor:
    """Returns a tensor with the same data and number of elements as input, but with the
    specified shape: a view when possible, otherwise a copy."""
    x = input._data
    new_shape = _infer_shape(shape, x.size, "reshape")
    r = x.reshape(new_shape)
    if not r.size or np.may_share_memory(r, x):
        # torch views a contiguous input and aliases (_reshape_alias) any other.
        cls = ViewBackward0 if x.flags.c_contiguous else ReshapeAliasBackward0
        return as_view(input, r, cls, (x.shape,))
    copy = clone(input, memory_format=contiguous_format)
    out = wrap(copy._data.reshape(new_shape))
    if copy._rg and _mode.enabled:
        attach(UnsafeViewBackward0, out, (copy,), (), (x.shape,))
    return out


@declare(jvp=linear_jvp("transpose"))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Returns a tensor that is a transposed version of input: dim0 and dim1 are swapped."""
    x = input._data
    a, b = wrap_dim(dim0, x.ndim), wrap_dim(dim1, x.ndim)
    if x.ndim == 0:
        return as_view(input, x.view(), TransposeBackward0, (0, 0))
    return as_view(input, x.swapaxes(a, b), TransposeBackward0, (a, b))


swapaxes = swapdims = transpose


@declare(jvp=linear_jvp("t"))
def t(input: Tensor) -> Tensor:
    """Expects input to be <= 2-D tensor and transposes dimensions 0 and 1."""
    x = input._data
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return as_view(input, x.T, TBackward0, (x.ndim,))


@declare(jvp=linear_jvp("permute"))
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
    wrapped = tuple(wrap_dim(d, x.ndim) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    dims = wrap_dims(dims, x.ndim)
    inv = tuple(int(i) for i in np.argsort(dims))
    return as_view(input, x.transpose(dims), PermuteBackward0, (inv,))


@declare(jvp=linear_jvp("unsqueeze"))
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Returns a new tensor with a dimension of size one inserted at the specified position."""
    x = input._data
    d = wrap_dim(dim, x.ndim + 1)
    return as_view(input, np.expand_dims(x, d), UnsqueezeBackward0, (d,))


@declare(jvp=linear_jvp("squeeze"))
def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Returns a tensor with all specified dimensions of input of size 1 removed."""
    x = input._data
    if dim is None:
        return as_view(input, x.reshape([s for s in x.shape if s != 1]), SqueezeBackward0,
                       (x.shape,))
    cls = SqueezeBackward2 if isinstance(dim, (tuple, list)) else SqueezeBackward1
    dims = wrap_dims(dim, x.ndim)
    keep = [s for i, s in enumerate(x.shape) if not (i in dims and s == 1)]
    return as_view(input, x.reshape(keep), cls, (x.shape,))


def squeeze_in_place(input: Tensor, dim: int) -> Tensor:
    """The in-place `squeeze_(dim)` that torch's composite ops (matmul, quantile) apply to
    their results: its node is SqueezeBackward4."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    keep = [s for i, s in enumerate(x.shape) if not (i == d and s == 1)]
    return as_view(input, x.reshape(keep), SqueezeBackward4, (x.shape,))


@declare(jvp=linear_jvp("expand"))
def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Returns a new view of the self tensor with singleton dimensions expanded to a larger
    size (-1 keeps a size)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) if isinstance(s, bool) else s for s in sizes)  # unpacked as ints
    x = input._data
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"expand({type_name(input)}{{{shape_str(x.shape)}}}, size={shape_str(sizes)}): the "
            "number of sizes provided (" + str(len(sizes)) + ") must be greater or equal to "
            "the number of dimensions in the tensor (" + str(x.ndim) + ")")
    lead = len(sizes) - x.ndim
    target = list(sizes)
    # torch walks the dimensions from the last; a 0-dim tensor takes the sizes as given.
    for i in range(len(sizes) - 1, -1, -1) if x.ndim else ():
        s = sizes[i]
        cur = x.shape[i - lead] if i >= lead else 1
        if s == -1:
            if i < lead:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    "non-existing dimension " + str(i))
            target[i] = cur
        elif cur != s and cur != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) "
                f"at non-singleton dimension {i}.  Target sizes: {shape_str(sizes)}.  Tensor "
                f"sizes: {shape_str(x.shape)}")
    if any(s < 0 for s in target):
        # torch makes a tensor of negative size here, which fails when its elements are
        # counted (unless another size is 0); NumPy cannot hold such a shape at all.
        raise RuntimeError("numel: integer multiplication overflow")
    target = tuple(target)
    if target[lead:] == x.shape and not any(s != 1 for s in target[:lead]):
        # Nothing repeats: a plain view, writable as x is (broadcast_to's read-only result
        # took 40 us to make writable again; matmul expands both operands this way).
        return as_view(input, x[(None,) * lead + (Ellipsis,)], ExpandBackward0, (x.shape,))
    return as_view(input, np.broadcast_to(x, target), ExpandBackward0, (x.shape,))


def type_name(t: Tensor) -> str:
    """torch's name of a tensor's type in messages: the legacy class name where the dtype has
    one, else the name of its CPU type (`CPUBoolType`)."""
    legacy = t.dtype._legacy
    return f"CPU{legacy}Type" if legacy == "Bool" else f"torch.{legacy}Tensor"


@declare(jvp=linear_jvp("flatten"))
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Flattens input by reshaping it into a one-dimensional tensor, or flattens the
    dimensions from start_dim to end_dim."""
    x = input._data
    s, e = wrap_dim(start_dim, x.ndim), wrap_dim(end_dim, x.ndim)
    if x.ndim == 0:
        return reshape(input, (1,))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in x.shape[s:e + 1]:
        n *= d
    return reshape(input, x.shape[:s] + (n,) + x.shape[e + 1:])


@declare(jvp=linear_jvp("clone"), vmap=PASSTHROUGH)
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """Returns a copy of input, laid out in memory_format (by default preserve_format: as
    input where it is dense)."""
    out = wrap(in_format(input._data, memory_format))
    if input._rg and _mode.enabled:
        attach(CloneBackward0, out, (input,))
    return out


@declare(jvp=linear_jvp("contiguous"), vmap=PASSTHROUGH)
def ravel(input: Tensor) -> Tensor:
    """Return a contiguous flattened tensor; a copy is made only if needed."""
    check_tensor(input, fn="ravel")
    return view(contiguous(input), -1)


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Returns True if input and other have the same size."""
    check_tensor(input, fn="is_same_size")
    check_tensor(other, "other", 1, "is_same_size")
    return input._data.shape == other._data.shape


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """Returns a contiguous in memory tensor containing the same data as self tensor (in
    memory_format, torch.contiguous_format by default); self itself when it already is."""
    if is_in_format(input._data, memory_format):
        return input
    if memory_format is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return clone(input, memory_format=memory_format or contiguous_format)



# -- more views -----------------------------------------------------------------------------

SelectBackward0 = node_class(
    "SelectBackward0", lambda m, g, shape, dim, index: m.select_backward(g, shape, dim, index))
SliceBackward0 = node_class(
    "SliceBackward0",
    lambda m, g, shape, dim, start, end, step: m.slice_backward(g, shape, dim, start, end, step))
AliasBackward0 = node_class("AliasBackward0", lambda m, g: g)


def _split_formula(m: Any, grads: Any, shape: tuple, dim: int, sizes: tuple) -> Any:
    if type(grads) is not list:
        grads = [grads]
    parts = []
    for g, n in zip(grads, sizes):
        if g is None:
            s = list(shape)
            s[dim] = n
            g = m.zeros(tuple(s), _grad_dtype(grads))
        parts.append(g)
    return m.cat(parts, dim)


def _unbind_formula(m: Any, grads: Any, shape: tuple, dim: int) -> Any:
    if type(grads) is not list:
        grads = [grads]
    s = shape[:dim] + shape[dim + 1:]
    dt = _grad_dtype(grads)
    return m.stack([m.zeros(s, dt) if g is None else g for g in grads], dim)


def _grad_dtype(grads: list) -> Any:
    return next(g for g in grads if g is not None).dtype


SplitBackward0 = node_class("SplitBackward0", _split_formula, n_outputs=0)
SplitWithSizesBackward0 = node_class("SplitWithSizesBackward0", _split_formula, n_outputs=0)
UnsafeSplitBackward0 = node_class("UnsafeSplitBackward0", _split_formula, n_outputs=0)
UnsafeSplitWithSizesBackward0 = node_class("UnsafeSplitWithSizesBackward0", _split_formula,
                                           n_outputs=0)
UnbindBackward0 = node_class("UnbindBackward0", _unbind_formula, n_outputs=0)


@declare(jvp=linear_jvp("alias"), vmap=PASSTHROUGH)
def alias(input: Tensor) -> Tensor:
    """Returns a view of input with the same shape (what `x[...]` gives)."""
    return as_view(input, input._data.view(), AliasBackward0, ())


@declare(jvp=linear_jvp("unflatten"))
def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """Expands a dimension of the input tensor over multiple dimensions."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if not x.ndim:
        # torch's unflatten asks a 0-dim tensor for its size along the dim and reports that
        # error (on its following lines) under this first line.
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but "
                           "tensor has no dimensions")
    n = x.shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be "
                           "inferred")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
        raise RuntimeError(f"unflatten: Provided sizes {shape_str(sizes)} don't multiply up to "
                           f"the size of dim {d} ({n}) in the input tensor")
    if -1 in sizes:
        i = sizes.index(-1)
        sizes = sizes[:i] + (n // known,) + sizes[i + 1:]
    return view(input, x.shape[:d] + sizes + x.shape[d + 1:])


@declare(jvp=linear_jvp("movedim"))
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Moves the dimension(s) of input at the position(s) in source to the position(s) in
    destination."""
    x = input._data
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({shape_str(src)} dims) "
            f"should contain the same number of dims as destination ({shape_str(dst)} dims)")
    nd = x.ndim
    ws = tuple(wrap_dim(d, nd) for d in src)
    wd = tuple(wrap_dim(d, nd) for d in dst)
    if len(set(ws)) != len(ws):
        raise RuntimeError(f"movedim: repeated dim in `source` ({shape_str(src)})")
    if len(set(wd)) != len(wd):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({shape_str(dst)})")
    if not nd:
        return alias(input)
    order = [-1] * nd
    for s, d in zip(ws, wd):
        order[d] = s
    rest = iter(i for i in range(nd) if i not in ws)
    order = [next(rest) if o == -1 else o for o in order]
    return permute(input, order)


moveaxis = movedim


@declare(jvp=linear_jvp("expand_as"))
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """Expands this tensor to the size of other."""
    return expand(input, other._data.shape)


@declare(jvp=linear_jvp("broadcast_to"))
def broadcast_to(input: Tensor, size: Any) -> Tensor:
    """Broadcasts input to the shape size."""
    return expand(input, tuple(size))


@declare(jvp=linear_jvp("narrow"))
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """Returns a new tensor that is a narrowed version of input: dimension dim runs from
    start to start + length."""
    x = input._data
    if isinstance(start, Tensor) and (start._data.ndim or start._data.dtype.kind not in "iu"):
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d]
    start = int(start)
    if start < -n or start > n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return slice_dim(input, d, start, start + length, 1)


def slice_dim(input: Tensor, dim: int, start: int, end: int, step: int) -> Tensor:
    """The view x[..., start:end:step, ...] along `dim` (bounds already clamped)."""
    x = input._data
    key = (slice(None),) * dim + (slice(start, end, step),)
    return as_view(input, x[key], SliceBackward0, (x.shape, dim, start, end, step))


@declare(jvp=linear_jvp("select"))
def select(input: Tensor, dim: int, index: Any) -> Tensor:
    """Slices the input tensor along the selected dimension at the given index."""
    x = input._data
    if x.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d]
    i = int(index)
    if i < -n or i >= n:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{shape_str(x.shape)} at dimension {d}")
    if i < 0:
        i += n
    # The trailing Ellipsis keeps NumPy from turning a 0-dim result into a scalar copy.
    return as_view(input, x[(slice(None),) * d + (i, Ellipsis)], SelectBackward0,
                   (x.shape, d, i))


@declare(jvp=linear_jvp("unbind"))
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """Removes a tensor dimension: a tuple of all slices along the dimension."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    pre = (slice(None),) * d
    return _multi_view(input, [x[pre + (i, Ellipsis)] for i in range(x.shape[d])],
                       UnbindBackward0,
                       (x.shape, d))


def _multi_view(input: Tensor, arrays: list, cls: type, ctx: tuple) -> tuple:
    base = input if input._base is None else input._base
    outs = []
    for a in arrays:
        o = Tensor._make(_writable(a))
        o._vc = shared_counter(input)
        o._base = base
        o._vv = snapshot(o._vc)
        _creation_meta(o, input, MULTI_OUTPUT_VIEW)
        outs.append(o)
    if outs and input._rg and _mode.enabled:
        node_cls = _sized(cls, len(outs))
        attach_outputs(node_cls, tuple(outs), (input,), (), ctx)
    return tuple(outs)


_SIZED: dict = {}


def _sized(cls: type, n: int) -> type:
    """`cls` with n outputs (split-like ops have a number of outputs that varies per call)."""
    key = (cls, n)
    c = _SIZED.get(key)
    if c is None:
        c = _SIZED[key] = type(cls.__name__, (cls,), {"__slots__": (), "n_outputs": n,
                                                       "__module__": cls.__module__})
    return c


def _pieces(input: Tensor, d: int, bounds: list, cls: type, ctx: tuple) -> tuple:
    x = input._data
    pre = (slice(None),) * d
    arrays = [x[pre + (slice(a, b),)] for a, b in bounds]
    return _multi_view(input, arrays, cls, (x.shape, d) + ctx)


@declare(jvp=linear_jvp("split"))
def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Splits the tensor into chunks of split_size_or_sections (an int: equal chunks, the last
    one smaller; a list: the size of each chunk) along dim."""
    if not isinstance(tensor, Tensor):
        # torch.split is tensor.split: what has no such method fails there.
        return tensor.split(split_size_or_sections, dim)
    if isinstance(split_size_or_sections, Tensor):
        try:
            split_size_or_sections = int(split_size_or_sections)
        except ValueError:
            pass
    if isinstance(split_size_or_sections, (list, tuple)):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    d, bounds = _split_bounds(tensor, split_size_or_sections, dim)
    return _pieces(tensor, d, bounds, SplitBackward0, (tuple(b - a for a, b in bounds),))


@declare(jvp=linear_jvp("unsafe_split"))
def unsafe_split(tensor: Tensor, split_size: int, dim: int = 0) -> tuple:
    """Works like split, but the pieces are not views of tensor for autograd: its checks of
    in-place changes to views do not apply to them (torch's recurrent layers use it)."""
    return _unsafe_pieces(tensor, *_split_bounds(tensor, split_size, dim), UnsafeSplitBackward0)


@declare(jvp=linear_jvp("unsafe_chunk"))
def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Works like chunk, but the pieces are not views of input for autograd (see
    unsafe_split)."""
    size = _chunk_size(input, chunks, dim)
    if size == 0:
        return _unsafe_pieces(input, wrap_dim(dim, input._data.ndim), [(0, 0)] * chunks,
                              UnsafeSplitWithSizesBackward0)
    return unsafe_split(input, size, dim)


def _unsafe_pieces(tensor: Tensor, d: int, bounds: list, cls: type) -> tuple:
    x = tensor._data
    pre = (slice(None),) * d
    outs = tuple(wrap(x[pre + (slice(a, b),)]) for a, b in bounds)
    if tensor._rg and _mode.enabled:
        attach_outputs(_sized(cls, len(outs)), outs, (tensor,), (),
                       (x.shape, d, tuple(b - a for a, b in bounds)))
    return outs


def _split_bounds(tensor: Tensor, split_size: Any, dim: int) -> tuple:
    """(the dim, the (start, stop) of each piece) of split by an int size."""
    size = split_size
    x = tensor._data
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d]
    size = int(size)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}")
    count = max((n + size - 1) // size, 1) if size else 1
    return d, [(i * size, min((i + 1) * size, n)) for i in range(count)]


@declare(jvp=linear_jvp("split_with_sizes"))
def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple:
    """Splits input into chunks of the given sizes along dim."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d]
    sizes = tuple(int(s) for s in split_sizes)
    for s in sizes:
        if s < 0:
            raise RuntimeError(
                "split_with_sizes expects split_sizes have only non-negative entries, but got "
                f"split_sizes={shape_str(sizes)}")
    if sum(sizes) != n:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
            f"at dimension {dim}), but got split_sizes={shape_str(sizes)}")
    bounds, a = [], 0
    for s in sizes:
        bounds.append((a, a + s))
        a += s
    return _pieces(input, d, bounds, SplitWithSizesBackward0, (sizes,))


@declare(jvp=linear_jvp("chunk"))
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Attempts to split a tensor into the specified number of chunks (views of input)."""
    size = _chunk_size(input, chunks, dim)
    if size == 0:
        return split_with_sizes(input, [0] * chunks, dim)
    return split(input, size, dim)


def _chunk_size(input: Tensor, chunks: int, dim: int) -> int:
    """The size of chunk's pieces (0 only for an empty dim)."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = x.shape[wrap_dim(dim, x.ndim)]
    return (n + chunks - 1) // chunks


@declare(jvp=linear_jvp("tensor_split"))
def _split_along(name: str, dims: int, dim: int) -> Any:
    # torch's hsplit, vsplit and dsplit: tensor_split along `dim` (0 for a 1-D hsplit), a
    # number of sections dividing that dimension evenly.
    def op(input: Tensor, indices_or_sections: Any) -> tuple:
        check_tensor(input, fn=name)
        x = input._data
        if x.ndim < dims:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {dims} dimension, "
                               f"but got a tensor with {x.ndim} dimensions!")
        d = 0 if x.ndim == 1 else dim
        ios = indices_or_sections
        if isinstance(ios, (int, np.integer)) and (ios == 0 or x.shape[d] % ios):
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the "
                               f"size of the dimension {x.shape[d]} is not divisible by the "
                               f"split_size {ios}!")
        return tensor_split(input, ios, d)

    op.__name__ = name
    return op


hsplit = _split_along("hsplit", 1, 1)
hsplit.__doc__ = ("Splits input, a tensor with one or more dimensions, into multiple tensors "
                  "horizontally (along dimension 1, or 0 for a 1-D tensor) according to "
                  "indices_or_sections.")
vsplit = _split_along("vsplit", 2, 0)
vsplit.__doc__ = ("Splits input, a tensor with two or more dimensions, into multiple tensors "
                  "vertically (along dimension 0) according to indices_or_sections.")
dsplit = _split_along("dsplit", 3, 2)
dsplit.__doc__ = ("Splits input, a tensor with three or more dimensions, into multiple tensors "
                  "depthwise (along dimension 2) according to indices_or_sections.")


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:
    """Splits a tensor into multiple sub-tensors (views), along dimension dim, by a number of
    sections or at the given indices."""
    x = input._data
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.dtype != np.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {ios.dtype._legacy}")
        if ios._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {ios._data.ndim} dims")
        ios = ios._data.tolist()
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d]
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds, a = [], 0
        for i in range(k):
            s = q + (1 if i < r else 0)
            bounds.append((a, a + s))
            a += s
    else:
        bounds, a = [], 0
        for i in list(ios) + [n]:
            i = int(i)
            i = max(min(i + n if i < 0 else i, n), 0)
            bounds.append((a, max(a, i)))
            a = i
    return tuple(slice_dim(input, d, a, b, 1) for a, b in bounds)



# -- strided views --------------------------------------------------------------------------

def _as_strided_formula(m: Any, g: Any, shape: tuple, index: Any, storage: Any,
                        scale: Any) -> Any:
    if storage is None:
        # `index`: each element's position in the input, in its C order.
        return m.as_strided_backward(g, shape, index)
    # torch's as_strided_backward: scatter the gradient into the storage by the output's
    # geometry (`index`), read it back by the input's, dividing where the input repeats a
    # location; what the input does not cover gets no gradient.
    size, in_pos = storage
    grad = m.as_strided_view(m.as_strided_backward(g, (size,), index), in_pos)
    return grad if scale is None else grad * m.const(scale)


AsStridedBackward0 = node_class("AsStridedBackward0", _as_strided_formula)
UnfoldBackward0 = node_class(
    "UnfoldBackward0", lambda m, g, shape, index: m.as_strided_backward(g, shape, index))


def storage_positions(a: np.ndarray, start: int) -> np.ndarray:
    """For each element of `a`, its location in elements from the address `start`."""
    isz = a.itemsize
    pos = np.full(a.shape, (a.__array_interface__["data"][0] - start) // isz, np.int64)
    for k in range(a.ndim):
        step = np.arange(a.shape[k], dtype=np.int64) * (a.strides[k] // isz)
        pos += step.reshape([-1 if j == k else 1 for j in range(a.ndim)])
    return pos


def _strided(x: np.ndarray, shape: tuple, strides: tuple, writeable: bool) -> np.ndarray:
    """A view of x's memory (from x's first element) with the given shape and byte strides;
    as in torch, a view whose elements share a location cannot be written."""
    return np.lib.stride_tricks.as_strided(
        x, shape, strides, writeable=writeable and not shares_locations(shape, strides))


def _int_arg(fn: str, name: str, pos: int, v: Any) -> int:
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, not "
                        f"{type(v).__name__}")
    return int(v)


def _windows(a: np.ndarray, d: int, size: int, step: int) -> np.ndarray:
    """unfold's view of `a`: the windows along d make dimension d, their elements the last."""
    if not a.ndim:
        return _strided(a, (size,), (a.itemsize,), a.flags.writeable)
    st = a.strides
    shape = a.shape[:d] + ((a.shape[d] - size) // step + 1,) + a.shape[d + 1:] + (size,)
    return _strided(a, shape, st[:d] + (st[d] * step,) + st[d + 1:] + (st[d],),
                    a.flags.writeable)


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Returns a view of the original tensor which contains all slices of size `size` from
    self tensor in the dimension `dimension`; `step` is the step between two slices, which
    make a new last dimension."""
    dimension = _int_arg("unfold", "dimension", 1, dimension)
    size = _int_arg("unfold", "size", 2, size)
    step = _int_arg("unfold", "step", 3, step)
    x = input._data
    d = wrap_dim(dimension, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    ctx = None
    if input._rg and _mode.enabled:
        # Where each element of the result lies in the input, in its C order.
        where = np.arange(x.size, dtype=np.int64).reshape(x.shape)
        ctx = (x.shape, np.array(_windows(where, d, size, step)))
    return as_view(input, _windows(x, d, size, step), UnfoldBackward0, ctx)


def _storage_size(base: np.ndarray) -> int:
    """How many elements torch's storage of a tensor over `base` would hold."""
    if not base.size:
        return 0
    return sum((n - 1) * abs(st) for n, st in zip(base.shape, base.strides)) // base.itemsize + 1


def _storage(base: np.ndarray, size: int) -> np.ndarray:
    """The storage as a flat array: base's memory from its lowest address."""
    low = base[tuple(slice(None, None, -1) if st < 0 else slice(None) for st in base.strides)
               + (Ellipsis,)]
    return np.lib.stride_tricks.as_strided(low, (size,), (base.itemsize,),
                                           writeable=base.flags.writeable)


def writable_alias(x: np.ndarray) -> np.ndarray:
    """x over the same memory, writable also where its elements share locations (for the
    writes that torch does not check), when that memory is writable."""
    root, obj = x, x
    while obj is not None:
        # The array that holds the memory (as_strided's results hold it through a helper).
        if isinstance(obj, np.ndarray):
            root = obj
        obj = getattr(obj, "base", None)
    # In bytes: the array holding the memory may hold another dtype than x (a result made
    # by viewing integer bits as floats, as relu's bitwise select does).
    flat = _storage(root, _storage_size(root)).view(np.uint8)
    start = x.__array_interface__["data"][0] - storage_start(root)
    tail = flat[start:]
    tail = tail[:tail.size - tail.size % x.itemsize].view(x.dtype)
    return np.lib.stride_tricks.as_strided(tail, x.shape, x.strides,
                                           writeable=root.flags.writeable)


def _sizes(v: Any, name: str, pos: int) -> tuple:
    if not isinstance(v, (tuple, list)) or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in v):
        raise TypeError(f"as_strided(): argument '{name}' (position {pos}) must be tuple of "
                        f"ints, not {type(v).__name__}")
    return tuple(int(i) for i in v)


def as_strided(input: Tensor, size: Any, stride: Any, storage_offset: Any = None) -> Tensor:
    """Create a view of an existing torch.Tensor input with specified size, stride and
    storage_offset (in elements of the storage: the memory of input's base)."""
    size, stride = _sizes(size, "size", 2), _sizes(stride, "stride", 3)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={shape_str(size)} "
                           f"and strides={shape_str(stride)}")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {shape_str(stride)}")
    x = input._data
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    base = (input if input._base is None else input._base)._data
    isz = x.itemsize
    storage = _storage_size(base)
    need = 0 if 0 in size else offset + 1 + sum((n - 1) * st for n, st in zip(size, stride))
    if need > storage:
        raise RuntimeError(
            f"setStorage: sizes {shape_str(size)}, strides {shape_str(stride)}, storage offset "
            f"{offset}, and itemsize {isz} requiring a storage size of {need * isz} are out of "
            f"bounds for storage of size {storage * isz}")
    data = _strided(_storage(base, storage)[offset:], size, tuple(st * isz for st in stride),
                    base.flags.writeable)
    ctx = None
    if input._rg and _mode.enabled:
        start = storage_start(base)
        out_pos = storage_positions(data, start)
        in_pos = storage_positions(x, start)
        if x.flags.c_contiguous and x.size == storage:
            ctx = (x.shape, out_pos, None, None)
        else:
            count = np.bincount(in_pos.reshape(-1), minlength=storage)
            scale = None
            if x.size and count.max() > 1:
                scale = (1 / count[in_pos]).astype(x.dtype)
            ctx = ((), out_pos, (storage, in_pos), scale)
    return as_view(input, data, AsStridedBackward0, ctx)


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
