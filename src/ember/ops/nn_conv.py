"""Convolution (plain and transposed, any rank) and its derivatives, by im2col and one
matrix product per batch where torch's numbers allow.

Forwards are NumPy; each node is one row of the derivative table with torch's name.
Formulas are written against the math namespace `m`, so they run on arrays in plain
backward and on tensors under create_graph.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._dtypes import from_numpy_dtype, type_meta_name
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ._core import (
    attach,
    needs_grad,
    node_class,
    not_implemented,
    quiet,
    wrap,
)
from .nn_kernels import _out_len, check_kernel, col2im_np, col2im_rows_np, im2col_np, im2col_rows_np

__all__ = []


def _conv_grad_input(m: Any, g: Any, x: Any, w: Any, p: tuple) -> Any:
    xs, ws, k, d, pad, s, groups, transposed, nd = p
    n = xs[0]
    g4 = m.reshape(g, (g.shape[0], g.shape[1], -1, g.shape[-1])) if nd == 1 else g
    if not transposed:
        o = ws[0]
        c = xs[1]
        gr = m.reshape(g4, (n, groups, o // groups, -1))
        wr = m.reshape(w, (groups, o // groups, -1))
        cols = m.reshape(m.matmul(m.mT(wr), gr), (n, c * k[0] * k[1], -1))
        gx = m.col2im(cols, _spatial(xs, nd), k, d, pad, s)
    else:
        cin = xs[1]
        gc = m.reshape(m.im2col(g4, k, d, pad, s), (n, groups, -1, _numel(_spatial(xs, nd))))
        wr = m.reshape(w, (groups, cin // groups, -1))
        gx = m.matmul(wr, gc)
    return m.reshape(gx, xs)


def _conv_grad_weight(m: Any, g: Any, x: Any, w: Any, p: tuple) -> Any:
    xs, ws, k, d, pad, s, groups, transposed, nd = p
    n = xs[0]
    g4 = m.reshape(g, (g.shape[0], g.shape[1], -1, g.shape[-1])) if nd == 1 else g
    x4 = m.reshape(x, (n, xs[1], 1, xs[2])) if nd == 1 else x
    if not transposed:
        o = ws[0]
        gr = m.reshape(g4, (n, groups, o // groups, -1))
        xc = m.reshape(m.im2col(x4, k, d, pad, s), (n, groups, -1, gr.shape[-1]))
        gw = m.sum(m.matmul(gr, m.mT(xc)), (0,))
    else:
        cin = xs[1]
        xr = m.reshape(x4, (n, groups, cin // groups, -1))
        gc = m.reshape(m.im2col(g4, k, d, pad, s), (n, groups, -1, xr.shape[-1]))
        gw = m.sum(m.matmul(xr, m.mT(gc)), (0,))
    return m.reshape(gw, ws)


def _folds_batch(groups: int, ws: tuple, spatial: tuple) -> bool:
    """Whether a convolution runs as one product over the batch (im2col_rows_np): with one
    group, when a column is at least as long as an example's output (the weight outweighs
    the activations: ResNet-18's blocks). Otherwise a product per example needs no
    transposed copies (W7's 1->8 3x3 convolution of 28x28 digits went from 1.13 to 1.20
    of torch's time folded)."""
    return groups == 1 and _numel(ws[1:]) >= _numel(spatial)


def _rows(g: np.ndarray) -> np.ndarray:
    """An (N, O, oh, ow) output gradient as (O, N*L), the layout of im2col_rows_np."""
    n, o = g.shape[:2]
    return g.reshape(n, o, -1).transpose(1, 0, 2).reshape(o, -1)


def _conv_grad_bias(m: Any, g: Any, x: Any, w: Any, p: tuple) -> Any:
    return m.sum(g, (0,) + tuple(range(2, len(p[0]))))


def _conv_grad_input_np(m: Any, g: np.ndarray, x: np.ndarray, w: np.ndarray, p: tuple) -> Any:
    xs, ws, k, d, pad, s, groups, transposed, nd = p
    g4 = g.reshape(g.shape[0], g.shape[1], -1, g.shape[-1]) if nd == 1 else g
    if transposed or not _folds_batch(groups, ws, g4.shape[2:]):
        return _conv_grad_input(m, g, x, w, p)
    cols = w.reshape(ws[0], -1).T @ _rows(g4)
    return col2im_rows_np(cols, xs[0], _spatial(xs, nd), k, d, pad, s).reshape(xs)


def _conv_grad_weight_np(m: Any, g: np.ndarray, x: np.ndarray, w: np.ndarray, p: tuple) -> Any:
    xs, ws, k, d, pad, s, groups, transposed, nd = p
    g4 = g.reshape(g.shape[0], g.shape[1], -1, g.shape[-1]) if nd == 1 else g
    if transposed or not _folds_batch(groups, ws, g4.shape[2:]):
        return _conv_grad_weight(m, g, x, w, p)
    x4 = x.reshape(xs[0], xs[1], 1, xs[2]) if nd == 1 else x
    # One product over the whole batch: a per-example product summed over the batch writes
    # the weight-sized result once per example (ResNet-18's last block: 9 MB each).
    return (_rows(g4) @ im2col_rows_np(x4, k, d, pad, s).T).reshape(ws)


ConvolutionBackward0 = node_class(
    "ConvolutionBackward0", _conv_grad_input, _conv_grad_weight, _conv_grad_bias,
    raw=(_conv_grad_input_np, _conv_grad_weight_np, None))


def _spatial(xs: tuple, nd: int) -> tuple:
    return (1, xs[2]) if nd == 1 else tuple(xs[2:])


def _numel(shape: tuple) -> int:
    n = 1
    for v in shape:
        n *= v
    return n


def _tuple(v: Any, n: int, name: str = "") -> tuple:
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return tuple(int(v[0]) for _ in range(n))
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _expand_param(v: Any, name: str, nd: int, dim: int) -> list:
    # The parser's list of nd values (an int repeated), then at::convolution's expansion to
    # the weight's spatial dims.
    vals = list(v) if isinstance(v, (list, tuple)) else [v] * nd
    if len(vals) == 1:
        return vals * dim
    if len(vals) != dim:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dim} "
                           "values to match the convolution dimensions, but got "
                           f"{name}={[int(a) for a in vals]}")
    return vals


