"""gradcheck / gradgradcheck options against torch: forward-mode checks, batched gradients,
undefined gradients, gradient dtypes, fast mode, and torch's failure messages."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import ember

A = np.array([[0.3, -0.7, 1.2], [0.5, 0.1, -0.4]])
B = np.array([0.9, -1.1, 0.2])


def leaf(lib, a=A):
    return lib.from_numpy(np.array(a, dtype=np.float64)).requires_grad_()


def outcome(fn):
    """(True, None) or (exception type name, message) for a call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(), None
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)


def _round_floats(res):
    # Fast mode's scalars are dot products whose last digit depends on summation order.
    if res[1] is None:
        return res
    return res[0], re.sub(r"-?\d+\.\d{8,}", lambda m: f"{float(m.group()):.10g}", res[1])


def both(build, **kw):
    def run(lib, gc):
        fn, inputs = build(lib)
        return _round_floats(outcome(lambda: gc(fn, inputs, **kw)))

    e = run(ember, ember.autograd.gradcheck)
    t = run(torch, torch.autograd.gradcheck)
    assert e == t
    return e


ALL = dict(check_forward_ad=True, check_batched_grad=True, check_batched_forward_grad=True,
           check_undefined_grad=True, check_grad_dtypes=True)


@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("build", [
    lambda lib: (lambda a, b: (a * b).sin(), (leaf(lib), leaf(lib, B))),
    lambda lib: (lambda a: (a.exp().sum(1), a.tanh()), (leaf(lib),)),
    lambda lib: (lambda a, b: a @ b, (leaf(lib), lib.from_numpy(B))),
    lambda lib: (lambda a: a.sigmoid().sqrt(), (leaf(lib),)),
])
def test_all_checks_pass(build, fast_mode):
    assert both(build, fast_mode=fast_mode, **ALL) == (True, None)


def custom(lib, backward=None, jvp=None, materialize=True):
    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            ctx.save_for_forward(a)
            ctx.set_materialize_grads(materialize)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return backward(g, a) if backward else 2 * a * g

        @staticmethod
        def jvp(ctx, t):
            a, = ctx.saved_tensors
            return jvp(t, a) if jvp else 2 * a * t

    return F


@pytest.mark.parametrize("kw", [{}, dict(fast_mode=True)])
@pytest.mark.parametrize("case", [
    dict(backward=lambda g, a: g),
    dict(jvp=lambda t, a: t, check_forward_ad=True),
    dict(jvp=lambda t, a: 3 * a * t, check_forward_ad=True, check_backward_ad=False),
])
def test_wrong_formulas_fail_with_torch_message(case, kw):
    case = dict(case)
    b, j = case.pop("backward", None), case.pop("jvp", None)
    res = both(lambda lib: (custom(lib, b, j).apply, (leaf(lib),)), **case, **kw)
    assert res[0] == "GradcheckError"


def test_missing_jvp_and_not_multiplied_by_grad_output():
    def no_jvp(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        return F.apply, (leaf(lib),)

    assert both(no_jvp, check_forward_ad=True)[0] == "NotImplementedError"

    def ignores_grad(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return (a * 2).sum()

            @staticmethod
            def backward(ctx, g):
                return (g * 2 + (g == 0).to(g.dtype)).expand(2, 3)

        return F.apply, (leaf(lib),)

    assert both(ignores_grad)[1] == "backward not multiplied by grad_output"


def test_reentrant_dtype_and_size_checks():
    state = {"n": 0}

    def nondet(g, a):
        state["n"] += 1
        return 2 * a * g + state["n"] * 1e-3

    res = both(lambda lib: (custom(lib, nondet).apply, (leaf(lib),)), atol=1.0)
    assert res[1].startswith("Backward is not reentrant")
    # The engine casts a Function's float32 gradient to its float64 input's dtype.
    assert both(lambda lib: (custom(lib, lambda g, a: (2 * a * g).float()).apply,
                             (leaf(lib),)), atol=1e-3, check_grad_dtypes=True) == (True, None)


def test_undefined_grad_check():
    res = both(lambda lib: (custom(lib, lambda g, a: 2 * a * g + 1).apply, (leaf(lib),)),
               atol=10.0, rtol=10.0)
    assert res[0] == "GradcheckError"


def test_option_assertions_and_no_raise():
    fn = (lambda lib: (lambda a: a * 2, (leaf(lib),)))
    for kw in (dict(check_forward_ad=False, check_backward_ad=False),
               dict(check_batched_grad=True, check_backward_ad=False, check_forward_ad=True),
               dict(check_batched_forward_grad=True)):
        assert both(fn, **kw)[0] == "AssertionError"
    assert both(lambda lib: (lambda a: a.detach() * 2, (leaf(lib),)))[1] == \
        "Numerical gradient for function expected to be zero"
    assert both(lambda lib: (lambda a: a * 2, (lib.from_numpy(A),)))[0] == "ValueError"
    bad = custom(ember, lambda g, a: g).apply
    assert ember.autograd.gradcheck(bad, (leaf(ember),), raise_exception=False) is False
    assert ember.autograd.gradcheck(custom(ember).apply, (leaf(ember),),
                                    check_forward_ad=True) is True


@pytest.mark.parametrize("kw", [
    dict(check_batched_grad=True),
    dict(check_fwd_over_rev=True),
    dict(fast_mode=True),
])
def test_gradgradcheck_options(kw):
    def run(lib):
        return outcome(lambda: lib.autograd.gradgradcheck(
            lambda a, b: (a * b).tanh().exp(), (leaf(lib), leaf(lib, B)), **kw))

    assert run(ember) == run(torch) == (True, None)

    def wrong(lib):
        class Sq(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a * a

            @staticmethod
            def backward(ctx, g):
                a, = ctx.saved_tensors
                return 2 * a.detach() * g

        go = lib.from_numpy(np.ones((2, 3))).requires_grad_()
        return outcome(lambda: lib.autograd.gradgradcheck(Sq.apply, (leaf(lib),), (go,),
                                                           **kw))

    assert wrong(ember) == wrong(torch)
