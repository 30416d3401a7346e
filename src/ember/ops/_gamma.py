"""The log-gamma function and its derivatives (digamma, trigamma, polygamma) on NumPy
arrays, following torch's CPU kernels step by step (its Cephes-derived digamma, trigamma
and Hurwitz zeta), so that the special cases (poles, negative arguments, infinities) come
out as torch's do. torch computes digamma and trigamma of float32 (and float16) inputs in
float32 arithmetic and the rest in float64; so does ember, so that the rounding errors near
the zeros of these functions are torch's too."""

from __future__ import annotations

import math

import numpy as np

_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333e-2, -2.10927960927960927961e-2,
              7.57575757575757575758e-3, -4.16666666666666666667e-3,
              3.96825396825396825397e-3, -8.33333333333333333333e-3,
              8.33333333333333333333e-2)
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042e-16


def _lgamma_scalar(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:
        return math.inf  # the poles: 0 and the negative integers
    except OverflowError:
        return math.inf


_lgamma_ufunc = np.frompyfunc(_lgamma_scalar, 1, 1)


def lgamma(x: np.ndarray) -> np.ndarray:
    """The natural logarithm of the absolute value of the gamma function."""
    r = np.asarray(_lgamma_ufunc(x.astype(np.float64)), dtype=np.float64)
    return r.astype(x.dtype)


def _digamma_in(x: np.ndarray, ft: type) -> np.ndarray:
    """torch's calc_digamma in the float type `ft` (float32 or float64)."""
    x = np.array(x, dtype=ft)
    out = np.empty_like(x)
    zero = x == 0
    out[zero] = np.copysign(ft(np.inf), -x[zero])
    neg = (x < 0) & ~zero
    neg_int = neg & (x == np.trunc(x))
    out[neg_int] = np.nan
    reflect = neg & ~neg_int
    if reflect.any():
        xr = x[reflect]
        # The reflection term is computed in double for both types, as torch does.
        r = np.fmod(xr.astype(np.float64), 1.0)
        out[reflect] = _digamma_in(ft(1) - xr, ft) - (math.pi / np.tan(math.pi * r)).astype(ft)
    pos = ~(zero | neg)
    if pos.any():
        out[pos] = _digamma_positive(x[pos], ft)
    return out


def _digamma_positive(x: np.ndarray, ft: type) -> np.ndarray:
    result = np.zeros_like(x)
    x = x.copy()
    one = ft(1)
    small = x < 10
    while small.any():
        result[small] -= one / x[small]
        x[small] += one
        small = x < 10
    ten = x == 10
    big = x >= ft(1.0e17)
    z = one / (x * x)
    poly = np.zeros_like(x)
    for c in _DIGAMMA_A:
        poly = poly * z + ft(c)
    y = np.where(big, ft(0), z * poly)
    # The C library's log is correctly rounded where NumPy's float32 log may not be.
    out = result + np.log(x.astype(np.float64)).astype(ft) - (ft(0.5) / x) - y
    out[ten] = result[ten] + ft(_PSI_10)
    return out


def _work_type(x: np.ndarray) -> type:
    return np.float64 if x.dtype == np.float64 else np.float32


def digamma(x: np.ndarray) -> np.ndarray:
    """The logarithmic derivative of the gamma function."""
    with np.errstate(all="ignore"):
        return _digamma_in(x, _work_type(x)).astype(x.dtype)


def _trigamma_in(x: np.ndarray, ft: type) -> np.ndarray:
    """torch's calc_trigamma in the float type `ft`."""
    x = np.array(x, dtype=ft)
    one = ft(1)
    pi = ft(math.pi)
    sign = np.ones_like(x)
    result = np.zeros_like(x)
    low = x < ft(0.5)
    s = np.sin(pi * x[low])
    sign[low] = -1
    result[low] -= (pi * pi) / (s * s)
    x[low] = one - x[low]
    for _ in range(6):
        result += one / (x * x)
        x += one
    ixx = one / (x * x)
    result += (one + one / (ft(2) * x) + ixx * (ft(1.0 / 6) - ixx * (
        ft(1.0 / 30) - ixx * ft(1.0 / 42)))) / x
    return sign * result


def _zeta64(s_: float, q: np.ndarray) -> np.ndarray:
    """The Hurwitz zeta function zeta(s_, q) for s_ > 1 (Cephes' algorithm)."""
    q = np.array(q, dtype=np.float64)
    out = np.full_like(q, np.nan)
    done = np.zeros(q.shape, dtype=bool)
    pole = (q <= 0) & (q == np.trunc(q))
    out[pole] = np.inf
    done |= pole | ((q <= 0) & (s_ != math.trunc(s_)))
    s = np.power(q, -s_)
    a = q.copy()
    b = np.zeros_like(q)
    i = 0
    while True:
        going = ~done & ((i < 9) | (a <= 9.0))
        if not going.any():
            break
        i += 1
        a = np.where(going, a + 1, a)
        b = np.where(going, np.power(a, -s_), b)
        s = np.where(going, s + b, s)
        conv = going & (-_MACHEP * s < b) & (b < _MACHEP * s)
        out[conv] = s[conv]
        done |= conv
    w = a
    s = s + b * w / (s_ - 1)
    s = s - 0.5 * b
    a = np.ones_like(q)
    k = 0.0
    for c in _ZETA_A:
        live = ~done
        if not live.any():
            break
        a = a * (s_ + k)
        b = b / w
        t = a * b / c
        s = s + t
        conv = live & (np.abs(t / s) < _MACHEP)
        out[conv] = s[conv]
        done |= conv
        k += 1
        a = a * (s_ + k)
        b = b / w
        k += 1
    out[~done] = s[~done]
    return out


def polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of the digamma function."""
    with np.errstate(all="ignore"):
        ft = _work_type(x)
        if n == 0:
            r = _digamma_in(x, ft)
        elif n == 1:
            r = _trigamma_in(x, ft)
        else:
            # zeta accumulates in double and returns the input's type, as torch's does.
            z = _zeta64(n + 1.0, x).astype(ft).astype(np.float64)
            r = (1.0 if n % 2 else -1.0) * math.exp(math.lgamma(n + 1.0)) * z
    return np.asarray(r).astype(x.dtype)
