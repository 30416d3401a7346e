"""Layer options against torch: convolution padding modes, Embedding's max_norm
renormalisation, batch norm's graph in evaluation mode and the names of graph nodes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as enn
from helpers import assert_same, same_error

F32 = {"rtol": 1e-4, "atol": 1e-5}


def rnd(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def twins(make, seed=0):
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    return make(enn), make(tnn)


def forward_backward(e, t, x, **tol):
    ex = ember.from_numpy(x.copy()).requires_grad_()
    tx = torch.from_numpy(x.copy()).requires_grad_()
    eo, to = e(ex), t(tx)
    assert_same(eo, to, **tol)
    g = rnd(*to.shape, seed=5, dtype=x.dtype)
    (eo * ember.from_numpy(g)).sum().backward()
    (to * torch.from_numpy(g)).sum().backward()
    assert_same(ex.grad, tx.grad, **tol)
    for (_, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
        assert_same(ep.grad, tp.grad, **tol)
    return eo, to


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("nd,kw", [
    (1, {"padding": 2}), (1, {"padding": "same", "kernel_size": 4, "dilation": 2}),
    (2, {"padding": (1, 2)}), (2, {"padding": "same", "kernel_size": (2, 3)}),
    (2, {"padding": 1, "stride": 2, "groups": 2}),
])
def test_conv_padding_modes(mode, nd, kw):
    kw = {"kernel_size": 3, **kw}
    conv = "Conv1d" if nd == 1 else "Conv2d"
    e, t = twins(lambda nn: getattr(nn, conv)(4, 6, padding_mode=mode, **kw))
    assert repr(e) == repr(t)
    assert e._reversed_padding_repeated_twice == t._reversed_padding_repeated_twice
    shape = (2, 4, 7) if nd == 1 else (2, 4, 5, 6)
    forward_backward(e, t, rnd(*shape), **F32)
    e.zero_grad()
    t.zero_grad()
    forward_backward(e.double(), t.double(), rnd(*shape, seed=1, dtype=np.float64))


def test_conv_padding_mode_errors():
    for make in [lambda nn: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
                 lambda nn: nn.ConvTranspose1d(2, 2, 3, padding_mode="circular")]:
        same_error(lambda make=make: make(enn), lambda make=make: make(tnn))
    # torch's message prints a set, whose order varies from one interpreter to the next
    same_error(lambda: enn.Conv2d(2, 2, 3, padding_mode="mirror"),
               lambda: tnn.Conv2d(2, 2, 3, padding_mode="mirror"), match_message=False)
    e, t = twins(lambda nn: nn.Conv1d(1, 1, 3, padding=4, padding_mode="reflect"))
    x = rnd(1, 1, 3)
    same_error(lambda: e(ember.from_numpy(x)), lambda: t(torch.from_numpy(x)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, float("inf")])
def test_embedding_max_norm(dtype, norm_type):
    # Rows looked up are rescaled in place (under no_grad) to norm max_norm when longer; the
    # lookup and its gradient then use the rescaled rows.
    w = rnd(12, 5, dtype=dtype) * 2
    idx = np.random.default_rng(1).integers(0, 12, (3, 4))
    res = []
    for lib in (ember, torch):
        m = lib.nn.Embedding.from_pretrained(lib.from_numpy(w.copy()), freeze=False,
                                             max_norm=1.5, norm_type=norm_type)
        out = m(lib.from_numpy(idx))
        assert m.weight._version == 1 and not out.is_leaf
        (out * out).sum().backward()
        res.append((out, m.weight.detach().clone(), m.weight.grad))
    tol = {"rtol": 1e-6, "atol": 1e-7} if dtype == np.float32 else {}
    assert_same(res[0], res[1], **tol)
    untouched = np.setdiff1d(np.arange(12), idx)
    np.testing.assert_array_equal(res[0][1].numpy()[untouched], w[untouched])


def test_embedding_max_norm_functional_and_module():
    e, t = twins(lambda nn: nn.Embedding(10, 4, padding_idx=2, max_norm=1.0))
    assert repr(e) == repr(t)
    idx = np.array([[1, 2, 3, 3], [9, 0, 2, 1]])
    eo, to = e(ember.from_numpy(idx)), t(torch.from_numpy(idx))
    assert_same(eo, to, rtol=1e-6, atol=1e-7)
    assert_same(e.weight.detach(), t.weight.detach(), rtol=1e-6, atol=1e-7)
    # functional form on a plain tensor: renormalises it in place as well
    w = rnd(6, 3) * 3
    ew, tw = ember.from_numpy(w.copy()), torch.from_numpy(w.copy())
    ember.nn.functional.embedding(ember.tensor([0, 5]), ew, max_norm=2.0)
    torch.nn.functional.embedding(torch.tensor([0, 5]), tw, max_norm=2.0)
    assert_same(ew, tw, rtol=1e-6, atol=1e-7)
    assert ew._version == tw._version


def _bn_second_order(lib, training, flags):
    """Second derivatives of batch norm's gradients: which are None, and their values."""
    rx, rw, rb, rg, has_w = flags
    x = np.random.default_rng(0).standard_normal((4, 3, 2))
    xs = lib.from_numpy(x.copy()).requires_grad_(rx)
    w = lib.from_numpy(np.array([1.0, 2.0, 3.0])).requires_grad_(rw) if has_w else None
    b = lib.from_numpy(np.array([0.1, 0.2, 0.3])).requires_grad_(rb)
    rm, rv = lib.from_numpy(np.array([0.5, -0.2, 0.1])), lib.from_numpy(np.array([2.0, 1, 0.5]))
    y = lib.nn.functional.batch_norm(xs, rm, rv, w, b, training=training)
    g = lib.from_numpy(np.random.default_rng(1).standard_normal(y.shape)).requires_grad_(rg)
    wrt = [t for t in (xs, w, b) if t is not None and t.requires_grad]
    if not wrt:
        return None
    leaves = [t for t in (xs, w, b, g) if t is not None and t.requires_grad]
    out = []
    for gr in lib.autograd.grad(y, wrt, g, create_graph=True):
        out.append(type(gr.grad_fn).__name__ if gr.requires_grad else None)
        if gr.requires_grad:
            out.append(lib.autograd.grad(gr.sum(), leaves, allow_unused=True,
                                         retain_graph=True))
    return out


