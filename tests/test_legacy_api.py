"""torch's legacy surface against torch: Variable, the legacy tensor types (FloatTensor
...), Tensor.type and its type strings, and bfloat16 as a dtype ember names but does not
compute in."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error

LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
          "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


def _both(fn):
    return fn(ember), fn(torch)


def test_variable_returns_a_detached_tensor():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True) * 2
        v = lib.autograd.Variable(x)
        assert type(v) is lib.Tensor and v is not x
        assert v.is_leaf and not v.requires_grad and v.grad_fn is None
        w = lib.autograd.Variable(x.detach(), requires_grad=True)
        assert w.requires_grad and w.is_leaf
        assert isinstance(lib.zeros(1), lib.autograd.Variable)
        assert not isinstance([1.0], lib.autograd.Variable)
        (w * 3).sum().backward()
        assert w.grad.tolist() == [3.0, 3.0]
    assert_same(ember.autograd.Variable(), torch.autograd.Variable())
    same_error(lambda: ember.autograd.Variable([1, 2]), lambda: torch.autograd.Variable([1, 2]))
    same_error(lambda: ember.autograd.Variable(ember.tensor([1]), requires_grad=True),
               lambda: torch.autograd.Variable(torch.tensor([1]), requires_grad=True))


def test_variable_volatile_warns_as_torch():
    msgs = []
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.autograd.Variable(lib.zeros(1), volatile=True)
        msgs.append([str(x.message) for x in w])
    assert msgs[0] == msgs[1] and msgs[0]


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_type_constructors(name):
    calls = [lambda lib: getattr(lib, name)(2, 3).shape,
             lambda lib: getattr(lib, name)([1, 0, 2]),
             lambda lib: getattr(lib, name)([[1.7, 2.0]]),
             lambda lib: getattr(lib, name)((2, 3)),
             lambda lib: getattr(lib, name)(),
             lambda lib: getattr(lib, name)(lib.Size([4])).shape,
             lambda lib: getattr(lib, name)(np.array([1, 2])),
             lambda lib: getattr(lib, name)(0).shape]
    for call in calls:
        e, t = _both(call)
        assert_same(e, t)
    for bad in [lambda lib: getattr(lib, name)(2.5), lambda lib: getattr(lib, name)(-1),
                lambda lib: getattr(lib, name)(2, -1), lambda lib: getattr(lib, name)("a"),
                lambda lib: getattr(lib, name)(2, dtype=lib.float64),
                lambda lib: getattr(lib, name)(x=1)]:
        same_error(lambda bad=bad: bad(ember), lambda bad=bad: bad(torch))


def test_legacy_type_of_a_tensor():
    e, t = ember.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    a, b = ember.FloatTensor(e), torch.FloatTensor(t)
    assert_same(a, b)
    a.add_(1)
    assert e.tolist() == [2.0, 3.0]
    same_error(lambda: ember.LongTensor(e), lambda: torch.LongTensor(t))
    same_error(lambda: ember.Tensor(e, 3), lambda: torch.Tensor(t, 3))
    same_error(lambda: ember.Tensor(2.5), lambda: torch.Tensor(2.5))
    same_error(lambda: ember.Tensor([1, 2], requires_grad=True),
               lambda: torch.Tensor([1, 2], requires_grad=True))
    assert_same(ember.Tensor(ember.tensor([1, 2])), torch.Tensor(torch.tensor([1, 2])))
    g = ember.FloatTensor(ember.zeros(2, requires_grad=True))
    assert g.grad_fn.name() == torch.FloatTensor(torch.zeros(2, requires_grad=True)).grad_fn.name()


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_types_as_isinstance_targets(name):
    for dt in ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
               "bool"]:
        e = isinstance(ember.zeros(2, dtype=getattr(ember, dt)), getattr(ember, name))
        t = isinstance(torch.zeros(2, dtype=getattr(torch, dt)), getattr(torch, name))
        assert e == t
    assert isinstance(ember.nn.Parameter(ember.zeros(1)), ember.FloatTensor)
    assert not isinstance(1.0, getattr(ember, name))
    assert repr(getattr(ember, name)) == repr(getattr(torch, name))
    assert getattr(ember, name).dtype == getattr(ember, str(getattr(torch, name).dtype)[6:])


def test_tensor_type():
    for dt in ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
               "bool"]:
        assert ember.zeros(1, dtype=getattr(ember, dt)).type() == \
            torch.zeros(1, dtype=getattr(torch, dt)).type()
    casts = [lambda lib, x: x.type(lib.float64), lambda lib, x: x.type("torch.LongTensor"),
             lambda lib, x: x.type(lib.IntTensor), lambda lib, x: x.type(dtype=lib.int8),
             lambda lib, x: x.type(lib.float32, non_blocking=True)]
    for cast in casts:
        e = ember.tensor([1.5, -2.0], requires_grad=True)
        t = torch.tensor([1.5, -2.0], requires_grad=True)
        assert_same(cast(ember, e), cast(torch, t))
    e = ember.tensor([1.5], requires_grad=True)
    t = torch.tensor([1.5], requires_grad=True)
    assert e.type(ember.float32) is e and t.type(torch.float32) is t
    assert e.type("torch.DoubleTensor").grad_fn.name() == \
        t.type("torch.DoubleTensor").grad_fn.name()
    for arg in ["float", "torch.Foo", 3, "torch.cuda.FloatTensor"]:
        same_error(lambda arg=arg: e.type(arg), lambda arg=arg: t.type(arg))
    assert ember.zeros(1).type(ember.FloatTensor).type() == "torch.FloatTensor"


def test_bfloat16_is_named_but_not_computed():
    assert repr(ember.bfloat16) == repr(torch.bfloat16)
    assert ember.bfloat16.is_floating_point and ember.bfloat16.itemsize == 2
    assert ember.bfloat16.is_signed == torch.bfloat16.is_signed
    assert ember.bfloat16 != ember.float16 and ember.bfloat16 == ember.bfloat16
    for a, b in [("bfloat16", "float16"), ("bfloat16", "float64"), ("int64", "bfloat16"),
                 ("bfloat16", "bfloat16"), ("bool", "bfloat16")]:
        assert repr(ember.promote_types(getattr(ember, a), getattr(ember, b))) == \
            repr(torch.promote_types(getattr(torch, a), getattr(torch, b)))
    message = ("ember does not compute in torch.bfloat16: NumPy has no bfloat16 type. Use "
               "torch.float32 (or torch.float16) instead.")
    for call in [lambda: ember.zeros(2, dtype=ember.bfloat16),
                 lambda: ember.tensor([1.0], dtype=ember.bfloat16),
                 lambda: ember.ones(2).to(ember.bfloat16), lambda: ember.ones(2).bfloat16(),
                 lambda: ember.set_default_dtype(ember.bfloat16),
                 lambda: ember.nn.Linear(2, 2).to(ember.bfloat16)]:
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value) == message


def test_tensor_new():
    calls = [lambda lib, x: x.new(2, 3).shape, lambda lib, x: x.new(2, 3).dtype,
             lambda lib, x: x.new([1, 2]), lambda lib, x: x.new(), lambda lib, x: x.new((2, 3)),
             lambda lib, x: x.new(lib.Size([2, 3])).shape,
             lambda lib, x: lib.zeros(2, dtype=lib.int64).new([1.7])]
    for call in calls:
        e, t = call(ember, ember.zeros(2, dtype=ember.float64)), call(
            torch, torch.zeros(2, dtype=torch.float64))
        if isinstance(t, torch.dtype):
            assert repr(e) == repr(t)
        else:
            assert_same(e, t)
    for bad in [lambda lib, x: x.new(lib.tensor([1, 2])), lambda lib, x: x.new(2.5),
                lambda lib, x: x.new([1], dtype=lib.int64)]:
        same_error(lambda bad=bad: bad(ember, ember.zeros(2, dtype=ember.float64)),
                   lambda bad=bad: bad(torch, torch.zeros(2, dtype=torch.float64)))
