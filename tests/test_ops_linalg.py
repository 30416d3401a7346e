"""Matrix products, einsum, matrix structure and torch.linalg decompositions against torch:
values, gradients, double gradients, node names and errors.

Then matmul/@ for every rank combination (1-D operands, broadcast batches), mm, mv, dot,
bmm: values, graphs, gradients, second derivatives and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from helpers import check_op, make_array, same_error

FLOATS = [np.float32, np.float64]


def arr(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def spd(n, batch=(), seed=0):
    a = arr(batch + (n, n), seed=seed)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


PRODUCTS = [
    ("addmm", lambda L, i, a, b: L.addmm(i, a, b), [(3,), (2, 4), (4, 3)]),
    ("addmm_scaled", lambda L, i, a, b: L.addmm(i, a, b, beta=0.5, alpha=2.0),
     [(2, 3), (2, 4), (4, 3)]),
    ("addmm_beta0", lambda L, i, a, b: L.addmm(i, a, b, beta=0), [(2, 3), (2, 4), (4, 3)]),
    ("addmv", lambda L, i, a, v: L.addmv(i, a, v, alpha=-1.5), [(2,), (2, 3), (3,)]),
    ("baddbmm", lambda L, i, a, b: L.baddbmm(i, a, b, beta=2.0), [(1, 2, 3), (2, 2, 4),
                                                                  (2, 4, 3)]),
    ("addbmm", lambda L, i, a, b: L.addbmm(i, a, b), [(2, 3), (3, 2, 4), (3, 4, 3)]),
    ("outer", lambda L, a, b: L.outer(a, b), [(3,), (4,)]),
    ("ger", lambda L, a, b: L.ger(a, b), [(2,), (3,)]),
    ("inner", lambda L, a, b: L.inner(a, b), [(2, 3), (4, 3)]),
    ("inner_0d", lambda L, a, b: L.inner(a, b), [(), (4, 3)]),
    ("tensordot", lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [1, 0])),
     [(2, 3, 4), (4, 2, 5)]),
    ("tensordot_int", lambda L, a, b: L.tensordot(a, b, 1), [(2, 3), (3, 4)]),
    ("kron", lambda L, a, b: L.kron(a, b), [(2, 3), (2, 1, 2)]),
    ("trace", lambda L, a: L.trace(a), [(3, 4)]),
    ("diag_1d", lambda L, a: L.diag(a, 1), [(3,)]),
    ("diag_2d", lambda L, a: L.diag(a, -1), [(3, 4)]),
    ("diagonal", lambda L, a: a.diagonal(1, -1, 0), [(3, 2, 4)]),
    ("diag_embed", lambda L, a: L.diag_embed(a, -1, 0, 2), [(2, 3)]),
    ("diagonal_scatter", lambda L, a, s: L.diagonal_scatter(a, s, 1), [(3, 4), (3,)]),
    ("tril", lambda L, a: a.tril(-1), [(2, 3, 4)]),
    ("triu", lambda L, a: L.triu(a, 1), [(3, 4)]),
    ("cross", lambda L, a, b: L.cross(a, b, dim=0), [(3, 2), (3, 2)]),
    ("linalg_cross", lambda L, a, b: L.linalg.cross(a, b), [(2, 3), (1, 3)]),
    ("matrix_power_3", lambda L, a: L.matrix_power(a, 3), [(2, 3, 3)]),
    ("matrix_power_0", lambda L, a: L.linalg.matrix_power(a, 0), [(3, 3)]),
    ("matrix_power_neg", lambda L, a: L.matrix_power(a, -2), [(3, 3)]),
]

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 1)]), ("i,j->ij", [(2,), (3,)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]), ("ij->", [(2, 3)]),
    ("ijk->kji", [(2, 3, 4)]), ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    ("i,i->", [(4,), (4,)]), ("iij->j", [(2, 2, 3)]), ("ab,b...->a...", [(2, 3), (3, 2, 2)]),
    ("i j , j", [(2, 3), (3,)]), ("bi,i->b", [(2, 1), (3,)]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn,shapes", PRODUCTS, ids=[c[0] for c in PRODUCTS])
def test_products(name, fn, shapes, dtype):
    arrays = [arr(s, dtype, i) for i, s in enumerate(shapes)]
    check_op(fn, arrays, rtol=1e-4 if dtype == np.float32 else None,
             atol=1e-5 if dtype == np.float32 else None)


@pytest.mark.parametrize("k", range(len(EINSUMS)))
def test_einsum(k):
    eq, shapes = EINSUMS[k]
    check_op(lambda L, *ops: L.einsum(eq, *ops), [arr(s, seed=i) for i, s in enumerate(shapes)])


def test_einsum_list_form_and_errors():
    a, b = arr((2, 3)), arr((3, 4), seed=1)
    check_op(lambda L, x, y: L.einsum("ij,jk", [x, y]), [a, b])
    for eq, shapes in [("ij,jk->ik", [(2, 3), (4, 4)]), ("ij->ij", [(2,)]),
                       ("ij,jk->ik", [(2, 3)])]:
        ts = [arr(s) for s in shapes]
        same_error(lambda eq=eq, ts=ts: ember.einsum(eq, *[ember.tensor(t) for t in ts]),
                   lambda eq=eq, ts=ts: torch.einsum(eq, *[torch.tensor(t) for t in ts]),
                   match_message=eq == "ij,jk->ik" and len(shapes) == 2)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 4), m=st.integers(0, 3), k=st.integers(1, 3), seed=st.integers(0, 9))
def test_matrix_products_drawn(n, m, k, seed):
    check_op(lambda L, i, a, b: L.addmm(i, a, b, beta=0.5), [arr((m,), seed=seed),
                                                            arr((n, k), seed=seed + 1),
                                                            arr((k, m), seed=seed + 2)])
    check_op(lambda L, a, b: L.einsum("ij,kj->ik", a, b), [arr((n, k), seed=seed),
                                                           arr((m, k), seed=seed + 1)])
    check_op(lambda L, a: a.diagonal(seed % 3 - 1), [arr((n, m), seed=seed)])


def test_node_names():
    names = {}
    for lib in (ember, torch):
        a = lib.ones(3, 3, dtype=lib.float64, requires_grad=True) * 1
        v = lib.ones(3, dtype=lib.float64, requires_grad=True) * 1
        outs = [lib.addmm(a, a, a), lib.addmv(v, a, v), lib.outer(v, v), lib.trace(a),
                lib.diag(a), lib.diag(v), a.diagonal(), lib.diag_embed(a), a.tril(), a.triu(),
                lib.kron(a, a), lib.tensordot(a, a), lib.linalg.cross(a, a),
                lib.matrix_power(a, 2), lib.baddbmm(a[None], a[None], a[None])]
        names[lib] = [type(o.grad_fn).__name__ for o in outs]
    assert names[ember] == names[torch]


# -- decompositions -------------------------------------------------------------------------

def _sym(L, a):
    return (a + a.mT) / 2


DECOMPS = [
    ("inv", lambda L, a: L.linalg.inv(a), [arr((3, 3)) + 3 * np.eye(3)]),
    ("inverse_batch", lambda L, a: L.inverse(a), [arr((2, 3, 3)) + 3 * np.eye(3)]),
    ("det", lambda L, a: L.linalg.det(a), [arr((2, 3, 3))]),
    ("det_alias", lambda L, a: L.det(a), [arr((3, 3))]),
    ("slogdet", lambda L, a: L.linalg.slogdet(a)[1], [arr((2, 3, 3))]),
    ("logdet", lambda L, a: L.logdet(a), [spd(3)]),
    ("solve", lambda L, a, b: L.linalg.solve(a, b), [arr((3, 3)) + 3 * np.eye(3),
                                                      arr((3, 2), seed=1)]),
    ("solve_vec", lambda L, a, b: L.linalg.solve(a, b), [arr((2, 3, 3)) + 3 * np.eye(3),
                                                          arr((3,), seed=1)]),
    ("solve_batch_vec", lambda L, a, b: L.linalg.solve(a, b),
     [arr((2, 3, 3)) + 3 * np.eye(3), arr((2, 3), seed=1)]),
    ("cholesky", lambda L, a: L.linalg.cholesky(_sym(L, a)), [spd(3, (2,))]),
    ("cholesky_upper", lambda L, a: L.linalg.cholesky(_sym(L, a), upper=True), [spd(3)]),
    ("eigh_vals", lambda L, a: L.linalg.eigh(_sym(L, a))[0], [spd(3, (2,))]),
    ("eigh_vecs", lambda L, a: L.linalg.eigh(_sym(L, a))[1].abs(), [spd(3)]),
    ("eigvalsh", lambda L, a: L.linalg.eigvalsh(_sym(L, a)), [spd(4)]),
    ("svd_s", lambda L, a: L.linalg.svd(a)[1], [arr((2, 4, 3))]),
    ("svd_uv", lambda L, a: L.linalg.svd(a, full_matrices=False)[0].abs().sum(-1) +
     L.linalg.svd(a, full_matrices=False)[2].abs().sum(-2), [arr((4, 3))]),
    ("svd_wide", lambda L, a: (lambda r: r[0].abs().sum() + r[2].abs().sum(0))(
        L.linalg.svd(a, full_matrices=False)), [arr((3, 5))]),
    ("svdvals", lambda L, a: L.linalg.svdvals(a), [arr((3, 5))]),
    ("qr_tall", lambda L, a: (lambda r: r[0] * 2 + r[1].sum(0))(L.linalg.qr(a)), [arr((4, 3))]),
    ("qr_square_batch", lambda L, a: L.linalg.qr(a)[1], [arr((2, 3, 3))]),
    ("qr_wide", lambda L, a: (lambda r: r[0].sum() + r[1])(L.linalg.qr(a)), [arr((2, 4))]),
    ("pinv_tall", lambda L, a: L.linalg.pinv(a), [arr((4, 3))]),
    ("pinv_wide", lambda L, a: L.linalg.pinv(a), [arr((2, 3))]),
]


@pytest.mark.parametrize("name,fn,arrays", DECOMPS, ids=[c[0] for c in DECOMPS])
def test_decompositions(name, fn, arrays):
    check_op(fn, arrays, rtol=1e-7, atol=1e-9)


def test_decompositions_float32():
    check_op(lambda L, a: L.linalg.inv(a), [(arr((3, 3)) + 3 * np.eye(3)).astype(np.float32)],
             rtol=1e-4, atol=1e-5)
    check_op(lambda L, a: L.linalg.eigh(_sym(L, a))[0], [spd(3).astype(np.float32)],
             rtol=1e-4, atol=1e-4)


def test_det_of_singular_matrix():
    a = np.array([[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]])
    check_op(lambda L, x: L.linalg.det(x), [a], double=False)


# torch's first-order det gradient solves through A's LU (a zero pivot, which any LAPACK
# finds exactly in these matrices, gives zeros); under create_graph it takes the adjugate
# through the SVD where |det| < 100 eps. Both paths, against torch on the same input.
DET_MATRICES = {
    "zero_pivot": [[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]],
    "zero_column": [[1., 0., 3.], [2., 0., 5.], [1., 0., 1.]],
    "nearly_singular": [[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]],
    "batch_of_both": [[[1., 2.], [2., 4.]], [[2., 1.], [1., 3.]]],
    "one_by_one_zero": [[0.]],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", list(DET_MATRICES))
def test_det_gradient_of_singular_matrices(name, create_graph, dtype):
    a = np.array(DET_MATRICES[name], dtype)
    check_op(lambda L, x: L.linalg.det(x), [a], double=create_graph, rtol=1e-4, atol=1e-5)


def test_decomposition_node_names():
    names = {}
    for lib in (ember, torch):
        a = lib.tensor(spd(3), requires_grad=True)
        outs = [lib.linalg.inv(a), lib.linalg.det(a), lib.linalg.slogdet(a)[1],
                lib.linalg.solve(a, a[0]), lib.linalg.cholesky(a), lib.linalg.qr(a)[0],
                lib.linalg.eigh(a)[0], lib.linalg.svd(a)[0], lib.linalg.pinv(a),
                lib.det(a), lib.inverse(a)]
        names[lib] = [type(o.grad_fn).__name__ for o in outs]
    assert names[ember] == names[torch]


ERRORS = [
    lambda L: L.linalg.inv(L.zeros(2, 3)),
    lambda L: L.linalg.inv(L.zeros(3)),
    lambda L: L.linalg.inv(L.zeros(3, 3)),
    lambda L: L.linalg.inv(L.zeros(2, 3, 3)),
    lambda L: L.linalg.inv(L.zeros(3, 3, dtype=L.int64)),
    lambda L: L.linalg.det(L.zeros(2, 3)),
    lambda L: L.linalg.cholesky(-L.eye(3)),
    lambda L: L.linalg.solve(L.eye(3), L.zeros(2, 1)),
    lambda L: L.trace(L.zeros(2, 2, 2)),
    lambda L: L.tril(L.zeros(3)),
    lambda L: L.diag(L.zeros(2, 2, 2)),
    lambda L: L.diagonal(L.zeros(2, 2), 0, 1, 1),
    lambda L: L.linalg.cross(L.zeros(4), L.zeros(4)),
    lambda L: L.outer(L.zeros(2, 2), L.zeros(2)),
    lambda L: L.addmm(L.zeros(2, 2), L.zeros(2, 3), L.zeros(2, 3)),
    lambda L: L.baddbmm(L.zeros(2, 2, 2), L.zeros(2, 2, 3), L.zeros(3, 3, 2)),
    lambda L: L.tensordot(L.zeros(2, 3), L.zeros(2, 3), ([0], [1])),
    lambda L: L.matrix_power(L.zeros(2, 3), 2),
    lambda L: L.linalg.qr(L.zeros(3), mode="reduced"),
    lambda L: L.linalg.qr(L.zeros(2, 2), mode="x"),
    lambda L: L.linalg.eigh(L.zeros(2, 3)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    try:
        ERRORS[i](torch)
    except torch.linalg.LinAlgError as te:
        # torch's own error class: compare ember's LinAlgError by role and message.
        with pytest.raises(ember.linalg.LinAlgError) as ee:
            ERRORS[i](ember)
        assert isinstance(ee.value, RuntimeError) and str(ee.value) == str(te)
        return
    except Exception:  # noqa: BLE001
        pass
    same_error(lambda: ERRORS[i](ember), lambda: ERRORS[i](torch))


def test_qr_backward_errors():
    def f(L, mode):
        a = L.tensor(arr((4, 3)), requires_grad=True)
        q, r = L.linalg.qr(a, mode=mode)
        (r.sum() + (q.sum() if mode != "r" else 0)).backward()

    same_error(lambda: f(ember, "complete"), lambda: f(torch, "complete"))
    same_error(lambda: f(ember, "r"), lambda: f(torch, "r"))


# -- matmul for every rank, mm, mv, dot, bmm -----------------------------------------------------

@st.composite
def matmul_shapes(draw):
    n, k, p = (draw(st.integers(0, 3)) for _ in range(3))
    d1, d2 = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=2)))
    # Each operand takes a suffix of the batch, with random dims set to 1 to broadcast.
    b1 = [1 if draw(st.booleans()) else s for s in batch[2 - max(d1 - 2, 0):]]
    b2 = [1 if draw(st.booleans()) else s for s in batch[2 - max(d2 - 2, 0):]]
    s1 = (k,) if d1 == 1 else tuple(b1) + (n, k)
    s2 = (k,) if d2 == 1 else tuple(b2) + (k, p)
    return s1, s2


@pytest.mark.parametrize("dtype", FLOATS)
@settings(max_examples=40, deadline=None)
@given(shapes=matmul_shapes(), seed=st.integers(0, 50))
def test_matmul_shapes(dtype, shapes, seed):
    a = make_array(shapes[0], dtype, seed)
    b = make_array(shapes[1], dtype, seed + 1)
    check_op(lambda lib, x, y: x @ y, [a, b], rtol=1e-4 if dtype == np.float32 else None)
    check_op(lambda lib, x, y: lib.matmul(x, y), [a, b], grad=(True, False),
             rtol=1e-4 if dtype == np.float32 else None)


@pytest.mark.parametrize("s1,s2", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                   ((2, 3), (3, 4)), ((5, 2, 3), (3,)), ((5, 2, 3), (3, 4)),
                                   ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)),
                                   ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)),
                                   ((6, 1, 2, 3), (5, 3, 4)), ((4, 5, 2, 3), (3,))])
def test_matmul_graph_structure(s1, s2):
    """The nodes matmul records are torch's, edge by edge."""
    ea = ember.ones(s1, requires_grad=True)
    eb = ember.ones(s2, requires_grad=True)
    ta = torch.ones(s1, requires_grad=True)
    tb = torch.ones(s2, requires_grad=True)
    assert _walk((ea @ eb).grad_fn) == _walk((ta @ tb).grad_fn)
    check_op(lambda lib, x, y: x @ y, [make_array(s1, np.float64, 1),
                                       make_array(s2, np.float64, 2)])


