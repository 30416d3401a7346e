"""The error function and its inverse on NumPy arrays, computed in float64 to full double
precision (so that rounding to float32 gives the correctly rounded value almost always).

erf uses Taylor polynomials about points 1/64 apart (coefficients from the Hermite
polynomials, made on first use) up to |x| = 6, where it rounds to 1; erfc uses them for
|x| < 1.5 and the Laplace continued fraction beyond, where 1 - erf would lose the small
tail. erfinv refines a rough start with
Halley steps on erf (or on erfc near +-1, where erf - y would cancel). Small arrays use
the C library's erf and erfc element by element, which is faster there and as accurate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._random_math import fma_f32

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
    x * b1 - b2 into one fma (with that, float32 results are torch's bit for bit)."""
    ft = x.dtype.type
    b0 = np.full_like(x, coefficients[0])
    b1 = np.zeros_like(x)
    b2 = b1
    for c in coefficients[1:]:
        b2 = b1
        b1 = b0
        if ft is np.float32:
            b0 = fma_f32(x, b1, -b2) + ft(c)
        else:
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
        near = _chbevl(a / ft(2) - ft(2), inner)
        far = _chbevl(ft(32) / a - ft(2), outer)
        if scaled:
            out = np.where(a <= 8, near * a if order else near, far / np.sqrt(a))
        else:
            e = _exp(a)
            out = np.where(a <= 8, e * a * near if order else e * near, e * far / np.sqrt(a))
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
    """The polynomial with these coefficients (highest degree first) at x, by Horner."""
    r = x * 0.0 + coefficients[0]
    for c in coefficients[1:]:
        r = r * x + c
    return r


def ndtri64(y: np.ndarray) -> np.ndarray:
    """The argument x at which the standard normal distribution function is y: -inf at 0,
    inf at 1, nan outside [0, 1] (Cephes' ndtri, as torch's kernel)."""
    upper = y > 1.0 - _EXP_M2
    t = np.where(upper, 1.0 - y, y)
    # About the median.
    m = y - 0.5
    m2 = m * m
    mid = (m + m * (m2 * _polevl(m2, _NDTRI_P0) / _polevl(m2, _NDTRI_Q0))) * _S2PI
    # The tails, in z = sqrt(-2 log y).
    z = np.sqrt(-2.0 * np.log(t))
    r = 1.0 / z
    x1 = np.where(z < 8.0, r * _polevl(r, _NDTRI_P1) / _polevl(r, _NDTRI_Q1),
                  r * _polevl(r, _NDTRI_P2) / _polevl(r, _NDTRI_Q2))
    tail = z - np.log(z) / z - x1
    out = np.where(t > _EXP_M2, mid, np.where(upper, tail, -tail))
    out = np.where(y == 0.0, -np.inf, np.where(y == 1.0, np.inf, out))
    return np.where((y < 0.0) | (y > 1.0), np.nan, out)


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
ndtri = _via64(ndtri64)
erfcx = _via64(erfcx64)
