"""Graphs are freed by reference counting alone, saved values are released after
backward, and deep graphs run and die without recursion."""

from __future__ import annotations

import gc
import math
import weakref

import pytest

import ember


@pytest.fixture
def no_gc():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_graph_dies_with_its_last_tensor(no_gc):
    x = ember.ones(3, requires_grad=True)
    h = x.exp()
    y = (h * x).sin().sum()
    fn_ref = weakref.ref(y.grad_fn)
    mid_ref = weakref.ref(h.grad_fn)
    arr_ref = weakref.ref(h._data)
    del h
    assert fn_ref() is not None and mid_ref() is not None
    del y
    assert fn_ref() is None and mid_ref() is None and arr_ref() is None


def test_saved_values_released_after_backward(no_gc):
    x = ember.ones(3, requires_grad=True)
    h = x.exp()
    arr_ref = weakref.ref(h._data)
    y = (h * h).sum()
    del h
    assert arr_ref() is not None
    y.backward()
    assert arr_ref() is None
    assert x.grad is not None


def test_retain_graph_keeps_saved_values(no_gc):
    x = ember.ones(3, requires_grad=True)
    h = x.exp()
    arr_ref = weakref.ref(h._data)
    y = (h * h).sum()
    del h
    y.backward(retain_graph=True)
    assert arr_ref() is not None
    y.backward()
    assert arr_ref() is None
    # d/dx sum(exp(x)**2) = 2 exp(2x), accumulated twice.
    assert max(abs(g - 4 * math.exp(2.0)) for g in x.grad.tolist()) < 1e-4


def test_accumulate_grad_does_not_keep_leaf_alive(no_gc):
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    acc = y.grad_fn.next_functions[0][0]
    acc_ref = weakref.ref(acc)
    x_ref = weakref.ref(x)
    del acc, y
    assert acc_ref() is None
    del x
    assert x_ref() is None


def test_deep_chain_backward_and_free(no_gc):
    n = 200_000
    x = ember.ones(1, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    first = weakref.ref(y.grad_fn)
    y.sum().backward()
    assert x.grad.tolist() == [1.0]
    z = x
    for _ in range(n):
        z = z + 0.0
    ref = weakref.ref(z.grad_fn)
    del z
    assert ref() is None
    del y
    assert first() is None


def test_graph_keeps_nodes_not_intermediate_tensors(no_gc):
    # Nodes keep what backward needs (arrays, version counters, edges), never the tensors
    # in between: a chain's intermediates die as soon as the program drops them.
    x = ember.full((4,), 0.5, requires_grad=True)
    w = ember.full((4,), 0.9, requires_grad=True)
    y = x
    refs = []
    for _ in range(5):
        y = (y * w).sin()
        refs.append(weakref.ref(y))
    assert all(r() is None for r in refs[:-1])
    y.sum().backward()
    expected = x.detach()
    g = ember.ones(4)
    # d/dx of sin(w*...sin(w*x)) by the chain rule, innermost first.
    values = []
    for _ in range(5):
        expected = expected * 0.9
        values.append(expected)
        expected = expected.sin()
    for v in reversed(values):
        g = g * v.cos() * 0.9
    assert ember.allclose(x.grad, g)


def test_collector_tracks_one_object_per_recorded_op():
    # Python's cyclic collector walks every tracked object on each full collection, so
    # the number a recorded op leaves alive decides how time per op grows with the graph:
    # the node alone (its edges live in its slots; saved arrays, counters and position
    # codes sit in tuples the collector stops tracking).
    x = ember.full((4,), 0.5, requires_grad=True)
    w = ember.full((4,), 0.9, requires_grad=True)
    gc.collect()
    before = len(gc.get_objects())
    y = x
    for _ in range(1000):
        y = (y * w).sin()
    gc.collect()
    per_op = (len(gc.get_objects()) - before) / 2000
    assert per_op < 1.01
    del y
