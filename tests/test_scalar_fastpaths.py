"""The fast paths that small hand-written training loops take, against torch: a 0-dim
tensor meeting a tensor of its dtype (a + b * x), the full sum of a float tensor, and the
in-place arithmetic of a parameter update (a -= lr * grad, under no_grad or with nothing
requiring grad). Each is checked for values, gradients, graph names, version counters and
the cases that must fall back to the general path (and its errors)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, make_array, same_error

FLOATS = [np.float32, np.float64]

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shapes", [((), (5,)), ((2, 3), ()), ((), (0,)), ((), ())])
def test_zero_dim_operand_broadcasts(dtype, name, shapes):
    fn = BINARY[name]
    a = make_array(shapes[0], dtype, 1, 0.5, 2)
    b = make_array(shapes[1], dtype, 2, 0.5, 2)
    check_op(lambda lib, x, y: fn(x, y), [a, b])
    check_op(lambda lib, x, y: fn(x, y), [a, b], grad=(True, False))
    check_op(lambda lib, x, y: fn(x, y), [a, b], grad=(False, True))
    e = fn(ember.tensor(a, requires_grad=True), ember.tensor(b))
    t = fn(torch.tensor(a, requires_grad=True), torch.tensor(b))
    assert e.grad_fn.name() == t.grad_fn.name()
    assert type(e._data) is np.ndarray


def test_zero_dim_operand_of_another_dtype_promotes_as_torch():
    x32 = make_array((4,), np.float32, 3)
    s64 = np.array(1.5)
    for lib in (ember, torch):
        assert (lib.tensor(s64) * lib.tensor(x32)).dtype == lib.float32
    # (torch casts the float64 operand's gradient before summing it, ember after: float32
    # tolerance.)
    check_op(lambda lib, s, x: s * x + x / s, [s64, x32], rtol=1e-6, atol=1e-6)
    check_op(lambda lib, s, x: s * x, [np.array(2, np.int64), x32], grad=(False, True))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (0,), (7,), (2000,), (3, 4)])
def test_full_sum(dtype, shape):
    a = make_array(shape, dtype, 4)
    check_op(lambda lib, x: x.sum(), [a])
    check_op(lambda lib, x: lib.sum(x * x), [a])
    e = ember.tensor(a)
    assert type(e.sum()._data) is np.ndarray
    assert e.sum().dtype == ember.float32 if dtype == np.float32 else ember.float64


def test_full_sum_overflows_silently_and_keeps_other_dtypes():
    big = np.full(4, 3e38, np.float32)
    assert_same(ember.tensor(big).sum(), torch.tensor(big).sum())
    for a in (np.arange(5, dtype=np.int32), np.array([True, False, True]),
              np.arange(4, dtype=np.float16)):
        assert_same(ember.tensor(a).sum(), torch.tensor(a).sum())


def _update(lib, op, a_val, b_val, no_grad, a_grad=False):
    a = lib.tensor(a_val, requires_grad=a_grad)
    b = lib.tensor(b_val) if isinstance(b_val, np.ndarray) else b_val
    v0 = a._version
    if no_grad:
        with lib.no_grad():
            op(a, b)
    else:
        op(a, b)
    return a, a._version - v0


UPDATES = {
    "isub": lambda a, b: a.__isub__(b),
    "iadd": lambda a, b: a.__iadd__(b),
    "imul": lambda a, b: a.__imul__(b),
    "idiv": lambda a, b: a.__itruediv__(b),
    "sub_": lambda a, b: a.sub_(b),
    "add_": lambda a, b: a.add_(b),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", list(UPDATES))
@pytest.mark.parametrize("case", ["number", "int", "0-dim", "same", "broadcast"])
def test_inplace_update(dtype, name, case):
    op = UPDATES[name]
    shape = () if case in ("number", "int", "0-dim") else (3, 2)
    a = make_array(shape, dtype, 5, 0.5, 2)
    b = {"number": 1e-3, "int": 3, "0-dim": make_array((), dtype, 6, 0.5, 2),
         "same": make_array((3, 2), dtype, 6, 0.5, 2),
         "broadcast": make_array((), dtype, 6, 0.5, 2)}[case]
    for no_grad, a_grad in ((False, False), (True, True), (True, False)):
        e, ev = _update(ember, op, a, b, no_grad, a_grad)
        t, tv = _update(torch, op, a, b, no_grad, a_grad)
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
        assert ev == tv
        assert e.requires_grad == t.requires_grad and e.grad_fn is None


def test_inplace_update_of_a_parameter_and_a_view():
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.tensor(w))
        with lib.no_grad():
            p -= 0.5 * lib.ones(())
            row = p[1]
            row *= 2.0
        assert p._version == 2
        np.testing.assert_array_equal(p.detach().numpy(), (w - 0.5) * np.array([[1], [2]]))


def test_inplace_update_falls_back_and_refuses_as_torch():
    x = make_array((3,), np.float32, 7)
    e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    same_error(lambda: e.sub_(0.1), lambda: t.sub_(0.1))
    same_error(lambda: e.__isub__(ember.ones(())), lambda: t.__isub__(torch.ones(())))
    s, ts = ember.tensor(1.0), torch.tensor(1.0)
    same_error(lambda: s.add_(ember.ones(3)), lambda: ts.add_(torch.ones(3)))
    i, ti = ember.tensor([1, 2]), torch.tensor([1, 2])
    same_error(lambda: i.sub_(0.5), lambda: ti.sub_(0.5))
    ex, tx = ember.ones(1).expand(3), torch.ones(1).expand(3)
    same_error(lambda: ex.add_(1.0), lambda: tx.add_(1.0))
    # A recorded update on a non-leaf, and one whose operand requires grad, take the
    # general path and record torch's graph.
    grads = []
    for lib in (ember, torch):
        a = lib.tensor(x, requires_grad=True) * 1
        b = lib.tensor(2.0, requires_grad=True)
        a -= 0.5
        a *= b
        assert a.grad_fn.name() == "MulBackward0"
        a.sum().backward()
        grads.append(b.grad)
    assert_same(*grads)
    # alpha= and float64 operands of a float32 tensor go the general way.
    check_op(lambda lib, y: y.clone().add_(lib.ones((), dtype=lib.float64), alpha=2),
             [make_array((3,), np.float32, 8)])


def test_inplace_update_with_alpha():
    # SGD's p.data.add_(p.grad, alpha=-lr): the scaled operand written straight into self,
    # the values those of the out-of-place op, the version counts and refusals torch's.
    w, g = make_array((40, 30), np.float32, 9), make_array((40, 30), np.float32, 10)
    versions = []
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.tensor(w))
        p.grad = lib.tensor(g)
        d = p.data
        want = lib.add(lib.sub(lib.add(d, p.grad, alpha=-20.0), p.grad, alpha=3), p.grad)
        d.add_(p.grad, alpha=-20.0)
        d.sub_(p.grad, alpha=3)
        d.add_(p.grad, alpha=1)
        np.testing.assert_array_equal(p.detach().numpy(), want.numpy())
        versions.append((d._version, p._version))
    assert versions[0] == versions[1] == (3, 0)
    i, ti = ember.tensor([1, 2]), torch.tensor([1, 2])
    same_error(lambda: i.add_(ember.tensor([1, 1]), alpha=0.5),
               lambda: ti.add_(torch.tensor([1, 1]), alpha=0.5))
    f, tf = ember.ones(2), torch.ones(2)
    same_error(lambda: f.add_(ember.ones(2), alpha=True),
               lambda: tf.add_(torch.ones(2), alpha=True))
    check_op(lambda lib, y: y.clone().sub_(y * 2, alpha=-0.5),
             [make_array((3, 2), np.float64, 11)])