@pytest.mark.parametrize("training", [False, True])
def test_batch_norm_double_backward_graph(training):
    # torch differentiates the three gradients through one node with inputs (grad_output,
    # input, weight): the same requires_grad, node names and None second derivatives.
    for flags in itertools.product([True, False], repeat=5):
        if flags[1] and not flags[4]:
            continue
        e, t = _bn_second_order(ember, training, flags), _bn_second_order(torch, training,
                                                                           flags)
        assert (e is None) == (t is None)
        for a, c in zip(e or [], t or []):
            if isinstance(c, tuple):
                assert_same(list(a), list(c))
            else:
                assert a == c, flags


def graph_names(fn, depth=6):
    """The node names of a result's graph, depth first, to a given depth."""
    out, stack = [], [(fn, 0)]
    while stack:
        f, d = stack.pop()
        if f is None or d > depth:
            continue
        out.append((d, type(f).__name__))
        stack.extend((g, d + 1) for g, _ in reversed(f.next_functions))
    return out


@pytest.mark.parametrize("shape,reduction", [
    ((2, 3, 4), "none"), ((2, 3, 4), "mean"), ((2, 3, 4), "sum"), ((2, 3, 2, 2, 3), "none"),
    ((2, 3, 0), "none"), ((2, 3, 2, 2), "none"),
])
def test_nll_loss_nd_graph_and_values(shape, reduction):
    # torch runs 3-D and >4-D inputs through the 2-D loss on a (N, C, 1, -1) view.
    x = rnd(*shape)
    t = np.random.default_rng(1).integers(0, 3, (shape[0],) + shape[2:])
    res = []
    for lib in (ember, torch):
        xs = lib.from_numpy(x.copy()).requires_grad_()
        w = lib.tensor([0.5, 1.0, 2.0])
        out = lib.nn.functional.nll_loss(xs, lib.from_numpy(t), w, reduction=reduction)
        ce = lib.nn.functional.cross_entropy(xs, lib.from_numpy(t), reduction=reduction)
        (out.sum() + ce.sum()).backward()
        res.append((out, ce, xs.grad, graph_names(out.grad_fn), graph_names(ce.grad_fn)))
    assert_same(res[0][:3], res[1][:3], **F32)
    assert res[0][3:] == res[1][3:]


def test_nll_loss_nd_errors():
    for xs, ts in [((2, 3, 4), (2, 5)), ((2, 3, 4, 5, 6), (2, 4, 5, 7)),
                   ((2, 3, 4, 5), (2, 4, 6))]:
        same_error(lambda xs=xs, ts=ts: ember.nn.functional.nll_loss(
                       ember.zeros(*xs), ember.zeros(*ts, dtype=ember.long)),
                   lambda xs=xs, ts=ts: torch.nn.functional.nll_loss(
                       torch.zeros(*xs), torch.zeros(*ts, dtype=torch.long)))


@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_recurrent_graph_names(name):
    # torch's GRU splits its gates with unsafe_chunk; ember's with chunk.
    res = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        m = getattr(lib.nn, name)(3, 4)
        out = m(lib.from_numpy(rnd(2, 1, 3)).requires_grad_())[0]
        res.append([(d, n.replace("UnsafeSplit", "Split")) for d, n in graph_names(out.grad_fn)])
    assert res[0] == res[1]


@pytest.mark.parametrize("nd,size,output_size", [
    (2, (1, 2, 4, 4), [8, 8]),
    (2, (1, 2, 4, 4), (1, 3, 7, 8)),
    (1, (2, 5), [15]),
])
def test_conv_transpose_output_size(nd, size, output_size):
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        cls = lib.nn.ConvTranspose2d if nd == 2 else lib.nn.ConvTranspose1d
        m = cls(2, 3, 3, stride=2 if nd == 2 else 3, padding=1 if nd == 2 else 0)
        x = lib.from_numpy(np.random.default_rng(3).random(size).astype(np.float32))
        outs.append(m(x, output_size=output_size))
    assert_same(outs[0], outs[1].detach())


def test_conv_transpose_output_size_errors():
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), lib.ones(1, 2, 4, 4)

    for bad in ([10, 10], [7]):
        same_error(lambda b=bad: (lambda m, x: m(x, output_size=b))(*build(ember)),
                   lambda b=bad: (lambda m, x: m(x, output_size=b))(*build(torch)))
