"""The LU decomposition with partial pivoting (torch.linalg.lu_factor, lu_factor_ex, lu,
lu_solve; torch.lu_unpack, torch.lu) and the backward formulas of torch's FunctionsManual
(real case)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import return_types
from .._dtypes import FROM_NUMPY
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from ._core import attach, attach_outputs, check_tensor, needs_grad, node_class, warn_once, wrap
from ._math import raw as _raw
from .decomp import lu_array, lu_solve_array, permutation_array

__all__ = ["lu_unpack", "lu", "lu_solve"]

_lu_factor_t = return_types.structseq("linalg_lu_factor", ("LU", "pivots"))
_lu_factor_ex_t = return_types.structseq("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_lu_t = return_types.structseq("linalg_lu", ("P", "L", "U"))
_lu_unpack_t = return_types.structseq("lu_unpack", ("P", "L", "U"))


# -- formulas -------------------------------------------------------------------------------

def _unpacked(m: Any, lu: Any) -> tuple:
    """L (m x k, unit diagonal) and U (k x n) of packed factors, in the namespace m."""
    rows, cols = lu.shape[-2], lu.shape[-1]
    k = min(rows, cols)
    nd = len(lu.shape)
    low = m.narrow(lu, nd - 1, 0, k) if cols > k else lu
    up = m.narrow(lu, nd - 2, 0, k) if rows > k else lu
    return m.tril(low, -1) + m.eye((rows, k), low.dtype), m.triu(up, 0)


def lu_backward(m: Any, gl: Any, gu: Any, p: Any, low: Any, up: Any) -> Any:
    """The gradient of A = P L U from those of L and U (torch's linalg_lu_backward)."""
    rows, cols = low.shape[-2], up.shape[-1]
    k = min(rows, cols)
    nd = len(low.shape)
    if rows == cols:
        ga = None if gl is None else m.tril(m.matmul(m.mT(low), gl), -1)
        if gu is not None:
            term = m.triu(m.matmul(gu, m.mT(up)), 0)
            ga = term if ga is None else ga + term
        ga = m.solve_triangular(m.mT(up), ga, False, False, False)
        ga = m.solve_triangular(m.mT(low), ga, True, True, True)
    elif rows < cols:
        u1 = m.narrow(up, nd - 1, 0, k)
        ga = None if gl is None else m.matmul(m.mT(low), gl)
        if gu is not None:
            term = m.matmul(m.triu(gu, 0), m.mT(up))
            ga = -term if ga is None else ga - term
        ga = m.solve_triangular(m.mT(u1), m.tril(ga, -1), False, False, False)
        if gu is not None:
            ga = m.cat([ga + m.triu(m.narrow(gu, nd - 1, 0, k), 0),
                        m.narrow(gu, nd - 1, k, cols - k)], nd - 1)
        ga = m.solve_triangular(m.mT(low), ga, True, True, True)
        if gu is None:
            ga = m.cat([ga, m.zeros_like(m.narrow(up, nd - 1, k, cols - k))], nd - 1)
    else:
        # Tall: A = P [L1; L2] U with L1 square; the rows of L2 solve L2 U = A2.
        l1 = m.narrow(low, nd - 2, 0, k)
        ga = None if gu is None else m.matmul(gu, m.mT(up))
        if gl is not None:
            gl2 = m.narrow(gl, nd - 2, k, rows - k)
            term = m.matmul(m.mT(m.narrow(low, nd - 2, k, rows - k)), gl2)
            ga = m.triu(-term if ga is None else ga - term, 0) + m.tril(
                m.matmul(m.mT(l1), m.narrow(gl, nd - 2, 0, k)), -1)
        else:
            ga = m.triu(ga, 0)
        ga = m.solve_triangular(m.mT(l1), ga, True, True, True)
        ga = m.solve_triangular(m.mT(up), ga, False, False, False)
        bottom = m.zeros(tuple(low.shape[:-2]) + (rows - k, cols), low.dtype) if gl is None \
            else m.solve_triangular(m.mT(up), gl2, False, False, False)
        ga = m.cat([ga, bottom], nd - 2)
    return m.matmul(m.const(p), ga)


def _lu_factor_formula(m: Any, grads: list, lu: Any, p: np.ndarray) -> Any:
    g = grads[0]
    if g is None:
        return None
    rows, cols = lu.shape[-2], lu.shape[-1]
    k = min(rows, cols)
    nd = len(lu.shape)
    low, up = _unpacked(m, lu)
    gl = m.narrow(g, nd - 1, 0, k) if cols > k else g
    gu = m.narrow(g, nd - 2, 0, k) if rows > k else g
    return lu_backward(m, gl, gu, p, low, up)


def _lu_formula(m: Any, grads: list, low: Any, up: Any, p: np.ndarray) -> Any:
    if grads[1] is None and grads[2] is None:
        return None
    return lu_backward(m, grads[1], grads[2], p, low, up)


def _lu_unpack_formula(m: Any, grads: list, rows: int, cols: int) -> Any:
    # The packed factors hold L's strict lower triangle in their first k columns and U's
    # upper triangle in their first k rows: each gradient goes back to its own entries.
    gl, gu = grads[1], grads[2]
    k = min(rows, cols)
    out = None
    if gl is not None:
        out = m.tril(gl, -1)
        if cols > k:
            nd = len(gl.shape)
            out = m.cat([out, m.zeros(tuple(gl.shape[:-1]) + (cols - k,), gl.dtype)], nd - 1)
    if gu is not None:
        up = m.triu(gu, 0)
        if rows > k:
            nd = len(gu.shape)
            up = m.cat([up, m.zeros(tuple(gu.shape[:-2]) + (rows - k, cols), gu.dtype)], nd - 2)
        out = up if out is None else out + up
    return out


def _lu_solve_m(m: Any, low: Any, up: Any, p: Any, b: Any, adjoint: bool) -> Any:
    """lu_solve in the namespace m, from unpacked factors (P a constant)."""
    if adjoint:
        y = m.solve_triangular(m.mT(up), b, False, True, False)
        return m.matmul(p, m.solve_triangular(m.mT(low), y, True, True, True))
    y = m.solve_triangular(low, m.matmul(m.mT(p), b), False, True, True)
    return m.solve_triangular(up, y, True, True, False)


def _lu_solve_lu_grad(m: Any, g: Any, lu: Any, x: Any, p: np.ndarray, left: bool,
                      adjoint: bool) -> Any:
    low, up = _unpacked(m, lu)
    if left != adjoint:
        gr = m.solve_triangular(m.mT(up), -m.matmul(g if left else m.mT(g),
                                                    m.mT(x) if left else x),
                                False, True, False)
        gl = m.solve_triangular(m.mT(low), m.matmul(gr, m.mT(up)), True, True, True)
        return m.tril(gl, -1) + m.triu(gr, 0)
    pc = m.const(p)
    gr = -m.matmul(m.matmul(m.matmul(m.mT(pc), x if left else m.mT(x)),
                            m.mT(g) if left else g), pc)
    gr = m.solve_triangular(m.mT(low), gr, True, False, True)
    gu = m.triu(m.solve_triangular(m.mT(up), m.matmul(m.mT(low), gr), False, False, False), 0)
    return m.tril(gr, -1) + gu


def _lu_solve_b_grad(m: Any, g: Any, lu: Any, x: Any, p: np.ndarray, left: bool,
                     adjoint: bool) -> Any:
    low, up = _unpacked(m, lu)
    pc = m.const(p)
    if left:
        return _lu_solve_m(m, low, up, pc, g, not adjoint)
    return m.mT(_lu_solve_m(m, low, up, pc, m.mT(g), adjoint))


LinalgLuFactorExBackward0 = node_class("LinalgLuFactorExBackward0", _lu_factor_formula,
                                       n_outputs=3)
LinalgLuBackward0 = node_class("LinalgLuBackward0", _lu_formula, n_outputs=3)
LuUnpackBackward0 = node_class("LuUnpackBackward0", _lu_unpack_formula, n_outputs=3)
LinalgLuSolveBackward0 = node_class("LinalgLuSolveBackward0", _lu_solve_lu_grad,
                                    _lu_solve_b_grad)


# -- ops ------------------------------------------------------------------------------------

def _check_lu_input(A: Tensor, fn: str) -> np.ndarray:
    x = check_tensor(A, "A", 0, fn)._data
    if x.ndim < 2:
        raise RuntimeError(f"{fn}: Expected tensor with 2 or more dimensions. Got size: "
                           f"[{', '.join(map(str, x.shape))}] instead")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{FROM_NUMPY[x.dtype]._legacy}'")
    return x


def _lu_error(info: np.ndarray, fn: str) -> None:
    flat = info.reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        b = int(bad[0])
        where = f"(Batch element {b}): " if info.ndim else ""
        k = int(flat[b])
        raise RuntimeError(f"{fn}: {where}U[{k},{k}] is zero and using it on lu_solve would "
                           "result in a division by zero. If you still want to perform the "
                           "factorization, consider calling linalg.lu(A, pivot) or "
                           "linalg.lu_factor_ex(A, pivot)")


def _factor(A: Tensor, pivot: bool, fn: str) -> tuple:
    x = _check_lu_input(A, "torch.lu_factor")
    if not pivot:
        raise RuntimeError(f"{fn}: LU without pivoting is not implemented on the CPU")
    lu, piv, info = lu_array(x)
    outs = (wrap(lu), wrap(piv), wrap(info))
    if A._rg and _mode.enabled:
        p = permutation_array(piv, x.shape[-2], x.dtype)
        attach_outputs(LinalgLuFactorExBackward0, outs, (A,), (outs[0], p))
    return outs


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False,
                 out: Any = None) -> Any:
    """Computes a compact representation of the LU factorization of a matrix with partial
    pivoting, and an info tensor (the 1-based position of the first zero pivot, 0 if
    none); check_errors=True raises for a nonzero info."""
    outs = _factor(A, pivot, "linalg.lu_factor_ex")
    if check_errors:
        _lu_error(outs[2]._data, "torch.linalg.lu_factor_ex")
    return _lu_factor_ex_t(outs)


