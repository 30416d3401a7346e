"""The namespaces derivative formulas are written against.

A formula such as `lambda m, g, x: g * m.cos(x)` runs on NumPy arrays with `m = raw` (plain
backward: no tensors, no graph) and on tensors with `m = graph` (create_graph=True, where
the formula's own operations record a graph, so higher derivatives need nothing more).
Both namespaces offer the same names with torch's meaning.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ..autograd.graph import Math


def _sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if lead or g.shape != shape else g


def _sum(x: np.ndarray, dims: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.asarray(x.sum(axis=dims, keepdims=keepdim))


def _unsqueeze_dims(g: np.ndarray, dims: tuple, ndim: int) -> np.ndarray:
    """Re-inserts the reduced dimensions `dims` of an `ndim`-dimensional input."""
    return np.expand_dims(g, dims) if dims else g.reshape((1,) * ndim)


def _where(cond: Any, a: Any, b: Any) -> np.ndarray:
    return np.asarray(np.where(cond, a, b))


raw = SimpleNamespace(
    sum_to=_sum_to,
    cast=lambda g, dt: g.astype(dt),
    sum=_sum,
    expand=np.broadcast_to,
    reshape=np.reshape,
    unsqueeze_dims=_unsqueeze_dims,
    unsqueeze=np.expand_dims,
    squeeze=np.squeeze,
    where=_where,
    exp=np.exp,
    log=np.log,
    log1p=np.log1p,
    sin=np.sin,
    cos=np.cos,
    sqrt=np.sqrt,
    sign=np.sign,
    abs=np.abs,
    sigmoid=lambda x: 1 / (1 + np.exp(-x)),
    matmul=np.matmul,
    mT=lambda x: x.swapaxes(-1, -2),
    transpose=lambda x, a, b: x.swapaxes(a, b),
    permute=np.transpose,
    outer=lambda a, b: np.multiply.outer(a, b),
    zeros_like=np.zeros_like,
    ones_like=np.ones_like,
    pow=np.power,
)

# Filled in by the ops package with ember's own differentiable ops.
graph = SimpleNamespace()

Math.raw = raw
Math.graph = graph
