"""vmap: batching rules over tensors with a leading batch dimension.

A `BatchedTensor` at vmap level L holds a value whose dimension 0 is L's batch dimension;
its logical shape (what the function sees) is the rest. Values may themselves be batched at
lower levels. An op on batched tensors runs once, on the values: pointwise ops broadcast
(batched operands of lower rank get size-1 dimensions after the batch dimension), ops with
dimension arguments have them shifted past the batch dimension, shape ops get the batch
size prepended. Ops without a rule run per example and are stacked.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np

from .. import _random, _transform_hooks
from .._tensor import MetaArray, Size, Tensor, meta_array
from .._transform_hooks import PASS
from ..autograd import forward_ad
from ..ops._core import PASSTHROUGH, POINTWISE, REDUCE
from . import _dispatch
from ._dispatch import OPS, op

_levels = itertools.count(1)
# Active vmap levels: level -> batch size.
LEVEL_SIZE: dict = {}
# (level, randomness) of the running vmaps, innermost last.
RANDOMNESS: list = []


def _check_randomness() -> None:
    if RANDOMNESS and RANDOMNESS[-1][1] == "error":
        raise RuntimeError(
            "vmap: called random operation while in randomness error mode. Please either use "
            "the 'same' or 'different' randomness flags on vmap or perform the randomness "
            "operation out of vmap")


def different_randomness_level() -> int | None:
    """The innermost vmap level when it asked for randomness="different", else None:
    random factories then draw one sample per batch entry."""
    if RANDOMNESS and RANDOMNESS[-1][1] == "different":
        return RANDOMNESS[-1][0]
    return None


def _draw_per_entry(make: Callable, shape: tuple, level: int) -> Any:
    # `make(shape)` once for the whole batch (the batch size in front, as torch draws them).
    return wrap_at(make((LEVEL_SIZE[level],) + tuple(shape)), level, 0)


class _MetaArray(MetaArray):
    """The `_data` a batched tensor shows to code that only reads metadata (shape, ndim,
    dtype): computing with it raises, since an op without a batching rule would otherwise
    compute on the wrong array."""

    _message = ("vmap: an operation read the data of a batched tensor directly; it has no "
                "batching rule. Compose it from ember's ops to use it under vmap.")


class BatchedTensor(Tensor):
    """A tensor seen per example inside vmap: `_value` has the batch dimension in front."""

    __slots__ = ("_value", "_level")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @property
    def _data(self) -> np.ndarray:
        v = self._value
        return meta_array(tuple(v.shape)[1:], _np_dtype(v), _MetaArray)

    @property
    def _rg(self) -> bool:
        return self._value._rg

    @property
    def _fn(self) -> Any:
        return self._value._fn

    @property
    def _vc(self) -> list:
        return self._value._vc

    @property
    def shape(self) -> Size:
        return Size(tuple(self._value.shape)[1:])

    def size(self, dim: int | None = None) -> Any:
        s = self.shape
        return s if dim is None else s[self._wrap_dim(dim)]

    def dim(self) -> int:
        return self._value.dim() - 1

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._value.dim() - 1

    def numel(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self) -> Any:
        return self._value.dtype

    @property
    def requires_grad(self) -> bool:
        return self._value.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._value.requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> BatchedTensor:
        self._value.requires_grad_(requires_grad)
        return self

    @property
    def grad_fn(self) -> Any:
        return self._value.grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._value.is_leaf

    @property
    def grad(self) -> Any:
        g = self._value.grad
        return None if g is None else BatchedTensor._wrap(g, self._level)

    def detach(self) -> BatchedTensor:
        return BatchedTensor._wrap(self._value.detach(), self._level)

    def _wrap_dim(self, dim: int) -> int:
        from ..ops._core import wrap_dim

        return wrap_dim(dim, self.dim())

    def is_floating_point(self) -> bool:
        return self._value.is_floating_point()

    def item(self) -> Any:
        raise RuntimeError(
            "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
            "calling .item() on a Tensor, please try to rewrite what you're doing with other "
            "operations. If error is occurring somewhere inside PyTorch internals, please file "
            "a bug report.")

    def __bool__(self) -> bool:
        raise RuntimeError(
            "vmap: It looks like you're attempting to use a Tensor in some data-dependent "
            "control flow. We don't support that yet, please shout over at "
            "https://github.com/pytorch/functorch/issues/257 .")

    def tolist(self) -> Any:
        self.item()

    def numpy(self, *, force: bool = False) -> Any:
        raise RuntimeError("vmap: numpy() is not supported on batched tensors inside vmap.")

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return self.numpy()

    def __len__(self) -> int:
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return f"BatchedTensor(lvl={self._level}, bdim=0, value=\n{self._value!r}\n)"

    __str__ = __repr__

    def view_as(self, other: Tensor) -> Tensor:
        return op("view")(self, tuple(other.shape))

    def reshape_as(self, other: Tensor) -> Tensor:
        return op("reshape")(self, tuple(other.shape))

    def expand_as(self, other: Tensor) -> Tensor:
        return op("expand")(self, tuple(other.shape))

    def type_as(self, other: Tensor) -> Tensor:
        return op("to")(self, other.dtype)

    @property
    def T(self) -> Tensor:
        return op("permute")(self, tuple(range(self.dim() - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return op("transpose")(self, -2, -1)

    @staticmethod
    def _wrap(value: Tensor, level: int) -> BatchedTensor:
        b = object.__new__(BatchedTensor)
        b._value = value
        b._level = level
        b._grad = None
        b._hooks = None
        b._base = None
        b._acc = None
        b._nr = 0
        return b


def _np_dtype(t: Tensor) -> np.dtype:
    return t.dtype.np


def level_of(x: Any) -> int:
    return x._level if type(x) is BatchedTensor else 0


def max_level(args: tuple, kwargs: dict) -> int:
    """The highest vmap level among the op's arguments (0 if none is batched)."""
    best = 0
    for a in args:
        t = type(a)
        if t is BatchedTensor:
            if a._level > best:
                best = a._level
        elif t is list or t is tuple:
            for b in a:
                if type(b) is BatchedTensor and b._level > best:
                    best = b._level
    if kwargs:
        for a in kwargs.values():
            if type(a) is BatchedTensor and a._level > best:
                best = a._level
    return best


