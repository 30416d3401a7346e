"""oneDNN's elementwise kernels on NumPy arrays, bit for bit.

torch hands float32 gelu (the exact form) of a contiguous tensor with more than one element
to oneDNN's eltwise primitive, and its gradient (GeluBackward0) too. Which JIT code runs depends
on the instruction set oneDNN finds (``GELU_ISA``), capped by the ``ONEDNN_MAX_CPU_ISA``
environment variable (or ``DNNL_MAX_CPU_ISA``), read once, when this module is imported:

* AVX-512 (``avx512_core``): erf(x / sqrt 2) by one of 25 degree-5 minimax polynomials in |x|,
  chosen from the exponent and the top two mantissa bits of |x|;
* AVX2 (``avx2``): erf by Abramowitz and Stegun's formula 7.1.26 with oneDNN's own exp;
* AVX and SSE4.1 (``avx``, ``sse41``): the same formula with every fused multiply-add done
  as a multiply and an add, each rounded, as these instruction sets have no FMA.

The gradient is Abramowitz and Stegun's erf at every level. The steps are replayed here with
each fused multiply-add rounded once (``_fma``). Off x86, or without SSE4.1, ``GELU_ISA`` is
None and no oneDNN kernel is claimed.
"""

from __future__ import annotations

import os

import numpy as np

from ._sleef import _fma32_ties, cpu_features

__all__ = ["gelu_erf", "gelu_erf_backward", "GELU_ISA"]

_f32 = np.float32
_f64 = np.float64
_u32 = np.uint32
_u64 = np.uint64

# The kernels from the widest down, and what the CPU needs for each (oneDNN's mayiuse).
_LEVELS = ("sse41", "avx", "avx2", "avx512_core")
_NEEDS = {"sse41": ("SSE41",), "avx": ("AVX",), "avx2": ("AVX2",),
          "avx512_core": ("AVX512F", "AVX512BW", "AVX512VL", "AVX512DQ")}
# The values of ONEDNN_MAX_CPU_ISA that stop below AVX-512, by the widest kernel they allow.
# oneDNN's other names (avx512_core, avx512_core_amx, avx10_1_512, default ...) allow the
# AVX-512 kernel, and so does a value it does not know, which it ignores.
_CAPS = {"sse41": 0, "avx": 1, "avx2": 2, "avx2_vnni": 2, "avx2_vnni_2": 2}


def _max_isa_cap(environ) -> int:
    """The widest kernel level the environment allows, read as oneDNN reads it: the
    ONEDNN_ spelling first, then DNNL_ (an empty value counts as unset), matched without
    regard to case."""
    for prefix in ("ONEDNN_", "DNNL_"):
        value = environ.get(prefix + "MAX_CPU_ISA", "")
        if value:
            return _CAPS.get(value.lower(), len(_LEVELS) - 1)
    return len(_LEVELS) - 1


def _isa(features: dict, environ) -> str | None:
    """The gelu kernel oneDNN runs: the widest the CPU has, within the environment's cap."""
    cap = _max_isa_cap(environ)
    for isa in reversed(_LEVELS[:cap + 1]):
        if all(features.get(f) for f in _NEEDS[isa]):
            return isa
    return None


GELU_ISA = _isa(cpu_features(), os.environ)


def _hex(*bits: int) -> np.ndarray:
    return np.array(bits, _u32).view(_f32)


# oneDNN's tables, as it writes them (float32 bit patterns).
_LOG2E, _LN2, _LN_FLT_MAX, _LN_FLT_MIN = _hex(0x3FB8AA3B, 0x3F317218, 0x42B17218, 0xC2AEAC50)
_EXP_POLY = _hex(0x3C07CFCE, 0x3D2B9D0D, 0x3E2AAD40, 0x3EFFFEE3, 0x3F7FFFFB)
_SQRT1_2, _SQRT1_PI, _ERF_P = _hex(0x3F3504F3, 0x3F106EBA, 0x3EA7BA05)
_ERF_POLY = _hex(0x3F87DC22, 0xBFBA00E3, 0x3FB5F0E3, 0xBE91A98E, 0x3E827906)

