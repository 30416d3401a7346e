"""Reductions against torch, driven by a table: one entry per op and calling form with the
domain of its input. Every entry is checked for values, result dtype, gradients and second
derivatives over hypothesis-drawn shapes (0-dim, size-1 and empty dims, negative dims) in
float32 and float64; then ties, zeros, NaN, integer inputs, named results and errors.

Then sum and mean by hand: whole-tensor and by dimension (negative dims, tuples, keepdim),
integer inputs, gradients and second derivatives."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from helpers import assert_same, check_op, make_array, same_error

FLOATS = [np.float32, np.float64]


@st.composite
def shape_and_dim(draw, nonempty=False):
    """A shape (0 to 3 dims, sides 0 to 3 or 1 to 3) and a valid, possibly negative, dim."""
    shape = tuple(draw(st.lists(st.integers(1 if nonempty else 0, 3), min_size=0, max_size=3)))
    n = max(len(shape), 1)
    return shape, draw(st.integers(-n, n - 1))


@st.composite
def shape_and_dims(draw):
    """A shape and a dim argument: None, an int, or a tuple of distinct dims."""
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=0, max_size=3)))
    n = max(len(shape), 1)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return shape, None
    if kind == "int":
        return shape, draw(st.integers(-n, n - 1))
    dims = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    return shape, tuple(d - n if i % 2 else d for i, d in enumerate(dims))


def _grid(a: np.ndarray) -> np.ndarray:
    # Few distinct values, so that extrema, medians and modes have ties.
    return np.asarray(np.round(a), dtype=a.dtype)


def _values(out):
    return out[0] if isinstance(out, tuple) else out


# name: (call(lib, x, dim, keepdim), needs a nonempty reduced dim, low, high, transform)
BY_DIM = {
    "prod": (lambda lib, x, d, k: lib.prod(x, d, keepdim=k), False, 0.5, 1.5, None),
    "max": (lambda lib, x, d, k: lib.max(x, d, keepdim=k), True, -2, 2, _grid),
    "min": (lambda lib, x, d, k: x.min(d, k), True, -2, 2, _grid),
    "max_values": (lambda lib, x, d, k: lib.max(x, dim=d, keepdim=k).values, True, -2, 2,
                   None),
    "argmax": (lambda lib, x, d, k: lib.argmax(x, d, keepdim=k), True, -2, 2, _grid),
    "argmin": (lambda lib, x, d, k: x.argmin(dim=d, keepdim=k), True, -2, 2, _grid),
    "median": (lambda lib, x, d, k: lib.median(x, d, keepdim=k), True, -2, 2, None),
    "median_ties": (lambda lib, x, d, k: lib.median(x, d, keepdim=k), True, -2, 2, _grid),
    "nanmedian": (lambda lib, x, d, k: lib.nanmedian(x, d, keepdim=k), True, -2, 2, None),
    "mode": (lambda lib, x, d, k: lib.mode(x, d, keepdim=k), True, -2, 2, _grid),
    "logsumexp": (lambda lib, x, d, k: lib.logsumexp(x, d, keepdim=k), False, -3, 3, None),
    "cumsum": (lambda lib, x, d, k: lib.cumsum(x, d), False, -2, 2, None),
    "cumprod": (lambda lib, x, d, k: x.cumprod(d), False, -2, 2, None),
    "cumprod_zeros": (lambda lib, x, d, k: lib.cumprod(x, d), False, -2, 2, _grid),
    "all": (lambda lib, x, d, k: lib.all(x, d, keepdim=k), False, -1, 1, _grid),
    "any": (lambda lib, x, d, k: x.any(d, keepdim=k), False, -1, 1, _grid),
}


@pytest.mark.parametrize("name", list(BY_DIM))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("keepdim", [False, True])
@settings(max_examples=5, deadline=None)
@given(sd=shape_and_dim(), seed=st.integers(0, 1000))
def test_by_dim(name, dtype, keepdim, sd, seed):
    fn, nonempty, low, high, transform = BY_DIM[name]
    shape, dim = sd
    if nonempty and shape and shape[dim] == 0:
        shape = tuple(1 if i == dim % len(shape) else s for i, s in enumerate(shape))
    a = make_array(shape, dtype, seed, low, high)
    if transform is not None:
        a = transform(a)
    check_op(lambda lib, x: fn(lib, x, dim, keepdim), [a])
    if name in NAMED:
        # The named result's values carry the gradient.
        check_op(lambda lib, x: _values(fn(lib, x, dim, keepdim)), [a])


NAMED = {"max", "min", "median", "median_ties", "nanmedian", "mode"}


# name: (call(lib, x, dims, keepdim), low, high, transform)
BY_DIMS = {
    "amax": (lambda lib, x, d, k: lib.amax(x, () if d is None else d, keepdim=k), -2, 2, _grid),
    "amin": (lambda lib, x, d, k: x.amin(() if d is None else d, k), -2, 2, _grid),
    "var": (lambda lib, x, d, k: lib.var(x, d, keepdim=k), -2, 2, None),
    "var_biased": (lambda lib, x, d, k: x.var(d, unbiased=False, keepdim=k), -2, 2, None),
    "var_correction": (lambda lib, x, d, k: lib.var(x, d, correction=0.5, keepdim=k), -2, 2,
                       None),
    "std": (lambda lib, x, d, k: lib.std(x, d, keepdim=k), -2, 2, None),
    "std_correction": (lambda lib, x, d, k: x.std(d, correction=0, keepdim=k), -2, 2, None),
    "norm": (lambda lib, x, d, k: lib.norm(x, dim=d, keepdim=k), -2, 2, None),
    "norm_p3": (lambda lib, x, d, k: x.norm(3, d, k), -2, 2, None),
    "vector_norm_1": (lambda lib, x, d, k: lib.linalg.vector_norm(x, 1, d, k), -2, 2, None),
    "vector_norm_1.5": (lambda lib, x, d, k: lib.linalg.vector_norm(x, 1.5, d, k), -2, 2,
                        None),
    "vector_norm_0.5": (lambda lib, x, d, k: lib.linalg.vector_norm(x, 0.5, d, k), 0.2, 2,
                        None),
    "vector_norm_0": (lambda lib, x, d, k: lib.linalg.vector_norm(x, 0, d, k), -2, 2, _grid),
    "vector_norm_inf": (lambda lib, x, d, k: lib.linalg.vector_norm(x, math.inf, d, k), -2, 2,
                        _grid),
    "vector_norm_-inf": (lambda lib, x, d, k: lib.linalg.vector_norm(x, -math.inf, d, k), -2,
                         2, _grid),
    "vector_norm_-2": (lambda lib, x, d, k: lib.linalg.vector_norm(x, -2, d, k), 0.2, 2, None),
    "nansum": (lambda lib, x, d, k: lib.nansum(x, d, keepdim=k), -2, 2, None),
    "nanmean": (lambda lib, x, d, k: lib.nanmean(x, d, keepdim=k), -2, 2, None),
    "count_nonzero": (lambda lib, x, d, k: lib.count_nonzero(x, d), -1, 1, _grid),
    "all": (lambda lib, x, d, k: lib.all(x) if d is None else lib.all(x, d, keepdim=k), -1, 1,
            _grid),
}

NEEDS_NONEMPTY = {"amax", "amin", "vector_norm_inf", "vector_norm_-inf"}


@pytest.mark.parametrize("name", list(BY_DIMS))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("keepdim", [False, True])
@settings(max_examples=5, deadline=None)
@given(sd=shape_and_dims(), seed=st.integers(0, 1000))
def test_by_dims(name, dtype, keepdim, sd, seed):
    fn, low, high, transform = BY_DIMS[name]
    shape, dims = sd
    if name in NEEDS_NONEMPTY:
        shape = tuple(s or 1 for s in shape)
    a = make_array(shape, dtype, seed, low, high)
    if transform is not None:
        a = transform(a)
    # Second derivatives of p-norms and standard deviations that are mathematically zero
    # (one or two elements per slice) come out as float32 rounding noise.
    atol = 1e-4 if dtype is np.float32 and ("norm" in name or "std" in name) else None
    check_op(lambda lib, x: fn(lib, x, dims, keepdim), [a], atol=atol)


# Whole-tensor forms: name -> (call(lib, x), low, high, transform, nonempty)
WHOLE = {
    "prod": (lambda lib, x: lib.prod(x), 0.5, 1.5, None, False),
    "max": (lambda lib, x: lib.max(x), -2, 2, _grid, True),
    "min": (lambda lib, x: x.min(), -2, 2, _grid, True),
    "amax": (lambda lib, x: lib.amax(x), -2, 2, _grid, True),
    "argmax": (lambda lib, x: lib.argmax(x), -2, 2, _grid, True),
    "argmax_keepdim": (lambda lib, x: lib.argmax(x, keepdim=True), -2, 2, _grid, True),
    "argmin": (lambda lib, x: x.argmin(), -2, 2, _grid, True),
    "median": (lambda lib, x: lib.median(x), -2, 2, _grid, True),
    "nanmedian": (lambda lib, x: x.nanmedian(), -2, 2, None, True),
    "var": (lambda lib, x: lib.var(x), -2, 2, None, False),
    "var_unbiased_positional": (lambda lib, x: lib.var(x, False), -2, 2, None, False),
    "std": (lambda lib, x: x.std(), -2, 2, None, False),
    "norm": (lambda lib, x: lib.norm(x), -2, 2, None, False),
    "norm_fro": (lambda lib, x: x.norm(p="fro"), -2, 2, None, False),
    "norm_inf": (lambda lib, x: lib.norm(x, math.inf), -2, 2, None, True),
    "vector_norm": (lambda lib, x: lib.linalg.vector_norm(x), -2, 2, None, False),
    "vector_norm_3": (lambda lib, x: lib.linalg.vector_norm(x, 3), -2, 2, None, False),
    "logsumexp_all": (lambda lib, x: lib.logsumexp(x, tuple(range(x.dim()))), -3, 3, None,
                      False),
    "nansum": (lambda lib, x: x.nansum(), -2, 2, None, False),
    "nanmean": (lambda lib, x: lib.nanmean(x), -2, 2, None, False),
    "all": (lambda lib, x: lib.all(x), -1, 1, _grid, False),
    "any": (lambda lib, x: x.any(), -1, 1, _grid, False),
    "count_nonzero": (lambda lib, x: lib.count_nonzero(x), -1, 1, _grid, False),
    "aminmax": (lambda lib, x: lib.aminmax(x), -2, 2, _grid, True),
}


@pytest.mark.parametrize("name", list(WHOLE))
@pytest.mark.parametrize("dtype", FLOATS)
@settings(max_examples=6, deadline=None)
@given(shape=st.lists(st.integers(0, 3), min_size=0, max_size=3), seed=st.integers(0, 1000))
def test_whole(name, dtype, shape, seed):
    fn, low, high, transform, nonempty = WHOLE[name]
    if nonempty:
        shape = [s or 1 for s in shape]
    a = make_array(tuple(shape), dtype, seed, low, high)
    if transform is not None:
        a = transform(a)
    check_op(fn, [a])


def test_grad_fn_names():
    a = make_array((2, 3), np.float64, 1)
    for fn in [lambda lib, x: lib.prod(x), lambda lib, x: lib.prod(x, 1),
               lambda lib, x: lib.max(x), lambda lib, x: lib.max(x, 1)[0],
               lambda lib, x: lib.min(x, 0).values, lambda lib, x: lib.amax(x, 1),
               lambda lib, x: lib.amin(x), lambda lib, x: lib.var(x), lambda lib, x: x.std(1),
               lambda lib, x: lib.norm(x), lambda lib, x: lib.linalg.vector_norm(x, 3),
               lambda lib, x: lib.linalg.matrix_norm(x), lambda lib, x: lib.logsumexp(x, 1),
               lambda lib, x: lib.cumsum(x, 1), lambda lib, x: lib.cumprod(x, 0),
               lambda lib, x: lib.median(x), lambda lib, x: lib.median(x, 1)[0],
               lambda lib, x: lib.mode(x, 1)[0], lambda lib, x: lib.nansum(x),
               lambda lib, x: lib.nanmean(x), lambda lib, x: lib.nanmedian(x, 0)[0],
               lambda lib, x: lib.linalg.matrix_norm(x, 1),
               lambda lib, x: lib.linalg.matrix_norm(x, -math.inf),
               lambda lib, x: lib.linalg.matrix_norm(x, "nuc")]:
        e = fn(ember, ember.tensor(a, requires_grad=True))
        t = fn(torch, torch.tensor(a, requires_grad=True))
        assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("zeros", [[1], [0, 2], [1, 2, 3]])
@pytest.mark.parametrize("dtype", FLOATS)
def test_prod_and_cumprod_with_zeros(zeros, dtype):
    a = make_array((2, 4), dtype, 3, 0.5, 1.5)
    flat = a.reshape(-1)
    flat[zeros] = 0
    for fn in [lambda lib, x: lib.prod(x), lambda lib, x: lib.prod(x, 1),
               lambda lib, x: lib.prod(x, 0, keepdim=True), lambda lib, x: lib.cumprod(x, 1),
               lambda lib, x: lib.cumprod(x, -2)]:
        check_op(fn, [a])


@pytest.mark.parametrize("ord", [1, -1, math.inf, -math.inf, "fro", "nuc", 2, -2])
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm(ord, keepdim):
    a = make_array((2, 3, 4), np.float64, 4)
    check_op(lambda lib, x: lib.linalg.matrix_norm(x, ord, keepdim=keepdim), [a])
    check_op(lambda lib, x: lib.linalg.matrix_norm(x, ord, dim=(2, 0), keepdim=keepdim), [a])


def test_norm_subgradients_at_zero():
    z = np.zeros((2, 3))
    for ord in [2, 1, 3, 1.5, 0.5, math.inf, 0]:
        check_op(lambda lib, x, ord=ord: lib.linalg.vector_norm(x, ord), [z])
        check_op(lambda lib, x, ord=ord: lib.linalg.vector_norm(x, ord, dim=1), [z])
    check_op(lambda lib, x: lib.std(x, 1), [z])


def test_nan_handling():
    nan = math.nan
    a = np.array([[1.0, nan, 3.0, 3.0], [2.0, 0.5, 0.5, nan], [nan, nan, nan, nan]])
    for fn in [lambda lib, x: lib.max(x), lambda lib, x: lib.max(x, 1),
               lambda lib, x: lib.argmax(x, 1), lambda lib, x: lib.argmin(x),
               lambda lib, x: lib.amax(x, 1), lambda lib, x: lib.median(x, 1),
               lambda lib, x: lib.median(x), lambda lib, x: lib.nanmedian(x[:2], 1),
               lambda lib, x: lib.nanmedian(x), lambda lib, x: lib.nansum(x, 1),
               lambda lib, x: lib.nanmean(x, 1), lambda lib, x: lib.logsumexp(x, 1),
               lambda lib, x: lib.nanmedian(x[:2]), lambda lib, x: lib.mode(x, 1)]:
        check_op(fn, [a], double=False)


def test_ties():
    a = np.array([[3.0, 1.0, 1.0, 3.0, 2.0, 2.0], [1.0, 1.0, 1.0, 0.0, 0.0, 5.0]])
    for fn in [lambda lib, x: lib.max(x), lambda lib, x: lib.max(x, 1),
               lambda lib, x: lib.min(x, 1), lambda lib, x: lib.amax(x, 1),
               lambda lib, x: lib.amin(x, (0, 1)), lambda lib, x: lib.median(x, 1),
               lambda lib, x: lib.median(x), lambda lib, x: lib.mode(x, 1),
               lambda lib, x: lib.mode(x, 0), lambda lib, x: lib.argmax(x, 1),
               lambda lib, x: lib.argmin(x), lambda lib, x: lib.linalg.vector_norm(x, math.inf)]:
        check_op(fn, [a])


def test_logsumexp_is_stable():
    a = np.array([[1000.0, 1000.0, -math.inf], [-math.inf, -math.inf, -math.inf],
                  [math.inf, 1.0, 2.0]])
    check_op(lambda lib, x: lib.logsumexp(x, 1), [a], double=False)
    check_op(lambda lib, x: lib.logsumexp(x, 1), [a[:1].astype(np.float32)])


INT_DTYPES = [np.bool_, np.uint8, np.int32, np.int64]
INT_OPS = {
    "prod": lambda lib, x: lib.prod(x), "prod_dim": lambda lib, x: lib.prod(x, 0),
    "max": lambda lib, x: lib.max(x), "max_dim": lambda lib, x: lib.max(x, 0),
    "amax": lambda lib, x: lib.amax(x, 0), "argmax": lambda lib, x: lib.argmax(x),
    "cumsum": lambda lib, x: lib.cumsum(x, 0), "cumprod": lambda lib, x: lib.cumprod(x, 0),
    "cumsum_dtype": lambda lib, x: lib.cumsum(x, 0, dtype=lib.float64),
    "prod_dtype": lambda lib, x: lib.prod(x, dtype=lib.float32),
    "all": lambda lib, x: lib.all(x), "any_dim": lambda lib, x: lib.any(x, 0),
    "count_nonzero": lambda lib, x: lib.count_nonzero(x),
    "median": lambda lib, x: lib.median(x), "median_dim": lambda lib, x: lib.median(x, 0),
    "mode": lambda lib, x: lib.mode(x), "nansum": lambda lib, x: lib.nansum(x),
    "logsumexp": lambda lib, x: lib.logsumexp(x, 0), "var": lambda lib, x: lib.var(x),
    "std": lambda lib, x: lib.std(x, 0), "norm": lambda lib, x: lib.linalg.vector_norm(x),
    "nanmean": lambda lib, x: lib.nanmean(x), "min": lambda lib, x: lib.min(x),
}


@pytest.mark.parametrize("name", list(INT_OPS))
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_and_bool_inputs(name, dtype):
    fn = INT_OPS[name]
    a = make_array((4,), dtype, 5, -2, 3)
    try:
        expected = fn(torch, torch.from_numpy(a.copy()))
    except Exception:  # noqa: BLE001
        same_error(lambda: fn(ember, ember.from_numpy(a.copy())),
                   lambda: fn(torch, torch.from_numpy(a.copy())))
        return
    assert_same(fn(ember, ember.from_numpy(a.copy())), expected)


def test_named_results():
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]
    for fn in [lambda lib, t: lib.max(t, 1), lambda lib, t: lib.min(t, 0, keepdim=True),
               lambda lib, t: lib.median(t, 1), lambda lib, t: lib.mode(t, 1),
               lambda lib, t: lib.nanmedian(t, 0), lambda lib, t: lib.aminmax(t, dim=1)]:
        e, t = fn(ember, ember.tensor(x)), fn(torch, torch.tensor(x))
        assert repr(e) == repr(t)
        assert str(e) == str(t)
        assert type(e).__name__ == type(t).__name__
        assert e._fields == t._fields if hasattr(t, "_fields") else len(e) == len(t)
        for f in ("values", "indices") if hasattr(t, "values") else ("min", "max"):
            assert_same(getattr(e, f), getattr(t, f))
        values, indices = e
        assert_same(values, t[0])
    e = ember.max(ember.tensor(x, requires_grad=True), 1)
    t = torch.max(torch.tensor(x, requires_grad=True), 1)
    assert repr(e) == repr(t)


ERRORS = [
    lambda lib: lib.max(lib.zeros(0)),
    lambda lib: lib.max(lib.zeros(2, 0), 1),
    lambda lib: lib.argmax(lib.zeros(0)),
    lambda lib: lib.amax(lib.zeros(2, 0), 1),
    lambda lib: lib.amax(lib.zeros(2, 3), (0, 0)),
    lambda lib: lib.max(lib.zeros(2, 3), 2),
    lambda lib: lib.prod(lib.zeros(2, 3), -3),
    lambda lib: lib.var(lib.tensor([1, 2])),
    lambda lib: lib.std(lib.zeros(2), 1),
    lambda lib: lib.cumsum(lib.zeros(2, 3), 2),
    lambda lib: lib.cumprod(lib.zeros(()), 1),
    lambda lib: lib.logsumexp(lib.zeros(2), 1),
    lambda lib: lib.median(lib.zeros(2, 0), 1),
    lambda lib: lib.mode(lib.zeros(2, 0), 1),
    lambda lib: lib.linalg.vector_norm(lib.tensor([1, 2])),
    lambda lib: lib.linalg.vector_norm(lib.zeros(0), math.inf),
    lambda lib: lib.linalg.vector_norm(lib.zeros(2, 0), -1, dim=1),
    lambda lib: lib.linalg.matrix_norm(lib.zeros(3)),
    lambda lib: lib.linalg.matrix_norm(lib.zeros(3, 3), 3),
    lambda lib: lib.linalg.matrix_norm(lib.zeros(3, 3), "abc"),
    lambda lib: lib.linalg.matrix_norm(lib.zeros(3, 3), dim=(1, 1)),
    lambda lib: lib.nanmean(lib.tensor([1, 2])),
    lambda lib: lib.aminmax(lib.zeros(0)),
    lambda lib: lib.count_nonzero(lib.zeros(2), 3),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    same_error(lambda: ERRORS[i](ember), lambda: ERRORS[i](torch))


# -- sum and mean ----------------------------------------------------------

@st.composite
def _shape_and_dims_red(draw):
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
@given(sd=_shape_and_dims_red(), seed=st.integers(0, 50))
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
