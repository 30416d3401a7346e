"""The fast paths that the network programs (minGPT, an LSTM language model, ResNet-18) run
through, against torch and against ember's general forms: the fused LSTM layer on stacked
arrays, float64 blocks for float32 formulas, log_softmax's plain backward, erf's Taylor
table and GELU's kept Phi(x), one-group convolution as one product over the batch, expand
that repeats nothing, and AccumulateGrad keeping a whole view."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember
from ember.ops import _math, _special
from helpers import assert_same, check_op


def _twins(dtype="float32", **kw):
    t = torch.nn.LSTM(3, 4, **kw).to(getattr(torch, dtype))
    e = ember.nn.LSTM(3, 4, **kw).to(getattr(ember, dtype))
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    return e, t


@pytest.mark.parametrize("kw", [{}, {"bias": False}, {"num_layers": 2, "bidirectional": True}])
@pytest.mark.parametrize("which", ["out", "h", "c", "all"])
def test_fused_lstm_plain_backward(kw, which):
    # Plain backward runs the stacked-array form; create_graph runs the step-by-step one.
    e, t = _twins(**kw)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 2, 3)).astype(np.float32)
    layers = t.num_layers * (2 if t.bidirectional else 1)
    h0, c0 = (rng.standard_normal((layers, 2, 4)).astype(np.float32) for _ in range(2))
    grads = {}
    for lib, m in ((ember, e), (torch, t)):
        leaves = [lib.from_numpy(a.copy()).requires_grad_() for a in (x, h0, c0)]
        out, (h, c) = m(leaves[0], (leaves[1], leaves[2]))
        loss = {"out": (out * out).sum(), "h": (h * 3).sum(), "c": (c * c).sum(),
                "all": (out * out).sum() + (h * 3).sum() + (c * c).sum()}[which]
        params = leaves + list(m.parameters())
        plain = lib.autograd.grad(loss, params, retain_graph=True)
        graph = lib.autograd.grad(loss, params, create_graph=True)
        grads[lib.__name__] = (plain, graph)
    (ep, eg), (tp, _) = grads["ember"], grads["torch"]
    assert_same(list(ep), list(tp), rtol=1e-4, atol=1e-5)
    for a, b in zip(ep, eg):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", ["exp", "tanh", "log1p"])
def test_in_double_blocks_round_as_a_whole(fn):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((131, 140)) * 3).astype(np.float32).T  # > one block, strided
    x[0, :3] = [np.inf, -np.inf, np.nan]
    with np.errstate(all="ignore"):
        want = getattr(np, fn)(x.astype(np.float64)).astype(np.float32)
        got = getattr(_math, fn)(x)
    assert got.shape == x.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape,dim", [((20, 1000), 1), ((20, 1000), 0), ((3, 4), 1),
                                       ((), 0), ((2, 0, 3), 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_plain_backward(shape, dim, dtype):
    x = np.asarray(np.random.default_rng(3).standard_normal(shape) * 4, dtype=dtype)
    # (a float32 sum over 1000 terms, then a difference that cancels: a few ulp apart)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {}
    check_op(lambda lib, a: lib.log_softmax(a, dim), [x], double=False, **tol)
    check_op(lambda lib, a: lib.log_softmax(a, dim), [x], **tol)


def test_log_softmax_grad_of_nll_matches_the_formula():
    # nll_loss's gradient is a broadcast-free sparse array; the in-place form must give the
    # general formula's values bit for bit.
    x = np.random.default_rng(4).standard_normal((40, 1000)).astype(np.float32)
    a = ember.from_numpy(x).requires_grad_()
    target = ember.from_numpy(np.arange(40) * 7)
    ember.nn.functional.nll_loss(ember.log_softmax(a, 1), target).backward()
    r = ember.log_softmax(ember.from_numpy(x), 1).numpy()
    g = np.zeros_like(x)
    g[np.arange(40), np.arange(40) * 7] = np.float32(-1 / 40)
    want = g - _math.exp(r) * g.sum(1, keepdims=True)
    np.testing.assert_array_equal(a.grad.numpy(), want)


@pytest.mark.parametrize("shape", [(320, 1000), (3, 7, 5000), (2, 16385), (33, 8191), (12,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_row_blocks_match_the_whole_array_formula(shape, dtype):
    # log_softmax and its plain backward run a block of rows at a time; every row must come
    # out bit for bit as the whole-array formula gives it, special values included.
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 6).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[:5] = [np.inf, -np.inf, np.nan, -0.0, 1e30]
    g.reshape(-1)[7:10] = [np.nan, np.inf, -0.0]
    a = ember.from_numpy(x).requires_grad_()
    out = ember.log_softmax(a, -1)
    out.backward(ember.from_numpy(g))
    with np.errstate(all="ignore"):
        sh = x - x.max(-1, keepdims=True)
        want = sh - np.log(np.exp(sh).sum(-1, keepdims=True))
        want_grad = g - _math.exp(want) * g.sum(-1, keepdims=True)
    for got, w in ((out.detach().numpy(), want), (a.grad.numpy(), want_grad)):
        assert got.dtype == w.dtype and got.shape == w.shape
        np.testing.assert_array_equal(got.view(f"u{w.itemsize}"), w.view(f"u{w.itemsize}"))


def test_erf_taylor_table_accuracy():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, -0.0, 5e-324, 1e-300, 1.5, 5.99,
                                                       6.0, 6.01, 1e300, np.inf, -np.inf]])
    got = _special.erf64(x)
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_array_less(np.abs(got - want), 2.5 * np.spacing(np.abs(want)) + 1e-320)
    assert np.signbit(got[20002]) and not np.signbit(got[20001])  # erf(-0) = -0
    assert np.isnan(_special.erf64(np.full(300, np.nan))).all()
    tail = np.linspace(-4, 4, 801)
    np.testing.assert_allclose(_special.erfc64(tail), [math.erfc(v) for v in tail],
                               rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_keeps_phi(dtype, approximate):
    x = np.random.default_rng(5).standard_normal((4, 300)).astype(dtype) * 2
    x[0, :4] = [0.0, -0.0, 8.0, -8.0]
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {}
    check_op(lambda lib, a: lib.nn.functional.gelu(a, approximate=approximate), [x],
             double=False, **tol)
    if approximate == "none":
        check_op(lambda lib, a: lib.nn.functional.gelu(a, approximate=approximate), [x],
                 **tol)


def test_gelu_refuses_integers_as_torch():
    from helpers import same_error

    same_error(lambda: ember.nn.functional.gelu(ember.arange(3)),
               lambda: torch.nn.functional.gelu(torch.arange(3)))


# Folded (columns at least as long as an example's output) and per example.
CONVS = [
    ((3, 4, 9, 8), (5, 4, 3, 3), {"stride": 2, "padding": 1}),
    ((2, 3, 7, 7), (6, 3, 3, 2), {"dilation": 2, "padding": (2, 1)}),
    ((1, 2, 5, 5), (4, 2, 1, 1), {}),
    ((2, 8, 1, 1), (16, 8, 3, 3), {"padding": 1}),
]


@pytest.mark.parametrize("xs,ws,kw", CONVS)
@pytest.mark.parametrize("bias", [False, True])
def test_conv2d_one_product_over_the_batch(xs, ws, kw, bias):
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal(xs).astype(np.float32),
              rng.standard_normal(ws).astype(np.float32)]
    if bias:
        arrays.append(rng.standard_normal(ws[0]).astype(np.float32))

    def fn(lib, x, w, b=None):
        return lib.nn.functional.conv2d(x, w, b, **kw)

    check_op(fn, arrays, double=False, rtol=1e-4, atol=1e-5)
    check_op(fn, arrays, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("xs,ws", [((3, 2, 11), (4, 2, 3)), ((3, 5, 4), (4, 5, 3))])
def test_conv1d_one_product_over_the_batch(xs, ws):
    # (the first: a product per example, its columns shorter than its output; the second
    # folds the batch)
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws)]
    check_op(lambda lib, x, w: lib.nn.functional.conv1d(x, w, stride=2, padding=2), arrays,
             double=False)


@pytest.mark.parametrize("sizes", [(2, 3), (1, 2, 3), (1, 1, -1, 3), (4, 2, 3)])
def test_expand_without_repeats_is_a_writable_view(sizes):
    out = []
    for lib in (ember, torch):
        base = lib.arange(6.0).reshape(2, 3).requires_grad_()
        x = base * 1
        v = x.expand(*sizes)
        names = v.grad_fn.name()
        if 4 not in sizes:
            v.mul_(2)  # no element repeats: torch allows the write, and x sees it
        (x * x).sum().backward()
        out.append((names, x.detach(), base.grad, x._version))
    (en, ex, eg, ev), (tn, tx, tg, tv) = out
    assert en == tn and ev == tv
    assert_same([ex, eg], [tx, tg])


def test_accumulate_keeps_a_whole_view_but_not_one_held_elsewhere():
    held = ember.arange(6.0)

    class Reshaped(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return held.reshape(2, 3)

    x = ember.zeros(2, 3, requires_grad=True)
    Reshaped.apply(x).sum().backward()
    x.grad.add_(1)
    assert held.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    w = ember.ones(4, 2, 3, 3, requires_grad=True)
    inp = ember.ones(2, 2, 5, 5)
    for k in range(2):
        ember.nn.functional.conv2d(inp, w).sum().backward()
        assert w.grad.sum().item() == 2 * 9 * 4 * 2 * 3 * 3 * (k + 1)
