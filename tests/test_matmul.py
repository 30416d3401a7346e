"""matmul/@ for every rank combination (1-D operands, broadcast batches), mm, mv, dot, bmm:
values, graphs, gradients, second derivatives and errors against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from helpers import check_op, make_array, same_error

FLOATS = [np.float32, np.float64]


@st.composite
def matmul_shapes(draw):
    n, k, p = (draw(st.integers(0, 3)) for _ in range(3))
    d1, d2 = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=2)))
    # Each operand takes a suffix of the batch, with random dims set to 1 to broadcast.
    b1 = [1 if draw(st.booleans()) else s for s in batch[2 - max(d1 - 2, 0):]]
    b2 = [1 if draw(st.booleans()) else s for s in batch[2 - max(d2 - 2, 0):]]
    s1 = (k,) if d1 == 1 else tuple(b1) + (n, k)
    s2 = (k,) if d2 == 1 else tuple(b2) + (k, p)
    return s1, s2


@pytest.mark.parametrize("dtype", FLOATS)
@settings(max_examples=40, deadline=None)
@given(shapes=matmul_shapes(), seed=st.integers(0, 50))
def test_matmul_shapes(dtype, shapes, seed):
    a = make_array(shapes[0], dtype, seed)
    b = make_array(shapes[1], dtype, seed + 1)
    check_op(lambda lib, x, y: x @ y, [a, b], rtol=1e-4 if dtype == np.float32 else None)
    check_op(lambda lib, x, y: lib.matmul(x, y), [a, b], grad=(True, False),
             rtol=1e-4 if dtype == np.float32 else None)


@pytest.mark.parametrize("s1,s2", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                   ((2, 3), (3, 4)), ((5, 2, 3), (3,)), ((5, 2, 3), (3, 4)),
                                   ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)),
                                   ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)),
                                   ((6, 1, 2, 3), (5, 3, 4)), ((4, 5, 2, 3), (3,))])
def test_matmul_graph_structure(s1, s2):
    """The nodes matmul records are torch's, edge by edge."""
    ea = ember.ones(s1, requires_grad=True)
    eb = ember.ones(s2, requires_grad=True)
    ta = torch.ones(s1, requires_grad=True)
    tb = torch.ones(s2, requires_grad=True)
    assert _walk((ea @ eb).grad_fn) == _walk((ta @ tb).grad_fn)
    check_op(lambda lib, x, y: x @ y, [make_array(s1, np.float64, 1),
                                       make_array(s2, np.float64, 2)])


def _walk(fn):
    """The graph below `fn` as nested (name, children) tuples."""
    if fn is None:
        return None
    return (fn.name(), tuple((_walk(f), nr) for f, nr in fn.next_functions))


@pytest.mark.parametrize("dtype", FLOATS)
def test_mm_mv_dot_bmm(dtype):
    check_op(lambda lib, x, y: lib.mm(x, y), [make_array((2, 3), dtype, 1),
                                              make_array((3, 4), dtype, 2)])
    check_op(lambda lib, x, y: x.mm(y), [make_array((0, 3), dtype, 1),
                                         make_array((3, 4), dtype, 2)])
    check_op(lambda lib, x, y: lib.mv(x, y), [make_array((2, 3), dtype, 1),
                                              make_array((3,), dtype, 2)])
    check_op(lambda lib, x, y: lib.dot(x, y), [make_array((3,), dtype, 1),
                                               make_array((3,), dtype, 2)])
    check_op(lambda lib, x, y: lib.bmm(x, y), [make_array((2, 2, 3), dtype, 1),
                                               make_array((2, 3, 4), dtype, 2)])
    check_op(lambda lib, x, y: x @ y, [make_array((2, 0), dtype, 1),
                                       make_array((0, 4), dtype, 2)])


def test_integer_matmul():
    a = make_array((2, 3), np.int64, 1)
    b = make_array((3, 4), np.int64, 2)
    check_op(lambda lib, x, y: x @ y, [a, b])
    check_op(lambda lib, x, y: x[0] @ y if False else lib.mm(x, y), [a, b])


def test_matmul_errors():
    cases = [
        ((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 5)), ((2, 2, 3), (2, 4, 5)),
        ((2, 2, 3), (3, 2, 4, 5)), ((2, 2, 3), (3, 3, 4)), ((5, 2, 3), (4,)), ((), (3,)),
        ((3,), ()), ((2, 3, 4), (5,)), ((5,), (2, 3, 4)),
    ]
    for s1, s2 in cases:
        same_error(lambda s1=s1, s2=s2: ember.zeros(s1) @ ember.zeros(s2),
                   lambda s1=s1, s2=s2: torch.zeros(s1) @ torch.zeros(s2))
    same_error(lambda: ember.zeros(2, 3) @ ember.zeros(3, 4, dtype=ember.float64),
               lambda: torch.zeros(2, 3) @ torch.zeros(3, 4, dtype=torch.float64))
    same_error(lambda: ember.zeros(3) @ ember.zeros(3, dtype=ember.float64),
               lambda: torch.zeros(3) @ torch.zeros(3, dtype=torch.float64))
    same_error(lambda: ember.zeros(2, 3) @ ember.zeros(3, dtype=ember.float64),
               lambda: torch.zeros(2, 3) @ torch.zeros(3, dtype=torch.float64))
    same_error(lambda: ember.zeros(2, 3) @ 2, lambda: torch.zeros(2, 3) @ 2)


def test_mm_mv_dot_bmm_errors():
    E, T = ember, torch
    cases = [
        ("mm", (2, 3), (4, 5)), ("mm", (3,), (3, 4)), ("mm", (2, 3), (3,)),
        ("mm", (2, 2, 3), (3, 4)), ("mv", (2, 3), (4,)), ("mv", (3,), (3,)),
        ("mv", (2, 3), (3, 1)), ("dot", (3,), (4,)), ("dot", (2, 3), (3,)),
        ("dot", (3,), ()), ("bmm", (2, 2, 3), (2, 4, 5)), ("bmm", (2, 2, 3), (3, 3, 5)),
        ("bmm", (2, 3), (2, 3, 5)), ("bmm", (2, 2, 3), (3, 5)),
    ]
    for fn, s1, s2 in cases:
        same_error(lambda fn=fn, s1=s1, s2=s2: getattr(E, fn)(E.zeros(s1), E.zeros(s2)),
                   lambda fn=fn, s1=s1, s2=s2: getattr(T, fn)(T.zeros(s1), T.zeros(s2)))
    for fn, s1, s2 in (("mm", (2, 3), (3, 4)), ("mv", (2, 3), (3,)), ("dot", (3,), (3,)),
                       ("bmm", (2, 2, 3), (2, 3, 4))):
        same_error(
            lambda fn=fn, s1=s1, s2=s2: getattr(E, fn)(E.zeros(s1),
                                                       E.zeros(s2, dtype=E.float64)),
            lambda fn=fn, s1=s1, s2=s2: getattr(T, fn)(T.zeros(s1),
                                                       T.zeros(s2, dtype=T.float64)))