def _conv_checks(x: np.ndarray, w: np.ndarray, bias: Any, stride: Any, padding: Any,
                 dilation: Any, transposed: bool, output_padding: Any, groups: int,
                 nd: int) -> None:
    """at::convolution's checks of a batched input, in its order: the weight's rank, groups,
    the parameters' lengths, check_shape_forward's checks, then the dtypes as the CPU kernel
    that torch picks checks them."""
    dim = w.ndim - 2
    if dim <= 0:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    s = _expand_param(stride, "stride", nd, dim)
    pads = None if isinstance(padding, str) else _expand_param(padding, "padding", nd, dim)
    d = _expand_param(dilation, "dilation", nd, dim)
    op = _expand_param(output_padding, "output_padding", nd, dim)
    if pads is not None and min(pads) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(op) < 0:
        raise RuntimeError("negative output_padding is not supported")
    if min(s) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(d) < 0:
        raise RuntimeError("dilation should be greater than zero")
    shape = "[" + ", ".join(str(v) for v in w.shape) + "]"
    if w.ndim != x.ndim:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
                           f"{shape}, but got {x.ndim}-dimensional input of size "
                           f"{list(x.shape)} instead")
    if w.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {shape} instead")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{shape}] instead")
    cin = x.shape[1]
    xs = list(x.shape)
    if not transposed and cin != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {shape}, expected input{xs} to have "
            f"{w.shape[1] * groups} channels, but got {cin} channels instead")
    if transposed and cin != w.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {shape}, expected input{xs} to have "
            f"{w.shape[0]} channels, but got {cin} channels instead")
    cout = w.shape[1] * groups if transposed else w.shape[0]
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != cout):
        given = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(
            f"{given} of size {shape}, expected bias to be 1-dimensional with {cout} elements, "
            f"but got bias of size {list(bias._data.shape)} instead")
    if not transposed and pads is not None:
        padded = [v + 2 * p for v, p in zip(x.shape[2:], pads)]
        ks = [dd * (k - 1) + 1 for dd, k in zip(d, w.shape[2:])]
        if any(a < b for a, b in zip(padded, ks)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, ks))}). Kernel size can't be greater "
                "than actual input size")
    if not x.size:
        if x.shape[0] and x.shape[1]:
            raise RuntimeError("Only zero batch or zero channel inputs are supported, but got "
                               f"input shape: {list(x.shape)}")
        return  # torch runs no kernel, so checks no more
    if _uses_mkldnn(x, w, s, d, op, groups, transposed):
        if x.dtype != w.dtype or (bias is not None and bias._data.dtype != x.dtype):
            other, what = (w, "weight") if x.dtype != w.dtype else (bias._data, "bias")
            raise RuntimeError(
                f"Input type ({_legacy(x)}) and {what} type ({_legacy(other)}) should be the "
                f"same or input should be a MKLDNN tensor and {what} is a dense tensor")
        if min(d) == 0:
            raise RuntimeError("non-positive dilation is not supported")
        return
    # torch's own kernels (on a 1-d convolution seen as 2-d)
    if min(d) == 0:
        dd = [int(v) for v in (d if w.ndim == 4 else [1] + d)]
        raise RuntimeError("dilation should be greater than zero, but got " + (
            f"dilation_height: {dd[0]}, dilation_width: {dd[1]}" if transposed else f"{dd}"))
    if x.dtype == np.bool_:
        kernel = "slow_conv_transpose2d_out_cpu" if transposed else \
            "slow_conv_dilated<>" if max(d) > 1 else "slow_conv2d_cpu"
        raise not_implemented(kernel, from_numpy_dtype(x.dtype))
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected scalar type {from_numpy_dtype(x.dtype)._legacy} but found "
                           f"{from_numpy_dtype(w.dtype)._legacy}")


