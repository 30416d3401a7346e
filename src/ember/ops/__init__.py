"""The derivative table, by family, and the binding of ops to Tensor methods, operators and
the math namespace that create_graph formulas use."""

from __future__ import annotations

from typing import Any

from .._dtypes import FROM_NUMPY
from .._tensor import Tensor
from .._transform_hooks import ACTIVE, ORIGINAL_OF, dispatch, transform_op
from ..autograd._grad_api import tensor_backward
from . import (
    _math,
    arithmetic,
    binning,
    conversion,
    creation,
    decomp,
    elementary,
    grids_and_distances,
    indexing,
    inplace,
    joining,
    lu,
    matrix,
    matrix_functions,
    nn_activation,
    nn_conv,
    nn_embedding,
    nn_kernels,
    nn_loss,
    nn_norm,
    nn_padding,
    nn_pool,
    nn_shuffle,
    nn_softmax,
    pointwise_special,
    products,
    random_ops,
    reduction,
    shape,
    sorting,
    statistics,
    sum_mean,
)
from ._core import OperandTypeError, warn_once
from .arithmetic import (
    add,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    log1p,
    lt,
    mul,
    ne,
    neg,
    pow,
    reciprocal,
    rsub,
    sub,
    where,
)
from .conversion import to
from .inplace import add_, copy_, div_
from .products import matmul
from .shape import expand, permute, reshape, squeeze, transpose, unsqueeze
from .sum_mean import sum

FAMILIES = (arithmetic, sum_mean, shape, products, conversion, inplace, elementary,
            reduction, nn_kernels, nn_softmax, nn_conv, nn_pool, nn_norm, nn_embedding, nn_padding,
            nn_activation, nn_shuffle, nn_loss, joining, indexing, sorting, matrix, decomp,
            random_ops, pointwise_special, binning, grids_and_distances, lu, matrix_functions,
            statistics)
# Names in families' __all__ that are functions only (or methods with another signature).
NOT_METHODS = {"where", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
               "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_tensors",
               "take_along_dim", "index_put", "einsum", "tensordot", "kron", "diag_embed",
               "ger", "polygamma", "broadcast_shapes", "meshgrid", "searchsorted", "bucketize",
               "cdist", "real", "imag", "lu_unpack", "nuclear_norm", "frobenius_norm",
               "chain_matmul", "var_mean", "std_mean", "isin",
               "row_stack", "cartesian_prod", "trapezoid", "trapz", "cumulative_trapezoid",
               "unravel_index", "block_diag",
               "combinations", "cosine_similarity", "pairwise_distance"}


def _bind_methods() -> None:
    # Made here, above the ops that build it: Tensor(...) is torch's legacy constructor.
    Tensor.__new__ = creation.tensor_constructor
    Tensor.backward = tensor_backward
    for family in FAMILIES:
        for name in family.__all__:
            if name not in NOT_METHODS:
                setattr(Tensor, name, getattr(family, name))
    Tensor.where = lambda self, condition, other: where(condition, self, other)
    Tensor.expand_as = lambda self, other: expand(self, other._data.shape)
    Tensor.view_as = lambda self, other: shape.view(self, other._data.shape)
    Tensor.reshape_as = lambda self, other: reshape(self, other._data.shape)
    Tensor.T = property(_T)
    Tensor.mT = property(_mT)
    Tensor.mH = property(_mH)
    Tensor.H = property(_H)
    Tensor.new_tensor = lambda self, data, dtype=None, device=None, requires_grad=False: \
        creation.tensor(data, dtype=dtype or self.dtype, device=device or "cpu",
                        requires_grad=requires_grad)
    Tensor.new_zeros = lambda self, *size, dtype=None, device=None, requires_grad=False: \
        creation.new_filled("new_zeros", size, 0, dtype or self.dtype, device or "cpu",
                            requires_grad)
    Tensor.new_ones = lambda self, *size, dtype=None, device=None, requires_grad=False: \
        creation.new_filled("new_ones", size, 1, dtype or self.dtype, device or "cpu",
                            requires_grad)
    Tensor.new_empty = lambda self, *size, dtype=None, device=None, requires_grad=False: \
        creation.new_filled("new_empty", size, 0, dtype or self.dtype, device or "cpu",
                            requires_grad)
    Tensor.new_full = lambda self, size, fill_value, dtype=None, device=None, \
        requires_grad=False: creation.full(size, fill_value, dtype=dtype or self.dtype,
                                           device=device or "cpu", requires_grad=requires_grad)
    Tensor.type = conversion.tensor_type
    Tensor.resize_ = shape.resize_
    Tensor.split = lambda self, split_size, dim=0: shape.split(self, split_size, dim)
    Tensor.new = lambda self, *args, **kwargs: creation.legacy_new(self.dtype, args, kwargs)
    Tensor.polygamma = pointwise_special.polygamma_method
    Tensor.__getitem__ = indexing.getitem
    Tensor.__setitem__ = inplace.setitem
    Tensor.take_along_dim = lambda self, indices, dim=None: indexing.take_along_dim(
        self, indices, dim)
    Tensor.index_put = lambda self, indices, values, accumulate=False: indexing.index_put(
        self, indices, values, accumulate)




