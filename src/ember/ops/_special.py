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

import numpy as np

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
        with np.errstate(all="ignore"):
            r = fn(x.astype(np.float64))
        return r.astype(dt, copy=False)

    return op


erf = _via64(erf64)
erfc = _via64(erfc64)
erfinv = _via64(erfinv64)
