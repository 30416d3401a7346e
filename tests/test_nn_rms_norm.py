"""nn.RMSNorm and F.rms_norm against torch: values, gradients and second derivatives over
shapes and dtypes (eps=None: the machine epsilon of the input's computing dtype), the
graph's node names, the module's parameters and printing, and the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, make_array, same_error


def _graph(fn, depth=0, out=None):
    out = [] if out is None else out
    if fn is not None:
        out.append("  " * depth + fn.name().replace("torch::autograd::", ""))
        for f, _ in fn.next_functions:
            _graph(f, depth + 1, out)
    return out


@pytest.mark.parametrize("shape,ns", [((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((5,), (5,)),
                                      ((0, 3), (3,)), ((2, 1), (1,))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_values_and_gradients(shape, ns, dtype, affine, eps):
    arrays = [make_array(shape, dtype)]
    if affine:
        arrays.append(make_array(ns, dtype, seed=1))
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {}
    check_op(lambda lib, x, *w: lib.nn.functional.rms_norm(x, ns, *w, eps=eps), arrays, **tol)


def test_rms_norm_default_eps_is_the_dtypes_epsilon():
    # Tiny inputs are where eps shows: float32's epsilon, not 1e-5 or float64's.
    for dtype in (np.float32, np.float64, np.float16):
        x = np.array([[1e-4, -2e-4, 3e-5]], dtype)
        assert_same(ember.nn.functional.rms_norm(ember.from_numpy(x), [3]),
                    torch.nn.functional.rms_norm(torch.from_numpy(x), [3]))


@pytest.mark.parametrize("xd,wd", [("float32", "float32"), ("float64", "float64"),
                                   ("float16", "float16"), ("float16", "float32"),
                                   ("float32", "float64"), ("float32", None)])
def test_rms_norm_graph_and_dtypes(xd, wd):
    x = make_array((2, 3), xd)
    w = None if wd is None else make_array((3,), wd, seed=1)
    outs = []
    for lib in (ember, torch):
        tx = lib.from_numpy(x.copy()).requires_grad_()
        tw = None if w is None else lib.from_numpy(w.copy()).requires_grad_()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = lib.nn.functional.rms_norm(tx, (3,), tw)
        y.sum().backward()
        outs.append((y, tx.grad, _graph(y.grad_fn),
                     [str(c.message).split(" (Triggered")[0] for c in caught]))
    (ey, egx, egraph, ewarn), (ty, tgx, tgraph, twarn) = outs
    assert egraph == tgraph
    assert_same(ey, ty, rtol=1e-3 if xd == "float16" else None)
    assert_same(egx, tgx, rtol=1e-2 if xd == "float16" else None,
                atol=1e-3 if xd == "float16" else None)
    # torch warns once per process; ember wherever Python's filters let it.
    assert set(ewarn) >= set(twarn)
    if wd is not None and wd != xd:
        assert ewarn and ewarn[0].startswith("Mismatch dtype between input and weight")


@pytest.mark.parametrize("make", [
    lambda nn: nn.RMSNorm(4), lambda nn: nn.RMSNorm([3, 4], eps=1e-6),
    lambda nn: nn.RMSNorm(4, elementwise_affine=False),
    lambda nn: nn.RMSNorm((4,), dtype=torch.float64 if nn is torch.nn else ember.float64),
])
def test_rms_norm_module(make):
    e, t = make(ember.nn), make(torch.nn)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert_same(e.weight, t.weight)
    x = make_array((2, 3, 4), np.float64 if e.weight is None or e.weight.dtype == ember.float64
                   else np.float32)
    ex = ember.from_numpy(x.copy()).requires_grad_()
    tx = torch.from_numpy(x.copy()).requires_grad_()
    eo, to = e(ex), t(tx)
    assert_same(eo, to)
    eo.pow(2).sum().backward()
    to.pow(2).sum().backward()
    assert_same(ex.grad, tx.grad, rtol=1e-5, atol=1e-6)
    if t.weight is not None:
        assert_same(e.weight.grad, t.weight.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda lib, F: F.rms_norm(lib.ones(2, 3, 4), (3,)),
    lambda lib, F: F.rms_norm(lib.ones(2, 3, 4), (2, 4)),
    lambda lib, F: F.rms_norm(lib.ones(2, 3, 4), (4,), lib.ones(3)),
    lambda lib, F: F.rms_norm(lib.ones(2, 3, 4), (1, 2, 3, 4)),
    lambda lib, F: F.rms_norm(lib.ones(2, 3, 4), (1, 2, 3, 4), lib.ones(2)),
    lambda lib, F: F.rms_norm(lib.ones(2, 3, 4), ()),
    lambda lib, F: F.rms_norm(lib.ones(2, 3, 4), 4),
    lambda lib, F: F.rms_norm(lib.ones(2, 3, dtype=lib.long), (3,)),
    lambda lib, F: F.rms_norm(lib.ones(2, 3, dtype=lib.bool), (3,)),
    lambda lib, F: lib.nn.RMSNorm(3)(lib.ones(2, 4)),
])
def test_rms_norm_errors(call):
    same_error(lambda: call(ember, ember.nn.functional),
               lambda: call(torch, torch.nn.functional))
