"""Functions programs reach for beyond the core ops, against torch live: quantiles,
moments, cumulative extrema, covariance, distances, pointwise number functions, and the
shape and joining helpers. Values and dtypes over 0-dim, empty and broadcast operands,
gradients with torch's node names, second derivatives, and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, first_errors, make_array

FLOATS = [np.float32, np.float64]
MODES = ["linear", "lower", "higher", "midpoint", "nearest"]
SHAPES = [(3, 4), (), (5,), (2, 3, 4)]


def _dims(shape):
    n = max(len(shape), 1)
    return list(range(-n, n))


def _grad_fn(fn, *arrays):
    """The grad_fn names of fn's first output on ember and on torch."""
    names = []
    for lib in (ember, torch):
        ts = [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]
        out = fn(lib, *ts)
        out = out[0] if isinstance(out, tuple) else out
        names.append(type(out.grad_fn).__name__)
    return names


def _quiet(fn):
    """fn with torch's and ember's warnings (degrees of freedom) silenced."""
    def call(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)
    return call


# -- quantile and nanquantile ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_quantile(name, mode, dtype, shape):
    a = make_array(shape, dtype)
    qs = [0.3, 0.0, 1.0, np.array([0.1, 0.5, 0.9], dtype), np.array(0.25, dtype),
          np.array([], dtype)]
    for q in qs:
        for d in [None, *_dims(shape)]:
            for k in (False, True):
                if isinstance(q, np.ndarray):
                    check_op(lambda lib, x, qq, d=d, k=k: getattr(lib, name)(
                        x, qq, d, k, interpolation=mode), [a, q], grad=[True, False])
                else:
                    check_op(lambda lib, x, q=q, d=d, k=k: getattr(x, name)(
                        q, dim=d, keepdim=k, interpolation=mode), [a])


@pytest.mark.parametrize("mode", MODES)
def test_quantile_nan(mode):
    # A NaN makes quantile's row NaN; nanquantile skips it; a row of NaN is NaN for both.
    a = make_array((4, 5))
    a[1, 2] = np.nan
    a[3, :] = np.nan
    for name in ("quantile", "nanquantile"):
        check_op(lambda lib, x, f=name: getattr(lib, f)(x, 0.4, 1, interpolation=mode), [a])
        check_op(lambda lib, x, f=name: getattr(lib, f)(x, 0.6, interpolation=mode), [a])


def test_quantile_graph():
    # q itself differentiable (through the interpolation weights), and torch's last node.
    check_op(lambda lib, x, q: lib.quantile(x, q, 1), [make_array((3, 4)),
                                                       np.array([0.2, 0.7])])
    for q in (0.4, torch.tensor([0.2, 0.6], dtype=torch.float64)):
        def fn(lib, x, q=q):
            return lib.quantile(x, q if isinstance(q, float) else lib.tensor(q.tolist(),
                                                                             dtype=x.dtype))
        e, t = _grad_fn(fn, make_array((3, 4)))
        assert e == t == "SqueezeBackward4"


QUANTILE_ERRORS = [
    lambda lib, x: lib.quantile(lib.empty(0), 0.5),
    lambda lib, x: lib.quantile(x, 1.5),
    lambda lib, x: lib.nanquantile(x, -0.5),
    lambda lib, x: lib.quantile(x, lib.tensor([1.5])),
    lambda lib, x: lib.quantile(x, lib.tensor([[0.5]])),
    lambda lib, x: lib.quantile(x, lib.tensor([0.5], dtype=lib.float64)),
    lambda lib, x: lib.quantile(x.int(), 0.5),
    lambda lib, x: lib.quantile(x.half(), 0.5),
    lambda lib, x: lib.quantile(x, 0.5, interpolation="foo"),
    lambda lib, x: lib.quantile(x, 0.5, dim=3),
    lambda lib, x: lib.quantile(lib.empty(0), 1.5),
    lambda lib, x: lib.quantile(lib.empty(0), 0.5, interpolation="x"),
    lambda lib, x: lib.quantile(x.int(), lib.tensor([[0.5]])),
    lambda lib, x: lib.quantile(x, lib.tensor([1.5]), dim=4),
    lambda lib, x: lib.quantile(x, "a"),
]


@pytest.mark.parametrize("call", QUANTILE_ERRORS)
def test_quantile_errors(call):
    x = make_array((3, 4), np.float32)
    t, e = first_errors(lambda lib: call(lib, lib.from_numpy(x.copy())))
    assert e == t


# -- var_mean, std_mean, cummax, cummin, logcumsumexp -----------------------------------------