# The AVX-512 kernel's polynomials, coefficient k of polynomial i at [k][i]. Index 0 is never
# chosen (the index is clamped to 1..24); 23 is erf = 1 (|x| past the bound), 24 gives
# erf = x for NaN. oneDNN pads each row to 32 entries, which no index reaches.
_MINIMAX = np.array([
    [0xA6F2CB94, 0x32827792, 0x3381CC0C, 0x34523D4A, 0x351AC44D, 0x35F36D88, 0x36EE8229,
     0x37B8A3BB, 0x3867A213, 0x3940033B, 0x3A2A5A1D, 0x3AE35863, 0x3B7828F2, 0x3C08B14B,
     0x3C515ED3, 0xBB503236, 0xBD8D8E5E, 0xBE8ABCD9, 0xBF0C19A2, 0xBECCB328, 0x3E176CED,
     0x3F470D99, 0x3F7ABB28, 0x3F800000, 0x00000000],
    [0x3F4C422A, 0x3F4C421F, 0x3F4C4207, 0x3F4C41CB, 0x3F4C413B, 0x3F4C3FAD, 0x3F4C3A2F,
     0x3F4C2D40, 0x3F4C146A, 0x3F4BC341, 0x3F4AD08C, 0x3F48F8CF, 0x3F45FAC7, 0x3F404E07,
     0x3F3B980F, 0x3F48DFF3, 0x3F78B21B, 0x3FBB0704, 0x40019C32, 0x3FE536D6, 0x3F81331E,
     0x3E6C8684, 0x3C98F936, 0x00000000, 0x3F800000],
    [0xB62173F4, 0x3735E4CF, 0x37F2FF89, 0x388C23BE, 0x3917535C, 0x39AB2AB0, 0x3A60FADB,
     0x3AF9B960, 0x3B6E5491, 0x3C0A4EC5, 0x3CA5AA8C, 0x3D2138D9, 0x3D8737D4, 0x3DDFB660,
     0x3E0F27AB, 0x3D94004B, 0xBE0EFDEB, 0xBF1D96C3, 0xBF89DB58, 0xBF6D9897, 0xBEF69FB8,
     0xBDC4F8A8, 0xBBDE6422, 0x00000000, 0x00000000],
    [0xBE081A19, 0xBE084570, 0xBE08639B, 0xBE089837, 0xBE08F409, 0xBE09AB95, 0xBE0B66D0,
     0xBE0E400A, 0xBE124DF8, 0xBE1BDE02, 0xBE2F19C9, 0xBE4931BF, 0xBE685FBC, 0xBE89C95F,
     0xBE96CBCA, 0xBE8044AA, 0xBE0550F2, 0x3DCFD6A1, 0x3E94C826, 0x3E79345F, 0x3DECEC91,
     0x3CA46568, 0x3AA1E00A, 0x00000000, 0x00000000],
    [0xBA3D61DB, 0x39F097A3, 0x3A5845DC, 0x3AB1FA35, 0x3B0CEFB8, 0x3B653AB6, 0x3BCAE527,
     0x3C221712, 0x3C6C5840, 0x3CC0A703, 0x3D1DCC19, 0x3D63656D, 0x3D955907, 0x3DBF9910,
     0x3DD53F69, 0x3DB7DCEF, 0x3D639EBE, 0xBA6EDE48, 0xBD22BE69, 0xBD041CF1, 0xBC64F5AB,
     0xBB097A32, 0xB8EBF380, 0x00000000, 0x00000000],
    [0x3CB7D80C, 0x3C9B6050, 0x3C978D11, 0x3C92E850, 0x3C8D058B, 0x3C848454, 0x3C6CD623,
     0x3C4C824B, 0x3C2A7935, 0x3BE0B390, 0x3B0651AC, 0xBB232F53, 0xBBD42FA0, 0xBC2C5366,
     0xBC492C9E, 0xBC2A7AA6, 0xBBD55D04, 0xBA823A76, 0x3B102AA8, 0x3AE25A7E, 0x3A31F792,
     0x38B84375, 0x3689BB5A, 0x00000000, 0x00000000],
], _u32).view(_f32)
# The coefficients gathered per element in three takes, not six: coefficients k and k + 1
# of polynomial i as one uint64 item (a take costs per element more than per byte).
_PAIRS = [np.ascontiguousarray(_MINIMAX[k:k + 2].T).view(_u64).reshape(-1) for k in (0, 2, 4)]
_IDX_BIAS = _u32(0xC21FFFFF)  # added to |x|'s bits; a shift by 21 keeps exponent and 2 bits
_RBOUND = _hex(0x40B15CEE)[0]  # past it erf(x / sqrt 2) is 1 in float32


