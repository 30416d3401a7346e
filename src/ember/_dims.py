"""Dimension indices as torch checks them: the one helper that Tensor itself and every op
with a `dim` argument share."""

from __future__ import annotations


def wrap_dim(dim: int, ndim: int, wrap_scalar: bool = True) -> int:
    """Checks a dimension index and makes it non-negative, with torch's error; a 0-dim
    tensor takes dims -1 and 0 unless `wrap_scalar` is false (size, stride)."""
    if not ndim and not wrap_scalar:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    n = ndim if ndim else 1
    if dim < -n or dim >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}],"
                         f" but got {dim})")
    return dim + n if dim < 0 else dim