def _uses_mkldnn(x: np.ndarray, w: np.ndarray, s: list, d: list, op: list, groups: int,
                 transposed: bool) -> bool:
    """Whether torch's CPU convolution runs oneDNN rather than its own kernels (their checks
    differ), by torch's rule for float32 inputs (the clause for 1x1 kernels on one thread
    never applies: torch runs several threads on any multi-core machine)."""
    if x.dtype != np.float32 or transposed and any(a >= b for a, b in zip(op, s)):
        return False
    x4 = x.shape if x.ndim == 4 else x.shape[:2] + (1,) + x.shape[2:]
    kh, kw = (w.shape[2:] if w.ndim == 4 else (1, w.shape[2]))
    return groups > 1 or (kw > 3 and kh > 3) or x4[0] > 1 or math.prod(x4) > 20480


def _conv_result_dtype(input: Tensor, weight: Tensor, bias: Tensor | None) -> np.dtype:
    """The dtype of a convolution's result: the input's, except for an empty input, which
    torch multiplies by the weight's first element (by the whole weight when there are no
    channels); a bias is then added in place, which must not need a wider category."""
    from .._dtypes import can_cast, result_type

    dt = input.dtype
    x, w = input._data, weight._data
    if not x.size and w.size:
        dt = result_type(input, weight if x.shape[1] == 0 else wrap(w.reshape(-1)[:1].reshape(())))
    if bias is not None and bias.dtype != dt and bias._data.size:
        r = result_type(wrap(np.empty(1, dt.np)), wrap(bias._data.reshape(-1)[:1].reshape(())))
        if not can_cast(r, dt):
            raise RuntimeError(f"result type {r._legacy} can't be cast to the desired output "
                               f"type {dt._legacy}")
    return dt.np


