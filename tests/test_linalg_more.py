"""torch.linalg's norm, vecdot, multi_dot, matrix_rank, cond, lstsq, matrix_exp, the LU
family, the *_ex variants, vander, tensorinv, tensorsolve, and torch's older functions (svd,
qr, cholesky, cholesky_solve, cholesky_inverse, lu_unpack, triangular_solve, nuclear_norm,
frobenius_norm, chain_matmul, addr, vdot, adjoint) against torch: values, gradients,
double gradients, node names, errors and deprecation warnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, first_errors

FLOATS = [np.float32, np.float64]


def arr(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def spd(n, batch=(), seed=0, dtype=np.float64):
    a = arr(batch + (n, n), seed=seed)
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def well(shape, seed=0, dtype=np.float64):
    """A well-conditioned square matrix (or batch)."""
    return (arr(shape, seed=seed) + 3 * np.eye(shape[-1])).astype(dtype)


def lower(n, batch=(), seed=0, dtype=np.float64):
    return np.tril(np.linalg.cholesky(spd(n, batch, seed))).astype(dtype)


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-7, atol=1e-9)


@pytest.fixture(autouse=True)
def _deprecations():
    # torch's older functions warn once per process; the warnings are checked apart.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


# -- values, gradients and double gradients ---------------------------------------------------

def _gauge_free_svd(L, a, some=True):
    # Singular vectors are defined up to sign: compare |U| and |V| (and S).
    u, s, v = L.svd(a, some=some)
    return u.abs().sum(-1) + v.abs().sum(-2)[..., : u.shape[-1]] + s.sum(-1, keepdim=True)


def _cho(L, a):
    return L.linalg.cholesky((a + a.mT) / 2)


CASES = [
    # linalg.norm: every order, vector and matrix forms, dim, keepdim, dtype
    ("norm_default", lambda L, a: L.linalg.norm(a), [(2, 3, 4)]),
    ("norm_vec_ord3", lambda L, a: L.linalg.norm(a, 3), [(5,)]),
    ("norm_vec_inf", lambda L, a: L.linalg.norm(a, math.inf), [(5,)]),
    ("norm_vec_neginf", lambda L, a: L.linalg.norm(a, -math.inf), [(5,)]),
    ("norm_vec_0", lambda L, a: L.linalg.norm(a, 0), [(5,)]),
    ("norm_vec_half", lambda L, a: L.linalg.norm(a, 0.5), [(5,)]),
    ("norm_vec_dim", lambda L, a: L.linalg.norm(a, 1, dim=1, keepdim=True), [(2, 3, 4)]),
    ("norm_vec_dim_int", lambda L, a: L.linalg.norm(a, dim=-1), [(2, 3)]),
    ("norm_mat_fro", lambda L, a: L.linalg.norm(a, "fro"), [(3, 4)]),
    ("norm_mat_nuc", lambda L, a: L.linalg.norm(a, "nuc"), [(3, 4)]),
    ("norm_mat_2", lambda L, a: L.linalg.norm(a, 2), [(3, 4)]),
    ("norm_mat_neg2", lambda L, a: L.linalg.norm(a, -2), [(3, 4)]),
    ("norm_mat_1", lambda L, a: L.linalg.norm(a, 1), [(3, 4)]),
    ("norm_mat_inf", lambda L, a: L.linalg.norm(a, math.inf), [(3, 4)]),
    ("norm_mat_neginf", lambda L, a: L.linalg.norm(a, -math.inf), [(3, 4)]),
    ("norm_mat_dims", lambda L, a: L.linalg.norm(a, "fro", (0, 2), keepdim=True), [(2, 3, 4)]),
    ("norm_mat_dims_1", lambda L, a: L.linalg.norm(a, -1, (2, 0)), [(2, 3, 4)]),
    ("norm_ord_none_dims", lambda L, a: L.linalg.norm(a, None, (0, 1)), [(2, 3, 4)]),
    ("norm_dtype", lambda L, a: L.linalg.norm(a, dtype=L.float64), [(3, 4)]),
    ("vecdot", lambda L, a, b: L.linalg.vecdot(a, b), [(2, 3), (3,)]),
    ("vecdot_dim", lambda L, a, b: L.linalg.vecdot(a, b, dim=0), [(3, 2), (3, 2)]),
    ("multi_dot_2", lambda L, a, b: L.linalg.multi_dot([a, b]), [(2, 3), (3, 4)]),
    ("multi_dot_3", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [(5, 2), (2, 6), (6, 1)]),
    ("multi_dot_3b", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [(1, 6), (6, 2), (2, 5)]),
    ("multi_dot_4_vec", lambda L, a, b, c, d: L.linalg.multi_dot([a, b, c, d]),
     [(3,), (3, 5), (5, 2), (2,)]),
    ("multi_dot_5", lambda L, *t: L.linalg.multi_dot(t), [(4, 2), (2, 6), (6, 1), (1, 3),
                                                          (3, 2)]),
    ("chain_matmul", lambda L, a, b, c: L.chain_matmul(a, b, c), [(2, 3), (3, 4), (4, 2)]),
    ("chain_matmul_1", lambda L, a: L.chain_matmul(a), [(2, 3)]),
    ("cond", lambda L, a: L.linalg.cond(a), [(2, 3, 3)]),
    ("cond_rect", lambda L, a: L.linalg.cond(a), [(4, 3)]),
    ("cond_neg2", lambda L, a: L.linalg.cond(a, -2), [(3, 3)]),
    ("cond_nuc", lambda L, a: L.linalg.cond(a, "nuc"), [(2, 3, 3)]),
    ("vander", lambda L, a: L.linalg.vander(a), [(4,)]),
    ("vander_n", lambda L, a: L.linalg.vander(a, N=3), [(2, 4)]),
    ("tensorinv", lambda L, a: L.linalg.tensorinv(a.reshape(4, 2, 2, 4), ind=2), [(4, 4)]),
    ("tensorinv_1", lambda L, a: L.linalg.tensorinv(a, ind=1), [(3, 3)]),
    ("tensorsolve", lambda L, a, b: L.linalg.tensorsolve(a.reshape(2, 3, 6), b),
     [(6, 6), (2, 3)]),
    ("tensorsolve_dims", lambda L, a, b: L.linalg.tensorsolve(a.reshape(6, 2, 3), b,
                                                               dims=(0,)), [(6, 6), (2, 3)]),
    ("svd_old", _gauge_free_svd, [(4, 3)]),
    ("svd_old_full", lambda L, a: _gauge_free_svd(L, a, some=False), [(2, 3, 3)]),
    ("svd_old_no_uv", lambda L, a: L.svd(a, compute_uv=False)[1], [(2, 4, 3)]),
    ("qr_old", lambda L, a: (lambda r: r[0] * 2 + r[1].sum(0))(L.qr(a)), [(4, 3)]),
    ("nuclear_norm", lambda L, a: L.nuclear_norm(a), [(3, 4)]),
    ("nuclear_norm_keepdim", lambda L, a: L.nuclear_norm(a, True), [(3, 4)]),
    ("nuclear_norm_dim", lambda L, a: L.nuclear_norm(a, (0, 2)), [(3, 2, 4)]),
    ("frobenius_norm", lambda L, a: L.frobenius_norm(a, (0, 1)), [(3, 4)]),
    ("frobenius_norm_1", lambda L, a: L.frobenius_norm(a, 1, keepdim=True), [(3, 4)]),
    ("addr", lambda L, i, a, b: L.addr(i, a, b), [(3, 4), (3,), (4,)]),
    ("addr_broadcast", lambda L, i, a, b: L.addr(i, a, b, beta=0.5, alpha=-2.0),
     [(4,), (3,), (4,)]),
    ("addr_beta0", lambda L, i, a, b: L.addr(i, a, b, beta=0), [(3, 4), (3,), (4,)]),
    ("addr_method", lambda L, i, a, b: i.addr(a, b, alpha=3), [(3, 4), (3,), (4,)]),
    ("vdot", lambda L, a, b: L.vdot(a, b), [(4,), (4,)]),
    ("vdot_method", lambda L, a, b: a.vdot(b), [(4,), (4,)]),
    ("adjoint", lambda L, a: L.adjoint(a) * 2, [(2, 3, 4)]),
    ("adjoint_method", lambda L, a: a.adjoint() * 2, [(3, 4)]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_composites(name, fn, shapes, dtype):
    arrays = [arr(s, i, dtype) for i, s in enumerate(shapes)]
    check_op(fn, arrays, **tol(dtype))


def test_addr_promotes():
    # Values only: torch's own backward refuses the mixed dtypes.
    check_op(lambda L, i, a, b: L.addr(i.float(), a, b.float()),
             [arr((3, 4)), arr((3,), 1), arr((4,), 2)], grad=False)


def _lu_factor_sum(L, a):
    lu, piv = L.linalg.lu_factor(a)
    return lu


def _lu_parts(L, a):
    p, low, up = L.linalg.lu(a)
    return low.sum(-1) + up.sum(-2)[..., : low.shape[-2]] if low.shape[-2] <= up.shape[-1] \
        else low.sum(-1)[..., : up.shape[-2]] + up.sum(-2)


def _lu_unpack(L, a):
    p, low, up = L.lu_unpack(*L.linalg.lu_factor(a))
    return low.sum(-1).sum(-1) * 2 + up.sum(-1).sum(-1)


def _lu_solve(left, adjoint):
    def fn(L, a, b):
        lu, piv = L.linalg.lu_factor(a)
        return L.linalg.lu_solve(lu, piv, b, left=left, adjoint=adjoint)
    return fn


NATIVE = [
    ("matrix_exp", lambda L, a: L.linalg.matrix_exp(a), [arr((3, 3))]),
    ("matrix_exp_batch", lambda L, a: L.matrix_exp(a), [arr((2, 3, 3)) * 3]),
    ("matrix_exp_method", lambda L, a: a.matrix_exp(), [arr((1, 1))]),
    ("lstsq_tall", lambda L, a, b: L.linalg.lstsq(a, b).solution, [arr((5, 3)), arr((5, 2), 1)]),
    ("lstsq_square", lambda L, a, b: L.linalg.lstsq(a, b)[0], [well((3, 3)), arr((3, 2), 1)]),
    ("lstsq_wide", lambda L, a, b: L.linalg.lstsq(a, b)[0], [arr((2, 4)), arr((2, 3), 1)]),
    ("lstsq_vec", lambda L, a, b: L.linalg.lstsq(a, b)[0], [arr((5, 3)), arr((5,), 1)]),
    ("lstsq_batch", lambda L, a, b: L.linalg.lstsq(a, b)[0], [arr((2, 5, 3)), arr((1, 5, 2), 1)]),
    ("lu_factor", _lu_factor_sum, [well((3, 3))]),
    ("lu_factor_batch", _lu_factor_sum, [arr((2, 4, 4))]),
    ("lu_factor_tall", _lu_factor_sum, [arr((5, 3))]),
    ("lu_factor_wide", _lu_factor_sum, [arr((3, 5))]),
    ("lu_factor_ex", lambda L, a: L.linalg.lu_factor_ex(a)[0] * 2, [arr((4, 4))]),
    ("lu", _lu_parts, [arr((4, 4))]),
    ("lu_tall", _lu_parts, [arr((2, 5, 3))]),
    ("lu_wide", _lu_parts, [arr((3, 5))]),
    ("lu_unpack", _lu_unpack, [arr((4, 4))]),
    ("lu_unpack_tall", _lu_unpack, [arr((5, 3))]),
    ("lu_unpack_wide", _lu_unpack, [arr((3, 5))]),
    ("lu_solve", _lu_solve(True, False), [well((3, 3)), arr((3, 2), 1)]),
    ("lu_solve_adjoint", _lu_solve(True, True), [well((2, 3, 3)), arr((3, 2), 1)]),
    ("lu_solve_right", _lu_solve(False, False), [well((3, 3)), arr((2, 3), 1)]),
    ("lu_solve_right_adjoint", _lu_solve(False, True), [well((3, 3)), arr((2, 3), 1)]),
    ("lu_solve_old", lambda L, a, b: L.lu_solve(b, *L.linalg.lu_factor(a)),
     [well((3, 3)), arr((3, 2), 1)]),
    ("torch_lu", lambda L, a: L.lu(a)[0], [arr((3, 3))]),
    ("lu_method", lambda L, a: a.lu()[0], [arr((2, 3, 3))]),
    ("lu_solve_method", lambda L, a, b: b.lu_solve(*L.linalg.lu_factor(a)),
     [well((3, 3)), arr((3, 2), 1)]),
    ("cholesky_method", lambda L, a: ((a + a.mT) / 2).cholesky(), [spd(3)]),
    ("cholesky_solve_method", lambda L, b, a: b.cholesky_solve(_cho(L, a)),
     [arr((3, 2)), spd(3)]),
    ("cholesky_inverse_method", lambda L, a: _cho(L, a).cholesky_inverse(), [spd(3)]),
    ("solve_ex", lambda L, a, b: L.linalg.solve_ex(a, b).result, [well((3, 3)), arr((3,), 1)]),
    ("solve_ex_right", lambda L, a, b: L.linalg.solve_ex(a, b, left=False)[0],
     [well((3, 3)), arr((2, 3), 1)]),
    ("inv_ex", lambda L, a: L.linalg.inv_ex(a).inverse, [well((2, 3, 3))]),
    ("cholesky_ex", lambda L, a: _ex_factor(L, a, False), [spd(3, (2,))]),
    ("cholesky_ex_upper", lambda L, a: _ex_factor(L, a, True), [spd(3)]),
    ("cholesky_old", lambda L, a: L.cholesky((a + a.mT) / 2), [spd(3, (2,))]),
    ("cholesky_old_upper", lambda L, a: L.cholesky((a + a.mT) / 2, upper=True), [spd(3)]),
    ("cholesky_solve", lambda L, b, a: L.cholesky_solve(b, _cho(L, a)), [arr((3, 2)), spd(3)]),
    ("cholesky_solve_upper", lambda L, b, a: L.cholesky_solve(b, _cho(L, a).mT, upper=True),
     [arr((2, 3, 2)), spd(3)]),
    ("cholesky_solve_batch", lambda L, b, a: L.cholesky_solve(b, _cho(L, a)),
     [arr((3, 1)), spd(3, (2,))]),
    ("cholesky_inverse", lambda L, a: L.cholesky_inverse(_cho(L, a)), [spd(3)]),
    ("cholesky_inverse_upper", lambda L, a: L.cholesky_inverse(_cho(L, a).mT, upper=True),
     [spd(3, (2,))]),
    ("triangular_solve", lambda L, b, a: L.triangular_solve(b, a)[0], [arr((3, 2)), well((3, 3))]),
    ("triangular_solve_lower_t", lambda L, b, a: L.triangular_solve(
        b, a, upper=False, transpose=True)[0], [arr((2, 3, 2)), well((3, 3))]),
    ("triangular_solve_unit", lambda L, b, a: L.triangular_solve(
        b, a, unitriangular=True)[0], [arr((3, 2)), well((2, 3, 3))]),
    ("triangular_solve_both", lambda L, b, a: (lambda r: r[0].sum(-1, keepdim=True) * 3
                                               + r[1])(L.triangular_solve(b, a, False)),
     [arr((3, 3)), well((3, 3))]),
    ("triangular_solve_coef", lambda L, b, a: b.triangular_solve(a)[1] * 2,
     [arr((3, 2)), well((3, 3))]),
]


def _ex_factor(L, a, upper):
    return L.linalg.cholesky_ex((a + a.mT) / 2, upper=upper).L


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn,arrays", NATIVE, ids=[c[0] for c in NATIVE])
def test_native(name, fn, arrays, dtype):
    check_op(fn, [a.astype(dtype) for a in arrays], **tol(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", ["fro", 1, -1, math.inf, -math.inf])
def test_cond_through_the_inverse(p, dtype):
    """cond for norms other than 2 fills the inverse of singular matrices in place: its
    values match torch's, and its backward fails as torch's does."""
    check_op(lambda L, a: L.linalg.cond(a, p), [arr((2, 3, 3), 0, dtype)], grad=False, **tol(dtype))
    check_op(lambda L, a: L.linalg.cond(a, p), [np.array([[1., 0.], [2., 0.]], dtype)],
             grad=False)

    def backward(L):
        a = L.from_numpy(arr((3, 3), 0, dtype)).requires_grad_()
        L.linalg.cond(a, p).backward()

    torch_error, ember_error = first_errors(backward)
    assert ember_error[0] == torch_error[0]
    assert ember_error[1].split(", which is")[0] == torch_error[1].split(", which is")[0]


def test_empty_and_special_inputs():
    for fn, shapes in [
        (lambda L, a: L.linalg.norm(a), [(0, 3)]),
        (lambda L, a: L.linalg.norm(a, "fro"), [(0, 3)]),
        (lambda L, a: L.linalg.matrix_exp(a), [(2, 0, 0)]),
        (lambda L, a: L.linalg.lu_factor(a)[0], [(0, 0)]),
        (lambda L, a: L.linalg.vecdot(a, a), [(0, 3)]),
        (lambda L, a: L.linalg.vander(a), [()]),
        (lambda L, a, b: L.addr(a, b, b), [(0, 0), (0,)]),
        (lambda L, a: L.linalg.inv_ex(a)[0], [(0, 0)]),
        (lambda L, a: L.cholesky_inverse(a), [(0, 0)]),
        (lambda L, a: L.adjoint(a), [()]),
    ]:
        check_op(fn, [arr(s, seed=i) for i, s in enumerate(shapes)])


def test_multi_output_values():
    """The outputs no gradient flows through: pivots, infos, ranks, residuals, P."""
    arrays = {"a": arr((2, 4, 4)), "t": arr((2, 5, 3)), "r": arr((2, 5, 2), 1),
              "w": arr((3, 5)), "b": arr((3, 2), 2), "c": arr((2, 2), 3),
              "s": np.array([[[1., 0.], [2., 0.]], [[1., 0.], [0., 1.]]]),
              "n": np.array([[[4., 0.], [0., -1.]], [[2., 0.], [0., 1.]]])}
    for call in [
        lambda L, x: L.linalg.lu_factor(x["a"]).pivots,
        lambda L, x: L.linalg.lu_factor_ex(x["s"]),
        lambda L, x: L.linalg.lu(x["a"]).P,
        lambda L, x: L.lu_unpack(*L.linalg.lu_factor(x["a"])),
        lambda L, x: L.lu_unpack(*L.linalg.lu_factor(x["a"]), unpack_data=False),
        lambda L, x: L.lu_unpack(*L.linalg.lu_factor(x["a"]), unpack_pivots=False),
        lambda L, x: L.lu(x["a"], get_infos=True)[1:],
        lambda L, x: L.linalg.lstsq(x["t"], x["r"])[1:],
        lambda L, x: L.linalg.lstsq(x["t"], x["r"], driver="gels")[1:],
        lambda L, x: L.linalg.lstsq(x["t"], x["r"], driver="gelsd"),
        lambda L, x: L.linalg.lstsq(x["t"], x["r"], driver="gelss")[1:],
        lambda L, x: L.linalg.lstsq(x["w"], x["b"], driver="gelsd")[1:],
        lambda L, x: L.linalg.solve_ex(x["s"], x["c"]).info,
        lambda L, x: L.linalg.inv_ex(x["s"]).info,
        lambda L, x: L.linalg.cholesky_ex(x["n"]).info,
        lambda L, x: L.linalg.matrix_rank(x["a"]),
        lambda L, x: L.linalg.matrix_rank(x["s"]),
        lambda L, x: L.linalg.matrix_rank(x["s"], hermitian=True),
        lambda L, x: L.linalg.matrix_rank(x["a"], atol=1.0, rtol=0.1),
        lambda L, x: L.linalg.matrix_rank(x["a"], 0.5),
        lambda L, x: L.linalg.matrix_rank(x["t"]),
        lambda L, x: L.linalg.cond(x["s"]),
        lambda L, x: L.linalg.cond(x["s"], "nuc"),
        lambda L, x: L.linalg.vander(L.arange(4)),
        lambda L, x: L.linalg.vander(L.tensor([1, 2], dtype=L.uint8), N=3),
        lambda L, x: L.addr(L.ones(2, 3, dtype=L.int64), L.arange(2), L.arange(3), beta=2,
                            alpha=3),
        lambda L, x: L.addr(L.zeros(2, 2, dtype=L.bool), L.tensor([True, False]),
                            L.tensor([True, True])),
        lambda L, x: L.vdot(L.arange(3), L.arange(3)),
    ]:
        outs = [call(L, {k: L.from_numpy(v.copy()) for k, v in arrays.items()})
                for L in (torch, ember)]
        assert_same(outs[1], outs[0], rtol=1e-7, atol=1e-9)


def test_structseq_names():
    a = well((3, 3))
    for lib, t in ((ember, ember.from_numpy(a.copy())), (torch, torch.from_numpy(a.copy()))):
        r = lib.linalg.lu_factor_ex(t)
        assert type(r).__name__ == "linalg_lu_factor_ex" and r.info.dtype == lib.int32
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    for fn in (lambda L, x: L.linalg.lu(x), lambda L, x: L.linalg.lstsq(x, x),
               lambda L, x: L.svd(x), lambda L, x: L.triangular_solve(x, x),
               lambda L, x: L.linalg.inv_ex(x), lambda L, x: L.linalg.cholesky_ex(x @ x.mT),
               lambda L, x: L.linalg.solve_ex(x, x), lambda L, x: L.qr(x),
               lambda L, x: L.lu_unpack(*L.linalg.lu_factor(x))):
        re, rt = fn(ember, e), fn(torch, t)
        assert type(re).__name__ == type(rt).__name__ and len(re) == len(rt)
        for field in re._fields:
            assert_same(getattr(re, field), getattr(rt, field))


def test_node_names():
    names = {}
    for lib in (ember, torch):
        a = lib.tensor(well((3, 3)), requires_grad=True)
        s = lib.tensor(spd(3), requires_grad=True)
        v = lib.tensor(arr((3,)), requires_grad=True)
        lu, piv = lib.linalg.lu_factor(a)
        outs = [lib.linalg.norm(a), lib.linalg.norm(v), lib.linalg.norm(a, "nuc"),
                lib.linalg.norm(a, 2), lib.linalg.vecdot(a, a), lib.linalg.multi_dot([a, a, a]),
                lib.linalg.cond(a), lib.linalg.cond(a, "fro"), lib.linalg.lstsq(a, a).solution,
                lib.linalg.matrix_exp(a), lu, lib.linalg.lu(a)[1],
                lib.linalg.lu_solve(lu, piv, a), lib.linalg.solve_ex(a, a)[0],
                lib.linalg.inv_ex(a)[0], lib.linalg.cholesky_ex(s)[0], lib.linalg.vander(v),
                lib.linalg.tensorsolve(a, v), lib.svd(a)[2], lib.svd(a)[0], lib.qr(a)[0],
                lib.cholesky(s), lib.cholesky_solve(a, s), lib.cholesky_inverse(s),
                lib.lu_unpack(lu, piv)[1], lib.triangular_solve(a, s)[0], lib.matrix_exp(a),
                lib.nuclear_norm(a), lib.frobenius_norm(a, (0, 1)), lib.chain_matmul(a, a, a),
                lib.addr(a, v, v), lib.vdot(v, v), lib.adjoint(a)]
        names[lib] = [type(o.grad_fn).__name__ for o in outs]
    assert names[ember] == names[torch]


def test_lu_of_singular_and_rectangular_matrices():
    """getrf's pivots and info where a column is zero (the factorization goes on)."""
    for a in (np.array([[0., 1., 2.], [0., 3., 4.], [0., 5., 7.]]),
              np.array([[1., 2.], [2., 4.], [3., 1.]]),
              np.zeros((2, 3, 3))):
        outs = [L.linalg.lu_factor_ex(L.from_numpy(a.copy())) for L in (torch, ember)]
        assert_same(outs[1], outs[0])


