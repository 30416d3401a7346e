"""oneDNN's elementwise kernels on NumPy arrays, bit for bit.

torch hands float32 gelu (the exact form) of a contiguous tensor with more than one element
to oneDNN's eltwise primitive, whose JIT code evaluates erf by Abramowitz and Stegun's formula
7.1.26 with oneDNN's own exp. Its steps are replayed here with each fused multiply-add
rounded once (SLEEF's float32 FMA). Which code runs depends on the instruction set oneDNN
finds: this is the AVX2 one (``GELU_ISA``), used on machines without AVX-512.
"""

from __future__ import annotations

import numpy as np

from ._sleef import _fma32, cpu_features

__all__ = ["gelu_erf", "GELU_ISA"]

_f32 = np.float32


def _hex(bits: int) -> np.float32:
    return np.array(bits, np.uint32).view(_f32)[()]


def _isa() -> str:
    has = cpu_features()
    if all(has.get(f) for f in ("AVX512F", "AVX512VL", "AVX512BW", "AVX512DQ")):
        return "avx512_core"
    return "avx2" if has.get("AVX2") and has.get("FMA3") else "sse41"


GELU_ISA = _isa()

# oneDNN's tables, as it writes them (float32 bit patterns).
_LOG2E = _hex(0x3FB8AA3B)
_LN2 = _hex(0x3F317218)
_LN_FLT_MAX = _hex(0x42B17218)
_LN_FLT_MIN = _hex(0xC2AEAC50)
_EXP_POLY = [_hex(b) for b in (0x3C07CFCE, 0x3D2B9D0D, 0x3E2AAD40, 0x3EFFFEE3, 0x3F7FFFFB)]
_SQRT1_2 = _hex(0x3F3504F3)
_ERF_P = _hex(0x3EA7BA05)
_ERF_POLY = [_hex(b) for b in (0x3F87DC22, 0xBFBA00E3, 0x3FB5F0E3, 0xBE91A98E, 0x3E827906)]


def _exp(s: np.ndarray) -> np.ndarray:
    """oneDNN's exp: 2**n * p(r) with n = floor(s log2 e + 1/2), r = s - n ln 2 and a degree 5
    polynomial; 0 below ln(FLT_MIN), the argument clamped to [ln FLT_MIN, ln FLT_MAX]."""
    under = s < _LN_FLT_MIN
    s = np.maximum(np.minimum(s, _LN_FLT_MAX), _LN_FLT_MIN)  # NaN stays NaN, as maxps's order
    fx = np.floor(s * _LOG2E + _f32(0.5))
    r = _fma32(-fx, _LN2, s)
    # 2**(n-1), times 2 at the end: 2**128 is no float.
    n = np.where(np.isnan(fx), 0, fx - _f32(1)).astype(np.int32)
    scale = ((n + 127) << 23).view(_f32)
    scale = np.where(under, _f32(0), scale)
    p = np.full_like(r, _EXP_POLY[0])
    for c in _EXP_POLY[1:]:
        p = _fma32(p, r, c)
    p = _fma32(p, r, _f32(1))
    return p * scale * _f32(2)


def gelu_erf(x: np.ndarray) -> np.ndarray:
    """oneDNN's eltwise_gelu_erf (AVX2): S + S * erf(x / sqrt 2) with S = x / 2, erf by
    Abramowitz and Stegun's 7.1.26."""
    x = np.asarray(x, _f32)
    with np.errstate(all="ignore"):
        z = x * _SQRT1_2
        t = _f32(1) / _fma32(_ERF_P, np.abs(z), _f32(1))
        e = -_exp(-(z * z)) * t
        r = np.full_like(t, _ERF_POLY[0])
        for c in _ERF_POLY[1:]:
            r = _fma32(r, t, c)
        erf = _fma32(e, r, _f32(1))
        erf = np.where(np.signbit(z), -erf, erf)
        half = x * _f32(0.5)
        return _fma32(erf, half, half)
