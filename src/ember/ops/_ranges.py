"""The values of arange and linspace, rounded exactly as torch's CPU kernels round them.

torch fills arange with a vectorized loop: blocks of two SIMD vectors (32 bytes each, the
width its kernel runs at here) take `base + i * step` from a base computed at the block's
first index, and the tail takes `start + step * idx` per element. The compiler contracts
each `a + b * c` into a fused multiply-add, so each value is rounded once from the exact
product and sum.
"""

from __future__ import annotations

import numpy as np

from .._random_math import fma_f32, fma_f64

VECTOR_BYTES = 32


def _block_starts(n: int, width: int) -> tuple:
    """For each index: the first index of its vector, and how many indices are vectorized
    (whole blocks of two vectors)."""
    idx = np.arange(n, dtype=np.int64)
    nv = (n // (2 * width)) * (2 * width)
    return idx, (idx // width) * width, nv


def arange_values(start: float, step: float, n: int, dt: np.dtype) -> np.ndarray:
    """torch.arange's n floating values of dtype `dt`, computed in its accumulate type."""
    width = VECTOR_BYTES // dt.itemsize
    idx, first, nv = _block_starts(n, width)
    if dt == np.float16:
        s, st = np.float32(start), np.float32(step)
        base = fma_f32(st, first, s).astype(dt)
        vec = fma_f32(idx - first, st, base.astype(np.float32))
        tail = fma_f32(st, idx, s)
    else:
        s, st = np.float64(start), np.float64(step)
        base = fma_f64(st, first.astype(np.float64), s).astype(dt)
        vec = fma_f64((idx - first).astype(np.float64), st, base.astype(np.float64))
        tail = fma_f64(st, idx.astype(np.float64), s)
    return np.where(idx < nv, vec, tail).astype(dt)


def linspace_values(start: float, end: float, steps: int, dt: np.dtype) -> np.ndarray:
    """torch.linspace's values (a scalar loop in its kernel): the first half forward from
    start, the rest backward from end, each a fused multiply-add in the dtype (in double,
    after casting the bounds, for integer dtypes)."""
    idx = np.arange(steps, dtype=np.int64)
    half = steps // 2
    if dt.kind in "iub" or dt == np.float64:
        if dt.kind in "iub":
            s = float(np.asarray(start).astype(dt))
            e = float(np.asarray(end).astype(dt))
        else:
            s, e = float(start), float(end)
        step = (e - s) / (steps - 1)
        out = np.where(idx < half, fma_f64(step, idx.astype(np.float64), s),
                       fma_f64(-step, (steps - idx - 1).astype(np.float64), e))
        if dt.kind in "iub":
            out = np.trunc(out)
        return out.astype(dt)
    s, e = dt.type(start), dt.type(end)
    step = dt.type((e - s) / dt.type(steps - 1))
    return np.where(idx < half, fma_f32(step, idx, s),
                    fma_f32(-step, steps - idx - 1, e)).astype(dt)
