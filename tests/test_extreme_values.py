"""Pointwise ops and activations at the extremes of their dtypes, against torch: every op on
one fixed grid (signed zeros, subnormals, the exp overflow thresholds of float32 and
float64, the largest floats, infinities and NaN), forward and first gradient, and the
binary ops on every pair of a smaller grid."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember

GRID = [0.0, -0.0, 1e-45, -1e-45, 1e-310, -1e-310, 1e-300, -1e-300, 1e-30, -1e-30, 0.5, -0.5,
        1.0, -1.0, 2.0, -2.0, 20.0, -20.0, 88.0, -88.0, 88.7, -88.7, 89.0, -89.0, 89.5, -89.5,
        90.0, -90.0, 709.0, -709.0, 709.8, -709.8, 710.0, -710.0, 710.5, -710.5, 711.0,
        -711.0, 1e38, -1e38, 3e38, -3e38, 1e308, -1e308, math.inf, -math.inf, math.nan]
PAIR_GRID = [0.0, -0.0, 1e-45, -1e-45, 1e-310, -1e-300, 1e-30, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0,
             89.0, -89.0, 710.0, -710.0, 3e38, -3e38, 1e308, -1e308, math.inf, -math.inf,
             math.nan]

UNARY = ["abs", "neg", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
         "rsqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
         "acosh", "atanh", "sigmoid", "logit", "erf", "erfc", "erfinv", "reciprocal", "square",
         "sign", "floor", "ceil", "round", "trunc", "frac", "relu", "sinc", "lgamma",
         "digamma", "nan_to_num"]
ACTIVATIONS = {
    "relu": {}, "relu6": {}, "elu": {}, "elu_alpha": {"alpha": 2.0}, "selu": {}, "celu": {},
    "celu_alpha": {"alpha": 2.0}, "gelu": {}, "silu": {}, "mish": {}, "softplus": {},
    "softplus_beta": {"beta": 2.0, "threshold": 5.0}, "softsign": {}, "tanhshrink": {},
    "hardtanh": {}, "hardswish": {}, "hardsigmoid": {}, "leaky_relu": {}, "logsigmoid": {},
    "softshrink": {}, "hardshrink": {}, "sigmoid": {}, "tanh": {},
    # The tanh approximation of gelu is left out: in float32, 1 + tanh(inner) cancels for
    # x < 0 and torch's own result depends on the tensor's length (SLEEF's tanh on full
    # vectors, the C library's on the tail).
}
# Where torch's vectorized kernel and its scalar one disagree, the grid skips the values:
# gelu's vectorized kernel overflows at |x| >= 3e38 (inf, and NaN at inf) where the scalar
# one gives x.
SKIP = {"gelu": lambda x: abs(x) >= 3e38}
BINARY = ["add", "sub", "mul", "div", "pow", "atan2", "hypot", "xlogy", "logaddexp",
          "logaddexp2", "maximum", "minimum", "fmax", "fmin", "float_power", "true_divide"]
# fmod and remainder are left out of the forward check: where x / y overflows (a float32
# subnormal divisor) torch's vectorized kernel gives NaN and its scalar one fmod's value.


def _close(e, t, dtype):
    """Equal (NaN to NaN), or within a few ulp where both are finite."""
    e = np.asarray(e, np.float64)
    t = np.asarray(t, np.float64)
    same = (e == t) | (np.isnan(e) & np.isnan(t))
    with np.errstate(all="ignore"):
        rel = np.abs(e - t) / np.maximum(np.abs(t), np.finfo(dtype).tiny)
    return same | (np.isfinite(e) & np.isfinite(t) & (rel <= 8 * np.finfo(dtype).eps))


def _run(lib, fn, dtype, *columns):
    xs = [lib.tensor(c, dtype=getattr(lib, dtype), requires_grad=True) for c in columns]
    y = fn(lib, *xs)
    grads = lib.autograd.grad(y.sum(), xs, allow_unused=True)
    return [y.detach().numpy()] + [None if g is None else g.numpy() for g in grads]


def _compare(fn, dtype, *columns):
    e = _run(ember, fn, dtype, *columns)
    t = _run(torch, fn, dtype, *columns)
    for what, a, b in zip(["value", "grad", "grad of other"], e, t):
        assert (a is None) == (b is None), what
        if a is None:
            continue
        bad = ~_close(a, b, dtype)
        where = [tuple(c[i] for c in columns) for i in np.flatnonzero(bad)]
        assert not bad.any(), f"{what} at {where}: ember {a[bad]}, torch {b[bad]}"


def _unary(name):
    return lambda lib, x: getattr(lib, name)(x)


def _activation(key):
    name = key.split("_")[0] if key not in ACTIVATIONS or key.endswith(("_alpha", "_beta")) \
        else key
    kw = ACTIVATIONS[key]
    return lambda lib, x: getattr(lib.nn.functional, name)(x, **kw)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_at_extremes(name, dtype):
    _compare(_unary(name), dtype, GRID)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("key", list(ACTIVATIONS))
def test_activation_at_extremes(key, dtype):
    skip = SKIP.get(key, lambda x: False)
    _compare(_activation(key), dtype, [x for x in GRID if not skip(x)])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_at_extremes(name, dtype):
    xs = [x for x in PAIR_GRID for _ in PAIR_GRID]
    ys = [y for _ in PAIR_GRID for y in PAIR_GRID]
    _compare(lambda lib, a, b: getattr(lib, name)(a, b), dtype, xs, ys)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_remainder_gradients_at_extremes(name, dtype):
    # The divisor's gradient is -grad times torch's floor (or trunc) division, whose
    # quotient x - fmod(x, y) differs from floor(x / y) where x / y rounds.
    xs = [x for x in PAIR_GRID for _ in PAIR_GRID]
    ys = [y for _ in PAIR_GRID for y in PAIR_GRID]
    e = _run(ember, lambda lib, a, b: getattr(lib, name)(a, b), dtype, xs, ys)
    t = _run(torch, lambda lib, a, b: getattr(lib, name)(a, b), dtype, xs, ys)
    for a, b in zip(e[1:], t[1:]):
        assert _close(a, b, dtype).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_rounded_division_at_extremes(mode, dtype):
    grid = PAIR_GRID + [3.0, -3.0, 0.1, -0.1]
    xs = [x for x in grid for _ in grid]
    ys = [y for _ in grid for y in grid]
    for lib_op in [lambda lib, a, b: lib.div(a, b, rounding_mode=mode)] + (
            [lambda lib, a, b: lib.floor_divide(a, b)] if mode == "floor" else []):
        e = lib_op(ember, ember.tensor(xs, dtype=getattr(ember, dtype)),
                   ember.tensor(ys, dtype=getattr(ember, dtype))).numpy()
        t = lib_op(torch, torch.tensor(xs, dtype=getattr(torch, dtype)),
                   torch.tensor(ys, dtype=getattr(torch, dtype))).numpy()
        np.testing.assert_array_equal(e, t)
        # The sign of a zero quotient too (a NaN's sign bit means nothing).
        num = ~np.isnan(t)
        np.testing.assert_array_equal(np.signbit(e[num]), np.signbit(t[num]))


@pytest.mark.parametrize("name", ["tanh", "exp", "expm1", "log1p", "log10", "cosh", "sinh",
                                  "acos"])
def test_float32_rounding(name):
    # torch's float32 kernels are all but correctly rounded; NumPy's float32 loops miss the
    # nearest float in up to a third of cases (tanh), which second derivatives magnify.
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(2000) * 3, rng.uniform(5, 10, 500)])
    x = x.astype(np.float32)
    if name == "acos":
        x = np.clip(x, -1, 1) * np.float32(0.999)
    elif name.startswith("log"):
        x = np.abs(x)
    e = getattr(ember, name)(ember.tensor(x)).numpy()
    t = getattr(torch, name)(torch.from_numpy(x)).numpy()
    assert np.mean(e != t) < 0.04


@pytest.mark.parametrize("name", ["logsigmoid", "mish", "softplus", "silu"])
def test_zero_dim_activations(name):
    # SLEEF's replay once failed on 0-d arrays with a NumPy error. (softplus's scalar path
    # is glibc's log1pf, which can be a bit off the nearest float: compared within 1 ulp.)
    for v in [1.5, -3.0, 0.3, 20.0]:
        e = getattr(ember.nn.functional, name)(ember.tensor(v))
        t = getattr(torch.nn.functional, name)(torch.tensor(v))
        assert e.shape == ()
        np.testing.assert_array_max_ulp(e.numpy(), t.numpy(), maxulp=0 if name != "softplus"
                                        else 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 5, 33, 100, 1000])
def test_silu_rounding(n, dtype):
    # SLEEF's exp on whole blocks of two vectors, the C library's on the tail.
    x = (np.random.default_rng(n).standard_normal(n) * 3).astype(dtype)
    e = ember.nn.functional.silu(ember.tensor(x)).numpy()
    t = torch.nn.functional.silu(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(e, t)


def test_mish_float32_rounding():
    # torch's kernel is x * tanh(log1p(exp(x))) with SLEEF's exp and log1p, no threshold.
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(2000) * 3, rng.uniform(5, 30, 500)])
    x = x.astype(np.float32)
    e = ember.nn.functional.mish(ember.tensor(x)).numpy()
    t = torch.nn.functional.mish(torch.from_numpy(x)).numpy()
    assert np.mean(e != t) < 0.01
