"""Recurrent layers against torch: the graph they record (a float32 LSTM layer is one
MkldnnRnnLayerBackward0 node, as torch's CPU kernel; float64 steps through StackBackward0),
values, gradients of every input and parameter, second derivatives through the fused
layer, and its saved-tensor checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error


def _names(fn, seen=None, out=None):
    # The node names of a graph, depth first (each node once).
    if seen is None:
        seen, out = set(), []
    stack = [fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        out.append(fn.name().replace("torch::autograd::", ""))
        stack.extend(f for f, _ in reversed(fn.next_functions))
    return out


def _twins(cls, dtype, **kw):
    t = getattr(torch.nn, cls)(3, 4, **kw).to(getattr(torch, dtype))
    e = getattr(ember.nn, cls)(3, 4, **kw).to(getattr(ember, dtype))
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    return e, t


def _leaf(lib, a):
    return lib.from_numpy(a.copy()).requires_grad_()


CONFIGS = [
    ("LSTM", "float32", {}), ("LSTM", "float64", {}), ("LSTM", "float32", {"batch_first": True}),
    ("LSTM", "float64", {"batch_first": True}),
    ("LSTM", "float32", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", "float32", {"bias": False}), ("RNN", "float32", {"nonlinearity": "relu"}),
    ("RNN", "float64", {"num_layers": 2}), ("GRU", "float32", {}),
    ("GRU", "float64", {"bidirectional": True}),
]


@pytest.mark.parametrize("cls,dtype,kw", CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_graph_values_and_gradients(cls, dtype, kw, with_state):
    e, t = _twins(cls, dtype, **kw)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3) if kw.get("batch_first") else (5, 2, 3)).astype(dtype)
    layers = t.num_layers * (2 if t.bidirectional else 1)
    states = [rng.standard_normal((layers, 2, 4)).astype(dtype) for _ in range(2)]
    ex, tx = _leaf(ember, x), _leaf(torch, x)
    es = [_leaf(ember, s) for s in states]
    ts = [_leaf(torch, s) for s in states]
    args_e, args_t = (ex,), (tx,)
    if with_state:
        args_e += (tuple(es) if cls == "LSTM" else es[0],)
        args_t += (tuple(ts) if cls == "LSTM" else ts[0],)
    eo, eh = e(*args_e)
    to, th = t(*args_t)
    for a, b in [(eo, to)] + list(zip(eh if cls == "LSTM" else (eh,),
                                       th if cls == "LSTM" else (th,))):
        assert _names(a.grad_fn) == _names(b.grad_fn)
        assert a.grad_fn.name() == b.grad_fn.name()
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {}
    assert_same(eo, to, **tol)
    w = rng.standard_normal(to.shape).astype(dtype)
    finals = (lambda h: h[0].sum() * 2 + (h[1] ** 2).sum()) if cls == "LSTM" else \
        (lambda h: (h ** 2).sum())
    ((eo * ember.from_numpy(w)).sum() + finals(eh)).backward()
    ((to * torch.from_numpy(w)).sum() + finals(th)).backward()
    assert_same(ex.grad, tx.grad, **tol)
    if with_state:
        for a, b in zip(es, ts):
            assert_same(a.grad, b.grad, **tol)
    for ep, tp in zip(e.parameters(), t.parameters()):
        assert_same(ep.grad, tp.grad, rtol=1e-4 if dtype == "float32" else None,
                    atol=1e-5 if dtype == "float32" else None)


@pytest.mark.parametrize("kw", [{}, {"bidirectional": True, "batch_first": True}])
def test_fused_lstm_second_derivatives(kw):
    e, t = _twins("LSTM", "float32", **kw)
    x = np.random.default_rng(1).standard_normal((4, 2, 3)).astype(np.float32)
    ex, tx = _leaf(ember, x), _leaf(torch, x)
    outs = []
    for lib, m, xx in ((ember, e, ex), (torch, t, tx)):
        out, (h, c) = m(xx)
        loss = (out ** 2).sum() + (h * c).sum()
        params = [xx] + list(m.parameters())
        grads = lib.autograd.grad(loss, params, create_graph=True)
        total = sum((g ** 2).sum() for g in grads)
        outs.append((grads, lib.autograd.grad(total, params)))
    (eg, egg), (tg, tgg) = outs
    assert_same(list(eg), list(tg), rtol=1e-4, atol=1e-5)
    assert_same(list(egg), list(tgg), rtol=1e-3, atol=1e-4)


def test_fused_lstm_checks_its_saved_tensors():
    e, t = _twins("LSTM", "float32")
    errors = []
    for lib, m in ((ember, e), (torch, t)):
        x = lib.ones(3, 1, 3)
        out, _ = m(x)
        with lib.no_grad():
            m.weight_hh_l0.mul_(2)
        try:
            out.sum().backward()
        except RuntimeError as err:
            # (The version numbers count the initialisation's in-place writes, which differ.)
            errors.append(str(err).split(" is at version")[0])
    assert len(errors) == 2 and errors[0] == errors[1]


def test_fused_lstm_without_grad_and_unbatched():
    e, t = _twins("LSTM", "float32", num_layers=2)
    x = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    with ember.no_grad():
        eo, (eh, ec) = e(ember.from_numpy(x))
    with torch.no_grad():
        to, (th, tc) = t(torch.from_numpy(x))
    assert eo.grad_fn is None
    assert_same([eo, eh, ec], [to, th, tc], rtol=1e-5, atol=1e-6)
    eo, _ = e(_leaf(ember, x))
    to, _ = t(_leaf(torch, x))
    assert _names(eo.grad_fn) == _names(to.grad_fn)


def test_empty_sequence():
    for cls in ("LSTM", "GRU"):
        e, t = _twins(cls, "float32")
        with pytest.raises(RuntimeError) as te:
            t(torch.zeros(0, 2, 3))
        with pytest.raises(RuntimeError) as ee:
            e(ember.zeros(0, 2, 3))
        assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("cls", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cell_graphs(cls):
    e, t = _twins(cls, "float64")
    x = np.random.default_rng(3).standard_normal((2, 3))
    eo, to = e(_leaf(ember, x)), t(_leaf(torch, x))
    eo, to = (eo[1], to[1]) if cls == "LSTMCell" else (eo, to)
    assert _names(eo.grad_fn) == _names(to.grad_fn)
    assert_same(eo, to)


def test_unsafe_split_and_chunk():
    a = np.arange(12.0).reshape(3, 4)
    for fn in (lambda lib, x: lib.unsafe_chunk(x, 2, 1),
               lambda lib, x: x.unsafe_split(2, 0),
               lambda lib, x: lib.unsafe_chunk(x[:0], 3, 0)):
        ex, tx = _leaf(ember, a), _leaf(torch, a)
        ep, tp = fn(ember, ex), fn(torch, tx)
        assert [p.grad_fn.name() for p in ep] == [p.grad_fn.name() for p in tp]
        assert_same(list(ep), list(tp))
        sum((p * (k + 1)).sum() for k, p in enumerate(ep)).backward()
        sum((p * (k + 1)).sum() for k, p in enumerate(tp)).backward()
        assert_same(ex.grad, tx.grad)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True,
                                     "batch_first": True}])
def test_lstm_with_projections(dtype, kw):
    with pytest.warns(UserWarning, match="LSTM with projections") if dtype == "float32" \
            else warnings.catch_warnings():
        e, t = _twins("LSTM", dtype, proj_size=2, **kw)
        assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert repr(e) == repr(t)
        rng = np.random.default_rng(4)
        x = rng.standard_normal((2, 5, 3) if kw else (5, 2, 3)).astype(dtype)
        layers = t.num_layers * (2 if t.bidirectional else 1)
        h0 = rng.standard_normal((layers, 2, 2)).astype(dtype)
        c0 = rng.standard_normal((layers, 2, 4)).astype(dtype)
        leaves = [(_leaf(ember, a), _leaf(torch, a)) for a in (x, h0, c0)]
        eo, (eh, ec) = e(leaves[0][0], (leaves[1][0], leaves[2][0]))
        to, (th, tc) = t(leaves[0][1], (leaves[1][1], leaves[2][1]))
    assert _names(eo.grad_fn) == _names(to.grad_fn)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {}
    assert_same([eo, eh, ec], [to, th, tc], **tol)
    (eo.sum() + (eh ** 2).sum() + ec.sum()).backward()
    (to.sum() + (th ** 2).sum() + tc.sum()).backward()
    for a, b in leaves:
        assert_same(a.grad, b.grad, **tol)
    for a, b in zip(e.parameters(), t.parameters()):
        assert_same(a.grad, b.grad, rtol=1e-4 if dtype == "float32" else None,
                    atol=1e-5 if dtype == "float32" else None)


@pytest.mark.parametrize("make", [
    lambda nn: nn.LSTM(3, 4, proj_size=-1), lambda nn: nn.LSTM(3, 4, proj_size=4),
    lambda nn: nn.GRU(3, 4, proj_size=2),
    lambda nn: nn.LSTM(3, 4, proj_size=2)(
        (torch if nn is torch.nn else ember).zeros(2, 1, 3),
        tuple((torch if nn is torch.nn else ember).zeros(1, 1, 4) for _ in range(2))),
])
def test_projection_errors(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: make(ember.nn), lambda: make(torch.nn))


def test_fused_lstm_refuses_forward_ad_as_torch():
    e, t = _twins("LSTM", "float32")
    x = np.random.default_rng(5).standard_normal((3, 2, 3)).astype(np.float32)
    same_error(lambda: ember.func.jvp(lambda a: e(a)[0], (ember.from_numpy(x),),
                                      (ember.ones(3, 2, 3),)),
               lambda: torch.func.jvp(lambda a: t(a)[0], (torch.from_numpy(x),),
                                      (torch.ones(3, 2, 3),)))