@pytest.mark.parametrize("dtype", FLOATS + [np.float16])
@pytest.mark.parametrize("shape", SHAPES + [(0, 3)])
def test_moments(dtype, shape):
    a = make_array(shape, dtype)
    calls = [
        lambda lib, x: lib.var_mean(x),
        lambda lib, x: lib.std_mean(x, unbiased=False),
        lambda lib, x: lib.var_mean(x, True),
    ]
    for d in _dims(shape):
        calls += [
            lambda lib, x, d=d: lib.var_mean(x, d),
            lambda lib, x, d=d: lib.std_mean(x, d, keepdim=True),
            lambda lib, x, d=d: lib.std_mean(x, d, correction=0)[1],
            lambda lib, x, d=d: lib.var_mean(x, d, True, True)[0],
            lambda lib, x, d=d: lib.std_mean(x, [d], correction=2.5),
        ]
    if len(shape) == 3:
        calls.append(lambda lib, x: lib.var_mean(x, (0, 2), correction=2, keepdim=True))
    for call in calls:
        check_op(_quiet(call), [a])


def test_moments_nodes_and_errors():
    a = make_array((3, 4))
    assert _grad_fn(lambda lib, x: lib.std_mean(x, 1), a) == ["StdMeanBackward0"] * 2
    assert _grad_fn(lambda lib, x: lib.var_mean(x), a) == ["VarMeanBackward0"] * 2
    x = make_array((3, 4), np.float32)
    for call in [lambda lib, x: lib.std_mean(x.int()),
                 lambda lib, x: lib.var_mean(x.int(), 1),
                 lambda lib, x: lib.var_mean(x, 5),
                 lambda lib, x: lib.var_mean(x, (0, 0)),
                 lambda lib, x: lib.std_mean(x, foo=1)]:
        t, e = first_errors(lambda lib, call=call: call(lib, lib.from_numpy(x.copy())))
        assert e == t
    # The warning torch gives for no degrees of freedom, with its first line.
    with pytest.warns(UserWarning, match=r"^var_mean\(\): degrees of freedom is <= 0"):
        ember.var_mean(ember.ones(1))


def _ties(a):
    return np.asarray(np.round(a), dtype=a.dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES + [(0, 3)])
def test_cumulative(dtype, shape):
    a = make_array(shape, dtype)
    for d in _dims(shape):
        check_op(lambda lib, x, d=d: lib.cummax(x, d), [_ties(a)])
        check_op(lambda lib, x, d=d: x.cummin(d).values, [_ties(a)])
        check_op(lambda lib, x, d=d: lib.cummin(x, dim=d).indices, [a])
        check_op(lambda lib, x, d=d: lib.logcumsumexp(x, d), [np.asarray(a * 30)])
        check_op(lambda lib, x, d=d: x.logcumsumexp(d), [a])


def test_cumulative_special_values():
    # NaN wins from its position on (each later NaN moves the index); infinities.
    x = np.array([1.0, np.nan, 2.0, np.nan, 3.0])
    check_op(lambda lib, x: lib.cummax(x, 0), [x])
    check_op(lambda lib, x: lib.cummin(x, 0), [x])
    inf = np.array([[-np.inf, -np.inf, 1.0, np.inf, 2.0]])
    check_op(lambda lib, x: lib.logcumsumexp(x, -1), [inf], double=False)
    for dt in (np.int32, np.bool_, np.uint8, np.float16, np.int64):
        check_op(lambda lib, x: lib.cummax(x, 1), [make_array((3, 4), dt)])
        check_op(lambda lib, x: lib.cummin(x, 0), [make_array((3, 4), dt)])
    check_op(lambda lib, x: lib.logcumsumexp(x, 1), [make_array((3, 4), np.float16)])
    a = make_array((3, 4))
    assert _grad_fn(lambda lib, x: lib.cummax(x, 1), a) == ["CummaxBackward0"] * 2
    assert _grad_fn(lambda lib, x: lib.cummin(x, 0), a) == ["CumminBackward0"] * 2
    assert _grad_fn(lambda lib, x: lib.logcumsumexp(x, 0), a) == ["LogcumsumexpBackward0"] * 2


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.logcumsumexp(x.int(), 1),
    lambda lib, x: lib.logcumsumexp(x.bool(), 1),
    lambda lib, x: lib.logcumsumexp(x, 3),
    lambda lib, x: lib.cummax(x, 3),
    lambda lib, x: lib.cummin(x),
    lambda lib, x: x.cummin(2),
])
def test_cumulative_errors(call):
    x = make_array((3, 4), np.float32)
    t, e = first_errors(lambda lib: call(lib, lib.from_numpy(x.copy())))
    assert e == t


