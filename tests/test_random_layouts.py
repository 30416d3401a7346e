"""Random draws land where torch's land: a draw into a tensor laid out like a
non-contiguous input fills it in memory order, as torch's empty_like and TensorIterator do.
Each case runs under torch and ember with the same seed and compares the values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def _transposed(L):  # noqa: N803 - the library
    return L.zeros(3, 4).t()


CASES = {
    "dropout": lambda L, a: L.nn.functional.dropout(a + 1, 0.5),
    "dropout in place": lambda L, a: L.nn.functional.dropout(a.add_(1), 0.5, inplace=True),
    "dropout 64x64": lambda L, a: L.nn.functional.dropout(L.ones(64, 64).t(), 0.5),
    "dropout of a slice": lambda L, a: L.nn.functional.dropout(L.ones(4, 6)[:, ::2], 0.5),
    "Dropout module": lambda L, a: L.nn.Dropout(0.3)(L.ones(2, 3, 4).permute(2, 0, 1)),
    "rand_like": lambda L, a: L.rand_like(a),
    "randn_like": lambda L, a: L.randn_like(a),
    "randint_like": lambda L, a: L.randint_like(a, 10),
    "rand_like channels_last": lambda L, a: L.rand_like(L.zeros(2, 3, 2, 2),
                                                        memory_format=L.channels_last),
    "multinomial": lambda L, a: L.multinomial(L.arange(1.0, 13.0).reshape(3, 4).t(), 2),
    "multinomial one sample": lambda L, a: L.multinomial(L.arange(1.0, 13.0).reshape(3, 4).t(),
                                                         1),
    "multinomial of expanded probabilities": lambda L, a: L.multinomial(
        L.tensor([0.2, 0.3, 0.5]).expand(4, 3), 1),
    "rand_like of an expanded tensor": lambda L, a: L.rand_like(L.ones(3).expand(4, 3)),
    "bernoulli": lambda L, a: L.bernoulli(L.linspace(0, 1, 12).reshape(3, 4).t()),
    "uniform_": lambda L, a: a.uniform_(),
    "normal_": lambda L, a: a.normal_(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_draw_matches_torch(name):
    results = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        results.append(CASES[name](lib, _transposed(lib)).numpy())
    np.testing.assert_array_equal(results[1], results[0])


def test_transformer_layer_in_training_matches_torch():
    # Its attention output is a transposed view, which dropout then masks.
    results = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.1,
                                               batch_first=True)
        x = lib.randn(4, 6, 16)
        results.append(layer(x).detach().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bounds", [(0.125, 1 / 3), (0.1, 0.3), (-0.5, 0.7), (0.2, 0.2)])
def test_rrelu_slopes_are_torch_s(dtype, bounds):
    results = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        x = -lib.rand(500, dtype=getattr(lib, dtype)) - 0.01
        lib.manual_seed(1)
        results.append(lib.nn.functional.rrelu(x, *bounds, training=True).numpy())
    np.testing.assert_array_equal(results[1], results[0])
