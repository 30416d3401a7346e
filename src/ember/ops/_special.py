"""Special functions on NumPy arrays: the error function family, the modified Bessel
functions, the normal distribution's ndtri and log_ndtr, erfcx, entr, xlog1py, and the
functions torch does not differentiate (Bessel and Airy functions, orthogonal polynomials).

erf, erfc and erfinv are computed in float64 to full double precision (so that rounding to
float32 gives the correctly rounded value almost always). erf uses Taylor polynomials about
points 1/64 apart (coefficients from the Hermite polynomials, made on first use) up to
|x| = 6, where it rounds to 1; erfc uses them for |x| < 1.5 and the Laplace continued
fraction beyond, where 1 - erf would lose the small tail. erfinv refines a rough start with
Halley steps on erf (or on erfc near +-1, where erf - y would cancel). Small arrays use
the C library's erf and erfc element by element, which is faster there and as accurate.

The others follow torch's kernels (Cephes' Chebyshev series and rational approximations).
Where torch's float32 results depend on how its kernel rounds (i0, i1 and their scaled
forms, ndtri, log_ndtr, the polynomial recurrences) they are computed in float32 step by
step as torch's compiled code computes them, fused multiply-adds included; the rest in
float64, rounded once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._random_math import fma_f32, fma_f32_wide

_b_min = min

_TWO_OVER_SQRT_PI = 1.1283791670955126
_INV_SQRT_PI = 0.5641895835477563
_SPLIT = 1.5
_STEPS = 64
# From here on erf rounds to 1 in float64 (erfc(6) is 2e-17).
_ERF_TOP = 6.0
_TAYLOR_TERMS = 7
_FRACTION_TERMS = 100
_INNER_STEPS = 2
_OUTER_STEPS = 3
# Below this many elements, a loop over the C library's erf beats the vectorized series.
_SMALL = 256


def _taylor_table() -> np.ndarray:
    """Row n: erf's n-th Taylor coefficient at the points k / _STEPS (row 0: erf there)."""
    rows = []
    for k in range(int(_ERF_TOP * _STEPS) + 1):
        x0 = k / _STEPS
        # erf's n-th derivative is 2/sqrt(pi) (-1)^(n-1) H_(n-1)(x) exp(-x^2), with the
        # Hermite polynomials H_(n+1) = 2x H_n - 2n H_(n-1).
        scale = _TWO_OVER_SQRT_PI * math.exp(-x0 * x0)
        h_prev, h, fact = 0.0, 1.0, 1.0
        row = [math.erf(x0)]
        for n in range(1, _TAYLOR_TERMS + 1):
            fact *= n
            row.append(scale * (-1) ** (n - 1) * h / fact)
            h_prev, h = h, 2 * x0 * h - 2 * (n - 1) * h_prev
        rows.append(row)
    return np.array(rows).T.copy()


_TABLE: list = []


def _erf_taylor(x: np.ndarray) -> np.ndarray:
    """erf of a float64 array without NaN: the Taylor polynomial at the nearest table point
    (|h| <= 1/128, so 7 terms leave a remainder below 1e-18), within 2 ulp of the C
    library's erf. Several times as fast as the power series at 0 (whose terms grow with
    x) and the continued fraction, with no masks."""
    if not _TABLE:
        _TABLE.append(_taylor_table())
    table = _TABLE[0]
    # Four arrays of x's size in all, each reused: gathering all eight coefficients at once
    # made one 8-row array (2.4 MB for GELU's 37k values in minGPT) whose writes and reads
    # took a third of the time; 'clip' spares take's bounds checks (k is in the table).
    a = np.abs(x)
    np.minimum(a, _ERF_TOP, out=a)
    r = a * _STEPS
    np.rint(r, out=r)
    k = r.astype(np.intp)
    r /= _STEPS  # k / _STEPS, exactly
    h = np.subtract(a, r, out=a)  # exact: a and k / _STEPS are within a factor of 2
    c = np.empty_like(h)
    p = np.multiply(table[_TAYLOR_TERMS].take(k, mode="clip", out=c), h, out=r)
    for n in range(_TAYLOR_TERMS - 1, 0, -1):
        p += table[n].take(k, mode="clip", out=c)
        p *= h
    p += table[0].take(k, mode="clip", out=c)
    return np.copysign(p, x, out=p)


def _erfc_fraction(x: np.ndarray) -> np.ndarray:
    """erfc for x >= _SPLIT: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))."""
    k = x.copy()
    # Terms for full precision at the smallest x (measured against a correctly rounded erfc).
    terms = _b_min(_FRACTION_TERMS, int(10 + 180 / float(x.min()) ** 2))
    for n in range(terms, 0, -1):
        k = x + (0.5 * n) / k
    # exp(-x^2) with x^2 split exactly into hi^2 + rest: x^2 itself would carry a rounding
    # error that exp magnifies by x^2 in the deep tail.
    hi = np.round(x * 4096.0) / 4096.0
    lo = x - hi
    return _INV_SQRT_PI * np.exp(-hi * hi) * np.exp(-lo * (x + hi)) / k


def _split(x: np.ndarray) -> tuple:
    a = np.abs(x)
    small = a < _SPLIT
    large = ~small & ~np.isnan(a)
    return a, small, large


def _elementwise(fn, x: np.ndarray) -> np.ndarray:
    return np.array([fn(v) for v in x.ravel().tolist()], dtype=np.float64).reshape(x.shape)