def _walk(fn):
    """The graph below `fn` as nested (name, children) tuples."""
    if fn is None:
        return None
    return (fn.name(), tuple((_walk(f), nr) for f, nr in fn.next_functions))


@pytest.mark.parametrize("dtype", FLOATS)
def test_mm_mv_dot_bmm(dtype):
    check_op(lambda lib, x, y: lib.mm(x, y), [make_array((2, 3), dtype, 1),
                                              make_array((3, 4), dtype, 2)])
    check_op(lambda lib, x, y: x.mm(y), [make_array((0, 3), dtype, 1),
                                         make_array((3, 4), dtype, 2)])
    check_op(lambda lib, x, y: lib.mv(x, y), [make_array((2, 3), dtype, 1),
                                              make_array((3,), dtype, 2)])
    check_op(lambda lib, x, y: lib.dot(x, y), [make_array((3,), dtype, 1),
                                               make_array((3,), dtype, 2)])
    check_op(lambda lib, x, y: lib.bmm(x, y), [make_array((2, 2, 3), dtype, 1),
                                               make_array((2, 3, 4), dtype, 2)])
    check_op(lambda lib, x, y: x @ y, [make_array((2, 0), dtype, 1),
                                       make_array((0, 4), dtype, 2)])


def test_integer_matmul():
    a = make_array((2, 3), np.int64, 1)
    b = make_array((3, 4), np.int64, 2)
    check_op(lambda lib, x, y: x @ y, [a, b])
    check_op(lambda lib, x, y: x[0] @ y if False else lib.mm(x, y), [a, b])


