"""The NumPy forward of each op a compiled region replays, by the op's name.

A kernel takes the op's arguments with `Sym`s for tensors (see trace.py) and computes the
op's result as the eager op does, with the same NumPy calls, so that tracing it gives the
op's flat forward. The recording checks every traced result against the eager one bit for
bit, so a kernel that does not match (a dtype path the kernel does not take, say) is a
graph break, never a wrong replay. Ops without a kernel here (and unary ops without a
`_kernel` on their function) are graph breaks.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..ops import arithmetic, nn_activation, nn_conv, nn_kernels, nn_loss, sum_mean
from ..ops._core import wrap_dim
from ..ops._math import power_by_number, reduce_dtype
from ..ops.sum_mean import _dims
from .trace import Sym, Untraceable

_NUMBERS = (int, float)


def _number(x: Sym, y: Any) -> Any:
    # As eager's fast path: a 0-dim array meets a Python number in its own dtype.
    if type(y) in _NUMBERS and not x.ndim:
        return x.dtype.type(y)
    return y


def _binary(uf: np.ufunc, reflected: bool = False) -> Callable:
    def kernel(input: Any, other: Any, *, alpha: Any = 1) -> Any:
        if type(alpha) is not int or alpha != 1 or type(input) is not Sym:
            raise Untraceable("alpha")
        other = _number(input, other)
        return uf(other, input) if reflected else uf(input, other)
    return kernel


def _pow(input: Any, exponent: Any) -> Any:
    if type(input) is not Sym or type(exponent) not in _NUMBERS or input.dtype.kind != "f":
        raise Untraceable("pow")
    # The eager op's own choice of NumPy calls (multiplication for squares and cubes).
    return power_by_number(input, exponent)


def _unary(fn: Callable) -> Callable:
    def kernel(input: Any) -> Any:
        if type(input) is not Sym or input.dtype.kind != "f":
            raise Untraceable("a unary op on a non-float tensor")
        return fn(input)
    return kernel


def _sum(input: Sym, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    if dtype is not None or input.dtype.kind != "f":
        raise Untraceable("sum with a dtype")
    dims = _dims(input.v, dim)
    if dims is None and not keepdim:
        return input.t.call(sum_mean._full_sum, (input,), {}, False)
    return np.add.reduce(input, axis=dims, keepdims=keepdim, dtype=reduce_dtype(input.dtype))


def _mean(input: Sym, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    if dtype is not None or input.dtype.kind != "f":
        raise Untraceable("mean with a dtype")
    x = input.v
    dims = _dims(x, dim)
    n = x.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
    if not n:
        raise Untraceable("an empty mean")
    if dims is None and not keepdim:
        return input.t.call(sum_mean._full_mean, (input,), {}, False)
    acc = reduce_dtype(x.dtype)
    s = np.add.reduce(input, axis=dims, keepdims=keepdim, dtype=acc)
    return np.true_divide(s, acc.type(n))


def _matmul(input: Sym, other: Sym) -> Any:
    if input.ndim != 2 or other.ndim != 2:
        raise Untraceable("matmul of other than two matrices")
    return np.matmul(input, other)


def _linear(input: Sym, weight: Sym, bias: Any = None) -> Any:
    if input.ndim != 2 or weight.ndim != 2:
        raise Untraceable("linear of other than matrices")
    res = np.matmul(input, weight.T)
    if bias is None:
        return res
    b = bias
    if b.dtype == res.dtype and b.shape[-1:] == res.shape[-1:] and b.ndim <= 2 and \
            b.shape[:-1] in ((), (1,), res.shape[:1]):
        res += b
        return res
    return res + b


def _relu(input: Sym, inplace: bool = False) -> Any:
    if inplace:
        raise Untraceable("in-place relu")
    return _unary(arithmetic._relu)(input)


def _log_softmax_rows(x: Sym) -> Sym:
    # nn_softmax._log_softmax_rows, with copies in C order for its ascontiguousarray.
    xt = x.T.copy()
    xt -= np.maximum.reduce(xt, 0)
    lse = np.add.reduce(np.exp(xt), 0)
    xt -= np.log(lse, out=lse)
    return xt.T.copy()


def _log_softmax_last(x: Sym) -> Sym:
    sh = x - np.maximum.reduce(x, -1, keepdims=True)
    lse = np.add.reduce(np.exp(sh), -1, keepdims=True)
    sh -= np.log(lse, out=lse)
    return sh


def _log_softmax(input: Sym, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    x = input.v
    if dtype is not None or dim is None or x.dtype.kind != "f" or x.dtype == np.float16 or \
            not x.ndim or not x.size:
        raise Untraceable("log_softmax")
    d = wrap_dim(dim, x.ndim)
    if x.ndim == 2 and d == 1 and 1 < x.shape[1] <= 64 <= x.shape[0]:
        return _log_softmax_rows(input)
    sh = input - np.max(input, axis=d, keepdims=True)
    lse = np.add.reduce(np.exp(sh), axis=d, keepdims=True)
    sh -= np.log(lse, out=lse)
    return sh


def _softmax(input: Sym, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    x = input.v
    if dtype is not None or dim is None or x.dtype.kind != "f" or x.dtype == np.float16 or \
            not x.ndim or not x.size:
        raise Untraceable("softmax")
    ax = wrap_dim(dim, x.ndim)
    e = np.exp(input - np.max(input, axis=ax, keepdims=True))
    return e / np.sum(e, axis=ax, keepdims=True)


def _mse_loss(input: Sym, target: Sym, size_average: Any = None, reduce: Any = None,
              reduction: str = "mean", weight: Any = None) -> Any:
    if size_average is not None or reduce is not None or weight is not None or \
            type(target) is not Sym or input.shape != target.shape or \
            input.dtype != target.dtype or input.dtype.kind != "f" or not input.size or \
            reduction not in ("mean", "sum", "none"):
        raise Untraceable("mse_loss")
    d = input - target
    loss = d * d
    if reduction == "none":
        return loss
    acc = reduce_dtype(loss.dtype)
    s = np.add.reduce(loss, axis=None, dtype=acc)
    return s / acc.type(loss.size) if reduction == "mean" else s


def _expand(input: Sym, *sizes: Any) -> Any:
    sizes = _shape_args(sizes)
    lead = len(sizes) - input.ndim
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return np.broadcast_to(input, shape)


def _narrow(input: Sym, dim: int, start: int, length: int) -> Any:
    d = wrap_dim(dim, input.ndim)
    if type(start) is not int or start < 0:
        raise Untraceable("narrow")
    key = (slice(None),) * d + (slice(start, start + length),)
    return input[key + (Ellipsis,)]


def _conv2d(input: Sym, weight: Sym, bias: Any = None, stride: Any = 1, padding: Any = 0,
            dilation: Any = 1, groups: int = 1) -> Any:
    """nn_conv.convolution for a batch of images: im2col and one batched matrix product."""
    if type(input) is not Sym or type(weight) is not Sym or input.ndim != 4 or \
            weight.ndim != 4 or type(groups) is not int or isinstance(padding, str):
        raise Untraceable("conv2d of other than a batch of images")
    s, d = nn_conv._tuple(stride, 2), nn_conv._tuple(dilation, 2)
    pads = nn_conv._tuple(padding, 2)
    pad4 = (pads[0], pads[0], pads[1], pads[1])
    ks = tuple(weight.shape[2:])
    n, _, h, wd = input.shape
    o = weight.shape[0]
    oh = nn_kernels._out_len(h, ks[0], d[0], 2 * pads[0], s[0])
    ow = nn_kernels._out_len(wd, ks[1], d[1], 2 * pads[1], s[1])
    if oh <= 0 or ow <= 0:
        raise Untraceable("conv2d of too small an input")
    # im2col's sliding windows are strided views: one call, its result a buffer. The
    # product takes the eager op's path (one product for the batch, or one per example).
    if nn_conv._folds_batch(groups, tuple(weight.shape), (oh, ow)):
        cols = input.t.call(nn_kernels.im2col_rows_np, (input, ks, d, pad4, s), {}, False)
        out = np.matmul(weight.reshape(o, -1), cols).reshape(o, n, oh, ow)
        out = np.copy(out.transpose(1, 0, 2, 3), order="C")  # eager's ascontiguousarray
    else:
        cols = input.t.call(nn_kernels.im2col_np, (input, ks, d, pad4, s), {}, False)
        cols = cols.reshape(n, groups, -1, oh * ow)
        wr = weight.reshape(groups, o // groups, -1)
        out = np.matmul(wr, cols).reshape(n, o, oh, ow)
    if bias is not None:
        out += bias.reshape(1, o, 1, 1)
    return out


def _convolution(input: Sym, weight: Sym, bias: Any, stride: Any, padding: Any,
                 dilation: Any, transposed: bool, output_padding: Any, groups: int,
                 nd: int) -> Any:
    if transposed or nd != 2:
        raise Untraceable("a transposed or 1-d convolution")
    return _conv2d(input, weight, bias, stride, padding, dilation, groups)


def _opaque(fwd: Callable) -> Callable:
    """The kernel of an op whose forward is one NumPy-level function of its input (and
    constants), recorded as one call of it."""
    def kernel(input: Any, *ctx: Any) -> Any:
        if type(input) is not Sym or input.dtype.kind != "f":
            raise Untraceable("a non-float input")
        return input.t.call(fwd, (input,) + ctx, {}, False)
    return kernel


def _gelu(link: Any, input: Any, approximate: str = "none") -> Any:
    """nn_activation.gelu; the exact form's node keeps the Phi(x) its forward computed."""
    if type(input) is not Sym or input.dtype.kind != "f":
        raise Untraceable("a non-float input")
    if approximate == "tanh":
        return input.t.call(nn_activation._gelu_np, (input, approximate), {}, False)
    node = link.outputs[0]._fn
    if node is not None and type(node) is not nn_activation.GeluBackward0:
        raise Untraceable("gelu by another path")
    if node is None or node._ctx[1] is None:
        # No Phi(x) kept (oneDNN's gradient starts from x): one step, which picks oneDNN or
        # the true erf on each call's array.
        return input.t.call(nn_activation._gelu_out, (input,), {}, False)
    half = input.dtype.type(0.5)
    one_erf = input.t.call(nn_activation._one_erf, (input,), {}, False)
    out = input.t.call(nn_activation._gelu_out, (input, one_erf), {}, False)
    link.same(node._ctx[1], half * one_erf)
    return out


