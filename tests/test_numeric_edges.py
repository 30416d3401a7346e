"""Numbers at the edges of their formulas, against torch: pow's gradients at a zero exponent
or base, atan2's at the origin (and the second derivatives of both), float16 reductions that
torch accumulates in float32, and gradients in the subnormal range at extreme inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op

BASES = [0., -0., 1., -1., 2., 0.5]
EXPONENTS = [0., -0., 1., 2., -1., 0.5, -0.5, 3.]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_gradients_at_zero(dtype):
    # Every pair elementwise (a broadcast gradient would sum a row's nan into every entry).
    x = np.repeat(np.array(BASES, dtype), len(EXPONENTS))
    p = np.tile(np.array(EXPONENTS, dtype), len(BASES))
    check_op(lambda L, a, b: L.pow(a, b), [x, p])
    # An exponent tensor that needs no gradient takes the same masked formula.
    check_op(lambda L, a, b: L.pow(a, b), [x, p], grad=[True, False])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("e", EXPONENTS)
def test_pow_number_exponent(e, dtype):
    check_op(lambda L, a: L.pow(a, e), [np.array(BASES, dtype)])
    check_op(lambda L, a: a ** e, [np.array(BASES + [-np.inf], dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("base", [0., 2., 0.5])
def test_pow_number_base(base, dtype):
    check_op(lambda L, b: L.pow(base, b), [np.array(EXPONENTS, dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_atan2_gradients_at_origin(dtype):
    # 1e-200 squares to 0 in float64, 1e-160 to a subnormal whose reciprocal overflows; in
    # float32 only the first-order gradients are compared there (torch shares one reciprocal
    # between both second derivatives, which decides inf - inf).
    v = [0., -0., 1., -1.] + ([1e-20, 1e-160, 1e-200] if dtype == np.float64 else [])
    y = np.repeat(np.array(v, dtype), len(v))
    x = np.tile(np.array(v, dtype), len(v))
    check_op(lambda L, a, b: L.atan2(a, b), [y, x])
    if dtype == np.float32:
        tiny = np.array([1e-20, 1e-23, 0.], dtype)
        check_op(lambda L, a, b: L.atan2(a, b), [tiny, tiny[::-1].copy()], double=False)


HALF_INPUTS = {
    "pair": [300., 300.],
    "large": [60000., 60000.],
    "mixed_signs": [40000., 40000., -40000.],
    "many": [30.] * 3000,
    "chain": [300., 300., 1e-3, 2.],
    "reordered_chain": [1e-3, 300., 300., 2.],
    "small": list(np.random.default_rng(0).uniform(0, 0.2, 2000)),
    "spread": list(np.random.default_rng(1).normal(0, 30, 1000)),
}

HALF_REDUCTIONS = {
    "sum": lambda L, x: x.sum(),
    "sum_strided": lambda L, x: x.reshape(-1, 1).expand(-1, 2).sum(0),
    "mean": lambda L, x: x.mean(),
    "mean_strided": lambda L, x: x.reshape(-1, 1).expand(-1, 2).mean(0),
    "nansum": lambda L, x: L.nansum(x.reshape(-1, 1).expand(-1, 2), 0),
    "nanmean": lambda L, x: L.nanmean(x),
    "prod": lambda L, x: x.prod(),
    "prod_dim": lambda L, x: x.reshape(1, -1).prod(1),
    "var": lambda L, x: x.var(),
    "std": lambda L, x: x.std(),
    "norm": lambda L, x: x.norm(),
    "norm_1": lambda L, x: x.norm(1),
    "norm_3": lambda L, x: x.norm(3),
    "norm_inf": lambda L, x: x.norm(float("inf")),
    "vector_norm_dim": lambda L, x: L.linalg.vector_norm(x.reshape(1, -1), dim=-1),
    "matrix_norm": lambda L, x: L.linalg.matrix_norm(x.reshape(1, -1)),
    "cumsum": lambda L, x: x.cumsum(0),
    "cumprod": lambda L, x: x.cumprod(0),
    "logsumexp": lambda L, x: L.logsumexp(x, 0),
    "mse_loss": lambda L, x: L.nn.functional.mse_loss(x, L.zeros_like(x)),
    "layer_norm": lambda L, x: L.nn.functional.layer_norm(x, x.shape),
    "group_norm": lambda L, x: L.nn.functional.group_norm(x.reshape(1, 1, -1), 1),
    "batch_norm": lambda L, x: L.nn.functional.batch_norm(x.reshape(-1, 1), None, None,
                                                          training=True),
    "softmax": lambda L, x: L.softmax(x, 0),
    "log_softmax": lambda L, x: L.log_softmax(x, 0),
}


# torch's normalization kernels leave a rounding residue (about 1e-3) on constant rows.
NORMS = ("layer_norm", "group_norm", "batch_norm")
# batch_norm's float16 transform still differs by an ulp on spread data: only its overflow
# is checked.
HALF_CASES = [(name, data) for name in HALF_REDUCTIONS for data in HALF_INPUTS
              if (name not in NORMS or len(set(HALF_INPUTS[data])) > 1)
              and (name != "batch_norm" or data in ("mixed_signs", "chain"))]


@pytest.mark.parametrize("name,data", HALF_CASES)
def test_float16_reductions_accumulate_as_torch(name, data):
    f = HALF_REDUCTIONS[name]
    a = np.array(HALF_INPUTS[data], np.float16)
    e = f(ember, ember.tensor(a))
    t = f(torch, torch.tensor(a))
    assert_same(e, t, rtol=0, atol=0)


EXTREMES = [20., -20., 88., -88., 89., -89., 100., -100., 103., -103., 710., -710., 745.,
            -745.]
ACTIVATIONS = {
    "sigmoid": lambda L, x: L.sigmoid(x),
    "tanh": lambda L, x: L.tanh(x),
    "exp": lambda L, x: L.exp(x),
    "log1p": lambda L, x: L.log1p(x),
    "expm1": lambda L, x: L.expm1(x),
    "softplus": lambda L, x: L.nn.functional.softplus(x),
    "softplus_beta": lambda L, x: L.nn.functional.softplus(x, beta=2.0, threshold=30.0),
    "logsigmoid": lambda L, x: L.nn.functional.logsigmoid(x),
    "silu": lambda L, x: L.nn.functional.silu(x),
    "gelu": lambda L, x: L.nn.functional.gelu(x),
    "elu": lambda L, x: L.nn.functional.elu(x),
    "selu": lambda L, x: L.nn.functional.selu(x),
    "celu": lambda L, x: L.nn.functional.celu(x, alpha=0.5),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_gradients_at_extreme_inputs(name, dtype):
    x = np.array(EXTREMES, dtype)
    if name == "softplus" and dtype == np.float64:
        # torch's float64 softplus takes SLEEF's exp on this many elements, which underflows
        # to 0 at -745 where NumPy's gives the smallest subnormal.
        x = x[x != -745.]
    check_op(ACTIVATIONS[name], [x], rtol=1e-6 if dtype == np.float32 else 1e-12, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["elu", "selu", "celu"])
def test_elu_second_derivative_at_zero(name, dtype):
    check_op(ACTIVATIONS[name], [np.array([0., -0., 1e-30, -1e-30], dtype)])
    # The in-place forms save the result and mask it the same way.
    check_op(lambda L, x: ACTIVATIONS[name](L, x * 1) if name != "elu" else
             L.nn.functional.elu(x * 1, inplace=True), [np.array([0., -0., -1.], dtype)])
