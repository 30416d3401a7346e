"""meshgrid, diff, cdist, searchsorted, bucketize, bincount and histc against torch:
values, dtypes, gradients (and second derivatives where torch has them) and errors, over
small hypothesis-drawn shapes including 0-dim and empty ones."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from helpers import assert_same, check_op, make_array, same_error

FLOATS = [np.float32, np.float64]
sides = st.integers(0, 4)


def _both(call, *arrays):
    return (call(ember, *[ember.from_numpy(a.copy()) for a in arrays]),
            call(torch, *[torch.from_numpy(a.copy()) for a in arrays]))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@settings(max_examples=8, deadline=None)
@given(n=st.lists(sides, min_size=1, max_size=3), seed=st.integers(0, 100),
       zero_dim=st.booleans())
def test_meshgrid(indexing, n, seed, zero_dim):
    arrays = [make_array(() if zero_dim and i == 0 else (k,), np.float64, seed + i)
              for i, k in enumerate(n)]
    check_op(lambda lib, *ts: lib.stack([g.sum() * (i + 1) for i, g in enumerate(
        lib.meshgrid(*ts, indexing=indexing))]), arrays)
    e, t = _both(lambda lib, *ts: lib.meshgrid(list(ts), indexing=indexing), *arrays)
    assert_same(list(e), list(t))
    if len(arrays) > 1 or not zero_dim:
        g = ember.meshgrid(*[ember.tensor(a, requires_grad=True) for a in arrays],
                           indexing=indexing)
        tg = torch.meshgrid(*[torch.tensor(a, requires_grad=True) for a in arrays],
                            indexing=indexing)
        assert [x.grad_fn.name() for x in g if x.grad_fn] == \
            [x.grad_fn.name() for x in tg if x.grad_fn]


def test_meshgrid_warning_and_errors():
    msgs = []
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.meshgrid(lib.zeros(2), lib.zeros(3))
        msgs.append([str(x.message) for x in w])
    # torch warns once per process (and appends where in its C++ sources it warned).
    assert len(msgs[0]) <= 1 and len(msgs[1]) <= 1
    if msgs[0] and msgs[1]:
        assert msgs[1][0].startswith(msgs[0][0] + " (Triggered internally")
    assert_same(list(ember.meshgrid(ember.zeros(2), ember.ones(3))),
                list(torch.meshgrid(torch.zeros(2), torch.ones(3), indexing="ij")))
    x, tx = ember.zeros(2), torch.zeros(2)
    same_error(lambda: ember.meshgrid(x, x, indexing="foo"),
               lambda: torch.meshgrid(tx, tx, indexing="foo"))
    same_error(lambda: ember.meshgrid(indexing="ij"), lambda: torch.meshgrid(indexing="ij"))
    same_error(lambda: ember.meshgrid(x, x.double(), indexing="ij"),
               lambda: torch.meshgrid(tx, tx.double(), indexing="ij"))
    same_error(lambda: ember.meshgrid([x], [x], indexing="ij"),
               lambda: torch.meshgrid([tx], [tx], indexing="ij"))
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
        ember.meshgrid(ember.zeros(2, 2), indexing="ij")


@pytest.mark.parametrize("dtype", FLOATS + [np.int64, np.bool_])
@settings(max_examples=8, deadline=None)
@given(shape=st.lists(sides, min_size=1, max_size=3), n=st.integers(0, 4),
       seed=st.integers(0, 100), data=st.data())
def test_diff(dtype, shape, n, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = make_array(shape, dtype, seed)
    check_op(lambda lib, x: lib.diff(x, n=n, dim=dim), [a])
    pre_shape = list(shape)
    pre_shape[dim] = 2
    p = make_array(pre_shape, dtype, seed + 1)
    check_op(lambda lib, x, p: x.diff(n, dim, prepend=p, append=p * 2), [a, p])


def test_diff_errors_and_mixed_dtypes():
    x, tx = ember.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    for call in [lambda lib, x: lib.diff(lib.tensor(1.0)), lambda lib, x: lib.diff(x, n=-1),
                 lambda lib, x: lib.diff(x, prepend=lib.tensor([[1.0]])),
                 lambda lib, x: lib.diff(x, prepend=1.0), lambda lib, x: lib.diff(x, dim=2),
                 lambda lib, x: lib.diff(lib.zeros(2, 3), dim=0, append=lib.ones(1, 2))]:
        same_error(lambda call=call: call(ember, x), lambda call=call: call(torch, tx))
    assert_same(ember.diff(ember.tensor([1, 2]), prepend=ember.tensor([1.5])),
                torch.diff(torch.tensor([1, 2]), prepend=torch.tensor([1.5])))
    e = ember.diff(ember.tensor([1.0, 2.0], requires_grad=True), n=0)
    t = torch.diff(torch.tensor([1.0, 2.0], requires_grad=True), n=0)
    assert_same(e, t)


P_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, float("inf")]


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("dtype", FLOATS)
@settings(max_examples=5, deadline=None)
@given(r1=sides, r2=sides, m=st.integers(1, 3), batch=st.sampled_from([(), (2,), (1, 2)]),
       seed=st.integers(0, 100))
def test_cdist(p, dtype, r1, r2, m, batch, seed):
    a = make_array(batch + (r1, m), dtype, seed)
    b = make_array((r2, m), dtype, seed + 1)
    # Copies of rows give distances of exactly zero, where torch's subgradient is 0.
    if r1 and r2:
        b[0] = a.reshape(-1, m)[0]
    check_op(lambda lib, x, y: lib.cdist(x, y, p=p), [a, b], double=False)


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                  "donot_use_mm_for_euclid_dist"])
def test_cdist_matrix_product_form(mode):
    # More than 25 rows selects torch's matrix-product form, which has double gradients.
    a = make_array((2, 27, 3), np.float64, 1)
    b = make_array((5, 3), np.float64, 2)
    b[0] = a[0, 3]
    double = mode != "donot_use_mm_for_euclid_dist"
    check_op(lambda lib, x, y: lib.cdist(x, y, compute_mode=mode), [a, b], double=double)
    check_op(lambda lib, x, y: lib.cdist(x, y, compute_mode=mode), [a[0], b], double=double)
    check_op(lambda lib, x, y: lib.cdist(x, y, compute_mode=mode),
             [a[0].astype(np.float32), b.astype(np.float32)], double=False)
    e = ember.cdist(ember.tensor(a, requires_grad=True), ember.tensor(b), compute_mode=mode)
    t = torch.cdist(torch.tensor(a, requires_grad=True), torch.tensor(b), compute_mode=mode)
    assert e.grad_fn.name() == t.grad_fn.name()


def test_cdist_errors_and_double_backward():
    a, b = make_array((3, 2), np.float32, 0), make_array((4, 2), np.float32, 1)
    calls = [lambda lib, x, y: lib.cdist(x[0], y), lambda lib, x, y: lib.cdist(x, y[:, :1]),
             lambda lib, x, y: lib.cdist(x, y, p=-1),
             lambda lib, x, y: lib.cdist(x.long(), y.long()),
             lambda lib, x, y: lib.cdist(x, y.double()),
             lambda lib, x, y: lib.cdist(x.half(), y.half()),
             lambda lib, x, y: lib.cdist(x, y, compute_mode="foo")]
    for call in calls:
        same_error(lambda call=call: call(ember, *[ember.from_numpy(v) for v in (a, b)]),
                   lambda call=call: call(torch, *[torch.from_numpy(v) for v in (a, b)]))
    outs = []
    for lib in (ember, torch):
        x = lib.from_numpy(a.copy()).requires_grad_()
        d = lib.cdist(x, lib.from_numpy(b.copy()))
        g, = lib.autograd.grad(d.sum(), x, create_graph=True)
        outs.append(g.grad_fn.name())
    assert outs[0] == outs[1]
    xt = torch.from_numpy(a.copy()).requires_grad_()
    gt, = torch.autograd.grad(torch.cdist(xt, torch.from_numpy(b.copy())).sum(), xt,
                              create_graph=True)
    xe = ember.from_numpy(a.copy()).requires_grad_()
    ge, = ember.autograd.grad(ember.cdist(xe, ember.from_numpy(b.copy())).sum(), xe,
                              create_graph=True)
    same_error(lambda: ember.autograd.grad(ge.sum(), xe), lambda: torch.autograd.grad(gt.sum(), xt))


SEARCH_CASES = [
    ([1.0, 3.0, 5.0, 7.0], [3.0, 6.0, 9.0, 0.0, 7.0]),
    ([1.0, 3.0, 3.0, 3.0, 7.0], [[3.0], [2.0]]),
    ([[1.0, 3.0], [2.0, 4.0]], [[2.0, 1.0, 5.0], [3.0, 2.0, 7.0]]),
    ([1.0, float("nan")], [float("nan"), 2.0]),
    ([], [1.0, 2.0]),
    ([1.0, 2.0], []),
    ([1.0, 2.0, 3.0], 2.0),
]


@pytest.mark.parametrize("case", range(len(SEARCH_CASES)))
@pytest.mark.parametrize("kw", [{}, {"right": True}, {"side": "right"}, {"side": "left"},
                                {"out_int32": True}])
def test_searchsorted(case, kw):
    seq, vals = SEARCH_CASES[case]
    for as_int in (False, True):
        def call(lib, as_int=as_int):
            s = lib.tensor(seq)
            v = vals if isinstance(vals, float) else lib.tensor(vals)
            if as_int:
                s = s.nan_to_num().long()
            return lib.searchsorted(s, v, **kw)
        assert_same(call(ember), call(torch))
    if np.ndim(seq) == 1:
        e = ember.bucketize(vals if isinstance(vals, float) else ember.tensor(vals),
                            ember.tensor(seq), right=kw.get("right", False),
                            out_int32=kw.get("out_int32", False))
        t = torch.bucketize(vals if isinstance(vals, float) else torch.tensor(vals),
                            torch.tensor(seq), right=kw.get("right", False),
                            out_int32=kw.get("out_int32", False))
        assert_same(e, t)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 6), m=st.integers(0, 6), seed=st.integers(0, 1000),
       right=st.booleans())
def test_searchsorted_with_sorter_and_ties(n, m, seed, right):
    rng = np.random.default_rng(seed)
    seq = rng.integers(0, 4, n).astype(np.float64)
    vals = rng.integers(-1, 5, m).astype(np.float64)
    sorter = np.argsort(seq, kind="stable")
    e = ember.searchsorted(ember.tensor(seq), ember.tensor(vals), right=right,
                           sorter=ember.tensor(sorter))
    t = torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right,
                           sorter=torch.tensor(sorter))
    assert_same(e, t)
    assert_same(ember.searchsorted(ember.tensor(np.sort(seq)), ember.tensor(vals), right=right),
                torch.searchsorted(torch.tensor(np.sort(seq)), torch.tensor(vals), right=right))


def test_searchsorted_errors():
    s, v = [1.0, 3.0, 5.0, 7.0], [3.0, 6.0]
    calls = [lambda lib: lib.searchsorted(lib.tensor(s), lib.tensor(v), side="left", right=True),
             lambda lib: lib.searchsorted(lib.tensor(s), lib.tensor(v), side="foo"),
             lambda lib: lib.searchsorted(lib.tensor(1.0), lib.tensor(v)),
             lambda lib: lib.searchsorted(lib.tensor([s, s]), lib.tensor(v)),
             lambda lib: lib.searchsorted(lib.tensor(s), lib.tensor(v), sorter=lib.tensor([0, 1])),
             lambda lib: lib.searchsorted(lib.tensor(s), lib.tensor(v),
                                          sorter=lib.tensor([0.0, 1, 2, 3])),
             lambda lib: lib.searchsorted(lib.tensor(s), lib.tensor(v),
                                          sorter=lib.tensor([0, 1, 2, 9])),
             lambda lib: lib.searchsorted(lib.tensor([True, False]), lib.tensor([True])),
             lambda lib: lib.bucketize(lib.tensor(v), lib.tensor([s])),
             lambda lib: lib.searchsorted([1.0], lib.tensor(v)),
             lambda lib: lib.bucketize(lib.tensor(v), [1.0]),
             lambda lib: lib.bincount([1]), lambda lib: lib.bincount(lib.tensor([True]))]
    for call in calls:
        same_error(lambda call=call: call(ember), lambda call=call: call(torch))


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 8), minlength=st.integers(0, 6), seed=st.integers(0, 1000),
       wdt=st.sampled_from([None, np.float32, np.float64, np.int64, np.bool_]),
       idt=st.sampled_from([np.int64, np.int32, np.uint8]))
def test_bincount(n, minlength, seed, wdt, idt):
    a = np.random.default_rng(seed).integers(0, 5, n).astype(idt)
    if wdt is None:
        e, t = _both(lambda lib, x: lib.bincount(x, minlength=minlength), a)
        assert_same(e, t)
        assert_same(ember.from_numpy(a).bincount(), torch.from_numpy(a).bincount())
        return
    w = make_array((n,), wdt, seed)
    e, t = _both(lambda lib, x, w: x.bincount(w, minlength), a, w)
    assert_same(e, t)


def test_bincount_errors_and_weights_gradient():
    calls = [lambda lib: lib.bincount(lib.tensor([-1])),
             lambda lib: lib.bincount(lib.tensor([1.0])),
             lambda lib: lib.bincount(lib.tensor([[1]])),
             lambda lib: lib.bincount(lib.tensor([1]), minlength=-1),
             lambda lib: lib.bincount(lib.tensor([1, 2]), weights=lib.tensor([1.0]))]
    for call in calls:
        same_error(lambda call=call: call(ember), lambda call=call: call(torch))
    outs = []
    for lib in (ember, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        r = lib.bincount(lib.tensor([0, 3]), weights=w)
        outs.append((r.grad_fn.name(), r))
    assert outs[0][0] == outs[1][0]
    same_error(lambda: outs[0][1].sum().backward(), lambda: outs[1][1].sum().backward())


HISTC = [
    ([1.0, 2.0, 4.0], {"bins": 4}),
    ([1.0, 2.0, 2.5, 3.0, -1.0, 9.0], {"bins": 3, "min": 0, "max": 3}),
    ([0.1, 0.2, 0.3, 0.7, 0.9, 1.0], {"bins": 10, "min": 0, "max": 1}),
    ([5.0, 5.0], {"bins": 2}),
    ([], {"bins": 3}),
    ([1.0, 2.0], {}),
]


@pytest.mark.parametrize("case", range(len(HISTC)))
@pytest.mark.parametrize("dtype", FLOATS)
def test_histc(case, dtype):
    values, kw = HISTC[case]
    a = np.array(values, dtype=dtype)
    e, t = _both(lambda lib, x: lib.histc(x, **kw), a)
    assert_same(e, t)
    e, t = _both(lambda lib, x: x.reshape(-1, 1).histc(**kw), a)
    assert_same(e, t)
    x = ember.tensor(a, requires_grad=True)
    assert ember.histc(x, **kw).grad_fn is None and not ember.histc(x, **kw).requires_grad


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 30), bins=st.integers(1, 7), seed=st.integers(0, 1000))
def test_histc_random(n, bins, seed):
    a = make_array((n,), np.float32, seed, -3, 3)
    e, t = _both(lambda lib, x: lib.histc(x, bins=bins, min=-2, max=2.5), a)
    assert_same(e, t)
    e, t = _both(lambda lib, x: lib.histc(x, bins=bins), a)
    assert_same(e, t)


def test_histc_errors():
    nan, inf = float("nan"), float("inf")
    calls = [lambda lib: lib.histc(lib.tensor([1, 2]), bins=4),
             lambda lib: lib.histc(lib.tensor([1.0]), bins=0),
             lambda lib: lib.histc(lib.tensor([1.0]), bins=3, min=3, max=1),
             lambda lib: lib.histc(lib.tensor([1.0, nan]), bins=3),
             lambda lib: lib.histc(lib.tensor([1.0, inf]), bins=3)]
    for call in calls:
        same_error(lambda call=call: call(ember), lambda call=call: call(torch))


def test_vmap_is_func_vmap():
    assert ember.vmap is ember.func.vmap
    x = make_array((3, 2), np.float32, 0)
    assert_same(ember.vmap(lambda r: r.sum() * 2)(ember.from_numpy(x)),
                torch.vmap(lambda r: r.sum() * 2)(torch.from_numpy(x)))


def test_new_ops_under_function_transforms():
    x = make_array((3,), np.float64, 2, 0.3, 3)
    X = make_array((3, 2), np.float64, 3)
    calls = [
        lambda L, v: L.vmap(L.lgamma)(v), lambda L, v: L.vmap(L.logaddexp)(v, v * 2),
        lambda L, v: L.func.jacrev(L.digamma)(v),
        lambda L, v: L.func.jacfwd(lambda u: L.polygamma(2, u))(v),
        lambda L, v: L.func.jacfwd(lambda u: L.sinc(u) + L.logaddexp2(u, u * u))(v),
        lambda L, v: L.func.jacrev(lambda u: L.diff(u * u))(v),
    ]
    for call in calls:
        e, t = _both(call, x)
        assert_same(e, t)
    e, t = _both(lambda L, m: L.vmap(lambda r: L.cdist(r[None], m))(m), X)
    assert_same(e, t)


def test_broadcast_shapes():
    for shapes in [((2,), (3, 1)), ((3,), (2,)), ((),), (2, (3, 1)), ((2, 3), (3, 2)),
                   (ember.Size([2, 1]), [1, 4]), (), ((0,), (1,)), ((-1,), (1,)), (3.5,)]:
        tshapes = tuple(torch.Size(s) if isinstance(s, ember.Size) else s for s in shapes)
        try:
            expected = torch.broadcast_shapes(*tshapes)
        except Exception:  # noqa: BLE001
            same_error(lambda s=shapes: ember.broadcast_shapes(*s),
                       lambda s=tshapes: torch.broadcast_shapes(*s))
            continue
        got = ember.broadcast_shapes(*shapes)
        assert isinstance(got, ember.Size) and tuple(got) == tuple(expected)