# -- moving batch dimensions between levels ----------------------------------------------

def _tangent_of(t: Any) -> Any:
    return forward_ad.get_tangent(t) if forward_ad._TANGENTS else None


def unwrap_to(t: Any, level: int, d: int = 0) -> Any:
    """`t` with level's batch dimension made logical dimension `d` (expanded when `t` is
    not batched at that level); a dual keeps its tangent, moved the same way."""
    tan = _tangent_of(t)
    if tan is None:
        return _unwrap_to(t, level, d)
    _dispatch.state.fwd_suspended += 1
    try:
        out = _unwrap_to(t, level, d)
        forward_ad.set_tangent(out, _unwrap_to(tan, level, d))
    finally:
        _dispatch.state.fwd_suspended -= 1
    return out


def _unwrap_to(t: Any, level: int, d: int = 0) -> Any:
    if type(t) is BatchedTensor and t._level > level:
        return BatchedTensor._wrap(unwrap_to(t._value, level, d + 1), t._level)
    if type(t) is BatchedTensor and t._level == level:
        v = t._value
        return v if d == 0 else op("movedim")(v, 0, d)
    size = LEVEL_SIZE[level]
    shape = tuple(t.shape)
    u = op("unsqueeze")(t, d)
    return op("expand")(u, shape[:d] + (size,) + shape[d:])


def wrap_at(t: Any, level: int, d: int = 0) -> Any:
    """The inverse of `unwrap_to`: logical dimension `d` of `t` becomes level's batch
    dimension."""
    tan = _tangent_of(t)
    if tan is None:
        return _wrap_at(t, level, d)
    _dispatch.state.fwd_suspended += 1
    try:
        out = _wrap_at(t, level, d)
        forward_ad.set_tangent(out, _wrap_at(tan, level, d))
    finally:
        _dispatch.state.fwd_suspended -= 1
    return out


def _wrap_at(t: Any, level: int, d: int = 0) -> Any:
    if type(t) is BatchedTensor and t._level > level:
        return BatchedTensor._wrap(wrap_at(t._value, level, d + 1), t._level)
    v = t if d == 0 else op("movedim")(t, d, 0)
    return BatchedTensor._wrap(v, level)


# -- rules -----------------------------------------------------------------------------

def _batched_handler(fn: Callable, name: str, args: tuple, kwargs: dict,
                     wrapped: Callable | None) -> Any:
    level = max_level(args, kwargs)
    return dispatch_batched(wrapped or fn, name, args, kwargs, level) if level else PASS


