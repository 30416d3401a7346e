"""Second derivatives of the activations in nn.functional against torch, at a grid that
holds 0, the kinks (+-1, +-3, 6, the shrink thresholds) and both sides of softplus's
linear threshold: the derivative of the gradient in the input, the incoming gradient and
(for prelu) the weight."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

PTS = [0.0, -0.0, 1e-8, -1e-8, 1e-3, -1e-3, 0.3, -0.3, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.0,
       -3.0, 5.0, 6.0, -6.0, 10.0, 20.0, -20.0, 25.0, 40.0]
ACTIVATIONS = {
    "relu": {}, "relu6": {}, "elu": {}, "elu_alpha": {"alpha": 2.0}, "selu": {}, "celu": {},
    "celu_alpha": {"alpha": 0.5}, "gelu": {}, "gelu_tanh": {"approximate": "tanh"},
    "silu": {}, "mish": {}, "softplus": {}, "softplus_beta": {"beta": 2.0, "threshold": 5.0},
    "softsign": {}, "tanhshrink": {}, "hardtanh": {},
    "hardtanh_bounds": {"min_val": -2.0, "max_val": 3.0}, "hardswish": {},
    "leaky_relu": {}, "leaky_relu_slope": {"negative_slope": 0.2}, "logsigmoid": {},
    "softshrink": {}, "hardshrink": {}, "sigmoid": {}, "tanh": {},
    "threshold": {"threshold": 1.0, "value": 2.0}, "rrelu": {"training": False}, "glu": {},
    "softmax": {"dim": 0}, "log_softmax": {"dim": 0}, "softmin": {"dim": 0}, "prelu": {},
}
SUFFIXES = ("_alpha", "_tanh", "_beta", "_bounds", "_slope")


def _name(key):
    for s in SUFFIXES:
        if key.endswith(s):
            return key[: -len(s)]
    return key


def _second(lib, key, dtype):
    F = lib.nn.functional
    dt = getattr(lib, dtype)
    rng = np.random.default_rng(1)
    x = lib.tensor(PTS, dtype=dt, requires_grad=True)
    name = _name(key)
    if name == "prelu":
        w = lib.tensor([0.25], dtype=dt, requires_grad=True)
        y, wrt = F.prelu(x, w), (x, w)
    else:
        y, wrt = getattr(F, name)(x, **ACTIVATIONS[key]), (x,)
    v = lib.tensor(rng.standard_normal(y.shape[0]), dtype=dt, requires_grad=True)
    u = lib.tensor(rng.standard_normal(len(PTS)), dtype=dt)
    grads = lib.autograd.grad(y, wrt, v, create_graph=True)
    s = sum((gi * u[: gi.numel()]).sum() for gi in grads)
    # Every input takes part (the piecewise-linear ones through a zero derivative in x).
    second = lib.autograd.grad(s, wrt + (v,))
    return [t.detach().numpy() for t in grads + second]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("key", list(ACTIVATIONS))
def test_second_derivative(key, dtype):
    tol = 1e-5 if dtype == "float32" else 1e-12
    for e, t in zip(_second(ember, key, dtype), _second(torch, key, dtype)):
        np.testing.assert_allclose(e, t, rtol=tol, atol=tol)
