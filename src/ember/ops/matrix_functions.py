"""More of torch.linalg and torch's older linear algebra functions: the matrix exponential,
least squares, solves through Cholesky factors and triangular matrices, and the functions
torch composes of other ops (norm, vecdot, multi_dot, matrix_rank, cond, vander, tensorinv,
tensorsolve, torch.svd, torch.qr, nuclear_norm, frobenius_norm, chain_matmul, adjoint),
which are composed here of the same ops so that their graphs carry torch's nodes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import return_types
from .._dtypes import FROM_NUMPY, type_meta_name
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from . import _math
from ._core import (
    attach,
    attach_outputs,
    check_tensor,
    needs_grad,
    node_class,
    warn_once,
    wrap,
    wrap_dim,
)
from .decomp import (
    _check_square,
    _pinv_formula,
    _singular_error,
    cholesky_legacy,
    inv_ex,
    pinv,
    solve,
    svdvals,
    triangular_solve_array,
)
from .decomp import qr as linalg_qr
from .decomp import svd as linalg_svd
from .reduction import NormBackward1, matrix_norm, vector_norm, vector_norm_as

__all__ = ["svd", "qr", "cholesky", "cholesky_solve", "cholesky_inverse", "triangular_solve",
           "matrix_exp", "nuclear_norm", "frobenius_norm", "chain_matmul", "adjoint"]

_lstsq_t = return_types.structseq("linalg_lstsq", ("solution", "residuals", "rank",
                                                   "singular_values"))
_svd_t = return_types.structseq("svd", ("U", "S", "V"))
_qr_t = return_types.structseq("qr", ("Q", "R"))
_triangular_solve_t = return_types.structseq("triangular_solve",
                                             ("solution", "cloned_coefficient"))


# torch.cholesky, older than torch.linalg.cholesky: its own node and messages.
cholesky = cholesky_legacy


def _legacy(x: np.ndarray) -> str:
    return FROM_NUMPY[x.dtype]._legacy


# -- the matrix exponential -------------------------------------------------------------------

# Higham's degree-13 Pade approximant (SIAM J. Matrix Anal. Appl. 26, 2005) and the 1-norm up
# to which it is accurate in double precision without scaling.
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def matrix_exp_array(x: np.ndarray) -> np.ndarray:
    """exp of a batch of square matrices by scaling and squaring of the Pade approximant,
    in double precision (the result in x's dtype)."""
    a = np.asarray(x, np.float64)
    n = a.shape[-1]
    if a.size == 0:
        return np.array(x, copy=True)
    flat = a.reshape((-1, n, n))
    out = np.empty_like(flat)
    eye = np.eye(n)
    b = _PADE13
    with np.errstate(all="ignore"):
        for i, mat in enumerate(flat):
            norm = np.abs(mat).sum(0).max()
            s = max(0, math.ceil(math.log2(norm / _THETA13))) if np.isfinite(norm) and \
                norm > _THETA13 else 0
            m = mat / 2.0 ** s
            m2 = m @ m
            m4 = m2 @ m2
            m6 = m4 @ m2
            u = m @ (m6 @ (b[13] * m6 + b[11] * m4 + b[9] * m2)
                     + b[7] * m6 + b[5] * m4 + b[3] * m2 + b[1] * eye)
            v = (m6 @ (b[12] * m6 + b[10] * m4 + b[8] * m2)
                 + b[6] * m6 + b[4] * m4 + b[2] * m2 + b[0] * eye)
            try:
                r = np.linalg.solve(v - u, v + u)
            except np.linalg.LinAlgError:
                r = np.full((n, n), np.nan)
            for _ in range(s):
                r = r @ r
            out[i] = r
    return out.reshape(x.shape).astype(x.dtype)


def _matrix_exp_grad(m: Any, g: Any, a: Any) -> Any:
    # The gradient is the upper right block of exp([[A^T, G], [0, A^T]]) (torch's
    # linalg_matrix_exp_differential), so that it is differentiable again.
    nd = len(a.shape)
    n = a.shape[-1]
    at = m.mT(a)
    top = m.cat([at, g], nd - 1)
    bottom = m.cat([m.zeros_like(at), at], nd - 1)
    e = m.matrix_exp(m.cat([top, bottom], nd - 2))
    return m.narrow(m.narrow(e, nd - 2, 0, n), nd - 1, n, n)


LinalgMatrixExpBackward0 = node_class("LinalgMatrixExpBackward0", _matrix_exp_grad)


def matrix_exp(A: Tensor) -> Tensor:
    """Computes the matrix exponential of a square matrix (or of each of a batch)."""
    x = _check_square(check_tensor(A, "A", 0, "linalg_matrix_exp"), "linalg.matrix_exp")
    res = wrap(matrix_exp_array(x))
    if A._rg and _mode.enabled:
        attach(LinalgMatrixExpBackward0, res, (A,), (A,))
    return res


# -- least squares ----------------------------------------------------------------------------

def _lstsq_grad_a(m: Any, g: Any, a: Any, b: Any, vector: bool) -> Any:
    if vector:
        g, b = m.unsqueeze(g, -1), m.unsqueeze(b, -1)
    return _pinv_formula(m, m.matmul(g, m.mT(b)), a, m.pinv(a))


def _lstsq_grad_b(m: Any, g: Any, a: Any, b: Any, vector: bool) -> Any:
    gb = m.matmul(m.mT(m.pinv(a)), m.unsqueeze(g, -1) if vector else g)
    return m.squeeze(gb, -1) if vector else gb


LinalgLstsqBackward0 = node_class("LinalgLstsqBackward0", _lstsq_grad_a, _lstsq_grad_b)

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None
          ) -> Any:
    """Computes a solution to the least squares problem of a system of linear equations
    min ||A X - B||: the solution, the squared residuals, the rank and the singular values
    (each computed only where the driver computes it)."""
    a = check_tensor(A, "self", 0, "linalg_lstsq")._data
    b = check_tensor(B, "b", 1, "linalg_lstsq")._data
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if b.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if a.dtype != b.dtype:
        raise RuntimeError("torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {_legacy(a)} and other's dtype "
                           f"{_legacy(b)}")
    if a.dtype.kind != "f" or a.dtype == np.float16:
        raise RuntimeError("This function doesn't handle types other than float and double")
    vector = b.ndim == a.ndim - 1
    bb = b[..., None] if vector else b
    if a.shape[-2] != bb.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size("
                           f"{-1 if vector else -2})")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           "gelsy, gelsd, gelss)")
    rows, cols = a.shape[-2:]
    if rcond is None:
        rcond = float(np.finfo(a.dtype).eps) * max(rows, cols)
    batch = np.broadcast_shapes(a.shape[:-2], bb.shape[:-2])
    ab = np.broadcast_to(a, batch + a.shape[-2:]).astype(np.float64)
    bq = np.broadcast_to(bb, batch + bb.shape[-2:]).astype(np.float64)
    with np.errstate(all="ignore"):
        u, s, vh = np.linalg.svd(ab, full_matrices=False)
        smax = s[..., :1] if s.shape[-1] else s
        # gels assumes full rank; the others drop singular values below rcond * the largest.
        keep = np.ones(s.shape, bool) if driver == "gels" else s > rcond * smax
        sinv = np.where(keep, 1 / np.where(keep, s, 1), 0)
        x = np.matmul(np.swapaxes(vh, -1, -2),
                      sinv[..., None] * np.matmul(np.swapaxes(u, -1, -2), bq))
        rank = keep.sum(-1)
        dt = a.dtype
        if driver != "gelsy" and rows > cols and (rank == cols).all():
            res = ((np.matmul(ab, x) - bq) ** 2).sum(-2)
            residuals = res[..., 0] if vector else res
        else:
            residuals = np.empty((0,), dt)
    solution = wrap(np.ascontiguousarray((x[..., 0] if vector else x).astype(dt)))
    ranks = np.empty((0,), np.int64) if driver == "gels" else rank.astype(np.int64)
    svals = s.astype(dt) if driver in ("gelsd", "gelss") else np.empty((0,), dt)
    if needs_grad(A, B):
        meta = [None if a.shape[:-2] == batch else (a.shape, a.dtype),
                None if b.shape[:-1 if vector else -2] == batch else (b.shape, b.dtype)]
        attach(LinalgLstsqBackward0, solution, (A, B), (A, B), (vector,),
               meta if meta != [None, None] else None)
    return _lstsq_t((solution, wrap(np.asarray(residuals, dt)), wrap(ranks), wrap(svals)))


