"""Forward-mode AD through custom autograd Functions (jvp, save_for_forward) and dual-level
rules, against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwd
import torch.func

import ember
import ember.autograd.forward_ad as efwd
import ember.func
from helpers import assert_same, same_error

X = np.array([0.3, -0.7, 1.2])
Z = np.array([2.0, 0.5, -1.0])
ONES = np.ones(3)


def arr(lib, a):
    return lib.from_numpy(np.array(a, dtype=np.float64))


def functions(lib):
    class ExpSin(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k, z):
            ctx.save_for_forward(x, z)
            ctx.k = k
            ctx.saw_dual = lib.autograd.forward_ad.unpack_dual(x).tangent is not None
            return x.exp() * k * z, x.sin(), (x > 0).long()

        @staticmethod
        def jvp(ctx, tx, tk, tz):
            x, z = ctx.saved_tensors
            ctx.tk = tk
            return (tx * x.exp() * ctx.k * z + tz * x.exp() * ctx.k, tx * x.cos(), None)

        @staticmethod
        def backward(ctx, g, h, _):
            return None, None, None

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, = inputs
            ctx.save_for_forward(x)
            ctx.save_for_backward(x)

        @staticmethod
        def jvp(ctx, t):
            x, = ctx.saved_tensors
            return 2 * x * t

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    return ExpSin, Square


def test_jvp_of_custom_function_matches_torch():
    def run(lib, fwd):
        ExpSin, Square = functions(lib)
        out = []
        with fwd.dual_level():
            x = fwd.make_dual(arr(lib, X), arr(lib, ONES))
            z = arr(lib, Z)
            a, b, c = ExpSin.apply(x, 3.0, z)
            out += [a, b, fwd.unpack_dual(a).tangent, fwd.unpack_dual(b).tangent,
                    fwd.unpack_dual(c).tangent]
            zd = fwd.make_dual(z, arr(lib, Z))
            a2, _, _ = ExpSin.apply(arr(lib, X), 2.0, zd)
            out.append(fwd.unpack_dual(a2).tangent)
            with lib.no_grad():
                out.append(fwd.unpack_dual(Square.apply(x)).tangent)
            xr = arr(lib, X).requires_grad_()
            y = Square.apply(fwd.make_dual(xr, arr(lib, Z)))
            out.append(fwd.unpack_dual(y).tangent)
            g, = lib.autograd.grad(y.sum(), xr)
            out.append(g)
        return out

    assert_same(run(ember, efwd), run(torch, tfwd))


def test_forward_sees_plain_tensors_and_tangent_of_non_tensor_is_none():
    for lib, fwd in ((ember, efwd), (torch, tfwd)):
        ExpSin, _ = functions(lib)
        with fwd.dual_level():
            x = fwd.make_dual(arr(lib, X), arr(lib, ONES))
            a = ExpSin.apply(x, 3.0, arr(lib, Z))[0]
            ctx = a.grad_fn
        assert ctx is None or not ctx.saw_dual


def test_func_jvp_through_custom_function():
    def run(lib, F):
        _, Square = functions(lib)
        x = arr(lib, X)
        return list(F.jvp(lambda v: Square.apply(v).sin(), (x,), (arr(lib, Z),)))

    assert_same(run(ember, ember.func), run(torch, torch.func))


def _jvp_error(lib, fwd, jvp, forward=None, n_out=1):
    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            if forward is not None:
                return forward(x)
            return x * 2 if n_out == 1 else (x * 2, x * 3)

        @staticmethod
        def backward(ctx, *g):
            return g[0]

    if jvp is not None:
        F.jvp = staticmethod(jvp)
    with fwd.dual_level():
        F.apply(fwd.make_dual(arr(lib, X), arr(lib, ONES)))


@pytest.mark.parametrize("case", [
    dict(jvp=None),
    dict(jvp=lambda ctx, t: (t, t)),
    dict(jvp=lambda ctx, t: t[:2]),
    dict(jvp=lambda ctx, t: 3),
    dict(jvp=lambda ctx, t: (t, t * 2), n_out=2, forward=lambda x: (x * 2, (x > 0).long())),
    dict(jvp=lambda ctx, t: t * 5, forward=lambda x: x),
])
def test_jvp_errors(case):
    same_error(lambda: _jvp_error(ember, efwd, **case), lambda: _jvp_error(torch, tfwd, **case))


def test_returned_input_needs_view_tangent_and_keeps_input_tangent():
    def run(lib, fwd):
        class Ident(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def jvp(ctx, t):
                return t.view_as(t)

        with fwd.dual_level():
            t0 = arr(lib, ONES)
            x = fwd.make_dual(arr(lib, X), t0)
            y = Ident.apply(x)
            return [fwd.unpack_dual(y).tangent, fwd.unpack_dual(x).tangent]

    assert_same(run(ember, efwd), run(torch, tfwd))


def test_nested_dual_levels_raise_as_torch():
    def nested(fwd):
        with fwd.dual_level():
            with fwd.dual_level():
                pass

    same_error(lambda: nested(efwd), lambda: nested(tfwd))

    def enter_twice(fwd):
        fwd.enter_dual_level()
        try:
            fwd.enter_dual_level()
        finally:
            fwd.exit_dual_level()

    same_error(lambda: enter_twice(efwd), lambda: enter_twice(tfwd))
    # Sequential levels are fine, and tangents do not outlive their level.
    for fwd, lib in ((efwd, ember), (tfwd, torch)):
        with fwd.dual_level():
            x = fwd.make_dual(arr(lib, X), arr(lib, ONES))
        with fwd.dual_level():
            assert fwd.unpack_dual(x).tangent is None
