"""Calls the error fuzzer found ember getting wrong, each compared with torch in this process:
the same exception class and first line of the message (torch's argument parser goes on to
list the overloads), or the same result."""

from __future__ import annotations

import pytest
import torch

import ember
from helpers import assert_same, first_errors


def F(lib):
    return lib.nn.functional


RAISES = {
    "hardtanh bool": lambda L: F(L).hardtanh(L.ones(3, dtype=L.bool)),
    "hardtanh unsigned negative": lambda L: F(L).hardtanh(L.ones(3, dtype=L.uint8)),
    "hardtanh min above max": lambda L: F(L).hardtanh(L.ones(3), 1.5, 0),
    "Hardtanh bounds": lambda L: L.nn.Hardtanh(2, -0.5),
    "threshold bool": lambda L: F(L).threshold(L.ones(3, dtype=L.bool), 0, 1),
    "dropout integer": lambda L: F(L).dropout(L.ones(3, dtype=L.int64)),
    "dropout2d 1-d": lambda L: F(L).dropout2d(L.ones(3)),
    "mse integer": lambda L: F(L).mse_loss(L.ones(3, dtype=L.int32), L.ones(3, dtype=L.uint8)),
    "huber into integer": lambda L: F(L).huber_loss(L.ones(3, dtype=L.int64), L.ones(3)),
    "kl_div integer": lambda L: F(L).kl_div(L.ones(3), L.ones(3, dtype=L.int64)),
    "layer_norm empty shape": lambda L: F(L).layer_norm(L.ones(2, 3), ()),
    "avg_pool2d zero kernel": lambda L: F(L).avg_pool2d(L.ones(2, 3, 5), 0, 3),
    "avg_pool2d too small": lambda L: F(L).avg_pool2d(L.ones(1, 2, 6), 3),
    "max_pool1d zero kernel": lambda L: F(L).max_pool1d(L.ones(2, 3, 5), 0, 3),
    "unfold zero kernel": lambda L: F(L).unfold(L.ones(1, 2, 6, 6), 0),
    "conv1d zero kernel": lambda L: F(L).conv1d(L.ones(1, 1, 6), L.ones(1, 1, 0)),
    "size of 0-dim": lambda L: L.tensor(1.0).size(-1),
    "stride of 0-dim": lambda L: L.tensor(1.0).stride(0),
    "multilabel 0-dim": lambda L: F(L).multilabel_soft_margin_loss(L.tensor(1.0), L.ones(())),
    "normal shapes": lambda L: L.normal(L.ones(3), L.ones(2)),
    "linspace 1-d end": lambda L: L.linspace(1, L.ones(1, dtype=L.float64), 4),
    "linspace list end": lambda L: L.linspace(2, [1.0, 2.0], 3),
    "pinverse integer": lambda L: L.pinverse(L.ones(2, 2, dtype=L.int32)),
    "sub bool alpha": lambda L: L.sub(L.ones(3), L.ones(3), alpha=True),
    "add bool alpha tensor": lambda L: L.add(L.ones(3), L.ones(3), alpha=L.tensor(True)),
    "cumsum to bool": lambda L: L.cumsum(L.ones(3), 0, dtype=L.bool),
    "round integer decimals=0": lambda L: L.round(L.ones(3, dtype=L.int64), decimals=0),
    "randperm bool": lambda L: L.randperm(3, dtype=L.bool),
    "bce dtypes": lambda L: F(L).binary_cross_entropy(L.ones(2, dtype=L.float64), L.ones(2)),
    "prelu 2-d weight": lambda L: F(L).prelu(L.ones(2, 2, 3), L.ones(2, 1)),
    "soft_margin output shape": lambda L: F(L).soft_margin_loss(L.ones(3), L.ones(2, 3)),
    "logsumexp no dims": lambda L: L.logsumexp(L.ones(2, 3, 4), []),
    "einsum repeated sizes": lambda L: L.einsum("ii->i", L.ones(3, 2)),
    "sum keepdim None": lambda L: L.sum(L.ones(()), None, None),
    "mean keepdim None": lambda L: L.mean(L.ones(()), None, None),
    "nansum keepdim None": lambda L: L.nansum(L.ones(()), None, None),
    "soft_margin int64 input": lambda L: F(L).soft_margin_loss(L.ones(2, 0, dtype=L.int64),
                                                               L.ones(2, 0)),
    "soft_margin uint8 pair": lambda L: F(L).soft_margin_loss(L.ones(3, dtype=L.uint8),
                                                              L.ones((), dtype=L.uint8)),
    "soft_margin int32, float64 target": lambda L: F(L).soft_margin_loss(
        L.ones(2, 3, dtype=L.int32), L.ones(3, dtype=L.float64)),
    "huber delta before dtypes": lambda L: F(L).huber_loss(L.ones(0, dtype=L.int64),
                                                           L.ones(2, 0), delta=0),
    "huber cast before kernel": lambda L: F(L).huber_loss(L.ones(3, dtype=L.bool),
                                                          L.ones(3, dtype=L.int64)),
    "huber tensor delta": lambda L: F(L).huber_loss(L.ones(2, 3), L.ones(2, 3),
                                                    delta=L.ones(2, 3, dtype=L.float64)),
    "cross_entropy reduction first": lambda L: F(L).cross_entropy(
        None, L.ones(3, dtype=L.int32), reduction=-3.0),
    "cross_entropy reduction before target": lambda L: F(L).cross_entropy(
        L.ones(1, 2, 3, 3), -3.0, reduction="bad"),
    "nll_loss reduction first": lambda L: F(L).nll_loss(L.ones(2, 3), 1.5, reduction="bad"),
    "kl_div tensor reduction": lambda L: F(L).kl_div(L.ones(1, 2, 3, 3), L.ones(1, 3),
                                                     reduction=L.tensor([1.5, 2.0])),
    "kl_div bad reduction, list target": lambda L: F(L).kl_div(L.ones(3), [], reduction="bad"),
    "kl_div list target": lambda L: F(L).kl_div(L.ones(1, 3, dtype=L.int32), []),
    "cosine_embedding int input1": lambda L: F(L).cosine_embedding_loss(
        -1, L.ones(2, 0), L.ones(2, 0)),
    "gaussian_nll bool var": lambda L: F(L).gaussian_nll_loss(
        L.ones(2, 3, dtype=L.int64), L.ones(2, 0, dtype=L.int32), True),
    "gaussian_nll int input": lambda L: F(L).gaussian_nll_loss(-1, L.ones(2, 0), L.ones(1)),
    "gaussian_nll list input": lambda L: F(L).gaussian_nll_loss([], None, L.ones(())),
    "smooth_l1 beta=0 integer mean": lambda L: F(L).smooth_l1_loss(
        L.ones((), dtype=L.int64), L.ones((), dtype=L.int64), beta=0),
    "smooth_l1 beta=0 bool pair": lambda L: F(L).smooth_l1_loss(
        L.ones(3, dtype=L.bool), L.ones(3, dtype=L.bool), beta=0, reduction="sum"),
    "smooth_l1 negative beta before dtypes": lambda L: F(L).smooth_l1_loss(
        L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64), beta=-1),
    "smooth_l1 reduction before dtypes": lambda L: F(L).smooth_l1_loss(
        L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64), reduction="bad"),
    "l1_loss weight size": lambda L: F(L).l1_loss(L.ones(3), L.ones(3), weight=L.ones(2)),
    "l1_loss weight, bad reduction": lambda L: F(L).l1_loss(L.ones(3), L.ones(3),
                                                            weight=L.ones(3), reduction="bad"),
    "linspace two tensor bounds": lambda L: L.linspace(L.tensor(1), L.ones(0, dtype=L.int64),
                                                       0),
    "binary_cross_entropy int64": lambda L: F(L).binary_cross_entropy(
        L.ones((), dtype=L.int64), L.ones((), dtype=L.int64)),
    "binary_cross_entropy empty bool": lambda L: F(L).binary_cross_entropy(
        L.ones(0, dtype=L.bool), L.ones(0, dtype=L.bool)),
    "layer_norm int64": lambda L: F(L).layer_norm(L.ones(3, dtype=L.int64), (3,)),
    "layer_norm empty int64": lambda L: F(L).layer_norm(L.ones(0, 3, dtype=L.int64), (3,)),
    "cross_entropy label_smoothing None": lambda L: F(L).cross_entropy(
        L.ones(()), L.ones((), dtype=L.int64), label_smoothing=None),
    "cross_entropy weight str": lambda L: F(L).cross_entropy(
        L.ones(3), L.ones(3, dtype=L.int64), weight="a"),
    "nll_loss ignore_index str": lambda L: F(L).nll_loss(L.ones(()), L.ones((), dtype=L.int64),
                                                         ignore_index="a"),
    "hardtanh empty tensor bound": lambda L: F(L).hardtanh(None, L.ones(0, dtype=L.int64)),
    "unique empty return_inverse": lambda L: L.unique(None, None, L.ones(0, dtype=L.int64),
                                                      False),
    "index_select empty index into 0-dim": lambda L: L.index_select(
        L.ones(()), 0, L.ones(0, dtype=L.int64)),
    "index_select float index into 0-dim": lambda L: L.index_select(L.ones(()), 0, L.ones(2)),
    "zeros bool size, str dtype": lambda L: L.zeros(L.ones((), dtype=L.bool), dtype="a"),
    "zeros str size element, str dtype": lambda L: L.zeros((2, "b"), dtype="a"),
    "Upsample str size": lambda L: L.nn.Upsample("a")(L.ones(2, 3, 5)),
    "interpolate float size": lambda L: F(L).interpolate(L.ones(2, 3, 5, 5), 1.5),
    "interpolate str scale": lambda L: F(L).interpolate(L.ones(2, 3, 5), scale_factor="a"),
    "interpolate tensor scale": lambda L: F(L).interpolate(L.ones(2, 3, 5),
                                                           scale_factor=L.tensor(2.0)),
    "interpolate str align_corners": lambda L: F(L).interpolate(
        L.ones(2, 3, 5), scale_factor=2, mode="linear", align_corners="x"),
    "interpolate negative scale": lambda L: F(L).interpolate(L.ones(2, 3, 5),
                                                             scale_factor=-0.5),
    "layer_norm 0-dim tensor shape": lambda L: F(L).layer_norm(L.ones(()),
                                                               L.ones((), dtype=L.int64)),
    "GLU nan dim": lambda L: L.nn.GLU(float("nan"))(L.ones(0)),
    "softmax empty tensor dim": lambda L: F(L).softmax(L.ones(()), L.ones(0, dtype=L.int64)),
    "celu None input, empty alpha": lambda L: F(L).celu(None, L.ones(0, dtype=L.int64)),
    "softmin str dim": lambda L: F(L).softmin(L.ones(()), "a"),
    "softmin str dtype": lambda L: F(L).softmin(L.ones(3), 0, dtype="a"),
    "as_tensor negative float into uint8": lambda L: L.as_tensor(-0.5, dtype=L.uint8),
    "tensor negative float list into uint8": lambda L: L.tensor([-1.0, 3], dtype=L.uint8),
    "bernoulli_ shape before dtype": lambda L: L.ones(()).bernoulli_(L.ones(0, dtype=L.int64)),
    "LayerNorm str shape": lambda L: L.nn.LayerNorm("a"),
    "RMSNorm str shape": lambda L: L.nn.RMSNorm("a"),
}