def erf64(x: np.ndarray) -> np.ndarray:
    """erf of a float64 array."""
    x = np.asarray(x, dtype=np.float64)
    if x.size <= _SMALL:
        return _elementwise(math.erf, x)
    nan = np.isnan(x)
    if not nan.any():
        return _erf_taylor(x)
    out = _erf_taylor(np.where(nan, 0.0, x))
    out[nan] = np.nan
    return out


def erfc64(x: np.ndarray) -> np.ndarray:
    """erfc of a float64 array, accurate in the tail (relative, not absolute, error)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size <= _SMALL:
        return _elementwise(math.erfc, x)
    out = np.full(x.shape, np.nan)
    a, small, large = _split(x)
    if small.any():
        out[small] = 1.0 - _erf_taylor(x[small])
    if large.any():
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            tail = _erfc_fraction(np.where(np.isinf(a[large]), 1e300, a[large]))
        out[large] = np.where(x[large] > 0, tail, 2.0 - tail)
    return out


def _erfinv_scalar(y: float) -> float:
    a = abs(y)
    if not a <= 1.0:
        return math.nan
    if a == 1.0:
        return math.copysign(math.inf, y)
    if a <= 0.5:
        x = 0.886226925452758 * y * (1.0 + 0.2617993877991494 * y * y)
        for _ in range(_INNER_STEPS):
            t = (math.erf(x) - y) / (_TWO_OVER_SQRT_PI * math.exp(-x * x))
            x -= t / (1.0 + x * t)
        return x
    c = 1.0 - a
    lc = -math.log(c)
    x = math.sqrt(max(lc - 0.5 * math.log(max(lc, 1.0)) - 0.5723649429247001, 0.25))
    for _ in range(_OUTER_STEPS):
        t = (c - math.erfc(x)) / (_TWO_OVER_SQRT_PI * math.exp(-x * x))
        x -= t / (1.0 + x * t)
    return math.copysign(x, y)


def erfinv64(y: np.ndarray) -> np.ndarray:
    """The inverse of erf on a float64 array: nan outside [-1, 1], +-inf at +-1."""
    y = np.asarray(y, dtype=np.float64)
    if y.size <= _SMALL:
        return _elementwise(_erfinv_scalar, y)
    out = np.full(y.shape, np.nan)
    a = np.abs(y)
    inner = a <= 0.5
    outer = (a > 0.5) & (a < 1.0)
    out[a == 1.0] = np.copysign(np.inf, y[a == 1.0])
    if inner.any():
        v = y[inner]
        # Taylor start; Halley on erf(x) - y then converges cubically.
        x = 0.886226925452758 * v * (1.0 + 0.2617993877991494 * v * v)
        for _ in range(_INNER_STEPS):
            t = (erf64(x) - v) / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
            x = x - t / (1.0 + x * t)
        out[inner] = x
    if outer.any():
        c = 1.0 - a[outer]  # exact for |y| >= 0.5
        # Asymptotic start from erfc(x) ~ exp(-x^2) / (x sqrt(pi)), then Halley on erfc.
        lc = -np.log(c)
        x = np.sqrt(np.maximum(lc - 0.5 * np.log(np.maximum(lc, 1.0)) - 0.5723649429247001,
                               0.25))
        for _ in range(_OUTER_STEPS):
            with np.errstate(under="ignore"):
                t = (c - erfc64(x)) / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
            x = x - t / (1.0 + x * t)
        out[outer] = np.copysign(x, y[outer])
    return out


def _via64(fn):
    def op(x: np.ndarray) -> np.ndarray:
        dt = x.dtype
        # Quiet through the rounding too: a float64 value beyond float32's range is inf.
        with np.errstate(all="ignore"):
            return fn(x.astype(np.float64)).astype(dt, copy=False)

    return op


erf = _via64(erf64)
erfc = _via64(erfc64)
erfinv = _via64(erfinv64)


# -- the modified Bessel functions of orders 0 and 1 (Cephes' Chebyshev series) -------------

# exp(-x) I0(x) on [0, 8] and exp(-x) sqrt(x) I0(x) on (8, inf), in x / 2 - 2 and 32 / x - 2.
_I0E_A = (-4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16,
          1.715391285555133e-15, -1.1685332877993451e-14, 7.676185498604936e-14,
          -4.856446783111929e-13, 2.95505266312964e-12, -1.726826291441556e-11,
          9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-09,
          -1.300025009986248e-08, 6.046995022541919e-08, -2.670793853940612e-07,
          1.1173875391201037e-06, -4.4167383584587505e-06, 1.6448448070728896e-05,
          -5.754195010082104e-05, 0.00018850288509584165, -0.0005763755745385824,
          0.0016394756169413357, -0.004324309995050576, 0.010546460394594998,
          -0.02373741480589947, 0.04930528423967071, -0.09490109704804764,
          0.17162090152220877, -0.3046826723431984, 0.6767952744094761)
_I0E_B = (-7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17,
          3.461222867697461e-17, -2.8276239805165836e-16, -3.425485619677219e-16,
          1.7725601330565263e-15, 3.8116806693526224e-15, -9.554846698828307e-15,
          -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13,
          7.180124451383666e-13, -1.7941785315068062e-12, -1.3215811840447713e-11,
          -3.1499165279632416e-11, 1.1889147107846439e-11, 4.94060238822497e-10,
          3.3962320257083865e-09, 2.266668990498178e-08, 2.0489185894690638e-07,
          2.8913705208347567e-06, 6.889758346916825e-05, 0.0033691164782556943,
          0.8044904110141088)
# exp(-x) I1(x) / x on [0, 8] and exp(-x) sqrt(x) I1(x) on (8, inf).
_I1E_A = (2.7779141127610464e-18, -2.111421214358166e-17, 1.5536319577362005e-16,
          -1.1055969477353862e-15, 7.600684294735408e-15, -5.042185504727912e-14,
          3.223793365945575e-13, -1.9839743977649436e-12, 1.1736186298890901e-11,
          -6.663489723502027e-11, 3.625590281552117e-10, -1.8872497517228294e-09,
          9.381537386495773e-09, -4.445059128796328e-08, 2.0032947535521353e-07,
          -8.568720264695455e-07, 3.4702513081376785e-06, -1.3273163656039436e-05,
          4.781565107550054e-05, -0.00016176081582589674, 0.0005122859561685758,
          -0.0015135724506312532, 0.004156422944312888, -0.010564084894626197,
          0.024726449030626516, -0.05294598120809499, 0.1026436586898471,
          -0.17641651835783406, 0.25258718644363365)
_I1E_B = (7.517296310842105e-18, 4.414348323071708e-18, -4.6503053684893586e-17,
          -3.209525921993424e-17, 2.96262899764595e-16, 3.3082023109209285e-16,
          -1.8803547755107825e-15, -3.8144030724370075e-15, 1.0420276984128802e-14,
          4.272440016711951e-14, -2.1015418427726643e-14, -4.0835511110921974e-13,
          -7.198551776245908e-13, 2.0356285441470896e-12, 1.4125807436613782e-11,
          3.2526035830154884e-11, -1.8974958123505413e-11, -5.589743462196584e-10,
          -3.835380385964237e-09, -2.6314688468895196e-08, -2.512236237870209e-07,
          -3.882564808877691e-06, -0.00011058893876262371, -0.009761097491361469,
          0.7785762350182801)


def _chbevl(x: np.ndarray, coefficients: tuple) -> np.ndarray:
    """The Chebyshev series sum' c_i T_i(x / 2) by Clenshaw's recurrence (coefficients from
    the highest order down), in x's dtype. torch's compiled float32 kernels fuse each step's
    x * b1 - b2 into one fma (with that, float32 results are torch's bit for bit); the
    float32 steps keep their values in float64 arrays between fmas."""
    if x.dtype == np.float32:
        x64 = x.astype(np.float64)
        b0 = np.full(x.shape, np.float32(coefficients[0]), np.float64)
        b1 = np.zeros_like(x64)
        b2 = b1
        for c in coefficients[1:]:
            b2 = b1
            b1 = b0
            # The series' terms stay far above float32's subnormals: no check for them.
            b0 = (fma_f32_wide(x64, b1, -b2, False) + np.float32(c)).astype(np.float64)
        return np.float32(0.5) * (b0.astype(np.float32) - b2.astype(np.float32))
    ft = x.dtype.type
    b0 = np.full_like(x, coefficients[0])
    b1 = np.zeros_like(x)
    b2 = b1
    for c in coefficients[1:]:
        b2 = b1
        b1 = b0
        b0 = x * b1 - b2 + ft(c)
    return ft(0.5) * (b0 - b2)


def _exp(a: np.ndarray) -> np.ndarray:
    # The C library's expf is correctly rounded: exp in float64, rounded once.
    return np.exp(a.astype(np.float64)).astype(a.dtype) if a.dtype == np.float32 else np.exp(a)


def _bessel(x: np.ndarray, order: int, scaled: bool) -> np.ndarray:
    """I_order(x), or exp(-|x|) I_order(x) when scaled, from Cephes' two Chebyshev series on
    [0, 8] and (8, inf), in x's dtype as torch's kernels (float16 in float32, but for i0e,
    whose kernel computes in half floats); odd in x for order 1, with +0 at -0."""
    if x.dtype == np.float16 and (order or not scaled):
        with np.errstate(over="ignore"):
            return _bessel(x.astype(np.float32), order, scaled).astype(np.float16)
    ft = x.dtype.type
    inner, outer = (_I1E_A, _I1E_B) if order else (_I0E_A, _I0E_B)
    if order and ft is np.float32:
        # torch's float32 i1 and i1e series drop the terms below float32's precision.
        inner, outer = inner[12:], outer[18:]
    with np.errstate(all="ignore"):
        a = np.abs(x)
        # Each element through its own series only (the float32 fmas are the cost).
        inside = a <= 8
        out = np.empty_like(a)
        an = a[inside]
        near = _chbevl(an / ft(2) - ft(2), inner)
        af = a[~inside]
        far = _chbevl(ft(32) / af - ft(2), outer)
        if scaled:
            out[inside] = near * an if order else near
            out[~inside] = far / np.sqrt(af)
        else:
            en, ef = _exp(an), _exp(af)
            out[inside] = en * an * near if order else en * near
            out[~inside] = ef * far / np.sqrt(af)
        return np.where(x < 0, -out, out) if order else out


def i0(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function of the first kind of order 0."""
    return _bessel(x, 0, False)


def i0e(x: np.ndarray) -> np.ndarray:
    """The exponentially scaled modified Bessel function of the first kind of order 0."""
    return _bessel(x, 0, True)


def i1(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function of the first kind of order 1."""
    return _bessel(x, 1, False)


def i1e(x: np.ndarray) -> np.ndarray:
    """The exponentially scaled modified Bessel function of the first kind of order 1."""
    return _bessel(x, 1, True)


# -- the normal distribution: ndtri, erfcx, log_ndtr -----------------------------------------

_S2PI = 2.50662827463100050242
_EXP_M2 = 0.13533528323661269189  # exp(-2)
# ndtri's rational approximations (Cephes): about the median, and in z = sqrt(-2 log y)
# on [2, 8] and [8, 64].
_NDTRI_P0 = (-59.96335010141079, 98.00107541859997, -56.67628574690703, 13.931260938727968,
             -1.2391658386738125)
_NDTRI_Q0 = (1.0, 1.9544885833814176, 4.676279128988815, 86.36024213908905,
             -225.46268785411937, 200.26021238006066, -82.03722561683334, 15.90562251262117,
             -1.1833162112133)
_NDTRI_P1 = (4.0554489230596245, 31.525109459989388, 57.16281922464213, 44.08050738932008,
             14.684956192885803, 2.1866330685079025, -0.1402560791713545,
             -0.03504246268278482, -0.0008574567851546854)
_NDTRI_Q1 = (1.0, 15.779988325646675, 45.39076351288792, 41.3172038254672, 15.04253856929075,
             2.504649462083094, -0.14218292285478779, -0.03808064076915783,
             -0.0009332594808954574)
_NDTRI_P2 = (3.2377489177694603, 6.915228890689842, 3.9388102529247444, 1.3330346081580755,
             0.20148538954917908, 0.012371663481782003, 0.00030158155350823543,
             2.6580697468673755e-06, 6.239745391849833e-09)
_NDTRI_Q2 = (1.0, 6.02427039364742, 3.6798356385616087, 1.3770209948908132,
             0.21623699359449663, 0.013420400608854318, 0.00032801446468212774,
             2.8924786474538068e-06, 6.790194080099813e-09)


def _polevl(x: Any, coefficients: tuple) -> Any:
    """The polynomial with these coefficients (highest degree first) at x, by Horner, in x's
    dtype: float32 steps fused into fmas, as torch's compiled kernels."""
    if getattr(x, "dtype", None) == np.float32:
        x64 = x.astype(np.float64)
        r = np.full(x.shape, np.float32(coefficients[0]), np.float64)
        for c in coefficients[1:]:
            r = fma_f32_wide(r, x64, np.float64(np.float32(c)), False).astype(np.float64)
        return r.astype(np.float32)
    r = x * 0.0 + coefficients[0]
    for c in coefficients[1:]:
        r = r * x + c
    return r


def ndtri_in(y: np.ndarray) -> np.ndarray:
    """The argument x at which the standard normal distribution function is y: -inf at 0,
    inf at 1, nan outside [0, 1] (Cephes' ndtri), in y's dtype step by step as torch's
    kernel, whose float32 tails take their logs and square root in double."""
    ft = y.dtype.type
    with np.errstate(all="ignore"):
        upper = y > ft(1) - ft(_EXP_M2)
        t = np.where(upper, ft(1) - y, y)
        # About the median: m + m (m^2 P(m^2) / Q(m^2)), times sqrt(2 pi).
        m = t - ft(0.5)
        m2 = m * m
        ratio = m2 * _polevl(m2, _NDTRI_P0) / _polevl(m2, _NDTRI_Q0)
        mid = (fma_f32(m, ratio, m) if ft is np.float32 else m + m * ratio) * ft(_S2PI)
        # The tails, in z = sqrt(-2 log y).
        t64 = t.astype(np.float64)
        z = np.sqrt(-2.0 * np.log(t64)).astype(y.dtype)
        z0 = (z - np.log(z.astype(np.float64)) / z).astype(y.dtype)
        r = ft(1) / z
        x1 = np.where(z < 8, r * _polevl(r, _NDTRI_P1) / _polevl(r, _NDTRI_Q1),
                      r * _polevl(r, _NDTRI_P2) / _polevl(r, _NDTRI_Q2))
        tail = z0 - x1
        out = np.where(t > ft(_EXP_M2), mid, np.where(upper, tail, -tail))
        out = np.where(y == 0, -np.inf, np.where(y == 1, np.inf, out))
        return np.where((y < 0) | (y > 1), np.nan, out).astype(y.dtype, copy=False)


def erfcx64(x: np.ndarray) -> np.ndarray:
    """The scaled complementary error function exp(x^2) erfc(x): from erfc below |x| = 1.5,
    from erfc's continued fraction without its exp(-x^2) above (no underflow), and through
    erfcx(-x) = 2 exp(x^2) - erfcx(x) for x < 0 (inf below -26.7, as torch)."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    small = a < _SPLIT
    out = np.exp(x * x) * erfc64(np.where(small, a, 0.0))
    large = ~small & ~np.isnan(a)
    if large.any():
        v = np.where(np.isinf(a[large]), 1e300, a[large])
        k = v.copy()
        terms = _b_min(_FRACTION_TERMS, int(10 + 180 / float(v.min()) ** 2))
        for n in range(terms, 0, -1):
            k = v + (0.5 * n) / k
        out[large] = np.where(np.isinf(a[large]), 0.0, _INV_SQRT_PI / k)
    neg = x < 0
    out = np.where(neg, 2.0 * np.exp(x * x) - out, out)
    out = np.where(x < -26.7, np.inf, out)
    return np.where(np.isnan(x), x, out)


def log_ndtr_in(x: np.ndarray) -> np.ndarray:
    """The log of the standard normal distribution function, in x's dtype step by step as
    torch's kernel: log(erfcx(-t) / 2) - t^2 with t = x / sqrt 2 below x = -1 (where the
    distribution function underflows), else log1p(-erfc(t) / 2). (Its gradient cancels
    result against x^2 / 2, so float32 results must round as torch's do.)"""
    with np.errstate(all="ignore"):
        t = x * x.dtype.type(0.7071067811865476)
        low = x < -1.0
        # log and log1p correctly rounded (as the C library's logf), through float64.
        left = _rounded(np.log, erfcx(np.where(low, -t, 0.0).astype(x.dtype)) / 2) - t * t
        right = _rounded(np.log1p, -erfc(np.where(low, 0.0, t).astype(x.dtype)) / 2)
        return np.where(low, left, right)


def _rounded(fn: Any, v: np.ndarray) -> np.ndarray:
    return fn(v.astype(np.float64)).astype(v.dtype)


def entr64(x: np.ndarray) -> np.ndarray:
    """-x log(x) for x > 0, 0 at 0, -inf below, nan at nan."""
    out = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)),
                   np.where(x == 0, 0.0, -np.inf))
    return np.where(np.isnan(x), x, out)


