"""Indexing against torch: tensor[key] (basic, advanced, masks, mixtures), tensor[key] = v
with autograd (CopySlices), in-place ops on views of non-leaves, gather/scatter/index_*/
masked_*, take, sorting and unique; values, gradients, double gradients, node names and
errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from helpers import assert_same, check_op, same_error

FLOATS = [np.float32, np.float64]


def arr(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def idx(L, values):
    return L.tensor(values)


KEYS = [
    0, -1, (1, 2), slice(None), slice(1, None), slice(None, None, 2), slice(-2, 10, 3),
    Ellipsis, None, (Ellipsis, 1), (None, 0, None), (0, slice(1, 3)), (slice(None), None, -1),
    [0, 2], [[0, 1], [2, 2]], (slice(None), [1, 0, 1]), ([0, 2], [1, 3]),
    ([0, 2], slice(None), [1, 3]), (0, slice(None), [1, 2]), (slice(None), [0, 1], [1, 2]),
    ([0, 0, 1],), (Ellipsis, [3, 0]), ([[0], [2]], slice(1, 3), [0, 1]), (1, [0, 0]),
    True, (None, [1], Ellipsis), (slice(None), [0, 1], None, [1, 2]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("k", range(len(KEYS)))
def test_getitem_keys(k, dtype):
    key = KEYS[k]
    check_op(lambda L, x: x[key], [arr((3, 4, 5), dtype)])


def test_getitem_tensor_keys_and_masks():
    x = arr((3, 4, 5))
    m = np.random.default_rng(1).random((3, 4)) > 0.5
    check_op(lambda L, t: t[L.tensor([2, 0, 2])], [x])
    check_op(lambda L, t: t[L.tensor([[1, -1]]), 1:], [x])
    check_op(lambda L, t: t[L.tensor(m)], [x])
    check_op(lambda L, t: t[0, L.tensor(m[0])], [x])
    check_op(lambda L, t: t[:, L.tensor(m[0]), L.tensor([1, 2])[:1]], [x])
    check_op(lambda L, t: t[t > 0], [x])
    check_op(lambda L, t: t[L.tensor(1)], [x])
    check_op(lambda L, t: t[L.tensor([True, False, True])], [x])
    check_op(lambda L, t: t[L.tensor([], dtype=L.int64)], [x])


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple),
       data=st.data())
def test_getitem_drawn(shape, data):
    key = []
    for n in shape:
        kind = data.draw(st.sampled_from(["int", "slice", "list", "all"]))
        if kind == "int" and n:
            key.append(data.draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            a = data.draw(st.integers(-5, 5))
            b = data.draw(st.integers(-5, 5))
            key.append(slice(a, b, data.draw(st.integers(1, 3))))
        elif kind == "list" and n:
            key.append(data.draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=3)))
        else:
            key.append(slice(None))
    lists = [k for k in key if isinstance(k, list)]
    if len({len(k) for k in lists}) > 1:
        key = [slice(None) if isinstance(k, list) else k for k in key]
    key = tuple(key)
    check_op(lambda L, x: x[key], [arr(shape, np.float64)])


def test_basic_indexing_views_share_version():
    x = ember.zeros(3, 4)
    for v in (x[0], x[1:], x[:, ::2], x[None], x[...], x[0, 1]):
        assert v._base is x and v._version == x._version
    assert x[[0, 1]]._base is None


def test_node_names():
    names = {}
    for lib in (ember, torch):
        x = lib.ones(3, 4, 5, dtype=lib.float64, requires_grad=True) * 1
        outs = [x[0], x[:], x[...], x[None], x[1:], x[lib.tensor(1)], x[[0, 1]], x[0, 1:],
                x[x > 0], x[True]]
        names[lib] = [type(o.grad_fn).__name__ for o in outs]
    assert names[ember] == names[torch]


def _setitem(L, a, b, key, scalar=False):
    x = a * 1
    x[key] = 2.5 if scalar else b
    return x * x


SET_CASES = [
    (0, (4, 5)), ((1, slice(1, 3)), (5,)), (slice(None, None, 2), (1, 4, 5)),
    ([0, 2], (5,)), ((slice(None), [0, 3], 1), (3, 2)), ((Ellipsis, 0), (3, 4)),
    ((0, [1, 1]), (5,)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("k", range(len(SET_CASES)))
def test_setitem_grads(k, dtype):
    key, vshape = SET_CASES[k]
    if k == len(SET_CASES) - 1:
        # Repeated advanced indices: torch writes one of them; compare the value-free case.
        check_op(lambda L, a, b: _setitem(L, a, b, key, True), [arr((3, 4, 5), dtype),
                                                                arr(vshape, dtype, 1)])
        return
    check_op(lambda L, a, b: _setitem(L, a, b, key), [arr((3, 4, 5), dtype),
                                                      arr(vshape, dtype, 1)])
    check_op(lambda L, a, b: _setitem(L, a, b, key, True), [arr((3, 4, 5), dtype),
                                                            arr(vshape, dtype, 1)])


def test_setitem_masks_and_node_names():
    m = np.random.default_rng(2).random((3, 4)) > 0.5

    def f(L, a, b):
        x = a * 1
        x[L.tensor(m)] = 0.0
        x[:, 0] = b
        return x

    check_op(f, [arr((3, 4)), arr((3,), seed=3)])
    for lib in (ember, torch):
        a = lib.ones(3, 4, requires_grad=True)
        x = a * 1
        x[0] = lib.zeros(4)
        y = a * 1
        y[[0, 1]] = 1.0
        z = a * 1
        z[0, [0, 1]] = 1.0
        w = lib.zeros(3, 4)
        w[1] = a[0]
        assert type(x.grad_fn).__name__ == "CopySlices"
        assert type(x.grad_fn.next_functions[0][0]).__name__ == "MulBackward0"
        assert type(y.grad_fn).__name__ == "IndexPutBackward0"
        assert type(z.grad_fn).__name__ == "CopySlices"
        assert w.requires_grad and type(w.grad_fn).__name__ == "CopySlices"


def test_inplace_on_view_of_nonleaf():
    def f(L, a, b):
        x = a * 1
        v = x[1:, ::2]
        v.mul_(b)
        u = x.t()[0]
        u.add_(b[0, :1].sum())
        return x * v.sum() + u.sum()

    check_op(f, [arr((3, 4)), arr((2, 2), seed=4)])
    for lib in (ember, torch):
        x = lib.ones(3, 4, requires_grad=True) * 1
        v = x[0]
        v.mul_(2)
        assert type(v.grad_fn).__name__ == "AsStridedBackward0"
        assert type(x.grad_fn).__name__ == "CopySlices"


def test_setitem_errors():
    x = arr((3, 4))
    cases = [
        lambda L, t: t.__setitem__([0], L.ones(4, dtype=L.float64 if t.dtype == L.float32
                                                 else L.float32)),
        lambda L, t: t.__setitem__(0, L.ones(3)),
        lambda L, t: t.requires_grad_().__setitem__(0, 1.0),
        lambda L, t: t.__setitem__(5, 1.0),
    ]
    for c in cases:
        same_error(lambda c=c: c(ember, ember.tensor(x)), lambda c=c: c(torch, torch.tensor(x)))


GETITEM_ERRORS = [
    lambda L, x: x[5], lambda L, x: x[L.tensor([5])], lambda L, x: x[:, 7],
    lambda L, x: x[0, 0, 0], lambda L, x: x[L.tensor([1.0])],
    lambda L, x: x[L.ones(3, 5, dtype=L.bool)], lambda L, x: x[:, L.ones(3, dtype=L.bool)],
    lambda L, x: L.tensor(1.)[0], lambda L, x: L.tensor(1.)[:], lambda L, x: x[::0],
    lambda L, x: x[::-1], lambda L, x: x[1.5], lambda L, x: x[L.tensor([0, 1]), L.tensor([0])[[
        0, 0, 0]]], lambda L, x: x[-4],
]


@pytest.mark.parametrize("i", range(len(GETITEM_ERRORS)))
def test_getitem_errors(i):
    x = arr((3, 4))
    f = GETITEM_ERRORS[i]
    same_error(lambda: f(ember, ember.tensor(x)), lambda: f(torch, torch.tensor(x)))


# -- gather, scatter, index_*, masked_*, take ----------------------------------------------

I2 = [[0, 2, 1, 0], [2, 2, 0, 1]]
OPS = [
    ("gather", lambda L, x: x.gather(0, L.tensor(I2)), [(3, 4)]),
    ("gather_dim1", lambda L, x: L.gather(x, -1, L.tensor([[3, 3], [0, 1]])), [(3, 4)]),
    ("scatter", lambda L, x, s: x.scatter(0, L.tensor([[0, 2, 1, 0]]), s), [(3, 4), (1, 4)]),
    ("scatter_value", lambda L, x: x.scatter(1, L.tensor([[0], [3]]), 1.5), [(3, 4)]),
    ("scatter_add", lambda L, x, s: x.scatter_add(0, L.tensor(I2), s), [(3, 4), (2, 4)]),
    ("index_select", lambda L, x: x.index_select(1, L.tensor([3, 0, 3])), [(3, 4)]),
    ("index_add", lambda L, x, s: x.index_add(0, L.tensor([2, 0, 2]), s, alpha=2.0),
     [(3, 4), (3, 4)]),
    ("index_copy", lambda L, x, s: x.index_copy(1, L.tensor([3, 0]), s), [(3, 4), (3, 2)]),
    ("index_fill", lambda L, x: x.index_fill(1, L.tensor([1, 3]), -2.0), [(3, 4)]),
    ("index_fill_t", lambda L, x, v: x.index_fill(0, L.tensor([1]), v), [(3, 4), ()]),
    ("masked_fill", lambda L, x: x.masked_fill(x > 0, 0.5), [(3, 4)]),
    ("masked_fill_t", lambda L, x, v: x.masked_fill(L.tensor([True, False, True, False]), v),
     [(3, 4), ()]),
    ("masked_scatter", lambda L, x, s: x.masked_scatter(x > 0, s), [(3, 4), (4, 4)]),
    ("masked_select", lambda L, x: x.masked_select(L.tensor([[True], [False], [True]])),
     [(3, 4)]),
    ("masked_select_b", lambda L, x: L.masked_select(x, L.tensor([[True, False, True, True]] *
                                                                 2)), [(4,)]),
    ("take", lambda L, x: x.take(L.tensor([[0, -1], [5, 5]])), [(3, 4)]),
    ("take_along_dim", lambda L, x: L.take_along_dim(x, L.tensor([[0], [2]]), 1), [(2, 4)]),
    ("take_along_dim_flat", lambda L, x: L.take_along_dim(x, L.tensor([7, 1, 1])), [(2, 4)]),
    ("index_put_acc", lambda L, x, v: L.index_put(x, (L.tensor([0, 0, 2]),), v,
                                                   accumulate=True), [(3, 4), (4,)]),
    ("index_put", lambda L, x, v: x.index_put((L.tensor([0, 2]), L.tensor([1, 1])), v),
     [(3, 4), (1,)]),
]
for red in ("sum", "prod", "mean", "amax", "amin"):
    for incl in (True, False):
        OPS.append((f"scatter_reduce_{red}_{incl}",
                    lambda L, x, s, red=red, incl=incl: x.scatter_reduce(
                        0, L.tensor(I2), s, red, include_self=incl), [(3, 4), (2, 4)]))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn,shapes", OPS, ids=[c[0] for c in OPS])
def test_ops(name, fn, shapes, dtype):
    arrays = [arr(s, dtype, i) for i, s in enumerate(shapes)]
    check_op(fn, arrays, double=not name.startswith("scatter_reduce_prod"))


def test_larger_src_gradient_error():
    def f(L):
        x = L.zeros(3, 4, requires_grad=True)
        s = L.ones(2, 5, requires_grad=True)
        x.scatter(0, L.tensor([[0, 2, 1, 0]]), s).sum().backward()

    same_error(lambda: f(ember), lambda: f(torch))


def test_scatter_reduce_prod_with_zeros():
    x = arr((3, 4))
    x[0, 0] = 0
    s = arr((2, 4), seed=1)
    s[0, 1] = 0
    check_op(lambda L, a, b: a.scatter_reduce(0, L.tensor(I2), b, "prod"), [x, s],
             double=False)


def test_inplace_variants():
    def f(L, a, s):
        x = a * 1
        x.index_add_(0, L.tensor([1, 1]), s)
        x.masked_fill_(x > 1, 0.0)
        x.scatter_add_(1, L.tensor([[0, 0], [1, 1], [2, 3]]), s[:, :2].t().repeat(2, 1)[:3])
        x.index_fill_(1, L.tensor([2]), 3.0)
        x[1:].index_copy_(0, L.tensor([1]), s[:1])
        x.scatter_(0, L.tensor([[2, 0, 1, 0]]), s[:1] * 2)
        x.masked_scatter_(x < 0, s.reshape(-1).repeat(2))
        return x

    check_op(f, [arr((3, 4)), arr((2, 4), seed=5)])


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), data=st.data())
def test_gather_scatter_drawn(shape, data):
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[d]
    ishape = tuple(data.draw(st.integers(0, s)) for s in shape)
    rng = np.random.default_rng(data.draw(st.integers(0, 9)))
    index = rng.integers(0, n, ishape)
    check_op(lambda L, x: x.gather(d, L.tensor(index)), [arr(shape)])
    check_op(lambda L, x, s: x.scatter_add(d, L.tensor(index), s),
             [arr(shape), arr(ishape, seed=1)])
    check_op(lambda L, x: x.index_select(d, L.tensor(index.reshape(-1))), [arr(shape)])


INDEX_ERRORS = [
    lambda L, x: x.gather(0, L.tensor([[0.]])),
    lambda L, x: x.gather(0, L.tensor([0])),
    lambda L, x: x.gather(0, L.tensor([[5]])),
    lambda L, x: x.gather(0, L.zeros(2, 5, dtype=L.long)),
    lambda L, x: x.scatter(0, L.tensor([[5]]), 1.0),
    lambda L, x: x.scatter(0, L.tensor([[0, 1]]), L.ones(1, 1, dtype=x.dtype)),
    lambda L, x: x.index_select(0, L.tensor([0.])),
    lambda L, x: x.index_select(0, L.tensor([5])),
    lambda L, x: x.index_select(0, L.tensor([[0]])),
    lambda L, x: x.take(L.tensor([12])),
    lambda L, x: x.take(L.tensor([1.])),
    lambda L, x: x.masked_fill(L.ones(3, 4), 1.0),
    lambda L, x: x.masked_fill(L.ones(3, 4, dtype=L.bool), L.ones(2)),
    lambda L, x: x.masked_scatter(L.ones(3, 4, dtype=L.bool), L.ones(2, dtype=x.dtype)),
    lambda L, x: x.index_add(0, L.tensor([0]), L.ones(2, 4, dtype=x.dtype)),
    lambda L, x: x.index_copy(0, L.tensor([0]), L.ones(1, 3, dtype=x.dtype)),
    lambda L, x: x.index_fill(0, L.tensor([5]), 1.),
    lambda L, x: x.scatter_reduce(0, L.tensor([[0]]), L.ones(1, 1, dtype=x.dtype), "foo"),
    lambda L, x: x.topk(5),
    lambda L, x: x.kthvalue(5),
    lambda L, x: x.kthvalue(0),
    lambda L, x: x.index_put_((L.tensor([0]),), L.ones(4, dtype=L.float32)),
]


@pytest.mark.parametrize("i", range(len(INDEX_ERRORS)))
def test_index_op_errors(i):
    x = arr((3, 4))
    f = INDEX_ERRORS[i]
    same_error(lambda: f(ember, ember.tensor(x)), lambda: f(torch, torch.tensor(x)))


# -- sorting, selection, nonzero, unique -------------------------------------------------

def test_sort_family():
    x = np.array([[3., 1., 2., 1., 5.], [0., 0., -1., 7., 0.]])
    for desc in (False, True):
        check_op(lambda L, t, d=desc: t.sort(descending=d, stable=True)[0], [x])
        check_op(lambda L, t, d=desc: t.sort(dim=0, descending=d, stable=True)[1], [x])
        check_op(lambda L, t, d=desc: t.argsort(descending=d, stable=True), [x])
    y = np.array([[3., 1., 2., 0., 5.], [0.5, 0., -1., 7., 4.]])
    check_op(lambda L, t: t.topk(3)[0], [y])
    check_op(lambda L, t: t.topk(2, 0, largest=False)[0], [y])
    check_op(lambda L, t: L.topk(t, 3)[1], [arr((2, 6))])
    check_op(lambda L, t: t.kthvalue(2, 1)[0], [arr((3, 5))])
    check_op(lambda L, t: t.kthvalue(1, 0, keepdim=True)[0], [arr((3, 5))])
    check_op(lambda L, t: t.sort()[0], [arr(())])
    check_op(lambda L, t: t.sort(0)[0], [arr((0, 3))])
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        assert [type(o.grad_fn).__name__ for o in (t.sort()[0], t.topk(1)[0],
                                                    t.kthvalue(1)[0])] == \
            ["SortBackward0", "TopkBackward0", "KthvalueBackward0"]


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 6), seed=st.integers(0, 50), desc=st.booleans())
def test_sort_stable_drawn(n, seed, desc):
    x = np.random.default_rng(seed).integers(0, 3, (2, n)).astype(np.float32)
    check_op(lambda L, t: t.sort(dim=-1, descending=desc, stable=True)[1], [x])
    check_op(lambda L, t: t.sort(dim=-1, descending=desc, stable=True)[0], [x])


def test_nonzero_where_unique():
    x = np.array([[0., 1., 2.], [3., 0., 0.]])
    check_op(lambda L, t: L.nonzero(t), [x])
    check_op(lambda L, t: L.nonzero(t, as_tuple=True), [x])
    check_op(lambda L, t: L.argwhere(t), [x])
    check_op(lambda L, t: L.where(t > 0), [x], grad=False)
    check_op(lambda L, t: L.nonzero(t, as_tuple=True), [np.array(2.)])
    v = np.array([3, 1, 2, 1, 3, 3])
    check_op(lambda L, t: L.unique(t), [v])
    check_op(lambda L, t: L.unique(t, return_inverse=True, return_counts=True), [v])
    m = np.array([[1, 2], [0, 1], [1, 2]])
    check_op(lambda L, t: L.unique(t, dim=0, return_inverse=True, return_counts=True), [m])
    f = np.array([2., 1., 2.])
    for lib in (ember, torch):
        u = lib.unique(lib.tensor(f, requires_grad=True))
        assert type(u.grad_fn).__name__ == "Unique2Backward0"
    same_error(lambda: ember.unique(ember.tensor(f, requires_grad=True)).sum().backward(),
               lambda: torch.unique(torch.tensor(f, requires_grad=True)).sum().backward())


def test_repeated_index_gradient_accumulates():
    x = arr((4,))
    check_op(lambda L, t: t[L.tensor([1, 1, 1, 3])], [x])
    check_op(lambda L, t: t.index_select(0, L.tensor([2, 2])), [x])
    check_op(lambda L, t: t.take(L.tensor([0, 0])), [x])
    e = ember.tensor(x, requires_grad=True)
    e[[0, 0, 2]].sum().backward()
    assert_same(e.grad, torch.tensor([2., 0., 1., 0.], dtype=torch.float64))
