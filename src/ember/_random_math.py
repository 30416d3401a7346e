"""Floating-point kernels that reproduce the exact bits of torch's CPU random transforms.

torch's Box-Muller for float32 runs through the Cephes-style polynomials of ATen's
``avx_mathfun.h`` (``log256_ps`` and ``sincos256_ps``), compiled with fused
multiply-add contraction; float64 paths call the C library's ``log``, ``log1p``,
``sin`` and ``cos`` and use ``std::fma``. NumPy has no fused multiply-add and its own
transcendental functions differ from the C library's by an ulp now and then, so this
module emulates both exactly:

* ``fma_f32`` rounds ``a * b + c`` once, to float32, by computing in float64 (the
  product of two float32 values is exact there) and repairing the rare double
  rounding;
* ``fma_f64`` does the same for float64 with error-free transformations;
* ``libm_log`` and friends give the C library's own results.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    from fractions import Fraction

__all__ = [
    "fma_f32", "fma_f32_wide", "fma_f64", "libm_exp", "libm_log", "libm_log1p", "libm_sin",
    "libm_cos",
    "libm_tanh",
    "box_muller_f32", "box_muller_f64",
]

_F32 = np.float32
_F64 = np.float64

# Elements per step of the float32 kernels: small enough for the temporaries to stay in
# cache, large enough to amortise NumPy's per-call overhead.
_CHUNK = 1 << 15

# ---------------------------------------------------------------------------------------
# Fused multiply-add
# ---------------------------------------------------------------------------------------

# A float64 whose low 29 mantissa bits are 1 followed by zeros lies exactly halfway
# between two float32 values: only there can rounding first to float64 and then to
# float32 differ from rounding once (for float32 results above the subnormal range).
_MID_MASK = np.uint64((1 << 29) - 1)
_MID_BITS = np.uint64(1 << 28)
_TINY32 = 2.0**-126
_U64_35 = np.uint64(35)
_MID_SHIFTED = np.uint64(1 << 63)
_ABS32 = np.uint32(0x7FFFFFFF)
_MIN_NORMAL32 = np.uint32(0x00800000)


def _round_f32(exact: Fraction) -> np.float32:
    """Round a rational to the nearest float32, ties to even."""
    from fractions import Fraction  # only the rare exact paths need it, not `import ember`

    guess = _F32(float(exact))
    if not np.isfinite(guess):
        return guess
    down = np.nextafter(guess, _F32(-np.inf))
    up = np.nextafter(guess, _F32(np.inf))
    finite = [v for v in (down, guess, up) if np.isfinite(v)]
    return min(finite, key=lambda v: (abs(Fraction(float(v)) - exact),
                                      int(np.array(v).view(np.uint32)) & 1))


def _fma32_d(a: np.ndarray, b, c, tiny: bool = True) -> np.ndarray:
    """fma on arrays holding float32 values (float32 or float64 arrays); returns float32
    (at least 1-d).

    ``tiny=False`` skips the check for float32 subnormal results, for callers whose
    values cannot get there.
    """
    p = np.atleast_1d(np.multiply(a, b, dtype=_F64))   # exact
    r = p + c
    out = r.astype(_F32)
    # (The low 29 bits of the float64 sum are those float32 drops: a midpoint has 1 and 28
    # zeros there.)
    mid = np.flatnonzero(np.left_shift(r.view(np.uint64), _U64_35) == _MID_SHIFTED)
    if mid.size:
        # On a float32 midpoint: an exact tie rounds right; otherwise step one float64
        # ulp towards the exact sum first (its error term, by Knuth's TwoSum).
        pm = np.broadcast_to(p, r.shape).flat[mid]
        cm = np.broadcast_to(c, r.shape).flat[mid]
        rm = r.flat[mid]
        bb = rm - pm
        err = (pm - (rm - bb)) + (cm - bb)
        off = err != 0
        rm[off] = np.nextafter(rm[off], np.copysign(np.inf, err[off]))
        out.flat[mid] = rm.astype(_F32)
    if tiny:
        # Sums in float32's subnormal range round coarser: found from the float32 results
        # at most float32's smallest normal in magnitude (a sum just below it rounds up to
        # it), then kept where the float64 sum is below it and not 0.
        low = np.flatnonzero((out.view(np.uint32) & _ABS32) <= _MIN_NORMAL32)
        if low.size:
            low = low[(r.flat[low] != 0) & (np.abs(r.flat[low]) < _TINY32)]
        if low.size:
            from fractions import Fraction

            ab, bb_, cb = np.broadcast_arrays(a, b, c)
            for i in low:
                exact = Fraction(float(ab.flat[i])) * Fraction(float(bb_.flat[i]))
                exact += Fraction(float(cb.flat[i]))
                out.flat[i] = _round_f32(exact)
    return out


def fma_f32_wide(a: np.ndarray, b: np.ndarray, c: np.ndarray, tiny: bool = True
                 ) -> np.ndarray:
    """fma_f32 on float64 arrays of one shape that hold float32 values, for loops that keep
    their state in float64 between steps (no conversions on the way in): the float32
    result. ``tiny=False`` as for _fma32_d."""
    return _fma32_d(a, b, c, tiny).reshape(np.shape(a))


def fma_f32(a, b, c) -> np.ndarray:
    """``a * b + c`` on float32 values with a single rounding, like ``fmaf``."""
    # float32 operands: the kernel's float64 arithmetic widens them as it reads them.
    a32, b32, c32 = np.asarray(a, _F32), np.asarray(b, _F32), np.asarray(c, _F32)
    shape = np.broadcast_shapes(a32.shape, b32.shape, c32.shape)
    return _fma32_d(a32, b32, c32).reshape(shape)


_SPLIT = _F64(134217729.0)  # 2**27 + 1, Veltkamp's splitting constant


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = a + b
    bb = s - a
    err = (a - (s - bb)) + (b - bb)
    return s, err


def fma_f64(a, b, c) -> np.ndarray:
    """``a * b + c`` on float64 values with a single rounding, like ``std::fma``."""
    a, b, c = (np.asarray(v, _F64) for v in (a, b, c))
    a, b, c = np.broadcast_arrays(a, b, c)
    with np.errstate(all="ignore"):
        p = a * b
        # Dekker's product: p + ep == a * b exactly (away from overflow and underflow).
        t = _SPLIT * a
        ah = t - (t - a)
        al = a - ah
        t = _SPLIT * b
        bh = t - (t - b)
        bl = b - bh
        ep = ((ah * bh - p) + ah * bl + al * bh) + al * bl
        s, es = _two_sum(p, c)          # p + c == s + es
        t, et = _two_sum(es, ep)        # es + ep == t + et
        r, er = _two_sum(s, t)          # s + t == r + er; exact total is r + er + et
        # r is the correctly rounded total unless er + et reaches half an ulp of r.
        half_ulp = 0.5 * np.spacing(np.nextafter(np.abs(r), 0))
        risky = (et != 0) & (np.abs(er) + np.abs(et) >= 0.999 * half_ulp)
        ap, ab_, ac = np.abs(p), np.abs(a), np.abs(b)
        unsafe = (ap > 2.0**1000) | (ab_ > 2.0**995) | (ac > 2.0**995) | (
            (ap < 2.0**-960) & (a != 0) & (b != 0)) | (np.abs(c) > 2.0**1000)
        plain = a * b + c
        finite = np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
    # An exact zero takes its sign from IEEE addition, which the plain evaluation gets
    # right (the product is then exact); the error terms above would lose it.
    out = np.atleast_1d(np.where(finite & ~unsafe & (r != 0), r, plain))
    slow = finite & (risky | unsafe)
    if slow.any():
        from fractions import Fraction
    for i in np.flatnonzero(slow):
        exact = Fraction(float(a.flat[i])) * Fraction(float(b.flat[i]))
        exact += Fraction(float(c.flat[i]))
        if exact == 0:
            continue  # the plain evaluation already has the right signed zero
        try:
            out.flat[i] = float(exact)
        except OverflowError:
            out.flat[i] = math.copysign(math.inf, exact)
    return out.reshape(a.shape)


# ---------------------------------------------------------------------------------------
# The C library's double functions
# ---------------------------------------------------------------------------------------

# The C library's transcendental functions are not correctly rounded (log1p in particular
# is only faithful), so nothing cheaper predicts their last bit: each element goes to the
# C library through Python's math module, which calls it directly.


def _safe(fn: Callable[[float], float], at_pole: float) -> Callable[[float], float]:
    """``fn`` returning what C returns where Python raises instead."""
    def call(v: float) -> float:
        try:
            return fn(v)
        except ValueError:
            return -math.inf if v == at_pole else math.nan
    return call


def _c_map(fn: Callable[[float], float], pole: float, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, _F64)
    values = x.ravel().tolist()
    try:
        out = np.fromiter(map(fn, values), _F64, len(values))
    except ValueError:
        out = np.fromiter(map(_safe(fn, pole), values), _F64, len(values))
    return out.reshape(x.shape)


def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:  # C's exp overflows to inf
        return math.inf


def libm_exp(x: np.ndarray) -> np.ndarray:
    """The C library's ``exp`` applied elementwise to a float64 array."""
    return _c_map(_exp, math.nan, x)


