"""Views, joining and repeating ops against torch: values, views sharing memory and the
version counter, node names, gradients, double gradients and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from helpers import check_op, same_error

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