# -- errors -----------------------------------------------------------------------------------

def _t(L, a):
    return L.from_numpy(np.array(a))


SQ, RECT, VEC = well((3, 3)), arr((2, 3)), arr((3,))
INT = np.ones((3, 3), np.int64)
SING = np.zeros((3, 3))

BAD = {
    "norm_3d_ord": lambda L: L.linalg.norm(_t(L, arr((2, 2, 2))), 2),
    "norm_dim3": lambda L: L.linalg.norm(_t(L, SQ), 2, (0, 1, 1)),
    "norm_str_3d": lambda L: L.linalg.norm(_t(L, arr((2, 2, 2))), "fro"),
    "norm_str_vec": lambda L: L.linalg.norm(_t(L, VEC), "fro"),
    "norm_str_dim1": lambda L: L.linalg.norm(_t(L, SQ), "fro", 0),
    "norm_int": lambda L: L.linalg.norm(_t(L, INT)),
    "norm_ord3_mat": lambda L: L.linalg.norm(_t(L, SQ), 3),
    "norm_bad_str": lambda L: L.linalg.norm(_t(L, SQ), "abc"),
    "vecdot_dtype": lambda L: L.linalg.vecdot(_t(L, SQ).float(), _t(L, SQ)),
    "vecdot_int": lambda L: L.linalg.vecdot(_t(L, INT), _t(L, INT)),
    "vecdot_shape": lambda L: L.linalg.vecdot(_t(L, SQ), _t(L, arr((4,)))),
    "multi_dot_1": lambda L: L.linalg.multi_dot([_t(L, SQ)]),
    "multi_dot_3d": lambda L: L.linalg.multi_dot([_t(L, SQ), _t(L, arr((3, 3, 3)))]),
    "multi_dot_mid1d": lambda L: L.linalg.multi_dot([_t(L, SQ), _t(L, VEC), _t(L, SQ)]),
    "multi_dot_dtype": lambda L: L.linalg.multi_dot([_t(L, SQ).float(), _t(L, SQ)]),
    "multi_dot_shape": lambda L: L.linalg.multi_dot([_t(L, SQ), _t(L, RECT)]),
    "multi_dot_0d": lambda L: L.linalg.multi_dot([_t(L, 1.0), _t(L, SQ)]),
    "matrix_rank_int": lambda L: L.linalg.matrix_rank(_t(L, INT)),
    "matrix_rank_1d": lambda L: L.linalg.matrix_rank(_t(L, VEC)),
    "cond_rect_fro": lambda L: L.linalg.cond(_t(L, RECT), "fro"),
    "cond_1d": lambda L: L.linalg.cond(_t(L, VEC)),
    "cond_bad": lambda L: L.linalg.cond(_t(L, SQ), 3),
    "cond_int": lambda L: L.linalg.cond(_t(L, INT)),
    "lstsq_1d": lambda L: L.linalg.lstsq(_t(L, VEC), _t(L, VEC)),
    "lstsq_shape": lambda L: L.linalg.lstsq(_t(L, SQ), _t(L, arr((4, 2)))),
    "lstsq_dtype": lambda L: L.linalg.lstsq(_t(L, SQ).float(), _t(L, SQ)),
    "lstsq_int": lambda L: L.linalg.lstsq(_t(L, INT), _t(L, INT)),
    "lstsq_driver": lambda L: L.linalg.lstsq(_t(L, SQ), _t(L, SQ), driver="foo"),
    "matrix_exp_rect": lambda L: L.linalg.matrix_exp(_t(L, RECT)),
    "matrix_exp_1d": lambda L: L.linalg.matrix_exp(_t(L, VEC)),
    "matrix_exp_int": lambda L: L.linalg.matrix_exp(_t(L, INT)),
    "lu_factor_1d": lambda L: L.linalg.lu_factor(_t(L, VEC)),
    "lu_factor_int": lambda L: L.linalg.lu_factor(_t(L, INT)),
    "lu_factor_sing": lambda L: L.linalg.lu_factor(_t(L, SING)),
    "lu_factor_sing_b": lambda L: L.linalg.lu_factor(_t(L, np.zeros((2, 3, 3)))),
    "lu_factor_nopiv": lambda L: L.linalg.lu_factor(_t(L, SQ), pivot=False),
    "lu_factor_ex_check": lambda L: L.linalg.lu_factor_ex(_t(L, SING), check_errors=True),
    "lu_1d": lambda L: L.linalg.lu(_t(L, VEC)),
    "lu_int": lambda L: L.linalg.lu(_t(L, INT)),
    "lu_solve_shape": lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(_t(L, SQ)),
                                                  _t(L, arr((4, 2)))),
    "lu_solve_right_shape": lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(_t(L, SQ)),
                                                        _t(L, arr((4, 2))), left=False),
    "lu_solve_1d": lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(_t(L, SQ)), _t(L, VEC)),
    "lu_solve_pivdtype": lambda L: L.linalg.lu_solve(L.linalg.lu_factor(_t(L, SQ))[0],
                                                     L.linalg.lu_factor(_t(L, SQ))[1].long(),
                                                     _t(L, SQ)),
    "solve_ex_sing": lambda L: L.linalg.solve_ex(_t(L, SING), _t(L, SQ), check_errors=True),
    "inv_ex_sing": lambda L: L.linalg.inv_ex(_t(L, SING), check_errors=True),
    "inv_ex_rect": lambda L: L.linalg.inv_ex(_t(L, RECT)),
    "cholesky_ex_bad": lambda L: L.linalg.cholesky_ex(-_t(L, np.eye(3)), check_errors=True),
    "cholesky_ex_rect": lambda L: L.linalg.cholesky_ex(_t(L, RECT)),
    "vander_n1": lambda L: L.linalg.vander(_t(L, VEC), N=1),
    "vander_half": lambda L: L.linalg.vander(_t(L, VEC).half()),
    "vander_bool": lambda L: L.linalg.vander(_t(L, VEC) > 0),
    "tensorinv_ind0": lambda L: L.linalg.tensorinv(_t(L, SQ), 0),
    "tensorinv_shape": lambda L: L.linalg.tensorinv(_t(L, RECT), 1),
    "tensorinv_sing": lambda L: L.linalg.tensorinv(_t(L, SING), 1),
    "tensorsolve_shape": lambda L: L.linalg.tensorsolve(_t(L, arr((2, 3, 4))),
                                                        _t(L, arr((2,)))),
    "svd_1d": lambda L: L.svd(_t(L, VEC)),
    "svd_int": lambda L: L.svd(_t(L, INT)),
    "qr_1d": lambda L: L.qr(_t(L, VEC)),
    "cholesky_bad": lambda L: L.cholesky(-_t(L, np.eye(3))),
    "cholesky_bad_b": lambda L: L.cholesky(-_t(L, np.eye(3)).expand(2, 3, 3)),
    "cholesky_rect": lambda L: L.cholesky(_t(L, RECT)),
    "cholesky_1d": lambda L: L.cholesky(_t(L, VEC)),
    "cholesky_int": lambda L: L.cholesky(_t(L, INT)),
    "chsolve_1d": lambda L: L.cholesky_solve(_t(L, VEC), _t(L, SQ)),
    "chsolve_shape": lambda L: L.cholesky_solve(_t(L, arr((4, 2))), _t(L, SQ)),
    "chsolve_rect": lambda L: L.cholesky_solve(_t(L, SQ), _t(L, RECT)),
    "chsolve_dtype": lambda L: L.cholesky_solve(_t(L, SQ).float(), _t(L, SQ)),
    "chsolve_int": lambda L: L.cholesky_solve(_t(L, INT), _t(L, INT)),
    "chinv_1d": lambda L: L.cholesky_inverse(_t(L, VEC)),
    "chinv_rect": lambda L: L.cholesky_inverse(_t(L, RECT)),
    "chinv_int": lambda L: L.cholesky_inverse(_t(L, INT)),
    "lu_unpack_piv": lambda L: L.lu_unpack(_t(L, SQ), L.ones(3, dtype=L.int64)),
    "lu_unpack_1d": lambda L: L.lu_unpack(_t(L, VEC), L.ones(3, dtype=L.int32)),
    "tsolve_1d": lambda L: L.triangular_solve(_t(L, VEC), _t(L, SQ)),
    "tsolve_A1d": lambda L: L.triangular_solve(_t(L, SQ), _t(L, VEC)),
    "tsolve_rect": lambda L: L.triangular_solve(_t(L, SQ), _t(L, RECT)),
    "tsolve_shape": lambda L: L.triangular_solve(_t(L, arr((4, 2))), _t(L, SQ)),
    "tsolve_dtype": lambda L: L.triangular_solve(_t(L, SQ).float(), _t(L, SQ)),
    "tsolve_int": lambda L: L.triangular_solve(_t(L, INT), _t(L, INT)),
    "nuclear_1d": lambda L: L.nuclear_norm(_t(L, VEC)),
    "nuclear_dim1": lambda L: L.nuclear_norm(_t(L, SQ), (0,)),
    "frob_dim3": lambda L: L.frobenius_norm(_t(L, arr((2, 2, 2))), (0, 1, 2)),
    "frob_int": lambda L: L.frobenius_norm(_t(L, INT), (0, 1)),
    "chain_0": lambda L: L.chain_matmul(),
    "chain_1d": lambda L: L.chain_matmul(_t(L, VEC), _t(L, SQ)),
    "addr_2d": lambda L: L.addr(_t(L, SQ), _t(L, SQ), _t(L, VEC)),
    "addr_2d_b": lambda L: L.addr(_t(L, SQ), _t(L, VEC), _t(L, SQ)),
    "addr_shape": lambda L: L.addr(_t(L, RECT), _t(L, VEC), _t(L, VEC)),
    "addr_intbeta": lambda L: L.addr(_t(L, INT), _t(L, INT[0]), _t(L, INT[0]), beta=0.5),
    "vdot_2d": lambda L: L.vdot(_t(L, SQ), _t(L, VEC)),
    "vdot_dtype": lambda L: L.vdot(_t(L, VEC).float(), _t(L, VEC)),
    "vdot_size": lambda L: L.vdot(_t(L, VEC), _t(L, arr((4,)))),
    "adjoint_1d": lambda L: L.adjoint(_t(L, VEC)),
}