# -- Cholesky and triangular solves -----------------------------------------------------------

def _cholesky_solve_array(b: np.ndarray, low: np.ndarray, upper: bool) -> np.ndarray:
    if upper:
        y = triangular_solve_array(np.swapaxes(low, -1, -2), b, False, True, False)
        return triangular_solve_array(low, y, True, True, False)
    y = triangular_solve_array(low, b, False, True, False)
    return triangular_solve_array(np.swapaxes(low, -1, -2), y, True, True, False)


def _cholesky_solve_m(m: Any, b: Any, low: Any, upper: bool) -> Any:
    if upper:
        y = m.solve_triangular(m.mT(low), b, False, True, False)
        return m.solve_triangular(low, y, True, True, False)
    y = m.solve_triangular(low, b, False, True, False)
    return m.solve_triangular(m.mT(low), y, True, True, False)


def _cholesky_solve_grad_l(m: Any, g: Any, low: Any, x: Any, upper: bool) -> Any:
    common = m.matmul(_cholesky_solve_m(m, g, low, upper), m.mT(x))
    common = common + m.mT(common)
    return -m.matmul(low, common) if upper else -m.matmul(common, low)


CholeskySolveBackward0 = node_class(
    "CholeskySolveBackward0",
    lambda m, g, low, x, upper: _cholesky_solve_m(m, g, low, upper),
    _cholesky_solve_grad_l)