def libm_tanh(x: np.ndarray) -> np.ndarray:
    """The C library's ``tanh`` applied elementwise to a float64 array."""
    return _c_map(math.tanh, math.nan, x)


def libm_log(x: np.ndarray) -> np.ndarray:
    """The C library's ``log`` applied elementwise to a float64 array."""
    return _c_map(math.log, 0.0, x)


def libm_log1p(x: np.ndarray) -> np.ndarray:
    """The C library's ``log1p`` applied elementwise to a float64 array."""
    return _c_map(math.log1p, -1.0, x)


def libm_sin(x: np.ndarray) -> np.ndarray:
    """The C library's ``sin`` applied elementwise to a float64 array."""
    return _c_map(math.sin, math.nan, x)


def libm_cos(x: np.ndarray) -> np.ndarray:
    """The C library's ``cos`` applied elementwise to a float64 array."""
    return _c_map(math.cos, math.nan, x)


def libm_tan(x: np.ndarray) -> np.ndarray:
    """The C library's ``tan`` applied elementwise to a float64 array."""
    return _c_map(math.tan, math.nan, x)


# ---------------------------------------------------------------------------------------
# avx_mathfun.h, float32, with the contractions GCC makes
# ---------------------------------------------------------------------------------------

_SQRTHF = _F32(0.707106781186547524)
_LOG_P = [_F64(_F32(v)) for v in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]
_LOG_Q1 = _F32(-2.12194440e-4)
_LOG_Q2 = _F32(0.693359375)