def _T(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd != 2:
        warn_once(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these "
            "cases." if nd == 0 else
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
            "to reverse the dimensions of a tensor.")
    return permute(self, tuple(range(nd - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd == 0:
        warn_once("Tensor.mT is deprecated on 0-D tensors. This function is the identity in "
                   "these cases.")
        return permute(self, ())
    if nd == 1:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           "Got 1-D tensor.")
    return transpose(self, -2, -1)


def _mH(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {nd}-D tensor.")
    return transpose(self, -2, -1)


def _H(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd != 2:
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{nd}-D tensor." + (" For batches of matrices, consider using "
                                                "tensor.mH" if nd > 2 else ""))
    return transpose(self, 0, 1)


def _matmul_op(self: Tensor, other: Any) -> Any:
    # As torch: `@` with a non-tensor is Python's "unsupported operand" TypeError.
    return matmul(self, other) if isinstance(other, Tensor) else NotImplemented


def _rmatmul_op(self: Tensor, other: Any) -> Any:
    return matmul(other, self) if isinstance(other, Tensor) else NotImplemented


def _bind_operators() -> None:
    ops = {
        "__add__": add, "__radd__": add, "__sub__": sub,
        "__rsub__": lambda self, other: rsub(self, other),
        "__mul__": mul, "__rmul__": mul, "__truediv__": div,
        "__rtruediv__": lambda self, other: mul(reciprocal(self), other),
        "__floordiv__": elementary.floor_divide,
        "__rfloordiv__": lambda self, other: elementary.floor_divide(other, self),
        "__mod__": elementary.remainder,
        "__rmod__": lambda self, other: elementary.remainder(other, self),
        "__imod__": inplace.remainder_, "__ifloordiv__": inplace.floor_divide_,
        "__pow__": pow, "__rpow__": lambda self, other: pow(other, self),
        "__matmul__": _matmul_op, "__rmatmul__": _rmatmul_op,
        "__neg__": neg, "__pos__": lambda self: self, "__abs__": arithmetic.abs,
        "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
        "__iadd__": add_, "__isub__": inplace.sub_, "__imul__": inplace.mul_,
        "__itruediv__": div_,
        "__and__": arithmetic.bitwise_and, "__rand__": arithmetic.bitwise_and,
        "__or__": arithmetic.bitwise_or, "__ror__": arithmetic.bitwise_or,
        "__xor__": arithmetic.bitwise_xor, "__rxor__": arithmetic.bitwise_xor,
        "__invert__": arithmetic.invert_operator,
        "__lshift__": arithmetic.bitwise_left_shift,
        "__rlshift__": lambda self, other: arithmetic.bitwise_left_shift(other, self),
        "__rshift__": arithmetic.bitwise_right_shift,
        "__rrshift__": lambda self, other: arithmetic.bitwise_right_shift(other, self),
    }
    for name, fn in ops.items():
        if name in _NUMBER_OPERATORS:
            fn = _operator(fn, _OPERATOR_OPS[name])
        elif name in _OPERATOR_OPS and fn not in ORIGINAL_OF:
            fn = transform_op(fn, _OPERATOR_OPS[name])
        setattr(Tensor, name, fn)


# Operators that take numbers: any other operand gives NotImplemented, as torch's do.
_NUMBER_OPERATORS = {
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__",
    "__rpow__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__and__",
    "__rand__", "__or__", "__ror__", "__xor__", "__rxor__", "__lshift__", "__rlshift__",
    "__rshift__", "__rrshift__",
}


# The op each operator is to the transforms (so that batching and JVP rules apply); reflected
# ones without an op of their own keep their dunder name, which the batching rules treat as
# pointwise and forward AD differentiates through backward. The in-place ones are ops already.
_OPERATOR_OPS = {
    "__add__": "add", "__radd__": "add", "__sub__": "sub", "__rsub__": "rsub",
    "__mul__": "mul", "__rmul__": "mul", "__truediv__": "div", "__pow__": "pow",
    "__neg__": "neg", "__abs__": "abs", "__matmul__": "matmul", "__eq__": "eq", "__ne__": "ne",
    "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
    "__lshift__": "bitwise_left_shift", "__rshift__": "bitwise_right_shift",
}
for _k in ("__rtruediv__", "__floordiv__", "__rfloordiv__", "__rpow__", "__mod__", "__rmod__",
           "__and__", "__rand__", "__or__", "__ror__", "__xor__", "__rxor__", "__invert__",
           "__rmatmul__", "__rlshift__", "__rrshift__"):
    _OPERATOR_OPS[_k] = _k


def _operator(fn: Any, name: str) -> Any:
    # The transform check and the operand test in one frame (an operator is the hottest
    # call there is): the op itself is called, not its transform-aware wrapper.
    plain = ORIGINAL_OF.get(fn, fn)
    direct = getattr(plain, "binary", None)
    if direct is not None:
        np_fn, cls, save = direct
        binary = arithmetic._binary

        def op(self: Tensor, other: Any) -> Any:
            try:
                if ACTIVE[0]:
                    return dispatch(plain, name, (self, other), {}, op)
                return binary(np_fn, cls, self, other, save)
            except OperandTypeError:
                return NotImplemented

        op.__name__ = getattr(fn, "__name__", "op")
        return op

    def op(self: Tensor, other: Any) -> Any:
        try:
            if ACTIVE[0]:
                return dispatch(plain, name, (self, other), {}, op)
            return plain(self, other)
        except OperandTypeError:
            return NotImplemented

    op.__name__ = getattr(fn, "__name__", "op")
    return op


def _sum_to(g: Tensor, target: tuple) -> Tensor:
    lead = g._data.ndim - len(target)
    dims = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(target) if s == 1 and g._data.shape[i + lead] != 1)
    if dims:
        g = sum(g, dims, keepdim=True)
    return reshape(g, target) if g._data.shape != tuple(target) else g


def _unsqueeze_dims(g: Tensor, dims: Any, ndim: int) -> Tensor:
    if dims is None or not g._data.ndim:
        return reshape(g, (1,) * ndim)
    for d in sorted(dims):
        g = unsqueeze(g, d)
    return g


def _outer(a: Tensor, b: Tensor) -> Tensor:
    return mul(unsqueeze(a, -1), b)


def _fill_graph_indexing(g: Any) -> None:
    import numpy as np

    from .indexing import _index_put, _Prepared

    def z(shape: tuple, dt: Any) -> Tensor:
        return creation.zeros(shape, dtype=dt)

    def t(a: Any) -> Any:
        return Tensor._make(a) if isinstance(a, np.ndarray) else a

    def put_flat(x: Tensor, index: Any, src: Tensor, acc: bool) -> Tensor:
        flat = _index_put(reshape(x, -1), _Prepared((index.reshape(-1),)), reshape(src, -1),
                          acc)
        return reshape(flat, x._data.shape)

    g.zeros, g.const = z, t
    g.narrow = lambda x, dim, a, n: shape.slice_dim(x, dim, a, a + n, 1)
    g.select = shape.select
    g.slice = shape.slice_dim
    g.select_backward = lambda x, s, dim, i: joining.select_scatter(z(s, x.dtype), x, dim, i)
    g.slice_backward = lambda x, s, dim, a, b, step: joining.slice_scatter(
        z(s, x.dtype), x, dim, a, b, step)
    g.select_scatter, g.slice_scatter = joining.select_scatter, joining.slice_scatter
    g.cat, g.stack, g.flip, g.roll = joining.cat, joining.stack, joining.flip, joining.roll
    g.rot90 = joining.rot90
    g.index = lambda x, idx: indexing.index(x, _Prepared(idx))
    g.index_backward = lambda x, s, idx: _index_put(z(s, x.dtype), _Prepared(idx), x, True)
    g.index_put = lambda x, idx, v, acc: _index_put(x, _Prepared(idx), v, acc)
    g.gather = lambda x, dim, i: indexing.gather(x, dim, t(i))
    g.gather_backward = lambda x, s, dim, i: indexing.scatter_add(z(s, x.dtype), dim, t(i), x)
    g.scatter_add = lambda x, dim, i, src: indexing.scatter_add(x, dim, t(i), src)
    g.scatter_value = lambda x, dim, i, v: indexing.scatter(x, dim, t(i), value=v)
    g.scatter_reduce = lambda x, dim, i, src, r, incl: indexing.scatter_reduce(
        x, dim, t(i), src, r, include_self=incl)
    g.index_select = lambda x, dim, i: indexing.index_select(x, dim, t(i))
    g.index_select_backward = lambda x, s, dim, i: indexing.index_add(z(s, x.dtype), dim, t(i),
                                                                      x)
    g.index_fill = lambda x, dim, i, v: indexing.index_fill(x, dim, t(i), v)
    g.masked_select = lambda x, mask: indexing.masked_select(x, t(mask))
    g.masked_scatter = lambda x, mask, src: indexing.masked_scatter(x, t(mask), src)
    g.take_backward = lambda x, s, i: put_flat(z(s, x.dtype), i, x, True)
    g.as_strided_view = lambda x, i: reshape(
        indexing.index(reshape(x, -1), _Prepared((i.reshape(-1),))), i.shape)
    g.as_strided_scatter = lambda x, src, i: put_flat(x, i, src, False)
    g.as_strided_backward = lambda x, s, i: put_flat(z(s, x.dtype), i, x, True)
    g.eye = lambda s, dt: creation.eye(s[0], s[1], dtype=dt)
    g.tril, g.triu, g.diagonal = matrix.tril, matrix.triu, matrix.diagonal
    g.diag_embed = matrix.diag_embed
    g.diagonal_backward = lambda x, s, off, d1, d2: matrix.diagonal_scatter(
        z(s, x.dtype), x, off, d1, d2)
    g.diagonal_scatter = matrix.diagonal_scatter
    g.cross = lambda a, b, dim: matrix.linalg_cross(a, b, dim=dim)
    g.einsum_core = matrix.einsum_core
    g.inv = decomp.inv
    g.solve_triangular = lambda a, b, upper, left, unit: decomp.solve_triangular(
        a, b, upper=upper, left=left, unitriangular=unit)
    g.det_backward = lambda x, a, det: decomp._det_backward_graph(g, x, a, det)
    g.pinv = decomp.pinv
    g.matrix_exp = matrix_functions.matrix_exp


def _graph_sum(x: Tensor, dims: Any = None, keepdim: bool = False) -> Tensor:
    """The math namespace's sum on tensors. Empty dims reduce nothing, as NumPy's axis=()
    does in the raw namespace, so one formula means the same on arrays and on tensors
    (torch's sum(dim=()) would reduce every dimension)."""
    if isinstance(dims, (tuple, list)) and not dims:
        return x
    return sum(x, dims, keepdim)


def _fill_graph_math() -> None:
    g = _math.graph
    _fill_graph_indexing(g)
    g.sum_to = _sum_to
    g.cast = lambda t, dt: to(t, FROM_NUMPY[dt])
    g.sum = _graph_sum
    g.expand = expand
    g.reshape = reshape
    g.unsqueeze_dims = _unsqueeze_dims
    g.unsqueeze = unsqueeze
    g.squeeze = squeeze
    g.where = where
    g.exp, g.log, g.log1p = exp, log, log1p
    g.sin, g.cos, g.sqrt = arithmetic.sin, arithmetic.cos, arithmetic.sqrt
    g.sign, g.abs, g.sigmoid = arithmetic.sign, arithmetic.abs, arithmetic.sigmoid
    g.matmul = matmul
    g.mT = lambda x: transpose(x, -2, -1)
    g.transpose = transpose
    g.permute = permute
    g.outer = _outer
    g.zeros_like = creation.zeros_like
    g.ones_like = creation.ones_like
    g.pow = pow
    pm = elementary
    g.rsqrt, g.sinh, g.cosh, g.erfinv = pm.rsqrt, pm.sinh, pm.cosh, pm.erfinv
    g.floor, g.trunc, g.isfinite, g.xlogy = pm.floor, pm.trunc, pm.isfinite, pm.xlogy
    g.div_floor = lambda a, b: arithmetic.div(a, b, rounding_mode="floor")
    g.cumsum, g.cumprod = reduction.cumsum, reduction.cumprod
    g.logcumsumexp = reduction.logcumsumexp
    g.digamma, g.polygamma = pointwise_special.digamma, pointwise_special.polygamma
    g.threshold_backward = arithmetic.threshold_backward


def _bind_argument_parser() -> None:
    import types

    from .._arg_parser import bind
    from .._signatures import METHODS

    for name, signatures in METHODS.items():
        fn = Tensor.__dict__.get(name)
        if isinstance(fn, types.FunctionType):
            setattr(Tensor, name, bind(fn, signatures, method=True))


_bind_methods()
_bind_argument_parser()
_bind_operators()
_fill_graph_math()

__all__ = ["FAMILIES", "copy_"]