def dispatch_batched(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """Runs `fn` once over the batch of `level` using the op's batching rule."""
    rule = RULES.get(name)
    if rule is None:
        if name.endswith("_") and name[:-1] in RULES:
            rule = _inplace_rule
        else:
            rule = _loop_rule
    return rule(fn, name, args, kwargs, level)


def _b(x: Any, level: int) -> bool:
    return type(x) is BatchedTensor and x._level == level


def _wrap_out(out: Any, level: int) -> Any:
    if isinstance(out, Tensor):
        return BatchedTensor._wrap(out, level)
    if isinstance(out, tuple):
        return _rebuild(type(out), [_wrap_out(o, level) for o in out])
    if isinstance(out, list):
        return [_wrap_out(o, level) for o in out]
    return out


def _rebuild(kind: type, items: list) -> Any:
    """A sequence of type `kind` (tuple, list, named tuple, torch.return_types) of items."""
    if kind is tuple:
        return tuple(items)
    return kind._make(items) if hasattr(kind, "_make") else kind(items)


def _logical_ndim(x: Any, level: int) -> int:
    return x._value.dim() - 1 if _b(x, level) else x.dim()


def _pad(v: Tensor, r: int, rank: int) -> Tensor:
    """A batched value of logical rank r viewed with rank - r size-1 dimensions after the
    batch dimension, so it broadcasts against operands of logical rank `rank`."""
    if r >= rank:
        return v
    shape = tuple(v.shape)
    return op("reshape")(v, shape[:1] + (1,) * (rank - r) + shape[1:])


def _pointwise_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    tensors = [a for a in itertools.chain(args, kwargs.values()) if isinstance(a, Tensor)]
    rank = max(_logical_ndim(a, level) for a in tensors)

    def fix(a: Any) -> Any:
        if _b(a, level):
            return _pad(a._value, a._value.dim() - 1, rank)
        return a

    new_args = tuple(fix(a) for a in args)
    new_kwargs = {k: fix(v) for k, v in kwargs.items()}
    return _wrap_out(fn(*new_args, **new_kwargs), level)


def _inplace_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    self = args[0]
    if not _b(self, level):
        raise RuntimeError(
            f"vmap: {name}(self, *extra_args) is not possible because there exists a Tensor "
            "`other` in extra_args that has more elements than `self`. This happened due to "
            "`other` being vmapped over but `self` not being vmapped over in a vmap. Please "
            "try to use out-of-place operators instead of inplace.")
    rank = self._value.dim() - 1
    rest = tuple(_pad(a._value, a._value.dim() - 1, rank) if _b(a, level) else a
                 for a in args[1:])
    kw = {k: (_pad(v._value, v._value.dim() - 1, rank) if _b(v, level) else v)
          for k, v in kwargs.items()}
    fn(self._value, *rest, **kw)
    return self


def _composite_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """The op itself (not through the dispatcher again) on the batched tensors: random ops,
    which draw as vmap's randomness says, and ops composed of ops that batch (einsum)."""
    return _dispatch.ORIGINAL_OF.get(fn, fn)(*args, **kwargs)


def _passthrough_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """Ops that act on each element or keep the whole layout (casts, clones, *_like)."""
    if not _b(args[0], level) or any(_b(a, level) for a in args[1:]):
        return _loop_rule(fn, name, args, kwargs, level)
    return _wrap_out(fn(args[0]._value, *args[1:], **kwargs), level)


def _shift(d: int, ndim: int) -> int:
    from ..ops._core import wrap_dim

    return wrap_dim(d, ndim) + 1


def _get(args: tuple, kwargs: dict, i: int, key: str, default: Any) -> Any:
    if len(args) > i:
        return args[i]
    return kwargs.get(key, default)


def _set(args: tuple, kwargs: dict, i: int, key: str, value: Any) -> tuple:
    if len(args) > i:
        args = args[:i] + (value,) + args[i + 1:]
    else:
        kwargs = dict(kwargs)
        kwargs[key] = value
    return args, kwargs


def _reduce_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """Reductions over `dim` (an int, a tuple, or None for all dimensions)."""
    x = args[0]
    if not _b(x, level) or any(_b(a, level) for a in args[1:]):
        return _loop_rule(fn, name, args, kwargs, level)
    v = x._value
    nd = v.dim() - 1
    dim = _get(args, kwargs, 1, "dim", None)
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0 and name in
                       ("sum", "mean", "nansum", "amax", "amin")):
        keepdim = _get(args, kwargs, 2, "keepdim", False)
        flat = op("reshape")(v, (v.shape[0], -1))
        a, kw = _set(args[1:], kwargs, 0, "dim", 1)
        a = (flat,) + a
        if "keepdim" in kw or len(a) > 2:
            a, kw = _set(a, kw, 2, "keepdim", False)
        r = fn(*a, **kw)
        if keepdim:
            r = op("reshape")(r, (v.shape[0],) + (1,) * nd)
        return _wrap_out(r, level)
    if isinstance(dim, (tuple, list)):
        new = tuple(_shift(d, nd) for d in dim)
    else:
        new = _shift(dim, nd)
    a, kw = _set(args, kwargs, 1, "dim", new)
    return _wrap_out(fn(v, *a[1:], **kw), level)


def _dim_rule(positions: tuple, keys: tuple, extra: int = 0) -> Callable:
    """Ops whose dimension arguments (at `positions`, or keyword `keys`) are shifted past the
    batch dimension; `extra` is added to the logical rank they are wrapped against."""

    def rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
        x = args[0]
        if not _b(x, level) or any(_b(a, level) for a in args[1:]):
            return _loop_rule(fn, name, args, kwargs, level)
        v = x._value
        nd = v.dim() - 1 + extra
        for i, key in zip(positions, keys):
            d = _get(args, kwargs, i, key, _MISSING)
            if d is _MISSING:
                continue
            if isinstance(d, (tuple, list)):
                d = tuple(_shift(e, nd) for e in d)
            elif d is not None:
                d = _shift(d, nd)
            args, kwargs = _set(args, kwargs, i, key, d)
        return _wrap_out(fn(v, *args[1:], **kwargs), level)

    return rule


_MISSING = object()


def _align_rule(keys: tuple, extra: int = 0) -> Callable:
    """Ops over several tensors of one logical rank (joining, scatters into slices): every
    tensor gets level's batch dimension in front (expanded when it has none) and the
    dimension arguments `keys` are shifted past it; `extra` is added to the logical rank
    they are wrapped against."""

    def rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
        params = _bind(fn, args, kwargs)
        nd = None
        for k, v in params.items():
            if isinstance(v, Tensor):
                nd = _logical_ndim(v, level) if nd is None else nd
                params[k] = unwrap_to(v, level)
            elif isinstance(v, (list, tuple)) and v and all(isinstance(t, Tensor) for t in v):
                nd = _logical_ndim(v[0], level) if nd is None else nd
                params[k] = [unwrap_to(t, level) for t in v]
        for k in keys:
            d = params[k]
            params[k] = tuple(_shift(e, nd + extra) for e in d) \
                if isinstance(d, (tuple, list)) else _shift(d, nd + extra)
        return _wrap_out(fn(**params), level)

    return rule