def lu_factor(A: Tensor, *, pivot: bool = True, out: Any = None) -> Any:
    """Computes a compact representation of the LU factorization with partial pivoting of
    a matrix: LU (L below the diagonal, U on and above) and the 1-based pivots."""
    outs = _factor(A, pivot, "linalg.lu_factor")
    _lu_error(outs[2]._data, "torch.linalg.lu_factor")
    return _lu_factor_t(outs[:2])


def linalg_lu(A: Tensor, *, pivot: bool = True, out: Any = None) -> Any:
    """Computes the LU decomposition with partial pivoting of a matrix: A = P L U."""
    x = _check_lu_input(A, "linalg.lu")
    if not pivot:
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU")
    lu, piv, _ = lu_array(x)
    p = permutation_array(piv, x.shape[-2], x.dtype)
    low, up = _unpacked(_raw, lu)
    outs = (wrap(p), wrap(np.ascontiguousarray(low)), wrap(np.ascontiguousarray(up)))
    if A._rg and _mode.enabled:
        attach_outputs(LinalgLuBackward0, (None,) + outs[1:], (A,), (outs[1], outs[2], p))
    return _lu_t(outs)


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True, *, out: Any = None) -> Any:
    """Unpacks the LU decomposition returned by lu_factor into the P, L, U matrices."""
    x = check_tensor(LU_data, "LU_data", 0, "lu_unpack")._data
    piv = check_tensor(LU_pivots, "LU_pivots", 1, "lu_unpack")._data
    if x.ndim < 2:
        raise RuntimeError("torch.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: [{', '.join(map(str, x.shape))}] instead")
    if piv.dtype != np.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor "
                           "of torch.int32 dtype.")
    empty = np.empty((0,), x.dtype)
    p = permutation_array(piv, x.shape[-2], x.dtype) if unpack_pivots else empty
    if unpack_data:
        low, up = _unpacked(_raw, x)
        low, up = np.ascontiguousarray(low), np.ascontiguousarray(up)
    else:
        low = up = empty
    outs = (wrap(p), wrap(low), wrap(up.copy() if up is low else up))
    if unpack_data and LU_data._rg and _mode.enabled and x.dtype.kind == "f":
        attach_outputs(LuUnpackBackward0, (None,) + outs[1:], (LU_data,), (),
                       x.shape[-2:])
    return _lu_unpack_t(outs)