@pytest.mark.parametrize("name", list(BAD))
def test_errors(name):
    torch_error, ember_error = first_errors(BAD[name])
    assert ember_error == torch_error


def test_linalg_error_class():
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv_ex(ember.zeros(2, 2), check_errors=True)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.solve(ember.zeros(2, 2), ember.ones(2))


# -- deprecation warnings ---------------------------------------------------------------------

DEPRECATED = {
    "qr": lambda L: L.qr(_t(L, SQ)),
    "cholesky": lambda L: L.cholesky(_t(L, spd(3))),
    "triangular_solve": lambda L: L.triangular_solve(_t(L, SQ), _t(L, SQ)),
    "nuclear_norm": lambda L: L.nuclear_norm(_t(L, SQ)),
    "frobenius_norm": lambda L: L.frobenius_norm(_t(L, SQ), (0, 1)),
    "chain_matmul": lambda L: L.chain_matmul(_t(L, SQ), _t(L, SQ)),
    "lu": lambda L: L.lu(_t(L, SQ)),
    "lu_solve": lambda L: L.lu_solve(_t(L, SQ), *L.linalg.lu_factor(_t(L, SQ))),
    "adjoint_0d": lambda L: L.adjoint(_t(L, 1.0)),
}


def _warning_text(lib, call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(lib)
    texts = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return texts[0].split(" (Triggered internally")[0] if texts else None


def torch_warnings():
    """torch's texts, in a process where none of them was given yet (torch warns once)."""
    return {name: _warning_text(torch, call) for name, call in DEPRECATED.items()}


@pytest.fixture(scope="module")
def torch_texts():
    import json
    import os
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import test_linalg_more as t; "
            "print(json.dumps(t.torch_warnings()))")
    out = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONWARNINGS": "default"})
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.parametrize("name", list(DEPRECATED))
def test_deprecation_warnings(name, torch_texts):
    from ember.ops import _core

    # ember too warns once per process: forget the warnings given so far.
    _core._warned.clear()
    assert torch_texts[name] is not None
    assert _warning_text(ember, DEPRECATED[name]) == torch_texts[name]