def xlog1py(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x * log1p(y), 0 where x is 0 (unless y is nan), in the operands' dtype."""
    return np.where(np.isnan(y), np.nan, np.where(x == 0, 0.0, x * np.log1p(y))).astype(
        np.result_type(x, y), copy=False)


entr = _via64(entr64)
erfcx = _via64(erfcx64)


# -- the functions torch does not differentiate: Bessel functions of the first and second
# kinds, modified Bessel functions of the second kind, the spherical j0, Airy's Ai, and the
# orthogonal polynomials. Computed in float64 (rounded once to float32) with the algorithms
# of torch's kernels (Cephes' rational approximations and Chebyshev series).

_AIRY_AN = (0.346538101525629, 12.007595273964581, 76.27960536152345, 168.08922493463058,
            159.75639135016442, 70.53609068404442, 14.026469116338967, 1.0)
_AIRY_AD = (0.5675945326387702, 14.75625625848472, 84.51389701414746, 177.31808814540045,
            164.2346928715297, 71.47784008255756, 14.095913560783403, 1.0)
_AIRY_AFN = (-0.1316963234183318, -0.6264565444319123, -0.6931580360369335,
             -0.2797799815451191, -0.04919001326095003, -0.004062659235948854,
             -0.0001592764962392621, -2.776491081552329e-06, -1.6778769848911465e-08)
_AIRY_AFD = (13.356042070655324, 32.682503279522464, 26.736704094149957, 9.187074029072596,
             1.4752914677166642, 0.11568717379518804, 0.004402916416152112,
             7.547203482874142e-05, 4.5185009297058035e-07)
_AIRY_AGN = (0.01973399320916857, 0.39110302961568827, 1.0657989759959559, 0.9391692298166502,
             0.35146565610554764, 0.06338889196289255, 0.005858041130483885,
             0.000282851600836737, 6.98793669997261e-06, 8.117892395543892e-08,
             3.415517847659236e-10)
_AIRY_AGD = (9.30892908077442, 19.835292871831214, 15.564662893286462, 5.476860694229755,
             0.9542936116189619, 0.08645808263523921, 0.004126565238242226,
             0.00010125908511650914, 1.1716673321441352e-06, 4.9183457006293e-09)
_J0_PP = (0.0007969367292973471, 0.08283523921074408, 1.239533716464143, 5.447250030587687,
          8.74716500199817, 5.303240382353949, 1.0)
_J0_PQ = (0.0009244088105588637, 0.08562884743544745, 1.2535274390105895, 5.470977403304171,
          8.761908832370695, 5.306052882353947, 1.0)
_J0_QP = (-0.011366383889846916, -1.2825271867050931, -19.553954425773597, -93.20601521237683,
          -177.68116798048806, -147.07750515495118, -51.41053267665993, -6.050143506007285)
_J0_QQ = (64.3178256118178, 856.4300259769806, 3882.4018360540163, 7240.467741956525,
          5930.727011873169, 2062.0933166032783, 242.0057402402914)
_J0_RP = (-4794432209.782018, 1956174919465.5657, -249248344360967.72, 9708622510473064.0)
_J0_RQ = (499.563147152651, 173785.4016763747, 48440965.83399621, 11185553704.535683,
          2112775201154.892, 310518229857422.56, 3.1812195594320496e+16,
          1.7108629408104315e+18)
_Y0_YP = (15592.436785523574, -14663929.59039716, 5435264770.518765, -982136065717.9115,
          87590639439536.7, -3466283033847297.0, 4.4273326857256984e+16,
          -1.8495080043698668e+16)
_Y0_YQ = (1041.2835366425984, 626107.330137135, 268919633.39381415, 86400248710.3935,
          20297961275010.555, 3171577528429750.5, 2.5059625617265306e+17)
_J1_PP = (0.0007621256162081731, 0.07313970569409176, 1.1271960812968493, 5.112079511468076,
          8.424045901417724, 5.214515986823615, 1.0)
_J1_PQ = (0.0005713231280725487, 0.06884559087544954, 1.105142326340617, 5.073863861286015,
          8.399855543276042, 5.209828486823619, 1.0)
_J1_QP = (0.05108625947501766, 4.982138729512334, 75.82382841325453, 366.7796093601508,
          710.8563049989261, 597.4896124006136, 211.68875710057213, 25.207020585802372)
_J1_QQ = (74.23732770356752, 1056.4488603826283, 4986.410583376536, 9562.318924047562,
          7997.041604473507, 2826.1927851763908, 336.0936078106983)
_J1_RP = (-899971225.7055594, 452228297998.19403, -72749424522181.83, 3682957328638529.0)
_J1_RQ = (620.8364781180543, 256987.25675774884, 83514679.14319493, 22151159547.97925,
          4749141220799.914, 784369607876235.9, 8.952223361846274e+16, 5.322786203326801e+18)
_Y1_YP = (1263204747.9017804, -647355876379.1603, 114509511541823.73, -8127702555013251.0,
          2.024394757135949e+17, -7.788771962659501e+17)
_Y1_YQ = (594.3015923461282, 235564.09294306856, 73481194.44597217, 18760131610.870617,
          3882312774962.3857, 620557727146953.8, 6.871410873553005e+16, 3.9727060811656064e+18)
_K0_A = (1.374465435613523e-16, 4.25981614279661e-14, 1.0349695257633842e-11,
         1.904516377220209e-09, 2.5347910790261494e-07, 2.286212103119452e-05,
         0.001264615411446926, 0.0359799365153615, 0.3442898999246285, -0.5353273932339028)
_K0_B = (5.300433772686263e-18, -1.6475804301524212e-17, 5.2103915050390274e-17,
         -1.678231096805412e-16, 5.512055978524319e-16, -1.848593377343779e-15,
         6.3400764774050706e-15, -2.2275133269916698e-14, 8.032890775363575e-14,
         -2.9800969231727303e-13, 1.140340588208475e-12, -4.514597883373944e-12,
         1.8559491149547177e-11, -7.957489244477107e-11, 3.577397281400301e-10,
         -1.69753450938906e-09, 8.574034017414225e-09, -4.660489897687948e-08,
         2.766813639445015e-07, -1.8317555227191195e-06, 1.39498137188765e-05,
         -0.00012849549581627802, 0.0015698838857300533, -0.0314481013119645,
         2.4403030820659555)
_K1_A = (-7.023863479386288e-18, -2.427449850519366e-15, -6.666901694199329e-13,
         -1.4114883926335278e-10, -2.213387630734726e-08, -2.4334061415659684e-06,
         -0.0001730288957513052, -0.006975723859639864, -0.12261118082265715,
         -0.3531559607765449, 1.5253002273389478)
_K1_B = (-5.756744483665017e-18, 1.7940508731475592e-17, -5.689462558442859e-17,
         1.838093544366639e-16, -6.057047248373319e-16, 2.038703165624334e-15,
         -7.019837090418314e-15, 2.4771544244813043e-14, -8.976705182324994e-14,
         3.3484196660784293e-13, -1.2891739609510289e-12, 5.13963967348173e-12,
         -2.1299678384275683e-11, 9.218315187605006e-11, -4.1903547593418965e-10,
         2.015049755197033e-09, -1.0345762465678097e-08, 5.7410841254500495e-08,
         -3.5019606030878126e-07, 2.406484947837217e-06, -1.936197974166083e-05,
         0.00019521551847135162, -0.002857816859622779, 0.10392373657681724,
         2.7206261904844427)

_PI_4 = 0.785398163397448309615660845819875721
_3PI_4 = 2.356194490192344928846982537459627163
_SQRT_2_PI = 0.797884560802865355879892119868763737  # sqrt(2 / pi)
_2_PI = 0.636619772367581343075535053490057448  # 2 / pi


def _fraction(x: np.ndarray, num: tuple, den: tuple) -> np.ndarray:
    return _polevl(x, num) / _polevl(x, den)


def _j_far(x: np.ndarray, w: np.ndarray, tables: tuple, phase: float, second: bool
           ) -> np.ndarray:
    """The asymptotic form of j0, j1 (second=False) and y0, y1 beyond 5, x > 0."""
    pp, pq, qp, qq = tables
    p = _fraction(w, pp, pq)
    q = 5.0 / x * _fraction(w, qp, qq)
    if second:
        v = p * np.sin(x - phase) + q * np.cos(x - phase)
    else:
        v = p * np.cos(x - phase) - q * np.sin(x - phase)
    return v * _SQRT_2_PI / np.sqrt(x)


def bessel_j0_64(x: np.ndarray) -> np.ndarray:
    """The Bessel function of the first kind of order 0."""
    a = np.abs(x)
    a2 = a * a
    near = np.where(a < 1e-5, 1.0 - a2 / 4.0, (a2 - 5.78318596294678452118) * (
        a2 - 30.4712623436620863991) * _fraction(a2, _J0_RP, _J0_RQ))
    far = _j_far(a, 25.0 / a2, (_J0_PP, _J0_PQ, _J0_QP, _J0_QQ), _PI_4, False)
    return np.where(a <= 5.0, near, far)


def bessel_j1_64(x: np.ndarray) -> np.ndarray:
    """The Bessel function of the first kind of order 1 (odd, -0 at -0)."""
    a = np.abs(x)
    x2 = x * x
    near = _fraction(x2, _J1_RP, _J1_RQ) * x * (x2 - 14.6819706421238932572) * (
        x2 - 49.2184563216946036703)
    w = 5.0 / a * (5.0 / a)
    far = _j_far(a, w, (_J1_PP, _J1_PQ, _J1_QP, _J1_QQ), _3PI_4, False)
    return np.where(a <= 5.0, near, np.where(x < 0, -far, far))


def bessel_y0_64(x: np.ndarray) -> np.ndarray:
    """The Bessel function of the second kind of order 0: -inf at 0, nan below."""
    x2 = x * x
    near = _fraction(x2, _Y0_YP, _Y0_YQ) + _2_PI * np.log(x) * bessel_j0_64(x)
    far = _j_far(x, 25.0 / x2, (_J0_PP, _J0_PQ, _J0_QP, _J0_QQ), _PI_4, True)
    out = np.where(x <= 5.0, near, far)
    return np.where(x == 0, -np.inf, np.where(x < 0, np.nan, out))


def bessel_y1_64(x: np.ndarray) -> np.ndarray:
    """The Bessel function of the second kind of order 1: -inf at 0, nan below."""
    near = x * _fraction(x * x, _Y1_YP, _Y1_YQ) + _2_PI * (bessel_j1_64(x) * np.log(x) - 1.0 / x)
    far = _j_far(x, 5.0 / x * (5.0 / x), (_J1_PP, _J1_PQ, _J1_QP, _J1_QQ), _3PI_4, True)
    out = np.where(x <= 5.0, near, far)
    return np.where(x == 0, -np.inf, np.where(x < 0, np.nan, out))


def _k(x: np.ndarray, order: int, scaled: bool) -> np.ndarray:
    """K_order(x), or exp(x) K_order(x) when scaled: inf at 0, nan below."""
    inner, outer = (_K1_A, _K1_B) if order else (_K0_A, _K0_B)
    i = i1_64 if order else i0_64
    near = _chbevl(x * x - 2.0, inner)
    near = np.log(0.5 * x) * i(x) + near / x if order else near - np.log(0.5 * x) * i(x)
    if scaled:
        near = near * np.exp(x)
    far = _chbevl(8.0 / x - 2.0, outer)
    far = far / np.sqrt(x) if scaled else np.exp(-x) * far / np.sqrt(x)
    out = np.where(x <= 2.0, near, far)
    return np.where(x == 0, np.inf, np.where(x < 0, np.nan, out))


def i0_64(x: np.ndarray) -> np.ndarray:
    """I0 in float64, as torch's modified_bessel_i0 (its i0's double series)."""
    return _bessel(np.asarray(x, dtype=np.float64), 0, False)


def i1_64(x: np.ndarray) -> np.ndarray:
    """I1 in float64, as torch's modified_bessel_i1."""
    return _bessel(np.asarray(x, dtype=np.float64), 1, False)


def spherical_bessel_j0_64(x: np.ndarray) -> np.ndarray:
    """sin(x) / x, by its Taylor series below |x| = 0.5 (1 at 0), and 0 at +-inf."""
    x2 = x * x
    series = 1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (
        1.0 / 362880.0 + x2 * (-1.0 / 39916800.0 + x2 * (1.0 / 6227020800.0))))))
    out = np.where(np.abs(x) < 0.5, series, np.sin(x) / x)
    return np.where(np.isinf(x), 0.0, out)


