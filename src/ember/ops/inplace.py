"""In-place ops: each runs its out-of-place op and writes the result into the tensor, which
then takes over the op's node as its grad_fn (torch's history rebasing)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._dtypes import FROM_NUMPY, can_cast, type_meta_name
from .._quiet import quiet_off, quiet_on
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from .._version import ZERO_VC, bump_version, saved_counter
from ..autograd.grad_mode import state as _mode
from ..autograd.graph import note_rebase
from . import arithmetic, elementary, indexing, matrix
from ._core import (
    attach,
    checked_scalar,
    node_class,
    quiet,
    shape_str,
    unary_op,
)
from .shape import expand, writable_alias
from .view_rebase import OVERLAP_MESSAGE, check_view_rebase, rebase_view

ndarray = np.ndarray

__all__ = ["add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_", "clamp_", "pow_",
           "neg_", "exp_", "relu_", "sigmoid_", "tanh_", "sqrt_", "clip_", "abs_", "log_",
           "sin_", "cos_", "reciprocal_", "square_"]


def check_inplace(self: Tensor, *others: Any) -> None:
    """torch refuses in-place changes that it would record (grad mode on and self or one of
    the op's other tensors requiring grad) to leaves that require grad, to their views, and
    to views made in no_grad mode or by ops returning several views."""
    if not _mode.enabled or not (self._rg or any(
            isinstance(o, Tensor) and o._rg for o in others)):
        return
    base = self._base
    if base is not None:
        check_view_rebase(self, False)
        if self._rg and base._fn is None and base._rg:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
    elif self._fn is None and self._rg:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation.")


def check_writable(dst: np.ndarray) -> None:
    """torch refuses to write into a view whose elements share memory locations (what
    expand makes): the only views that are read-only."""
    if not dst.flags.writeable:
        raise RuntimeError(OVERLAP_MESSAGE)


def write_result(self: Tensor, result: Tensor) -> Tensor:
    """Copies `result` into `self` with torch's casting and shape checks, takes over its
    history, and bumps the version counter."""
    src, dst = result._data, self._data
    # torch checks the output's shape before its type.
    if src.shape != dst.shape:
        full = np.broadcast_shapes(src.shape, dst.shape)
        raise RuntimeError(f"output with shape {shape_str(dst.shape)} doesn't match the "
                           f"broadcast shape {shape_str(full)}")
    rd, sd = FROM_NUMPY[src.dtype], FROM_NUMPY[dst.dtype]
    if not can_cast(rd, sd):
        raise RuntimeError(f"result type {rd._legacy} can't be cast to the desired output "
                           f"type {sd._legacy}")
    check_writable(dst)
    np.copyto(dst, src, casting="unsafe")
    bump_version(self)
    if result._fn is not None:
        if result._vc is not ZERO_VC and src.dtype == dst.dtype:
            _adopt_saved_output(result, self)
        note_rebase(self, result._fn, result._nr)
        self._fn = result._fn
        self._nr = result._nr
        self._rg = True
        if self._base is not None:
            rebase_view(self)
    return self


def _adopt_saved_output(result: Tensor, self: Tensor) -> None:
    """A node that saved its output `result` saves `self` instead, now that self holds the
    result: as in torch, changing self in place afterwards makes that node's backward fail
    (and the separate result array is not kept)."""
    node = result._fn
    saved, codes = node._saved, node._vars
    if type(saved) is not tuple or not codes:
        return
    code = -1 - result._nr
    values, checks = list(saved), list(node._checks)
    k = 0
    for i, (s, v) in enumerate(zip(saved, codes)):
        if v is s:
            continue
        if type(v) is int and v == code and s is result._data:
            values[i] = self._data
            checks[k], checks[k + 1] = saved_counter(self)
        k += 2
    node._saved = tuple(values)
    node._checks = tuple(checks)


def apply_in_place(op: Callable, self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Runs the out-of-place `op` on self and writes the result into self, which takes over
    its node."""
    check_inplace(self, *args, *kwargs.values())
    return _write_through(op, self, *args, **kwargs)


def _write_through(op: Callable, self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    if _mode.enabled and (self._rg or any(isinstance(a, Tensor) and a._rg for a in args)):
        # The op may save its input for backward: give it a copy that carries self's
        # history, since self's memory is about to be overwritten.
        before = Tensor._make(self._data.copy())
        before._fn, before._nr, before._rg = self._fn, self._nr, self._rg
        return write_result(self, op(before, *args, **kwargs))
    return write_result(self, op(self, *args, **kwargs))


def inplace(op: Callable, doc: str, check: Callable | None = None) -> Callable:
    """The in-place form of the out-of-place `op`; `check(self, *args)` runs the in-place
    kernel's own checks where they differ from the op's."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_inplace(self, *args, *kwargs.values())
        if check is not None:
            check(self, *args, **kwargs)
        return _write_through(op, self, *args, **kwargs)

    method.__doc__ = doc
    return method


def unary_in_place(op: Callable, cls: type) -> Callable:
    """The in-place form of a unary op made by `unary_op`, as torch's in-place activations
    record it: the tensor takes the result and the history of a `cls` node that saves the
    result (so no copy of the input is kept)."""
    compute = unary_op(cls, saves="result", **op.options)

    def op_(input: Tensor, *ctx: Any) -> Tensor:
        check_inplace(input)
        return write_result(input, compute(input, *ctx))

    op_.__name__ = op.__name__ + "_"
    op_.__doc__ = f"In-place version of {op.__name__}."
    return op_


ZeroBackward0 = node_class("ZeroBackward0", lambda m, g: g * 0)
FillBackward2 = node_class("FillBackward2", lambda m, g: g * 0)
FillBackward3 = node_class("FillBackward3", lambda m, g: g * 0, lambda m, g: m.sum(g))
CopyBackwards = node_class("CopyBackwards", lambda m, g: g * 0, lambda m, g: g)
# torch's copy_ node is a hand-written C++ class, named with its namespace.
CopyBackwards.name = lambda self: "torch::autograd::CopyBackwards"


def _constant(self: Tensor, value: Any, cls: type) -> Tensor:
    check_inplace(self, value)
    dst = self._data
    source = None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        source = value
        value = value._data
    if cls in (ZeroBackward0, FillBackward2) and source is None and not dst.flags.writeable:
        # torch's zero_ and fill_ with a number do not check for shared locations: they
        # write them all (a tensor value, or `x[key] = number`, is checked).
        dst = writable_alias(dst)
    elif cls is not ZeroBackward0 and isinstance(value, (int, float, np.number, np.bool_)):
        value = checked_scalar(value, dst.dtype)
    check_writable(dst)
    dst[...] = value
    bump_version(self)
    if source is not None and _mode.enabled and (self._rg or source._rg):
        # A tensor value gets the sum of the gradient, as torch's fill_.Tensor does.
        meta = None if source._data.dtype == dst.dtype else [None, ((), source._data.dtype)]
        attach(FillBackward3, self, (self, source), (), (), meta)
        if self._base is not None:
            rebase_view(self)
    elif self._rg and _mode.enabled:
        # A node with two formulas also takes the number: an input without an edge.
        attach(cls, self, (self,) if len(cls.formulas) == 1 else (self, None))
        if self._base is not None:
            rebase_view(self)
    return self


def _check_expandable(src: tuple, dst: tuple) -> None:
    """torch's error when `src` cannot be expanded to `dst`: the first mismatch from the
    right, tensor a being the destination."""
    n = max(len(src), len(dst))
    full = []
    for i in range(n - 1, -1, -1):
        a = dst[i - n + len(dst)] if i - n + len(dst) >= 0 else 1
        b = src[i - n + len(src)] if i - n + len(src) >= 0 else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {i}")
        full.insert(0, a if b == 1 else b)
    if tuple(full) != tuple(dst):
        raise RuntimeError(f"output with shape {shape_str(dst)} doesn't match the broadcast "
                           f"shape {shape_str(full)}")


def zero_(self: Tensor) -> Tensor:
    """Fills self tensor with zeros."""
    return _constant(self, 0, ZeroBackward0)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fills self tensor with the specified value."""
    return _constant(self, value, FillBackward2)


def assign_number_(self: Tensor, value: Any) -> Tensor:
    """`tensor[key] = number` on what the key selects: torch makes the number a 0-dim
    tensor, which it copies into a 0-dim target and fills any other with."""
    return _constant(self, value, CopyBackwards if self._data.ndim == 0 else FillBackward3)


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copies the elements from src into self tensor and returns self."""
    check_inplace(self, src)
    if isinstance(src, (int, float, np.number, np.bool_)):
        # torch's parser lets copy_ take a number as a 0-dim tensor (bool, int64 or double),
        # which is then cast into self as a tensor would be (wrapping, inf).
        src = Tensor._make(np.asarray(src))
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    dst = self._data
    if src._data.shape != dst.shape:
        _check_expandable(src._data.shape, dst.shape)
    check_writable(dst)
    quiet(np.copyto, dst, src._data, casting="unsafe")
    bump_version(self)
    if (self._rg or src._rg) and _mode.enabled:
        meta = None
        if src._data.shape != dst.shape or src._data.dtype != dst.dtype:
            meta = [None, (src._data.shape, src._data.dtype)]
        attach(CopyBackwards, self, (self, src), (), (), meta)
        if self._base is not None:
            rebase_view(self)
    return self


def _arithmetic(op: Callable, ufunc: np.ufunc, doc: str, alpha: bool = False) -> Callable:
    """The in-place form of a float arithmetic op: when nothing is recorded and the operand
    is a number or a tensor of self's dtype that broadcasts to self, NumPy writes the result
    straight into self's memory (`a -= g` on 0-dim tensors: 1.4 us where the general path,
    which computes a new tensor and copies it in, takes 3.4 us). With `alpha` the op takes
    a number alpha for a tensor operand, which scales it in self's dtype first, as the
    out-of-place op does (SGD's `p.data.add_(g, alpha=-lr)`)."""
    general = inplace(op, doc)

    def method(self: Tensor, other: Any, *args: Any, **kwargs: Any) -> Tensor:
        x = self._data
        scale = None
        if alpha and kwargs and not args and len(kwargs) == 1 and isinstance(other, Tensor):
            scale = kwargs.get("alpha")
            if type(scale) is not float and type(scale) is not int:
                return general(self, other, *args, **kwargs)
            kwargs = {}
        if args or kwargs or type(x) is not ndarray or x.dtype.kind != "f" or \
                not x.flags.writeable:
            return general(self, other, *args, **kwargs) if scale is None else \
                general(self, other, alpha=scale)
        t = type(other)
        if t is float or t is int:
            if self._rg and _mode.enabled:
                return general(self, other)
            # A 0-dim array meets the number in its own dtype (NumPy 1.x would widen it).
            y = other if x.ndim else x.dtype.type(other)
        elif isinstance(other, Tensor):
            y = other._data
            if y.dtype is not x.dtype or (y.ndim and y.shape != x.shape) or (
                    _mode.enabled and (self._rg or other._rg)):
                return general(self, other) if scale is None else \
                    general(self, other, alpha=scale)
        else:
            return general(self, other)
        token = quiet_on()
        try:
            if scale is not None and scale != 1:
                # x + scale * y (or x - scale * y) fused, as the out-of-place op computes it.
                s = scale if ufunc is np.add else -scale
                np.copyto(x, arithmetic.scaled_sum(x, y, s, x.dtype))
            else:
                ufunc(x, y, out=x)
        finally:
            quiet_off(token)
        bump_version(self)
        return self

    method.__doc__ = doc
    return method


add_ = _arithmetic(arithmetic.add, np.add, "In-place version of add().", alpha=True)
sub_ = _arithmetic(arithmetic.sub, np.subtract, "In-place version of sub().", alpha=True)
mul_ = _arithmetic(arithmetic.mul, np.multiply, "In-place version of mul().")
div_ = _arithmetic(arithmetic.div, np.true_divide, "In-place version of div().")
_clamp_ = inplace(arithmetic.clamp, "In-place version of clamp().")


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """In-place version of clamp()."""
    if self._data.dtype.kind in "iub" and (isinstance(min, float) or isinstance(max, float)):
        # Number bounds give torch's message with the C++ name of the output type.
        from .._dtypes import get_default_dtype

        raise RuntimeError(f"result type {get_default_dtype()._legacy} can't be cast to the "
                           f"desired output type {type_meta_name(self._data.dtype)}")
    return _clamp_(self, min, max)


clip_ = clamp_
pow_ = inplace(arithmetic.pow, "In-place version of pow().")
neg_ = inplace(arithmetic.neg, "In-place version of neg().")
exp_ = inplace(arithmetic.exp, "In-place version of exp().")
log_ = inplace(arithmetic.log, "In-place version of log().")
sin_ = inplace(arithmetic.sin, "In-place version of sin().")
cos_ = inplace(arithmetic.cos, "In-place version of cos().")
abs_ = inplace(arithmetic.abs, "In-place version of abs().")
relu_ = inplace(arithmetic.relu, "In-place version of relu().")
sigmoid_ = inplace(arithmetic.sigmoid, "In-place version of sigmoid().")
tanh_ = inplace(arithmetic.tanh, "In-place version of tanh().")
sqrt_ = inplace(arithmetic.sqrt, "In-place version of sqrt().")
reciprocal_ = inplace(arithmetic.reciprocal, "In-place version of reciprocal().")
square_ = inplace(arithmetic.square, "In-place version of square().")


# In-place forms of the ops in elementary.
expm1_ = inplace(elementary.expm1, "In-place version of expm1().")
exp2_ = inplace(elementary.exp2, "In-place version of exp2().")
log2_ = inplace(elementary.log2, "In-place version of log2().")
log10_ = inplace(elementary.log10, "In-place version of log10().")
rsqrt_ = inplace(elementary.rsqrt, "In-place version of rsqrt().")
tan_ = inplace(elementary.tan, "In-place version of tan().")
asin_ = inplace(elementary.asin, "In-place version of asin().")
acos_ = inplace(elementary.acos, "In-place version of acos().")
atan_ = inplace(elementary.atan, "In-place version of atan().")
arcsin_ = inplace(elementary.arcsin, "In-place version of arcsin().")
arccos_ = inplace(elementary.arccos, "In-place version of arccos().")
arctan_ = inplace(elementary.arctan, "In-place version of arctan().")
atan2_ = inplace(elementary.atan2, "In-place version of atan2().")
arctan2_ = inplace(elementary.arctan2, "In-place version of arctan2().")
sinh_ = inplace(elementary.sinh, "In-place version of sinh().")
cosh_ = inplace(elementary.cosh, "In-place version of cosh().")
asinh_ = inplace(elementary.asinh, "In-place version of asinh().")
acosh_ = inplace(elementary.acosh, "In-place version of acosh().")
atanh_ = inplace(elementary.atanh, "In-place version of atanh().")
arcsinh_ = inplace(elementary.arcsinh, "In-place version of arcsinh().")
arccosh_ = inplace(elementary.arccosh, "In-place version of arccosh().")
arctanh_ = inplace(elementary.arctanh, "In-place version of arctanh().")
logit_ = inplace(elementary.logit, "In-place version of logit().")
erf_ = inplace(elementary.erf, "In-place version of erf().")
erfc_ = inplace(elementary.erfc, "In-place version of erfc().")
erfinv_ = inplace(elementary.erfinv, "In-place version of erfinv().")
sgn_ = inplace(elementary.sgn, "In-place version of sgn().")
floor_ = inplace(elementary.floor, "In-place version of floor().")
ceil_ = inplace(elementary.ceil, "In-place version of ceil().")
round_ = inplace(elementary.round, "In-place version of round().")
trunc_ = inplace(elementary.trunc, "In-place version of trunc().")
fix_ = inplace(elementary.fix, "In-place version of fix().")
frac_ = inplace(elementary.frac, "In-place version of frac().")
clamp_min_ = inplace(elementary.clamp_min, "In-place version of clamp_min().")
clamp_max_ = inplace(elementary.clamp_max, "In-place version of clamp_max().")
lerp_ = inplace(elementary.lerp, "In-place version of lerp().")
addcmul_ = inplace(elementary.addcmul, "In-place version of addcmul().")
addcdiv_ = inplace(elementary.addcdiv, "In-place version of addcdiv().")
hypot_ = inplace(elementary.hypot, "In-place version of hypot().")
remainder_ = inplace(elementary.remainder, "In-place version of remainder().")
fmod_ = inplace(elementary.fmod, "In-place version of fmod().")
floor_divide_ = inplace(elementary.floor_divide, "In-place version of floor_divide().")
xlogy_ = inplace(elementary.xlogy, "In-place version of xlogy().")
nan_to_num_ = inplace(elementary.nan_to_num, "In-place version of nan_to_num().")
sign_ = inplace(arithmetic.sign, "In-place version of sign().")


def float_power_(self: Tensor, exponent: Any) -> Tensor:
    """In-place version of float_power(): self must already be double."""
    if self._data.dtype != np.float64:
        raise RuntimeError("the base given to float_power_ has dtype "
                           f"{FROM_NUMPY[self._data.dtype]._legacy} but the operation's result "
                           "requires dtype Double")
    return _float_power_(self, exponent)


_float_power_ = inplace(elementary.float_power, "")

__all__ += [  # noqa: PLE0604
    "expm1_", "exp2_", "log2_", "log10_", "rsqrt_", "tan_", "asin_", "acos_", "atan_", "arcsin_",
    "arccos_", "arctan_", "atan2_", "arctan2_", "sinh_", "cosh_", "asinh_", "acosh_", "atanh_",
    "arcsinh_", "arccosh_", "arctanh_", "logit_", "erf_", "erfc_", "erfinv_", "sgn_", "floor_",
    "ceil_", "round_", "trunc_", "fix_", "frac_", "clamp_min_", "clamp_max_", "lerp_", "addcmul_",
    "addcdiv_", "hypot_", "remainder_", "fmod_", "floor_divide_", "xlogy_", "nan_to_num_", "sign_",
    "float_power_",
]


# In-place comparisons: self holds the comparison as its own dtype (1 or 0); a self that
# requires grad records torch's node, whose gradients are zeros (Backward0 against a
# number, Backward1 against a tensor).
def _comparison_(op: Callable, node: str, doc: str) -> Callable:
    by_number = node_class(f"{node}Backward0", lambda m, g: m.zeros_like(g))
    by_tensor = node_class(f"{node}Backward1", lambda m, g, s, o: m.zeros_like(g),
                           lambda m, g, s, o: m.zeros_like(m.sum_to(g, o)))

    def method(self: Tensor, other: Any) -> Tensor:
        is_tensor = isinstance(other, Tensor)
        check_inplace(self, other)
        grad = _mode.enabled and (self._rg or is_tensor and other._rg)
        result = op(self, other)
        before_fn, before_nr = self._fn, self._nr
        write_result(self, result)
        if grad:
            out = Tensor._make(self._data)
            if is_tensor:
                attach(by_tensor, out, (_history(self, before_fn, before_nr), other), (),
                       (tuple(self._data.shape), tuple(other._data.shape)))
            else:
                attach(by_number, out, (_history(self, before_fn, before_nr),))
            note_rebase(self, out._fn, out._nr)
            self._fn, self._nr, self._rg = out._fn, out._nr, True
            if self._base is not None:
                rebase_view(self)
        return self

    method.__doc__ = doc
    return method


def _history(self: Tensor, fn: Any, nr: int) -> Tensor:
    """A stand-in for self as it was before the in-place op: its node's output."""
    t = Tensor._make(self._data)
    t._fn, t._nr, t._rg = fn, nr, self._rg
    return t


eq_ = _comparison_(arithmetic.eq, "Eq", "In-place version of eq().")
ne_ = not_equal_ = _comparison_(arithmetic.ne, "Ne", "In-place version of ne().")
lt_ = less_ = _comparison_(arithmetic.lt, "Lt", "In-place version of lt().")
le_ = less_equal_ = _comparison_(arithmetic.le, "Le", "In-place version of le().")
gt_ = greater_ = _comparison_(arithmetic.gt, "Gt", "In-place version of gt().")
ge_ = greater_equal_ = _comparison_(arithmetic.ge, "Ge", "In-place version of ge().")
logical_and_ = inplace(arithmetic.logical_and, "In-place version of logical_and().")
logical_or_ = inplace(arithmetic.logical_or, "In-place version of logical_or().")
logical_xor_ = inplace(arithmetic.logical_xor, "In-place version of logical_xor().")
logical_not_ = inplace(arithmetic.logical_not, "In-place version of logical_not().")
bitwise_and_ = inplace(arithmetic.bitwise_and, "In-place version of bitwise_and().")
bitwise_or_ = inplace(arithmetic.bitwise_or, "In-place version of bitwise_or().")
bitwise_xor_ = inplace(arithmetic.bitwise_xor, "In-place version of bitwise_xor().")
bitwise_not_ = inplace(arithmetic.bitwise_not, "In-place version of bitwise_not().")
bitwise_left_shift_ = inplace(arithmetic.bitwise_left_shift,
                              "In-place version of bitwise_left_shift().")
bitwise_right_shift_ = inplace(arithmetic.bitwise_right_shift,
                               "In-place version of bitwise_right_shift().")
divide_ = inplace(arithmetic.divide, "In-place version of divide().")
true_divide_ = inplace(arithmetic.true_divide, "In-place version of true_divide().")
multiply_ = inplace(arithmetic.multiply, "In-place version of multiply().")
subtract_ = inplace(arithmetic.subtract, "In-place version of subtract().")
negative_ = inplace(arithmetic.negative, "In-place version of negative().")
absolute_ = inplace(arithmetic.absolute, "In-place version of absolute().")
addmm_ = inplace(matrix.addmm, "In-place version of addmm().")
addbmm_ = inplace(matrix.addbmm, "In-place version of addbmm().")
baddbmm_ = inplace(matrix.baddbmm, "In-place version of baddbmm().")
addmv_ = inplace(matrix.addmv, "In-place version of addmv().")




__all__ += [  # noqa: PLE0604
    "eq_", "ne_", "not_equal_", "lt_", "less_", "le_", "less_equal_", "gt_", "greater_", "ge_",
    "greater_equal_", "logical_and_", "logical_or_", "logical_xor_", "logical_not_",
    "bitwise_and_", "bitwise_or_", "bitwise_xor_", "bitwise_not_", "bitwise_left_shift_",
    "bitwise_right_shift_", "divide_", "true_divide_", "multiply_", "subtract_", "negative_",
    "absolute_", "addmm_", "addbmm_", "baddbmm_", "addmv_",
]


# In-place forms of the indexing ops.
index_put_ = inplace(indexing.index_put, "In-place version of index_put().")
index_add_ = inplace(indexing.index_add, "In-place version of index_add().")
index_copy_ = inplace(indexing.index_copy, "In-place version of index_copy().")
index_fill_ = inplace(indexing.index_fill, "In-place version of index_fill().")
masked_fill_ = inplace(indexing.masked_fill, "In-place version of masked_fill().",
                       indexing.check_masked_fill_)
masked_scatter_ = inplace(indexing.masked_scatter, "In-place version of masked_scatter().",
                          indexing.check_masked_scatter_)
scatter_ = inplace(indexing.scatter, "In-place version of scatter().")
scatter_add_ = inplace(indexing.scatter_add, "In-place version of scatter_add().")
scatter_reduce_ = inplace(indexing.scatter_reduce, "In-place version of scatter_reduce().")
put_ = inplace(indexing.put, "In-place version of put().")
__all__ += ["index_put_", "index_add_", "index_copy_", "index_fill_", "masked_fill_",
            "masked_scatter_", "scatter_", "scatter_add_", "scatter_reduce_", "put_"]

log1p_ = inplace(arithmetic.log1p, "In-place version of log1p().")
tril_ = inplace(matrix.tril, "In-place version of tril().")
triu_ = inplace(matrix.triu, "In-place version of triu().")
__all__ += ["log1p_", "tril_", "triu_"]  # noqa: PLE0604


def setitem(self: Tensor, key: Any, value: Any) -> None:
    """self[key] = value: copies into the view the key selects (or index_put_ for advanced
    keys); the graph stays correct through CopySlices."""
    if key is False:
        # torch returns at once for a lone False (a write to nothing, without a version bump).
        return
    indexing._check_int_of_0_dim(self, key)
    key = indexing._as_tuple(key)
    res, adv = indexing._apply_basic(self, key)
    if adv:
        idx = indexing._advanced(res, adv)
        if isinstance(value, Tensor):
            v = value
        else:
            v = Tensor._make(np.asarray(value, dtype=res._data.dtype))
        index_put_(res, idx, indexing._strip_ones(v), False)
        return
    if not isinstance(value, Tensor):
        assign_number_(res, value)
    elif value._data.shape == res._data.shape:
        copy_(res, value)
    elif value._data.ndim == 0:
        fill_(res, value)
    else:
        v = indexing._strip_ones(value)
        if v._data.shape != res._data.shape:
            expand(v.detach(), res._data.shape)
        copy_(res, v)


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