def _log_ps(x: np.ndarray) -> np.ndarray:
    """``log256_ps`` for x in (0, 1] (no NaN or denormal handling needed here)."""
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F32) + _F32(1)
    m = ((bits & ~np.int32(0x7F800000)) | np.int32(0x3F000000)).view(_F32)  # in [0.5, 1)
    small = m < _SQRTHF
    # x < SQRTHF: e -= 1, x = 2x - 1; else x = x - 1 (both exact).
    e = e - small.astype(_F32)
    xm = (m - _F32(1)) + np.where(small, m, _F32(0))
    z = xm * xm
    x64 = xm.astype(_F64)
    # Horner steps: y = fma(y, x, p). Every product and sum here fits in 53 bits, so the
    # float64 result is exact and a single cast rounds like fmaf.
    y = (_LOG_P[0] * x64 + _LOG_P[1]).astype(_F32)
    for p in _LOG_P[2:]:
        y = (y.astype(_F64) * x64 + p).astype(_F32)
    y = y * xm
    # y = y * z + e * q1, contracted into one fma.
    y = _fma32_d(y.astype(_F64), z.astype(_F64), (e * _LOG_Q1).astype(_F64), tiny=False)
    y = y - z * _F32(0.5)             # z * 0.5 is exact, so contraction cannot change it
    out = xm + y
    return out + e * _LOG_Q2          # e * q2 is exact (small integer times 9 bits)


