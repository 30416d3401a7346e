"""Custom autograd Functions against torch: values, gradients, double backward, ctx
features, errors, and graphs freed by reference counting."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error


def make_fns(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            y = x.exp() * scale
            ctx.save_for_backward(x, y)
            ctx.scale = scale
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, None

    class MulAdd(lib.autograd.Function):
        @staticmethod
        def forward(x, y):
            return x * y, x + y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, ga, gb):
            x, y = ctx.saved_tensors
            return ga * y + gb, ga * x + gb

    return Exp, MulAdd


def both(fn):
    return fn(ember), fn(torch)


def leaf(lib, arr):
    return lib.from_numpy(np.array(arr, dtype=np.float64)).requires_grad_()


X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 0.25, -3.0])


def test_forward_backward_and_names():
    def run(lib):
        Exp, MulAdd = make_fns(lib)
        x, y = leaf(lib, X), leaf(lib, Y)
        e = Exp.apply(x, 2.0)
        a, b = MulAdd.apply(e, y)
        (a.sum() + (b * b).sum()).backward()
        return e, a, b, x.grad, y.grad, e.grad_fn.name(), a.grad_fn.name(), a.output_nr, \
            b.output_nr, e.requires_grad
    e_res, t_res = both(run)
    assert_same(list(e_res), list(t_res))
    assert e_res[5] == "ExpBackward" and e_res[6] == "MulAddBackward"


def test_double_backward_through_custom_backward():
    def run(lib):
        Exp, MulAdd = make_fns(lib)
        x = leaf(lib, X)
        y = Exp.apply(x, 3.0)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        g2, = lib.autograd.grad((g * g).sum(), x, create_graph=True)
        g3, = lib.autograd.grad(g2.sum(), x)
        return g, g2, g3
    e, t = both(run)
    assert_same(list(e), list(t))


def test_needs_input_grad_materialize_and_non_differentiable():
    def run(lib):
        seen = {}

        class Split(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y, k):
                seen["needs"] = ctx.needs_input_grad
                ctx.set_materialize_grads(False)
                idx = (x > 0).to(x.dtype)
                ctx.mark_non_differentiable(idx)
                return x * k, idx

            @staticmethod
            def backward(ctx, g, gi):
                seen["gi"] = gi
                return g * ctx.k if hasattr(ctx, "k") else g * 2, None, None

        x, y = leaf(lib, X), lib.from_numpy(Y.copy())
        out, idx = Split.apply(x, y, 2)
        out.sum().backward()
        return seen["needs"], seen["gi"], idx.requires_grad, x.grad
    e, t = both(run)
    assert e[0] == t[0] == (True, False, False)
    assert e[1] is None and t[1] is None
    assert e[2] is False and t[2] is False
    assert_same(e[3], t[3])


def test_mark_dirty_inplace():
    def run(lib):
        class AddOne(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        a = leaf(lib, X)
        b = a * 2
        c = AddOne.apply(b)
        c.sum().backward()
        return c is b, c.grad_fn.name(), a.grad, b._version
    e, t = both(run)
    assert e[:2] == t[:2]
    assert_same(e[2], t[2])
    assert e[3] == t[3]


def test_mark_dirty_leaf_error():
    def run(lib):
        class AddOne(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        return lambda: AddOne.apply(leaf(lib, X))
    e, t = both(run)
    same_error(e, t)


def test_returned_input_is_new_tensor():
    def run(lib):
        class Ident(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 3

        x = leaf(lib, X)
        y = Ident.apply(x)
        y.sum().backward()
        return y is x, y.grad_fn.name(), x.grad
    e, t = both(run)
    assert e[:2] == t[:2]
    assert_same(e[2], t[2])


def _bad(lib, ret):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return ret(lib, g)

    return lambda: Bad.apply(leaf(lib, X), 2.0).sum().backward()


@pytest.mark.parametrize("ret", [
    lambda lib, g: (g,),
    lambda lib, g: (g, g),
    lambda lib, g: (lib.ones(4, dtype=lib.float64), None),
    lambda lib, g: (5, None),
    lambda lib, g: (g, None, g),
])
def test_wrong_gradients(ret):
    same_error(_bad(ember, ret), _bad(torch, ret))


def test_extra_none_gradients_and_broadcastable_shapes():
    def run(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return (g.double() * 2).reshape(1, 3), None, None

        x = leaf(lib, X)
        F.apply(x).sum().backward()
        return x.grad
    e, t = both(run)
    assert_same(e, t)


def test_missing_backward_and_legacy_call():
    def missing(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        return lambda: F.apply(leaf(lib, X)).sum().backward()

    same_error(missing(ember), missing(torch))

    def legacy(lib):
        Exp, _ = make_fns(lib)
        return lambda: Exp()(leaf(lib, X), 1.0)

    with pytest.warns(DeprecationWarning):
        make_fns(ember)[0]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(legacy(ember), legacy(torch))


def test_saved_tensor_version_check():
    def run(lib):
        Exp, _ = make_fns(lib)
        x = leaf(lib, X)
        h = x * 1
        y = Exp.apply(h, 1.0)
        h.mul_(2)
        return lambda: y.sum().backward()
    e, t = both(run)
    same_error(e, t)


def test_double_backward_through_freed_graph():
    def run(lib):
        Exp, _ = make_fns(lib)
        x = leaf(lib, X)
        y = Exp.apply(x, 1.0).sum()
        y.backward()
        return lambda: y.backward()
    e, t = both(run)
    same_error(e, t)


def test_once_differentiable():
    def run(lib):
        from_mod = lib.autograd.function

        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @from_mod.once_differentiable
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 2 * x * g

        x = leaf(lib, X)
        g, = lib.autograd.grad(F.apply(x).sum(), x, create_graph=True)
        return g, lambda: g.sum().backward()
    e, t = both(run)
    assert_same(e[0], t[0])
    same_error(e[1], t[1])


def test_graph_with_saved_outputs_freed_by_refcount():
    Exp, MulAdd = make_fns(ember)
    gc.disable()
    try:
        x = leaf(ember, X)
        y = Exp.apply(x, 2.0)
        a, b = MulAdd.apply(y, y)
        node = weakref.ref(y.grad_fn)
        node2 = weakref.ref(a.grad_fn)
        out = weakref.ref(a)
        del y, a, b
        assert node() is None and node2() is None and out() is None
    finally:
        gc.enable()
