"""SLEEF's vector math on NumPy arrays, bit for bit.

torch's CPU kernels call SLEEF (3.8: ``Sleef_expf8_u10``, ``Sleef_log1pf8_u10`` and the ``d4``
double versions where torch runs at AVX2, the ``f16`` and ``d8`` ones at AVX-512; the two
builds compute the same bits, AVX-512's getexp/getmant giving the exponent and mantissa the
AVX2 build finds by integer arithmetic) wherever they use
``Vectorized<T>::exp()``, ``expm1()`` or ``log1p()``: log_sigmoid, softplus, silu, log1p,
float64 expm1 among others (but
not torch.exp, which goes to MKL's vector math at every size). These functions
are not correctly rounded, so NumPy's exp/log1p differ from them in the last bit about half
the time. This module replays SLEEF's algorithms step by step: the same range reductions,
polynomials (Horner or Estrin, as SLEEF writes them), double-float arithmetic and special-case
selects, with every fused multiply-add rounded once, as the hardware does.

A float32 FMA is exact in float64 (the product of two floats fits in 48 bits) apart from the
final rounding of the sum, which is corrected where float64 rounding landed exactly on a
float32 tie. A float64 FMA uses an exact product (Veltkamp/Dekker) and Boldo-Melquiond's
round-to-odd addition, which rounds the three-term sum correctly.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ._ranges import _block_starts

__all__ = ["expf", "log1pf", "exp", "expm1", "log1p", "sinh", "cosh", "tanh", "cpu_features"]

_f32 = np.float32
_f64 = np.float64
_i32 = np.int32
_i64 = np.int64
_u32 = np.uint32
_u64 = np.uint64


# ---------------------------------------------------------------------------------------------
# Fused multiply-add with a single rounding.

def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fma32(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """float32 a*b + c, rounded once."""
    s = np.asarray(np.multiply(a, b, dtype=_f64))  # an array even for 0-d operands
    s += c
    r = s.astype(_f32)
    # s is the float64 nearest to the exact sum (the product is exact); rounding it again to
    # float32 can only go wrong where s lies exactly halfway between two floats: low 29 bits
    # 1000...0 for normal floats, or anywhere in the float32 subnormal range.
    bits = s.view(_u64)
    # Typed masks: NumPy 1.x casts a 0-d uint64 with a Python int to float64.
    risky = ((bits & _u64(0x1FFFFFFF)) == _u64(0x10000000)) | \
        ((bits & _u64(0x7FF0000000000000)) < _u64(_TINY32))
    if risky.any():
        i = risky & (s != 0)  # a mask, not nonzero(), which 0-d arrays refuse
        a, b, c = np.broadcast_arrays(a, b, c)
        r[i] = _fma32_ties(a[i], b[i], c[i])
    return r


_TINY32 = (1023 - 126) << 52


def _fma32_ties(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    p = np.multiply(a, b, dtype=_f64)
    s, e = _two_sum(p, np.asarray(c, _f64))
    r = s.astype(_f32)
    r64 = r.astype(_f64)
    d = s - r64
    other = np.nextafter(r, np.where(d > 0, _f32(np.inf), _f32(-np.inf)))
    tie = (d != 0) & (e != 0) & ((r64 + other.astype(_f64)) * 0.5 == s)
    return np.where(tie & ((d > 0) == (e > 0)), other, r)


_SPLITTER = 134217729.0  # 2**27 + 1
_BIG = 2.0 ** 995


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    big = np.abs(a) > _BIG
    if big.any():
        a = np.where(big, a * 2.0 ** -60, a)
    c = _SPLITTER * a
    hi = c - (c - a)
    lo = a - hi
    if big.any():
        hi = np.where(big, hi * 2.0 ** 60, hi)
        lo = np.where(big, lo * 2.0 ** 60, lo)
    return hi, lo


def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _round_odd_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b rounded to odd: an inexact sum takes the neighbour whose last bit is 1."""
    s, e = _two_sum(a, b)
    bits = s.view(_i64)
    move = (e != 0) & ((bits & 1) == 0)
    # one step up in magnitude where e has s's sign, one step down where it has the other
    step = move.astype(_i64) - ((move & (np.signbit(e) != np.signbit(s))) << 1)
    return (bits + step).view(_f64)