def test_function_transforms():
    """vmap, jvp, grad and jacrev through the new ops, against torch's."""
    a = arr((4, 3, 3))
    v = arr((3,), 1)
    calls = [
        lambda L, x, y: L.func.vmap(L.linalg.matrix_exp)(x),
        lambda L, x, y: L.func.vmap(lambda m: L.linalg.norm(m, "nuc"))(x),
        lambda L, x, y: L.func.vmap(lambda m: L.linalg.norm(m, 3, -1))(x),
        lambda L, x, y: L.func.vmap(lambda m: L.linalg.lu_factor(m)[0])(x),
        lambda L, x, y: L.func.vmap(lambda m: L.linalg.lstsq(m, m[:, :1]).solution)(x),
        lambda L, x, y: L.func.jvp(L.linalg.matrix_exp, (x[0],), (x[1],))[1],
        lambda L, x, y: L.func.jvp(lambda m: L.linalg.lu_factor(m)[0], (x[0],), (x[1],))[1],
        lambda L, x, y: L.func.jvp(lambda m, n: L.addr(m, n, n), (x[0], y), (x[1], y))[1],
        lambda L, x, y: L.func.grad(lambda q: L.vdot(q, q))(y),
        lambda L, x, y: L.func.jacrev(lambda m: L.linalg.cond(m))(x[0]),
        lambda L, x, y: L.func.jacrev(lambda m: L.cholesky_inverse(L.linalg.cholesky(
            m @ m.mT + 3 * L.eye(3, dtype=m.dtype))))(x[0]),
    ]
    for call in calls:
        outs = [call(L, L.from_numpy(a.copy()), L.from_numpy(v.copy())) for L in (torch, ember)]
        assert_same(outs[1], outs[0], rtol=1e-7, atol=1e-9)
