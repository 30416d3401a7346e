"""torch's CPU summation order for a full reduction, on NumPy arrays.

torch adds floating-point numbers in a fixed order that is neither NumPy's pairwise sum nor a
plain loop, so the last bits of a float32 sum differ between them. For a contiguous reduction
of n elements torch works on vectors of W lanes: 8 floats or 4 doubles (its sum kernel runs at
AVX2 width even where other kernels use AVX-512):

* the n // W whole vectors are read four at a time into four vector accumulators, through a
  "cascade" of four levels: each level adds 2**p consecutive items (p = max(4, ceil(log2
  rows) // 4)) before handing its total to the next level, which keeps rounding error low;
* leftover vectors go into accumulator 0, then accumulators 1..3 are added into it;
* a scalar accumulator starting at 0 takes the leftover n % W elements in order, then the W
  lanes of the vector accumulator in order; the result is added to the zero-filled output.

Fewer than W elements use the same scheme on scalars. From 32768 elements on, with several
threads, the range is cut into one chunk per thread, each chunk summed as above into its own
slot, and the slots are then summed the same way.

A dense tensor is walked in memory order as one row. One that is not dense is walked as the
rows of its innermost run of memory, each summed as above (in vectors only when the run is
contiguous) and added into the output in turn. float16 is summed in float32, a vector item
being h[0:8] + h[8:16] of 16 halves; a float16 tensor that is not one row is summed as a
float32 copy, since its output would otherwise round between rows.

Every serial run of additions here is one NumPy call: np.add.reduce along a leading axis of a
C-contiguous array whose trailing axis has two or more lanes adds the rows one after another
in each lane (it is pairwise only along the innermost axis), and np.add.accumulate is serial
by definition. Each cascade level is one such reduction over a (groups, 2**p, lanes) view.
torch's accumulators start at +0.0 where NumPy's reductions start from their first item; the
two differ only in the sign of a zero, which the scalar chain, started at +0.0, makes torch's.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from .._quiet import quiet_off, quiet_on

__all__ = ["PARALLEL_GRAIN", "cascade_sum", "dense", "intraop_threads"]

# at::internal::GRAIN_SIZE: torch splits a reduction across threads from this many elements.
PARALLEL_GRAIN = _GRAIN = 32768
_LEVELS = 4
_ILP = 4
_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}
_HALF = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_reduce = np.add.reduce
_accumulate = np.add.accumulate
_concat = np.concatenate
_ZERO = {dt: np.zeros(1, dt) for dt in (_F32, np.dtype(np.float64))}


@functools.cache
def intraop_threads() -> int:
    """torch's default intra-op thread count: OMP_NUM_THREADS, else the physical cores."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        v = os.environ.get(var, "")
        if v.isdigit() and int(v) > 0:
            return int(v)
    cores = set()
    try:
        with open("/proc/cpuinfo") as f:
            phys = None
            for line in f:
                key, _, val = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    phys = val.strip()
                elif key == "core id":
                    cores.add((phys, val.strip()))
    except OSError:
        pass
    return len(cores) or os.cpu_count() or 1