_TIE = _u64(1 << 63)  # a float64's low 29 bits 1000...0, shifted to the top


def _fma(a, b, c, buf: np.ndarray, ties: bool = True) -> np.ndarray:
    """float32 a*b + c rounded once (a a float32 array; b and c float32 values, b perhaps
    held in a float64 array, which multiplies faster than a float32 one), the sum formed
    in ``buf``, a float64 array of the result's shape: one buffer for a whole kernel, where
    fresh ones cost more in page faults than their arithmetic.

    The product is exact in float64 and the sum rounded there; rounding that to float32
    again errs only where the float64 sum lies exactly halfway between two floats, and
    those elements are redone exactly; ``ties=False`` where the caller knows the float64
    sum is exact or cannot land there. (_fma32 also redoes sums in float32's subnormal
    range, where rounding is coarser; no sum in these kernels is both rounded by float64
    and that small: each adds a normal constant, or 1, to a smaller product or cancels
    between operands whose last bits lie far above 2**-149.)"""
    s = buf
    np.copyto(s, a)
    s *= b
    s += c
    r = s.astype(_f32)
    if not ties:
        return r
    bits = s.view(_u64)  # s is not needed again: its bits shift in place
    tie = np.left_shift(bits, _u64(35), out=bits) == _TIE
    if tie.any():
        a, b, c = np.broadcast_arrays(a, b, c)
        r[tie] = _fma32_ties(a[tie], b[tie], c[tie])
    return r


def _madd(a, b, c, fused: bool, buf: np.ndarray | None, ties: bool = True):
    """a*b + c as the kernel computes it: one rounding with FMA (in ``buf``), two without."""
    return _fma(a, b, c, buf, ties) if fused else a * b + c


def _exp(s: np.ndarray, fused: bool, buf: np.ndarray | None) -> np.ndarray:
    """oneDNN's exp: 2**n * p(r) with n = floor(s log2 e + 1/2), r = s - n ln 2 and a degree 5
    polynomial; 0 below ln(FLT_MIN), the argument clamped to [ln FLT_MIN, ln FLT_MAX]."""
    under = s < _LN_FLT_MIN
    s = np.maximum(np.minimum(s, _LN_FLT_MAX), _LN_FLT_MIN)  # NaN stays NaN, as maxps's order
    fx = np.floor(s * _LOG2E + _f32(0.5))
    # n ln 2 (n has at most 8 bits) and s lie below 2**8, and their last bits are 2**-25 or
    # above (s is at least 0.34 where n is not 0): the float64 sum is exact.
    r = _fma(-fx, _LN2, s, buf, ties=False) if fused else s - fx * _LN2
    # 2**(n-1), times 2 at the end: 2**128 is no float.
    n = np.where(np.isnan(fx), 0, fx - _f32(1)).astype(np.int32)
    scale = ((n + 127) << 23).view(_f32)
    scale[under] = 0
    rb = r.astype(_f64) if fused else r  # converted once for the five products
    p = np.full_like(r, _EXP_POLY[0])
    for c in _EXP_POLY[1:]:
        p = _madd(p, rb, c, fused, buf)
    p = _madd(p, rb, _f32(1), fused, buf)
    return p * scale * _f32(2)


