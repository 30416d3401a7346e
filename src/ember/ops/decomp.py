"""Matrix functions and decompositions (torch.linalg): inv, det, slogdet, solve, cholesky,
qr, eigh, svd, pinv, with the backward formulas of torch's FunctionsManual (real case)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import return_types
from .._dtypes import _PROMOTE, FROM_NUMPY
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from .._version import ZERO_VC, version
from ..autograd.grad_mode import state as _mode
from ..autograd.graph import Math, Node
from . import _math
from ._core import (
    attach,
    attach_outputs,
    check_tensor,
    needs_grad,
    node_class,
    shape_str,
    warn_once,
    wrap,
)

__all__ = ["inverse", "det", "slogdet", "logdet", "pinverse", "matrix_power"]

_slogdet_t = namedtuple("slogdet", ["sign", "logabsdet"])
_qr_t = namedtuple("qr", ["Q", "R"])
_eigh_t = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
_svd_t = namedtuple("svd", ["U", "S", "Vh"])
_inv_ex_t = return_types.structseq("linalg_inv_ex", ("inverse", "info"))
_solve_ex_t = return_types.structseq("linalg_solve_ex", ("result", "info"))
_cholesky_ex_t = return_types.structseq("linalg_cholesky_ex", ("L", "info"))


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a linear algebra function failed on its input."""


_LinAlgError.__module__ = "ember._C"


class OutputsNode(Node):
    """A node for ops with several outputs that its formula needs: they are kept as bare
    arrays (no reference to the output tensors) and, under create_graph, come back as
    outputs of this node, so that higher derivatives flow through them.
    Formula: f(m, grads, outs, *saved, *ctx)."""

    __slots__ = ()

    def apply(self, grad: Any, graph: bool) -> tuple:
        outs, vc, snap = self._ctx[0]
        if vc != snap:
            from ..autograd.graph import _op_name, modified_text

            raise RuntimeError(modified_text(outs[0], f"output 0 of {_op_name(self)}",
                                             version(vc), version(snap)))
        if graph:
            outs = [Tensor._make_output(o, self, vc, i) if o.dtype.kind == "f" else
                    Tensor._make(o) for i, o in enumerate(outs)]
        args = (self.unpack(graph) if self._saved else ()) + self._ctx[1:]
        m = Math.graph if graph else Math.raw
        return tuple(f(m, grad, outs, *args) if e[0] is not None else None
                     for f, e in zip(self.formulas, self.next_functions))


def outputs_class(name: str, formula: Any, n_outputs: int) -> type:
    return type(name, (OutputsNode,), {"__slots__": (), "formulas": (formula,),
                                       "n_outputs": n_outputs,
                                       "__module__": "ember.autograd.graph"})


def _attach_saving_outputs(cls: type, outs: tuple, inputs: tuple, saved: tuple, ctx: tuple
                           ) -> None:
    vc = bytearray(8)
    for o in outs:
        o._vc = vc
    attach_outputs(cls, outs, inputs, saved,
                   ((tuple(o._data for o in outs), vc, ZERO_VC),) + ctx)


def _check_square(A: Tensor, fn: str, dtype_first: bool = False) -> np.ndarray:
    """torch's checks of a batch of square floating matrices (`fn` as its messages name the
    op): the rank, squareness, then the dtype (solve checks the dtype first)."""
    x = A._data
    if dtype_first:
        _check_floating(x, fn)
    if x.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")
    _check_floating(x, fn)
    return x


def _check_floating(x: np.ndarray, fn: str) -> None:
    if x.dtype.kind != "f":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. "
                           f"Got {FROM_NUMPY[x.dtype]._legacy}")