def _sizes(args: tuple) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        return tuple(args[0])
    return tuple(args)


def _reshape_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    v = args[0]._value
    shape = _sizes(args[1:]) if len(args) > 1 else tuple(kwargs.get("shape", ()))
    return _wrap_out(fn(v, (v.shape[0],) + shape), level)


def _expand_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    v = args[0]._value
    sizes = _sizes(args[1:]) if len(args) > 1 else tuple(kwargs.get("size", ()))
    nd = v.dim() - 1
    if len(sizes) < nd:
        return _loop_rule(fn, name, args, kwargs, level)
    v = _pad(v, nd, len(sizes))
    return _wrap_out(op("expand")(v, (v.shape[0],) + sizes), level)


def _permute_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    v = args[0]._value
    dims = _sizes(args[1:]) if len(args) > 1 else tuple(kwargs.get("dims", ()))
    nd = v.dim() - 1
    if len(dims) != nd:
        return _loop_rule(fn, name, args, kwargs, level)
    return _wrap_out(fn(v, (0,) + tuple(_shift(d, nd) for d in dims)), level)


def _squeeze_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    v = args[0]._value
    dim = _get(args, kwargs, 1, "dim", None)
    nd = v.dim() - 1
    if dim is None:
        shape = tuple(v.shape)
        keep = tuple(s for s in shape[1:] if s != 1)
        return _wrap_out(op("reshape")(v, shape[:1] + keep), level)
    if nd == 0:
        return _wrap_out(v, level)
    d = tuple(_shift(e, nd) for e in dim) if isinstance(dim, (tuple, list)) else _shift(dim, nd)
    return _wrap_out(fn(v, d), level)


def _t_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    v = args[0]._value
    nd = v.dim() - 1
    if nd > 2:
        return _loop_rule(fn, name, args, kwargs, level)
    return _wrap_out(op("transpose")(v, 1, 2) if nd == 2 else v, level)


def _flatten_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    v = args[0]._value
    nd = v.dim() - 1
    if nd == 0:
        return _wrap_out(op("reshape")(v, (v.shape[0], 1)), level)
    s = _shift(_get(args, kwargs, 1, "start_dim", 0), nd)
    e = _shift(_get(args, kwargs, 2, "end_dim", -1), nd)
    return _wrap_out(fn(v, s, e), level)


def _matmul_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    a, b = args[0], args[1]
    la, lb = _logical_ndim(a, level), _logical_ndim(b, level)
    checks = {"mm": (2, 2), "bmm": (3, 3), "mv": (2, 1), "dot": (1, 1)}
    if name in checks and (la, lb) != checks[name]:
        return _loop_rule(fn, name, args, kwargs, level)
    if la == 0 or lb == 0:
        return _loop_rule(fn, name, args, kwargs, level)
    va = a._value if _b(a, level) else a
    vb = b._value if _b(b, level) else b
    unsq = op("unsqueeze")
    if la == 1:
        va = unsq(va, -2)
    if lb == 1:
        vb = unsq(vb, -1)
    ra, rb = max(la, 2), max(lb, 2)
    rank = max(ra, rb)
    if _b(a, level):
        va = _pad(va, ra, rank)
    if _b(b, level):
        vb = _pad(vb, rb, rank)
    r = op("matmul")(va, vb)
    sq = op("squeeze")
    if lb == 1:
        r = sq(r, -1)
    if la == 1:
        r = sq(r, -2 if lb != 1 else -1)
    return _wrap_out(r, level)


# -- neural-network ops -------------------------------------------------------------------
#
# These ops treat their leading (sample) dimension alike, so the batch dimension is folded
# into it: a value (B, N, ...) runs as (B * N, ...) and the results are unfolded.

def _fold(v: Tensor) -> Tensor:
    shape = tuple(v.shape)
    return op("reshape")(v, (shape[0] * shape[1],) + shape[2:])