def _check_coefficient(b: np.ndarray, a: np.ndarray, fn: str) -> None:
    """The checks cholesky_solve and triangular_solve make of (b, A): dims, squareness,
    dtypes, then sizes."""
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {a.shape[-2]} "
                           f"by {a.shape[-1]} matrices")
    if b.dtype != a.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_legacy(b)} and A of type {_legacy(a)} instead.")
    if b.shape[-2] != a.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for {fn}: each A matrix is "
                           f"{a.shape[-2]} by {a.shape[-1]} but each b matrix is {b.shape[-2]} "
                           f"by {b.shape[-1]}")
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"{fn}_cpu\" not implemented for '{_legacy(a)}'")


def _batch_meta(x: np.ndarray, y: np.ndarray, shape: tuple) -> Any:
    meta = [None if x.shape[:-2] == shape[:-2] else (x.shape, x.dtype),
            None if y.shape[:-2] == shape[:-2] else (y.shape, y.dtype)]
    return meta if meta != [None, None] else None


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False, *, out: Any = None
                   ) -> Tensor:
    """Computes the solution of a system of linear equations with a symmetric positive
    definite coefficient matrix A given its Cholesky factor (input2, lower or upper)."""
    b = check_tensor(input, fn="cholesky_solve")._data
    low = check_tensor(input2, "input2", 1, "cholesky_solve")._data
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} dimensions "
                           "instead")
    if low.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {low.ndim} "
                           "dimensions instead")
    _check_coefficient(b, low, "cholesky_solve")
    res = wrap(np.ascontiguousarray(_cholesky_solve_array(b, low, upper)))
    if needs_grad(input, input2):
        meta = _batch_meta(b, low, res._data.shape)
        attach(CholeskySolveBackward0, res, (input, input2), (input2, res), (upper,), meta)
    return res


def _cholesky_inverse_grad(m: Any, g: Any, low: Any, inverse: Any, upper: bool) -> Any:
    common = m.matmul(inverse, m.matmul(g + m.mT(g), inverse))
    return -m.matmul(low, common) if upper else -m.matmul(common, low)


CholeskyInverseBackward0 = node_class("CholeskyInverseBackward0", _cholesky_inverse_grad)