# -- cov and corrcoef ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 4), (), (5,), (1, 5), (4, 1), (2, 0)])
def test_cov(dtype, shape):
    a = make_array(shape, dtype)
    check_op(_quiet(lambda lib, x: lib.cov(x)), [a])
    check_op(_quiet(lambda lib, x: x.cov(correction=0)), [a])
    check_op(_quiet(lambda lib, x: lib.corrcoef(x)), [a])
    if shape and shape[-1]:
        n = shape[-1]
        fw = np.arange(1, n + 1)
        aw = make_array((n,), dtype, low=0.1, high=1)
        # Weights take no gradient; with one observation and one kind of weights torch
        # zeroes the input in place, which a leaf requiring grad refuses.
        check_op(_quiet(lambda lib, x, f, w: lib.cov(x, fweights=f, aweights=w)), [a, fw, aw])
        check_op(_quiet(lambda lib, x, f: lib.cov(x, correction=2, fweights=f)), [a, fw])
        check_op(_quiet(lambda lib, x, w: lib.cov(x, aweights=w)), [a, aw])
        check_op(_quiet(lambda lib, x, w: lib.cov(x, aweights=w)), [a, aw], grad=False)


def test_cov_integers_and_nodes():
    for dt in (np.int64, np.int32, np.uint8):
        check_op(lambda lib, x: lib.cov(x), [make_array((3, 4), dt)])
        check_op(lambda lib, x: lib.corrcoef(x), [make_array((3, 4), dt)])
    a = make_array((3, 4))
    assert _grad_fn(lambda lib, x: lib.cov(x), a) == ["SqueezeBackward0"] * 2
    assert _grad_fn(lambda lib, x: lib.corrcoef(x), a) == ["ClampBackward1"] * 2


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.cov(lib.zeros(2, 2, 2)),
    lambda lib, x: lib.cov(x.bool()),
    lambda lib, x: lib.corrcoef(lib.zeros(2, 2, 2)),
    lambda lib, x: lib.cov(x, fweights=lib.ones(4)),
    lambda lib, x: lib.cov(x, fweights=lib.ones(4, 1).long()),
    lambda lib, x: lib.cov(x, fweights=lib.ones(3).long()),
    lambda lib, x: lib.cov(x, fweights=-lib.ones(4).long()),
    lambda lib, x: lib.cov(x, fweights=lib.ones(4).bool()),
    lambda lib, x: lib.cov(x, aweights=lib.ones(4).long()),
    lambda lib, x: lib.cov(x, aweights=-lib.ones(4)),
    lambda lib, x: lib.cov(x, aweights=lib.zeros(4)),
    lambda lib, x: lib.cov(x, aweights=lib.ones(5)),
    lambda lib, x: lib.cov(lib.ones(3, 1).requires_grad_(), aweights=lib.ones(1)),
])
def test_cov_errors(call):
    x = make_array((3, 4), np.float32)
    t, e = first_errors(lambda lib: call(lib, lib.from_numpy(x.copy())))
    assert e == t


def test_cov_warns():
    with pytest.warns(UserWarning, match=r"^cov\(\): degrees of freedom is <= 0"):
        r = ember.cov(ember.ones(1, 1))
    assert_same(r, torch.tensor(float("nan")))


# -- dist, pairwise_distance, cosine_similarity ------------------------------------------------

PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((), ()), ((2, 1, 4), (3, 4)), ((5,), (5,)),
         ((0, 4), (4,))]
ORDERS = [2, 1, 3, 0, float("inf"), -float("inf"), 0.5, -1]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", PAIRS)
def test_distances(dtype, shapes):
    a, b = make_array(shapes[0], dtype), make_array(shapes[1], dtype, seed=1)
    for p in ORDERS:
        if 0 in shapes[0] and (p < 0 or p == float("inf")):
            continue  # no identity: the errors are tested below
        # torch's 0-norm has no gradient, and negating it for `other` raises (below).
        check_op(lambda lib, x, y, p=p: lib.dist(x, y, p), [a, b], grad=[True, p != 0])
        check_op(lambda lib, x, y, p=p: x.dist(y, p=p), [a, b], grad=[True, p != 0])
        check_op(lambda lib, x, y, p=p: lib.pairwise_distance(x, y, p), [a, b])
        check_op(lambda lib, x, y, p=p: lib.nn.functional.pairwise_distance(
            x, y, p, keepdim=True), [a, b])
    n = max(len(shapes[0]), len(shapes[1]), 1)
    for d in range(-n, n):
        check_op(lambda lib, x, y, d=d: lib.cosine_similarity(x, y, d), [a, b])
        check_op(lambda lib, x, y, d=d: lib.nn.functional.cosine_similarity(
            x, y, d, eps=0.5), [a, b])