def test_matmul_errors():
    cases = [
        ((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 5)), ((2, 2, 3), (2, 4, 5)),
        ((2, 2, 3), (3, 2, 4, 5)), ((2, 2, 3), (3, 3, 4)), ((5, 2, 3), (4,)), ((), (3,)),
        ((3,), ()), ((2, 3, 4), (5,)), ((5,), (2, 3, 4)),
    ]
    for s1, s2 in cases:
        same_error(lambda s1=s1, s2=s2: ember.zeros(s1) @ ember.zeros(s2),
                   lambda s1=s1, s2=s2: torch.zeros(s1) @ torch.zeros(s2))
    same_error(lambda: ember.zeros(2, 3) @ ember.zeros(3, 4, dtype=ember.float64),
               lambda: torch.zeros(2, 3) @ torch.zeros(3, 4, dtype=torch.float64))
    same_error(lambda: ember.zeros(3) @ ember.zeros(3, dtype=ember.float64),
               lambda: torch.zeros(3) @ torch.zeros(3, dtype=torch.float64))
    same_error(lambda: ember.zeros(2, 3) @ ember.zeros(3, dtype=ember.float64),
               lambda: torch.zeros(2, 3) @ torch.zeros(3, dtype=torch.float64))
    same_error(lambda: ember.zeros(2, 3) @ 2, lambda: torch.zeros(2, 3) @ 2)