def lu_array(x: np.ndarray) -> tuple:
    """LAPACK's getrf on a batch of (m, n) matrices: the packed factors (L below the
    diagonal, its unit diagonal implied, U on and above), the 1-based row interchanges
    (int32) and the info (the 1-based position of the first exactly zero pivot, 0 if none).
    Each step takes the entry of largest magnitude in the column (the first of equals)."""
    m, n = x.shape[-2:]
    k = min(m, n)
    batch = x.shape[:-2]
    a = np.array(x, dtype=x.dtype).reshape((int(np.prod(batch)), m, n))
    piv = np.empty((a.shape[0], k), np.int32)
    info = np.zeros(a.shape[0], np.int32)
    rows = np.arange(a.shape[0])
    with np.errstate(all="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(a[:, j:, j]), axis=1)
            piv[:, j] = p + 1
            top = a[rows, j].copy()
            a[rows, j] = a[rows, p]
            a[rows, p] = top
            pivot = a[:, j, j]
            zero = pivot == 0
            info[(info == 0) & zero] = j + 1
            # A zero pivot leaves its (all zero) column as it is, as getrf does.
            a[:, j + 1:, j] /= np.where(zero, 1, pivot)[:, None]
            a[:, j + 1:, j + 1:] -= a[:, j + 1:, j, None] * a[:, j, None, j + 1:]
    return (a.reshape(x.shape), piv.reshape(batch + (k,)), info.reshape(batch))


def permutation_array(piv: np.ndarray, m: int, dtype: np.dtype) -> np.ndarray:
    """P with A = P L U from getrf's 1-based row interchanges (applied in order)."""
    batch = piv.shape[:-1]
    flat = piv.reshape((int(np.prod(batch)), piv.shape[-1]))
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j].astype(np.int64) - 1
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    out = np.zeros((flat.shape[0], m, m), dtype)
    out[rows[:, None], perm, np.arange(m)] = 1
    return out.reshape(batch + (m, m))


def lu_solve_array(lu: np.ndarray, p: np.ndarray, b: np.ndarray, adjoint: bool) -> np.ndarray:
    """X with A X = B (A^T X = B when adjoint) for A = P L U given packed; a zero pivot gives
    infinities and NaNs, as getrs."""
    if adjoint:
        y = triangular_solve_array(np.swapaxes(lu, -1, -2), b, False, True, False)
        y = triangular_solve_array(np.swapaxes(lu, -1, -2), y, True, True, True)
        return np.matmul(p, y)
    y = triangular_solve_array(lu, np.matmul(np.swapaxes(p, -1, -2), b), False, True, True)
    return triangular_solve_array(lu, y, True, True, False)


def _singular_error(x: np.ndarray, fn: str, info: np.ndarray | None = None) -> RuntimeError:
    """torch's error for the first matrix of the batch whose LU meets a zero pivot."""
    if info is None:
        info = lu_array(x)[2]
    flat = info.reshape(-1)
    for b in np.flatnonzero(flat):
        where = f"(Batch element {b}): " if x.ndim > 2 else ""
        return _LinAlgError(f"{fn}: {where}The diagonal element {flat[b]} is zero, the "
                            f"{'inversion' if 'inv' in fn else 'solve'} could not be "
                            "completed because the input matrix is singular.")
    return _LinAlgError(f"{fn}: the input matrix is singular.")


LinalgInvExBackward0 = node_class(
    "LinalgInvExBackward0",
    lambda m, g, ainv: -m.matmul(m.mT(ainv), m.matmul(g, m.mT(ainv))))


def _inverse(A: Tensor) -> tuple:
    """The inverse and getrf's info per matrix: a singular matrix gets the infinities and
    NaNs of solving with its LU, as torch's inv_ex."""
    x = _check_square(A, "linalg.inv")
    info = np.zeros(x.shape[:-2], np.int32)
    try:
        data = np.linalg.inv(x) if x.size else x.copy()
    except np.linalg.LinAlgError:
        lu, piv, info = lu_array(x)
        eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape)
        data = lu_solve_array(lu, permutation_array(piv, x.shape[-1], x.dtype), eye, False)
    res = wrap(np.ascontiguousarray(data, dtype=x.dtype))
    if A._rg and _mode.enabled:
        attach(LinalgInvExBackward0, res, (A,), (res,))
    return res, info


def inv(A: Tensor, *, out: Any = None) -> Tensor:
    """Computes the inverse of a square matrix, if it exists."""
    res, info = _inverse(A)
    if info.any():
        raise _singular_error(A._data, "linalg.inv", info)
    return res


def inv_ex(A: Tensor, *, check_errors: bool = False, out: Any = None) -> Any:
    """Computes the inverse of a square matrix if it is invertible, and an info tensor (the
    first zero pivot of its LU, 0 if none); check_errors=True raises for a singular one."""
    res, info = _inverse(A)
    if check_errors and info.any():
        raise _singular_error(A._data, "linalg.inv_ex", info)
    return _inv_ex_t((res, wrap(info)))


inverse = inv


