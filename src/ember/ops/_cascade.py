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
"""

from __future__ import annotations

import functools
import os

import numpy as np

__all__ = ["cascade_sum", "intraop_threads"]

_GRAIN = 32768
_LEVELS = 4
_ILP = 4
_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}


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


def _serial(rows: np.ndarray) -> np.ndarray:
    """Left-to-right sum of rows[0], rows[1], ... starting from 0, over axis 0."""
    acc = np.zeros(rows.shape[1:], rows.dtype)
    for r in rows:
        acc += r
    return acc


def _grouped(items: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Serial sums of each whole group of `step` items, and of the leftover items."""
    n = items.shape[0] // step
    whole = items[: n * step].reshape((n, step) + items.shape[1:])
    acc = np.zeros((n,) + items.shape[1:], items.dtype)
    for j in range(step):
        acc += whole[:, j]
    return acc, _serial(items[n * step:])


def _multi_row_sum(rows: np.ndarray) -> np.ndarray:
    """The four-level cascade over rows (axis 0); every other axis is an accumulator."""
    size = rows.shape[0]
    power = max(4, (int(size - 1).bit_length() if size > 1 else 0) // _LEVELS)
    step = 1 << power
    level0, tail = _grouped(rows, step)  # tail: the rows after the last whole block
    level1, acc1 = _grouped(level0, step)
    level2, acc2 = _grouped(level1, step)
    acc3 = _serial(level2)
    return ((tail + acc1) + acc2) + acc3


def _row_sum(items: np.ndarray) -> np.ndarray:
    """torch's row_sum: four interleaved cascades, then the leftovers, then their total."""
    n = items.shape[0] // _ILP
    parts = _multi_row_sum(items[: n * _ILP].reshape((n, _ILP) + items.shape[1:]))
    first = parts[0]
    for r in items[n * _ILP:]:
        first = first + r
    for k in range(1, _ILP):
        first = first + parts[k]
    return first


def _contiguous_sum(x: np.ndarray) -> np.ndarray:
    lanes = _LANES.get(x.dtype, 1)
    zero = x.dtype.type(0)
    if x.size < lanes or lanes == 1:
        return zero + _row_sum(x)
    nvec = x.size // lanes
    vec = _row_sum(x[: nvec * lanes].reshape(nvec, lanes))
    acc = zero
    for v in x[nvec * lanes:]:
        acc = acc + v
    for v in vec:
        acc = acc + v
    return zero + acc


def cascade_sum(x: np.ndarray, threads: int | None = None) -> np.ndarray:
    """Sum of all elements of a float array, added in torch's CPU order (0-dim result)."""
    x = x.ravel(order="K")  # torch walks a dense tensor in memory order
    n = x.size
    if threads is None:
        threads = intraop_threads()
    if n < _GRAIN or threads <= 1:
        return np.asarray(_contiguous_sum(x))
    used = min(threads, -(-n // _GRAIN))
    chunk = -(-n // used)
    slots = np.zeros(threads, x.dtype)
    for t in range(used):
        part = x[t * chunk:(t + 1) * chunk]
        if part.size:
            slots[t] = _contiguous_sum(part)
    return np.asarray(_contiguous_sum(slots))