def _fma64(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """float64 a*b + c, rounded once."""
    a, b, c = np.broadcast_arrays(_f64(a) if np.isscalar(a) else a, b, c)
    uh, ul = _two_prod(a, b)
    th, tl = _two_sum(c, uh)
    z = th + _round_odd_add(tl, ul)
    # Infinities and NaNs, and the sign of an exact zero, are what the plain sum gives.
    plain = (uh == 0) | ~np.isfinite(uh) | ~np.isfinite(c)
    if plain.any():
        z = np.where(plain, uh + c, z)
    return z


# ---------------------------------------------------------------------------------------------
# Instruction helpers (AVX-512's names; exact operations, the same in either build).

def _rint_i32(x: np.ndarray) -> np.ndarray:
    """cvtps2dq / cvtpd2dq: round half to even; NaN and out-of-range give INT_MIN."""
    r = np.rint(x)
    ok = np.abs(r) < 2147483648.0
    return np.where(ok, np.where(ok, r, 0).astype(_i32), _i32(-2147483648))


def _getexp(x: np.ndarray) -> np.ndarray:
    """vgetexp: floor(log2|x|) as a float; 0 -> -inf, inf -> inf, NaN -> NaN."""
    _, e = np.frexp(x)
    r = (e - 1).astype(x.dtype)
    r = np.where(x == 0, x.dtype.type(-np.inf), r)
    r = np.where(np.isinf(x), x.dtype.type(np.inf), r)
    return np.where(np.isnan(x), x, r)


def _getmant(x: np.ndarray) -> np.ndarray:
    """vgetmant(x, [0.75, 1.5), sign -> NaN): 1.0 for +0 and +inf, NaN for negatives."""
    m, _ = np.frexp(x)
    m = m * 2
    m = np.where(m >= 1.5, m * 0.5, m)
    m = np.where((x == 0) | np.isinf(x), x.dtype.type(1), m)
    return np.where(np.signbit(x) | np.isnan(x), x.dtype.type(np.nan), m)


def _fixup_log(r: np.ndarray, d: np.ndarray) -> np.ndarray:
    """vfixupimm with SLEEF's log table: 0 -> -inf, inf -> inf, negatives -> NaN."""
    t = d.dtype.type
    r = np.where(d == 0, t(-np.inf), r)
    r = np.where(d == np.inf, t(np.inf), r)
    return np.where(d < 0, t(np.nan), r)


def _pow2i_f(q: np.ndarray) -> np.ndarray:
    return ((q.astype(_i64) + 0x7F) << 23).astype(_u32).view(_f32)


def _ldexp2_f(d: np.ndarray, e: np.ndarray) -> np.ndarray:
    h = e >> 1
    return d * _pow2i_f(h) * _pow2i_f(e - h)


def _ldexp3_f(d: np.ndarray, q: np.ndarray) -> np.ndarray:
    bits = d.view(_i32).astype(_i64) + (q.astype(_i64) << 23)
    return bits.astype(_u32).view(_f32)


def _pow2i_d(q: np.ndarray) -> np.ndarray:
    hi = ((q.astype(_i64) + 0x3FF) << 20) & 0xFFFFFFFF
    return (hi.astype(_u64) << _u64(32)).view(_f64)


def _ldexp2_d(d: np.ndarray, e: np.ndarray) -> np.ndarray:
    h = e >> 1
    return d * _pow2i_d(h) * _pow2i_d(e - h)


def _ldexp3_d(d: np.ndarray, q: np.ndarray) -> np.ndarray:
    add = ((q.astype(_i64) << 20) & 0xFFFFFFFF).astype(_u64) << _u64(32)
    return (d.view(_u64) + add).view(_f64)


# ---------------------------------------------------------------------------------------------
# Double-float / double-double arithmetic (SLEEF's df.h and dd.h, FMA variants).

def _dd_add(x: np.ndarray, y: np.ndarray):
    rx = x + y
    return rx, (x - rx) + y


def _dd_add_2_1(xx, xy, y):
    rx = xx + y
    return rx, ((xx - rx) + y) + xy


def _dd_add_2_2(xx, xy, yx, yy):
    rx = xx + yx
    return rx, (((xx - rx) + yx) + xy) + yy


def _dd_add2(x, y):
    rx = x + y
    v = rx - x
    return rx, (x - (rx - v)) + (y - v)


def _dd_mul_2_1(fma, xx, xy, y):
    rx = xx * y
    return rx, fma(xy, y, fma(xx, y, -rx))


def _dd_add2_2_1(xx, xy, y):
    rx = xx + y
    v = rx - xx
    return rx, ((xx - (rx - v)) + (y - v)) + xy


def _dd_add_1_2(x, yx, yy):
    rx = x + yx
    return rx, ((x - rx) + yx) + yy


def _dd_add2_2_2(xx, xy, yx, yy):
    rx = xx + yx
    v = rx - xx
    return rx, ((xx - (rx - v)) + (yx - v)) + (xy + yy)


def _dd_sub(xx, xy, yx, yy):
    rx = xx - yx
    return rx, (((xx - rx) - yx) + xy) - yy


def _dd_mul_2_2(fma, xx, xy, yx, yy):
    rx = xx * yx
    return rx, fma(xx, yy, fma(xy, yx, fma(xx, yx, -rx)))


def _dd_squ(fma, xx, xy):
    rx = xx * xx
    return rx, fma(xx + xx, xy, fma(xx, xx, -rx))


def _dd_rec(fma, dx, dy):
    one = dx.dtype.type(1)
    t = one / dx
    return t, t * fma(-dy, t, fma(-dx, t, one))


def _dd_div(fma, nx, ny, dx, dy):
    one = dx.dtype.type(1)
    t = one / dx
    qx = nx * t
    u = fma(t, nx, -qx)
    qy = fma(-dy, t, fma(-dx, t, one))
    return qx, fma(qx, qy, fma(ny, t, u))


# ---------------------------------------------------------------------------------------------
# float32

_R_LN2F = _f32(1.442695040888963407359924681001892137426645954152985934135449406931)
_L2UF = _f32(0.693145751953125)
_L2LF = _f32(1.428606765330187045e-06)
_LN2F_HI = _f32(0.69314718246459960938)
_LN2F_LO = _f32(-1.904654323148236017e-09)
_EXPF_POLY = [_f32(c) for c in (
    0.000198527617612853646278381, 0.00139304355252534151077271,
    0.00833336077630519866943359, 0.0416664853692054748535156,
    0.166666671633720397949219, 0.5)]
_LOGF_POLY = [_f32(c) for c in (0.3027294874, 0.3996108174, 0.6666694880)]


def _as32(x) -> np.ndarray:
    return np.asarray(x, dtype=_f32)


def expf(d) -> np.ndarray:
    """Sleef_expf16_u10: e**d in float32."""
    d = _as32(d)
    with np.errstate(all="ignore"):
        q = _rint_i32(d * _R_LN2F)
        qf = q.astype(_f32)
        s = _fma32(qf, -_L2UF, d)
        s = _fma32(qf, -_L2LF, s)
        u = np.full_like(s, _EXPF_POLY[0])
        for c in _EXPF_POLY[1:]:
            u = _fma32(u, s, c)
        u = _f32(1) + _fma32(s * s, u, s)
        u = _ldexp2_f(u, q)
        u = np.where(d < _f32(-104), _f32(0), u)
        return np.where(d > _f32(100), _f32(np.inf), u)


def _log_tail_f(sx, sy, xx, xy):
    """The end of log1pf: s + 2x + x^3 * poly(x^2), summed to one float."""
    x2 = xx * xx
    t = np.full_like(x2, _LOGF_POLY[0])
    for c in _LOGF_POLY[1:]:
        t = _fma32(t, x2, c)
    sx, sy = _dd_add_2_2(sx, sy, xx * _f32(2), xy * _f32(2))
    sx, sy = _dd_add_2_1(sx, sy, x2 * xx * t)
    return sx + sy


def _logf(d: np.ndarray) -> np.ndarray:
    """Sleef_logf16_u10 (log1pf's answer beyond 1e38)."""
    e = _getexp(d * _f32(1.0 / 0.75))
    e = np.where(e == np.inf, _f32(128), e)
    m = _getmant(d)
    sx, sy = _dd_mul_2_1(_fma32, np.full_like(e, _LN2F_HI), np.full_like(e, _LN2F_LO), e)
    nx, ny = _dd_add2(_f32(-1), m)
    dx, dy = _dd_add2(_f32(1), m)
    xx, xy = _dd_div(_fma32, nx, ny, dx, dy)
    return _fixup_log(_log_tail_f(sx, sy, xx, xy), d)


def log1pf(d) -> np.ndarray:
    """Sleef_log1pf16_u10: log(1 + d) in float32."""
    d = _as32(d)
    with np.errstate(all="ignore"):
        dp1 = d + _f32(1)
        e = _getexp(dp1 * _f32(1.0 / 0.75))
        e = np.where(e == np.inf, _f32(128), e)
        t = _ldexp3_f(np.ones_like(d), -_rint_i32(e).astype(_i64))
        m = _fma32(d, t, t - _f32(1))
        sx, sy = _dd_mul_2_1(_fma32, np.full_like(e, _LN2F_HI), np.full_like(e, _LN2F_LO), e)
        ax, ay = _dd_add(np.full_like(m, _f32(2)), m)
        xx, xy = _dd_div(_fma32, m, np.zeros_like(m), ax, ay)
        r = _log_tail_f(sx, sy, xx, xy)
        big = ~(d <= _f32(1e38))
        if big.any():
            r = np.where(big, _logf(d), r)
        r = np.where(d < _f32(-1), _f32(np.nan), r)
        r = np.where(d == _f32(-1), _f32(-np.inf), r)
        return np.where((d == 0) & np.signbit(d), _f32(-0.0), r)


# ---------------------------------------------------------------------------------------------
# float64

_R_LN2 = 1.442695040888963407359924681001892137426645954152985934135449406931
_L2U = 0.69314718055966295651160180568695068359375
_L2L = 0.28235290563031577122588448175013436025525412068e-12
_LN2_HI = 0.693147180559945286226764
_LN2_LO = 2.319046813846299558417771e-17
_EXP_POLY = (  # c9 .. c0 of SLEEF's POLY10
    0.2081276378237164457e-8, 0.2511210703042288022e-7, 0.2755762628169491192e-6,
    0.2755723402025388239e-5, 0.2480158687479686264e-4, 0.1984126989855865850e-3,
    0.1388888888914497797e-2, 0.8333333333314938210e-2, 0.4166666666666602598e-1,
    0.1666666666666669072e+0)
_LOG_POLY = (  # c6 .. c0 of SLEEF's POLY7
    0.1532076988502701353e+0, 0.1525629051003428716e+0, 0.1818605932937785996e+0,
    0.2222214519839380009e+0, 0.2857142932794299317e+0, 0.3999999999635251990e+0,
    0.6666666666667333541e+0)


def _split_small(a):
    """Veltkamp split of values far from overflow: a == hi + lo, each half 26 bits."""
    c = _SPLITTER * a
    hi = c - (c - a)
    return a, hi, a - hi


def _mla(x, y, c) -> tuple:
    """SLEEF's MLA in a polynomial: x*y + c rounded once. x and y are pre-split (value, hi,
    lo) triples of finite, moderate values; the result comes back split for the next step."""
    a, ah, al = x
    b, bh, bl = y
    p = a * b
    ul = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, p)
    return _split_small(th + _round_odd_add(tl, ul))