def _det_backward_raw(g: np.ndarray, a: np.ndarray, det: np.ndarray) -> np.ndarray:
    """torch's first-order det gradient: det * grad * A^-T through A's LU, whose zero pivots
    torch nudges by eps. A zero pivot also makes det exactly 0, so such a matrix gets a zero
    gradient; a nearly singular one without a zero pivot gets det * grad * A^-T."""
    n = a.shape[-1]
    if n == 1:
        # torch's gradient of a 1 x 1 determinant is grad itself, zero entry included.
        return np.broadcast_to(np.asarray(g, a.dtype)[..., None, None], a.shape).copy()
    gd = np.broadcast_to(np.asarray(g * det), a.shape[:-2]).reshape(-1)
    flat_a = a.reshape((-1, n, n))
    out = np.zeros(flat_a.shape, a.dtype)
    eye = np.eye(n, dtype=a.dtype)
    with np.errstate(all="ignore"):
        for b in np.flatnonzero(gd != 0):
            try:
                out[b] = np.linalg.solve(flat_a[b].T, eye) * gd[b]
            except np.linalg.LinAlgError:
                # Only a non-finite grad meets an exact zero pivot here: 0 * inf.
                out[b] = np.nan
    return out.reshape(a.shape)


def _det_backward_graph(m: Any, g: Tensor, a: Tensor, det: Tensor) -> Tensor:
    """torch's det gradient under create_graph: A^-T * det * grad for matrices whose |det| is
    at least 100 eps, and the adjugate through the SVD for the others (singular ones
    included), so that it can be differentiated again."""
    if a.shape[-1] == 1:
        return m.unsqueeze(m.unsqueeze(g, -1), -1) * m.ones_like(a)
    small = np.abs(det._data) < 100 * np.finfo(a._data.dtype).eps
    if not small.any():
        return _det_grad_nonsingular(m, g * det, a)
    if small.all():
        return _det_grad_singular(m, g, a)
    mask = Tensor._make(small)
    keep = Tensor._make(~small)
    out = m.zeros_like(a)
    out = out.index_put((mask,), _det_grad_singular(m, g[mask], a[mask]))
    return out.index_put((keep,), _det_grad_nonsingular(m, (g * det)[keep], a[keep]))


def _det_grad_nonsingular(m: Any, gd: Tensor, a: Tensor) -> Tensor:
    return m.unsqueeze(m.unsqueeze(gd, -1), -1) * m.mT(inv(a))


def _det_grad_singular(m: Any, g: Tensor, a: Tensor) -> Tensor:
    # The adjugate of A = U S Vh is det(U) det(Vh) U D Vh with D_i the product of the other
    # singular values, taken with exclusive cumulative products (no division by zero).
    u, s, vh = svd(a)
    alpha = m.unsqueeze(det(u) * det(vh) * g, -1)
    k, n = s.dim() - 1, s.shape[-1]
    if n == 1:
        d = alpha * m.ones_like(s)
    else:
        ones = m.ones_like(m.narrow(s, k, 0, 1))
        before = m.cumprod(m.cat([ones, m.narrow(s, k, 0, n - 1)], k), k)
        after = m.flip(m.cumprod(m.cat([ones, m.flip(m.narrow(s, k, 1, n - 1), k)], k), k), k)
        d = alpha * before * after
    return m.matmul(u * m.unsqueeze(d, -2), vh)


LinalgDetBackward0 = node_class(
    "LinalgDetBackward0", lambda m, g, a, det: m.det_backward(g, a, det))


def det(A: Tensor) -> Tensor:
    """Computes the determinant of a square matrix."""
    x = _check_square(A, "linalg.det")
    res = wrap(np.asarray(np.linalg.det(x), dtype=x.dtype))
    if A._rg and _mode.enabled:
        attach(LinalgDetBackward0, res, (A,), (A, res))
    return res


def _slogdet_formula(m: Any, grads: list, a: Any) -> Any:
    g = grads[1]
    if g is None:
        return None
    return m.unsqueeze(m.unsqueeze(g, -1), -1) * m.mT(m.inv(a))


LinalgSlogdetBackward0 = node_class("LinalgSlogdetBackward0", _slogdet_formula, n_outputs=2)


def slogdet(A: Tensor) -> Any:
    """Computes the sign and natural logarithm of the absolute value of the determinant of a
    square matrix."""
    x = _check_square(A, "linalg.slogdet")
    sign, logabs = np.linalg.slogdet(x)
    outs = (wrap(np.asarray(sign, x.dtype)), wrap(np.asarray(logabs, x.dtype)))
    if A._rg and _mode.enabled:
        attach_outputs(LinalgSlogdetBackward0, outs, (A,), (A,))
    return _slogdet_t(*outs)


