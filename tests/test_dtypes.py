"""dtype objects and torch's promotion functions, against torch."""

from __future__ import annotations

import itertools

import pytest
import torch

import ember

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_promote_types_and_can_cast():
    for a, b in itertools.product(NAMES, NAMES):
        ea, eb = getattr(ember, a), getattr(ember, b)
        ta, tb = getattr(torch, a), getattr(torch, b)
        assert repr(ember.promote_types(ea, eb)) == repr(torch.promote_types(ta, tb))
        assert ember.can_cast(ea, eb) == torch.can_cast(ta, tb), (a, b)


@pytest.mark.parametrize("a", NAMES)
def test_result_type(a):
    for b in NAMES:
        for shapes in (((2,), (2,)), ((), (2,)), ((2,), ()), ((), ())):
            e = ember.result_type(ember.zeros(shapes[0], dtype=getattr(ember, a)),
                                  ember.zeros(shapes[1], dtype=getattr(ember, b)))
            t = torch.result_type(torch.zeros(shapes[0], dtype=getattr(torch, a)),
                                  torch.zeros(shapes[1], dtype=getattr(torch, b)))
            assert repr(e) == repr(t)
    for number in (True, 2, 2.5):
        e = ember.result_type(ember.zeros(2, dtype=getattr(ember, a)), number)
        t = torch.result_type(torch.zeros(2, dtype=getattr(torch, a)), number)
        assert repr(e) == repr(t)


def test_dtype_attributes():
    for name in NAMES:
        e, t = getattr(ember, name), getattr(torch, name)
        assert repr(e) == repr(t) and str(e) == str(t)
        assert e.is_floating_point == t.is_floating_point
        assert e.is_signed == t.is_signed
        assert e.itemsize == t.itemsize
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.long is ember.int64 and ember.int is ember.int32 and ember.half is ember.float16