def linalg_lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
                    adjoint: bool = False, out: Any = None) -> Tensor:
    """Computes the solution of a square system of linear equations with a unique solution
    given an LU decomposition: A X = B (X A = B with left=False; A^T for adjoint=True)."""
    lu = check_tensor(LU, "LU", 0, "linalg_lu_solve")._data
    piv = check_tensor(pivots, "pivots", 1, "linalg_lu_solve")._data
    b = check_tensor(B, "B", 2, "linalg_lu_solve")._data
    if lu.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor LU must have at least 2 "
                           "dimensions.")
    if lu.shape[-1] != lu.shape[-2]:
        raise RuntimeError("linalg.lu_solve: A must be batches of square matrices, but they "
                           f"are {lu.shape[-2]} by {lu.shape[-1]} matrices")
    if b.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 "
                           "dimensions.")
    n = lu.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{eq} ({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    if b.dtype != lu.dtype:
        raise RuntimeError("linalg.lu_solve: Expected LU and B to have the same dtype, but "
                           f"found LU of type {FROM_NUMPY[lu.dtype]._legacy} and B of type "
                           f"{FROM_NUMPY[b.dtype]._legacy} instead")
    if piv.dtype != np.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type "
                           "torch.int32")
    if lu.dtype.kind != "f":
        raise NotImplementedError(
            f"\"lu_solve_cpu\" not implemented for '{FROM_NUMPY[lu.dtype]._legacy}'")
    p = permutation_array(piv, n, lu.dtype)
    if left:
        data = lu_solve_array(lu, p, b, adjoint)
    else:
        data = np.swapaxes(lu_solve_array(lu, p, np.swapaxes(b, -1, -2), not adjoint), -1, -2)
    res = wrap(np.ascontiguousarray(data, dtype=lu.dtype))
    if needs_grad(LU, B):
        shape = res._data.shape
        meta = [None if lu.shape[:-2] == shape[:-2] else (lu.shape, lu.dtype),
                None if b.shape == shape else (b.shape, b.dtype)]
        attach(LinalgLuSolveBackward0, res, (LU, B), (LU, res, p), (left, adjoint),
               meta if meta != [None, None] else None)
    return res


def lu_solve(input: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out: Any = None) -> Tensor:
    """Returns the LU solve of the linear system A x = b from A's LU factorization
    (deprecated in favor of torch.linalg.lu_solve, whose arguments are reversed)."""
    warn_once("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
              "removed in a future PyTorch release.\nNote that torch.linalg.lu_solve has its "
              "arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be replaced "
              "with\nX = torch.linalg.lu_solve(LU, pivots, B)")
    return linalg_lu_solve(LU_data, LU_pivots, input)


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False, out: Any = None) -> Any:
    """Computes the LU factorization of a matrix or batches of matrices A (deprecated in
    favor of torch.linalg.lu_factor): the factors, the pivots and, with get_infos, the
    infos."""
    warn_once("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
              "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.\n"
              "LU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\n"
              "LU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
              "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\n"
              "should be replaced with\n"
              "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)")
    outs = _factor(A, pivot, "linalg.lu_factor")
    return outs if get_infos else outs[:2]


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