def logdet(input: Tensor) -> Tensor:
    """Calculates the log determinant of a square matrix (nan for a negative determinant)."""
    from .arithmetic import log

    _check_square(input, "logdet")
    sign, logabs = slogdet(input)
    return log(sign) + logabs


def _solve_formula_a(m: Any, g: Any, a: Any, x: Any, vector: bool) -> Any:
    gb = _solve_formula_b(m, g, a, x, vector)
    if vector:
        return -m.outer(gb, x) if gb.ndim == 1 else -(m.unsqueeze(gb, -1) * m.unsqueeze(x, -2))
    return -m.matmul(gb, m.mT(x))


def _solve_formula_b(m: Any, g: Any, a: Any, x: Any, vector: bool) -> Any:
    ainv_t = m.mT(m.inv(a))
    if vector:
        return m.squeeze(m.matmul(ainv_t, m.unsqueeze(g, -1)), -1)
    return m.matmul(ainv_t, g)


LinalgSolveExBackward0 = node_class(
    "LinalgSolveExBackward0", _solve_formula_a, _solve_formula_b)


def _solve(A: Tensor, B: Tensor, left: bool) -> tuple:
    """X with A X = B (X A = B when not left) and getrf's info per matrix of A: a singular
    one gets the infinities and NaNs of solving with its LU, as torch's solve_ex."""
    if not left:
        from .shape import transpose

        res, info = _solve(transpose(A, -2, -1), transpose(B, -2, -1), True)
        return transpose(res, -2, -1), info
    x = _check_square(A, "linalg.solve", True)
    b = B._data
    if b.dtype != x.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {FROM_NUMPY[x.dtype]._legacy} and B of type "
                           f"{FROM_NUMPY[b.dtype]._legacy} instead")
    vector = b.ndim == 1 or (b.ndim == x.ndim - 1 and b.shape == x.shape[:-1])
    bb = b[..., None] if vector else b
    if bb.shape[-2] != x.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = "
                           f"B ({x.shape[-2]}x{x.shape[-1]} and {bb.shape[-2]}x{bb.shape[-1]})")
    batch = np.broadcast_shapes(x.shape[:-2], bb.shape[:-2])
    xs = np.broadcast_to(x, batch + x.shape[-2:])
    bs = np.broadcast_to(bb, batch + bb.shape[-2:])
    info = np.zeros(x.shape[:-2], np.int32)
    try:
        data = np.linalg.solve(xs, bs)
    except np.linalg.LinAlgError:
        lu, piv, info = lu_array(x)
        p = permutation_array(piv, x.shape[-1], x.dtype)
        data = lu_solve_array(np.broadcast_to(lu, xs.shape), np.broadcast_to(p, xs.shape),
                              bs, False)
    if vector:
        data = data[..., 0]
    res = wrap(np.ascontiguousarray(data, dtype=x.dtype))
    if needs_grad(A, B):
        meta = [None if x.shape[:-2] == batch else (x.shape, x.dtype),
                None if b.shape == res._data.shape else (b.shape, b.dtype)]
        attach(LinalgSolveExBackward0, res, (A, B), (A, res), (vector,),
               meta if meta != [None, None] else None)
    return res, info


def solve(A: Tensor, B: Tensor, *, left: bool = True, out: Any = None) -> Tensor:
    """Computes the solution X of the square system A X = B (or X A = B with left=False)."""
    res, info = _solve(A, B, left)
    if info.any():
        raise _singular_error(A._data, "linalg.solve", info)
    return res


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False,
             out: Any = None) -> Any:
    """A faster version of solve (no check that A is invertible) that also returns an info
    tensor: the first zero pivot of A's LU per matrix, 0 if none."""
    res, info = _solve(A, B, left)
    if check_errors and info.any():
        raise _LinAlgError("torch.linalg.solve_ex: The solver failed because the input matrix "
                           "is singular.")
    return _solve_ex_t((res, wrap(info)))


def _cholesky_formula(m: Any, g: Any, L: Any, upper: bool) -> Any:
    if upper:
        L, g = m.mT(L), m.mT(g)
    n = L.shape[-1]
    eye = m.eye((n, n), g.dtype)
    p = m.tril(m.matmul(m.mT(L), g), 0)
    p = p - 0.5 * p * eye
    linv = m.inv(L)
    ga = m.matmul(m.mT(linv), m.matmul(p, linv))
    return 0.5 * (ga + m.mT(ga))