def test_distances_dtypes_and_nodes():
    a, b = make_array((3, 4)), make_array((3, 4), seed=1)
    check_op(lambda lib, x, y: lib.dist(x, y), [a, a])
    check_op(lambda lib, x, y: lib.dist(x, y), [a, b.astype(np.float32)])
    check_op(lambda lib, x, y: lib.dist(x, y), [a.astype(np.float16), b.astype(np.float16)])
    check_op(lambda lib, x, y: lib.pairwise_distance(x, y), [a.astype(np.int64),
                                                             b.astype(np.int32)])
    check_op(lambda lib, x, y: lib.cosine_similarity(x, y), [a.astype(np.int64), b])
    assert _grad_fn(lambda lib, x, y: lib.dist(x, y), a, b) == ["DistBackward0"] * 2
    assert _grad_fn(lambda lib, x, y: lib.pairwise_distance(x, y), a, b) == \
        ["NormBackward1"] * 2
    assert _grad_fn(lambda lib, x, y: lib.cosine_similarity(x, y), a, b) == \
        ["SumBackward1"] * 2
    errors = []
    for lib in (torch, ember):
        x, y = (lib.from_numpy(v.copy()).requires_grad_() for v in (a, b))
        with pytest.raises(RuntimeError) as info:
            lib.dist(x, y, 0).backward()
        errors.append(str(info.value).splitlines()[0])
    assert errors[0] == errors[1]


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.dist(x.int(), x.int()),
    lambda lib, x: lib.dist(x, lib.ones(2, 4)),
    lambda lib, x: lib.dist(x, 2.0),
    lambda lib, x: lib.dist(lib.empty(0), lib.empty(0), -1),
    lambda lib, x: lib.pairwise_distance(x, lib.ones(5)),
    lambda lib, x: lib.cosine_similarity(x, x, dim=2),
    lambda lib, x: lib.cosine_similarity(x.int(), x.int()),
    lambda lib, x: lib.cosine_similarity(x, lib.ones(5)),
])
def test_distance_errors(call):
    x = make_array((3, 4), np.float32)
    t, e = first_errors(lambda lib: call(lib, lib.from_numpy(x.copy())))
    assert e == t


# -- pointwise number functions ---------------------------------------------------------------

DTYPES = [np.bool_, np.uint8, np.int8, np.int32, np.int64, np.float16, np.float32, np.float64]
SPECIAL = np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 1e-40, -3e-39, 180.0])
UNARY = ["signbit", "deg2rad", "rad2deg", "positive", "frexp"]
BINARY = ["copysign", "heaviside", "gcd", "lcm", "ldexp"]


def _binary(name, exponent=None):
    # heaviside records a node whose backward torch has not implemented (tested below).
    # ldexp's power of a float exponent is rounded to the exponent's dtype (where torch
    # rounds it depends on the operands' dims) and torch's float32 pow differs in the last
    # bit: the tolerance is the exponent's.
    if name == "ldexp" and exponent is not None and exponent.dtype.kind == "f":
        return {"rtol": {2: 2e-3, 4: 1e-6}.get(exponent.dtype.itemsize, 1e-10), "atol": 1e-6}
    return {"grad": name != "heaviside"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2)])
def test_pointwise_numbers(dtype, shape):
    a = make_array(shape, dtype)
    for n in UNARY:
        check_op(lambda lib, x, n=n: getattr(lib, n)(x), [a])
        check_op(lambda lib, x, n=n: getattr(x, n)(), [a])
    for dtype2 in DTYPES:
        b = make_array(shape, dtype2, seed=3)
        for n in BINARY:
            check_op(lambda lib, x, y, n=n: getattr(lib, n)(x, y), [a, b], **_binary(n, b))
    check_op(lambda lib, x: lib.copysign(x, -2.0), [a])
    check_op(lambda lib, x: x.copysign(3), [a])


