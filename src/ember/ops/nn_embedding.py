"""embedding and embedding_bag and their derivatives.

Forwards are NumPy; each node is one row of the derivative table with torch's name.
Formulas are written against the math namespace `m`, so they run on arrays in plain
backward and on tensors under create_graph.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from .._transform_hooks import transform_ops
from .._version import bump_version
from ._core import (
    _reach,
    attach,
    check_tensor,
    needs_grad,
    node_class,
    wrap,
)
from .nn_conv import _legacy

__all__ = []


def _embedding_grad(m: Any, g: Any, idx: np.ndarray, num: int, padding_idx: int) -> Any:
    dim = g.shape[-1]
    flat = idx.reshape(-1)
    g2 = m.reshape(g, (-1, dim))
    if padding_idx >= 0:
        g2 = g2 * m.const((flat != padding_idx).astype(_dtype_of(g))[:, None])
    rows = np.broadcast_to(flat, (dim, flat.size))
    return m.transpose(m.scatter_rows(m.mT(g2), np.ascontiguousarray(rows), num), 0, 1)


def _dtype_of(g: Any) -> np.dtype:
    return g._data.dtype if isinstance(g, Tensor) else g.dtype


EmbeddingBackward0 = node_class("EmbeddingBackward0", _embedding_grad)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Looks up rows of weight at the indices in input."""
    # torch's Python code hands the indices to the native op's parser (after asking them to
    # be contiguous when it renormalizes).
    if max_norm is not None:
        _reach("contiguous", input)
    check_tensor(input, "indices", 1, "embedding")
    if weight._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {_legacy(idx)} instead "
                           "(while checking arguments for embedding)")
    w = weight._data
    num = w.shape[0]
    if idx.size and not num:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        if not w.shape[1]:
            # torch gathers rows of no width with another kernel, in its words
            bad = idx.reshape(-1)[(idx.reshape(-1) < 0) | (idx.reshape(-1) >= num)][0]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} "
                               f"axis_dim={num}")
        raise IndexError("index out of range in self")
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        _embedding_renorm(w, idx, max_norm, norm_type)
        bump_version(weight)
    out = wrap(w[idx.astype(np.int64)])
    if needs_grad(weight):
        attach(EmbeddingBackward0, out, (weight,), (idx.astype(np.int64), num, padding_idx))
    return out


def _embedding_renorm(w: np.ndarray, idx: np.ndarray, max_norm: float, p: float) -> None:
    # As torch's embedding_renorm_: each looked-up row once, its norm in the row's dtype, the
    # scale in double, the row scaled in its dtype.
    for i in np.unique(idx):
        row = w[i]
        norm = float(_row_norm(row, p))
        if norm > max_norm:
            row *= row.dtype.type(max_norm / (norm + 1e-7))


def _row_norm(row: np.ndarray, p: float) -> Any:
    a = np.abs(row)
    if p == math.inf:
        return a.max(initial=0)
    if p == -math.inf:
        return a.min(initial=math.inf)
    if p == 0:
        return np.count_nonzero(a)
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt(np.dot(row, row))
    return np.sum(a ** a.dtype.type(p)) ** a.dtype.type(1.0 / p)


def _bag_gradient(compute: Any) -> Any:
    """A gradient of embedding_bag, computed on arrays; torch's is not differentiable again,
    so under create_graph it comes back as a tensor without history."""

    def formula(m: Any, g: Any, *rest: Any) -> Any:
        if isinstance(g, Tensor):
            return Tensor._make(compute(g._data, *(r._data if isinstance(r, Tensor) else r
                                                   for r in rest)))
        return compute(g, *rest)

    return formula


def _bag_weight_grad(g: np.ndarray, w: np.ndarray, psw: Any, plan: tuple) -> np.ndarray:
    idx, bags, scale, picked, winners = plan
    out = np.zeros_like(w)
    if winners is not None:
        # max: each (bag, column) passes its gradient to the row that held the maximum.
        b, d = np.nonzero(winners >= 0)
        np.add.at(out, (idx[winners[b, d]], d), g[b, d])
        return out
    rows = g[bags] * scale[:, None].astype(g.dtype)
    if psw is not None:
        rows = rows * psw.reshape(-1)[:, None]
    np.add.at(out, idx[picked], rows[picked])
    return out


