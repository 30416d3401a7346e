"""Gradients keep their input's dtype: float32 stays float32 when a formula divides by an
integer count or multiplies by an integer tensor, and 0-dim inputs work through softmax
and double backward (on NumPy 1.x as on NumPy 2)."""

import numpy as np
import pytest
import torch

import ember
from helpers import check_op, make_array

FLOATS = [np.float32, np.float64]
SHAPES = [(), (3,), (2, 3)]


def F(lib):
    return torch.nn.functional if lib is torch else ember.nn.functional


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_any_rank(name, shape, dtype):
    check_op(lambda lib, x: getattr(F(lib), name)(x, 0 if shape else None),
             [make_array(shape, dtype, 1)])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_extrema_with_ties_share_in_input_dtype(shape, dtype):
    # Ties: the gradient is divided by an integer count of the maxima.
    x = np.ones(shape, dtype)
    check_op(lambda lib, x: lib.amax(x), [x])
    check_op(lambda lib, x: lib.amin(x), [x])
    check_op(lambda lib, x: lib.linalg.vector_norm(x, float("inf")), [x])
    check_op(lambda lib, x: lib.linalg.vector_norm(x, -float("inf")), [x])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op", ["mul", "div", "add", "sub"])
def test_float_with_integer_tensor(op, shape, dtype):
    ints = np.arange(1, 1 + int(np.prod(shape))).reshape(shape)
    check_op(lambda lib, x, n: getattr(lib, op)(x, n), [make_array(shape, dtype, 2), ints],
             grad=[True, False])
    check_op(lambda lib, x, n: getattr(lib, op)(n, x), [make_array(shape, dtype, 3), ints],
             grad=[True, False])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_nanmean(shape, dtype):
    x = make_array(shape, dtype, 4)
    if x.size > 1:
        x.reshape(-1)[0] = np.nan
    check_op(lambda lib, x: lib.nanmean(x), [x])


@pytest.mark.parametrize("dtype", FLOATS)
def test_logit_zero_dim(dtype):
    check_op(lambda lib, x: lib.logit(x), [np.array(0.3, dtype)])
    check_op(lambda lib, x: lib.logit(x, 0.1), [np.array(0.05, dtype)])