def _legacy(a: np.ndarray) -> str:
    # torch's legacy type name (bool, which has no legacy tensor class, prints its type id).
    if a.dtype == np.bool_:
        return "CPUBoolType"
    return f"torch.{from_numpy_dtype(a.dtype)._legacy}Tensor"


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                dilation: Any, transposed: bool, output_padding: Any, groups: int,
                nd: int) -> Tensor:
    """N-d (1 or 2 spatial dims) convolution or transposed convolution through im2col and a
    batched matrix product."""
    x, w = input._data, weight._data
    if not transposed and bias is not None and bias._data.dtype != x.dtype:
        # torch's conv1d/conv2d check this before anything else.
        raise RuntimeError(f"Input type ({type_meta_name(x.dtype)}) and bias type "
                           f"({type_meta_name(bias._data.dtype)}) should be the same")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
            f"conv{'_transpose' if transposed else ''}{nd}d, but got input of size: "
            f"[{', '.join(str(v) for v in x.shape)}]")
    if x.ndim == nd + 1:
        return convolution(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                           transposed, output_padding, groups, nd).squeeze(0)
    _conv_checks(x, w, bias, stride, padding, dilation, transposed, output_padding, groups, nd)
    out_dt = _conv_result_dtype(input, weight, bias)
    s = _tuple(stride, nd)
    d = _tuple(dilation, nd)
    ks = tuple(w.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0,) * nd
            pairs = [(0, 0)] * nd
        elif padding == "same":
            if any(v != 1 for v in s):
                raise ValueError("padding='same' is not supported for strided convolutions")
            pairs = []
            for kk, dd in zip(ks, d):
                total = dd * (kk - 1)
                pairs.append((total // 2, total - total // 2))
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
    else:
        pads = _tuple(padding, nd)
        pairs = [(p, p) for p in pads]
    op = _tuple(output_padding, nd)
    if nd == 1:
        s, d, ks, op = (1,) + s, (1,) + d, (1,) + ks, (0,) + op
        pairs = [(0, 0)] + pairs
    pad4 = (pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1])
    x4 = x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]) if nd == 1 else x
    w4 = w.reshape(w.shape[0], w.shape[1], 1, w.shape[2]) if nd == 1 else w
    n = x.shape[0]
    if not transposed:
        o = w.shape[0]
        h, wd = x4.shape[2:]
        oh = _out_len(h, ks[0], d[0], pad4[0] + pad4[1], s[0])
        ow = _out_len(wd, ks[1], d[1], pad4[2] + pad4[3], s[1])
        if oh <= 0 or ow <= 0:
            raise RuntimeError(_too_small(x, w, pairs, d, nd))
        check_kernel(ks)
        if _folds_batch(groups, w4.shape, (oh, ow)):
            # One product for the whole batch reads the weight once (see _conv_grad_weight).
            cols = im2col_rows_np(x4, ks, d, pad4, s)
            out = quiet(np.matmul, w4.reshape(o, -1), cols).reshape(o, n, oh, ow)
            out = np.ascontiguousarray(out.transpose(1, 0, 2, 3))
        else:
            cols = im2col_np(x4, ks, d, pad4, s).reshape(n, groups, -1, oh * ow)
            wr = w4.reshape(groups, o // groups, -1)
            out = quiet(np.matmul, wr, cols).reshape(n, o, oh, ow)
    else:
        cout = w.shape[1] * groups
        h, wd = x4.shape[2:]
        oh = (h - 1) * s[0] - pad4[0] - pad4[1] + d[0] * (ks[0] - 1) + op[0] + 1
        ow = (wd - 1) * s[1] - pad4[2] - pad4[3] + d[1] * (ks[1] - 1) + op[1] + 1
        xr = x4.reshape(n, groups, x.shape[1] // groups, h * wd)
        per_group = w.shape[1] * ks[0] * ks[1]
        wr = w4.reshape(groups, x.shape[1] // groups, per_group)
        cols = quiet(np.matmul, wr.swapaxes(-1, -2), xr).reshape(n, groups * per_group, h * wd)
        out = col2im_np(cols, (oh, ow), ks, d, pad4, s)
        o = cout
    if bias is not None:
        # out is a fresh array of the weight's dtype: add in place rather than allocate a
        # second output-sized array (torch's transposed kernel takes a bias of another dtype
        # in the input's).
        out += bias._data.reshape(1, o, 1, 1).astype(out.dtype, copy=False)
    if nd == 1:
        out = out.reshape(n, o, out.shape[-1])
    if out.dtype != out_dt:
        out = out.astype(out_dt)
    r = wrap(np.ascontiguousarray(out))
    if needs_grad(input, weight, bias):
        p = (x.shape, w.shape, ks, d, pad4, s, groups, transposed, nd)
        attach(ConvolutionBackward0, r, (input, weight, bias), (input, weight), (p,))
    return r


def _too_small(x: np.ndarray, w: np.ndarray, pairs: list, d: tuple, nd: int) -> str:
    sp = x.shape[2:]
    padded = [v + a + b for v, (a, b) in zip(sp, pairs[-nd:])]
    ks = [dd * (k - 1) + 1 for dd, k in zip(d[-nd:], w.shape[2:])]
    return (f"Calculated padded input size per channel: ({' x '.join(str(v) for v in padded)})."
            f" Kernel size: ({' x '.join(str(v) for v in ks)}). Kernel size can't be greater "
            "than actual input size")


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