def _erf_as(z: np.ndarray, fused: bool, buf: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Abramowitz and Stegun's erf(z) as oneDNN writes it, and the exp(-z*z) it used."""
    t = _f32(1) / _madd(_ERF_P, np.abs(z), _f32(1), fused, buf)
    q = _exp(-(z * z), fused, buf)
    e = -q * t
    tb = t.astype(_f64) if fused else t  # converted once for the four products
    r = np.full_like(t, _ERF_POLY[0])
    for c in _ERF_POLY[1:]:
        r = _madd(r, tb, c, fused, buf)
    erf = _madd(e, r, _f32(1), fused, buf)
    # erf(-z) = -erf(z): the sign bit of z flips erf's (a negation, NaN included)
    erf = (erf.view(_u32) ^ (z.view(_u32) & _u32(0x80000000))).view(_f32)
    return erf, q


def _gelu_minimax(x: np.ndarray) -> np.ndarray:
    """The AVX-512 kernel: x/2 * (1 + sign(x) P_i(|x|)), P_i a degree 5 polynomial picked by
    an integer view of |x|."""
    bits = x.view(_u32)
    abs_bits = bits & _u32(0x7FFFFFFF)
    a = abs_bits.view(_f32)
    # Subnormals and small |x| give negative indices (an arithmetic shift), clamped to 1.
    i = (abs_bits + _IDX_BIAS).view(np.int32) >> 21
    np.minimum(np.maximum(i, 1, out=i), 24, out=i)  # np.clip's checks cost more than both
    i[_RBOUND < a] = 23
    i = i.astype(np.intp)  # once, not in each take
    # Indices are in range: "wrap" skips the bounds check that costs as much as the copy.
    a64 = a.astype(_f64)
    buf = np.empty_like(a64)
    pair = _PAIRS[2].take(i, mode="wrap").view(_f32)
    p = _fma(pair[1::2], a64, pair[0::2], buf)
    for k in (1, 0):
        pair = _PAIRS[k].take(i, mode="wrap").view(_f32)
        p = _fma(p, a64, pair[1::2], buf)
        p = _fma(p, a64, pair[0::2], buf)
    p = (p.view(_u32) ^ (bits & _u32(0x80000000))).view(_f32)
    return x * (p + _f32(1)) * _f32(0.5)


def gelu_erf(x: np.ndarray, isa: str | None = None) -> np.ndarray:
    """oneDNN's eltwise_gelu_erf, x/2 * (1 + erf(x / sqrt 2)), as the kernel for ``isa``
    (``GELU_ISA`` by default) computes it."""
    isa = isa or GELU_ISA
    x = np.ascontiguousarray(x, _f32)
    with np.errstate(all="ignore"):
        if isa == "avx512_core":
            return _gelu_minimax(x.reshape(-1)).reshape(x.shape)
        fused = isa == "avx2"
        buf = np.empty(x.shape, _f64) if fused else None
        erf, _ = _erf_as(x * _SQRT1_2, fused, buf)
        half = x * _f32(0.5)
        return _madd(erf, half, half, fused, buf)


def gelu_erf_backward(grad: np.ndarray, x: np.ndarray, isa: str | None = None) -> np.ndarray:
    """oneDNN's eltwise_gelu_erf backward: grad * (1/2 + z exp(-z*z) / sqrt pi + erf(z) / 2)
    with z = x / sqrt 2, erf by Abramowitz and Stegun's formula at every level."""
    fused = (isa or GELU_ISA) in ("avx2", "avx512_core")
    x = np.asarray(x, _f32)
    with np.errstate(all="ignore"):
        z = x * _SQRT1_2
        buf = np.empty(z.shape, _f64) if fused else None
        erf, q = _erf_as(z, fused, buf)
        t = z * _SQRT1_PI * q + _f32(0.5)
        # erf / 2 is exact in float64, and a sum of two 24-bit floats rounds there either
        # exactly or too far from a float32 tie to land on one (a third of these sums are
        # exact ties, which the tie search would redo for nothing).
        return _madd(erf, _f32(0.5), t, fused, buf, ties=False) * np.asarray(grad, _f32)
