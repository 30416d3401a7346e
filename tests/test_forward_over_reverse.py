"""Forward-mode AD over reverse-mode AD (jvp of grad, jacfwd(jacrev), hessian) against
torch, for ops whose backward formulas use their own saved output."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwd
import torch.func

import ember
import ember.autograd.forward_ad as efwd
import ember.func
from helpers import assert_same

X = np.array([0.3, 0.7, 1.2, 2.5])
V = np.array([1.0, -0.5, 2.0, 0.25])
UNARY = ["exp", "tanh", "sigmoid", "sqrt", "reciprocal", "rsqrt", "expm1", "exp2", "sin",
         "log"]


def _pair(lib, a):
    return lib.from_numpy(np.array(a, dtype=np.float64))


@pytest.mark.parametrize("name", UNARY)
def test_dual_through_create_graph_backward(name):
    def run(lib, fwd):
        with fwd.dual_level():
            f = getattr(lib, name)
            x = fwd.make_dual(_pair(lib, X), _pair(lib, V)).requires_grad_()
            y = f(x) * _pair(lib, V)
            g, = lib.autograd.grad(y.sum(), x, create_graph=True)
            gg, = lib.autograd.grad(g.sum(), x, create_graph=True)
            return [fwd.unpack_dual(g).tangent, fwd.unpack_dual(gg).tangent, g, gg]

    assert_same(run(ember, efwd), run(torch, tfwd))


@pytest.mark.parametrize("name", UNARY)
def test_jvp_of_grad_and_hessian(name):
    def run(lib, F):
        f = getattr(lib, name)

        def s(v):
            return (f(v) * f(v * 0.5)).sum()

        x, v = _pair(lib, X), _pair(lib, V)
        _, hvp = F.jvp(F.grad(s), (x,), (v,))
        return [hvp, F.hessian(s)(x), F.jacfwd(F.jacrev(s))(x)]

    e, r = run(ember, ember.func), run(torch, torch.func)
    assert_same(e, r)
    assert not any(t.requires_grad for t in e)


def test_saved_output_tangent_through_custom_function_and_multi_output():
    def run(lib, fwd):
        class Exp(lib.autograd.Function):
            @staticmethod
            def forward(x):
                return x.exp()

            @staticmethod
            def backward(ctx, g):
                y, = ctx.saved_tensors
                return g * y

            @staticmethod
            def jvp(ctx, t):
                return t * ctx.y_fwd

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(output)
                ctx.y_fwd = output

        with fwd.dual_level():
            x = fwd.make_dual(_pair(lib, X), _pair(lib, V)).requires_grad_()
            y = Exp.apply(x)
            g, = lib.autograd.grad(y.sum(), x, create_graph=True)
            return [fwd.unpack_dual(y).tangent, fwd.unpack_dual(g).tangent]

    e, r = run(ember, efwd), run(torch, tfwd)
    assert_same(e, r)
