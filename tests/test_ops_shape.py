"""Views, joining and repeating ops against torch: values, views sharing memory and the
version counter, node names, gradients, double gradients and errors.

Then reshape/view (-1, non-viewable input), transpose/t/T/mT, unsqueeze/squeeze by hand:
values, views, gradients and errors."""

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
shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)
nonempty = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


def arr(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# Each case: (name, fn(lib, *tensors), shapes of the inputs).
CASES = [
    ("unflatten", lambda L, x: x.unflatten(1, (2, -1)), [(3, 4)]),
    ("movedim", lambda L, x: x.movedim(0, -1), [(2, 3, 4)]),
    ("movedim_tuple", lambda L, x: L.movedim(x, (0, 1), (2, 0)), [(2, 3, 4)]),
    ("moveaxis", lambda L, x: L.moveaxis(x, -1, 0), [(2, 3, 4)]),
    ("mH", lambda L, x: x.mH, [(2, 3, 4)]),
    ("H", lambda L, x: x.H, [(3, 4)]),
    ("expand_as", lambda L, x, y: x.expand_as(y), [(3, 1), (2, 3, 4)]),
    ("broadcast_to", lambda L, x: L.broadcast_to(x, (2, 3, 4)), [(1, 4)]),
    ("broadcast_tensors", lambda L, x, y: L.broadcast_tensors(x, y)[0] * 2 +
     L.broadcast_tensors(x, y)[1], [(3, 1), (4,)]),
    ("repeat", lambda L, x: x.repeat(2, 1, 3), [(3, 2)]),
    ("repeat_0d", lambda L, x: x.repeat(2, 3), [()]),
    ("tile", lambda L, x: x.tile((2,)), [(3, 2)]),
    ("repeat_interleave", lambda L, x: x.repeat_interleave(2, dim=1), [(3, 2)]),
    ("repeat_interleave_flat", lambda L, x: x.repeat_interleave(3), [(2, 2)]),
    ("repeat_interleave_t", lambda L, x: x.repeat_interleave(L.tensor([1, 0, 2]), dim=0),
     [(3, 2)]),
    ("cat", lambda L, x, y: L.cat([x, y], 1), [(2, 3), (2, 1)]),
    ("cat_neg", lambda L, x, y: L.concat((x, y), -2), [(2, 3), (1, 3)]),
    ("cat_empty1d", lambda L, x, y: L.cat([x, y]), [(0,), (2, 3)]),
    ("concatenate", lambda L, x, y: L.concatenate([x, y]), [(2,), (3,)]),
    ("stack", lambda L, x, y: L.stack([x, y], -1), [(2, 3), (2, 3)]),
    ("hstack", lambda L, x, y: L.hstack([x, y]), [(2, 3), (2, 1)]),
    ("hstack1d", lambda L, x, y: L.hstack([x, y]), [(2,), (3,)]),
    ("vstack", lambda L, x, y: L.vstack([x, y]), [(3,), (2, 3)]),
    ("dstack", lambda L, x, y: L.dstack([x, y]), [(2,), (1, 2)]),
    ("split_int", lambda L, x: x.split(2, 1)[1] * 3 + x.split(2, 1)[0][:, :1], [(2, 5)]),
    ("split_sizes", lambda L, x: L.split(x, [1, 2])[1], [(3, 2)]),
    ("chunk", lambda L, x: x.chunk(3)[2], [(5, 2)]),
    ("tensor_split", lambda L, x: x.tensor_split([1, 3], dim=1)[1], [(2, 5)]),
    ("tensor_split_n", lambda L, x: L.tensor_split(x, 3)[0], [(7,)]),
    ("unbind", lambda L, x: x.unbind(1)[2] * x.unbind(1)[0], [(2, 3)]),
    ("iter", lambda L, x: [r for r in x][1], [(3, 2)]),
    ("flip", lambda L, x: x.flip(0, -1), [(2, 3, 2)]),
    ("fliplr", lambda L, x: L.fliplr(x), [(2, 3)]),
    ("flipud", lambda L, x: L.flipud(x), [(2, 3)]),
    ("roll", lambda L, x: x.roll((1, -2), (0, 1)), [(3, 4)]),
    ("roll_flat", lambda L, x: x.roll(5), [(3, 4)]),
    ("narrow", lambda L, x: x.narrow(1, -3, 2), [(2, 4)]),
    ("select", lambda L, x: x.select(-1, 2), [(2, 4)]),
    ("squeeze_tuple", lambda L, x: x.squeeze((0, 2)), [(1, 3, 1, 1)]),
    ("select_scatter", lambda L, x, y: L.select_scatter(x, y, 1, 0), [(2, 3), (2,)]),
    ("slice_scatter", lambda L, x, y: L.slice_scatter(x, y, 1, 0, 3, 2), [(2, 4), (2, 2)]),
    ("atleast_3d", lambda L, x: L.atleast_3d(x), [(3,)]),
    ("column_stack", lambda L, x, y: L.column_stack([x, y]), [(3,), (3, 2)]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_table(name, fn, shapes, dtype):
    check_op(fn, [arr(s, dtype, i) for i, s in enumerate(shapes)])


@settings(max_examples=20, deadline=None)
@given(shape=shapes, seed=st.integers(0, 20))
def test_flip_roll_repeat_any_shape(shape, seed):
    x = arr(shape, np.float64, seed)
    nd = len(shape)
    check_op(lambda L, t: t.flip(*range(nd)) * 2 if nd else t.flip(()) * 2, [x])
    check_op(lambda L, t: t.roll(seed - 10), [x])
    check_op(lambda L, t: t.repeat(*([2] * (nd + 1))), [x])
    if nd:
        check_op(lambda L, t: L.cat([t, t * 2], -1), [x])
        check_op(lambda L, t: L.stack([t, t], nd), [x])
        check_op(lambda L, t: L.movedim(t, 0, -1), [x])
        check_op(lambda L, t: t.split(2, -1)[0], [x])


@settings(max_examples=15, deadline=None)
@given(shape=nonempty, seed=st.integers(0, 20))
def test_unbind_chunk_any_shape(shape, seed):
    x = arr(shape, np.float32, seed)
    check_op(lambda L, t: t.unbind(-1)[0] + 1, [x])
    check_op(lambda L, t: t.chunk(2, 0)[-1], [x])


def test_promotion_in_cat_and_stack():
    a = np.ones((2, 2), np.float32)
    b = np.arange(4, dtype=np.float64).reshape(2, 2)
    check_op(lambda L, x, y: L.cat([x, y]), [a, b])
    check_op(lambda L, x, y: L.stack([x, y]), [a, b])
    i = ember.tensor([[1, 2]])
    assert ember.cat([i, i]).dtype == ember.int64


def test_views_share_memory_and_version():
    x = ember.zeros(3, 4)
    for v in (x.unflatten(1, (2, 2)), x.movedim(0, 1), x.narrow(0, 1, 2), x.select(1, 0),
              x.split(2)[1], x.unbind(1)[0], x.chunk(2, 1)[0], x.tensor_split(2)[0],
              x.expand_as(ember.zeros(2, 3, 4)), x.mH):
        assert v._base is x and v._version == x._version
    x.unbind(0)[1].add_(1)
    assert x._version == 1 and float(x.sum()) == 4.0


def test_node_names():
    for lib in (ember, torch):
        a = lib.ones(3, 4, requires_grad=True) * 1
    names = {}
    for lib in (ember, torch):
        a = lib.ones(3, 4, dtype=lib.float64, requires_grad=True) * 1
        outs = [a.split(2)[0], a.split([1, 2])[0], a.unbind()[0], a.chunk(2)[0],
                a.tensor_split(2)[0], a.flip(0), a.roll(1), a.repeat(2, 1), a.movedim(0, 1),
                a.narrow(0, 0, 1), a.select(0, 1), lib.cat([a, a]), lib.stack([a, a]),
                a.repeat_interleave(2), lib.broadcast_to(a, (2, 3, 4)), a.unflatten(1, (2, 2))]
        names[lib] = [type(o.grad_fn).__name__ for o in outs]
    assert names[ember] == names[torch]


ERRORS = [
    lambda L, x: x.select(0, 5),
    lambda L, x: L.tensor(1.).select(0, 0),
    lambda L, x: x.narrow(0, 2, 2),
    lambda L, x: x.narrow(0, -1, -1),
    lambda L, x: x.unflatten(1, (3, 2)),
    lambda L, x: x.unflatten(1, ()),
    lambda L, x: x.movedim((0, 1), (0,)),
    lambda L, x: x.movedim((0, 0), (0, 1)),
    lambda L, x: L.cat([x, L.zeros(2, 3)]),
    lambda L, x: L.cat([]),
    lambda L, x: L.cat([x, x], 2),
    lambda L, x: L.cat([L.tensor(1.)]),
    lambda L, x: L.cat([x, L.zeros(3)]),
    lambda L, x: L.stack([x, L.zeros(2, 3)]),
    lambda L, x: L.stack([]),
    lambda L, x: x.split(0),
    lambda L, x: x.split([1, 1]),
    lambda L, x: x.chunk(0),
    lambda L, x: x.repeat(2),
    lambda L, x: x.repeat(-1, 1),
    lambda L, x: x.roll((1, 2), (0,)),
    lambda L, x: x.flip(0, 0),
    lambda L, x: L.zeros(2, 2, 2).H,
    lambda L, x: L.zeros(2).mH,
    lambda L, x: L.tensor(1.).unbind(),
    lambda L, x: x.tensor_split(0),
    lambda L, x: x.expand_as(L.zeros(4, 3)),
    lambda L, x: L.broadcast_tensors(x, L.zeros(5)),
    lambda L, x: x.repeat_interleave(L.tensor([1, 2]), dim=0),
    lambda L, x: x.repeat_interleave(-1),
    lambda L, x: x.squeeze((0, 0)),
    lambda L, x: x.tile((-1,)),
    lambda L, x: L.hstack([]),
    lambda L, x: L.fliplr(L.zeros(3)),
    lambda L, x: x.select(2, 0),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    x = arr((3, 4))
    same_error(lambda: ERRORS[i](ember, ember.tensor(x)), lambda: ERRORS[i](torch, torch.tensor(x)))


# -- reshape, view, transpose, squeeze -----------------------------------------------------------

@st.composite
def shape_and_new_shape(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    n = int(np.prod(shape))
    perm = list(draw(st.permutations(list(shape))))
    # Regroup the sizes into another shape of the same numel.
    new = []
    while perm:
        k = draw(st.integers(1, len(perm)))
        new.append(int(np.prod(perm[:k])))
        perm = perm[k:]
    if new and n and draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return shape, tuple(new)


@pytest.mark.parametrize("dtype", FLOATS)
@settings(max_examples=25, deadline=None)
@given(ss=shape_and_new_shape(), seed=st.integers(0, 50))
def test_reshape_and_view(dtype, ss, seed):
    shape, new = ss
    a = make_array(shape, dtype, seed)
    check_op(lambda lib, x: x.reshape(new) * 2, [a])
    check_op(lambda lib, x: lib.reshape(x, new), [a])
    check_op(lambda lib, x: (x * 1).view(*new) if new else x.view(()), [a])


def test_view_and_reshape_share_memory_and_version():
    for lib in (ember, torch):
        x = lib.zeros(2, 3)
        v = x.view(3, 2)
        r = x.reshape(6)
        v.fill_(5.0)
        assert x.tolist() == [[5.0] * 3] * 2 and r.tolist() == [5.0] * 6
        assert x._version == v._version == r._version == 1


def test_view_of_non_contiguous_is_an_error():
    e = ember.arange(6.0).reshape(2, 3).t()
    t = torch.arange(6.0).reshape(2, 3).t()
    same_error(lambda: e.view(6), lambda: t.view(6))
    same_error(lambda: e.view(-1), lambda: t.view(-1))
    assert_same(e.reshape(6), t.reshape(6))
    assert_same(e.view(3, 2), t.view(3, 2))
    check_op(lambda lib, x: x.t().reshape(-1), [make_array((2, 3), np.float64, 1)])
    et = ember.arange(6.0, requires_grad=True)
    tt = torch.arange(6.0, requires_grad=True)
    assert et.reshape(2, 3).t().reshape(6).grad_fn.name() == \
        tt.reshape(2, 3).t().reshape(6).grad_fn.name()


def test_reshape_errors():
    e, t = ember.zeros(2, 3), torch.zeros(2, 3)
    for shape in ((4,), (-1, -1), (5, -1), (-2, 3), (0, -1)):
        same_error(lambda s=shape: e.reshape(s), lambda s=shape: t.reshape(s))
        same_error(lambda s=shape: e.view(s), lambda s=shape: t.view(s))
    z, tz = ember.zeros(0, 3), torch.zeros(0, 3)
    same_error(lambda: z.reshape(-1, 0), lambda: tz.reshape(-1, 0))
    assert_same(z.reshape(3, -1), tz.reshape(3, -1))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 0, 4), (2, 3, 4, 1)])
def test_transpose_family(dtype, shape):
    a = make_array(shape, dtype, 4)
    nd = len(shape)
    n = max(nd, 1)
    for d0 in range(-n, n):
        for d1 in (0, -1):
            check_op(lambda lib, x, d0=d0, d1=d1: x.transpose(d0, d1) * 3, [a])
    if nd <= 2:
        check_op(lambda lib, x: x.t() + 1, [a])
        check_op(lambda lib, x: lib.t(x), [a])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda lib, x: x.T * 2, [a])
        if nd != 1:
            check_op(lambda lib, x: x.mT * 2, [a])


_WARNINGS_SCRIPT = """
import sys, warnings
lib = __import__(sys.argv[1])
out = []
for attr in ("T", "mT"):
    for shape in ((), (3,), (2, 3), (2, 3, 4), (), (5,)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                getattr(lib.zeros(shape), attr)
            except RuntimeError as e:
                out.append(str(e))
        out.extend(str(x.message).split(" (Triggered internally")[0] for x in w)
print(out)
"""


def test_T_deprecation_warnings_once_per_process():
    import subprocess
    import sys

    def run(name):
        return subprocess.run([sys.executable, "-c", _WARNINGS_SCRIPT, name],
                              capture_output=True, text=True, check=True).stdout

    assert run("ember") == run("torch")


def test_transpose_errors():
    e, t = ember.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    same_error(lambda: e.t(), lambda: t.t())
    same_error(lambda: e.transpose(0, 3), lambda: t.transpose(0, 3))
    same_error(lambda: e.transpose(-4, 0), lambda: t.transpose(-4, 0))
    same_error(lambda: ember.zeros(3).mT, lambda: torch.zeros(3).mT)


def test_transpose_node_names():
    e = ember.zeros(2, 3, requires_grad=True)
    t = torch.zeros(2, 3, requires_grad=True)
    for fn in (lambda x: x.t(), lambda x: x.T, lambda x: x.mT, lambda x: x.transpose(0, 1),
               lambda x: x.unsqueeze(0), lambda x: x.unsqueeze(0).squeeze(),
               lambda x: x.unsqueeze(0).squeeze(0), lambda x: x.unsqueeze(0).squeeze((0, 1)),
               lambda x: x.view(6), lambda x: x.reshape(3, 2)):
        assert fn(e).grad_fn.name() == fn(t).grad_fn.name()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 1, 3), (1, 0, 1), (1, 1)])