def _unfold(out: Any, b: int) -> Any:
    if isinstance(out, Tensor):
        shape = tuple(out.shape)
        return op("reshape")(out, (b, shape[0] // b) + shape[1:])
    if isinstance(out, tuple):
        return tuple(_unfold(o, b) for o in out)
    return out


def _fold_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """Pooling and the im2col/col2im pair: only the input is batched."""
    x = args[0]
    if not _b(x, level) or x._value.dim() < 2 or any(_b(a, level) for a in args[1:]) or \
            any(_b(a, level) for a in kwargs.values()):
        return _loop_rule(fn, name, args, kwargs, level)
    v = x._value
    return _wrap_out(_unfold(fn(_fold(v), *args[1:], **kwargs), v.shape[0]), level)


def _batch_norm_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """batch_norm with running statistics (not training) is per sample: it folds; training
    statistics are each example's own, computed per example."""
    if _bind(fn, args, kwargs)["training"]:
        return _loop_rule(fn, name, args, kwargs, level)
    return _fold_rule(fn, name, args, kwargs, level)


def _rows_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """gather_rows / scatter_rows: the row indices (an array) repeat for every example."""
    if any(_b(a, level) for a in args[2:]):
        return _loop_rule(fn, name, args, kwargs, level)
    v = unwrap_to(args[0], level)
    b = v.shape[0]
    idx = np.tile(args[1], (b, 1))
    return _wrap_out(_unfold(fn(_fold(v), idx, *args[2:], **kwargs), b), level)


def _conv_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """convolution(input, weight, bias, ...): a batched input folds into the sample
    dimension (or becomes it, for an unbatched sample); a batched weight or bias is the
    same as that many groups."""
    params = _bind(fn, args, kwargs)
    x, w, bias = params["input"], params["weight"], params["bias"]
    nd = params["nd"]
    if not _b(w, level) and not _b(bias, level):
        v = x._value
        if v.dim() - 1 == nd + 1:
            return _wrap_out(fn(v, *args[1:], **kwargs), level)
        return _wrap_out(_unfold(fn(_fold(v), *args[1:], **kwargs), v.shape[0]), level)
    if params["transposed"]:
        return _loop_rule(fn, name, args, kwargs, level)
    # Example b's weight (O, C/g, k...) becomes groups b*g .. b*g+g-1 of one convolution over
    # an input whose channels are the examples' channels side by side.
    vw = unwrap_to(w, level)
    b = vw.shape[0]
    groups = params["groups"]
    xv = unwrap_to(x, level, 0) if _b(x, level) else x
    single = x.dim() == nd + 1
    if not _b(x, level):
        xv = op("unsqueeze")(xv, 0) if single else xv
        xv = op("expand")(op("unsqueeze")(xv, 0), (b,) + tuple(xv.shape))
    elif single:
        xv = op("unsqueeze")(xv, 1)
    # xv: (B, N, C, ...) -> (N, B * C, ...)
    xs = tuple(xv.shape)
    xv = op("reshape")(op("movedim")(xv, 0, 1), (xs[1], b * xs[2]) + xs[3:])
    ws = tuple(vw.shape)
    wv = op("reshape")(vw, (b * ws[1],) + ws[2:])
    bv = None
    if bias is not None:
        bv = op("reshape")(unwrap_to(bias, level), (-1,))
    params["input"], params["weight"], params["bias"] = xv, wv, bv
    params["groups"] = groups * b
    out = fn(**params)
    # (N, B * O, ...) -> (B, N, O, ...)
    os_ = tuple(out.shape)
    out = op("movedim")(op("reshape")(out, (os_[0], b, ws[1]) + os_[2:]), 1, 0)
    if single:
        out = op("squeeze")(out, 1)
    return _wrap_out(out, level)


def _general_path_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """A fast path that answers None when its caller must take the general path, which
    batches."""
    return None


def _loss_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """Element-wise losses: the unreduced loss of every example at once, then each
    example's mean or sum."""
    from ..ops.nn_loss import legacy_reduction

    params = _bind(fn, args, kwargs)
    reduction = params["reduction"]
    if params.get("size_average") is not None or params.get("reduce") is not None:
        reduction = legacy_reduction(params["size_average"], params["reduce"])
        params["size_average"] = params["reduce"] = None
    rank = _logical_ndim(params["input"], level)
    for k, v in params.items():
        if k in ("input", "target"):
            params[k] = unwrap_to(v, level)
        elif _b(v, level):  # a batched weight broadcasts against each example's loss
            params[k] = _pad(v._value, v._value.dim() - 1, rank)
    params["reduction"] = "none"
    losses = fn(**params)
    if reduction in ("mean", "sum"):
        flat = op("reshape")(losses, (losses.shape[0], -1))
        losses = op(reduction)(flat, 1)
    return _wrap_out(losses, level)


def _pad_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """pad pads trailing dimensions; the modes other than constant take one leading sample
    dimension at most, so an input that has one folds the batch into it."""
    params = _bind(fn, args, kwargs)
    x = params["input"]
    if not _b(x, level) or any(_b(v, level) for k, v in params.items() if k != "input"):
        return _loop_rule(fn, name, args, kwargs, level)
    v = x._value
    if params["mode"] != "constant" and v.dim() - 1 == len(params["pad"]) // 2 + 2:
        return _wrap_out(_unfold(fn(_fold(v), *args[1:], **kwargs), v.shape[0]), level)
    return _wrap_out(fn(v, *args[1:], **kwargs), level)


def _extreme_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """max, min, argmax, argmin: over a dimension, of the whole example (dim None), or
    element-wise against another tensor."""
    other = _get(args, kwargs, 1, "dim", None)
    if isinstance(other, Tensor):
        return _pointwise_rule(fn, name, args, kwargs, level)
    x = args[0]
    if not _b(x, level):
        return _loop_rule(fn, name, args, kwargs, level)
    if other is not None:
        return _dim_rule((1,), ("dim",))(fn, name, args, kwargs, level)
    v = x._value
    keepdim = _get(args, kwargs, 2, "keepdim", False)
    r = fn(op("reshape")(v, (v.shape[0], -1)), 1)
    r = r[0] if isinstance(r, tuple) else r
    if keepdim:
        r = op("reshape")(r, (v.shape[0],) + (1,) * (v.dim() - 1))
    return _wrap_out(r, level)


def _getitem_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """Basic indexing (integers, slices, None, Ellipsis) leaves the batch dimension alone;
    indexing with tensors or lists runs per example."""
    x, key = args[0], args[1]
    parts = key if isinstance(key, tuple) else (key,)
    basic = all(p is None or p is Ellipsis or isinstance(p, slice) or
                (isinstance(p, (int, np.integer)) and not isinstance(p, bool)) for p in parts)
    if not _b(x, level) or not basic or any(isinstance(p, slice) and any(
            isinstance(e, Tensor) for e in (p.start, p.stop, p.step)) for p in parts):
        return _loop_rule(fn, name, args, kwargs, level)
    return _wrap_out(fn(x._value, (slice(None),) + parts), level)


def _bind(fn: Callable, args: tuple, kwargs: dict) -> dict:
    import inspect

    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _linear_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """linear(input, weight, bias): a batched input only is a larger batch of rows; a
    batched weight or bias is a batched matrix product."""
    params = _bind(fn, args, kwargs)
    x, w, bias = params["input"], params["weight"], params["bias"]
    if not _b(w, level) and not _b(bias, level):
        return _wrap_out(fn(x._value, w, bias), level)
    out = op("matmul")(x, op("transpose")(w, -1, -2))
    return out if bias is None else op("add")(out, bias)


def _nll_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """nll_loss: the unreduced losses of all examples at once, reduced per example (a mean
    divides by the example's own total weight)."""
    from ..ops.nn_loss import legacy_reduction

    params = _bind(fn, args, kwargs)
    if _b(params["weight"], level):
        return _loop_rule(fn, name, args, kwargs, level)
    reduction = params["reduction"]
    if params["size_average"] is not None or params["reduce"] is not None:
        reduction = legacy_reduction(params["size_average"], params["reduce"])
    x = unwrap_to(params["input"], level)
    t = unwrap_to(params["target"], level)
    b = x.shape[0]
    single = x.dim() == 2
    xf, tf = (x, t) if single else (_fold(x), _fold(t))
    params.update(input=xf, target=tf, size_average=None, reduce=None, reduction="none")
    losses = op("reshape")(fn(**params), (b, -1))
    if reduction == "none":
        return _wrap_out(op("reshape")(losses, tuple(t.shape)), level)
    total = op("sum")(losses, 1)
    if reduction == "mean":
        params["input"] = op("full_like")(xf, -1)
        total = op("div")(total, op("sum")(op("reshape")(fn(**params), (b, -1)), 1))
    return _wrap_out(total, level)


def _einsum_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """einsum_core(operands, subs, out): the batch dimension is one more label, leading in
    the batched operands and in the output."""
    params = _bind(fn, args, kwargs)
    operands, subs, out = params["operands"], params["subs"], params["out"]
    used = {c for s in subs for c in s} | set(out)
    label = next(c for c in range(52) if c not in used)
    vals, new_subs = [], []
    for o, s in zip(operands, subs):
        if _b(o, level):
            vals.append(o._value)
            new_subs.append([label] + list(s))
        else:
            vals.append(o)
            new_subs.append(list(s))
    return _wrap_out(fn(vals, new_subs, (label,) + tuple(out)), level)


def _loop_rule(fn: Callable, name: str, args: tuple, kwargs: dict, level: int) -> Any:
    """No batching rule: run the op per example and stack the results."""
    size = LEVEL_SIZE[level]
    select = op("select")
    results = []
    for i in range(size):
        def pick(a: Any, i: int = i) -> Any:
            if _b(a, level):
                return select(a._value, 0, i)
            if isinstance(a, (list, tuple)) and any(_b(b, level) for b in a):
                return type(a)(pick(b, i) for b in a)
            return a

        results.append(fn(*(pick(a) for a in args), **{k: pick(v) for k, v in kwargs.items()}))
    return _stack_results(results, level)


def _stack_results(results: list, level: int) -> Any:
    first = results[0] if results else None
    if first is None and results and all(r is None for r in results):
        return None  # an optional output no example produced (max pooling's indices)
    if isinstance(first, Tensor):
        return BatchedTensor._wrap(stack(results), level)
    if isinstance(first, (tuple, list)):
        parts = [_stack_results([r[k] for r in results], level) for k in range(len(first))]
        return _rebuild(type(first), parts)
    raise RuntimeError(f"vmap: the function returned {type(first).__name__}, which is not a "
                       "Tensor; per-example Python values cannot be batched.")


def stack(tensors: list) -> Tensor:
    """Stacks tensors along a new first dimension (differentiably)."""
    return op("stack")(tensors, 0)


RULES: dict = {}

# The traits ops declare on their rows (`ops._core.declare`), by op name; the lists add
# what no row declares: nn functions outside the op families, Tensor operators without an op
# of their own, the creation functions that the dispatcher wraps by name.
_TRAITS = {name: fn.row.get("vmap") for fn, name in OPS if hasattr(fn, "row")}
_POINTWISE = (
    "relu6 softsign tanhshrink deg2rad rad2deg __rtruediv__ __floordiv__ __rfloordiv__ "
    "__rpow__ __mod__ __rmod__ __and__ __rand__ __or__ __ror__ __xor__ __rxor__ __invert__ "
    "__rlshift__ __rrshift__"
).split() + [name for name, trait in _TRAITS.items() if trait == POINTWISE]
_PASSTHROUGH = "zeros_like ones_like full_like empty_like detach".split() + [
    name for name, trait in _TRAITS.items() if trait == PASSTHROUGH]
# Random ops see the batched tensor itself: they draw per example or per batch entry as
# vmap's randomness says (ember.ops.creation.batched_draw, random_ops._fill).
_DRAW = "rand_like randn_like randint_like normal_ uniform_ bernoulli_ exponential_ random_"
_REDUCE = [name for name, trait in _TRAITS.items() if trait == REDUCE]

for _n in _POINTWISE:
    RULES[_n] = _pointwise_rule
for _n in _PASSTHROUGH:
    RULES[_n] = _passthrough_rule
for _n in _DRAW.split():
    RULES[_n] = _composite_rule
for _n in _REDUCE:
    RULES[_n] = _reduce_rule
for _n in ("softmax", "log_softmax", "cumsum", "cumprod", "unbind", "select", "narrow",
           "unflatten"):
    RULES[_n] = _dim_rule((1,), ("dim",))
for _n in ("split", "split_with_sizes", "chunk", "tensor_split", "unsafe_split", "unsafe_chunk"):
    RULES[_n] = _dim_rule((2,), ("dim",))
for _n in ("transpose", "swapaxes", "swapdims"):
    RULES[_n] = _dim_rule((1, 2), ("dim0", "dim1"))
for _n in ("movedim", "moveaxis"):
    RULES[_n] = _dim_rule((1, 2), ("source", "destination"))
RULES["unsqueeze"] = _dim_rule((1,), ("dim",), extra=1)
RULES["reshape"] = RULES["view"] = _reshape_rule
RULES["expand"] = RULES["broadcast_to"] = _expand_rule
RULES["permute"] = _permute_rule
RULES["squeeze"] = _squeeze_rule
RULES["t"] = _t_rule
RULES["flatten"] = _flatten_rule
for _n in ("matmul", "mm", "bmm", "mv", "dot"):
    RULES[_n] = _matmul_rule
for _n in ("max_pool2d_with_indices", "avg_pool2d", "adaptive_avg_pool2d",
           "adaptive_max_pool2d", "im2col", "col2im"):
    RULES[_n] = _fold_rule
RULES["gather_rows"] = RULES["scatter_rows"] = _rows_rule
RULES["convolution"] = _conv_rule
RULES["linear"] = _linear_rule
RULES["layer_norm"] = _passthrough_rule
RULES["nll_loss"] = _nll_rule
RULES["einsum_core"] = _einsum_rule
RULES["einsum"] = _composite_rule
for _n in ("mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"):
    RULES[_n] = _loss_rule
RULES["pad"] = _pad_rule
for _n in ("max", "min", "argmax", "argmin"):
    RULES[_n] = _extreme_rule
RULES["getitem"] = RULES["__getitem__"] = _getitem_rule
RULES["group_norm"] = _fold_rule
RULES["batch_norm"] = _batch_norm_rule
RULES["embedding"] = _passthrough_rule
for _n in ("gather", "scatter", "scatter_add"):
    RULES[_n] = _align_rule(("dim",))
RULES["stack"] = _align_rule(("dim",), extra=1)
for _n in ("cat", "concat", "concatenate", "slice_scatter", "select_scatter"):
    RULES[_n] = _align_rule(("dim",))
RULES["diagonal"] = RULES["diagonal_scatter"] = _align_rule(("dim1", "dim2"))
RULES["cross_entropy_rows"] = _general_path_rule


# -- vmap ------------------------------------------------------------------------------

def _flatten_tree(x: Any) -> tuple:
    """Leaves and a rebuild function for nested tuples, lists and dicts."""
    if isinstance(x, (tuple, list)):
        parts = [_flatten_tree(v) for v in x]
        leaves = [leaf for p in parts for leaf in p[0]]

        def build(vals: list, parts: list = parts, kind: type = type(x)) -> Any:
            out, k = [], 0
            for lv, b in parts:
                out.append(b(vals[k:k + len(lv)]))
                k += len(lv)
            return _rebuild(kind, out)

        return leaves, build
    if isinstance(x, dict):
        keys = list(x)
        parts = [_flatten_tree(x[k]) for k in keys]
        leaves = [leaf for p in parts for leaf in p[0]]

        def build_d(vals: list, parts: list = parts, keys: list = keys) -> Any:
            out, k = {}, 0
            for key, (lv, b) in zip(keys, parts):
                out[key] = b(vals[k:k + len(lv)])
                k += len(lv)
            return out

        return leaves, build_d
    return [x], lambda vals: vals[0]


def _dims_for(in_dims: Any, args: tuple) -> list:
    """One in_dim per leaf of args."""
    leaves, _ = _flatten_tree(list(args))
    if isinstance(in_dims, int) or in_dims is None:
        return [in_dims] * len(leaves)
    if not isinstance(in_dims, (tuple, list)) or len(in_dims) != len(args):
        raise ValueError(
            f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
            f"structure of `inputs`. in_dims has structure {in_dims} but inputs has "
            f"{len(args)} arguments.")
    out = []
    for d, a in zip(in_dims, args):
        n = len(_flatten_tree(a)[0])
        if isinstance(d, int) or d is None:
            out.extend([d] * n)
        else:
            sub, _ = _flatten_tree(d)
            if len(sub) != n:
                raise ValueError("vmap: in_dims is not compatible with the structure of "
                                 "`inputs`.")
            out.extend(sub)
    return out


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """vmap is the vectorizing map; vmap(func) returns a new function that maps func over
    some dimension of the inputs."""

    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        leaves, build = _flatten_tree(list(args))
        dims = _dims_for(in_dims, args)
        size = None
        for x, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(x, Tensor):
                raise ValueError(
                    f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                    f"for an input but the input is of type {type(x)}. We cannot vmap over "
                    "non-Tensor arguments, please use None as the respective in_dim")
            nd = x.dim()
            if d < -nd or d >= nd or nd == 0:
                raise ValueError(
                    f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                    f"for some input, but that input is a Tensor of dimensionality {nd} so "
                    f"expected in_dim to satisfy -{nd} <= in_dim < {nd}.")
            n = x.shape[d]
            if size is not None and n != size:
                raise ValueError(
                    f"vmap: Expected all tensors to have the same size in the mapped dimension,"
                    f" got sizes {[x.shape[e] for x, e in zip(leaves, dims) if e is not None]}"
                    " for the mapped dimension")
            size = n
        if size is None:
            raise ValueError(
                f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dims={in_dims}"
                " but none of the inputs are Tensors nor have an in_dim that is not None")
        if chunk_size is not None and chunk_size < size:
            inner = vmap(func, in_dims, out_dims, randomness)
            return _chunked(inner, leaves, build, dims, size, chunk_size, out_dims, kwargs)
        level = next(_levels)
        LEVEL_SIZE[level] = size
        _dispatch.ACTIVE[0] += 1
        RANDOMNESS.append((level, randomness))
        _random.draw_check[0] = _check_randomness
        try:
            vals = [x if d is None else wrap_at(x, level, d % x.dim())
                    for x, d in zip(leaves, dims)]
            out = func(*build(vals), **kwargs)
            return _unwrap_outputs(out, level, out_dims, size)
        finally:
            _dispatch.ACTIVE[0] -= 1
            del LEVEL_SIZE[level]
            RANDOMNESS.pop()
            if not RANDOMNESS:
                _random.draw_check[0] = None

    return wrapped


def _chunked(inner: Callable, leaves: list, build: Callable, dims: list, size: int,
             chunk_size: int, out_dims: Any, kwargs: dict) -> Any:
    """`inner` (the unchunked vmap) over `chunk_size` examples at a time, the results
    concatenated along out_dims."""
    results = []
    for start in range(0, size, chunk_size):
        n = min(chunk_size, size - start)
        part = [x if d is None else op("narrow")(x, d, start, n) for x, d in zip(leaves, dims)]
        results.append(_flatten_tree(inner(*build(part), **kwargs)))
    out_leaves, out_build = results[0]
    odims = [out_dims] * len(out_leaves) if isinstance(out_dims, int) else \
        _flatten_tree(out_dims)[0]
    merged = []
    for k, d in enumerate(odims):
        if d is None:
            merged.append(results[0][0][k])
        else:
            merged.append(op("cat")([r[0][k] for r in results], d))
    return out_build(merged)


def _name(func: Callable) -> str:
    return getattr(func, "__name__", repr(func))


def _unwrap_outputs(out: Any, level: int, out_dims: Any, size: int) -> Any:
    leaves, build = _flatten_tree(out)
    dims = [out_dims] * len(leaves) if isinstance(out_dims, int) else \
        _flatten_tree(out_dims)[0]
    if len(dims) != len(leaves):
        raise ValueError("vmap: out_dims is not compatible with the structure of `outputs`.")
    res = []
    for x, d in zip(leaves, dims):
        if not isinstance(x, Tensor):
            raise ValueError(
                "vmap: The function must return Tensors, or tuples/lists/dicts of Tensors; "
                f"got {type(x).__name__}")
        if d is None:
            if level_of(x) == level or _batched_below(x, level):
                raise ValueError("vmap: out_dims=None is only valid for outputs that are not "
                                 "batched.")
            res.append(x)
            continue
        u = unwrap_to(x, level, 0)
        if d:
            u = op("movedim")(u, 0, d)
        res.append(u)
    return build(res)


def _batched_below(x: Any, level: int) -> bool:
    while type(x) is BatchedTensor:
        if x._level == level:
            return True
        x = x._value
    return False


def _unbatched_output(out: Any, tan: Any) -> tuple | None:
    # Under vmap a node's output is the value under the wrappers (batch dimensions in
    # front): its tangent is laid out the same way.
    if type(out) is not BatchedTensor:
        return None
    return out._value, unwrap_to(tan, out._level)


forward_ad.output_unwrappers.append(_unbatched_output)
_transform_hooks.batched_handler[0] = _batched_handler
_transform_hooks.randomness_level[0] = different_randomness_level
_transform_hooks.batch_draw[0] = _draw_per_entry