LinalgCholeskyExBackward0 = node_class("LinalgCholeskyExBackward0", _cholesky_formula)
CholeskyBackward0 = node_class("CholeskyBackward0", _cholesky_formula)


def cholesky_array(x: np.ndarray) -> tuple:
    """The lower Cholesky factors and potrf's info per matrix: the order of the first
    leading minor that is not positive-definite (0 if none). A matrix that fails keeps its
    own lower triangle, as an unspecified result."""
    info = np.zeros(x.shape[:-2], np.int32)
    try:
        return (np.linalg.cholesky(x) if x.size else x.copy()), info
    except np.linalg.LinAlgError:
        pass
    flat = x.reshape((-1,) + x.shape[-2:])
    out = np.tril(flat)
    finfo = info.reshape(-1)
    for bi, mat in enumerate(flat):
        try:
            out[bi] = np.linalg.cholesky(mat)
        except np.linalg.LinAlgError:
            for k in range(1, mat.shape[-1] + 1):
                try:
                    np.linalg.cholesky(mat[:k, :k])
                except np.linalg.LinAlgError:
                    finfo[bi] = k
                    break
    return out.reshape(x.shape), info


def cholesky_error(x: np.ndarray, info: np.ndarray, fn: str) -> None:
    """torch's error for the first matrix whose Cholesky factorization failed."""
    flat = info.reshape(-1)
    for bi in np.flatnonzero(flat):
        where = f"(Batch element {bi}): " if x.ndim > 2 else ""
        raise _LinAlgError(
            f"{fn}: {where}The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {flat[bi]} is not "
            "positive-definite).")


def _cholesky(A: Tensor, upper: bool, cls: type, x: np.ndarray) -> tuple:
    data, info = cholesky_array(x)
    if upper:
        data = np.swapaxes(data, -1, -2)
    res = wrap(np.ascontiguousarray(data, dtype=x.dtype))
    if A._rg and _mode.enabled:
        attach(cls, res, (A,), (res,), (upper,))
    return res, info


def cholesky(A: Tensor, *, upper: bool = False, out: Any = None) -> Tensor:
    """Computes the Cholesky decomposition of a symmetric positive-definite matrix."""
    x = _check_square(A, "linalg.cholesky")
    res, info = _cholesky(A, upper, LinalgCholeskyExBackward0, x)
    cholesky_error(x, info, "linalg.cholesky")
    return res


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False,
                out: Any = None) -> Any:
    """Computes the Cholesky decomposition of a symmetric positive-definite matrix, and an
    info tensor (the order of the first leading minor that is not positive-definite, 0 if
    none) instead of raising (unless check_errors=True)."""
    x = _check_square(A, "linalg.cholesky")
    res, info = _cholesky(A, upper, LinalgCholeskyExBackward0, x)
    if check_errors:
        cholesky_error(x, info, "linalg.cholesky_ex")
    return _cholesky_ex_t((res, wrap(info)))


def cholesky_legacy(input: Tensor, upper: bool = False, *, out: Any = None) -> Tensor:
    """Computes the Cholesky decomposition of a symmetric positive-definite matrix A or
    for batches of symmetric positive-definite matrices (deprecated in favor of
    torch.linalg.cholesky)."""
    warn_once("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
              "removed in a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced "
              "with\nL = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\n"
              "should be replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will "
              "produce equivalent results for all valid (symmetric positive definite) inputs.")
    x = check_tensor(input, fn="cholesky")._data
    if x.ndim < 2:
        raise RuntimeError("cholesky: The input tensor A must have at least 2 dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"cholesky: A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"cholesky_cpu\" not implemented for '{FROM_NUMPY[x.dtype]._legacy}'")
    res, info = _cholesky(input, upper, CholeskyBackward0, x)
    cholesky_error(x, info, "cholesky")
    return res


def _eigh_formula(m: Any, grads: list, outs: list) -> Any:
    gl, gv = grads
    lam, v = outs
    n = lam.shape[-1]
    eye = m.eye((n, n), lam.dtype)
    if gv is None:
        inner = m.diag_embed(gl)
    else:
        vg = m.matmul(m.mT(v), gv)
        vg = 0.5 * (vg - m.mT(vg))
        e = m.unsqueeze(lam, -2) - m.unsqueeze(lam, -1) + eye
        inner = vg / e * (1 - eye)
        if gl is not None:
            inner = inner + m.diag_embed(gl)
    return m.matmul(v, m.matmul(inner, m.mT(v)))


LinalgEighBackward0 = outputs_class("LinalgEighBackward0", _eigh_formula, 2)