def cholesky_inverse(input: Tensor, upper: bool = False, *, out: Any = None) -> Tensor:
    """Computes the inverse of a symmetric positive-definite matrix A given its Cholesky
    factor (lower, or upper with upper=True)."""
    x = check_tensor(input, fn="cholesky_inverse")._data
    if x.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 "
                           "dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError("cholesky_inverse: A must be batches of square matrices, but they "
                           f"are {x.shape[-2]} by {x.shape[-1]} matrices")
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"cholesky_inverse_out_cpu\" not implemented for '{_legacy(x)}'")
    eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape)
    res = wrap(np.ascontiguousarray(_cholesky_solve_array(eye, x, upper)))
    if input._rg and _mode.enabled:
        attach(CholeskyInverseBackward0, res, (input,), (input, res), (upper,))
    return res


def _triangular_solve_formula(m: Any, grads: list, a: Any, x: Any, upper: bool,
                              transpose: bool, unitriangular: bool, which: int) -> Any:
    gx, gm = grads
    if which == 0:
        if gx is None:
            return m.zeros_like(x)  # torch's zeros for b when only the copy of A is used
        coef = a if transpose else m.mT(a)
        return m.solve_triangular(coef, gx, upper != (not transpose), True, unitriangular)
    ga = None
    if gx is not None:
        coef = a if transpose else m.mT(a)
        gb = m.solve_triangular(coef, gx, upper != (not transpose), True, unitriangular)
        ga = -m.matmul(x, m.mT(gb)) if transpose else -m.matmul(gb, m.mT(x))
        ga = m.triu(ga, int(unitriangular)) if upper else m.tril(ga, -int(unitriangular))
    if gm is not None:
        ga = gm if ga is None else ga + gm
    return ga


TriangularSolveBackward0 = node_class(
    "TriangularSolveBackward0",
    lambda m, grads, a, x, up, tr, unit: _triangular_solve_formula(m, grads, a, x, up, tr,
                                                                   unit, 0),
    lambda m, grads, a, x, up, tr, unit: _triangular_solve_formula(m, grads, a, x, up, tr,
                                                                   unit, 1),
    n_outputs=2)


def triangular_solve(input: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False, *, out: Any = None) -> Any:
    """Solves a system of equations with a square upper or lower triangular invertible
    matrix A and multiple right-hand sides b (deprecated in favor of
    torch.linalg.solve_triangular): the solution and a copy of A."""
    warn_once("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangular"
              "and will be removed in a future PyTorch release.\ntorch.linalg.solve_triangular "
              "has its arguments reversed and does not return a copy of one of the inputs.\n"
              "X = torch.triangular_solve(B, A).solution\nshould be replaced with\n"
              "X = torch.linalg.solve_triangular(A, B).")
    b = check_tensor(input, fn="triangular_solve")._data
    a = check_tensor(A, "A", 1, "triangular_solve")._data
    for name, t in (("b", b), ("A", a)):
        if t.ndim < 2:
            raise RuntimeError(f"torch.triangular_solve: Expected {name} to have at least 2 "
                               f"dimensions, but it has {t.ndim} dimensions instead")
    _check_coefficient(b, a, "triangular_solve")
    coef = np.swapaxes(a, -1, -2) if transpose else a
    sol = triangular_solve_array(coef, b, upper != transpose, True, unitriangular)
    shape = sol.shape
    outs = (wrap(np.ascontiguousarray(sol)),
            wrap(np.array(np.broadcast_to(a, shape[:-2] + a.shape[-2:]))))
    if needs_grad(input, A):
        meta = _batch_meta(b, a, shape)
        attach_outputs(TriangularSolveBackward0, outs, (input, A), (A, outs[0]),
                       (upper, transpose, unitriangular), meta)
    return _triangular_solve_t(outs)


# -- functions torch composes of other ops ----------------------------------------------------

def linalg_norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         out: Any = None, dtype: Any = None) -> Tensor:
    """Computes a vector or matrix norm: over dim (one dimension: a vector norm, two: a
    matrix norm); without dim, of the whole tensor for ord=None, else of A as a vector (1-D)
    or a matrix (2-D)."""
    x = check_tensor(A, "A", 0, "linalg_norm")._data
    if dim is not None:
        dims = [dim] if isinstance(dim, int) else list(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {dims}")
    elif ord is not None and x.ndim not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {x.ndim}D.")
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if (dim is None and x.ndim == 1) or (dim is not None and len(dims) == 1):
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out: Any = None) -> Tensor:
    """Computes the dot product of two batches of vectors along a dimension."""
    a = check_tensor(x, "x", 0, "linalg_vecdot")._data
    b = check_tensor(y, "y", 1, "linalg_vecdot")._data
    if a.dtype.kind != "f":
        raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as "
                           f"input. Got {_legacy(a)}")
    if a.dtype != b.dtype:
        raise RuntimeError("linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {_legacy(a)} and y of type {_legacy(b)} instead")
    return (x * y).sum(dim)


