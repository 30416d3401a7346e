"""Every op that takes an index tensor, against torch, with an index in range, a negative one
in range, one too large and one too small: torch accepts negative indices in some ops (take,
put, index_fill, index_put, advanced indexing, padding_idx) and refuses them in others, each
with its own exception class and message. Values, gradients and double gradients must match
where torch succeeds, and the error where it refuses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import check_op, same_error


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _row(L, i):
    return L.tensor([[i, 0, 2, 1]])


# name, fn(L, i, *tensors), shapes of the float operands, size of the indexed dimension
OPS = [
    ("index_select_1d", lambda L, i, x: L.index_select(x, 0, L.tensor([i, 0])), [(4,)], 4),
    ("index_select_d0", lambda L, i, x: x.index_select(0, L.tensor([0, i])), [(3, 4)], 3),
    ("index_select_d1", lambda L, i, x: x.index_select(1, L.tensor([i])), [(3, 4)], 4),
    ("index_select_d1_0dim", lambda L, i, x: x.index_select(1, L.tensor(i)), [(3, 4)], 4),
    ("index_select_d2", lambda L, i, x: x.index_select(-1, L.tensor([i], dtype=L.int32)),
     [(2, 3, 4)], 4),
    ("index_select_0dim", lambda L, i, x: x.index_select(0, L.tensor([i])), [()], 1),
    ("gather_d0", lambda L, i, x: x.gather(0, _row(L, i)), [(3, 4)], 3),
    ("gather_d1", lambda L, i, x: x.gather(1, L.tensor([[i], [0], [3]])), [(3, 4)], 4),
    ("gather_1d", lambda L, i, x: L.gather(x, 0, L.tensor([i, i])), [(4,)], 4),
    ("scatter_src", lambda L, i, x, s: x.scatter(0, _row(L, i), s), [(3, 4), (1, 4)], 3),
    ("scatter_value", lambda L, i, x: x.scatter(0, _row(L, i), 5.0), [(3, 4)], 3),
    ("scatter_add", lambda L, i, x, s: x.scatter_add(0, _row(L, i), s), [(3, 4), (1, 4)], 3),
    ("scatter_reduce_sum", lambda L, i, x, s: x.scatter_reduce(0, _row(L, i), s, "sum"),
     [(3, 4), (1, 4)], 3),
    ("scatter_reduce_amax", lambda L, i, x, s: x.scatter_reduce(
        1, L.tensor([[i, 0]] * 3), s, "amax", include_self=False), [(3, 4), (3, 2)], 4),
    ("scatter__", lambda L, i, x, s: (x * 1).scatter_(0, _row(L, i), s), [(3, 4), (1, 4)], 3),
    ("index_add", lambda L, i, x, s: x.index_add(0, L.tensor([i]), s), [(3, 4), (1, 4)], 3),
    ("index_add_d1", lambda L, i, x, s: x.index_add(1, L.tensor([i, 0]), s, alpha=2),
     [(3, 4), (3, 2)], 4),
    ("index_add_", lambda L, i, x, s: (x * 1).index_add_(0, L.tensor([i]), s),
     [(3, 4), (1, 4)], 3),
    ("index_copy", lambda L, i, x, s: x.index_copy(0, L.tensor([i]), s), [(3, 4), (1, 4)], 3),
    ("index_copy_d1", lambda L, i, x, s: x.index_copy(1, L.tensor([i]), s),
     [(3, 4), (3, 1)], 4),
    ("index_copy_", lambda L, i, x, s: (x * 1).index_copy_(0, L.tensor([i]), s),
     [(3, 4), (1, 4)], 3),
    ("index_fill", lambda L, i, x: x.index_fill(0, L.tensor([i]), 5.0), [(3, 4)], 3),
    ("index_fill_d1", lambda L, i, x: x.index_fill(1, L.tensor([i, 0]), -1.0), [(3, 4)], 4),
    ("index_fill_tensor", lambda L, i, x, v: x.index_fill(0, L.tensor([i, 1]), v.sum()),
     [(3, 4), (2,)], 3),
    ("index_put", lambda L, i, x, v: L.index_put(x, (L.tensor([i]),), v), [(3, 4), (4,)], 3),
    ("index_put_2", lambda L, i, x, v: x.index_put((L.tensor([0, 1]), L.tensor([i, i])), v),
     [(3, 4), (1,)], 4),
    ("index_put_acc", lambda L, i, x, v: x.index_put((L.tensor([i, i]),), v, accumulate=True),
     [(3, 4), (4,)], 3),
    ("index_put_", lambda L, i, x, v: (x * 1).index_put_((L.tensor([i]),), v),
     [(3, 4), (4,)], 3),
    ("take", lambda L, i, x: x.take(L.tensor([i, 0])), [(3, 4)], 12),
    ("put", lambda L, i, x, s: L.put(x, L.tensor([i, 0]), s), [(3, 4), (2,)], 12),
    ("put_accumulate", lambda L, i, x, s: x.put(L.tensor([[i], [i]]), s, accumulate=True),
     [(3, 4), (2, 1)], 12),
    ("put_", lambda L, i, x, s: (x * 1).put_(L.tensor([i]), s), [(3, 4), (1,)], 12),
    ("take_along_dim_flat", lambda L, i, x: L.take_along_dim(x, L.tensor([i, 0])), [(3, 4)],
     12),
    ("take_along_dim", lambda L, i, x: L.take_along_dim(x, L.tensor([[0], [i], [0]]), 1),
     [(3, 4)], 4),
    ("getitem", lambda L, i, x: x[L.tensor([i, 0])], [(3, 4)], 3),
    ("getitem_d1", lambda L, i, x: x[:, L.tensor([i])], [(3, 4)], 4),
    ("getitem_two", lambda L, i, x: x[L.tensor([0, 1]), L.tensor([i, 2])], [(3, 4)], 4),
    ("getitem_apart", lambda L, i, x: x[L.tensor([0]), :, L.tensor([i])], [(2, 3, 4)], 4),
    ("getitem_list", lambda L, i, x: x[[i, 0]], [(3, 4)], 3),
    ("getitem_0dim_index", lambda L, i, x: x[L.tensor(i)], [(3, 4)], 3),
    ("setitem", lambda L, i, x, v: _setitem(x, L.tensor([i]), v), [(3, 4), (4,)], 3),
    ("setitem_d1", lambda L, i, x, v: _setitem(x, (slice(None), L.tensor([i])), v.sum()),
     [(3, 4), (4,)], 4),
    ("embedding", lambda L, i, w: L.nn.functional.embedding(L.tensor([[i, 0]]), w),
     [(3, 4)], 3),
    ("embedding_padding", lambda L, i, w: L.nn.functional.embedding(
        L.tensor([i, 0, 2]), w, padding_idx=-1), [(3, 4)], 3),
    ("embedding_bag", lambda L, i, w: L.nn.functional.embedding_bag(
        L.tensor([i, 0, 1]), w, L.tensor([0, 2])), [(3, 4)], 3),
    ("embedding_bag_f32", lambda L, i, w: L.nn.functional.embedding_bag(
        L.tensor([i, 0, 1]), w.float(), L.tensor([0, 2]), mode="sum"), [(3, 4)], 3),
    ("embedding_bag_padding", lambda L, i, w: L.nn.functional.embedding_bag(
        L.tensor([i, 0, 1]), w.float(), L.tensor([0, 2]), padding_idx=1), [(3, 4)], 3),
    ("embedding_bag_max", lambda L, i, w: L.nn.functional.embedding_bag(
        L.tensor([[0, i]]), w, mode="max"), [(3, 4)], 3),
    ("nll_loss", lambda L, i, x: L.nn.functional.nll_loss(x, L.tensor([i, 0, 3])), [(3, 4)],
     4),
    ("nll_loss_none", lambda L, i, x: L.nn.functional.nll_loss(
        x, L.tensor([i, 0, 3]), reduction="none"), [(3, 4)], 4),
    ("nll_loss_weight", lambda L, i, x, w: L.nn.functional.nll_loss(
        x, L.tensor([i, 0, 3]), weight=w.detach().exp()), [(3, 4), (4,)], 4),
    ("nll_loss_ignore", lambda L, i, x: L.nn.functional.nll_loss(
        x, L.tensor([i, 0, 3]), ignore_index=i), [(3, 4)], 4),
    ("nll_loss_2d", lambda L, i, x: L.nn.functional.nll_loss(
        x, L.tensor([[[i, 0], [1, 2]]])), [(1, 4, 2, 2)], 4),
    ("cross_entropy", lambda L, i, x: L.nn.functional.cross_entropy(x, L.tensor([i, 0, 3])),
     [(3, 4)], 4),
    ("cross_entropy_ignore", lambda L, i, x: L.nn.functional.cross_entropy(
        x, L.tensor([i, 0, 3]), ignore_index=i), [(3, 4)], 4),
    ("cross_entropy_smoothing", lambda L, i, x: L.nn.functional.cross_entropy(
        x, L.tensor([i, 0, 3]), label_smoothing=0.2), [(3, 4)], 4),
    ("cross_entropy_smoothing_ignore", lambda L, i, x: L.nn.functional.cross_entropy(
        x, L.tensor([i, 0, 3]), label_smoothing=0.2, ignore_index=-1), [(3, 4)], 4),
    ("one_hot", lambda L, i: L.nn.functional.one_hot(L.tensor([i, 0]), 4), [], 4),
    ("one_hot_inferred", lambda L, i: L.nn.functional.one_hot(L.tensor([i, 3])), [], 4),
]


def _setitem(x, key, v):
    y = x * 1
    y[key] = v
    return y


@pytest.mark.parametrize("which", ["in_range", "negative", "too_large", "too_small"])
@pytest.mark.parametrize("name,fn,shapes,n", OPS, ids=[r[0] for r in OPS])
def test_index_bounds(name, fn, shapes, n, which):
    i = {"in_range": 1 % n, "negative": -1, "too_large": n, "too_small": -n - 1}[which]
    arrays = [_x(s, k) for k, s in enumerate(shapes)]
    try:
        _backward(torch, fn, i, arrays)
    except Exception:  # noqa: BLE001
        # Forward or backward refuses the index: ember must refuse it at the same step.
        same_error(lambda: _backward(ember, fn, i, arrays), lambda: _backward(torch, fn, i, arrays))
        return
    check_op(lambda L, *t: fn(L, i, *t), arrays)


def _backward(L, fn, i, arrays):
    ts = [L.from_numpy(a.copy()).requires_grad_() for a in arrays]
    out = fn(L, i, *ts)
    if ts and out.requires_grad:
        L.autograd.grad(out.sum(), ts, allow_unused=True)


@pytest.mark.parametrize("shape,dim,i", [((0, 4), 0, 0), ((3, 0), 1, 0), ((0,), 0, 0),
                                         ((3, 0), 0, 5), ((0, 4), 1, -1), ((2, 0, 3), 2, 3)])
def test_index_select_of_empty_tensor(shape, dim, i):
    same_error(lambda: ember.zeros(shape).index_select(dim, ember.tensor([i])),
               lambda: torch.zeros(shape).index_select(dim, torch.tensor([i])))


PUT_ERRORS = [
    lambda L: L.zeros(3, 4).put(L.tensor([1.]), L.tensor([1.])),
    lambda L: L.zeros(3, 4).put(L.tensor([1], dtype=L.int32), L.tensor([1.])),
    lambda L: L.zeros(3, 4).put(L.tensor([1, 2]), L.tensor([1.])),
    lambda L: L.zeros(3, 4).put(L.tensor([1]), L.tensor([1.], dtype=L.float64)),
    lambda L: L.zeros(0).put(L.tensor([0]), L.tensor([1.])),
    lambda L: L.put(L.zeros(3, 4), L.tensor([1]), 1.0),
    lambda L: L.put(L.zeros(3, 4), [1], L.ones(1)),
]


@pytest.mark.parametrize("i", range(len(PUT_ERRORS)))
def test_put_errors(i):
    same_error(lambda: PUT_ERRORS[i](ember), lambda: PUT_ERRORS[i](torch))


def test_put_node_and_empty_index():
    names = [type(L.put(L.zeros(2, requires_grad=True), L.tensor([-1]), L.ones(1)).grad_fn)
             .__name__ for L in (ember, torch)]
    assert names[0] == names[1]
    check_op(lambda L, x: x.put(L.tensor([], dtype=L.int64), L.tensor([], dtype=x.dtype)),
             [_x((2, 3))])
    check_op(lambda L, x: L.zeros(()).put(L.tensor(-1), x), [_x(())])