def _silu(input: Any, inplace: bool = False) -> Any:
    if inplace:
        raise Untraceable("in-place silu")
    return _opaque(nn_activation._silu_np)(input)


def _clamp(input: Any, min: Any = None, max: Any = None) -> Any:
    if type(input) is not Sym or input.dtype.kind != "f" or \
            not all(v is None or type(v) in _NUMBERS for v in (min, max)) or \
            (min is None and max is None):
        raise Untraceable("clamp by tensors")
    dt = input.dtype
    r = input
    if min is not None:
        r = input.t.call(arithmetic._max_first, (r, dt.type(min)), {}, False)
    if max is not None:
        r = input.t.call(arithmetic._min_first, (r, dt.type(max)), {}, False)
    return r


def _where(condition: Any, input: Any = None, other: Any = None) -> Any:
    if type(condition) is not Sym or condition.dtype.kind != "b" or \
            not (type(input) is Sym or type(other) is Sym):
        raise Untraceable("where")
    return np.where(condition, input, other)


def _selecting(uf: np.ufunc) -> Callable:
    # elementary._selecting: two tensors of one dtype.
    def kernel(input: Any, other: Any) -> Any:
        if type(input) is not Sym or type(other) is not Sym or input.dtype != other.dtype:
            raise Untraceable("maximum of other than two tensors of one dtype")
        return uf(input, other)
    return kernel


