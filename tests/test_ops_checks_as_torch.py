"""torch.* and Tensor.* calls whose checks the error fuzzer found out of torch's order, with
other texts or missing, each compared with torch in this process: the same exception class
and first line of the message, or the same result (and warning)."""

from __future__ import annotations

import warnings

import pytest
import torch

import ember
from helpers import assert_same, first_errors


def B(lib, *shape):
    return lib.zeros(shape, dtype=lib.bool)


RAISES = {
    # Broadcasting errors name the operands in torch's order.
    "masked_select mask first": lambda L: L.masked_select(L.ones(1, 2, 3, 3), B(L, 2, 3)),
    "masked_fill mask first": lambda L: L.ones(3, 3).masked_fill(B(L, 2, 2, 3), 1.0),
    "masked_scatter mask first": lambda L: L.ones(3, 3).masked_scatter(B(L, 2, 3),
                                                                       L.ones(3, 3)),
    "masked_fill_ self first": lambda L: L.ones(3, 3).masked_fill_(B(L, 2, 2, 3), 1.0),
    "masked_fill_ mask larger": lambda L: L.ones(3, 3).masked_fill_(B(L, 1, 2, 3, 3), 1.0),
    "masked_scatter_ expands": lambda L: L.ones(3, 3).masked_scatter_(B(L, 2, 3),
                                                                      L.ones(3, 3)),
    "masked_scatter_ expands, more dims": lambda L: L.ones(3, 3).masked_scatter_(
        B(L, 1, 2, 3, 3), L.ones(3, 3)),
    "rsub other first": lambda L: L.rsub(L.ones(1, 2, 3, 3), L.ones(2, 3)),
    "where float condition": lambda L: L.where(L.ones(2, 1), L.ones(3), L.ones(0)),
    "where uint8 condition broadcasts": lambda L: L.where(L.ones(2, 1, dtype=L.uint8),
                                                          L.ones(3), L.ones(0)),
    # Checks in torch's order.
    "masked_select mask dtype": lambda L: L.masked_select(L.ones(3), L.ones(3)),
    "masked_fill value before mask dtype": lambda L: L.ones(3).masked_fill(L.ones(3),
                                                                           L.ones(3)),
    "masked_fill mask dtype": lambda L: L.ones(3).masked_fill(L.ones(3, dtype=L.float16), 1),
    "masked_scatter dtypes first": lambda L: L.ones(2, 1, dtype=L.int32).masked_scatter(
        L.ones(3), L.ones(0)),
    "masked_scatter_ shape before mask dtype": lambda L: L.ones(3, 3).masked_scatter_(
        L.ones(2, 3), L.ones(3, 3)),
    "masked_scatter mask dtype": lambda L: L.ones(3, 3).masked_scatter(L.ones(3),
                                                                       L.ones(3, 3)),
    "sub bool before shapes": lambda L: L.sub(B(L, 3, 3), L.ones(2, 2, 3), alpha=False),
    "rsub bool before shapes": lambda L: L.rsub(B(L, 3), L.ones(2, 0)),
    "sub_ bool before shapes": lambda L: B(L, 3).sub_(L.ones(2, 1)),
    "div_ output shape before type": lambda L: L.ones(3, dtype=L.int64).div_(L.ones(2, 3)),
    "mul_ output shape before type": lambda L: L.ones(2, 1, dtype=L.uint8).mul_(
        L.ones(0, dtype=L.float16)),
    # expand: torch's names of types, and its walk from the last dimension.
    "expand bool names CPUBoolType": lambda L: B(L, 2, 1).expand(3),
    "broadcast_to bool": lambda L: L.broadcast_to(B(L, 2, 1), (3,)),
    "expand -1 in two leading dims": lambda L: L.ones(3).expand(-1, -1, 3),
    "expand 0-dim to -1": lambda L: L.ones(()).expand(-1),
    "expand negative size": lambda L: L.ones(1).expand(2, -2),
    # Numbers stored into a tensor: out of the type's range is torch's error.
    "fill_ uint8 300": lambda L: L.ones(3, dtype=L.uint8).fill_(300),
    "fill_ uint8 -0.5": lambda L: L.ones(3, dtype=L.uint8).fill_(-0.5),
    "fill_ int32 nan": lambda L: L.ones(3, dtype=L.int32).fill_(float("nan")),
    "fill_ int64 2**63": lambda L: L.ones(3, dtype=L.int64).fill_(2 ** 63),
    "fill_ float16 65505": lambda L: L.ones(3, dtype=L.float16).fill_(65505.0),
    "fill_ float32 1e300": lambda L: L.ones(3).fill_(1e300),
    "full uint8 300": lambda L: L.full((2,), 300, dtype=L.uint8),
    "full tensor value": lambda L: L.full((2,), L.tensor(1e300, dtype=L.float64)),
    "full_like uint8 300": lambda L: L.full_like(L.ones(2, dtype=L.uint8), 300),
    "new_full uint8 300": lambda L: L.ones(3, dtype=L.uint8).new_full((2,), 300),
    "masked_fill uint8 300": lambda L: L.ones(3, dtype=L.uint8).masked_fill(
        L.ones(3, dtype=L.bool), L.tensor(300)),
    "masked_fill_ float 1e300": lambda L: L.ones(3).masked_fill_(L.ones(3, dtype=L.bool),
                                                                 1e300),
    # Matrix products check in their kernels' order.
    "addmm dtypes first": lambda L: L.addmm(L.ones(3), L.ones(()), L.ones(0, 3, dtype=L.float64)),
    "addmm self dtype": lambda L: L.addmm(L.ones(0, 3), L.ones(3, 3), L.ones(3, dtype=L.float64)),
    "addmm expands input": lambda L: L.addmm(L.ones(2, 2), L.ones(2, 3), L.ones(3, 3)),
    "addmm bool": lambda L: L.addmm(B(L, 2, 2), B(L, 2, 2), B(L, 2, 2)),
    "addmv input rank first": lambda L: L.addmv(L.ones(0, 3), L.ones(3, 3),
                                                L.ones(3, dtype=L.float64)),
    "addmv dtypes": lambda L: L.addmv(L.ones(3), L.ones(3, 3), L.ones(3, dtype=L.float64)),
    "addmv 0-dim input size": lambda L: L.addmv(L.ones(()), L.ones(3, 3), L.ones(2)),
    "mv 0-dim matrix": lambda L: L.mv(L.ones(()), L.ones(3)),
    "mv bool": lambda L: L.mv(B(L, 2, 3), B(L, 3)),
    "baddbmm expands input first": lambda L: L.baddbmm(L.ones(0, 3), L.ones(3, 3),
                                                       L.ones(3, dtype=L.float64)),
    "baddbmm 0-dim batch": lambda L: L.baddbmm(L.ones(()), L.ones(()), L.ones(())),
    "baddbmm input dtype": lambda L: L.baddbmm(L.ones(3, dtype=L.float16), L.ones(2, 2, 3),
                                               L.ones(2, 3, 3)),
    "baddbmm batch2 dtype": lambda L: L.baddbmm(L.ones(3), L.ones(2, 2, 3),
                                                L.ones(2, 3, 3, dtype=L.int64)),
    "addbmm expands input first": lambda L: L.addbmm(L.ones(3), L.ones(()), L.ones(0, 3)),
    "addbmm batches": lambda L: L.addbmm(L.ones(3), L.ones(2, 2, 3), L.ones(1, 3, 3)),
    "addbmm sizes": lambda L: L.addbmm(L.ones(3), L.ones(2, 2, 3), L.ones(2, 2, 3)),
    "addbmm dtypes": lambda L: L.addbmm(L.ones(3), L.ones(2, 2, 3, dtype=L.float64),
                                        L.ones(2, 3, 3)),
    "bmm bool": lambda L: L.bmm(B(L, 2, 2, 3), B(L, 2, 3, 3)),
    "dot dtype before size": lambda L: L.matmul(L.ones(3), L.ones(0, dtype=L.float64)),
    "dot bool": lambda L: L.dot(B(L, 3), B(L, 3)),
    "inner dtypes": lambda L: L.inner(L.ones(2, 3, dtype=L.int64), L.ones(3, 3)),
    "tensordot dims None": lambda L: L.tensordot(L.ones(2, 3), None, None),
    "tensordot dims as given": lambda L: L.tensordot(L.ones(0, 3), L.ones(3, 3)),
    "tensordot negative tensor dims": lambda L: L.tensordot(L.ones(3), L.ones(3),
                                                            L.tensor(-1.37)),
    "tensordot non-tensor": lambda L: L.tensordot(True, L.ones(0, 3), 4),
    "tensordot repeated dim": lambda L: L.tensordot(L.ones(3, 3), L.ones(3, 3),
                                                    ([0, 0], [0, 1])),
    "tensordot 0-dim": lambda L: L.tensordot(L.ones(()), L.ones(3), ([0], [0])),
    "tensordot bool": lambda L: L.tensordot(B(L, 2, 3), B(L, 2, 3), 2),
    # The index_* family, gather and scatter check in their kernels' order.
    "index_add 2-d float index": lambda L: L.index_add(L.ones(2, 3, 4), 1, L.ones(1, 3),
                                                       L.ones(2, 3, 4)),
    "index_add index dtype": lambda L: L.index_add(L.ones(3, 2), 1, B(L, 0), L.ones(3, 2)),
    "index_add dim of source": lambda L: L.index_add(L.ones(3, 2), 1, L.zeros(2, dtype=L.long),
                                                     L.ones(2)),
    "index_add 0-dim source size": lambda L: L.index_add(L.ones(3, 2), 0,
                                                         L.zeros(2, dtype=L.long), L.ones(())),
    "index_add slice shapes": lambda L: L.index_add(L.ones(3, 2), 0, L.zeros(2, dtype=L.long),
                                                    L.ones(2, 3)),
    "index_copy 2-d index": lambda L: L.index_copy(L.ones(3, 2), 0, L.ones(2, 2),
                                                   L.ones(2, 2)),
    "index_copy ranks first": lambda L: L.index_copy(L.ones(2, 3, 4, 4, dtype=L.float16), 1,
                                                     L.zeros(0, dtype=L.long), L.ones(3, 3)),
    "index_copy scalar source": lambda L: L.index_copy(L.ones(()), -1, L.ones(3), L.ones(())),
    "index_copy int32 index": lambda L: L.index_copy(L.ones(3, 2), 0,
                                                     L.zeros(2, dtype=L.int32), L.ones(2, 2)),
    "index_copy slice shapes": lambda L: L.index_copy(L.ones(3, 2, 2), 0,
                                                      L.zeros(2, dtype=L.long), L.ones(2, 3, 2)),
    "index_fill index dtype before dim": lambda L: L.index_fill(L.ones(()), -4, B(L, 2, 1), 1),
    "index_fill 2-d index": lambda L: L.index_fill(L.ones(3), -1, L.zeros(3, 2, dtype=L.long),
                                                   -3.0),
    "index_fill_ value tensor first": lambda L: L.ones(3, 2).index_fill_(-4, L.ones(3),
                                                                         L.ones(3)),
    "index_fill uint8 300": lambda L: L.ones(3, dtype=L.uint8).index_fill(
        0, L.zeros(1, dtype=L.long), 300),
    "gather dim first": lambda L: L.gather(L.ones(3, 2), -4, B(L, 0)),
    "gather dim before rank": lambda L: L.gather(L.ones(1), 3, L.ones(1, 3, dtype=L.long)),
    "gather int16 index": lambda L: L.gather(L.ones(3, 2), 0, L.zeros(2, 2, dtype=L.int16)),
    "scatter dim before dtypes": lambda L: L.scatter(L.ones(()), 1, L.zeros(2, 1, dtype=L.long),
                                                     B(L, 1)),
    "scatter index dtype before src": lambda L: L.scatter(L.ones(3, 2), 0, B(L, 2, 1),
                                                          B(L, 2, 2)),
    "scatter src rank": lambda L: L.scatter(L.ones(3, 2), 0, L.zeros(2, 2, dtype=L.long),
                                            L.ones(2)),
    "scatter value sizes": lambda L: L.scatter(L.ones(3, 2), 0, L.zeros(2, 3, dtype=L.long),
                                               1.0),
    "scatter uint8 300": lambda L: L.ones(3, 2, dtype=L.uint8).scatter(
        0, L.zeros(2, 2, dtype=L.long), 300),
    "scatter_add empty index, src dtype": lambda L: L.scatter_add(
        L.ones(3, 2), 0, B(L, 0), L.ones(2, 2, dtype=L.long)),
    "scatter_reduce reduce after sizes": lambda L: L.scatter_reduce(
        L.ones(3, 2), 0, L.zeros(2, 2, dtype=L.long), L.ones(2, 2), "bad"),
    "scatter src rank after self sizes": lambda L: L.scatter(
        L.ones(2, 0), -1, L.zeros(3, 2, dtype=L.int32), L.ones(3)),
    "scatter src rank, empty self": lambda L: L.scatter(L.ones(0), 0, L.zeros(2, dtype=L.long),
                                            L.ones(3, 3)),
    "take from empty": lambda L: L.take(L.ones(2, 0), L.zeros(1, 3, dtype=L.long)),
    "take_along_dim float without dim": lambda L: L.take_along_dim(L.ones(2, 3), L.ones(2, 1)),
    "take_along_dim int32": lambda L: L.take_along_dim(L.ones(2, 3), L.zeros(2, 1,
                                                                             dtype=L.int32), 0),
    "take_along_dim ranks first": lambda L: L.take_along_dim(L.ones(2, 3), L.ones(2), 5),
    # Square-matrix ops: the rank, then squareness, then the dtype, named as the op.
    "det square before dtype": lambda L: L.det(L.ones(2, 3, dtype=L.long)),
    "inverse square before dtype": lambda L: L.inverse(L.ones(2, 3, dtype=L.long)),
    "slogdet square before dtype": lambda L: L.slogdet(L.ones(2, 3, dtype=L.long)),
    "logdet named logdet": lambda L: L.logdet(L.ones(3)),
    "logdet dtype": lambda L: L.logdet(L.ones(2, 3, 3, dtype=L.long)),
    "solve dtype first": lambda L: L.linalg.solve(L.ones(3, dtype=L.long), L.ones(3)),
    "matrix_power rank": lambda L: L.matrix_power(L.ones(()), -1),
    "matrix_power bool": lambda L: L.matrix_power(B(L, 3, 3), 2),
    # Random sampling: torch's kernels, texts and orders.
    "bernoulli integer probabilities": lambda L: L.bernoulli(L.ones(2, dtype=L.int32)),
    "bernoulli_ probabilities range": lambda L: L.ones(2, 3).bernoulli_(L.ones(2, 3) * 2),
    "bernoulli_ integer self": lambda L: L.ones(2, 3, dtype=L.int32).bernoulli_(
        L.tensor(2.0, dtype=L.float64)),
    "bernoulli_ expands p": lambda L: L.ones(2, 3).bernoulli_(L.ones(3, 3) * 0.5),
    "normal std before shapes": lambda L: L.normal(L.ones(2, 3), -L.ones(3, 3)),
    "normal number std": lambda L: L.normal(L.ones(2, 1), -1.0),
    "normal integer mean": lambda L: L.normal(L.ones(2, 1, dtype=L.long), L.ones(2, 1)),
    "multinomial dtype": lambda L: L.multinomial(L.ones(2, 1, dtype=L.long), 3),
    "randperm negative": lambda L: L.randperm(-1),
    "randint size before bounds": lambda L: L.randint(4, 1, (-1,)),
    "randint_like tensor high": lambda L: L.randint_like(L.ones(2), L.ones(2, 3)),
    "uniform_ to out of bounds": lambda L: L.ones(3).uniform_(-0.5, float("inf")),
    "uniform_ half bounds": lambda L: L.ones(3, dtype=L.float16).uniform_(0, 70000),
    "uniform_ range too wide": lambda L: L.ones(3).uniform_(-3e38, 3e38),
    "exponential_ lambda before dtype": lambda L: L.ones(2, dtype=L.long).exponential_(-1),
    "scalar_tensor uint8 inf": lambda L: L.scalar_tensor(float("inf"), dtype=L.uint8),
    # Reductions of empty tensors name the dim as given.
    "amax of empty, no dim": lambda L: L.amax(L.ones(2, 0)),
    "amin of empty, no dims": lambda L: L.amin(L.ones(0, dtype=L.long), []),
    "amax of empty, negative dim": lambda L: L.amax(L.ones(2, 0), (0, -1)),
    "amax empty dim before repeats": lambda L: L.amax(L.ones(2, 0), [1, 1]),
    "aminmax of empty dim": lambda L: L.aminmax(L.ones(2, 0), dim=-1),
    # clamp: bool results have no kernel; number bounds are converted into the dtype.
    "clamp bool numbers": lambda L: L.clamp(B(L, 3), True, True),
    "clamp bool tensors": lambda L: L.clamp(B(L, 3), B(L), B(L)),
    "clamp_ bool min": lambda L: B(L, 3).clamp_(True),
    "clamp bool max": lambda L: L.clamp(B(L, 3), max=True),
    "clamp_min bool": lambda L: L.clamp_min(B(L, 3), True),
    "clamp uint8 300": lambda L: L.clamp(L.ones(3, dtype=L.uint8), 0, 300),
    "clamp_max uint8 300": lambda L: L.clamp_max(L.ones(3, dtype=L.uint8), 300),
    "clamp float 1e300": lambda L: L.clamp(L.ones(3), 0, 1e300),
    # Shape ops: their checks in torch's order.
    "stack dim before sizes": lambda L: L.stack([L.ones(3), L.ones(1, 3)], 2),
    "cat dim with a tensor": lambda L: L.cat([L.ones(0), L.ones(2, 3)], 5),
    "split of a non-tensor": lambda L: L.split(None, None, None),
    "unflatten of 0-dim": lambda L: L.unflatten(L.ones(()), 0, (3,)),
    "unflatten wrapped dim": lambda L: L.unflatten(L.ones(3, 3), -2, (3, 2)),
    "unbind 0-dim, dim out of range": lambda L: L.unbind(L.ones(()), 3),
    "select_scatter 0-dim": lambda L: L.select_scatter(L.ones(()), L.ones(0), -1, 7),
    "slice_scatter 0-dim": lambda L: L.slice_scatter(L.ones(()), L.ones(())),
    "trace bool": lambda L: L.trace(B(L, 2, 3, 4)),
    "cross size 3 before ranks": lambda L: L.cross(L.ones(()), L.ones(3, 2)),
    "cross 0-dim dim": lambda L: L.cross(L.ones(()), L.ones(()), 2),
    "narrow tensor start": lambda L: L.narrow(B(L, 1, 2, 3, 3), -2, B(L, 3), 0),
    "repeat_interleave 2-d repeats": lambda L: L.repeat_interleave(L.ones(0), L.ones(2, 3),
                                                                   -4),
    "repeat_interleave float repeats": lambda L: L.repeat_interleave(L.ones(3),
                                                                     L.tensor(2.0)),
    "repeat_interleave 0-dim, number": lambda L: L.repeat_interleave(L.ones(()), 1, 0),
    "repeat_interleave 0-dim, tensor": lambda L: L.repeat_interleave(
        L.ones(()), L.tensor(2), 0),
    "repeat_interleave dim as given": lambda L: L.repeat_interleave(
        L.ones(2, 3), L.ones(2, dtype=L.long), -1),
    "tensor_split dtype first": lambda L: L.tensor_split(L.ones(0), L.ones(2, 3), -4),
    "tensor_split int32": lambda L: L.tensor_split(L.ones(3), L.ones(2, dtype=L.int32)),
    "roll no shifts": lambda L: L.roll(L.ones(2, 3), [], (-2, 0)),
    "roll 0-dim dim": lambda L: L.roll(L.ones(()), 1, 0),
    # Sorting, creation ranges and norms.
    "kthvalue of an empty dim": lambda L: L.kthvalue(L.ones(2, 0), 3, -1),
    "kthvalue bool": lambda L: L.kthvalue(B(L, 2, 3), 1),
    "linspace int32 inf": lambda L: L.linspace(float("inf"), 2, 3, dtype=L.int32),
    "linspace uint8 300": lambda L: L.linspace(0, 300, 3, dtype=L.uint8),
    "arange bool": lambda L: L.arange(-1, dtype=L.bool),
    "norm of a non-tensor": lambda L: L.norm(None),
    "norm order before rank": lambda L: L.norm(L.ones(0, dtype=L.uint8), "a"),
    "copy_ of a string": lambda L: L.ones(3).copy_("a"),
    "div rounding mode first": lambda L: L.div(L.ones(2, 3), L.ones(3, 2), rounding_mode="bad"),
    "nanmedian bool is median's kernel": lambda L: L.nanmedian(B(L, 1)),
    "median bool with dim": lambda L: L.nanmedian(B(L, 2, 0), 0),
    "median bool, empty dim first": lambda L: L.median(B(L, 0), 0),
    "0-dim [-1]": lambda L: L.ones(())[-1],
    "0-dim [0]": lambda L: L.ones(())[0],
    "0-dim [(0,)]": lambda L: L.ones(())[(0,)],
    "0-dim [-1] = 1": lambda L: L.ones(()).__setitem__(-1, 1),
    "bool ** bool tensor": lambda L: B(L, 3) ** B(L, 3),
    # Factories of Tensor.
    "new_zeros negative": lambda L: L.ones(3).new_zeros((2, -1)),
    "new_empty negative": lambda L: L.ones(3).new_empty((2, -1)),
    "new_zeros no size": lambda L: L.ones(3).new_zeros(),
    "new_full size before value": lambda L: L.ones(2, dtype=L.uint8).new_full((2, -1), -0.5),
    "new_ones no size": lambda L: L.ones(3).new_ones(),
}

