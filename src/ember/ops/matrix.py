"""Matrix products beyond matmul (addmm and friends, einsum, tensordot, kron) and matrix
structure (diagonal, diag_embed, tril, triu, trace, cross). Composite ops are built from
primitives the way torch builds them, so their graphs carry torch's nodes."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtypes import FROM_NUMPY, type_meta_name
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from . import _math
from ._core import (
    attach,
    broadcast_shape,
    check_tensor,
    needs_grad,
    node_class,
    not_implemented,
    shape_str,
    wrap,
    wrap_dim,
    wrap_dims,
)
from .joining import variadic_class
from .products import check_batch_dtypes, check_batches, check_bool_product, dim_size
from .shape import as_view, expand, permute, reshape

__all__ = ["addmm", "addmv", "addbmm", "baddbmm", "addr", "outer", "ger", "einsum", "tensordot",
           "kron", "inner", "trace", "diag", "diagonal", "diag_embed", "diagonal_scatter",
           "tril", "triu", "cross", "diagflat"]


def _scaled(g: Any, s: Any) -> Any:
    return g if s == 1 else g * s


# addmm and baddbmm differentiate alike: matmul and mT act on the last two dimensions.
_ADD_PRODUCT_FORMULAS = (
    lambda m, g, a, b, beta, alpha: _scaled(g, beta),
    lambda m, g, a, b, beta, alpha: _scaled(m.matmul(g, m.mT(b)), alpha),
    lambda m, g, a, b, beta, alpha: _scaled(m.matmul(m.mT(a), g), alpha),
)


def _addmm_mat2_grad_np(m: Any, g: np.ndarray, a: np.ndarray, b: np.ndarray, beta: Any,
                        alpha: Any) -> np.ndarray:
    # mat2 is usually weight.t() (linear): computing (g^T mat1)^T gives the weight's gradient
    # in the weight's own row-major layout, which the optimizer then reads contiguously.
    if b.flags.f_contiguous and not b.flags.c_contiguous:
        return _scaled(np.matmul(g.T, a).T, alpha)
    return _ADD_PRODUCT_FORMULAS[2](m, g, a, b, beta, alpha)


AddmmBackward0 = node_class("AddmmBackward0", *_ADD_PRODUCT_FORMULAS,
                            raw=(None, None, _addmm_mat2_grad_np))
AddmvBackward0 = node_class(
    "AddmvBackward0",
    lambda m, g, mat, vec, beta, alpha: _scaled(g, beta),
    lambda m, g, mat, vec, beta, alpha: _scaled(m.outer(g, vec), alpha),
    lambda m, g, mat, vec, beta, alpha: _scaled(m.matmul(m.mT(mat), g), alpha),
)
AddrBackward0 = node_class(
    "AddrBackward0",
    lambda m, g, vec1, vec2, beta, alpha: _scaled(g, beta),
    lambda m, g, vec1, vec2, beta, alpha: _scaled(m.matmul(g, vec2), alpha),
    lambda m, g, vec1, vec2, beta, alpha: _scaled(m.matmul(m.mT(g), vec1), alpha),
)
BaddbmmBackward0 = node_class("BaddbmmBackward0", *_ADD_PRODUCT_FORMULAS)
AddbmmBackward0 = node_class(
    "AddbmmBackward0",
    lambda m, g, b1, b2, beta, alpha: _scaled(g, beta),
    lambda m, g, b1, b2, beta, alpha: _scaled(m.matmul(m.unsqueeze(g, 0), m.mT(b2)), alpha),
    lambda m, g, b1, b2, beta, alpha: _scaled(m.matmul(m.mT(b1), m.unsqueeze(g, 0)), alpha),
)


def _add_product(cls: type, input: Tensor, a: Tensor, b: Tensor, prod: np.ndarray, beta: Any,
                 alpha: Any) -> Tensor:
    # The input's shape and dtype are checked (it expands to the product's shape).
    x = input._data
    dt = prod.dtype
    out_shape = prod.shape
    scaled = prod if alpha == 1 else prod * dt.type(alpha)
    if beta == 0:
        res = scaled
    else:
        xb = np.broadcast_to(x, out_shape)
        res = xb + scaled if beta == 1 else xb * dt.type(beta) + scaled
    out = wrap(np.asarray(res, dtype=dt))
    if needs_grad(input, a, b):
        meta = [None if x.shape == out_shape else (x.shape, x.dtype), None, None]
        attach(cls, out, (input, a, b), (a, b), (beta, alpha), meta)
    return out


def _check_mm_dtypes(x: np.ndarray, m1: np.ndarray, m2: np.ndarray) -> None:
    # addmm's checks, which addbmm makes too: self, then mat1, against mat2.
    for name, a in (("self", x), ("mat1", m1)):
        if a.dtype != m2.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{FROM_NUMPY[a.dtype]._legacy} and "
                               f"{FROM_NUMPY[m2.dtype]._legacy}")


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1,
          out: Any = None) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    c = check_tensor(input, fn="addmm")._data
    x = check_tensor(mat1, "mat1", 1, "addmm")._data
    y = check_tensor(mat2, "mat2", 2, "addmm")._data
    _check_mm_dtypes(c, x, y)
    if x.ndim != 2:
        raise RuntimeError("mat1 must be a matrix, got " + f"{x.ndim}-D tensor")
    if y.ndim != 2:
        raise RuntimeError("mat2 must be a matrix, got " + f"{y.ndim}-D tensor")
    if x.shape[1] != y.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x"
                           f"{x.shape[1]} and {y.shape[0]}x{y.shape[1]})")
    expand(input, (x.shape[0], y.shape[1]))
    check_bool_product("addmm_impl_cpu_", x, x.shape[1], x.shape[0] * y.shape[1])
    return _add_product(AddmmBackward0, input, mat1, mat2, np.matmul(x, y), beta, alpha)


def addmm_checked(bias: Tensor, mat1: Tensor, mat2: Tensor) -> Tensor:
    """bias + mat1 @ mat2 for operands that linear has checked already (same dtype, matrix
    shapes that multiply, a bias that broadcasts to the product)."""
    res = np.matmul(mat1._data, mat2._data)
    b = bias._data
    if b.dtype == res.dtype and b.shape[-1:] == res.shape[-1:] and b.ndim <= 2 and \
            b.shape[:-1] in ((), (1,), res.shape[:1]):
        res += b  # the product is a fresh array: add the bias in place
        out = wrap(res)
    else:
        out = wrap(res + b)
    if needs_grad(bias, mat1, mat2):
        meta = None if b.shape == res.shape else [(b.shape, b.dtype), None, None]
        attach(AddmmBackward0, out, (bias, mat1, mat2), (mat1, mat2), (1, 1), meta)
    return out


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1,
          out: Any = None) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    c = check_tensor(input, fn="addmv")._data
    x = check_tensor(mat, "mat", 1, "addmv")._data
    y = check_tensor(vec, "vec", 2, "addmv")._data
    if x.ndim != 2 or y.ndim != 1 or c.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {c.ndim}, {x.ndim}, "
                           f"{y.ndim}")
    if x.shape[1] != y.shape[0] or (x.shape[0] != c.size and c.size != 1):
        raise RuntimeError(f"size mismatch, got input ({dim_size(c, 0)}), "
                           f"mat ({x.shape[0]}x{x.shape[1]}), vec ({y.shape[0]})")
    if not c.dtype == x.dtype == y.dtype:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{input.dtype._legacy}, {mat.dtype._legacy}, and "
                           f"{vec.dtype._legacy}")
    check_bool_product("addmv_impl_cpu", x, x.shape[1], x.shape[0])
    return _add_product(AddmvBackward0, input, mat, vec, np.matmul(x, y), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1,
            out: Any = None) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    c = check_tensor(input, fn="baddbmm")._data
    x = check_tensor(batch1, "batch1", 1, "baddbmm")._data
    y = check_tensor(batch2, "batch2", 2, "baddbmm")._data
    # torch expands input to the result's size before it checks anything else.
    expand(input, (dim_size(x, 0), dim_size(x, 1), dim_size(y, 2)))
    if c.dtype != x.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {type_meta_name(c.dtype)}, "
                           f"batch1: {type_meta_name(x.dtype)}, batch2: "
                           f"{type_meta_name(y.dtype)}")
    check_batches(x, y)
    check_batch_dtypes("baddbmm", x, y)
    return _add_product(BaddbmmBackward0, input, batch1, batch2, np.matmul(x, y), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1,
           out: Any = None) -> Tensor:
    """beta * input + alpha * the sum over the batch of batch1[i] @ batch2[i]."""
    c = check_tensor(input, fn="addbmm")._data
    x = check_tensor(batch1, "batch1", 1, "addbmm")._data
    y = check_tensor(batch2, "batch2", 2, "addbmm")._data
    # torch expands input to the result's size first, then adds one mm per batch with
    # addmm's checks.
    expand(input, (dim_size(x, 1), dim_size(y, 2)))
    if x.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if y.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if x.shape[0] != y.shape[0]:
        raise RuntimeError("batch1 and batch2 must have same number of batches, got "
                           f"{x.shape[0]} and {y.shape[0]}")
    if x.shape[2] != y.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({x.shape[1]}x{x.shape[2]} and "
                           f"{y.shape[1]}x{y.shape[2]})")
    if not x.shape[0]:
        prod = np.zeros((x.shape[1], y.shape[2]), c.dtype)
    else:
        _check_mm_dtypes(c, x, y)
        check_bool_product("addmm_impl_cpu_", x, x.shape[2], x.shape[1] * y.shape[2])
        prod = np.matmul(x, y).sum(0)
    return _add_product(AddbmmBackward0, input, batch1, batch2, prod, beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1,
         out: Any = None) -> Tensor:
    """beta * input + alpha * the outer product of vec1 and vec2 (input broadcast to the
    product's shape; beta=0 ignores input, NaNs included)."""
    c = check_tensor(input, fn="addr")._data
    x = check_tensor(vec1, "vec1", 1, "addr")._data
    y = check_tensor(vec2, "vec2", 2, "addr")._data
    for name, a in (("vec1", x), ("vec2", y)):
        if a.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {a.ndim}-D")
    dt = np.result_type(c, x, y)
    if dt.kind in "biu":
        for name, s in (("beta", beta), ("alpha", alpha)):
            if isinstance(s, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be "
                                   "a floating point number.")
    shape = (x.shape[0], y.shape[0])
    if c.shape != shape:
        expand(input, shape)  # torch's error for an input that does not expand
    if x.dtype != dt or y.dtype != dt:
        # Operands of other dtypes are promoted first (their gradients cast back).
        from .conversion import to

        vec1, vec2 = to(vec1, FROM_NUMPY[dt]), to(vec2, FROM_NUMPY[dt])
        x, y = vec1._data, vec2._data
    prod = np.multiply.outer(x, y)
    if dt.kind == "b":
        prod = prod & bool(alpha)
        return wrap(prod | (np.broadcast_to(c, shape) & bool(beta)))
    return _add_product(AddrBackward0, input, vec1, vec2, prod, beta, alpha)


def outer(input: Tensor, vec2: Tensor, *, out: Any = None) -> Tensor:
    """Outer product of input and vec2 (both 1-D)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                               f"{t._data.ndim}-D")
    return reshape(input, (input._data.shape[0], 1)) * vec2


ger = outer


# -- einsum ------------------------------------------------------------------------------------

def _einsum_formula(m: Any, g: Any, i: int, *args: Any) -> Any:
    n = len(args) - 2
    ops, (subs, out) = args[:n], args[n:]
    rest = [(ops[j], subs[j]) for j in range(n) if j != i]
    return m.einsum_core([g] + [o for o, _ in rest], [out] + [s for _, s in rest], subs[i])


EinsumBackward0 = variadic_class("EinsumBackward0", _einsum_formula)


def einsum_core(operands: list, subs: list, out: tuple) -> Tensor:
    """The einsum of operands whose labels (int sublists) each appear once per operand and
    whose sizes agree."""
    args: list = []
    for o, s in zip(operands, subs):
        args += [o._data, list(s)]
    data = np.einsum(*args, list(out), optimize=len(operands) > 2)
    res = wrap(np.asarray(data, dtype=operands[0]._data.dtype))
    if _mode.enabled and any(o._rg for o in operands):
        attach(EinsumBackward0, res, tuple(operands), tuple(operands), (tuple(subs), out))
    return res


def _parse_einsum(equation: str, operands: list) -> tuple:
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                         if len(terms) < len(operands) else
                         "einsum(): fewer operands were provided than specified in the equation")
    codes = {}

    def code(c: str) -> int:
        if not c.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index "
                               f"{eq.index(c)} in the equation string, subscripts must be in "
                               "[a-zA-Z]")
        return codes.setdefault(c, len(codes))

    parsed, ell_n = [], 0
    for t, op in zip(terms, operands):
        head, dots, tail = t.partition("...")
        letters = head + tail
        nd = op._data.ndim
        if not dots and len(letters) != nd or dots and len(letters) > nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(letters)}) does not match the number of dimensions "
                               f"({nd}) for operand {len(parsed)}"
                               + ("" if dots else " and no ellipsis was given"))
        k = nd - len(letters) if dots else 0
        ell_n = max(ell_n, k)
        parsed.append(([code(c) for c in head], k, [code(c) for c in tail]))
    # NumPy takes labels below 52: letters count up from 0, ellipsis dimensions down from 51.
    ell = [51 - ell_n + 1 + j for j in range(ell_n)]
    subs = [h + ell[ell_n - k:] + tl for h, k, tl in parsed]
    if arrow:
        head, dots, tail = rhs.partition("...")
        out = [code(c) for c in head] + (ell if dots else []) + [code(c) for c in tail]
    else:
        counts: dict = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        inv = {v: c for c, v in codes.items()}
        out = ell + sorted((c for c, n in counts.items() if n == 1 and c not in ell),
                           key=lambda c: inv[c])
    names = {v: c for c, v in codes.items()}
    return subs, out, names


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sums the product of the elements of the input operands along dimensions specified
    using a notation based on the Einstein summation convention."""
    ops = list(operands[0]) if len(operands) == 1 and isinstance(operands[0], (list, tuple)) \
        else list(operands)
    subs, out, names = _parse_einsum(equation, ops)
    # Repeated labels in one operand: take the diagonal; labels only one operand has and the
    # output lacks: sum them first. The core then sees each label once per operand.
    for i, (o, s) in enumerate(zip(ops, subs)):
        s = list(s)
        while len(set(s)) != len(s):
            c = next(c for c in s if s.count(c) > 1)
            a = s.index(c)
            b = s.index(c, a + 1)
            na, nb = o._data.shape[a], o._data.shape[b]
            if na != nb:
                raise RuntimeError(f"einsum(): subscript {names.get(c, c)} is repeated for "
                                   f"operand {i} but the sizes don't match, {nb} != {na}")
            o = diagonal(o, 0, a, b)
            s = [x for j, x in enumerate(s) if j not in (a, b)] + [c]
        others = [c for j, t in enumerate(subs) if j != i for c in t]
        private = [j for j, c in enumerate(s) if c not in out and c not in others]
        if private:
            from .sum_mean import sum as _sum

            o = _sum(o, tuple(private))
            s = [c for j, c in enumerate(s) if j not in private]
        ops[i], subs[i] = o, s
    sizes: dict = {}
    for i, (o, s) in enumerate(zip(ops, subs)):
        for c, n in zip(s, o._data.shape):
            if sizes.get(c, 1) != 1 and n != 1 and sizes[c] != n:
                if c in names:
                    raise RuntimeError(
                        f"einsum(): subscript {names[c]} has size {n} for operand {i} which "
                        f"does not broadcast with previously seen size {sizes[c]}")
                raise RuntimeError("einsum(): operands do not broadcast with remapped shapes "
                                   "[original->remapped]")
            if n != 1 or c not in sizes:
                sizes[c] = n
    from .shape import expand

    for i, (o, s) in enumerate(zip(ops, subs)):
        target = tuple(sizes[c] for c in s)
        if target != o._data.shape:
            ops[i] = expand(o, target)
    for c in out:
        sizes.setdefault(c, 1)
    return einsum_core(ops, subs, tuple(out))


# -- tensordot, kron, inner ---------------------------------------------------------------

_DIMS_KINDS = (tuple, list, Tensor, int)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Returns a contraction of a and b over multiple dimensions."""
    if not isinstance(dims, _DIMS_KINDS):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if isinstance(dims, (tuple, list)):
        da, db = dims
    elif isinstance(dims, Tensor):
        if dims.numel() > 1:
            if dims.shape[0] != 2:
                raise AssertionError("dims tensor must have size 2 in first dimension, got "
                                     f"{dims.shape[0]}")
            da, db = dims[0].tolist(), dims[1].tolist()
        else:
            n = int(dims.item())
            if n < 0:
                raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
            da, db = list(range(-n, 0)), list(range(n))
    else:
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    return _tensordot(a, b, _int_list(da, "dims_self", 2), _int_list(db, "dims_other", 3))


def _int_list(dims: Any, name: str, pos: int) -> list:
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"tensordot(): argument '{name}' (position {pos + 1}) must be tuple of "
                        f"ints, not {type(dims).__name__}")
    for i, d in enumerate(dims):
        if not isinstance(d, (int, np.integer)):
            raise TypeError(f"tensordot(): argument '{name}' (position {pos + 1}) must be tuple "
                            f"of ints, but found element of type {type(d).__name__} at pos {i}")
    return [int(d) for d in dims]


def _tensordot(a: Tensor, b: Tensor, da: list, db: list) -> Tensor:
    # torch's native tensordot: a contracted dimension of size 1 in one operand is summed
    # out of the other, so it need not match; the rest become one mm.
    from .products import mm
    from .sum_mean import sum

    x = check_tensor(a, "input", 0, "tensordot")._data
    y = check_tensor(b, "other", 1, "tensordot")._data
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if x.dtype != y.dtype:
        raise RuntimeError("both inputs should have same dtype")
    k = 1
    t1, t2 = a, b
    for p, q in zip(da, db):
        s1 = x.shape[wrap_dim(p, x.ndim, False)]
        s2 = y.shape[wrap_dim(q, y.ndim, False)]
        if s2 == 1:
            t1 = sum(t1, p, True, dtype=t1.dtype)
        elif s1 == 1:
            t2 = sum(t2, q, True, dtype=t2.dtype)
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} "
                               f"in dim {p} and second has size {s2} in dim {q}")
        else:
            k *= s1
    ca, cb = wrap_dims(da, x.ndim), wrap_dims(db, y.ndim)
    fa = [d for d in range(x.ndim) if d not in ca]
    fb = [d for d in range(y.ndim) if d not in cb]
    shape = tuple(t1._data.shape[d] for d in fa) + tuple(t2._data.shape[d] for d in fb)
    n1, n2 = _numel(t1._data, fa), _numel(t2._data, fb)
    if n1 == n2 == 1:
        # torch's product of one row by one column is a dot product.
        check_bool_product("dot", x, 1, 1)
    pa = reshape(permute(t1, fa + list(ca)), (n1, k))
    pb = reshape(permute(t2, list(cb) + fb), (k, n2))
    return reshape(mm(pa, pb), shape)


def _numel(x: np.ndarray, dims: list) -> int:
    n = 1
    for d in dims:
        n *= x.shape[d]
    return n


def kron(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
    """Computes the Kronecker product of input and other."""
    from .products import _unsafe_view

    x, y = input._data, other._data
    nd = max(x.ndim, y.ndim)
    xs = (1,) * (nd - x.ndim) + x.shape
    ys = (1,) * (nd - y.ndim) + y.shape
    a = reshape(input, tuple(v for s in xs for v in (s, 1)))
    b = reshape(other, tuple(v for s in ys for v in (1, s)))
    return _unsafe_view(a * b, tuple(p * q for p, q in zip(xs, ys)))


def inner(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
    """Computes the dot product for 1-D tensors; for higher dimensions, sums the product of
    elements from input and other along their last dimension."""
    x, y = input._data, other._data
    if x.ndim == 0 or y.ndim == 0:
        return input * other
    if x.shape[-1] != y.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {shape_str(x.shape)} and {shape_str(y.shape)}")
    return tensordot(input, other, ([-1], [-1]))


# -- structure ----------------------------------------------------------------------------

def _diag_view(x: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """A writable view of the diagonal of x over dims d1, d2 (appended last, as torch)."""
    y = np.moveaxis(x, (d1, d2), (-2, -1))
    z = y[..., :, offset:] if offset >= 0 else y[..., -offset:, :]
    n = min(z.shape[-2], z.shape[-1])
    return np.lib.stride_tricks.as_strided(
        z, z.shape[:-2] + (n,), z.strides[:-2] + (z.strides[-2] + z.strides[-1],),
        writeable=x.flags.writeable)


def _dims2(x: np.ndarray, dim1: int, dim2: int) -> tuple:
    d1, d2 = wrap_dim(dim1, x.ndim), wrap_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


DiagonalBackward0 = node_class(
    "DiagonalBackward0",
    lambda m, g, shape, off, d1, d2: m.diagonal_backward(g, shape, off, d1, d2))
DiagonalCopyBackward = node_class(
    "DiagonalBackward0_copy",
    lambda m, g, shape, off, d1, d2: m.diagonal_backward(g, shape, off, d1, d2))
DiagEmbedBackward0 = node_class(
    "DiagEmbedBackward0", lambda m, g, off, d1, d2: m.diagonal(g, off, d1, d2))
DiagonalScatterBackward0 = node_class(
    "DiagonalScatterBackward0",
    lambda m, g, off, d1, d2: m.diagonal_scatter(
        g, m.zeros_like(m.diagonal(g, off, d1, d2)), off, d1, d2),
    lambda m, g, off, d1, d2: m.diagonal(g, off, d1, d2),
)
TrilBackward0 = node_class("TrilBackward0", lambda m, g, k: m.tril(g, k))
TriuBackward0 = node_class("TriuBackward0", lambda m, g, k: m.triu(g, k))
TraceBackward0 = node_class(
    "TraceBackward0", lambda m, g, shape: g * m.eye(shape, g.dtype))
LinalgCrossBackward0 = node_class(
    "LinalgCrossBackward0",
    lambda m, g, self, other, dim: m.cross(other, g, dim),
    lambda m, g, self, other, dim: m.cross(g, self, dim),
)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """Returns a partial view of input with its diagonal elements with respect to dim1 and
    dim2 appended as a dimension at the end of the shape."""
    x = input._data
    d1, d2 = _dims2(x, dim1, dim2)
    return as_view(input, _diag_view(x, offset, d1, d2), DiagonalBackward0,
                   (x.shape, offset, d1, d2))


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Creates a tensor whose diagonals of certain 2D planes (specified by dim1 and dim2) are
    filled by input."""
    x = input._data
    nd = x.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (x.shape[-1] if x.ndim else 1) + abs(offset)
    rest = list(x.shape[:-1])
    shape = []
    for k in range(nd):
        shape.append(n if k in (d1, d2) else rest.pop(0))
    out = np.zeros(shape, x.dtype)
    _diag_view(out, offset, d1, d2)[...] = x
    res = wrap(out)
    if input._rg and _mode.enabled:
        attach(DiagEmbedBackward0, res, (input,), (), (offset, d1, d2))
    return res


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """Embeds the values of src into a copy of input along the diagonal elements of input,
    with respect to dim1 and dim2."""
    x = input._data
    d1, d2 = _dims2(x, dim1, dim2)
    out = x.copy()
    view = _diag_view(out, offset, d1, d2)
    if view.shape != src._data.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{shape_str(src._data.shape)}, slice size = {shape_str(view.shape)}")
    view[...] = src._data
    res = wrap(out)
    if _mode.enabled and (input._rg or src._rg):
        attach(DiagonalScatterBackward0, res, (input, src), (), (offset, d1, d2))
    return res


def diag(input: Tensor, diagonal: int = 0, *, out: Any = None) -> Tensor:
    """1-D input: a square matrix with input on its diagonal-th diagonal; 2-D input: a 1-D
    copy of its diagonal-th diagonal."""
    x = input._data
    if x.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if x.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    res = wrap(_diag_view(x, diagonal, 0, 1).copy())
    if input._rg and _mode.enabled:
        attach(DiagonalCopyBackward, res, (input,), (), (x.shape, diagonal, 0, 1))
    return res


def _triangle(input: Tensor, k: int, lower: bool) -> Tensor:
    x = input._data
    name = "tril" if lower else "triu"
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    res = wrap(np.tril(x, k) if lower else np.triu(x, k))
    if input._rg and _mode.enabled:
        attach(TrilBackward0 if lower else TriuBackward0, res, (input,), (), (k,))
    return res


def tril(input: Tensor, diagonal: int = 0, *, out: Any = None) -> Tensor:
    """Returns the lower triangular part of the matrix (2-D tensor) or batch of matrices
    input, the other elements of the result set to 0."""
    return _triangle(input, diagonal, True)


def triu(input: Tensor, diagonal: int = 0, *, out: Any = None) -> Tensor:
    """Returns the upper triangular part of the matrix (2-D tensor) or batch of matrices
    input, the other elements of the result set to 0."""
    return _triangle(input, diagonal, False)


def trace(input: Tensor) -> Tensor:
    """Returns the sum of the elements of the diagonal of the input 2-D matrix."""
    x = input._data
    if x.dtype.kind == "b":
        raise not_implemented("trace", input.dtype)
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    dt = np.int64 if x.dtype.kind in "biu" else x.dtype
    res = wrap(np.asarray(np.trace(x), dtype=dt))
    if input._rg and _mode.enabled:
        attach(TraceBackward0, res, (input,), (), (x.shape,))
    return res


def cross(input: Tensor, other: Tensor, dim: int | None = None, *, out: Any = None) -> Tensor:
    """Returns the cross product of vectors in dimension dim of input and other (broadcast);
    without dim, the first dimension of size 3."""
    x = check_tensor(input, fn="cross")._data
    check_tensor(other, "other", 1, "cross")
    if dim is None:
        d = next((k for k, s in enumerate(x.shape) if s == 3), None)
        if d is None:
            raise RuntimeError("no dimension of size 3 in input")
        import warnings

        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
            "dim will change to agree with that of linalg.cross in a future release.",
            UserWarning, stacklevel=2)
    else:
        d = dim
    return linalg_cross(input, other, dim=d)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1, out: Any = None) -> Tensor:
    """Computes the cross product of two 3-dimensional vectors along dim (broadcast)."""
    x, y = input._data, other._data
    if x.ndim != y.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, x.ndim, False)
    if x.shape[d] != 3 or y.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{x.shape[d]} and {y.shape[d]}")
    shape = broadcast_shape(x.shape, y.shape)
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._legacy} but found "
                           f"{other.dtype._legacy}")
    res = wrap(np.cross(np.broadcast_to(x, shape), np.broadcast_to(y, shape), axis=d))
    if needs_grad(input, other):
        meta = [None if x.shape == shape else (x.shape, x.dtype),
                None if y.shape == shape else (y.shape, y.dtype)]
        attach(LinalgCrossBackward0, res, (input, other), (input, other), (d,),
               meta if meta != [None, None] else None)
    return res


def _diagonal_backward(g: np.ndarray, shape: tuple, offset: int, d1: int, d2: int
                       ) -> np.ndarray:
    out = np.zeros(shape, g.dtype)
    _diag_view(out, offset, d1, d2)[...] = g
    return out


def _diagonal_scatter(x: np.ndarray, src: np.ndarray, offset: int, d1: int, d2: int
                      ) -> np.ndarray:
    out = x.copy()
    _diag_view(out, offset, d1, d2)[...] = src
    return out


# Plain backward's helpers, on arrays, share this family's diagonal view.
_math.raw.diagonal_backward = _diagonal_backward
_math.raw.diagonal_scatter = _diagonal_scatter


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """If input is a vector (1-D tensor), then returns a 2-D square tensor with the elements
    of input as the diagonal; otherwise the flattened input is the diagonal."""
    return diag_embed(reshape(input, -1), offset)


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