def _bmm(input: Sym, mat2: Sym) -> Any:
    if type(input) is not Sym or type(mat2) is not Sym or input.ndim != 3 or mat2.ndim != 3:
        raise Untraceable("bmm")
    return np.matmul(input, mat2)


def _shape_args(shape: tuple) -> tuple:
    return tuple(shape[0]) if len(shape) == 1 and type(shape[0]) in (tuple, list) else shape


def _reshape(input: Sym, *shape: Any) -> Any:
    return np.reshape(input, _shape_args(shape))


def _t(input: Sym) -> Any:
    return np.transpose(input) if input.ndim == 2 else input


def _transpose(input: Sym, dim0: int, dim1: int) -> Any:
    return np.swapaxes(input, wrap_dim(dim0, input.ndim), wrap_dim(dim1, input.ndim))


def _permute(input: Sym, *dims: Any) -> Any:
    return np.transpose(input, tuple(wrap_dim(d, input.ndim) for d in _shape_args(dims)))


def _unsqueeze(input: Sym, dim: int) -> Any:
    return np.expand_dims(input, wrap_dim(dim, input.ndim + 1))


def _flatten(input: Sym, start_dim: int = 0, end_dim: int = -1) -> Any:
    s = input.shape
    if not s:
        return np.reshape(input, (1,))
    a, b = wrap_dim(start_dim, len(s)), wrap_dim(end_dim, len(s))
    n = 1
    for v in s[a:b + 1]:
        n *= v
    return np.reshape(input, s[:a] + (n,) + s[b + 1:])