def airy_ai64(x: np.ndarray) -> np.ndarray:
    """Airy's function Ai: the asymptotic forms beyond -2.09 and 2.09 (0 past 103.892),
    the Maclaurin series between, nan at +-inf."""
    # Below -2.09: the oscillating asymptotic form.
    s = -x * np.sqrt(-x) * (2.0 / 3.0)
    z = 1.0 / s
    zz = z * z
    t = s + 0.25 * math.pi
    left = 5.64189583547756286948e-01 / np.sqrt(np.sqrt(-x)) * (
        np.sin(t) * (1.0 + zz * _fraction(zz, _AIRY_AFN, _AIRY_AFD))
        - np.cos(t) * (z * _fraction(zz, _AIRY_AGN, _AIRY_AGD)))
    # From 2.09: the decaying one.
    zeta = 2.0 * x * np.sqrt(x) / 3.0
    right = 5.64189583547756286948e-01 * _fraction(1.0 / zeta, _AIRY_AN, _AIRY_AD) / (
        2.0 * np.sqrt(np.sqrt(x)) * np.exp(zeta))
    # Between: the series f and g of Ai = c1 f - c2 g, summed to float64 precision.
    mid = (x >= -2.09) & (x < 2.09)
    xm = np.where(mid, x, 0.0)
    f = np.ones_like(xm)
    g = xm.copy()
    m = np.ones_like(xm)
    n = xm.copy()
    z3 = xm * xm * xm
    k = 1.0
    live = np.ones(xm.shape, dtype=bool)
    while live.any():
        m = m * z3 / (k + 1)
        n = n * z3 / (k + 2)
        m = m / (k + 2)
        n = n / (k + 3)
        k += 3
        f = np.where(live, f + m, f)
        g = np.where(live, g + n, g)
        live = live & (np.abs(m / f) > _EPS64)
    series = 0.355028053887817239260 * f - 0.258819403792806798405 * g
    out = np.where(x < -2.09, left, np.where(x >= 2.09, right, series))
    out = np.where(np.isnan(x), x, out)
    return np.where(np.isinf(x), np.nan, np.where(x > 103.892, 0.0, out))


