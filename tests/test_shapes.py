"""Shape ops against torch: reshape/view (-1, non-viewable input), transpose/t/T/mT,
unsqueeze/squeeze; values, views, gradients and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from helpers import assert_same, check_op, make_array, same_error

FLOATS = [np.float32, np.float64]


@st.composite
def shape_and_new_shape(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    n = int(np.prod(shape))
    perm = list(draw(st.permutations(list(shape))))
    # Regroup the sizes into another shape of the same numel.
    new = []
    while perm:
        k = draw(st.integers(1, len(perm)))
        new.append(int(np.prod(perm[:k])))
        perm = perm[k:]
    if new and n and draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return shape, tuple(new)


@pytest.mark.parametrize("dtype", FLOATS)
@settings(max_examples=25, deadline=None)
@given(ss=shape_and_new_shape(), seed=st.integers(0, 50))
def test_reshape_and_view(dtype, ss, seed):
    shape, new = ss
    a = make_array(shape, dtype, seed)
    check_op(lambda lib, x: x.reshape(new) * 2, [a])
    check_op(lambda lib, x: lib.reshape(x, new), [a])
    check_op(lambda lib, x: (x * 1).view(*new) if new else x.view(()), [a])


def test_view_and_reshape_share_memory_and_version():
    for lib in (ember, torch):
        x = lib.zeros(2, 3)
        v = x.view(3, 2)
        r = x.reshape(6)
        v.fill_(5.0)
        assert x.tolist() == [[5.0] * 3] * 2 and r.tolist() == [5.0] * 6
        assert x._version == v._version == r._version == 1


def test_view_of_non_contiguous_is_an_error():
    e = ember.arange(6.0).reshape(2, 3).t()
    t = torch.arange(6.0).reshape(2, 3).t()
    same_error(lambda: e.view(6), lambda: t.view(6))
    same_error(lambda: e.view(-1), lambda: t.view(-1))
    assert_same(e.reshape(6), t.reshape(6))
    assert_same(e.view(3, 2), t.view(3, 2))
    check_op(lambda lib, x: x.t().reshape(-1), [make_array((2, 3), np.float64, 1)])
    et = ember.arange(6.0, requires_grad=True)
    tt = torch.arange(6.0, requires_grad=True)
    assert et.reshape(2, 3).t().reshape(6).grad_fn.name() == \
        tt.reshape(2, 3).t().reshape(6).grad_fn.name()


def test_reshape_errors():
    e, t = ember.zeros(2, 3), torch.zeros(2, 3)
    for shape in ((4,), (-1, -1), (5, -1), (-2, 3), (0, -1)):
        same_error(lambda s=shape: e.reshape(s), lambda s=shape: t.reshape(s))
        same_error(lambda s=shape: e.view(s), lambda s=shape: t.view(s))
    z, tz = ember.zeros(0, 3), torch.zeros(0, 3)
    same_error(lambda: z.reshape(-1, 0), lambda: tz.reshape(-1, 0))
    assert_same(z.reshape(3, -1), tz.reshape(3, -1))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 0, 4), (2, 3, 4, 1)])
def test_transpose_family(dtype, shape):
    a = make_array(shape, dtype, 4)
    nd = len(shape)
    n = max(nd, 1)
    for d0 in range(-n, n):
        for d1 in (0, -1):
            check_op(lambda lib, x, d0=d0, d1=d1: x.transpose(d0, d1) * 3, [a])
    if nd <= 2:
        check_op(lambda lib, x: x.t() + 1, [a])
        check_op(lambda lib, x: lib.t(x), [a])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda lib, x: x.T * 2, [a])
        if nd != 1:
            check_op(lambda lib, x: x.mT * 2, [a])


_WARNINGS_SCRIPT = """
import sys, warnings
lib = __import__(sys.argv[1])
out = []
for attr in ("T", "mT"):
    for shape in ((), (3,), (2, 3), (2, 3, 4), (), (5,)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                getattr(lib.zeros(shape), attr)
            except RuntimeError as e:
                out.append(str(e))
        out.extend(str(x.message).split(" (Triggered internally")[0] for x in w)
print(out)
"""


def test_T_deprecation_warnings_once_per_process():
    import subprocess
    import sys

    def run(name):
        return subprocess.run([sys.executable, "-c", _WARNINGS_SCRIPT, name],
                              capture_output=True, text=True, check=True).stdout

    assert run("ember") == run("torch")


def test_transpose_errors():
    e, t = ember.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    same_error(lambda: e.t(), lambda: t.t())
    same_error(lambda: e.transpose(0, 3), lambda: t.transpose(0, 3))
    same_error(lambda: e.transpose(-4, 0), lambda: t.transpose(-4, 0))
    same_error(lambda: ember.zeros(3).mT, lambda: torch.zeros(3).mT)


def test_transpose_node_names():
    e = ember.zeros(2, 3, requires_grad=True)
    t = torch.zeros(2, 3, requires_grad=True)
    for fn in (lambda x: x.t(), lambda x: x.T, lambda x: x.mT, lambda x: x.transpose(0, 1),
               lambda x: x.unsqueeze(0), lambda x: x.unsqueeze(0).squeeze(),
               lambda x: x.unsqueeze(0).squeeze(0), lambda x: x.unsqueeze(0).squeeze((0, 1)),
               lambda x: x.view(6), lambda x: x.reshape(3, 2)):
        assert fn(e).grad_fn.name() == fn(t).grad_fn.name()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 1, 3), (1, 0, 1), (1, 1)])
def test_unsqueeze_squeeze(dtype, shape):
    a = make_array(shape, dtype, 5)
    nd = len(shape)
    for d in range(-nd - 1, nd + 1):
        check_op(lambda lib, x, d=d: x.unsqueeze(d) * 2, [a])
        check_op(lambda lib, x, d=d: lib.unsqueeze(x, d).squeeze(d), [a])
    check_op(lambda lib, x: x.squeeze() * 2, [a])
    n = max(nd, 1)
    for d in range(-n, n):
        check_op(lambda lib, x, d=d: x.squeeze(d) * 2, [a])
        check_op(lambda lib, x, d=d: lib.squeeze(x, (d,)) * 2, [a])
    if nd >= 2:
        check_op(lambda lib, x: x.squeeze((0, -1)) * 2, [a])
        check_op(lambda lib, x: x.squeeze((-1, 0)) * 2, [a])


def test_unsqueeze_squeeze_errors():
    e, t = ember.zeros(2, 1), torch.zeros(2, 1)
    for d in (3, -4):
        same_error(lambda d=d: e.unsqueeze(d), lambda d=d: t.unsqueeze(d))
    for d in (2, -3, (0, 2), (1, 1)):
        same_error(lambda d=d: e.squeeze(d), lambda d=d: t.squeeze(d))


def test_dim_out_of_range_messages():
    e, t = ember.zeros(2, 3), torch.zeros(2, 3)
    for fn in (lambda x: x.sum(5), lambda x: x.size(2), lambda x: x.unsqueeze(-4),
               lambda x: x.transpose(2, 0), lambda x: x.squeeze(-3), lambda x: x.mean(-5)):
        same_error(lambda fn=fn: fn(e), lambda fn=fn: fn(t))
    same_error(lambda: ember.tensor(1.0).sum(1), lambda: torch.tensor(1.0).sum(1))