@pytest.mark.parametrize("dtype", DTYPES)
def test_pointwise_numbers_broadcast(dtype):
    a = make_array((3, 4), dtype)
    for dtype2 in DTYPES:
        b = make_array((4,), dtype2, seed=3)
        for n in BINARY:
            check_op(lambda lib, x, y, n=n: getattr(x, n)(y), [a, b], **_binary(n, b))
            if n == "ldexp" and a.dtype.kind == "f" and b.dtype.kind in "iu":
                continue  # torch warns that it resized its output (not reproduced)
            # copysign's second derivative for a 0-dim input broadcast against other is
            # torch's cancellation residue (exactly 0 there, not here): first derivatives.
            # A float other of fewer bits makes the result its dtype, whose gradient torch
            # sums to the 0-dim input's shape in that dtype: that dtype's tolerance.
            kw = dict(_binary(n, b), double=n != "copysign")
            if b.dtype.kind == "f" and b.dtype.itemsize < a.dtype.itemsize:
                kw.update(rtol=2e-3, atol=1e-3) if b.dtype == np.float16 else kw.update(
                    rtol=1e-5, atol=1e-6)
            check_op(lambda lib, x, y, n=n: getattr(lib, n)(x, y), [np.array(a[0, 0]), b], **kw)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_pointwise_special_values(dtype):
    s = SPECIAL.astype(dtype)
    for n in ["signbit", "deg2rad", "rad2deg", "frexp"]:
        check_op(lambda lib, x, n=n: getattr(lib, n)(x), [s])
    for n in ["copysign", "heaviside", "ldexp"]:
        check_op(lambda lib, x, y, n=n: getattr(lib, n)(x, y), [s, s[::-1].copy()],
                 **_binary(n))
    # Integer exponents past the dtype's range; the gradient uses torch's integer powers.
    check_op(lambda lib, x, y: lib.ldexp(x, y), [s, np.arange(10) * 40 - 200])
    check_op(lambda lib, x, y: lib.ldexp(x, y), [s, (np.arange(10) - 5).astype(np.int8)])


def test_pointwise_nodes():
    names = []
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([1.0, -2.0], requires_grad=True)
        names.append([lib.copysign(x, y).grad_fn.name(), lib.copysign(x, 2).grad_fn.name(),
                      lib.ldexp(x, y).grad_fn.name(), lib.frexp(x)[0].grad_fn.name(),
                      lib.deg2rad(x).grad_fn.name(), lib.rad2deg(x).grad_fn.name(),
                      lib.heaviside(x, y).grad_fn.name(), lib.positive(x) is x])
    assert names[0] == names[1]
    assert repr(ember.frexp(ember.tensor([3.0]))) == repr(torch.frexp(torch.tensor([3.0])))
    errors = []
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            lib.heaviside(x, x).sum().backward()
        errors.append(str(info.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.positive(x.bool()),
    lambda lib, x: lib.frexp(x.int()),
    lambda lib, x: lib.heaviside(x, lib.ones(5)),
    lambda lib, x: lib.heaviside(x, 2),
    lambda lib, x: lib.heaviside(x, x.double()),
    lambda lib, x: lib.gcd(x, x),
    lambda lib, x: lib.gcd(x.int(), 2),
    lambda lib, x: lib.lcm(x.bool(), x.bool()),
    lambda lib, x: lib.ldexp(x, 2),
    lambda lib, x: lib.ldexp(x, x.bool()),
    lambda lib, x: lib.copysign(x, lib.ones(5)),
    lambda lib, x: lib.signbit(2),
])
def test_pointwise_errors(call):
    x = make_array((3, 4), np.float32)
    t, e = first_errors(lambda lib: call(lib, lib.from_numpy(x.copy())))
    assert e == t


# -- logspace, ravel, isin and the tests on tensors -------------------------------------------

@pytest.mark.parametrize("args,kwargs", [
    ((0, 2, 3), {}), ((0, 2, 3), {"base": 2}), ((0, 2, 3), {"dtype": "int64"}),
    ((0, 2, 0), {}), ((0, 2, 1), {}), ((-1, 10, 5), {"dtype": "float32"}),
    ((0, 3, 4), {"base": -2}), ((0, 3, 4), {"dtype": "int32"}),
    ((0.5, -3.2, 7), {"dtype": "float64"}), ((1, 4, 6), {"dtype": "float16", "base": 3}),
    ((0, 2, 5), {"dtype": "uint8", "base": 2.5}), ((0, 1, 3), {"requires_grad": True}),
])
def test_logspace(args, kwargs):
    res = []
    for lib in (torch, ember):
        kw = dict(kwargs)
        if "dtype" in kw:
            kw["dtype"] = getattr(lib, kw["dtype"])
        res.append(lib.logspace(*args, **kw))
    assert_same(res[1], res[0])
    assert res[1].requires_grad == res[0].requires_grad


