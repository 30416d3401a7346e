"""nn.functional and nn layers given bad input: torch's checks in torch's order (its Python
code first, then its kernel's), each call compared with torch in this process: the same
exception class and first line of the message, or the same result."""

from __future__ import annotations

import pytest
import torch

import ember
from helpers import assert_same, first_errors


def F(lib):
    return lib.nn.functional


def _x(L, *shape, dtype="float32"):
    return L.ones(*shape, dtype=getattr(L, dtype))


RAISES = {
    # kernels' names in "not implemented" messages
    "elu int": lambda L: F(L).elu(_x(L, 2, dtype="int64")),
    "elu_ bool": lambda L: F(L).elu_(_x(L, 2, dtype="bool")),
    "selu int": lambda L: F(L).selu(_x(L, 2, dtype="int32")),
    "celu bool": lambda L: F(L).celu(_x(L, 2, dtype="bool")),
    "silu int": lambda L: F(L).silu(_x(L, 2, dtype="int64")),
    "mish uint8": lambda L: F(L).mish(_x(L, 2, dtype="uint8")),
    "softplus int": lambda L: F(L).softplus(_x(L, 2, dtype="int64")),
    "leaky_relu bool": lambda L: F(L).leaky_relu(_x(L, 2, dtype="bool")),
    "logsigmoid int": lambda L: F(L).logsigmoid(_x(L, 2, dtype="int32")),
    "hardsigmoid int": lambda L: F(L).hardsigmoid(_x(L, 2, dtype="int64")),
    "hardswish int": lambda L: F(L).hardswish(_x(L, 2, dtype="int64")),
    "hardshrink bool": lambda L: F(L).hardshrink(_x(L, 2, dtype="bool")),
    "softshrink int": lambda L: F(L).softshrink(_x(L, 2, dtype="int64")),
    "rrelu int": lambda L: F(L).rrelu(_x(L, 2, dtype="int64")),
    "rrelu int training": lambda L: F(L).rrelu(_x(L, 2, dtype="int64"), training=True),
    "multilabel_soft_margin uint8": lambda L: F(L).multilabel_soft_margin_loss(
        _x(L, 3, dtype="uint8"), _x(L, 3)),
    # scalar arguments
    "celu alpha 0": lambda L: F(L).celu(_x(L, 2), 0),
    "celu alpha 0 int": lambda L: F(L).celu(_x(L, 2, dtype="int64"), 0),
    "rrelu infinite lower": lambda L: F(L).rrelu(_x(L, 2), float("inf"), 1.0),
    "rrelu infinite upper": lambda L: F(L).rrelu(_x(L, 2), 0.1, float("inf")),
    "rrelu nan lower int": lambda L: F(L).rrelu(_x(L, 2, dtype="int64"), float("nan")),
    "threshold uint8 value overflow": lambda L: F(L).threshold(_x(L, 2, dtype="uint8"), 0, 300),
    "threshold uint8 negative float": lambda L: F(L).threshold(
        _x(L, 2, dtype="uint8"), 1.5, -2.7),
    "threshold int32 threshold overflow": lambda L: F(L).threshold(
        _x(L, 2, dtype="int32"), 1e30, 0),
    "threshold half value overflow": lambda L: F(L).threshold(
        _x(L, 2, dtype="float16"), 0, 1e30),
    "threshold float value overflow": lambda L: F(L).threshold(_x(L, 2), 0, 1e300),
    # interpolate: torch's Python checks, then its kernels'
    "interpolate 2-d, no size": lambda L: F(L).interpolate(_x(L, 2, 5)),
    "interpolate 2-d": lambda L: F(L).interpolate(_x(L, 2, 5), 1),
    "interpolate 0-dim": lambda L: F(L).interpolate(L.tensor(1.0), 1),
    "interpolate bilinear 3-d": lambda L: F(L).interpolate(_x(L, 1, 2, 5), 2, mode="bilinear"),
    "interpolate negative size": lambda L: F(L).interpolate(_x(L, 2, 3, 6, 6), -1),
    "interpolate size 0, 1-d": lambda L: F(L).interpolate(_x(L, 2, 3, 5), 0),
    "interpolate negative scale": lambda L: F(L).interpolate(
        _x(L, 1, 2, 5), scale_factor=-1.0, mode="linear"),
    "interpolate no channels": lambda L: F(L).interpolate(_x(L, 1, 0, 5), 2),
    "Upsample 0": lambda L: L.nn.Upsample(0)(_x(L, 2, 3, 5)),
    "Upsample no size": lambda L: L.nn.Upsample()(L.tensor(1.0)),
    # adaptive pooling
    "adaptive_avg_pool2d float size": lambda L: F(L).adaptive_avg_pool2d(_x(L, 2, 5), 1.5),
    "adaptive_avg_pool2d str size": lambda L: F(L).adaptive_avg_pool2d(_x(L, 3), "a"),
    "adaptive_avg_pool2d None size": lambda L: F(L).adaptive_avg_pool2d(_x(L, 2, 3, 5), None),
    "adaptive_avg_pool2d negative": lambda L: F(L).adaptive_avg_pool2d(L.tensor(1), -1),
    "adaptive_avg_pool2d one size": lambda L: F(L).adaptive_avg_pool2d(_x(L, 2, 3, 3), [2]),
    "adaptive_avg_pool2d 1-d to 1": lambda L: F(L).adaptive_avg_pool2d(_x(L, 3), 1),
    "adaptive_avg_pool2d empty plane": lambda L: F(L).adaptive_avg_pool2d(_x(L, 1, 2, 0, 5), 2),
    "adaptive_avg_pool2d int": lambda L: F(L).adaptive_avg_pool2d(_x(L, 1, 2, 3, dtype="int64"),
                                                                 2),
    "adaptive_max_pool2d None size": lambda L: F(L).adaptive_max_pool2d(_x(L, 2, 3, 5), None),
    "adaptive_max_pool2d one size": lambda L: F(L).adaptive_max_pool2d(_x(L, 1, 2, 5), [2]),
    "adaptive_max_pool2d negative": lambda L: F(L).adaptive_max_pool2d(_x(L, 2, 3, 3), -1),
    "adaptive_max_pool2d empty int": lambda L: F(L).adaptive_max_pool2d(
        _x(L, 0, 2, 5, dtype="int64"), 2),
    "adaptive_avg_pool1d 0-dim": lambda L: F(L).adaptive_avg_pool1d(L.tensor(1.0), 1),
    "adaptive_avg_pool1d 4-d": lambda L: F(L).adaptive_avg_pool1d(_x(L, 1, 2, 5, 5), 3),
    "adaptive_avg_pool1d two sizes": lambda L: F(L).adaptive_avg_pool1d(_x(L, 1, 2, 5), (2, 3)),
    "adaptive_max_pool1d no channels": lambda L: F(L).adaptive_max_pool1d(_x(L, 1, 0, 5), 2),
    "AdaptiveAvgPool2d 0-dim size": lambda L: L.nn.AdaptiveAvgPool2d(L.tensor(2.0))(
        _x(L, 1, 2, 6)),
    # torch's Python code reaches a method of a non-tensor first
    "mse_loss None": lambda L: F(L).mse_loss(None, None),
    "l1_loss str target": lambda L: F(L).l1_loss(_x(L, 2), "a"),
    "smooth_l1_loss None target": lambda L: F(L).smooth_l1_loss(_x(L, 2), None),
    "huber_loss None": lambda L: F(L).huber_loss(None, None),
    "binary_cross_entropy None target": lambda L: F(L).binary_cross_entropy(_x(L, 2), None),
    "bce_with_logits None": lambda L: F(L).binary_cross_entropy_with_logits(None, None),
    "glu str": lambda L: F(L).glu("a"),
    "group_norm tuple": lambda L: F(L).group_norm((1, 2), None),
    "group_norm None groups": lambda L: F(L).group_norm(_x(L, 2, 3, 5), None),
    "group_norm 0 groups": lambda L: F(L).group_norm(_x(L, 2, 3, 5), 0),
    "group_norm one value per group": lambda L: F(L).group_norm(_x(L, 1, 2, 1), 2),
    "instance_norm list": lambda L: F(L).instance_norm([1.0, 2.0]),
    "interpolate None": lambda L: F(L).interpolate(None, None),
    "softmax None": lambda L: F(L).softmax(None, None),
    "log_softmax list, dim": lambda L: F(L).log_softmax([], 0),
    "softmin None": lambda L: F(L).softmin(None, None),
    "softmin bool, dim": lambda L: F(L).softmin(True, 0),
    "Softmax tuple": lambda L: L.nn.Softmax(-2)((1, 2)),
    "LogSoftmax None": lambda L: L.nn.LogSoftmax(0)(None),
    "GLU bool": lambda L: L.nn.GLU()(True),
    "Upsample list": lambda L: L.nn.Upsample(4)([1.0, 2.0]),
    "margin_ranking_loss list target": lambda L: F(L).margin_ranking_loss(
        _x(L, 1, 3), _x(L, 0), [1.0, 2.0]),
    "margin_ranking_loss None": lambda L: F(L).margin_ranking_loss(_x(L, 2), None, None),
    "margin_ranking_loss bad reduction": lambda L: F(L).margin_ranking_loss(
        _x(L, 1, 3), _x(L, 3), _x(L, 3), reduction="bad"),
    "kl_div bad reduction": lambda L: F(L).kl_div(_x(L, 1, 3), _x(L, 2, 3), reduction="bad"),
    "normalize float": lambda L: F(L).normalize(-3.0),
    "sigmoid None": lambda L: F(L).sigmoid(None),
    "tanh bool": lambda L: F(L).tanh(True),
    "adaptive_avg_pool2d None": lambda L: F(L).adaptive_avg_pool2d(None, None),
    "AdaptiveAvgPool2d list": lambda L: L.nn.AdaptiveAvgPool2d(2)([]),
    # convolutions: conv{1,2}d's bias dtype and rank checks, at::convolution's, then the
    # CPU kernel's (oneDNN for most float32 inputs, torch's own otherwise)
    "conv1d bias dtype first": lambda L: F(L).conv1d(L.tensor(1.0), _x(L, 3),
                                                     _x(L, 3, 3, dtype="float16")),
    "conv2d bias of int input": lambda L: F(L).conv2d(_x(L, 3, dtype="int64"),
                                                      _x(L, 1, 2, 5, 5), _x(L, 2, 3)),
    "conv_transpose1d rank": lambda L: F(L).conv_transpose1d(L.tensor(1.0), _x(L, 2, 5)),
    "conv_transpose2d rank": lambda L: F(L).conv_transpose2d(_x(L, 2, 3), _x(L, 2, 5)),
    "conv1d 4-d weight": lambda L: F(L).conv1d(_x(L, 1, 2, 6), _x(L, 1, 2, 5, 5)),
    "conv2d 3-d weight": lambda L: F(L).conv2d(_x(L, 1, 2, 6), _x(L, 3, 2, 3)),
    "conv2d groups above out channels": lambda L: F(L).conv2d(_x(L, 1, 2, 6, 6),
                                                              _x(L, 3, 2, 3, 3), groups=4),
    "conv2d own kernel dtypes": lambda L: F(L).conv2d(_x(L, 1, 2, 6, 6),
                                                      _x(L, 3, 2, 3, 3, dtype="float64")),
    "conv2d oneDNN dtypes": lambda L: F(L).conv2d(_x(L, 2, 2, 6, 6),
                                                  _x(L, 3, 2, 3, 3, dtype="float64")),
    "conv2d oneDNN bool weight": lambda L: F(L).conv2d(_x(L, 2, 2, 6, 6),
                                                       _x(L, 3, 2, 3, 3, dtype="bool")),
    "conv_transpose2d oneDNN bias": lambda L: F(L).conv_transpose2d(
        _x(L, 2, 3, 6, 6), _x(L, 3, 2, 3, 3), _x(L, 2, dtype="float64")),
    "conv_transpose2d half": lambda L: F(L).conv_transpose2d(_x(L, 1, 2, 6, dtype="float16"),
                                                             _x(L, 1, 2, 5, 5)),
    "conv2d dilation 0": lambda L: F(L).conv2d(_x(L, 1, 2, 6, 6), _x(L, 3, 2, 3, 3), dilation=0),
    "conv1d dilation 0": lambda L: F(L).conv1d(_x(L, 1, 2, 6), _x(L, 3, 2, 3), dilation=0),
    "conv2d oneDNN dilation 0": lambda L: F(L).conv2d(_x(L, 2, 2, 6, 6), _x(L, 3, 2, 3, 3),
                                                      dilation=0),
    "conv_transpose1d dilation 0": lambda L: F(L).conv_transpose1d(_x(L, 1, 2, 5),
                                                                   _x(L, 2, 2, 3), dilation=0),
    "conv2d bool": lambda L: F(L).conv2d(_x(L, 1, 2, 5, 5, dtype="bool"), _x(L, 3, 2, 1, 1)),
    "conv2d bool dilated": lambda L: F(L).conv2d(_x(L, 1, 2, 5, 5, dtype="bool"),
                                                 _x(L, 3, 2, 1, 1), dilation=2),
    "conv_transpose1d int, float bias": lambda L: F(L).conv_transpose1d(
        _x(L, 2, 5, dtype="int64"), _x(L, 2, 2, 3, dtype="int64"), _x(L, 2)),
    "Conv1d half input": lambda L: L.nn.Conv1d(4, 1, 1)(_x(L, 2, 5, dtype="float16")),
    "ConvTranspose2d rank": lambda L: L.nn.ConvTranspose2d(4, 2, 3)(_x(L, 2, 5)),
    # cosine_embedding_loss: the target's rank, then the inputs'
    "cosine_embedding_loss 2-d target": lambda L: F(L).cosine_embedding_loss(
        _x(L, 3, 3), _x(L, 1, 3), _x(L, 2, 1)),
    "cosine_embedding_loss 1-d target, 4-d input": lambda L: F(L).cosine_embedding_loss(
        _x(L, 1, 2, 3, 3), _x(L, 2, 3), _x(L, 3)),
    "cosine_embedding_loss 0-d target": lambda L: F(L).cosine_embedding_loss(
        _x(L, 2, 2, 3), _x(L, 2, 2, 3), L.tensor(1.0)),
    "cosine_embedding_loss int input": lambda L: F(L).cosine_embedding_loss(
        _x(L, 2, 1, dtype="int32"), _x(L, 3), _x(L, 0)),
    # bilinear: dtypes first, then ranks and sizes (the weight's size taken first)
    "bilinear dtypes": lambda L: F(L).bilinear(_x(L, 0, 3), _x(L, 3, 3), _x(L, 3, dtype="float64"),
                                               _x(L, 3, 2)),
    "bilinear half input2": lambda L: F(L).bilinear(_x(L, 3, 3), _x(L, 2, 2, 3, dtype="float16"),
                                                    _x(L, 1, 2, 5, 5)),
    "bilinear 0-dim weight": lambda L: F(L).bilinear(L.tensor(1.0), L.tensor(1.0),
                                                     L.tensor(1.0)),
    "bilinear bool": lambda L: F(L).bilinear(_x(L, 2, 3, dtype="bool"), _x(L, 2, 3, dtype="bool"),
                                             _x(L, 2, 3, 3, dtype="bool")),
    "bilinear bias broadcast": lambda L: F(L).bilinear(_x(L, 2, 3, 3), _x(L, 2, 3, 4),
                                                       _x(L, 2, 3, 4), _x(L, 2, 3)),
    "Bilinear no in1 features": lambda L: L.nn.Bilinear(0, 3, 3),
    "Bilinear int input": lambda L: L.nn.Bilinear(4, 2, 3)(_x(L, 2, 3, dtype="int64"),
                                                           _x(L, 2, 3, 4, 4)),
    # scaled_dot_product_attention: torch's validation of its inputs
    "sdpa dtypes": lambda L: F(L).scaled_dot_product_attention(
        L.tensor(1.0), _x(L, 2, 5), _x(L, 3, dtype="float64")),
    "sdpa 1-d key": lambda L: F(L).scaled_dot_product_attention(_x(L, 2, 3), _x(L, 3),
                                                                _x(L, 3, 3)),
    "sdpa mask dtype": lambda L: F(L).scaled_dot_product_attention(
        _x(L, 1, 2, 6), _x(L, 1, 2, 6), _x(L, 1, 2, 6), _x(L, 2, 2, dtype="int64")),
    "sdpa causal with mask": lambda L: F(L).scaled_dot_product_attention(
        _x(L, 1, 2, 6), _x(L, 1, 2, 6), _x(L, 1, 2, 6), _x(L, 2, 2), is_causal=True),
    "sdpa bool mask shape": lambda L: F(L).scaled_dot_product_attention(
        _x(L, 1, 2, 6), _x(L, 1, 2, 6), _x(L, 1, 2, 6), _x(L, 2, 3, dtype="bool")),
    # pooling: torch's parameter checks, output size checks and shape checks, in its order
    "avg_pool1d 0-dim": lambda L: F(L).avg_pool1d(L.tensor(1.0), 1),
    "avg_pool1d 4-d": lambda L: F(L).avg_pool1d(_x(L, 1, 2, 5, 5), 3, 0),
    "avg_pool1d two kernel sizes": lambda L: F(L).avg_pool1d(_x(L, 1, 2, 5), (2, 2)),
    "avg_pool1d zero stride": lambda L: F(L).avg_pool1d(_x(L, 1, 2, 5), 2, 0),
    "max_pool1d 0-dim": lambda L: F(L).max_pool1d(L.tensor(1.0), 1),
    "max_pool1d no channels": lambda L: F(L).max_pool1d(_x(L, 1, 0, 5), 2),
    "max_pool1d padding": lambda L: F(L).max_pool1d(_x(L, 1, 2, 5), 3, padding=2),
    "max_pool1d negative stride": lambda L: F(L).max_pool1d(_x(L, 1, 2, 5), 2, -1),
    "max_pool1d output size": lambda L: F(L).max_pool1d(_x(L, 1, 2, 5), 6),
    "max_pool1d int": lambda L: F(L).max_pool1d(_x(L, 1, 2, 5, dtype="int64"), 2),
    "max_pool1d indices, zero kernel": lambda L: F(L).max_pool1d(_x(L, 1, 2, 5), 0,
                                                                 return_indices=True),
    "max_pool1d indices, bool": lambda L: F(L).max_pool1d(_x(L, 1, 2, 5, dtype="bool"), 2,
                                                          return_indices=True),
    "MaxPool1d 1-d": lambda L: L.nn.MaxPool1d(2)(_x(L, 3)),
    "AvgPool1d 4-d": lambda L: L.nn.AvgPool1d(3)(_x(L, 2, 3, 6, 6)),
    "avg_pool2d 0-dim": lambda L: F(L).avg_pool2d(L.tensor(1.0), 1),
    "avg_pool2d 1-d": lambda L: F(L).avg_pool2d(_x(L, 3), 2),
    "avg_pool2d negative stride": lambda L: F(L).avg_pool2d(_x(L, 1, 2, 5, 5), 3, -1),
    "avg_pool2d pad above half": lambda L: F(L).avg_pool2d(_x(L, 1, 2, 5, 5), 2, padding=2),
    "avg_pool2d three kernel sizes": lambda L: F(L).avg_pool2d(_x(L, 1, 2, 5, 5), (2, 2, 2),
                                                               divisor_override=0),
    "avg_pool2d bool": lambda L: F(L).avg_pool2d(_x(L, 1, 2, 5, 5, dtype="bool"), 2),
    "max_pool2d negative stride": lambda L: F(L).max_pool2d(_x(L, 1, 2, 5, 5), 3, -1),
    "max_pool2d zero kernel": lambda L: F(L).max_pool2d(_x(L, 1, 2, 5, 5), 0),
    "max_pool2d dilation 0": lambda L: F(L).max_pool2d(_x(L, 1, 2, 5, 5), 2, dilation=0),
    "max_pool2d negative pad": lambda L: F(L).max_pool2d(_x(L, 1, 2, 5, 5), 2, padding=-1),
    "AvgPool2d 1-d": lambda L: L.nn.AvgPool2d(2)(_x(L, 3)),
    # nll_loss and cross_entropy: torch's checks, in its order
    "nll_loss 2-d target": lambda L: F(L).nll_loss(_x(L, 2, 3), _x(L, 2, 3, dtype="int64")),
    "nll_loss 0-dim target": lambda L: F(L).nll_loss(_x(L, 3, 2), L.tensor(0)),
    "nll_loss float target": lambda L: F(L).nll_loss(_x(L, 2, 3), _x(L, 2)),
    "nll_loss int32 target": lambda L: F(L).nll_loss(_x(L, 2, 3), _x(L, 2, dtype="int32")),
    "nll_loss 1-d input, 1-d target": lambda L: F(L).nll_loss(_x(L, 3), L.tensor([0, 1, 2])),
    "nll_loss int input": lambda L: F(L).nll_loss(_x(L, 3, dtype="int64"), L.tensor([0])),
    "nll_loss weight dtype": lambda L: F(L).nll_loss(_x(L, 3, dtype="float16"), L.tensor(0),
                                                     _x(L, 3)),
    "nll_loss 2-d spatial target": lambda L: F(L).nll_loss(
        _x(L, 2, 3, 4, 4), _x(L, 2, 3, dtype="int64")),
    "nll_loss spatial sizes after dtype": lambda L: F(L).nll_loss(
        _x(L, 2, 3, 4, 4), _x(L, 2, 4, 5)),
    "NLLLoss 2-d float target": lambda L: L.nn.NLLLoss()(_x(L, 3, dtype="float64"), _x(L, 2, 1)),
    "cross_entropy negative smoothing, 0-dim": lambda L: F(L).cross_entropy(
        L.tensor(1.0), L.zeros(3, 3, dtype=L.int64), label_smoothing=-0.1),
    "cross_entropy negative smoothing, batch": lambda L: F(L).cross_entropy(
        _x(L, 2, 3, 4, 4), _x(L, 3, dtype="bool"), label_smoothing=-0.1),
    "cross_entropy smoothing above 1": lambda L: F(L).cross_entropy(
        _x(L, 2, 3), L.zeros(2, dtype=L.int64), label_smoothing=1.5),
    "cross_entropy probabilities weight": lambda L: F(L).cross_entropy(
        _x(L, 2, 4), _x(L, 2, 4), _x(L, 2)),
    "CrossEntropyLoss 0-dim float target": lambda L: L.nn.CrossEntropyLoss()(
        _x(L, 2, 3, 4, 4), L.tensor(0.0)),
    # linear: torch's addmm path (2-d input or 1-d bias) or matmul path, dtypes first
    "linear bool input": lambda L: F(L).linear(_x(L, 3, dtype="bool"), _x(L, 3, 3)),
    "linear dtypes, no bias": lambda L: F(L).linear(_x(L, 2, 3, dtype="float64"), _x(L, 0, 3)),
    "linear dtypes, bias": lambda L: F(L).linear(_x(L, 3, 3, dtype="float64"), _x(L, 0, 3),
                                                 _x(L, 0, 3)),
    "linear bias dtype": lambda L: F(L).linear(_x(L, 2, 3), _x(L, 4, 3),
                                               _x(L, 4, dtype="float64")),
    "linear 1-d weight, 2-d bias": lambda L: F(L).linear(_x(L, 2, 2, 3), _x(L, 3), _x(L, 2, 3)),
    "linear 1-d weight, 2-d input, bias": lambda L: F(L).linear(_x(L, 2, 3), _x(L, 3), _x(L, 3)),
    "linear 3-d weight": lambda L: F(L).linear(_x(L, 2, 3), _x(L, 2, 4, 3)),
    "linear bias into a 0-dim product": lambda L: F(L).linear(_x(L, 4), _x(L, 4), _x(L, 4, 3)),
    "linear bool": lambda L: F(L).linear(_x(L, 2, 3, dtype="bool"), _x(L, 4, 3, dtype="bool")),
    "Linear half input": lambda L: L.nn.Linear(1, 1)(_x(L, 2, 1, dtype="float16")),
    # fold / unfold: the kernels' parameter checks, then the shapes
    "unfold 0-dim": lambda L: F(L).unfold(L.tensor(1.0), 1),
    "unfold 2-d": lambda L: F(L).unfold(_x(L, 2, 5), 1),
    "unfold zero kernel, 0-dim": lambda L: F(L).unfold(L.tensor(1), 0),
    "unfold no channels": lambda L: F(L).unfold(_x(L, 1, 0, 5, 5), 2),
    "unfold too small": lambda L: F(L).unfold(_x(L, 1, 2, 6), 3),
    "unfold int": lambda L: F(L).unfold(_x(L, 2, 3, 5, dtype="int64"), 2),
    "fold empty output size": lambda L: F(L).fold(L.tensor(1.0), (), 1),
    "fold zero kernel": lambda L: F(L).fold(_x(L, 3), (2, -1), 0),
    "fold one output size": lambda L: F(L).fold(_x(L, 2, 3, 5), (3,), 0),
    "fold 4-d": lambda L: F(L).fold(_x(L, 2, 3, 6, 6), (1, 6), 1),
    # layers' constructors
    "Unflatten None": lambda L: L.nn.Unflatten(0, None),
    "Unflatten str element": lambda L: L.nn.Unflatten(0, (2, "a")),
    "Unflatten negative dim": lambda L: L.nn.Unflatten(-1, (2, 3))(_x(L, 1, 3)),
    "RNN None sizes": lambda L: L.nn.RNN(None, None),
    "LSTM zero input size": lambda L: L.nn.LSTM(0, None),
    "GRU tensor input size": lambda L: L.nn.GRU(L.ones(3), 2),
    "RNN bias not bool": lambda L: L.nn.RNN(2, 2, 1, 1),
    "GRU str dropout": lambda L: L.nn.GRU(2, 2, dropout="a"),
    "RNNCell bool input size": lambda L: L.nn.RNNCell(True, 2)(_x(L, 2, 3)),
    "GroupNorm groups": lambda L: L.nn.GroupNorm(3, 2),
    # the rest of the fuzzer's finds
    "gumbel_softmax int": lambda L: F(L).gumbel_softmax(_x(L, 3, dtype="int64")),
    "exponential_ bool": lambda L: _x(L, 1, dtype="bool").exponential_(),
    "exponential_ int, negative lambda": lambda L: _x(L, 1, dtype="int64").exponential_(-1.0),
    "layer_norm double input, float weight": lambda L: F(L).layer_norm(
        _x(L, 0, dtype="float64"), (2, 3), _x(L, 3, 3)),
    "layer_norm double weight": lambda L: F(L).layer_norm(_x(L, 3, 3), (3,), L.tensor(1.0).double(),
                                                          _x(L, 0, 3)),
    "LayerNorm int input": lambda L: L.nn.LayerNorm((3, 2))(_x(L, 2, 3, 4, dtype="int32")),
    "normalize inf over empty": lambda L: F(L).normalize(_x(L, 2, 0), float("inf")),
    "cosine_similarity ints": lambda L: F(L).cosine_similarity(_x(L, 2, dtype="int64"),
                                                               _x(L, 2, dtype="int64")),
    "hinge_embedding_loss bool": lambda L: F(L).hinge_embedding_loss(
        _x(L, 1, 2, 3, 3, dtype="bool"), _x(L, 2, 1)),
    "soft_margin_loss bool": lambda L: F(L).soft_margin_loss(_x(L, 1, 2, 3, 3, dtype="bool"),
                                                             _x(L, 2, 1)),
    "pad mode first": lambda L: F(L).pad(_x(L, 1, 2, 3, 3), (-1,), "a"),
    "pad reflect value": lambda L: F(L).pad(_x(L, 1, 2, 3, 3), (1, 1), "reflect", 2.0),
    "batch_norm 0-dim": lambda L: F(L).batch_norm(L.tensor(1.0), _x(L, 3, 3), _x(L, 3),
                                                  training=True),
    "batch_norm 1-d": lambda L: F(L).batch_norm(_x(L, 3), None, None, training=True),
    "batch_norm int": lambda L: F(L).batch_norm(_x(L, 2, 3, dtype="int64"), None, None,
                                                training=True),
    "MultiheadAttention tuple key": lambda L: L.nn.MultiheadAttention(4, 2)(
        _x(L, 3), (1, 2), _x(L, 1, 2, 5, 5)),
    "EmbeddingBag 3-d": lambda L: L.nn.EmbeddingBag(4, 2)(_x(L, 2, 2, 3, dtype="int64")),
    "embedding_bag 1-d weight": lambda L: F(L).embedding_bag(_x(L, 2, 3, dtype="int64"),
                                                             _x(L, 4)),
    "embedding_bag max, sparse": lambda L: F(L).embedding_bag(
        _x(L, 2, 3, dtype="int64"), _x(L, 4, 2), mode="max", sparse=True),
    "bce_with_logits int target": lambda L: F(L).binary_cross_entropy_with_logits(
        L.tensor(1.0), L.tensor(1)),
    "bce_with_logits bool target": lambda L: F(L).binary_cross_entropy_with_logits(
        _x(L, 3), _x(L, 3, dtype="bool")),
    "BatchNorm2d list features, None input": lambda L: L.nn.BatchNorm2d([])(None),
    "TransformerEncoderLayer None": lambda L: L.nn.TransformerEncoderLayer(1, 1)(None),
    "GRU double input": lambda L: L.nn.GRU(1, 1)(_x(L, 2, 3, 5, dtype="float64")),
    "Embedding no rows": lambda L: L.nn.Embedding(0, 0)(L.tensor(0)),
    "embedding no width, out of range": lambda L: F(L).embedding(L.tensor(5), _x(L, 2, 0)),
    "Embedding bool indices": lambda L: L.nn.Embedding(3, 2)(_x(L, 2, dtype="bool")),
    "fold 0-dim output size": lambda L: F(L).fold(None, L.tensor(1), 0),
    "hinge_embedding_loss int input": lambda L: F(L).hinge_embedding_loss(L.tensor(1),
                                                                          L.tensor(1.0)),
    "GLU empty int": lambda L: L.nn.GLU()(_x(L, 0, dtype="int64")),
}

