"""sum and mean against torch: whole-tensor and by dimension (negative dims, tuples,
keepdim), integer inputs, gradients and second derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from helpers import assert_same, check_op, make_array, same_error

FLOATS = [np.float32, np.float64]


@st.composite
def shape_and_dims(draw):
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=0, max_size=4)))
    nd = len(shape)
    n = max(nd, 1)
    kind = draw(st.sampled_from(["none", "int", "tuple", "empty"]))
    if kind == "none":
        return shape, None
    if kind == "empty":
        return shape, ()
    if kind == "int":
        return shape, draw(st.integers(-n, n - 1))
    dims = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    signs = draw(st.lists(st.booleans(), min_size=len(dims), max_size=len(dims)))
    return shape, tuple(d - n if s else d for d, s in zip(dims, signs))


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("keepdim", [False, True])
@settings(max_examples=15, deadline=None)
@given(sd=shape_and_dims(), seed=st.integers(0, 50))
def test_reduce(op, dtype, keepdim, sd, seed):
    shape, dims = sd
    a = make_array(shape, dtype, seed)
    if dims is None:
        check_op(lambda lib, x: getattr(x, op)(), [a])
        check_op(lambda lib, x: getattr(lib, op)(x) * 2, [a])
    else:
        check_op(lambda lib, x: getattr(lib, op)(x, dims, keepdim=keepdim), [a])
        check_op(lambda lib, x: getattr(x, op)(dim=dims, keepdim=keepdim) ** 2, [a])


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8, np.int32, np.int64,
                                   np.float16])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1)])
def test_sum_of_integer_and_bool_tensors(dtype, dim):
    a = make_array((3, 4), dtype, 2, 0, 100)
    if dim is None:
        check_op(lambda lib, x: x.sum(), [a])
    else:
        check_op(lambda lib, x: x.sum(dim), [a])
        check_op(lambda lib, x: x.sum(dim, keepdim=True), [a])


def test_sum_dtype_argument():
    a = make_array((3, 4), np.int32, 2)
    check_op(lambda lib, x: x.sum(dtype=lib.float64), [a])
    check_op(lambda lib, x: lib.sum(x, 1, dtype=lib.int32), [a])
    f = make_array((3, 4), np.float32, 2)
    check_op(lambda lib, x: x.sum(0, dtype=lib.float64), [f])
    check_op(lambda lib, x: x.mean(dtype=lib.float64), [f])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.uint8])
def test_mean_of_integers_is_an_error(dtype):
    a = make_array((2, 3), dtype, 1)
    e, t = ember.from_numpy(a), torch.from_numpy(a)
    same_error(lambda: e.mean(), lambda: t.mean())
    same_error(lambda: ember.mean(e, 0), lambda: torch.mean(t, 0))


def test_mean_of_empty_is_nan():
    for shape, dim in (((0,), None), ((2, 0), 1), ((0, 3), 0)):
        a = np.zeros(shape, np.float32)
        check_op(lambda lib, x, dim=dim: x.mean() if dim is None else x.mean(dim), [a])


@pytest.mark.parametrize("op", ["sum", "mean"])
def test_reduce_dim_errors(op):
    e, t = ember.zeros(2, 3), torch.zeros(2, 3)
    for dim in (2, -3, (0, 2), (0, 0), (1, -1)):
        same_error(lambda dim=dim: getattr(e, op)(dim), lambda dim=dim: getattr(t, op)(dim))
    e0, t0 = ember.tensor(1.0), torch.tensor(1.0)
    for dim in (0, -1, 1, (0,)):
        try:
            r = getattr(t0, op)(dim)
        except IndexError:
            same_error(lambda dim=dim: getattr(e0, op)(dim),
                       lambda dim=dim: getattr(t0, op)(dim))
        else:
            assert_same(getattr(e0, op)(dim), r)


def test_reduce_node_names():
    e = ember.ones(2, 3, requires_grad=True)
    t = torch.ones(2, 3, requires_grad=True)
    for fn in (lambda x: x.sum(), lambda x: x.sum(0), lambda x: x.mean(),
               lambda x: x.mean((0, 1), keepdim=True), lambda x: x.sum(dim=())):
        assert fn(e).grad_fn.name() == fn(t).grad_fn.name()