@pytest.mark.parametrize("call", [
    lambda lib: lib.logspace(0, 2, -1),
    lambda lib: lib.logspace(lib.ones(2), 2, 3),
    lambda lib: lib.logspace(0, 2, 3, dtype=lib.int64, requires_grad=True),
    lambda lib: lib.is_same_size(lib.ones(2), 2),
    lambda lib: lib.is_nonzero(lib.ones(2)),
    lambda lib: lib.is_nonzero(lib.ones(0)),
    lambda lib: lib.isin(1, 2),
    lambda lib: lib.isin(lib.ones(2), "a"),
    lambda lib: lib.isin(lib.ones(2).bool(), lib.ones(2)),
    lambda lib: lib.isin(lib.ones(2), True),
])
def test_factories_and_tests_errors(call):
    t, e = first_errors(call)
    assert e == t


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.uint8])
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2)])
def test_ravel_and_tests(dtype, shape):
    a = make_array(shape, dtype)
    check_op(lambda lib, x: lib.ravel(x), [a])
    check_op(lambda lib, x: (x.t() if x.ndim == 2 else x).ravel(), [a])
    res = []
    for lib in (torch, ember):
        x = lib.from_numpy(a.copy())
        res.append((lib.is_signed(x), x.is_signed(), lib.is_same_size(x, x.reshape(-1)),
                    x.is_same_size(x)))
    assert res[0] == res[1]
    if dtype == np.float32:
        assert _grad_fn(lambda lib, x: (x.t() if x.ndim == 2 else x).ravel(), a) == \
            ["ViewBackward0"] * 2


@pytest.mark.parametrize("value", [np.array([0.0]), np.array(2), np.array([[np.nan]]),
                                   np.array(False), np.array([-0.0])])
def test_is_nonzero(value):
    assert ember.is_nonzero(ember.from_numpy(value.copy())) == \
        torch.is_nonzero(torch.from_numpy(value.copy()))


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8, np.float64])
def test_isin(dtype):
    for dtype2 in (np.float32, np.int64, np.int8):
        for s1, s2 in [((3, 4), (5,)), ((), (2, 3)), ((0, 2), (3,)), ((4,), ())]:
            a, b = make_array(s1, dtype), make_array(s2, dtype2, seed=2)
            check_op(lambda lib, x, y: lib.isin(x, y), [a, b])
            check_op(lambda lib, x, y: lib.isin(x, y, invert=True, assume_unique=True), [a, b])
    a = make_array((3, 4), dtype)
    check_op(lambda lib, x: lib.isin(x, 1), [a])
    check_op(lambda lib, x: lib.isin(2, x), [a])
    check_op(lambda lib, x: lib.isin(2.5, x), [a])
    check_op(lambda lib, x, y: lib.isin(x, y), [np.array([np.nan, 1.0]), np.array([np.nan, 1.0])])
    assert not hasattr(torch.Tensor, "isin") and not hasattr(ember.Tensor, "isin")


# -- splits, stacks, diagflat, cartesian_prod, trapezoid --------------------------------------

@pytest.mark.parametrize("shape", [(4, 6, 8), (6,), (2, 4)])
def test_splits(shape):
    a = make_array(shape)
    for name in ("hsplit", "vsplit", "dsplit"):
        for ios in (2, 1, [1, 3], [2, 20], (0,), 4, 0):
            check_op(lambda lib, x, n=name, s=ios: lib.stack(
                [p.sum() * (i + 1) for i, p in enumerate(getattr(lib, n)(x, s))]), [a])
            check_op(lambda lib, x, n=name, s=ios: getattr(x, n)(s)[0], [a])
    a3 = make_array((4, 6, 8))
    assert _grad_fn(lambda lib, x: lib.hsplit(x, 2)[1], a3) == ["SliceBackward0"] * 2


