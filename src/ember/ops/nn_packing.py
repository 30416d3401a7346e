"""The derivative rows of ATen's packed-sequence ops (nn.utils.rnn's packing)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core import node_class

__all__: list = []


def _packed_grad(m: Any, g: Any, shape: tuple, sizes: tuple, rows: np.ndarray,
                 batch_first: bool) -> Any:
    # The packed rows' gradients back in their (time, batch) places, zeros in the padding:
    # one copy per step, as ATen's _pack_padded_sequence_backward writes them.
    grad = m.zeros(shape, g.dtype)
    offset = 0
    for t, n in enumerate(sizes):
        grad[t, :n] = g[offset:offset + n]
        offset += n
    return m.transpose(grad, 0, 1) if batch_first else grad


def _packed_grad_raw(m: Any, g: np.ndarray, shape: tuple, sizes: tuple, rows: np.ndarray,
                     batch_first: bool) -> np.ndarray:
    # On arrays one assignment of all rows to their places (flat time * batch positions).
    flat = np.zeros((shape[0] * shape[1],) + shape[2:], g.dtype)
    flat[rows] = g
    grad = flat.reshape(shape)
    return grad.swapaxes(0, 1) if batch_first else grad


PackPaddedSequenceBackward0 = node_class("PackPaddedSequenceBackward0", _packed_grad,
                                         raw=(_packed_grad_raw,))
