"""The backward engine and graph nodes against torch: node names and edges, backward's
arguments, accumulation, retain_graph, hooks, BCE with logits."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, make_array, same_error


def _walk(fn):
    if fn is None:
        return None
    return (fn.name(), type(fn).__name__,
            tuple((_walk(f), nr) for f, nr in fn.next_functions))


GRAPHS = {
    "add_number": lambda lib, x, y: x + 2,
    "radd_number": lambda lib, x, y: 2 + x,
    "rsub": lambda lib, x, y: 2 - x,
    "sub_nograd": lambda lib, x, y: x - y.detach(),
    "mixed": lambda lib, x, y: (x * y).sum() / x.mean(),
    "pow": lambda lib, x, y: x ** 2 + 2 ** x + x ** y,
    "unary": lambda lib, x, y: lib.sigmoid(lib.tanh(x).exp()).relu().abs().sqrt().log(),
    "reuse": lambda lib, x, y: x * x + x,
    "matmul": lambda lib, x, y: x.reshape(2, 2) @ y.reshape(2, 2).t(),
    "shapes": lambda lib, x, y: x.unsqueeze(0).squeeze(0).view(4).T.sum(0),
    "div": lambda lib, x, y: x / y - 1 / x,
    "clamp": lambda lib, x, y: x.clamp(0, 1) + x.clamp(min=0.5),
    "cast": lambda lib, x, y: x.double().float().sin().cos(),
    "neg": lambda lib, x, y: -x,
    "bce": lambda lib, x, y: lib.nn.functional.binary_cross_entropy_with_logits(
        x, lib.sigmoid(y.detach())),
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_graph_structure(name):
    fn = GRAPHS[name]
    a, b = make_array((4,), np.float32, 1, 0.5, 2), make_array((4,), np.float32, 2, 0.5, 2)
    ex, ey = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    assert _walk(fn(ember, ex, ey).grad_fn) == _walk(fn(torch, tx, ty).grad_fn)


def test_node_identity_repr_and_variable():
    x = ember.ones(2, requires_grad=True)
    y = x * x + x
    (mul, _), (acc, _) = y.grad_fn.next_functions
    assert mul.next_functions[0][0] is mul.next_functions[1][0] is acc
    assert acc.variable is x
    assert acc.name() == "torch::autograd::AccumulateGrad"
    assert type(acc).__name__ == "AccumulateGrad"
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(acc))
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert repr(y.grad_fn).split(" at ")[0] == \
        repr((torch.ones(2, requires_grad=True) * 2 + 1).grad_fn).split(" at ")[0]
    assert acc.next_functions == () and mul.next_functions[0][1] == 0
    t = torch.ones(2, requires_grad=True)
    assert (t * 2).grad_fn.next_functions[0][0].name() == acc.name()
    z = ember.ones(2) * x
    assert z.grad_fn.next_functions[0] == (None, 0)


def test_backward_accumulates_and_gradient_argument():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        y.backward(lib.tensor([1.0, 0.5, 2.0]), retain_graph=True)
        g1 = x.grad.clone()
        y.backward(lib.ones(3))
        lib.autograd.backward([(x * 3).sum(), (x ** 3).sum()])
        lib.autograd.backward(x * 2, grad_tensors=lib.ones(3))
        return g1, x.grad

    assert_same(run(ember), run(torch))


def test_second_backward_error_and_retain_graph():
    def twice(lib, retain):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=retain)
        y.backward()
        return x.grad

    assert_same(twice(ember, True), twice(torch, True))
    same_error(lambda: twice(ember, False), lambda: twice(torch, False))

    def grad_twice(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.sin() * 2).sum()
        lib.autograd.grad(y, x)
        lib.autograd.grad(y, x)

    same_error(lambda: grad_twice(ember), lambda: grad_twice(torch))


def test_backward_on_leaves_and_non_scalar_errors():
    def leaf(lib):
        x = lib.tensor(2.0, requires_grad=True)
        x.backward()
        y = lib.ones(2, requires_grad=True)
        y.backward(lib.tensor([1.0, 3.0]))
        return x.grad, y.grad

    assert_same(leaf(ember), leaf(torch))
    for lib_fn in (lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(),
                   lambda lib: lib.ones(2).sum().backward(),
                   lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3)),
                   lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(lib.ones(2, 1)),
                   lambda lib: lib.autograd.grad(lib.ones(2, requires_grad=True).sum(),
                                                 lib.ones(2, requires_grad=True)),
                   lambda lib: lib.autograd.grad((lib.ones(2, requires_grad=True) * 2).sum(),
                                                 lib.ones(2)),
                   lambda lib: lib.zeros(0, requires_grad=True).sum().backward(lib.ones(2)),
                   lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(inputs=[])):
        same_error(lambda f=lib_fn: f(ember), lambda f=lib_fn: f(torch))


def test_nonleaf_grad_is_none_with_warning():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.sum().backward()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            g = y.grad
        return g, len(w), x.grad

    e, t = run(ember), run(torch)
    assert e[0] is None and t[0] is None and e[1] == t[1] == 1
    assert_same(e[2], t[2])


def test_diamond_and_many_uses():
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        a = x.sin()
        b = a * 2
        c = a.exp()
        d = (b * c + a).sum()
        e = x
        for _ in range(50):
            e = e * 1.01 + x
        (d + e.sum()).backward()
        return x.grad

    assert_same(run(ember), run(torch))


def test_backward_inputs_accumulate_only_there():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        h = x * w
        h.retain_grad()
        y = (h * h).sum()
        y.backward(inputs=[w], retain_graph=True)
        r1 = (x.grad, w.grad.clone(), h.grad)
        y.backward(inputs=[h, x])
        return r1, (x.grad, w.grad, h.grad)

    assert_same(run(ember), run(torch))


def test_hooks():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()))
        y = x * 3
        y.register_hook(lambda g: g * 10)
        z = (y * y).sum()
        handle = y.register_hook(lambda g: seen.append(g.clone()))
        handle.remove()
        z.backward()
        return x.grad, seen

    assert_same(run(ember), run(torch))
    same_error(lambda: ember.ones(2).register_hook(lambda g: g),
               lambda: torch.ones(2).register_hook(lambda g: g))


def test_grad_create_graph_third_order():
    def run(lib):
        x = lib.tensor([0.3, -0.7], requires_grad=True, dtype=lib.float64)
        y = (x.sin() * x.exp() + x ** 3).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x, create_graph=True)
        (ggg,) = lib.autograd.grad(gg.sum(), x)
        return g, gg, ggg

    assert_same(run(ember), run(torch))


def test_backward_create_graph_leaves_grad_with_graph():
    def run(lib):
        x = lib.tensor([0.3, 0.7], requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        (h,) = lib.autograd.grad(g.sum(), x)
        return g.requires_grad, h

    e, t = run(ember), run(torch)
    assert e[0] == t[0]
    assert_same(e[1], t[1])


# -- binary_cross_entropy_with_logits -----------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits(reduction, dtype, options):
    x = make_array((3, 4), dtype, 1, -3, 3)
    y = make_array((3, 4), dtype, 2, 0, 1)
    w = make_array((4,), dtype, 3, 0.5, 2)
    pw = make_array((4,), dtype, 4, 0.5, 3)

    def fn(lib, x, y):
        kw = {"reduction": reduction}
        if options in ("weight", "both"):
            kw["weight"] = lib.from_numpy(w.copy())
        if options in ("pos_weight", "both"):
            kw["pos_weight"] = lib.from_numpy(pw.copy())
        return lib.nn.functional.binary_cross_entropy_with_logits(x, y, **kw)

    check_op(fn, [x, y])
    check_op(fn, [x, y], grad=(True, False))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_extreme_logits(reduction):
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0], np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5], np.float32)
    pw = np.array([2.0], np.float32)
    f = ember.nn.functional.binary_cross_entropy_with_logits

    for extra in ({}, {"pos_weight": pw}):
        def fn(lib, a, b, extra=extra):
            kw = {k: lib.from_numpy(v.copy()) for k, v in extra.items()}
            return lib.nn.functional.binary_cross_entropy_with_logits(a, b, reduction=reduction,
                                                                       **kw)

        check_op(fn, [x, y], rtol=1e-6, atol=1e-6)
    assert np.isfinite(f(ember.from_numpy(x), ember.from_numpy(y)).item())


def test_bce_with_logits_errors():
    F, G = ember.nn.functional, torch.nn.functional
    same_error(lambda: F.binary_cross_entropy_with_logits(ember.ones(3), ember.ones(2)),
               lambda: G.binary_cross_entropy_with_logits(torch.ones(3), torch.ones(2)))
    same_error(lambda: F.binary_cross_entropy_with_logits(ember.ones(3), ember.ones(3),
                                                          reduction="bad"),
               lambda: G.binary_cross_entropy_with_logits(torch.ones(3), torch.ones(3),
                                                          reduction="bad"))
