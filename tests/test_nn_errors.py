"""nn error texts against torch, those that print sizes above all (torch.Size([...]) where
torch prints one): batch norm, embedding bags, bilinear maps, interpolation, transposed
convolutions' output sizes, recurrent layers' and cells' states, Unflatten, loss weights."""

from __future__ import annotations

import warnings

import pytest
import torch

import ember
from helpers import same_error

CASES = {
    "bn_one_value": lambda l: l.nn.BatchNorm2d(256)(l.ones(1, 256, 1, 1)),
    "bn_functional": lambda l: l.nn.functional.batch_norm(l.ones(1, 3), None, None,
                                                           training=True),
    "bn_running_mean": lambda l: l.nn.BatchNorm1d(4)(l.ones(2, 3)),
    "bn_running_var": lambda l: l.nn.functional.batch_norm(l.ones(2, 3), l.zeros(3),
                                                           l.ones(4), training=True),
    "bn_weight": lambda l: l.nn.functional.batch_norm(l.ones(2, 3), None, None, l.ones(4),
                                                      training=True),
    "bn_bias": lambda l: l.nn.functional.batch_norm(l.ones(2, 3, 2), l.zeros(3), l.ones(3),
                                                    None, l.ones(2)),
    "instance_norm": lambda l: l.nn.functional.instance_norm(l.ones(2, 3, 1)),
    "embedding_bag_weights": lambda l: l.nn.functional.embedding_bag(
        l.tensor([0, 1]), l.ones(3, 2), l.tensor([0]), per_sample_weights=l.ones(3),
        mode="sum"),
    "bilinear_dims": lambda l: l.nn.functional.bilinear(l.ones(5, 2), l.ones(5, 2, 3),
                                                        l.ones(4, 2, 3)),
    "bilinear_batch": lambda l: l.nn.functional.bilinear(l.ones(5, 2), l.ones(4, 3),
                                                         l.ones(4, 2, 3)),
    "bilinear_input1": lambda l: l.nn.Bilinear(2, 3, 4)(l.ones(5, 3), l.ones(5, 3)),
    "bilinear_input2": lambda l: l.nn.Bilinear(2, 3, 4)(l.ones(5, 2), l.ones(5, 2)),
    "bilinear_bias": lambda l: l.nn.functional.bilinear(l.ones(5, 2), l.ones(5, 3),
                                                        l.ones(4, 2, 3), l.ones(3)),
    "interpolate_size": lambda l: l.nn.functional.interpolate(l.ones(1, 1, 4), size=(2, 2)),
    "interpolate_scale": lambda l: l.nn.functional.interpolate(l.ones(1, 1, 4, 4),
                                                               scale_factor=(2, 2, 2)),
    "bce_weight": lambda l: l.nn.functional.binary_cross_entropy(
        l.full((2, 3), 0.5), l.ones(2, 3), weight=l.ones(3, 3)),
    "bce_weight_dims": lambda l: l.nn.functional.binary_cross_entropy(
        l.full((2, 3), 0.5), l.ones(2, 3), weight=l.ones(2, 1, 3)),
    "bce_target": lambda l: l.nn.functional.binary_cross_entropy(l.full((2, 3), 0.5),
                                                                 l.ones(3, 2)),
    "mse_broadcast": lambda l: l.nn.functional.mse_loss(l.ones(2, 3), l.ones(4)),
    "conv_transpose_list": lambda l: l.nn.ConvTranspose2d(1, 1, 3, stride=2)(
        l.ones(1, 1, 3, 3), output_size=[20, 20]),
    "conv_transpose_size": lambda l: l.nn.ConvTranspose2d(1, 1, 3, stride=2)(
        l.ones(1, 1, 3, 3), output_size=l.Size([1, 1, 20, 20])),
    "conv_transpose_unbatched": lambda l: l.nn.ConvTranspose2d(1, 1, 3, stride=2)(
        l.ones(1, 3, 3), output_size=(20, 20)),
    "unflatten": lambda l: l.nn.Unflatten(1, (2, -1))(l.ones(2, 3)),
    "rnn_input_dims": lambda l: l.nn.RNN(3, 4, nonlinearity="relu")(l.ones(5, 3, 2, 2)),
    "gru_input_dims": lambda l: l.nn.GRU(3, 4)(l.ones(5, 3, 2, 2)),
    "lstm_hidden1": lambda l: l.nn.LSTM(3, 4)(l.ones(5, 2, 3),
                                             (l.zeros(1, 2, 4), l.zeros(1, 3, 4))),
    "lstm_hidden0_unbatched": lambda l: l.nn.LSTM(3, 4)(l.ones(5, 3),
                                                       (l.zeros(2, 4), l.zeros(1, 4))),
    "lstm_hx_dims": lambda l: l.nn.LSTM(3, 4)(l.ones(5, 3),
                                             (l.zeros(1, 2, 4), l.zeros(1, 2, 4))),
    "gru_hidden": lambda l: l.nn.GRU(3, 4)(l.ones(5, 2, 3), l.zeros(2, 2, 4)),
    "gru_hx_dims": lambda l: l.nn.GRU(3, 4)(l.ones(5, 2, 3), l.zeros(2, 4)),
    "rnn_hx_dims": lambda l: l.nn.RNN(3, 4)(l.ones(5, 3), l.zeros(1, 2, 4)),
    "grucell_batch": lambda l: l.nn.GRUCell(3, 4)(l.ones(2, 3), l.zeros(3, 4)),
    "rnncell_hidden": lambda l: l.nn.RNNCell(3, 4)(l.ones(2, 3), l.zeros(2, 5)),
    "lstmcell_batch1": lambda l: l.nn.LSTMCell(3, 4)(l.ones(2, 3),
                                                    (l.zeros(2, 4), l.zeros(3, 4))),
    "lstmcell_unbatched": lambda l: l.nn.LSTMCell(3, 4)(l.ones(3), (l.zeros(5), l.zeros(4))),
    "layer_norm_weight": lambda l: l.nn.functional.layer_norm(l.ones(2, 3), (3,), l.ones(2)),
    "layer_norm_bias": lambda l: l.nn.functional.layer_norm(l.ones(2, 3), (3,), None,
                                                            l.ones(1, 3)),
    "group_norm_weight": lambda l: l.nn.functional.group_norm(l.ones(2, 4, 3), 2, l.ones(3)),
    "group_norm_bias": lambda l: l.nn.functional.group_norm(l.ones(2, 4, 3), 2, None,
                                                            l.ones(1, 4)),
    "conv_bias": lambda l: l.nn.functional.conv1d(l.ones(1, 2, 4), l.ones(3, 2, 2),
                                                  l.ones(1, 3)),
    "conv_transpose_bias": lambda l: l.nn.functional.conv_transpose2d(
        l.ones(1, 4, 4, 4), l.ones(4, 2, 2, 2), l.ones(2), groups=2),
    "conv_groups": lambda l: l.nn.functional.conv2d(l.ones(1, 2, 4, 4), l.ones(3, 1, 2, 2),
                                                    groups=2),
    "conv_unbatched_channels": lambda l: l.nn.functional.conv2d(l.ones(2, 4, 4),
                                                                l.ones(3, 1, 2, 2), groups=3),
    "linear_bias": lambda l: l.nn.functional.linear(l.ones(5, 2, 3), l.ones(4, 3), l.ones(3)),
    "linear_bias_1d": lambda l: l.nn.functional.linear(l.ones(3), l.ones(4, 3), l.ones(3)),
    "adaptive_avg_negative": lambda l: l.nn.functional.adaptive_avg_pool1d(l.ones(1, 1, 4),
                                                                           -1),
    "adaptive_max_negative": lambda l: l.nn.functional.adaptive_max_pool2d(l.ones(1, 1, 4, 4),
                                                                           (-1, 2)),
    "fold_columns": lambda l: l.nn.functional.fold(l.ones(1, 7, 6), (3, 4), 2),
    "fold_blocks": lambda l: l.nn.functional.fold(l.ones(1, 8, 5), (3, 4), 2),
    "cosine_embedding_target": lambda l: l.nn.functional.cosine_embedding_loss(
        l.ones(2, 3), l.ones(2, 3), l.ones(3)),
    "hinge_target": lambda l: l.nn.functional.hinge_embedding_loss(l.ones(2, 3), l.ones(3, 3)),
    "where_broadcast": lambda l: l.where(l.ones(2) > 0, l.ones(3), l.ones(2)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_error_text_is_torchs(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: CASES[name](ember), lambda: CASES[name](torch))
