"""Bit-exact agreement with torch's CPU kernels: SLEEF's exp/log1p (as log_sigmoid, log1p and
silu use them), torch's summation order, and binary_cross_entropy_with_logits built on both.

torch.exp itself goes to MKL's vector math at every size, not to SLEEF, so SLEEF's exp is
checked through silu, whose vectorised kernel is x / (1 + exp(-x)) with SLEEF's exp.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.ops import _sleef
from ember.ops._cascade import cascade_sum
from ember.ops.nn_activation import _log_sigmoid_np as _log_sigmoid
from helpers import assert_same

F32, F64 = np.float32, np.float64
UINT = {F32: np.uint32, F64: np.uint64}
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, -0.5, 1e-30, -1e-30, 88.0, -88.0,
           89.0, -103.9, -104.0, -104.1, 100.0, 100.1, 709.0, 710.0, -745.0, -1000.0, -1001.0,
           1000.0, 1e30, -1e30, 1e38, 2e38, 3e38, 1e300, 1e307, 1.5e308]


def _bits(a: np.ndarray) -> np.ndarray:
    """Bit patterns, with every NaN made the same (torch and SLEEF may differ in payload)."""
    a = np.array(a, copy=True)
    a[np.isnan(a)] = np.nan
    return a.view(UINT[a.dtype.type])


def _assert_bits(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(_bits(got), _bits(want))


def _sample(dtype: type, n: int, seed: int) -> np.ndarray:
    """Random bit patterns (every exponent, subnormals, NaNs), logits of every magnitude
    and the special values."""
    rng = np.random.default_rng(seed)
    u = UINT[dtype]
    raw = rng.integers(0, np.iinfo(u).max, n // 2, dtype=u, endpoint=True).view(dtype)
    typical = (rng.standard_normal(n // 2) * 10 ** rng.uniform(-8, 3, n // 2)).astype(dtype)
    with np.errstate(over="ignore"):
        special = np.array(SPECIAL, dtype=dtype)
    return np.concatenate([special, raw, typical])


def _sleef_pair(dtype: type):
    return (_sleef.expf, _sleef.log1pf) if dtype is F32 else (_sleef.exp, _sleef.log1p)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_exp_through_silu(dtype):
    x = _sample(dtype, 20000, 1)
    exp, _ = _sleef_pair(dtype)
    with np.errstate(all="ignore"):
        ours = x / (dtype(1) + exp(-x))
    _assert_bits(ours, torch.nn.functional.silu(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("dtype", [F32, F64])
def test_log1p(dtype):
    x = _sample(dtype, 20000, 2)
    _, log1p = _sleef_pair(dtype)
    _assert_bits(log1p(x), torch.log1p(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("dtype", [F32, F64])
def test_log1p_beyond_its_range_uses_log(dtype):
    # Above 1e38 (float) or 1e307 (double) SLEEF's log1p answers with its own log.
    top = 3.4e38 if dtype is F32 else 1.79e308
    lo = 1e38 if dtype is F32 else 1e307
    x = np.exp(np.random.default_rng(3).uniform(np.log(lo), np.log(top), 4000)).astype(dtype)
    _, log1p = _sleef_pair(dtype)
    _assert_bits(log1p(x), torch.log1p(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("n", [1, 3, 16, 33, 20000])
def test_logsigmoid(dtype, n):
    x = _sample(dtype, 20000, 4)[:n]
    _assert_bits(_log_sigmoid(x), torch.nn.functional.logsigmoid(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("n", [1, 3, 7, 16, 33, 20000])
def test_expm1_float64(n):
    # torch's float64 expm1 is SLEEF's on every element, the last partial vector included;
    # the values of the exp overflow and of the -1 saturation are the edges of its range.
    x = np.concatenate([_sample(F64, 20000, 5), np.random.default_rng(5).uniform(-40, 710, 4000),
                        [709.782712893383, 709.782712893384, -36.7368005696771, -36.7368005696772]])
    x = x[:n] if n < 20000 else x
    e = ember.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    ye, yt = ember.expm1(e), torch.expm1(t)
    _assert_bits(ye.detach().numpy(), yt.detach().numpy())
    ye.sum().backward()
    yt.sum().backward()
    _assert_bits(e.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("name", ["sinh", "cosh"])
def test_hyperbolic_overflow_follows_the_vector_width(name):
    # SLEEF overflows to inf from |x| > 709.78, the C library only past 710.47: which elements
    # torch vectorizes (whole blocks of two vectors, 64 or 32 bytes each by the CPU) shows.
    for n in range(1, 40):
        x = np.full(n, 710.0)
        _assert_bits(getattr(ember, name)(ember.tensor(x)).numpy(),
                     getattr(torch, name)(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("n", [1, 5, 16, 17, 33, 20000])
def test_mish_float64(n):
    # x * tanh(log1p(exp(x))): SLEEF's exp, log1p and tanh on whole vector blocks, the C
    # library's on the tail.
    x = np.concatenate([_sample(F64, 20000, 6), np.random.default_rng(6).uniform(-800, 30, 4000)])
    x = x[:n] if n < 20000 else x
    _assert_bits(ember.nn.functional.mish(ember.tensor(x)).numpy(),
                 torch.nn.functional.mish(torch.from_numpy(x)).numpy())


def test_fma_rounds_once():
    rng = np.random.default_rng(5)
    n = 400
    a = (rng.standard_normal(n) * 2.0 ** rng.integers(-60, 20, n)).astype(F32)
    b = (rng.standard_normal(n) * 2.0 ** rng.integers(-60, 20, n)).astype(F32)
    # c close to -a*b: cancellation and ties are where a double rounding would show
    c = (-(a.astype(F64) * b) * (1 + rng.choice([0, 2.0**-24, -(2.0**-25), 3 * 2.0**-25], n)))
    c = c.astype(F32)
    got = _sleef._fma32(a, b, c)
    for x, y, z, r in zip(a, b, c, got):
        exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        near = np.float32(float(exact))
        cands = [near, np.nextafter(near, F32(-np.inf)), np.nextafter(near, F32(np.inf))]
        best = min(cands, key=lambda v: (abs(Fraction(float(v)) - exact),
                                         int(np.array(v).view(np.uint32)) & 1))
        assert r == best, (x, y, z)
    a = rng.standard_normal(n) * 2.0 ** rng.integers(-400, 400, n)
    b = rng.standard_normal(n) * 2.0 ** rng.integers(-400, 400, n)
    c = -(a * b) * (1 + rng.choice([0, 2.0**-53, -(2.0**-52), 2.0**-30], n))
    got = _sleef._fma64(a, b, c)
    for x, y, z, r in zip(a, b, c, got):
        assert r == float(Fraction(x) * Fraction(y) + Fraction(z)), (x, y, z)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_sum_order(dtype):
    rng = np.random.default_rng(6)
    sizes = list(range(0, 1001, 7)) + [8, 15, 16, 17, 64, 255, 256, 257, 4097, 32767, 32768,
                                       32769, 65537, 100000]
    for n in sizes:
        x = (rng.standard_normal(n) * np.exp(rng.uniform(-3, 3, n))).astype(dtype)
        want = torch.from_numpy(x).sum().numpy()
        _assert_bits(cascade_sum(x, torch.get_num_threads()), want)


def _bce_case(data, dtype):
    n = data.draw(st.integers(1, 300))
    two_d = data.draw(st.booleans())
    shape = (n // 3 + 1, 3) if two_d else (n,)
    size = int(np.prod(shape))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mags = 10 ** rng.uniform(-8, 3, size)
    x = (rng.choice([-1.0, 1.0], size) * mags).reshape(shape).astype(dtype)
    t = rng.uniform(0, 1, shape).astype(dtype)
    if data.draw(st.booleans()):
        t = np.round(t)
    kw = {}
    if data.draw(st.booleans()):
        kw["weight"] = rng.uniform(0, 2, shape[-1:] if data.draw(st.booleans()) else shape)
    if data.draw(st.booleans()):
        kw["pos_weight"] = rng.uniform(0, 3, shape[-1:])
    kw = {k: v.astype(dtype) for k, v in kw.items()}
    return x, t, kw


@pytest.mark.parametrize("dtype", [F32, F64])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_bce_with_logits_bit_exact(dtype, data):
    x, t, kw = _bce_case(data, dtype)
    for reduction in ("none", "mean", "sum"):
        want = torch.nn.functional.binary_cross_entropy_with_logits(
            torch.from_numpy(x), torch.from_numpy(t), reduction=reduction,
            **{k: torch.from_numpy(v) for k, v in kw.items()})
        got = ember.nn.functional.binary_cross_entropy_with_logits(
            ember.from_numpy(x), ember.from_numpy(t), reduction=reduction,
            **{k: ember.from_numpy(v) for k, v in kw.items()})
        _assert_bits(got.numpy(), want.numpy())


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("n", [1, 31, 4097, 100000])
def test_bce_with_logits_large(dtype, n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 10 ** rng.uniform(-8, 3, n)).astype(dtype)
    x[: min(n, 4)] = [1000, -1000, 0, -0.0][: min(n, 4)]
    t = rng.uniform(0, 1, n).astype(dtype)
    w = rng.uniform(0, 2, n).astype(dtype)
    for reduction in ("mean", "sum"):
        want = torch.nn.functional.binary_cross_entropy_with_logits(
            torch.from_numpy(x), torch.from_numpy(t), torch.from_numpy(w), reduction=reduction)
        got = ember.nn.functional.binary_cross_entropy_with_logits(
            ember.from_numpy(x), ember.from_numpy(t), ember.from_numpy(w), reduction=reduction)
        _assert_bits(got.numpy(), want.numpy())


@pytest.mark.parametrize("dtype", [F32, F64])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_bce_with_logits_gradients_close(dtype, data):
    x, t, kw = _bce_case(data, dtype)
    reduction = data.draw(st.sampled_from(["none", "mean", "sum"]))
    outs = []
    for lib, conv in ((torch, torch.from_numpy), (ember, ember.from_numpy)):
        xi, ti = conv(x.copy()).requires_grad_(), conv(t.copy()).requires_grad_()
        loss = lib.nn.functional.binary_cross_entropy_with_logits(
            xi, ti, reduction=reduction, **{k: conv(v) for k, v in kw.items()})
        loss.sum().backward()
        outs.append((xi.grad, ti.grad))
    for e, tt in zip(outs[1], outs[0]):
        assert_same(e, tt)


def test_integer_logits_error():
    x = np.arange(3)
    with pytest.raises(NotImplementedError) as want:
        torch.nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(x),
                                                             torch.from_numpy(x))
    with pytest.raises(NotImplementedError) as got:
        ember.nn.functional.binary_cross_entropy_with_logits(ember.from_numpy(x),
                                                             ember.from_numpy(x))
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_tutorial_first_cell_loss_text(seed):
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((5, 3)).astype(F32)
    b0 = rng.standard_normal(3).astype(F32)
    texts, grads = [], []
    for lib in (torch, ember):
        x = lib.ones(5)
        y = lib.zeros(3)
        w = lib.from_numpy(w0.copy()).requires_grad_(True)
        b = lib.from_numpy(b0.copy()).requires_grad_(True)
        z = lib.matmul(x, w) + b
        loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y)
        texts.append(f"Loss: {loss}")
        loss.backward()
        grads.append((w.grad, b.grad))
    assert texts[1] == texts[0]
    for e, t in zip(grads[1], grads[0]):
        assert_same(e, t)


def test_cpu_capability_is_torchs():
    # The block width of the unary kernels (and so which elements SLEEF computes) follows it.
    assert _sleef.CPU_CAPABILITY == torch.backends.cpu.get_cpu_capability().lower()


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("name", ["sinh", "cosh"])
def test_hyperbolic_overflow_follows_the_blocks(name, dtype):
    # Between ln(max) and ln(2 max) SLEEF's sinh/cosh give inf, the C library's a finite value:
    # which one torch gives depends on where the element falls against the vector blocks.
    big = 89.0 if dtype is F32 else 710.0
    for n in [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 64, 65]:
        for i in sorted({0, n // 2, n - 1}):
            x = np.zeros(n, dtype)
            x[i] = big
            want = getattr(torch, name)(torch.from_numpy(x)).numpy()
            np.testing.assert_array_equal(getattr(_sleef, name)(x), want)


@pytest.mark.parametrize("name", ["sinh", "cosh"])
@pytest.mark.parametrize("n", [1, 7, 8, 23, 20000])
def test_hyperbolic_double(name, n):
    # SLEEF's double-double sinh/cosh on the vector blocks, the C library's on the tail.
    x = _sample(F64, 20000, 7)[:n]
    _assert_bits(getattr(_sleef, name)(x), getattr(torch, name)(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("n", [1, 9, 20000])
def test_tanh_through_mish(n):
    # torch.tanh itself is not SLEEF's; mish's vectorised kernel is x * tanh(log1p(exp(x)))
    # with SLEEF's three.
    x = _sample(F64, 20000, 8)[:n]
    want = torch.nn.functional.mish(torch.from_numpy(x)).numpy()
    _assert_bits(ember.nn.functional.mish(ember.from_numpy(x)).numpy(), want)