RESULTS = {
    "threshold uint8 negative value": lambda L: F(L).threshold(
        L.tensor([0, 1, 5], dtype=L.uint8), 0, -1),
    "threshold uint8 negative threshold": lambda L: F(L).threshold(
        L.tensor([0, 1, 5], dtype=L.uint8), -1, 1),
    "threshold half infinite value": lambda L: F(L).threshold(
        L.tensor([0.0, 1.0], dtype=L.float16), 0.5, float("inf")),
    "interpolate empty batch": lambda L: F(L).interpolate(_x(L, 0, 2, 5), 2),
    "interpolate area": lambda L: F(L).interpolate(L.arange(10.0).view(1, 2, 5), 2, mode="area"),
    "adaptive_avg_pool2d 2-d to 1": lambda L: F(L).adaptive_avg_pool2d(
        L.arange(10.0).view(2, 5), 1),
    "adaptive_avg_pool1d empty int": lambda L: F(L).adaptive_avg_pool1d(
        _x(L, 1, 0, 5, dtype="int64"), 2),
    "conv1d empty batch": lambda L: F(L).conv1d(_x(L, 0, 2, 6), _x(L, 2, 2, 3)),
    "conv1d empty batch, int input": lambda L: F(L).conv1d(_x(L, 0, 2, 6, dtype="int64"),
                                                           _x(L, 3, 2, 3)),
    "conv_transpose1d empty batch, half weight": lambda L: F(L).conv_transpose1d(
        _x(L, 0, 2, 6), _x(L, 2, 2, 3, dtype="float16")),
    "conv_transpose2d bias of another dtype": lambda L: F(L).conv_transpose2d(
        _x(L, 1, 3, 6, 6), _x(L, 3, 2, 3, 3), _x(L, 2, dtype="float64")),
    "Bilinear no out features": lambda L: L.nn.Bilinear(3, 3, 0)(_x(L, 2, 3), _x(L, 2, 3)),
    "sdpa half, bool mask": lambda L: F(L).scaled_dot_product_attention(
        *[L.arange(12.0, dtype=L.float16).view(1, 2, 6) / 12] * 3,
        L.tensor([[True, False], [True, True]])),
    "max_pool2d empty batch, ceil": lambda L: F(L).max_pool2d(_x(L, 0, 2, 5, 5), 2,
                                                              ceil_mode=True),
    "max_pool1d empty batch, ceil": lambda L: F(L).max_pool1d(_x(L, 0, 2, 5), 2, ceil_mode=True),
    "max_pool1d empty stride": lambda L: F(L).max_pool1d(L.arange(10.0).view(1, 2, 5), 2, []),
    "nll_loss 1-d input, one target": lambda L: F(L).nll_loss(L.arange(3.0), L.tensor([1])),
    "nll_loss byte target": lambda L: F(L).nll_loss(L.arange(6.0).view(2, 3),
                                                    L.tensor([0, 2], dtype=L.uint8)),
    "cross_entropy negative smoothing": lambda L: F(L).cross_entropy(
        L.arange(6.0).view(2, 3), L.tensor([0, 2]), label_smoothing=-0.1),
    "cross_entropy probabilities, negative smoothing": lambda L: F(L).cross_entropy(
        L.arange(6.0).view(2, 3), L.ones(2, 3) / 3, label_smoothing=-0.1),
    "log_softmax of empty int": lambda L: L.log_softmax(L.zeros(0, 2, dtype=L.int64), 1),
    "linear 1-d input and bias": lambda L: F(L).linear(L.arange(3.0), L.ones(4, 3), L.ones(4)),
    "linear 3-d input, 2-d bias": lambda L: F(L).linear(L.ones(2, 2, 3), L.ones(4, 3),
                                                        L.ones(2, 2, 4)),
    "unfold bool": lambda L: F(L).unfold(L.ones(1, 2, 5, 5, dtype=L.bool), 2),
    "gumbel_softmax empty bool": lambda L: F(L).gumbel_softmax(_x(L, 0, dtype="bool")).shape,
    "layer_norm half input, float weight": lambda L: F(L).layer_norm(
        L.arange(6.0, dtype=L.float16).view(2, 3), (3,), L.ones(3), L.zeros(3)),
    "normalize p None, dim None": lambda L: F(L).normalize(L.tensor(3.0), None, None),
    "cosine_similarity 0-dim and int": lambda L: F(L).cosine_similarity(
        L.tensor(2.0), _x(L, 2, 1, dtype="int64")),
    "batch_norm empty": lambda L: F(L).batch_norm(_x(L, 2, 0), _x(L, 3), _x(L, 3),
                                                  training=True),
    "softshrink 0-dim bool lambda": lambda L: F(L).softshrink(L.tensor([1.5, -0.2]),
                                                             L.tensor(True)),
    "hardshrink 0-dim lambda": lambda L: F(L).hardshrink(L.tensor([1.5, -0.2]), L.tensor(1)),
    "BatchNorm2d list features": lambda L: L.nn.BatchNorm2d([]).weight,
}


@pytest.mark.parametrize("name", sorted(RAISES))
def test_raises_as_torch(name):
    errors = first_errors(RAISES[name])
    assert errors[1] == errors[0]


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_result_as_torch(name):
    assert_same(RESULTS[name](ember), RESULTS[name](torch))


def test_normalize_inf_norm_gradients():
    # the gradient of an infinity norm is shared among the entries that reach it
    for p in (float("inf"), -float("inf")):
        grads = []
        for lib in (torch, ember):
            x = lib.tensor([[1.0, -3.0, 3.0], [2.0, 0.5, -1.0]], requires_grad=True)
            F(lib).normalize(x, p, 1).sum().backward()
            grads.append(x.grad)
        assert_same(grads[1], grads[0])


def test_adaptive_avg_pool_to_one_is_a_mean():
    # torch's shortcut records a mean, whatever the input's rank.
    x = ember.ones(2, 3, 3, requires_grad=True)
    assert type(F(ember).adaptive_avg_pool2d(x, 1).grad_fn).__name__ == "MeanBackward1"