def _k(v: float) -> tuple:
    return _split_small(np.float64(v))


def _poly4(x, x2, c3, c2, c1, c0):
    return _mla(x2, _mla(x, _k(c3), np.float64(c2)), _mla(x, _k(c1), np.float64(c0))[0])


def _poly8(x, x2, x4, c):
    return _mla(x4, _poly4(x, x2, *c[:4]), _poly4(x, x2, *c[4:])[0])


def _c(v: float, like: np.ndarray) -> np.ndarray:
    return np.full_like(like, v)


def exp(d) -> np.ndarray:
    """Sleef_expd8_u10: e**d in float64."""
    d = np.asarray(d, dtype=_f64)
    with np.errstate(all="ignore"):
        q = _rint_i32(d * _R_LN2)
        u = q.astype(_f64)
        s = _fma64(u, _c(-_L2U, d), d)
        s = _fma64(u, _c(-_L2L, d), s)
        s2 = s * s
        s4 = s2 * s2
        xs, x2, x4, x8 = (_split_small(v) for v in (s, s2, s4, s4 * s4))
        c = _EXP_POLY
        u = _mla(x8, _mla(xs, _k(c[0]), np.float64(c[1])), _poly8(xs, x2, x4, c[2:])[0])
        u = _mla(u, xs, np.float64(0.5))
        u = _mla(u, xs, np.float64(1.0))
        u = _mla(u, xs, np.float64(1.0))[0]
        u = _ldexp2_d(u, q)
        u = np.where(d > 709.78271114955742909217217426, np.inf, u)
        return np.where(d < -1000, 0.0, u)