def _multi_row_sum(rows: np.ndarray) -> np.ndarray:
    """torch's multi_row_sum: the four-level cascade down axis -2 of a (..., rows, lanes)
    array, lanes >= 2, as a (..., 1, lanes) array."""
    size = rows.shape[-2]
    power = max(4, (size - 1).bit_length() // _LEVELS)
    whole = size >> power
    if not whole:
        return _reduce(rows, axis=-2, keepdims=True)
    step = 1 << power
    batch = rows.shape[:-2]
    # Accumulator 0 ends as the serial sum of the rows after the last whole block, then of
    # accumulators 1, 2 and 3; an empty accumulator adds nothing.
    tail = rows[..., whole << power:, :]
    chain = [_reduce(tail, axis=-2, keepdims=True)] if tail.shape[-2] else []
    level = rows
    for depth in range(1, _LEVELS):
        level = _reduce(level[..., : whole << power, :].reshape(batch + (whole, step, -1)),
                        axis=-2)
        if depth == _LEVELS - 1:  # accumulator 3 takes every level-2 total
            chain.append(_reduce(level, axis=-2, keepdims=True))
            break
        whole = level.shape[-2] >> power
        if level.shape[-2] > whole << power:  # accumulator `depth` holds the leftovers
            chain.append(_reduce(level[..., whole << power:, :], axis=-2, keepdims=True))
        if not whole:
            break
    acc = chain[0]
    for more in chain[1:]:
        acc = acc + more
    return acc


def _lanes_total(items: np.ndarray, lanes: int, scalars: np.ndarray) -> np.ndarray:
    """torch's row_sum over each row (last axis) of whole vectors of `lanes` items: four
    cascades side by side, then the leftover vectors, then cascades 1..3 into cascade 0;
    then the chain from 0 over the row's leftover scalars and the lanes in order. A
    (..., 1) array.

    With lanes == 1 this is torch's scalar row_sum, whose items are the scalars."""
    batch = items.shape[:-1]
    nvec = items.shape[-1] // lanes
    quads = nvec // _ILP
    block = _ILP * lanes
    zero = _ZERO[items.dtype] if not batch else np.zeros(batch + (1,), items.dtype)
    if quads:
        parts = _multi_row_sum(items[..., : quads * block].reshape(batch + (quads, block)))
        if lanes == 1:
            chain = (zero, parts[..., 0, :1], items[..., quads * block:], parts[..., 0, 1:],
                     scalars)
            return _accumulate(_concat(chain, axis=-1), axis=-1)[..., -1:]
        rest = items[..., quads * block:].reshape(batch + (-1, lanes))
        vec = _reduce(_concat((parts[..., :lanes], rest,
                               parts.reshape(batch + (_ILP, lanes))[..., 1:, :]), axis=-2),
                      axis=-2)
    elif lanes == 1:
        vec = items
    else:
        vec = _reduce(items.reshape(batch + (nvec, lanes)), axis=-2)
    return _accumulate(_concat((zero, scalars, vec), axis=-1), axis=-1)[..., -1:]


def _row_totals(rows: np.ndarray, vectorized: bool) -> np.ndarray:
    """torch's sum of each row (last axis) of a C-contiguous float array, the way its kernel
    takes a row: in vectors when the row is contiguous in the tensor and holds at least one
    vector, else as scalars; float16 in float32. A (..., 1) float32/float64 array."""
    m = rows.shape[-1]
    if rows.dtype == _HALF:
        # A Vectorized<Half> holds 16 halves; its load widens them into two float vectors
        # and returns their sum, so each float32 vector item is h[0:8] + h[8:16].
        whole = m - m % 16
        if not (vectorized and whole):
            wide = rows.astype(_F32)
            return _lanes_total(wide, 1, wide[..., :0])
        wide = rows[..., :whole].astype(_F32).reshape(rows.shape[:-1] + (-1, 2, 8))
        items = (wide[..., 0, :] + wide[..., 1, :]).reshape(rows.shape[:-1] + (-1,))
        return _lanes_total(items, 8, rows[..., whole:].astype(_F32))
    lanes = _LANES[rows.dtype]
    if not vectorized or m < lanes:
        return _lanes_total(rows, 1, rows[..., :0])
    whole = m - m % lanes
    return _lanes_total(rows[..., :whole], lanes, rows[..., whole:])


def _into(dtype: np.dtype, totals: np.ndarray) -> np.ndarray:
    """The zero-filled output slot after each total is added into it in turn (torch's
    store: out = out + total); a 0-dim array of dtype. float16 comes here with one total
    (see _cascade_sum), rounded once."""
    if totals.shape[0] == 1:
        return totals.reshape(()).astype(dtype, copy=False)
    return _accumulate(_concat((_ZERO[dtype], totals)))[-1, ...]


def _runs(x: np.ndarray) -> list[tuple[int, int]]:
    """x's dims as torch's iterator orders them, (stride, size) from the innermost, size-1
    dims dropped and dims that continue one another merged into one run."""
    dims = sorted((st, sh) for st, sh in zip(x.strides, x.shape) if sh != 1)
    runs = dims[:1]
    for st, sh in dims[1:]:
        if st == runs[-1][0] * runs[-1][1]:
            runs[-1] = (runs[-1][0], runs[-1][1] * sh)
        else:
            runs.append((st, sh))
    return runs


def dense(x: np.ndarray) -> bool:
    """Whether x's elements fill its memory without gaps or overlaps, in some dim order
    (torch's non-overlapping and dense)."""
    runs = _runs(x)
    return len(runs) <= 1 and (not runs or runs[0][0] == x.itemsize)


def _memory_rows(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """The elements of x as torch's reduction walks them: as C-contiguous rows of the
    innermost run (a copy when x is not dense; one 1-D row when it is), and whether that
    run is contiguous in x."""
    if x.flags.c_contiguous:
        return x.reshape(-1), True
    runs = _runs(x)
    if not runs or runs[0][0] <= 0:
        # torch makes no tensor with negative strides, and a broadcast (stride 0) input
        # takes its outer-reduction kernels; both are summed as their C-order copy.
        return np.ascontiguousarray(x).reshape(-1), True
    inner_stride, m = runs[0]
    order = np.argsort(x.strides, kind="stable")[::-1]
    rows = np.ascontiguousarray(x.transpose(order))
    return (rows.reshape(-1) if m == x.size else rows.reshape(-1, m)), \
        inner_stride == x.itemsize


def cascade_sum(x: np.ndarray, threads: int | None = None) -> np.ndarray:
    """Sum of all elements of a float array, added in torch's CPU order (0-dim result)."""
    token = quiet_on()
    try:
        return _cascade_sum(x, intraop_threads() if threads is None else threads)
    finally:
        quiet_off(token)


def _cascade_sum(x: np.ndarray, threads: int) -> np.ndarray:
    rows, vectorized = _memory_rows(x)
    if x.dtype == _HALF and rows.ndim > 1:
        # torch's reduction loop takes two dims at a time, so a float16 output would round
        # between rows; it sums such an input as a float32 copy instead (C order: the copy
        # of a tensor that is not dense is contiguous), rounded once.
        return _cascade_sum(np.ascontiguousarray(x, _F32), threads).astype(_HALF)
    n = x.size
    if n < _GRAIN or threads <= 1:
        return _into(x.dtype, _row_totals(rows, vectorized).reshape(-1))
    # One chunk of the elements per thread, each summed into its own slot (of the output's
    # dtype), row piece by row piece; then the slots are summed as one contiguous row.
    used = min(threads, -(-n // _GRAIN))
    chunk = -(-n // used)
    m = rows.shape[-1]
    flat = rows.reshape(-1)
    slots = np.zeros(threads, x.dtype)
    for t in range(used):
        lo, hi = t * chunk, min((t + 1) * chunk, n)
        if lo >= hi:
            continue
        pieces = []
        first_end = min(hi, -(-lo // m) * m)  # the rest of the row the chunk starts in
        if first_end > lo:
            pieces.append(_row_totals(flat[lo:first_end], vectorized))
        full = (hi - first_end) // m
        if full:
            block = flat[first_end:first_end + full * m].reshape(full, m)
            pieces.append(_row_totals(block, vectorized)[:, 0])
        last = first_end + full * m
        if hi > last:
            pieces.append(_row_totals(flat[last:hi], vectorized))
        slots[t] = _into(x.dtype, _concat(pieces))
    return _into(x.dtype, _row_totals(slots, True))
