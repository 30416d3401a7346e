"""autograd.grad in full, higher-order derivatives, autograd.functional, gradcheck and
checkpoint against torch."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error

X = np.array([0.5, -1.0, 2.0])
W = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.1]])


def leaf(lib, arr=X):
    return lib.from_numpy(np.array(arr, dtype=np.float64)).requires_grad_()


def both(fn):
    return fn(ember), fn(torch)


def test_third_derivative_of_tanh():
    def run(lib):
        x = leaf(lib)
        y = lib.tanh(x).sum()
        g1, = lib.autograd.grad(y, x, create_graph=True)
        g2, = lib.autograd.grad(g1.sum(), x, create_graph=True)
        g3, = lib.autograd.grad(g2.sum(), x)
        return g1, g2, g3
    e, t = both(run)
    assert_same(list(e), list(t))


def test_hvp_and_gradient_penalty():
    def run(lib):
        x, w = leaf(lib), leaf(lib, W)
        out = lib.sigmoid(w @ x).pow(2).sum()
        g, = lib.autograd.grad(out, x, create_graph=True)
        v = lib.from_numpy(np.array([1.0, 2.0, -1.0]))
        hv, = lib.autograd.grad(g, x, v, retain_graph=True)
        penalty = (g ** 2).sum().sqrt()
        penalty.backward()
        return hv, w.grad, x.grad
    e, t = both(run)
    assert_same(list(e), list(t))


def test_grad_options():
    def run(lib):
        x, y, z = leaf(lib), leaf(lib), leaf(lib)
        out = (x * y).sum()
        a = lib.autograd.grad(out, [x, z], allow_unused=True, retain_graph=True)
        b = lib.autograd.grad(out, [x, z], materialize_grads=True, retain_graph=True)
        go = lib.from_numpy(np.array([[1.0, 0, 0], [0, 1.0, 0]]))
        c = lib.autograd.grad(x * y, x, go, is_grads_batched=True, retain_graph=True)
        d = lib.autograd.grad([x * 2, y * 3], [x, y], [lib.ones(3, dtype=lib.float64)] * 2)
        return list(a) + list(b) + list(c) + list(d)
    e, t = both(run)
    assert_same(e, t)


@pytest.mark.parametrize("case", ["unused", "no_grad_input", "non_scalar", "freed",
                                  "shape", "no_grad_output", "materialize"])
def test_grad_errors(case):
    def run(lib):
        x, y = leaf(lib), leaf(lib)
        if case == "unused":
            return lambda: lib.autograd.grad((x * 2).sum(), [x, y])
        if case == "no_grad_input":
            return lambda: lib.autograd.grad((x * 2).sum(), lib.ones(3))
        if case == "non_scalar":
            return lambda: lib.autograd.grad(x * 2, x)
        if case == "freed":
            out = (x.exp()).sum()
            lib.autograd.grad(out, x)
            return lambda: lib.autograd.grad(out, x)
        if case == "shape":
            return lambda: lib.autograd.grad(x * 2, x, lib.ones(2, dtype=lib.float64))
        if case == "no_grad_output":
            return lambda: lib.autograd.grad(lib.ones(2), x)
        return lambda: lib.autograd.grad((x * 2).sum(), x, allow_unused=False,
                                         materialize_grads=True)
    same_error(*both(run))


def test_grad_of_non_leaf_inputs():
    def run(lib):
        x = leaf(lib)
        h = x.sin()
        out = (h * h).sum()
        return lib.autograd.grad(out, [h, x])
    e, t = both(run)
    assert_same(list(e), list(t))


def test_create_graph_training_loop_leaves_nothing():
    gc.disable()
    try:
        w = leaf(ember)
        refs = []
        for _ in range(3):
            x = ember.from_numpy(X.copy())
            out = ember.tanh(w * x).sum()
            g, = ember.autograd.grad(out, w, create_graph=True)
            loss = out + (g * g).sum()
            loss.backward()
            refs.append(weakref.ref(loss.grad_fn))
            refs.append(weakref.ref(g.grad_fn))
            del out, g, loss
        assert all(r() is None for r in refs)
        assert w.grad.grad_fn is None
    finally:
        gc.enable()


# -- autograd.functional ---------------------------------------------------------------

def f_single(lib):
    w = lib.from_numpy(W.copy())
    return lambda x: lib.tanh(w @ x)


def f_multi(lib):
    return lambda x, y: (x * y, (x.exp() * y).sum())


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_and_hessian(vectorize):
    def run(lib):
        F = lib.autograd.functional
        x, y = leaf(lib), leaf(lib, [1.0, 2.0, 3.0])
        j1 = F.jacobian(f_single(lib), x, vectorize=vectorize)
        j2 = F.jacobian(f_multi(lib), (x, y), vectorize=vectorize)
        h1 = F.hessian(lambda v: (v.exp() * v).sum(), x, vectorize=vectorize)
        h2 = F.hessian(lambda a, b: (a * a * b).sum(), (x, y), vectorize=vectorize)
        return j1, j2, h1, h2
    e, t = both(run)
    assert_same(list(e), list(t))


def test_vjp_jvp_hvp_vhp():
    def run(lib):
        F = lib.autograd.functional
        x, y = leaf(lib), leaf(lib, [1.0, 2.0, 3.0])
        v2 = lib.from_numpy(np.array([1.0, -1.0]))
        v3 = lib.from_numpy(np.array([0.5, 1.0, 2.0]))
        out = [F.vjp(f_single(lib), x, v2), F.jvp(f_single(lib), x, v3),
               F.vjp(f_multi(lib), (x, y), (v3, lib.tensor(1.0, dtype=lib.float64))),
               F.hvp(lambda v: (v.sin() * v).sum(), x, v3),
               F.vhp(lambda a, b: (a * a * b).sum(), (x, y), (v3, v3)),
               F.jvp(f_single(lib), x, v3, create_graph=True)]
        return [list(o) for o in out], out[-1][1].requires_grad
    e, t = both(run)
    assert_same(e[0], t[0])
    assert e[1] == t[1]


def test_functional_strict_errors():
    def run(lib):
        F = lib.autograd.functional
        return lambda: F.jacobian(lambda a, b: a * 2, (leaf(lib), leaf(lib)), strict=True)
    same_error(*both(run))

    def run2(lib):
        F = lib.autograd.functional
        return lambda: F.vjp(lambda a: a.detach() * 2, leaf(lib), lib.ones(3), strict=True)
    same_error(*both(run2))


# -- gradcheck ---------------------------------------------------------------------------

def test_gradcheck_passes_and_fails_like_torch():
    x = leaf(ember)
    w = leaf(ember, W)
    assert ember.autograd.gradcheck(lambda a, b: ember.tanh(b @ a), (x, w))
    assert ember.autograd.gradgradcheck(lambda a, b: ember.tanh(b @ a), (x, w))
    assert ember.autograd.gradcheck(lambda a: a.exp(), (x,), fast_mode=True)

    def bad(lib):
        class Wrong(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * a

            @staticmethod
            def backward(ctx, g):
                return g

        return lambda: lib.autograd.gradcheck(Wrong.apply, (leaf(lib),))
    e, t = both(bad)
    with pytest.raises(RuntimeError) as te:
        t()
    with pytest.raises(sys.modules["ember.autograd.gradcheck"].GradcheckError) as ee:
        e()
    assert str(ee.value) == str(te.value)


def test_gradcheck_no_raise_returns_false():
    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * a

        @staticmethod
        def backward(ctx, g):
            return g

    assert ember.autograd.gradcheck(Wrong.apply, (leaf(ember),), raise_exception=False) is False


# -- checkpoint --------------------------------------------------------------------------

@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_matches_plain(reentrant):
    def run(lib):
        from importlib import import_module

        cp = import_module(lib.__name__ + ".utils.checkpoint")
        x, w = leaf(lib), leaf(lib, W)
        calls = []

        def block(a):
            calls.append(1)
            return lib.tanh(w @ a).exp()

        out = cp.checkpoint(block, x, use_reentrant=reentrant).sum()
        out.backward()
        return x.grad, w.grad, len(calls)
    e, t = both(run)
    assert_same(list(e[:2]), list(t[:2]))
    assert e[2] == 2