def test_unsqueeze_squeeze(dtype, shape):
    a = make_array(shape, dtype, 5)
    nd = len(shape)
    for d in range(-nd - 1, nd + 1):
        check_op(lambda lib, x, d=d: x.unsqueeze(d) * 2, [a])
        check_op(lambda lib, x, d=d: lib.unsqueeze(x, d).squeeze(d), [a])
    check_op(lambda lib, x: x.squeeze() * 2, [a])
    n = max(nd, 1)
    for d in range(-n, n):
        check_op(lambda lib, x, d=d: x.squeeze(d) * 2, [a])
        check_op(lambda lib, x, d=d: lib.squeeze(x, (d,)) * 2, [a])
    if nd >= 2:
        check_op(lambda lib, x: x.squeeze((0, -1)) * 2, [a])
        check_op(lambda lib, x: x.squeeze((-1, 0)) * 2, [a])


def test_unsqueeze_squeeze_errors():
    e, t = ember.zeros(2, 1), torch.zeros(2, 1)
    for d in (3, -4):
        same_error(lambda d=d: e.unsqueeze(d), lambda d=d: t.unsqueeze(d))
    for d in (2, -3, (0, 2), (1, 1)):
        same_error(lambda d=d: e.squeeze(d), lambda d=d: t.squeeze(d))


def test_dim_out_of_range_messages():
    e, t = ember.zeros(2, 3), torch.zeros(2, 3)
    for fn in (lambda x: x.sum(5), lambda x: x.size(2), lambda x: x.unsqueeze(-4),
               lambda x: x.transpose(2, 0), lambda x: x.squeeze(-3), lambda x: x.mean(-5)):
        same_error(lambda fn=fn: fn(e), lambda fn=fn: fn(t))
    same_error(lambda: ember.tensor(1.0).sum(1), lambda: torch.tensor(1.0).sum(1))