def _poly7(x, x2, x4, c):
    p3 = _mla(x2, _k(c[0]), _mla(x, _k(c[1]), np.float64(c[2]))[0])
    return _mla(x4, p3, _poly4(x, x2, *c[3:])[0])[0]


def _log_tail_d(sx, sy, xx, xy):
    """The end of log1p: s + 2x + x^3 * poly(x^2), summed to one double."""
    x2 = xx * xx
    x4 = x2 * x2
    t = _poly7(*(_split_small(v) for v in (x2, x4, x4 * x4)), _LOG_POLY)
    sx, sy = _dd_add_2_2(sx, sy, xx * 2.0, xy * 2.0)
    sx, sy = _dd_add_2_1(sx, sy, x2 * xx * t)
    return sx + sy


def _log(d: np.ndarray) -> np.ndarray:
    """Sleef_logd8_u10 (log1p's answer beyond 1e307)."""
    e = _getexp(d * (1.0 / 0.75))
    e = np.where(e == np.inf, 1024.0, e)
    m = _getmant(d)
    sx, sy = _dd_mul_2_1(_fma64, _c(_LN2_HI, e), _c(_LN2_LO, e), e)
    nx, ny = _dd_add2(-1.0, m)
    dx, dy = _dd_add2(1.0, m)
    xx, xy = _dd_div(_fma64, nx, ny, dx, dy)
    return _fixup_log(_log_tail_d(sx, sy, xx, xy), d)