@pytest.mark.parametrize("call", [
    lambda lib: lib.hsplit(lib.tensor(1.0), 2),
    lambda lib: lib.vsplit(lib.ones(3), 2),
    lambda lib: lib.dsplit(lib.ones(3, 3), [1]),
    lambda lib: lib.hsplit(lib.ones(4, 6), 4),
    lambda lib: lib.cartesian_prod(lib.ones(2, 2)),
    lambda lib: lib.cartesian_prod(lib.ones(2), lib.ones(3, dtype=lib.int64)),
    lambda lib: lib.cartesian_prod(),
    lambda lib: lib.row_stack([]),
    lambda lib: lib.trapezoid(lib.ones(3).bool()),
    lambda lib: lib.trapezoid(lib.ones(3), dx=True),
    lambda lib: lib.trapezoid(lib.ones(3), lib.ones(4)),
    lambda lib: lib.trapezoid(lib.ones(3, 4), lib.ones(4, 4), dim=0),
    lambda lib: lib.trapezoid(lib.tensor(1.0)),
    lambda lib: lib.trapezoid(lib.ones(3), lib.ones(3).bool()),
    lambda lib: lib.cumulative_trapezoid(lib.ones(3).bool()),
    lambda lib: lib.cumulative_trapezoid(lib.tensor(1.0)),
    lambda lib: lib.cumulative_trapezoid(lib.ones(3), lib.ones(4)),
    lambda lib: lib.trapz(lib.ones(3), dim=2),
])
def test_joining_errors(call):
    t, e = first_errors(call)
    assert e == t


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_stacks_and_products(dtype):
    a, b = make_array((3, 4), dtype), make_array((2, 4), dtype, seed=1)
    check_op(lambda lib, x, y: lib.row_stack([x, y]), [a, b])
    check_op(lambda lib, x, y: lib.row_stack((x[0], y[1])), [a, b])
    for shape in [(3,), (2, 3), (), (0,)]:
        for offset in (0, 1, -2):
            check_op(lambda lib, x, k=offset: lib.diagflat(x, k), [make_array(shape, dtype)])
            check_op(lambda lib, x, k=offset: x.diagflat(offset=k), [make_array(shape, dtype)])
    u, v, w = (make_array((n,), dtype, seed=n) for n in (2, 3, 0))
    check_op(lambda lib, x: lib.cartesian_prod(x), [u])
    check_op(lambda lib, x, y: lib.cartesian_prod(x, y), [u, v])
    check_op(lambda lib, x, y, z: lib.cartesian_prod(x, y, z), [u, v, v])
    check_op(lambda lib, x, y, z: lib.cartesian_prod(x, z, y), [u, w, v])
    if dtype == np.float64:
        assert _grad_fn(lambda lib, x: lib.diagflat(x), a) == ["DiagEmbedBackward0"] * 2
        assert _grad_fn(lambda lib, x, y: lib.cartesian_prod(x, y), u, v) == \
            ["StackBackward0"] * 2
        assert _grad_fn(lambda lib, x, y: lib.row_stack([x, y]), a, b) == ["CatBackward0"] * 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape", [(3, 4), (5,), (3, 0), (2, 3, 4)])
def test_trapezoid(dtype, shape):
    y = make_array(shape, dtype)
    n = len(shape)
    for d in range(-n, n):
        size = shape[d]
        x1 = np.sort(make_array((size,), np.float64, seed=4))
        xs = np.sort(make_array(shape, np.float64, seed=5), axis=d)
        for name in ("trapezoid", "trapz", "cumulative_trapezoid"):
            check_op(lambda lib, t, f=name, d=d: getattr(lib, f)(t, dim=d), [y])
            check_op(lambda lib, t, f=name, d=d: getattr(lib, f)(t, dx=0.5, dim=d), [y])
            check_op(lambda lib, t, f=name, d=d: getattr(lib, f)(t, dx=3, dim=d), [y])
            check_op(lambda lib, t, x, f=name, d=d: getattr(lib, f)(t, x, dim=d), [y, x1])
            check_op(lambda lib, t, x, f=name, d=d: getattr(lib, f)(t, x, dim=d), [y, xs])
        if len(shape) > 1:
            # x of lower rank than y: viewed with leading ones.
            tail = np.sort(make_array(shape[1:], np.float64, seed=6), axis=-1)
            check_op(lambda lib, t, x: lib.trapezoid(t, x), [y, tail])
    if dtype == np.float64 and shape == (3, 4):
        assert _grad_fn(lambda lib, t: lib.trapezoid(t), y) == ["MulBackward1"] * 2
        assert _grad_fn(lambda lib, t, x: lib.trapezoid(t, x), y, y) == ["DivBackward1"] * 2
        assert _grad_fn(lambda lib, t: lib.cumulative_trapezoid(t), y) == \
            ["CumsumBackward0"] * 2


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("idx,shape", [
    ([4, 1, 7], (3, 3)), (4, (3, 3)), ([9], (3, 3)), ([-1], (3, 3)), ([1], ()), ([1], 5),
    ([[1, 2]], torch.Size([2, 3])), ([-10], (3, 3)), ([], (2, 0)), ([5, 6, 100], (2, 3, 4)),
])
def test_unravel_index(dtype, idx, shape):
    if dtype == "uint8" and min(np.ravel(idx), default=0) < 0:
        return
    res = [lib.unravel_index(lib.tensor(idx, dtype=getattr(lib, dtype)), shape)
           for lib in (torch, ember)]
    assert type(res[1]) is tuple
    assert_same(list(res[1]), list(res[0]))


@pytest.mark.parametrize("call", [
    lambda lib: lib.unravel_index(lib.tensor([1.0]), (3, 3)),
    lambda lib: lib.unravel_index(lib.tensor([1]), (3, -3)),
    lambda lib: lib.unravel_index(lib.tensor([0]), (0,)),
    lambda lib: lib.unravel_index(lib.tensor([True]), (3, 3)),
    lambda lib: lib.unravel_index(lib.tensor([1]), (3, 2.0)),
    lambda lib: lib.unravel_index(2, (3, 3)),
])
def test_unravel_index_errors(call):
    t, e = first_errors(call)
    assert e == t