def eigh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> Any:
    """Computes the eigenvalue decomposition of a symmetric matrix (eigenvalues ascending)."""
    x = _check_square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    lam, v = np.linalg.eigh(x, UPLO=UPLO)
    outs = (wrap(np.asarray(lam, x.dtype)), wrap(np.asarray(v, x.dtype)))
    if A._rg and _mode.enabled:
        _attach_saving_outputs(LinalgEighBackward0, outs, (A,), (), ())
    return _eigh_t(*outs)


def eigvalsh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> Tensor:
    """Computes the eigenvalues of a symmetric matrix, in ascending order."""
    return eigh(A, UPLO).eigenvalues


def _svd_formula(m: Any, grads: list, outs: list, full: bool) -> Any:
    gu, gs, gvh = grads
    u, s, vh = outs
    k = s.shape[-1]
    if full:
        u = m.narrow(u, -1 + u.ndim, 0, k)
        vh = m.narrow(vh, vh.ndim - 2, 0, k)
        gu = None if gu is None else m.narrow(gu, gu.ndim - 1, 0, k)
        gvh = None if gvh is None else m.narrow(gvh, gvh.ndim - 2, 0, k)
    if gu is None and gvh is None:
        return m.matmul(u * m.unsqueeze(gs, -2), vh)
    rows, cols = u.shape[-2], vh.shape[-1]
    eye = m.eye((k, k), s.dtype)
    s2 = s * s
    e = m.unsqueeze(s2, -2) - m.unsqueeze(s2, -1) + eye
    si, sj = m.unsqueeze(s, -1), m.unsqueeze(s, -2)
    if gu is not None:
        uhgu = m.matmul(m.mT(u), gu)
        uhgu = uhgu - m.mT(uhgu)
    if gvh is not None:
        vhgv = m.matmul(vh, m.mT(gvh))
        vhgv = vhgv - m.mT(vhgv)
    if gu is not None and gvh is not None:
        ga = (uhgu * sj + si * vhgv) / e
    elif gu is not None:
        ga = uhgu / e * sj
    else:
        ga = si * (vhgv / e)
    ga = ga * (1 - eye)
    if gs is not None:
        ga = ga + m.diag_embed(gs)
    if rows > k and gu is not None:
        ga = m.matmul(u, ga)
        gusinv = gu / sj
        ga = ga + gusinv - m.matmul(u, m.matmul(m.mT(u), gusinv))
        return m.matmul(ga, vh)
    if cols > k and gvh is not None:
        ga = m.matmul(ga, vh)
        sinvgvh = gvh / si
        ga = ga + sinvgvh - m.matmul(m.matmul(sinvgvh, m.mT(vh)), vh)
        return m.matmul(u, ga)
    return m.matmul(u, m.matmul(ga, vh))


LinalgSvdBackward0 = outputs_class("LinalgSvdBackward0", _svd_formula, 3)


def svd(A: Tensor, full_matrices: bool = True, *, driver: Any = None, out: Any = None) -> Any:
    """Computes the singular value decomposition A = U diag(S) Vh (singular values in
    descending order)."""
    x = A._data
    if x.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if x.dtype.kind != "f":
        raise RuntimeError("linalg.svd: Expected a floating point or complex tensor as input. "
                           f"Got {FROM_NUMPY[x.dtype]._legacy}")
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    outs = tuple(wrap(np.asarray(a, x.dtype)) for a in (u, s, vh))
    if A._rg and _mode.enabled:
        _attach_saving_outputs(LinalgSvdBackward0, outs, (A,), (), (full_matrices,))
    return _svd_t(*outs)


def svdvals(A: Tensor, *, driver: Any = None, out: Any = None) -> Tensor:
    """Computes the singular values of a matrix, in descending order."""
    if A._rg and _mode.enabled:
        return svd(A, full_matrices=False).S
    x = A._data
    if x.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _check_floating(x, "linalg.svd")
    return wrap(np.asarray(np.linalg.svd(x, compute_uv=False), x.dtype))