def _getitem(input: Sym, key: Any) -> Any:
    keys = key if type(key) is tuple else (key,)
    for k in keys:
        if not (k is None or k is Ellipsis or type(k) in (int, slice)):
            raise Untraceable("indexing by data")
    return input[keys + (Ellipsis,)]


KERNELS: dict = {
    "add": _binary(np.add), "__add__": _binary(np.add), "__radd__": _binary(np.add),
    "sub": _binary(np.subtract), "subtract": _binary(np.subtract),
    "__sub__": _binary(np.subtract), "rsub": _binary(np.subtract, True),
    "__rsub__": _binary(np.subtract, True),
    "mul": _binary(np.multiply), "multiply": _binary(np.multiply),
    "__mul__": _binary(np.multiply), "__rmul__": _binary(np.multiply),
    "div": _binary(np.true_divide), "divide": _binary(np.true_divide),
    "true_divide": _binary(np.true_divide), "__truediv__": _binary(np.true_divide),
    "__rtruediv__": _binary(np.true_divide, True),
    "pow": _pow, "__pow__": _pow, "__rpow__": _binary(np.power, True),
    "square": lambda x: _pow(x, 2),
    "neg": _unary(np.negative), "negative": _unary(np.negative), "__neg__": _unary(np.negative),
    "relu": _relu, "softmax": _softmax, "mse_loss": _mse_loss,
    "conv2d": _conv2d, "convolution": _convolution, "silu": _silu,
    "clamp": _clamp, "clip": _clamp, "where": _where, "bmm": _bmm,
    "maximum": _selecting(np.maximum), "minimum": _selecting(np.minimum),
    "gt": _binary(np.greater), "__gt__": _binary(np.greater), "lt": _binary(np.less),
    "__lt__": _binary(np.less), "ge": _binary(np.greater_equal),
    "__ge__": _binary(np.greater_equal), "le": _binary(np.less_equal),
    "__le__": _binary(np.less_equal),
    "sum": _sum, "mean": _mean,
    "matmul": _matmul, "__matmul__": _matmul, "mm": _matmul, "linear": _linear,
    "log_softmax": _log_softmax,
    "reshape": _reshape, "view": _reshape, "t": _t, "transpose": _transpose,
    "swapaxes": _transpose, "swapdims": _transpose, "permute": _permute,
    "unsqueeze": _unsqueeze, "flatten": _flatten, "expand": _expand, "narrow": _narrow,
    "getitem": _getitem, "__getitem__": _getitem,
}


def _targets_hold(t: np.ndarray, c: int, ignore_index: int) -> bool:
    # nn_loss._nll_rows's condition for its path: every target a class, none ignored.
    return not (t.min() < 0 or t.max() >= c or (0 <= ignore_index < c and
                                                 (t == ignore_index).any()))