@pytest.mark.parametrize("shapes", [
    [(), (2,), (2, 3)], [(2, 2)], [(0, 2), (2, 0), (0,)], [(3, 1), (1, 3), ()], [],
])
def test_block_diag(shapes):
    arrays = [make_array(s, np.float64, seed=i) for i, s in enumerate(shapes)]
    check_op(lambda lib, *ts: lib.block_diag(*ts), arrays)
    # Mixed dtypes promote; the gradients come back in each input's dtype.
    mixed = [a.astype(np.float32) if i % 2 else a for i, a in enumerate(arrays)]
    check_op(lambda lib, *ts: lib.block_diag(*ts), mixed, rtol=1e-5, atol=1e-6)
    ints = [a.astype(np.int64) for a in arrays]
    check_op(lambda lib, *ts: lib.block_diag(*ts), ints)
    if shapes:
        assert _grad_fn(lambda lib, *ts: lib.block_diag(*ts), *arrays) == \
            ["BlockDiagBackward0"] * 2


@pytest.mark.parametrize("call", [
    lambda lib: lib.block_diag(lib.ones(2, 2, 2)),
    lambda lib: lib.block_diag([lib.ones(2)]),
    lambda lib: lib.block_diag(lib.ones(2), 3),
])
def test_block_diag_errors(call):
    t, e = first_errors(call)
    assert e == t


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("n", [0, 1, 3, 4])
def test_combinations(dtype, n):
    a = make_array((n,), dtype)
    for r in (0, 1, 2, 3):
        for w in (False, True):
            check_op(lambda lib, x, r=r, w=w: lib.combinations(x, r, with_replacement=w), [a])
    if dtype == np.float64 and n:
        assert _grad_fn(lambda lib, x: lib.combinations(x), a) == ["StackBackward0"] * 2


@pytest.mark.parametrize("call", [
    lambda lib: lib.combinations(lib.ones(2, 2)),
    lambda lib: lib.combinations(lib.ones(2), -1),
    lambda lib: lib.combinations(lib.tensor(1.0)),
])
def test_combinations_errors(call):
    t, e = first_errors(call)
    assert e == t


def test_namespace_and_methods():
    # Each function is in the namespace, and a Tensor method exactly where torch has one.
    names = ("quantile nanquantile std_mean var_mean cummax cummin logcumsumexp "
             "cosine_similarity pairwise_distance dist cov corrcoef logspace ravel isin "
             "signbit copysign heaviside deg2rad rad2deg gcd lcm frexp ldexp positive "
             "is_nonzero is_same_size is_signed diagflat block_diag cartesian_prod "
             "combinations unravel_index vsplit hsplit dsplit row_stack trapezoid trapz "
             "cumulative_trapezoid").split()
    for n in names:
        assert hasattr(ember, n), n
        assert hasattr(ember.Tensor, n) == hasattr(torch.Tensor, n), n


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("shape", [(3, 3), (7,), (), (0,), (0, 3), (2, 3, 2)])
def test_unique_consecutive(dtype, shape):
    a = np.asarray(np.round(make_array(shape, np.float64) / 2), dtype=dtype)
    if len(shape) > 1 and a.size:
        a[1] = a[0]  # repeated slices along dim 0
    n = len(shape)
    for dim in [None, *range(-n, n)] if n else [None, 0, -1]:
        for inv in (False, True):
            for cnt in (False, True):
                check_op(lambda lib, x, d=dim, i=inv, c=cnt: lib.unique_consecutive(
                    x, return_inverse=i, return_counts=c, dim=d), [a], grad=False)
                check_op(lambda lib, x, d=dim, i=inv, c=cnt: x.unique_consecutive(
                    i, c, d), [a], grad=False)


def test_unique_consecutive_graph_and_errors():
    x = np.array([1.0, np.nan, np.nan, 2.0, 2.0])
    check_op(lambda lib, t: lib.unique_consecutive(t, return_counts=True), [x], grad=False)
    for dim in (None, 0):
        names, errors = [], []
        for lib in (torch, ember):
            t = lib.ones(3, 2, requires_grad=True)
            out = lib.unique_consecutive(t, dim=dim)
            names.append(type(out.grad_fn).__name__)
            with pytest.raises(NotImplementedError) as info:
                out.sum().backward()
            errors.append(str(info.value))
        assert names[0] == names[1] and errors[0] == errors[1]
    for call in (lambda lib: lib.unique_consecutive(lib.ones(2, 2), dim=3),
                 lambda lib: lib.unique_consecutive(lib.ones(2, 0), dim=0)):
        t, e = first_errors(call)
        assert e == t