_DP1 = _F32(-0.78515625)
_DP2 = _F32(-2.4187564849853515625e-4)
_DP3 = _F32(-3.77489497744594108e-8)
_SIN_P = [_F64(_F32(v)) for v in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_COS_P = [_F64(_F32(v)) for v in (2.443315711809948e-005, -1.388731625493765e-003,
                                  4.166664568298827e-002)]
_FOPI = _F32(1.27323954473516)


def _sincos_ps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sincos256_ps`` for x >= 0 (here x = 2 pi k 2**-24: no subnormals arise)."""
    j = (x * _FOPI).astype(np.int32)          # truncation, like cvttps
    j = (j + 1) & ~np.int32(1)
    y = j.astype(_F32)
    sign_sin = ((j & 4) << 29).view(np.uint32)
    poly = (j & 2) == 0
    sign_cos = ((~(j - 2) & 4) << 29).view(np.uint32)
    # Extended precision reduction: x = ((x + y*DP1) + y*DP2) + y*DP3, each an fma.
    y64 = y.astype(_F64)
    x = _fma32_d(y64, _F64(_DP1), x.astype(_F64), tiny=False)
    x = _fma32_d(y64, _F64(_DP2), x.astype(_F64), tiny=False)
    x = _fma32_d(y64, _F64(_DP3), x.astype(_F64), tiny=False)
    z = x * x
    z64 = z.astype(_F64)
    half_z = (z * _F32(0.5)).astype(_F64)
    yc = _fma32_d(_F64(_COS_P[0]), z64, _COS_P[1], tiny=False)
    yc = _fma32_d(yc.astype(_F64), z64, _COS_P[2], tiny=False)
    yc = yc * z
    yc = _fma32_d(yc.astype(_F64), z64, -half_z, tiny=False) + _F32(1)
    ys = _fma32_d(_F64(_SIN_P[0]), z64, _SIN_P[1], tiny=False)
    ys = _fma32_d(ys.astype(_F64), z64, _SIN_P[2], tiny=False)
    ys = ys * z
    x64 = x.astype(_F64)
    ys = _fma32_d(ys.astype(_F64), x64, x64, tiny=False)
    s = np.where(poly, ys, yc)
    c = np.where(poly, yc, ys)
    s = (s.view(np.uint32) ^ sign_sin).view(_F32)
    c = (c.view(np.uint32) ^ sign_cos).view(_F32)
    return s, c


_TWO_PI_F32 = _F32(2.0 * math.pi)


def box_muller_f32(u: np.ndarray, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """torch's AVX2 ``normal_fill_16`` over float32 uniforms, 16 at a time.

    Each block of 16 pairs element j with j + 8: radius = sqrt(-2 log(1 - u[j])),
    theta = 2 pi u[j + 8]; out[j] = radius cos(theta) * std + mean and
    out[j + 8] = radius sin(theta) * std + mean.
    """
    blocks = np.asarray(u, _F32).reshape(-1, 16)
    out = np.empty_like(blocks)
    mean32, std32 = _F32(mean), _F32(std)
    step = max(1, _CHUNK // 16)
    for start in range(0, blocks.shape[0], step):
        part = blocks[start:start + step]
        u1 = _F32(1) - part[:, :8]
        theta = _TWO_PI_F32 * part[:, 8:]
        radius = np.sqrt(_F32(-2) * _log_ps(u1.ravel()))
        s, c = _sincos_ps(theta.ravel())
        n1 = radius * c
        n2 = radius * s
        if std32 == 1 and mean32 == 0:
            # fma(n, 1, 0) is n + 0: exact except that -0 becomes +0.
            n1 = n1 + _F32(0)
            n2 = n2 + _F32(0)
        else:
            n1 = fma_f32(n1, std32, mean32)
            n2 = fma_f32(n2, std32, mean32)
        dst = out[start:start + step]
        dst[:, :8] = n1.reshape(-1, 8)
        dst[:, 8:] = n2.reshape(-1, 8)
    return out.reshape(np.shape(u))


def box_muller_f64(u: np.ndarray, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """torch's scalar ``normal_fill_16`` over float64 uniforms, 16 at a time."""
    blocks = np.asarray(u, _F64).reshape(-1, 16)
    radius = np.sqrt(-2.0 * libm_log(1.0 - blocks[:, :8]))
    theta = (2.0 * math.pi) * blocks[:, 8:]
    n1 = radius * libm_cos(theta)
    n2 = radius * libm_sin(theta)
    if std == 1 and mean == 0:
        n1 = n1 + 0.0
        n2 = n2 + 0.0
    else:
        n1 = fma_f64(n1, std, mean)
        n2 = fma_f64(n2, std, mean)
    return np.concatenate([n1, n2], axis=1).reshape(np.shape(u))