def test_mm_mv_dot_bmm_errors():
    E, T = ember, torch
    cases = [
        ("mm", (2, 3), (4, 5)), ("mm", (3,), (3, 4)), ("mm", (2, 3), (3,)),
        ("mm", (2, 2, 3), (3, 4)), ("mv", (2, 3), (4,)), ("mv", (3,), (3,)),
        ("mv", (2, 3), (3, 1)), ("dot", (3,), (4,)), ("dot", (2, 3), (3,)),
        ("dot", (3,), ()), ("bmm", (2, 2, 3), (2, 4, 5)), ("bmm", (2, 2, 3), (3, 3, 5)),
        ("bmm", (2, 3), (2, 3, 5)), ("bmm", (2, 2, 3), (3, 5)),
    ]
    for fn, s1, s2 in cases:
        same_error(lambda fn=fn, s1=s1, s2=s2: getattr(E, fn)(E.zeros(s1), E.zeros(s2)),
                   lambda fn=fn, s1=s1, s2=s2: getattr(T, fn)(T.zeros(s1), T.zeros(s2)))
    for fn, s1, s2 in (("mm", (2, 3), (3, 4)), ("mv", (2, 3), (3,)), ("dot", (3,), (3,)),
                       ("bmm", (2, 2, 3), (2, 3, 4))):
        same_error(
            lambda fn=fn, s1=s1, s2=s2: getattr(E, fn)(E.zeros(s1),
                                                       E.zeros(s2, dtype=E.float64)),
            lambda fn=fn, s1=s1, s2=s2: getattr(T, fn)(T.zeros(s1),
                                                       T.zeros(s2, dtype=T.float64)))