def _bag_psw_grad(g: np.ndarray, w: np.ndarray, psw: Any, plan: tuple) -> np.ndarray:
    idx, bags, scale, picked, _ = plan
    out = (g[bags] * w[idx]).sum(1)
    return np.where(picked, out, g.dtype.type(0)).astype(g.dtype).reshape(psw.shape)


EmbeddingBagBackward0 = node_class("EmbeddingBagBackward0",
                                   _bag_gradient(_bag_weight_grad),
                                   _bag_gradient(_bag_psw_grad))


_TENSOR_CLASS = "<class 'torch.Tensor'>"  # as torch prints type(offsets)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2.0,
                  scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Sums, averages or takes the maximum of bags of embeddings (rows of weight) without
    building the intermediate embeddings."""
    # torch's Python checks, in its order
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape!r}) "
                         "is not None, then it must have the same shape as the input "
                         f"({input.shape!r})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    x = input._data.astype(np.int64)
    if x.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{_TENSOR_CLASS if isinstance(offsets, Tensor) else type(offsets)}")
        n_bags, per = x.shape
        starts = np.arange(n_bags, dtype=np.int64) * per
        x = x.reshape(-1)
    elif x.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets._data.astype(np.int64)
        if include_last_offset:
            starts = starts[:-1]
        n_bags = len(starts)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{x.ndim}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    w = weight._data
    num = w.shape[0]
    if x.size and (x.min() < 0 or x.max() >= num):
        k = int(np.flatnonzero((x < 0) | (x >= num))[0])
        if w.dtype.kind == "f" and w.dtype.itemsize <= 4 and mode != "max" and \
                padding_idx is None:
            # torch's fast kernel for these (fbgemm) reports in its own words.
            raise RuntimeError(f"Index {k} of input takes value {x[k]} which is not in the "
                               f"valid range [0, {num})")
        raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but found "
                           f"idx to be {x[k]}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        _embedding_renorm(w, x, max_norm, norm_type)
        bump_version(weight)
    # The bag of each index, which indices count (not padding) and how many per bag.
    bags = np.searchsorted(starts, np.arange(len(x)), side="right") - 1
    keep = np.ones(len(x), bool) if padding_idx is None else x != padding_idx
    counts = np.bincount(bags[keep], minlength=n_bags)
    rows = w[x]
    psw = None if per_sample_weights is None else per_sample_weights._data.reshape(-1)
    if psw is not None:
        rows = rows * psw[:, None]
    out = np.zeros((n_bags, w.shape[1]), w.dtype)
    winners = None
    if mode == "max":
        out[...] = -np.inf
        np.maximum.at(out, bags[keep], rows[keep])
        out[counts == 0] = 0
        # Per (bag, column), the first index holding the maximum takes the gradient.
        hit_j, hit_d = np.nonzero(keep[:, None] & (rows == out[bags]))
        winners = np.full(out.shape, len(x), np.int64)
        np.minimum.at(winners, (bags[hit_j], hit_d), hit_j)
        winners[winners == len(x)] = -1
        picked = keep
        scale = np.ones(len(x))
    else:
        np.add.at(out, bags[keep], rows[keep])
        picked = keep
        scale = np.ones(len(x))
        if mode == "mean":
            nonempty = counts > 0
            out[nonempty] /= counts[nonempty, None].astype(w.dtype)
            scale = 1.0 / np.maximum(counts[bags], 1)
    result = wrap(out)
    if needs_grad(weight, per_sample_weights):
        attach(EmbeddingBagBackward0, result, (weight, per_sample_weights),
               (weight, per_sample_weights), ((x, bags, scale, picked, winners),))
    return result


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