def _qr_formula(m: Any, grads: list, outs: list, mode: str) -> Any:
    gq, gr = grads
    q, r = outs
    rows, cols = q.shape[-2], r.shape[-1]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                           "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                           "going to differentiate through linalg.qr.")
    if mode == "complete" and rows > cols:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                           "and nrows > ncols.")
    if rows >= cols:
        return _qr_square_back(m, gq, gr, q, r)
    # Wide A = [X | Y] with X = Q U square: back through X, and Y = Q V directly.
    u = m.narrow(r, r.ndim - 1, 0, rows)
    gu = None if gr is None else m.narrow(gr, gr.ndim - 1, 0, rows)
    gv = None if gr is None else m.narrow(gr, gr.ndim - 1, rows, cols - rows)
    v = m.narrow(r, r.ndim - 1, rows, cols - rows)
    y = m.matmul(q, v)
    gq2 = gq
    if gv is not None:
        extra = m.matmul(y, m.mT(gv))
        gq2 = extra if gq2 is None else gq2 + extra
    gx = _qr_square_back(m, gq2, gu, q, u)
    gy = m.matmul(q, gv) if gv is not None else m.zeros_like(m.matmul(q, v))
    return m.cat([gx, gy], gx.ndim - 1)


def _qr_square_back(m: Any, gq: Any, gr: Any, q: Any, r: Any) -> Any:
    n = r.shape[-1]
    eye = m.eye((n, n), r.dtype)
    if gr is not None:
        b = m.matmul(gr, m.mT(r))
        if gq is not None:
            b = b - m.matmul(m.mT(q), gq)
    else:
        b = -m.matmul(m.mT(q), gq)
    b = m.triu(b, 0)
    b = b + m.mT(b)
    b = b - 0.5 * b * eye
    ga = m.matmul(q, b)
    if gq is not None:
        ga = ga + gq
    return m.matmul(ga, m.mT(m.inv(r)))


LinalgQrBackward0 = outputs_class("LinalgQrBackward0", _qr_formula, 2)


def qr(A: Tensor, mode: str = "reduced", *, out: Any = None) -> Any:
    """Computes the QR decomposition of a matrix (mode 'reduced', 'complete' or 'r')."""
    x = A._data
    if x.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    q, r = np.linalg.qr(x, mode="complete" if mode == "complete" else "reduced")
    q = np.asarray(q, x.dtype)
    r = np.asarray(r, x.dtype)
    outs = (wrap(q if mode != "r" else np.empty((0,), x.dtype)), wrap(r))
    if A._rg and _mode.enabled:
        vc = bytearray(8)
        for o in outs:
            o._vc = vc
        attach_outputs(LinalgQrBackward0, outs, (A,), (), ((
            (q, r), vc, ZERO_VC), mode))
    return _qr_t(*outs)


def _pinv_formula(m: Any, g: Any, a: Any, p: Any) -> Any:
    rows, cols = a.shape[-2], a.shape[-1]
    ph = m.mT(p)
    gh = m.mT(g)
    if rows <= cols:
        k = m.matmul(gh, p)
        kph = m.matmul(k, ph)
        return (-m.mT(m.matmul(p, k)) + kph - m.matmul(m.matmul(a, p), kph)
                + m.matmul(m.matmul(ph, p), gh - m.matmul(k, a)))
    k = m.matmul(p, gh)
    phk = m.matmul(ph, k)
    return (-m.mT(m.matmul(k, p)) + m.matmul(m.matmul(gh - m.matmul(a, k), p), ph) + phk
            - m.matmul(m.matmul(phk, p), a))


LinalgPinvBackward0 = node_class("LinalgPinvBackward0", _pinv_formula)


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False,
         out: Any = None) -> Tensor:
    """Computes the pseudoinverse (Moore-Penrose inverse) of a matrix."""
    x = A._data
    if x.ndim < 2 or x.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.pinv({FROM_NUMPY[x.dtype]._legacy}{{{shape_str(x.shape)}}}): "
                           "expected a tensor with 2 or more dimensions of float, double, "
                           "cfloat or cdouble types")
    if rtol is None:
        rtol = max(x.shape[-2:]) * np.finfo(x.dtype).eps if atol is None or atol == 0 else 0.0
    atol = 0.0 if atol is None else float(atol)
    if x.size:
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        smax = s.max(-1, keepdims=True) if s.shape[-1] else s
        keep = s > np.maximum(atol, rtol * smax)
        sinv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(x.dtype)
        data = np.matmul(np.swapaxes(vh, -1, -2) * sinv[..., None, :], np.swapaxes(u, -1, -2))
    else:
        data = np.zeros(x.shape[:-2] + (x.shape[-1], x.shape[-2]), x.dtype)
    res = wrap(np.asarray(data, x.dtype))
    if A._rg and _mode.enabled:
        attach(LinalgPinvBackward0, res, (A,), (A, res))
    return res


pinverse = pinv



# -- triangular solves -------------------------------------------------------------------