_EPS64 = float(np.finfo(np.float64).eps)


def _mul_sub(a: np.ndarray, q: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a * q - b, fused into one fma in float32 as torch's compiled recurrences are (which
    makes their float32 values torch's bit for bit)."""
    if q.dtype == np.float32:
        return fma_f32(a, q, -b)
    return a * q - b


def _recurrence(n: np.ndarray, p: np.ndarray, q: np.ndarray, step: Any) -> np.ndarray:
    """q after n - 1 steps (p, q) -> (q, step(j, p, q)), j = 1, 2, ..., each element with its
    own n (those with n < 2 keep q)."""
    todo = n >= 2
    last = int(n[todo].max()) if todo.any() else 1
    for j in range(1, last):
        live = n - 1 >= j
        r = step(j, p, q)
        p, q = np.where(live, q, p), np.where(live, r, q)
    return q


def _count(n: np.ndarray) -> np.ndarray:
    # torch's n: a float's integer part, -1 for inf and nan.
    if n.dtype.kind == "f":
        return np.where(np.isfinite(n), np.trunc(np.where(np.isfinite(n), n, -1.0)), -1.0
                        ).astype(np.int64)
    return n.astype(np.int64)


def _chebyshev(x: np.ndarray, n: np.ndarray, kind: str, y: np.ndarray, trig_from: int
               ) -> np.ndarray:
    """The Chebyshev polynomials T, U, V, W of kind `kind` at y (y = x, or 2x - 1 for the
    shifted ones) by their recurrence, and for |y| < 1 and n > trig_from by their
    trigonometric forms; the values at y = +-1 as torch gives them."""
    one = x.dtype.type(1)
    first = {"t": y, "u": y + y, "v": y + y - one, "w": y + y + one}[kind]
    r = _recurrence(n, np.ones_like(y), first, lambda j, p, q: _mul_sub(y + y, q, p))
    r = np.where(n == 1, first, r)
    r = np.where(n == 0, one, r)
    # acos, cos and sin correctly rounded in float32 too (the C library's acosf, cosf, sinf):
    # near the zeros of a polynomial of high degree an ulp of the angle shows.
    th = _rounded(np.arccos, np.where(np.abs(y) < 1, y, 0.0))
    nf = n.astype(x.dtype)
    odd = n % 2 == 1
    half = th / 2

    def cos(v: np.ndarray) -> np.ndarray:
        return _rounded(np.cos, v)

    def sin(v: np.ndarray) -> np.ndarray:
        return _rounded(np.sin, v)

    if kind == "t":
        trig = cos(nf * th)
        at_one = np.where((y > 0) | ~odd, one, -one)
    elif kind == "u":
        s = sin(th)
        trig = np.where(s != 0, sin((nf + 1) * th) / np.where(s != 0, s, one),
                        (nf + 1) * cos((nf + 1) * th) / y)
        at_one = np.where((y > 0) | ~odd, nf + 1, -(nf + 1))
    elif kind == "v":
        edge = np.where(odd, -(nf + nf + 1), nf + nf + 1)
        trig = np.where(sin(half) != 1, cos((nf + 0.5) * th) / cos(half), edge)
        at_one = np.where(y > 0, one, edge)
    else:
        edge = np.where(y > 0, nf + nf + 1, np.where(odd, -one, one))
        trig = np.where(cos(half) != 1, sin((nf + 0.5) * th) / sin(half), edge)
        at_one = edge
    r = np.where((n > trig_from) & (np.abs(y) < 1), trig, r)
    r = np.where(np.abs(y) == 1, at_one, r)
    return np.where(n < 0, x.dtype.type(0), r)


def chebyshev(x: np.ndarray, n: np.ndarray, kind: str, shifted: bool) -> np.ndarray:
    """The Chebyshev polynomial of the first (t), second (u), third (v) or fourth (w) kind
    of degree n at x, or the shifted one (at 2x - 1), in x's dtype."""
    x, n = np.broadcast_arrays(x, _count(n))
    y = x + x - x.dtype.type(1) if shifted else x
    trig_from = (4 if kind == "w" else 6) if shifted else (6 if kind == "t" else 8)
    return _chebyshev(x, n, kind, y, trig_from)


def hermite(x: np.ndarray, n: np.ndarray, physicists: bool) -> np.ndarray:
    """The physicists' (H) or probabilists' (He) Hermite polynomial of degree n at x, in x's
    dtype: nan above degree 128 (float32) or 512, as torch's kernel."""
    x, n = np.broadcast_arrays(x, _count(n))
    one = x.dtype.type(1)
    first = x + x if physicists else x
    if physicists:
        r = _recurrence(n, np.ones_like(x), first,
                        lambda j, p, q: _mul_sub(x + x, q, (2 * j) * p))
    else:
        r = _recurrence(n, np.ones_like(x), first, lambda j, p, q: _mul_sub(x, q, j * p))
    limit = 128 if x.dtype == np.float32 else 512
    r = np.where(n > limit, np.nan, r)
    r = np.where(n == 1, first, np.where(n == 0, one, r))
    return np.where(n < 0, x.dtype.type(0), r)


def laguerre(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The Laguerre polynomial of degree n at x, in x's dtype (1 at x = 0)."""
    x, n = np.broadcast_arrays(x, _count(n))
    one = x.dtype.type(1)
    first = one - x
    r = _recurrence(n, np.ones_like(x), first,
                    lambda j, p, q: _mul_sub((j + j) + (one - x), q, j * p) / (j + 1))
    r = np.where(n == 1, first, np.where((n == 0) | (x == 0), one, r))
    return np.where(n < 0, x.dtype.type(0), r)


def legendre(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The Legendre polynomial of degree n at x, in x's dtype."""
    x, n = np.broadcast_arrays(x, _count(n))
    one = x.dtype.type(1)
    r = _recurrence(n, np.ones_like(x), x,
                    lambda j, p, q: _mul_sub((j + j + 1) * x, q, j * p) / (j + 1))
    r = np.where(n == 1, x, np.where(n == 0, one, r))
    r = np.where(np.abs(x) == 1, np.where((x > 0) | (n % 2 == 0), one, -one), r)
    return np.where(n < 0, x.dtype.type(0), r)


bessel_j0 = _via64(bessel_j0_64)
bessel_j1 = _via64(bessel_j1_64)
bessel_y0 = _via64(bessel_y0_64)
bessel_y1 = _via64(bessel_y1_64)
modified_bessel_i0 = _via64(i0_64)
modified_bessel_i1 = _via64(i1_64)
modified_bessel_k0 = _via64(lambda x: _k(x, 0, False))
modified_bessel_k1 = _via64(lambda x: _k(x, 1, False))
scaled_modified_bessel_k0 = _via64(lambda x: _k(x, 0, True))
scaled_modified_bessel_k1 = _via64(lambda x: _k(x, 1, True))
spherical_bessel_j0 = _via64(spherical_bessel_j0_64)
airy_ai = _via64(airy_ai64)
