"""torch's layouts and memory formats: `torch.strided` and friends, and
`torch.contiguous_format`, `channels_last`, `channels_last_3d`, `preserve_format`.

ember tensors are strided NumPy arrays, so `strided` is the only layout a tensor has; the
memory formats say in which order a copy lays out its elements (channels_last: NCHW
tensors stored as NHWC), which torch's `contiguous`, `clone`, `to` and `is_contiguous`
take."""

from __future__ import annotations

import numpy as np

__all__ = ["layout", "strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr",
           "sparse_bsc", "memory_format", "contiguous_format", "channels_last",
           "channels_last_3d", "preserve_format"]


class _Named:
    """An object torch prints as `torch.<name>` and pickles as that global."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return "torch." + self._name

    def __reduce__(self) -> str:
        return self._name


class layout(_Named):
    """The memory layout of a tensor's elements (torch.layout)."""

    __slots__ = ()


class memory_format(_Named):
    """The order in which a tensor's elements lie in memory (torch.memory_format)."""

    __slots__ = ()


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")

contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

# The dimension order in memory, outermost first, of the channels-last formats and the rank
# each needs.
_CHANNELS_LAST = {channels_last: (4, (0, 2, 3, 1)), channels_last_3d: (5, (0, 2, 3, 4, 1))}


def in_format(x: np.ndarray, fmt: memory_format | None) -> np.ndarray:
    """A fresh copy of x laid out in `fmt` (None and preserve_format: x's own order where
    it is dense, as NumPy's order='K'), with torch's error for a channels-last format of the
    wrong rank."""
    if fmt is None or fmt is preserve_format:
        return np.array(x, copy=True, order="K")
    if fmt is contiguous_format:
        return np.array(x, copy=True, order="C")
    rank, order = _CHANNELS_LAST[fmt]
    if x.ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt._name} format")
    back = tuple(int(i) for i in np.argsort(order))
    return np.ascontiguousarray(x.transpose(order)).transpose(back)


def is_in_format(x: np.ndarray, fmt: memory_format | None) -> bool:
    """Whether x's elements already lie in memory in the order of `fmt` (torch's
    is_contiguous(memory_format=...); preserve_format asks for the default order)."""
    if fmt not in _CHANNELS_LAST:
        return bool(x.flags.c_contiguous)
    rank, order = _CHANNELS_LAST[fmt]
    return x.ndim == rank and bool(x.transpose(order).flags.c_contiguous)