def triangular_solve_array(a: np.ndarray, b: np.ndarray, upper: bool, left: bool,
                           unitriangular: bool) -> np.ndarray:
    """X with A X = B (X A = B when not left) for triangular A, by substitution over
    broadcast batches: a zero on the diagonal gives infinities and NaNs, as torch's."""
    if not left:
        return np.swapaxes(triangular_solve_array(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2),
                                                  not upper, True, unitriangular), -1, -2)
    n = a.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    x = np.array(np.broadcast_to(b, batch + b.shape[-2:]), dtype=np.result_type(a, b))
    order = range(n - 1, -1, -1) if upper else range(n)
    done: list = []
    with np.errstate(all="ignore"):
        for i in order:
            if done:
                x[..., i, :] -= np.einsum("...j,...jk->...k", a[..., i, done], x[..., done, :])
            if not unitriangular:
                x[..., i, :] /= a[..., i, i][..., None]
            done.append(i)
    return x


def _solve_triangular_b(m: Any, g: Any, a: Any, x: Any, upper: bool, left: bool,
                        unitriangular: bool) -> Any:
    return m.solve_triangular(m.mT(a), g, not upper, left, unitriangular)


def _solve_triangular_a(m: Any, g: Any, a: Any, x: Any, upper: bool, left: bool,
                        unitriangular: bool) -> Any:
    gb = _solve_triangular_b(m, g, a, x, upper, left, unitriangular)
    ga = -m.matmul(gb, m.mT(x)) if left else -m.matmul(m.mT(x), gb)
    return m.triu(ga, int(unitriangular)) if upper else m.tril(ga, -int(unitriangular))


LinalgSolveTriangularBackward0 = node_class("LinalgSolveTriangularBackward0",
                                            _solve_triangular_a, _solve_triangular_b)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False, out: Any = None) -> Tensor:
    """Computes the solution of a triangular system of linear equations with a unique
    solution: A X = B (X A = B with left=False), reading only the upper or lower triangle
    of A (and taking its diagonal as ones with unitriangular=True)."""
    x, b = A._data, B._data
    if x.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor A must have at least 2 "
                           "dimensions.")
    if b.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError("linalg.solve_triangular: A must be batches of square matrices, but "
                           f"they are {x.shape[-2]} by {x.shape[-1]} matrices")
    k = b.shape[-2] if left else b.shape[-1]
    if k != x.shape[-1]:
        raise RuntimeError(
            "linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            + ("AX = B" if left else "XA = B")
            + f" ({x.shape[-2]}x{x.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    dt = _PROMOTE[FROM_NUMPY[x.dtype], FROM_NUMPY[b.dtype]].np
    if dt.kind != "f":
        raise NotImplementedError(
            f"\"triangular_solve_cpu\" not implemented for '{FROM_NUMPY[dt]._legacy}'")
    res = wrap(triangular_solve_array(x.astype(dt), b.astype(dt), upper, left,
                                      unitriangular).astype(dt))
    if needs_grad(A, B):
        shape = res._data.shape
        meta = [None if x.shape[:-2] == shape[:-2] and x.dtype == dt else (x.shape, x.dtype),
                None if b.shape == shape and b.dtype == dt else (b.shape, b.dtype)]
        attach(LinalgSolveTriangularBackward0, res, (A, B), (A, res), (upper, left,
                                                                       unitriangular),
               meta if meta != [None, None] else None)
    return res


def matrix_power(input: Tensor, n: int) -> Tensor:
    """Computes the n-th power of a square matrix or batch of square matrices (n < 0: of the
    inverse)."""
    from .products import matmul

    x = check_tensor(input, fn="matrix_power")._data
    if x.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError("linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {x.shape[-2]} by {x.shape[-1]} matrices")
    if n == 0:
        # As torch: a copy of A overwritten with the identity (gradient zero).
        from .creation import eye
        from .inplace import copy_
        from .shape import clone

        return copy_(clone(input), eye(x.shape[-1], dtype=input.dtype))
    if n < 0:
        input = inv(input)
        n = -n
    if n == 1:
        from .shape import clone

        return clone(input)
    result = None
    z = input
    while n:
        if n & 1:
            result = z if result is None else matmul(result, z)
        n >>= 1
        if n:
            z = matmul(z, z)
    return result


# Plain backward's helpers, on arrays, share this family's kernels.
_math.raw.solve_triangular = triangular_solve_array
_math.raw.det_backward = _det_backward_raw


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