def _cross_entropy(link: Any, input: Sym, target: Sym, weight: Any = None,
                   size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                   reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
    """nn_loss.cross_entropy_rows: an (N, C) batch of logits against class indices."""
    if weight is not None or size_average is not None or reduce is not None or \
            label_smoothing != 0.0 or reduction not in ("mean", "sum") or \
            type(target) is not Sym or type(input) is not Sym:
        raise Untraceable("cross_entropy")
    x, t = input.v, target.v
    if x.ndim != 2 or t.ndim != 1 or t.dtype != np.int64 or x.dtype.kind != "f":
        raise Untraceable("cross_entropy")
    n, c = x.shape
    if not n or t.shape[0] != n or c < 2:
        raise Untraceable("cross_entropy")
    lp = _log_softmax_rows(input) if n >= 64 and c <= 64 else _log_softmax_last(input)
    input.t.guard(_targets_hold, target, c, ignore_index)
    rows = np.arange(n)
    s = np.add.reduce(lp[rows, target])
    out = -s / x.dtype.type(n) if reduction == "mean" else -s
    node = link.outputs[0]._fn
    if node is not None:
        if type(node) is not nn_loss.NllLossBackward0:
            raise Untraceable("cross_entropy by another path")
        # The node's saved arrays: the log-probabilities and the target's copy.
        link.same(node._saved[0], lp)
        link.same(node._saved[1], target)
        # -1 / N (or -1) per row: made from the shape and the reduction only.
        link.same(node._saved[2], node._saved[2].copy())
    return out


def _nll_rows_backward(m: Any, g: Any, x: Any, t: Any, coef: np.ndarray, c: int, red: int,
                       rows_shape: tuple, perm: Any) -> Any:
    # nn_loss._nll_grad_np on traced values, for the reduced (N, C) case the kernel replays:
    # one picked entry per row, -weight / total (a constant) times the 0-dim gradient.
    gx = np.zeros_like(x)
    gx[np.arange(coef.shape[0]), t] = g * coef[:, 0]
    return gx


def _folded(g: Any, p: tuple) -> bool:
    xs, ws, k, d, pad, s, groups, transposed, nd = p
    return not transposed and nd == 2 and nn_conv._folds_batch(groups, ws, tuple(g.shape[2:]))


def _conv_input_grad(m: Any, g: Any, x: Any, w: Any, p: tuple) -> Any:
    # nn_conv._conv_grad_input_np on traced values, col2im_rows_np recorded as one call.
    if not _folded(g, p):
        return nn_conv._conv_grad_input_np(m, g, x, w, p)
    xs, ws, k, d, pad, s = p[:6]
    cols = w.reshape(ws[0], -1).T @ nn_conv._rows(g)
    return g.t.call(nn_kernels.col2im_rows_np, (cols, xs[0], tuple(xs[2:]), k, d, pad, s), {},
                    False).reshape(xs)


def _conv_weight_grad(m: Any, g: Any, x: Any, w: Any, p: tuple) -> Any:
    # nn_conv._conv_grad_weight_np on traced values, im2col_rows_np recorded as one call.
    if not _folded(g, p):
        return nn_conv._conv_grad_weight_np(m, g, x, w, p)
    xs, ws, k, d, pad, s = p[:6]
    cols = g.t.call(nn_kernels.im2col_rows_np, (x, k, d, pad, s), {}, False)
    return (nn_conv._rows(g) @ cols.T).reshape(ws)


# Ops whose kernel also names the arrays their eager nodes saved (link.same).
LINKED: dict = {"cross_entropy": _cross_entropy, "gelu": _gelu}

# Backward formulas traced in place of a node class's own (which fill arrays in place).
FORMULAS: dict = {nn_loss.NllLossBackward0: (_nll_rows_backward,),
                  nn_conv.ConvolutionBackward0: (_conv_input_grad, _conv_weight_grad,
                                                nn_conv._conv_grad_bias)}


# nn.functional's tanh and sigmoid are torch's Python wrappers around the Tensor methods:
# their kernel is the op's.
KERNELS["tanh"] = _unary(arithmetic.tanh._kernel)
KERNELS["sigmoid"] = _unary(arithmetic.sigmoid._kernel)


def kernel_of(fn: Callable, name: str) -> Callable | None:
    """The kernel that replays the op `fn` (named `name`), or None."""
    k = KERNELS.get(name)
    if k is not None:
        return k
    # The op may sit behind wrappers (torch's argument parser, nn.functional's binding):
    # its kernel is on the function they wrap.
    np_fn = getattr(fn, "_kernel", None)
    while np_fn is None and hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
        np_fn = getattr(fn, "_kernel", None)
    return _unary(np_fn) if np_fn is not None else None