RESULTS = {
    "tensordot sums a dimension of size 1": lambda L: L.tensordot(L.ones(2, 3), L.ones(1, 3)),
    "tensordot size 1 against any": lambda L: L.tensordot(L.arange(2.).reshape(2, 1),
                                                          L.arange(9.).reshape(3, 3), 1),
    "addbmm no batches": lambda L: L.addbmm(L.ones(3, dtype=L.float64), L.ones(0, 2, 3),
                                            L.ones(0, 3, 3)),
    "addmv 1-element input": lambda L: L.addmv(L.ones(1), L.ones(3, 3), L.ones(3)),
    "gather empty index of any dtype": lambda L: L.gather(L.ones(3, 2), 1, L.ones(0)),
    "scatter empty float index": lambda L: L.scatter(L.ones(3, 2), 0, L.ones(0), 1.0),
    "take_along_dim int32 without dim": lambda L: L.take_along_dim(
        L.arange(6.).reshape(2, 3), L.tensor([[2], [1]], dtype=L.int32)),
    "index_copy scalar source": lambda L: L.index_copy(L.ones(3), 0, L.tensor([1]),
                                                       L.tensor(5.0)),
    "index_add rows": lambda L: L.index_add(L.arange(6.).reshape(3, 2), 0, L.tensor([2, 0]),
                                            L.arange(4.).reshape(2, 2)),
    "index_fill uint8 -1 wraps": lambda L: L.ones(3, dtype=L.uint8).index_fill(
        0, L.tensor([-1]), -1),
    "bernoulli of empty integers": lambda L: L.bernoulli(L.ones(0, dtype=L.long)),
    "bernoulli_ of empty self": lambda L: L.ones(2, 0).bernoulli_(L.ones(2, 3)),
    "normal of empty integers": lambda L: L.normal(L.ones(2, 0, dtype=L.uint8),
                                                   L.ones(2, 0, dtype=L.uint8)),
    "randn_like of empty integers": lambda L: L.randn_like(L.ones(0, dtype=L.long)),
    "normal_ of empty integers": lambda L: L.ones(0, dtype=L.long).normal_(),
    "scalar_tensor uint8 -1 wraps": lambda L: L.scalar_tensor(-1, dtype=L.uint8),
    "clamp bool by int": lambda L: L.clamp(B(L, 3), 0),
    "clamp bool by one tensor": lambda L: L.clamp(B(L, 3), None, B(L)),
    "clamp uint8 -1 wraps": lambda L: L.clamp(L.ones(3, dtype=L.uint8), 2, -1),
    "clamp_ uint8 -1 wraps": lambda L: L.ones(3, dtype=L.uint8).clamp_(2, -1),
    "clamp_min uint8 -1 wraps": lambda L: L.clamp_min(L.ones(3, dtype=L.uint8), -1),
    "clamp number with 0-dim tensor": lambda L: L.clamp(B(L, 3), 1, B(L)),
    "amax of empty along a sized dim": lambda L: L.amax(L.ones(2, 0), 0),
    "cat of legacy empties ignores dim": lambda L: L.cat([L.ones(0), L.ones(0, dtype=L.long)],
                                                         5),
    "split of a str is str.split": lambda L: L.split("a", None, -4),
    "roll of empty ignores dims": lambda L: L.roll(B(L, 0), (-2, 1), [1, 0]),
    "repeat_interleave by tensor": lambda L: L.repeat_interleave(
        L.arange(6.).reshape(2, 3), L.tensor([1, 2, 0]), 1),
    "linspace of no steps": lambda L: L.linspace(float("inf"), 2, 0, dtype=L.int32),
    "linspace uint8 -1 wraps": lambda L: L.linspace(-1, 2, 3, dtype=L.uint8),
    "copy_ of a number": lambda L: L.ones(3).copy_(1.5),
    "copy_ of a number wraps": lambda L: L.ones(3, dtype=L.uint8).copy_(300),
    "copy_ of a bool": lambda L: B(L, 2, 3).copy_(True),
    "to a float is to double": lambda L: L.ones(2, 3).to(1.5),
    "to a bool is to bool": lambda L: L.ones(2, 3).to(True),
    "logit with crossed bounds": lambda L: L.logit(L.tensor([0.2, 0.5, 1.5, -1.0]), 0.7),
    "median of empty bool": lambda L: L.median(B(L, 0)),
    "nanmedian of empty bool": lambda L: L.nanmedian(B(L, 0)),
    "bool ** True": lambda L: B(L, 3) ** True,
    "bool ** False": lambda L: L.pow(B(L, 3), False),
    "fill_ uint8 -1 wraps": lambda L: L.ones(3, dtype=L.uint8).fill_(-1),
    "fill_ int64 min": lambda L: L.ones(3, dtype=L.int64).fill_(-2 ** 63),
    "fill_ float16 nan": lambda L: L.ones(3, dtype=L.float16).fill_(float("nan")),
    "fill_ bool from float": lambda L: L.ones(3, dtype=L.bool).fill_(1e300),
    "full uint8 -1 wraps": lambda L: L.full((2,), -1, dtype=L.uint8),
    "new_full uint8 -1 wraps": lambda L: L.ones(3, dtype=L.uint8).new_full((2,), -1),
    "masked_fill int from float": lambda L: L.ones(3, dtype=L.int32).masked_fill(
        L.ones(3, dtype=L.bool), L.tensor(2.7)),
    "masked_fill broadcasts input": lambda L: L.ones(3, 3).masked_fill(B(L, 1, 2, 3, 3), 1.0),
    "expand keeps -1": lambda L: L.ones(3, 1).expand(2, -1, 4),
    "expand 0-dim": lambda L: L.ones(()).expand(0),
    "new_empty dtype": lambda L: L.ones(3).new_empty(2, dtype=L.int64).shape,
}


@pytest.mark.parametrize("name", sorted(RAISES))
def test_raises_as_torch(name):
    errors = first_errors(RAISES[name])
    assert errors[1] == errors[0]


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_result_as_torch(name):
    assert_same(RESULTS[name](ember), RESULTS[name](torch))


WHERE_UINT8 = ("where received a uint8 condition tensor. This behavior is deprecated and will "
               "be removed in a future version of PyTorch. Use a boolean condition instead.")


def test_where_uint8_condition_selects_and_warns_once():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = [lib.where(lib.tensor([0, 2, 1], dtype=lib.uint8), lib.zeros(3), 5.0)
                for lib in (torch, ember)]
    assert_same(outs[1], outs[0])
    ember.ops._core._warned.discard(WHERE_UINT8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            ember.where(ember.tensor([1, 0], dtype=ember.uint8), 1, 2)
    assert [(w.category, str(w.message)) for w in caught] == [(UserWarning, WHERE_UINT8)]