def _chain_order(dims: list) -> list:
    """The split of each sub-chain i..j in the cheapest order (the matrix chain DP, the
    first of equal splits)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if q < cost[i][j]:
                    cost[i][j] = q
                    split[i][j] = k
    return split


def multi_dot(tensors: Any, *, out: Any = None) -> Tensor:
    """Efficiently multiplies two or more matrices by reordering the multiplications so
    that the fewest arithmetic operations are performed (the first may be a row vector and
    the last a column vector)."""
    from .products import mm
    from .shape import unsqueeze, view

    ts = list(tensors)
    n = len(ts)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    d0, dl = ts[0]._data.ndim, ts[-1]._data.ndim
    if d0 not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {d0}D")
    if dl not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {dl}D")
    for i in range(1, n - 1):
        if ts[i]._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got "
                               f"{ts[i]._data.ndim}D")
    dt = ts[0]._data.dtype
    for i in range(1, n):
        if ts[i]._data.dtype != dt:
            raise RuntimeError("multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {type_meta_name(dt)} and tensor {i} "
                               f"{type_meta_name(ts[i]._data.dtype)}")
    out_shape = [s for s in (ts[0]._data.shape[0] if d0 == 2 else None,
                             ts[-1]._data.shape[1] if dl == 2 else None) if s is not None]
    if d0 == 1:
        ts[0] = unsqueeze(ts[0], 0)
    if dl == 1:
        ts[-1] = unsqueeze(ts[-1], -1)
    for i in range(n - 1):
        s1, s2 = ts[i]._data.shape, ts[i + 1]._data.shape
        if s1[1] != s2[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"[{s1[0]}, {s1[1]}] and [{s2[0]}, {s2[1]}] cannot be multiplied")
    if n == 2:
        res = mm(ts[0], ts[1])
    elif n == 3:
        a, b = ts[0]._data.shape
        c, d = ts[2]._data.shape
        res = mm(ts[0], mm(ts[1], ts[2])) if a * c * (b + d) > b * d * (a + c) else \
            mm(mm(ts[0], ts[1]), ts[2])
    else:
        dims = [ts[0]._data.shape[0]] + [t._data.shape[1] for t in ts]
        split = _chain_order(dims)

        def chain(i: int, j: int) -> Tensor:
            if i == j:
                return ts[i]
            k = split[i][j]
            return mm(chain(i, k), chain(k + 1, j))

        res = chain(0, n - 1)
    return view(res, out_shape)


def _tolerances(x: np.ndarray, atol: Any, rtol: Any) -> tuple:
    """torch's defaults of matrix_rank's (and pinv's) tolerances: rtol is eps * max(m, n)
    unless a positive atol is given alone."""
    def value(t: Any) -> Any:
        return t._data if isinstance(t, Tensor) else t

    atol, rtol = value(atol), value(rtol)
    if rtol is None:
        positive = atol is not None and np.all(np.asarray(atol) > 0)
        rtol = 0.0 if positive else float(np.finfo(x.dtype).eps) * max(x.shape[-2:])
    return (0.0 if atol is None else atol), rtol


def matrix_rank(A: Tensor, tol: Any = None, hermitian: bool = False, *, atol: Any = None,
                rtol: Any = None, out: Any = None) -> Tensor:
    """Computes the numerical rank of a matrix: the number of singular values (or absolute
    eigenvalues, with hermitian=True) above max(atol, rtol * the largest)."""
    x = check_tensor(A, "input", 0, "linalg_matrix_rank")._data
    if x.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at "
                           "least 2 dimensions.")
    if x.dtype.kind != "f" or x.dtype == np.float16:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _tolerances(x, atol, rtol)
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(x)) if x.size else np.zeros(x.shape[:-1], x.dtype)
    else:
        s = np.linalg.svd(x, compute_uv=False) if x.size else \
            np.zeros(x.shape[:-2] + (min(x.shape[-2:]),), x.dtype)
    smax = s.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    atol = np.asarray(atol)[..., None]
    rtol = np.asarray(rtol)[..., None]
    with np.errstate(all="ignore"):
        rank = (s > np.maximum(atol, rtol * smax)).sum(-1)
    return wrap(np.asarray(rank, np.int64))


_COND_ORDERS = (1, -1, 2, -2, math.inf, -math.inf, "fro", "nuc")


def cond(A: Tensor, p: Any = None, *, out: Any = None) -> Tensor:
    """Computes the condition number of a matrix with respect to a matrix norm: the ratio
    of the extreme singular values for p in (None, 2, -2), the sum of the singular values
    times the sum of their reciprocals for 'nuc', else norm(A) * norm(A^-1) (inf for a
    singular matrix)."""
    from .elementary import nan_to_num
    from .inplace import masked_fill_
    from .shape import narrow, squeeze

    x = check_tensor(A, "A", 0, "linalg_cond")._data
    if x.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p not in _COND_ORDERS and p is not None:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if p is None or p in (2, -2):
        s = svdvals(A)
        k = s._data.shape[-1]
        first, last = narrow(s, -1, 0, 1), narrow(s, -1, k - 1, 1)
        return squeeze(last / first if p == -2 else first / last, -1)
    name = p if isinstance(p, str) else ("inf" if p == math.inf else "-inf" if p == -math.inf
                                         else str(int(p)))
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={name}): A must be batches of square matrices, "
                           f"but they are {x.shape[-2]} by {x.shape[-1]} matrices")
    if p == "nuc":
        s = svdvals(A)
        return s.sum(-1) * s.reciprocal().sum(-1)
    inverse, info = inv_ex(A)
    # In place, as torch: the gradient through the inverse then fails as torch's does.
    masked_fill_(inverse, Tensor._make((info._data > 0)[..., None, None]), math.inf)
    return nan_to_num(matrix_norm(A, p) * matrix_norm(inverse, p), math.inf, math.inf,
                      -math.inf)


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """Generates a Vandermonde matrix: the powers x^0, ..., x^(N-1) of each element along a
    new last dimension."""
    from .joining import cat
    from .reduction import cumprod
    from .shape import expand, unsqueeze

    a = check_tensor(x, "x", 0, "linalg_vander")._data
    if a.dtype.kind not in "fiu" or a.dtype == np.float16:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer "
                           f"tensors, but got {_scalar_type(a)}")
    x0 = unsqueeze(x, -1) if a.ndim == 0 else x
    shape = list(x0._data.shape)
    n = shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    result = cumprod(expand(unsqueeze(x0, -1), shape + [n - 1]), -1)
    ones = Tensor._make(np.ones(tuple(shape) + (1,), result._data.dtype))
    return cat([ones, result], -1)


def _scalar_type(a: np.ndarray) -> str:
    return {"float16": "Half", "bfloat16": "BFloat16"}.get(a.dtype.name, _legacy(a))


def tensorinv(A: Tensor, ind: int = 2, *, out: Any = None) -> Tensor:
    """Computes the multiplicative inverse of tensordot: the tensor of shape
    A.shape[ind:] + A.shape[:ind] whose tensordot with A over ind dimensions is the
    identity."""
    from .shape import reshape

    x = check_tensor(A, "A", 0, "linalg_tensorinv")._data
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    end, start = x.shape[ind:], x.shape[:ind]
    pe, ps = math.prod(end), math.prod(start)
    if pe != ps:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {pe} != {ps}")
    result, info = inv_ex(reshape(A, (pe, pe)))
    if info._data.any():
        raise _singular_error(np.zeros((pe, pe)), "inv", info._data)
    return reshape(result, end + start)


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None, *, out: Any = None) -> Tensor:
    """Computes the solution X of tensordot(A, X, X.ndim) = B (with dims, those dimensions
    of A moved to its end first)."""
    from .shape import flatten, permute, reshape

    x = check_tensor(A, "A", 0, "linalg_tensorsolve")._data
    b = check_tensor(B, "B", 1, "linalg_tensorsolve")._data
    a = A
    if dims is not None:
        moved = [wrap_dim(d, x.ndim) for d in dims]
        a = permute(A, [d for d in range(x.ndim) if d not in moved] + moved)
    shape = a._data.shape[b.ndim:]
    pr, pb = math.prod(shape), math.prod(b.shape)
    if pr != pb:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:"
                           "]) == prod(self.shape[:other.ndim]), but got "
                           f"{pr} != {pb}")
    return reshape(solve(reshape(a, (pr, pr)), flatten(B)), shape)


def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out: Any = None) -> Any:
    """Computes the singular value decomposition input = U diag(S) V^T (torch's older
    function: it returns V, not V^T; some=False gives the full U and V; compute_uv=False
    gives zero U and V)."""
    from .creation import zeros
    from .shape import transpose

    x = check_tensor(input, fn="svd")._data
    if x.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{x.ndim} dimensions instead")
    if compute_uv:
        u, s, vh = linalg_svd(input, full_matrices=not some)
    else:
        s = svdvals(input)
        rows, cols = x.shape[-2:]
        u = zeros(x.shape[:-2] + (rows, rows), dtype=input.dtype)
        vh = zeros(x.shape[:-2] + (cols, cols), dtype=input.dtype)
    return _svd_t((u, s, transpose(vh, -2, -1)))


def qr(input: Tensor, some: bool = True, *, out: Any = None) -> Any:
    """Computes the QR decomposition of a matrix (deprecated in favor of torch.linalg.qr):
    some=True gives the reduced decomposition, some=False the complete one."""
    warn_once("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
              "future PyTorch release.\nThe boolean parameter 'some' has been replaced with a "
              "string parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\n"
              "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')")
    return _qr_t(linalg_qr(check_tensor(input, fn="qr"), "reduced" if some else "complete"))


def nuclear_norm(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Any = None
                 ) -> Tensor:
    """Returns the nuclear norm (the sum of singular values) of a matrix, over the last
    two dimensions or dim (deprecated in favor of torch.linalg.matrix_norm)."""
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    warn_once("at::nuclear_norm is deprecated and it is just left for JIT compatibility. It "
              "will be removed in a future PyTorch release. Please use `linalg.matrix_norm(A, "
              "'nuc', dim, keepdim)` instead")
    return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


def frobenius_norm(input: Tensor, dim: Any, keepdim: bool = False, *, out: Any = None
                   ) -> Tensor:
    """Returns the Frobenius norm over dim (deprecated in favor of
    torch.linalg.vector_norm)."""
    warn_once("at::frobenius_norm is deprecated and it is just left for JIT compatibility. It "
              "will be removed in a future PyTorch release. Please use `linalg.vector_norm(A, "
              "2., dim, keepdim)` instead")
    dims = [dim] if isinstance(dim, int) else list(dim)
    if len(dims) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dims)} dimensions "
                           "instead.")
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_legacy(x)} instead.")
    return vector_norm_as(NormBackward1, input, 2, dims, keepdim, None)


def chain_matmul(*matrices: Tensor, out: Any = None) -> Tensor:
    """Returns the matrix product of the N 2-D tensors (deprecated in favor of
    torch.linalg.multi_dot)."""
    from .shape import clone

    warn_once("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
              "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
              "more tensors rather than multiple parameters.")
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for t in matrices:
        if t._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return clone(matrices[0])
    return multi_dot(matrices)


def adjoint(input: Tensor) -> Tensor:
    """Returns a view of the tensor conjugated and with the last two dimensions transposed
    (for real tensors: transposed)."""
    from .shape import permute, transpose

    nd = check_tensor(input, fn="adjoint")._data.ndim
    if nd == 1:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           "matrices. Got 1-D tensor.")
    if nd == 0:
        warn_once("adjoint() is deprecated on 0-D tensors. Consider using x.conj().")
        return permute(input, ())
    return transpose(input, -2, -1)


def _pinv_array(a: np.ndarray) -> np.ndarray:
    return pinv(Tensor._make(a))._data


# Plain backward's helpers, on arrays, share this family's kernels (the graph namespace
# gets the ops in ops/__init__).
_math.raw.matrix_exp = matrix_exp_array
_math.raw.pinv = _pinv_array

# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