def log1p(d) -> np.ndarray:
    """Sleef_log1pd8_u10: log(1 + d) in float64."""
    d = np.asarray(d, dtype=_f64)
    with np.errstate(all="ignore"):
        dp1 = d + 1.0
        e = _getexp(dp1 * (1.0 / 0.75))
        e = np.where(e == np.inf, 1024.0, e)
        t = _ldexp3_d(np.ones_like(d), -_rint_i32(e).astype(_i64))
        m = _fma64(d, t, t - 1.0)
        sx, sy = _dd_mul_2_1(_fma64, _c(_LN2_HI, e), _c(_LN2_LO, e), e)
        ax, ay = _dd_add(_c(2.0, m), m)
        xx, xy = _dd_div(_fma64, m, np.zeros_like(m), ax, ay)
        r = _log_tail_d(sx, sy, xx, xy)
        big = ~(d <= 1e307)
        if big.any():
            r = np.where(big, _log(d), r)
        r = np.where(d < -1, np.nan, r)
        r = np.where(d == -1, -np.inf, r)
        return np.where((d == 0) & np.signbit(d), -0.0, r)


# ---------------------------------------------------------------------------------------------
# Which elements torch hands to SLEEF.

def cpu_features() -> dict:
    """The CPU's instruction-set extensions, by NumPy's names ("AVX2": True, ...)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_features__
    return __cpu_features__


def _cpu_capability() -> str:
    """The instruction set torch's CPU kernels run at here, chosen as torch chooses it: the
    ATEN_CPU_CAPABILITY environment variable where it names one, else AVX-512 where the CPU
    has its F, VL, BW and DQ parts and FMA, else AVX2 where it has AVX2 and FMA, else the
    default (scalar) kernels."""
    asked = os.environ.get("ATEN_CPU_CAPABILITY")
    if asked in ("avx512", "avx2", "default"):
        return asked
    has = cpu_features()
    if all(has.get(f) for f in ("AVX512F", "AVX512VL", "AVX512BW", "AVX512DQ", "FMA3")):
        return "avx512"
    if has.get("AVX2") and has.get("FMA3"):
        return "avx2"
    return "default"


CPU_CAPABILITY = _cpu_capability()
# torch's unary kernels take blocks of two vectors of this many bytes to SLEEF and the
# elements after the last whole block to the C library; its default kernels call the C
# library everywhere (0: no block).
UNARY_VECTOR_BYTES = {"avx512": 64, "avx2": 32}.get(CPU_CAPABILITY, 0)


def _vectorized_count(n: int, itemsize: int) -> int:
    """How many of n contiguous elements torch's unary kernel hands to SLEEF."""
    if not UNARY_VECTOR_BYTES:
        return 0
    return _block_starts(n, UNARY_VECTOR_BYTES // itemsize)[2]


# ---------------------------------------------------------------------------------------------
# sinh, cosh and tanh: SLEEF's double-double exp (expk2) of |x|.

_EXPK2_POLY = (  # c9 .. c0 of SLEEF's POLY10
    0.1602472219709932072e-9, 0.2092255183563157007e-8, 0.2505230023782644465e-7,
    0.2755724800902135303e-6, 0.2755731892386044373e-5, 0.2480158735605815065e-4,
    0.1984126984148071858e-3, 0.1388888888886763255e-2, 0.8333333333333347095e-2,
    0.4166666666666669905e-1)


def _expk2(d: np.ndarray) -> tuple:
    """e**d as a double-double (hi, lo), d >= 0 a double; 0 below -1000."""
    dq = np.rint(d * _R_LN2)
    q = _rint_i32(dq)
    sx, sy = _dd_add2_2_1(d, np.zeros_like(d), dq * -_L2U)
    sx, sy = _dd_add2_2_1(sx, sy, dq * -_L2L)
    s2x, s2y = _dd_squ(_fma64, sx, sy)
    s4x, s4y = _dd_squ(_fma64, s2x, s2y)
    xs, x2, x4, x8 = (_split_small(v) for v in (sx, s2x, s4x, s4x * s4x))
    c = _EXPK2_POLY
    u = _mla(x8, _mla(xs, _k(c[0]), np.float64(c[1])), _poly8(xs, x2, x4, c[2:])[0])[0]
    tx, ty = _dd_add_1_2(0.5, *_dd_mul_2_1(_fma64, sx, sy, _c(0.1666666666666666574, sx)))
    tx, ty = _dd_add_1_2(1.0, *_dd_mul_2_2(_fma64, tx, ty, sx, sy))
    tx, ty = _dd_add_1_2(1.0, *_dd_mul_2_2(_fma64, tx, ty, sx, sy))
    tx, ty = _dd_add_2_2(tx, ty, *_dd_mul_2_1(_fma64, s4x, s4y, u))
    tx, ty = _ldexp2_d(tx, q), _ldexp2_d(ty, q)
    low = d < -1000
    return np.where(low, 0.0, tx), np.where(low, 0.0, ty)


def _sinh64(x: np.ndarray) -> np.ndarray:
    """Sleef_sinhd_u10: (e**|x| - e**-|x|) / 2 in double-double, the sign of x."""
    with np.errstate(all="ignore"):
        ex = _expk2(np.abs(x))
        dx, dy = _dd_sub(*ex, *_dd_rec(_fma64, *ex))
        y = (dx + dy) * 0.5
        y = np.where((np.abs(x) > 710) | np.isnan(y), np.inf, y)
        return np.where(np.isnan(x), x, np.copysign(y, x))


def _cosh64(x: np.ndarray) -> np.ndarray:
    """Sleef_coshd_u10: (e**|x| + e**-|x|) / 2 in double-double."""
    with np.errstate(all="ignore"):
        ex = _expk2(np.abs(x))
        dx, dy = _dd_add_2_2(*ex, *_dd_rec(_fma64, *ex))
        y = (dx + dy) * 0.5
        y = np.where((np.abs(x) > 710) | np.isnan(y), np.inf, y)
        return np.where(np.isnan(x), x, y)



def expm1(d) -> np.ndarray:
    """Sleef_expm1d_u10: e**d - 1 in float64 (the double-double e**d, minus one)."""
    d = np.asarray(d, dtype=_f64)
    with np.errstate(all="ignore"):
        tx, ty = _expk2(d)
        x = np.asarray(np.add(*_dd_add2_2_1(tx, ty, -1.0)))
        x = np.where(d > 709.782712893383996732223, np.inf, x)
        x = np.where(d < -36.736800569677101399113302437, -1.0, x)
        return np.where((d == 0) & np.signbit(d), -0.0, x)

def tanh(x) -> np.ndarray:
    """Sleef_tanhd_u10: tanh(x) in float64, (e - 1/e) / (e + 1/e) with e = e**|x| in
    double-double; 1 beyond 18.714973875, the sign of x."""
    x = np.asarray(x, dtype=_f64)
    with np.errstate(all="ignore"):
        ex, ey = _expk2(np.abs(x))
        rx, ry = _dd_rec(_fma64, ex, ey)
        nx, ny = _dd_add2_2_2(ex, ey, -rx, -ry)
        mx, my = _dd_add2_2_2(ex, ey, rx, ry)
        qx, qy = _dd_div(_fma64, nx, ny, mx, my)
        y = qx + qy
        y = np.where((np.abs(x) > 18.714973875) | np.isnan(y), 1.0, y)
        return np.where(np.isnan(x), x, np.copysign(y, x))


def _hyperbolic(x: np.ndarray, np_fn, libm_fn, sleef64) -> np.ndarray:
    if x.dtype == _f64:
        # SLEEF's on the vector blocks; the C library's on the tail, which NumPy's float64
        # sinh/cosh miss by a bit.
        def tail(v: np.ndarray) -> np.ndarray:
            with np.errstate(over="ignore"):
                return np.array([libm_fn(e) if abs(e) < 710.5 else np_fn(e)
                                 for e in v.tolist()], _f64)
        return split_by_vector(x, sleef64, tail)
    with np.errstate(over="ignore", invalid="ignore"):
        # float32 through float64: NumPy's float32 cosh misses the nearest float often.
        r = np_fn(x.astype(_f64)).astype(_f32) if x.dtype == _f32 else np_fn(x)
        if x.dtype != _f32 or x.size == 0:
            return r
        # SLEEF's sinh/cosh take exp(|x|) whole, so they overflow to inf where exp(|x|) does,
        # up to ln 2 before the C library's (sinh(89.) is finite in float32, SLEEF's inf).
        nv = _vectorized_count(x.size, x.dtype.itemsize)
        vector = (np.arange(x.size) < nv).reshape(x.shape)
        over = np.isinf(np.exp(np.abs(x))) & np.isfinite(r) & vector
    if over.any():
        r = np.where(over, np.copysign(x.dtype.type(np.inf), r), r)
    return r


def sinh(x: np.ndarray) -> np.ndarray:
    """torch's sinh on a contiguous array: in float64 SLEEF's on the vectorized elements
    and the C library's on the tail; in float32 NumPy's values with SLEEF's overflow to inf
    on the vectorized elements (values in range may differ from SLEEF's in the last bit)."""
    return _hyperbolic(x, np.sinh, math.sinh, _sinh64)


def cosh(x: np.ndarray) -> np.ndarray:
    """torch's cosh on a contiguous array, as sinh above."""
    return _hyperbolic(x, np.cosh, math.cosh, _cosh64)


def split_by_vector(x: np.ndarray, vector_fn, tail_fn) -> np.ndarray:
    """An elementwise kernel as torch runs it on a contiguous array: vector_fn (SLEEF) on the
    whole blocks of two vectors, tail_fn (the C library) on the elements after."""
    flat = x.reshape(-1)
    nv = _vectorized_count(flat.size, x.dtype.itemsize)
    if nv == flat.size:
        return vector_fn(flat).reshape(x.shape)
    if nv == 0:
        return tail_fn(flat).reshape(x.shape)
    return np.concatenate([vector_fn(flat[:nv]), tail_fn(flat[nv:])]).reshape(x.shape)
