"""The error function and its inverse on NumPy arrays, computed in float64 to full double
precision (so that rounding to float32 gives the correctly rounded value almost always).

erf uses the everywhere-convergent series with positive terms
    erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1))
for |x| < 1.5, and erfc uses the Laplace continued fraction beyond, where the series would
need many terms and 1 - erf would lose the small tail. erfinv refines a rough start with
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
_SERIES_TERMS = 50
_FRACTION_TERMS = 100
_INNER_STEPS = 2
_OUTER_STEPS = 3
# Below this many elements, a loop over the C library's erf beats the vectorized series.
_SMALL = 256


def _erf_series(x: np.ndarray) -> np.ndarray:
    """erf for |x| < _SPLIT: all terms positive, so no cancellation."""
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, _series_terms(float(x2.max()))):
        term *= 2.0 * x2 / (2 * n + 1)
        total += term
    return _TWO_OVER_SQRT_PI * np.exp(-x2) * total


def _series_terms(x2: float) -> int:
    """How many series terms bring the last one below 1e-17 of the first, for x^2 <= x2."""
    t, n = 1.0, 0
    while t > 1e-17 and n < _SERIES_TERMS:
        n += 1
        t *= 2.0 * x2 / (2 * n + 1)
    return n + 1


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
    out = np.full(x.shape, np.nan)
    a, small, large = _split(x)
    if small.any():
        out[small] = _erf_series(x[small])
    if large.any():
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            tail = _erfc_fraction(np.where(np.isinf(a[large]), 1e300, a[large]))
        out[large] = np.copysign(1.0 - tail, x[large])
    return out


def erfc64(x: np.ndarray) -> np.ndarray:
    """erfc of a float64 array, accurate in the tail (relative, not absolute, error)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size <= _SMALL:
        return _elementwise(math.erfc, x)
    out = np.full(x.shape, np.nan)
    a, small, large = _split(x)
    if small.any():
        out[small] = 1.0 - _erf_series(x[small])
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