RESULTS = {
    "hardtanh integer": lambda L: F(L).hardtanh(L.tensor([-3, 0, 5]), -1.5, 1.5),
    "relu6 uint8": lambda L: F(L).relu6(L.tensor([0, 3, 9], dtype=L.uint8)),
    "threshold integer": lambda L: F(L).threshold(L.tensor([0, 1, 2]), 1, 7),
    "dropout integer p=1": lambda L: F(L).dropout(L.ones(3, dtype=L.int64), 1.0),
    "huber float16 input": lambda L: F(L).huber_loss(L.ones(3, dtype=L.float16), L.zeros(3)),
    "median of empty int32": lambda L: L.median(L.ones(0, dtype=L.int32)),
    "nanmedian of empty int64": lambda L: L.nanmedian(L.ones(0, dtype=L.int64)),
    "cumprod to int32": lambda L: L.cumprod(L.ones(2, 1), 0, dtype=L.int32),
    "cumsum int8": lambda L: L.cumsum(L.ones(3, dtype=L.int8), 0),
    "nan_to_num nan=None": lambda L: L.nan_to_num(L.tensor([float("nan"), 1.0]), None),
    "logsigmoid 0-dim": lambda L: F(L).logsigmoid(L.tensor(-1.0)),
    "amax tensor dim": lambda L: L.amax(L.ones(2, 3), L.tensor(1)),
    "logsumexp no dims keepdim": lambda L: L.logsumexp(L.ones(2, 3), [], True),
    "round integer": lambda L: L.round(L.ones(3, dtype=L.int64)),
    "topk of 0-dim, k=0": lambda L: L.topk(L.tensor(1.0), 0, 0, False),
    "tensor == str": lambda L: L.ones(2) == "mean",
    "tensor != None": lambda L: L.ones(2) != None,  # noqa: E711
    "tensor == list": lambda L: L.ones(2) == [1.0, 1.0],
    "smooth_l1 beta=0 integer sum": lambda L: F(L).smooth_l1_loss(
        L.tensor([3, 0]), L.tensor([1, 1]), beta=0, reduction="sum"),
    "l1_loss weight mean": lambda L: F(L).l1_loss(
        L.tensor([1.0, 2.0, 3.0]), L.tensor([0.0, 0.0, 1.0]), weight=L.tensor([1.0, 2.0, 3.0])),
    "std of empty, negative correction": lambda L: L.std(L.ones(0), correction=-1),
    "var of empty along dim, negative correction": lambda L: L.var(L.ones(0, 3), 0,
                                                                   correction=-1),
    "tensor -255 wraps into uint8": lambda L: L.tensor(-255, dtype=L.uint8),
}


@pytest.mark.parametrize("name", sorted(RAISES))
def test_raises_as_torch(name):
    errors = first_errors(RAISES[name])
    assert errors[1] == errors[0]


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_result_as_torch(name):
    assert_same(RESULTS[name](ember), RESULTS[name](torch))
