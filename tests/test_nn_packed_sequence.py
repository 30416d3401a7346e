"""Packed sequences against torch: nn.utils.rnn's packing and padding (values, batch sizes,
permutations, the graph they record, gradients, errors, printed form), and RNN, LSTM and GRU
running over a PackedSequence (values, final states, graphs, gradients of the input, the
initial state and every parameter, dropout between layers, errors)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, first_errors

T_RNN = torch.nn.utils.rnn
E_RNN = ember.nn.utils.rnn


def _names(fn):
    # The node names of a graph, depth first (each node once).
    seen, out, stack = set(), [], [fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        out.append(fn.name().replace("torch::autograd::", ""))
        stack.extend(f for f, _ in reversed(fn.next_functions))
    return out


def _leaf(lib, a):
    t = lib.from_numpy(a.copy())
    return t.requires_grad_() if a.dtype.kind == "f" else t


def _tol(dtype):
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {}


def _grad_tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {}


def _padded(rng, lengths, batch_first, dtype, rest=(3,)):
    steps, batch = max(lengths), len(lengths)
    shape = (batch, steps) + rest if batch_first else (steps, batch) + rest
    return rng.standard_normal(shape).astype(dtype)


# -- packing and padding ---------------------------------------------------------------------

PACK_FORMS = [
    # (lengths, as a tensor, batch_first, enforce_sorted)
    ([4, 3, 3, 1], False, False, True),
    ([4, 3, 3, 1], True, True, True),
    ([2, 4, 1, 3], False, True, False),
    ([2, 4, 1, 4], True, False, False),
    ([3, 3], False, False, True),
]


@pytest.mark.parametrize("lengths,as_tensor,batch_first,enforce_sorted", PACK_FORMS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pack_and_pad_values_graphs_and_gradients(lengths, as_tensor, batch_first,
                                                   enforce_sorted, dtype):
    rng = np.random.default_rng(0)
    x = _padded(rng, lengths, batch_first, dtype, (2, 3))
    results = []
    for lib, rnn in ((ember, E_RNN), (torch, T_RNN)):
        xx = _leaf(lib, x)
        lens = lib.tensor(lengths) if as_tensor else list(lengths)
        packed = rnn.pack_padded_sequence(xx, lens, batch_first=batch_first,
                                          enforce_sorted=enforce_sorted)
        padded, out_lengths = rnn.pad_packed_sequence(packed, batch_first=batch_first,
                                                      padding_value=-2.5,
                                                      total_length=max(lengths) + 2)
        results.append((xx, packed, padded, out_lengths))
    (ex, ep, epad, elen), (tx, tp, tpad, tlen) = results
    assert type(ep) is E_RNN.PackedSequence and ep._fields == tp._fields
    assert_same(list(ep), list(tp))
    assert_same([epad, elen], [tpad, tlen])
    assert _names(ep.data.grad_fn) == _names(tp.data.grad_fn)
    assert _names(epad.grad_fn) == _names(tpad.grad_fn)
    w = rng.standard_normal(tuple(tpad.shape)).astype(dtype)
    eg, = ember.autograd.grad((epad * ember.from_numpy(w)).sum(), ex, create_graph=True)
    tg, = torch.autograd.grad((tpad * torch.from_numpy(w)).sum(), tx, create_graph=True)
    assert_same(eg, tg)
    # The packed data's own gradient, and its second derivative through the backward.
    w2 = rng.standard_normal(tuple(tp.data.shape)).astype(dtype)
    egd, = ember.autograd.grad((ep.data ** 2 * ember.from_numpy(w2)).sum(), ex,
                               create_graph=True)
    tgd, = torch.autograd.grad((tp.data ** 2 * torch.from_numpy(w2)).sum(), tx,
                               create_graph=True)
    assert_same(egd, tgd)
    assert egd.grad_fn.name() == tgd.grad_fn.name()
    w3 = rng.standard_normal(x.shape).astype(dtype)
    ((egd * ember.from_numpy(w3)) ** 2).sum().backward()
    ((tgd * torch.from_numpy(w3)) ** 2).sum().backward()
    assert_same(ex.grad, tx.grad)


def test_pack_padded_sequence_of_integers_and_lengths_beyond_the_input():
    tokens = np.array([[5, 2, 7], [1, 9, 0], [4, 0, 0]])
    for lengths in ([3, 2, 1], [5, 1, 1], np.array([3.7, 2.2, 1.0])):
        e_lens = ember.from_numpy(lengths) if isinstance(lengths, np.ndarray) else lengths
        t_lens = torch.from_numpy(lengths) if isinstance(lengths, np.ndarray) else lengths
        ep = E_RNN.pack_padded_sequence(ember.from_numpy(tokens), e_lens, batch_first=True)
        tp = T_RNN.pack_padded_sequence(torch.from_numpy(tokens), t_lens, batch_first=True)
        assert_same(list(ep), list(tp))


def test_pack_sequence_unpack_sequence_and_unpad_sequence():
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((n, 2)) for n in (2, 5, 3)]
    for enforce_sorted in (False, True):
        seqs = sorted(arrays, key=len, reverse=True) if enforce_sorted else arrays
        ep = E_RNN.pack_sequence([ember.from_numpy(a) for a in seqs], enforce_sorted)
        tp = T_RNN.pack_sequence([torch.from_numpy(a) for a in seqs], enforce_sorted)
        assert_same(list(ep), list(tp))
        assert_same(E_RNN.unpack_sequence(ep), T_RNN.unpack_sequence(tp))
    for batch_first in (False, True):
        padded = T_RNN.pad_sequence([torch.from_numpy(a) for a in arrays], batch_first)
        lengths = torch.tensor([2, 5, 3])
        e_out = E_RNN.unpad_sequence(ember.from_numpy(padded.numpy().copy()),
                                     ember.tensor([2, 5, 3]), batch_first)
        assert_same(e_out, T_RNN.unpad_sequence(padded, lengths, batch_first))
    ints = [np.array([1, 2, 3]), np.array([4, 5]), np.array([6])]
    assert_same(list(E_RNN.pack_sequence([ember.from_numpy(a) for a in ints])),
                list(T_RNN.pack_sequence([torch.from_numpy(a) for a in ints])))


def test_invert_permutation():
    perm = np.array([3, 0, 2, 4, 1])
    assert_same(E_RNN.invert_permutation(ember.from_numpy(perm)),
                T_RNN.invert_permutation(torch.from_numpy(perm)))
    assert E_RNN.invert_permutation(None) is None


def test_printed_form():
    x = np.arange(12.0).reshape(3, 2, 2).astype(np.float32)
    for lengths, enforce_sorted in (([3, 1], True), ([1, 3], False)):
        ep = E_RNN.pack_padded_sequence(_leaf(ember, x), lengths, enforce_sorted=enforce_sorted)
        tp = T_RNN.pack_padded_sequence(_leaf(torch, x), lengths, enforce_sorted=enforce_sorted)
        assert repr(ep) == repr(tp)
        assert str(ep) == str(tp)
    ints = [np.array([1, 2, 3]), np.array([4, 5]), np.array([6])]
    assert repr(E_RNN.pack_sequence([ember.from_numpy(a) for a in ints])) == \
        repr(T_RNN.pack_sequence([torch.from_numpy(a) for a in ints]))


def test_packed_sequence_methods():
    x = np.arange(12.0).reshape(3, 2, 2).astype(np.float32)
    ep = E_RNN.pack_padded_sequence(ember.from_numpy(x), [1, 3], enforce_sorted=False)
    tp = T_RNN.pack_padded_sequence(torch.from_numpy(x), [1, 3], enforce_sorted=False)
    for name in ("double", "float", "half", "long", "int", "short", "char", "byte", "cpu"):
        e2, t2 = getattr(ep, name)(), getattr(tp, name)()
        assert_same(list(e2), list(t2))
        assert (e2 is ep) == (t2 is tp), name
    for args, kwargs in (((ember.float64,), {}), ((), {"dtype": ember.float32}), (("cpu",), {})):
        t_args = tuple(getattr(torch, str(a).split(".")[1]) if isinstance(a, ember.dtype)
                       else a for a in args)
        t_kwargs = {k: getattr(torch, str(v).split(".")[1]) for k, v in kwargs.items()}
        e2, t2 = ep.to(*args, **kwargs), tp.to(*t_args, **t_kwargs)
        assert_same(list(e2), list(t2))
        assert (e2 is ep) == (t2 is tp)
    assert ep.is_cuda is tp.is_cuda is False
    assert ep.is_pinned() is tp.is_pinned() is False
    assert first_errors(lambda lib: (E_RNN if lib is ember else T_RNN).PackedSequence(
        lib.ones(3))) == [("AssertionError", "Expected data to be a list or tuple of length 2")] * 2
    # Made from (data, batch_sizes) with the sorted indices alone: their inverse is computed.
    made = [rnn.PackedSequence((lib.ones(3), lib.tensor([2, 1])), sorted_indices=lib.tensor(
        [1, 0])) for lib, rnn in ((ember, E_RNN), (torch, T_RNN))]
    assert_same(list(made[0]), list(made[1]))


def _packed(lib):
    rnn = E_RNN if lib is ember else T_RNN
    return rnn.pack_padded_sequence(lib.ones(3, 2, 2), [3, 1])


PACK_ERRORS = {
    "unsorted": lambda lib, rnn: rnn.pack_padded_sequence(lib.ones(3, 2, 2), [1, 3]),
    "zero length": lambda lib, rnn: rnn.pack_padded_sequence(lib.ones(3, 2, 2), [3, 0]),
    "zero length unsorted": lambda lib, rnn: rnn.pack_padded_sequence(
        lib.ones(3, 2, 2), [0, 2], enforce_sorted=False),
    "negative length": lambda lib, rnn: rnn.pack_padded_sequence(lib.ones(3, 2, 2), [3, -1]),
    "too few lengths": lambda lib, rnn: rnn.pack_padded_sequence(lib.ones(3, 2, 2), [3]),
    "too many lengths": lambda lib, rnn: rnn.pack_padded_sequence(
        lib.ones(3, 2, 2), [2, 2, 1, 1], batch_first=True),
    "2-D lengths": lambda lib, rnn: rnn.pack_padded_sequence(lib.ones(3, 2, 2),
                                                             lib.tensor([[3, 1]])),
    "0-D lengths": lambda lib, rnn: rnn.pack_padded_sequence(lib.ones(3, 2, 2), lib.tensor(3)),
    "string lengths": lambda lib, rnn: rnn.pack_padded_sequence(lib.ones(3, 2, 2), "ab"),
    "empty input": lambda lib, rnn: rnn.pack_padded_sequence(lib.zeros(0, 2, 2), [3, 1]),
    "1-D input": lambda lib, rnn: rnn.pack_padded_sequence(lib.ones(3), [3]),
    "1-D input batch_first": lambda lib, rnn: rnn.pack_padded_sequence(lib.ones(3), [3],
                                                                       batch_first=True),
    "total_length too short": lambda lib, rnn: rnn.pad_packed_sequence(_packed(lib),
                                                                       total_length=2),
    "total_length a float": lambda lib, rnn: rnn.pad_packed_sequence(_packed(lib),
                                                                     total_length=3.5),
    "padding_value a string": lambda lib, rnn: rnn.pad_packed_sequence(_packed(lib),
                                                                       padding_value="a"),
    "pad a tensor": lambda lib, rnn: rnn.pad_packed_sequence(lib.ones(3, 2)),
    "pack nothing": lambda lib, rnn: rnn.pack_sequence([]),
    "pack unsorted": lambda lib, rnn: rnn.pack_sequence([lib.ones(2), lib.ones(3)]),
    "unpad more lengths": lambda lib, rnn: rnn.unpad_sequence(lib.ones(3, 2, 2),
                                                              lib.tensor([3, 1, 1])),
    "unpad list lengths": lambda lib, rnn: rnn.unpad_sequence(lib.ones(3, 2, 2), [3, 1]),
    "pin_memory": lambda lib, rnn: _packed(lib).pin_memory(),
    "cuda": lambda lib, rnn: _packed(lib).cuda(),
}


@pytest.mark.parametrize("name", sorted(PACK_ERRORS))
def test_packing_errors(name):
    errors = first_errors(lambda lib: PACK_ERRORS[name](lib, E_RNN if lib is ember else T_RNN))
    assert errors[0] == errors[1]


# -- recurrent layers over packed sequences --------------------------------------------------

def _twins(cls, dtype, **kw):
    t = getattr(torch.nn, cls)(3, 4, **kw).to(getattr(torch, dtype))
    e = getattr(ember.nn, cls)(3, 4, **kw).to(getattr(ember, dtype))
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    return e, t


MODULES = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "bias": False}),
    ("GRU", {}), ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {}), ("LSTM", {"num_layers": 2}), ("LSTM", {"bidirectional": True}),
    ("LSTM", {"bias": False, "batch_first": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
]
# (lengths, as a tensor, batch_first, enforce_sorted): sorted, shuffled with ties, all equal
MODULE_FORMS = [([5, 3, 3, 1], False, False, True), ([2, 5, 1, 3, 5], True, True, False),
                ([4, 4], False, True, False)]


def _states(lib, arrays):
    return [_leaf(lib, a) for a in arrays]


@pytest.mark.parametrize("cls,kw", MODULES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("form", range(len(MODULE_FORMS)))
def test_module_over_packed_input(cls, kw, dtype, with_state, form):
    lengths, as_tensor, batch_first, enforce_sorted = MODULE_FORMS[form]
    e, t = _twins(cls, dtype, **kw)
    rng = np.random.default_rng(form)
    x = _padded(rng, lengths, batch_first, dtype)
    layers = t.num_layers * (2 if t.bidirectional else 1)
    sizes = [t.proj_size or 4, 4] if cls == "LSTM" else [4]
    states = [rng.standard_normal((layers, len(lengths), s)).astype(dtype) for s in sizes]
    runs = []
    for lib, rnn, m in ((ember, E_RNN, e), (torch, T_RNN, t)):
        xx = _leaf(lib, x)
        hx = _states(lib, states)
        lens = lib.tensor(lengths) if as_tensor else lengths
        packed = rnn.pack_padded_sequence(xx, lens, batch_first, enforce_sorted)
        args = (packed,) + (((tuple(hx) if cls == "LSTM" else hx[0]),) if with_state else ())
        out, h = m(*args)
        runs.append((xx, hx, out, h if cls == "LSTM" else (h,), rnn))
    (ex, ehx, eo, eh, _), (tx, thx, to, th, _) = runs
    assert type(eo) is E_RNN.PackedSequence
    assert_same(list(eo), list(to), **_tol(dtype))
    assert_same(list(eh), list(th), **_tol(dtype))
    assert _names(eo.data.grad_fn) == _names(to.data.grad_fn)
    for a, b in zip(eh, th):
        assert _names(a.grad_fn) == _names(b.grad_fn)
    tp, _ = T_RNN.pad_packed_sequence(to, batch_first)
    w = rng.standard_normal(tuple(tp.shape)).astype(dtype)
    for _, _, out, h, rnn in runs:
        lib = ember if rnn is E_RNN else torch
        padded, _ = rnn.pad_packed_sequence(out, batch_first)
        loss = (padded * lib.from_numpy(w)).sum() + sum((k + 2) * (s ** 2).sum()
                                                       for k, s in enumerate(h))
        loss.backward()
    assert_same(ex.grad, tx.grad, **_grad_tol(dtype))
    for a, b in zip(ehx, thx):
        assert_same(a.grad if with_state else None, b.grad if with_state else None,
                    **_grad_tol(dtype))
    for a, b in zip(e.parameters(), t.parameters()):
        assert_same(a.grad, b.grad, **_grad_tol(dtype))


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
def test_dropout_between_layers_draws_as_torch(cls):
    e, t = _twins(cls, "float32", num_layers=3, dropout=0.4, bidirectional=True)
    rng = np.random.default_rng(5)
    seqs = [rng.standard_normal((n, 3)).astype(np.float32) for n in (2, 6, 3, 6)]
    runs = []
    for lib, rnn, m in ((ember, E_RNN, e), (torch, T_RNN, t)):
        lib.manual_seed(7)
        leaves = [_leaf(lib, s) for s in seqs]
        out, h = m(rnn.pack_sequence(leaves, enforce_sorted=False))
        h = h if cls == "LSTM" else (h,)
        (out.data.sum() + sum((s ** 2).sum() for s in h)).backward()
        runs.append((out, h, leaves, lib.rand(3)))
    (eo, eh, el, e_next), (to, th, tl, t_next) = runs
    assert_same(list(eo), list(to), **_tol("float32"))
    assert_same(list(eh), list(th), **_tol("float32"))
    assert_same([a.grad for a in el], [b.grad for b in tl], **_grad_tol("float32"))
    for a, b in zip(e.parameters(), t.parameters()):
        assert_same(a.grad, b.grad, **_grad_tol("float32"))
    assert_same(e_next, t_next)  # the same numbers drawn
    # In eval mode no dropout: the packed output of the longest sequence's last step.
    e.eval()
    t.eval()
    ep = E_RNN.pack_sequence([ember.from_numpy(s) for s in seqs], enforce_sorted=False)
    tp = T_RNN.pack_sequence([torch.from_numpy(s) for s in seqs], enforce_sorted=False)
    assert_same(e(ep)[0].data, t(tp)[0].data, **_tol("float32"))


@pytest.mark.parametrize("cls", ["GRU", "LSTM"])
def test_second_derivatives_through_packed_layers(cls):
    e, t = _twins(cls, "float64", bidirectional=True)
    x = np.random.default_rng(6).standard_normal((4, 3, 3))
    outs = []
    for lib, rnn, m in ((ember, E_RNN, e), (torch, T_RNN, t)):
        xx = _leaf(lib, x)
        out, h = m(rnn.pack_padded_sequence(xx, [1, 4, 2], enforce_sorted=False))
        h = h if cls == "LSTM" else (h,)
        loss = (out.data ** 2).sum() + sum((s * s.sum()).sum() for s in h)
        params = [xx] + list(m.parameters())
        grads = lib.autograd.grad(loss, params, create_graph=True)
        outs.append((grads, lib.autograd.grad(sum((g ** 2).sum() for g in grads), params)))
    (eg, egg), (tg, tgg) = outs
    assert_same(list(eg), list(tg))
    assert_same(list(egg), list(tgg))


def test_module_without_grad_and_in_a_program():
    # Under no_grad nothing records, and the padded output of a packed LSTM matches torch.
    e, t = _twins("LSTM", "float32", batch_first=True)
    x = np.random.default_rng(7).standard_normal((3, 4, 3)).astype(np.float32)
    with ember.no_grad():
        eo, (eh, ec) = e(E_RNN.pack_padded_sequence(ember.from_numpy(x), [4, 1, 2], True,
                                                    False))
    with torch.no_grad():
        to, (th, tc) = t(T_RNN.pack_padded_sequence(torch.from_numpy(x), [4, 1, 2], True,
                                                    False))
    assert eo.data.grad_fn is None and eh.grad_fn is None
    assert_same([E_RNN.pad_packed_sequence(eo, True)[0], eh, ec],
                [T_RNN.pad_packed_sequence(to, True)[0], th, tc], **_tol("float32"))


def _module_call(cls, data_shape=(3, 2, 3), dtype="float32", state=None, lengths=(3, 1),
                 enforce_sorted=True, **kw):
    def call(lib):
        rnn = E_RNN if lib is ember else T_RNN
        m = getattr(lib.nn, cls)(3, 4, **kw)
        x = lib.ones(*data_shape, dtype=getattr(lib, dtype))
        packed = rnn.pack_padded_sequence(x, list(lengths), enforce_sorted=enforce_sorted)
        return m(packed) if state is None else m(packed, state(lib))
    return call


MODULE_ERRORS = {
    **{f"{cls} {what}": _module_call(cls, **kw) for cls in ("RNN", "GRU", "LSTM")
       for what, kw in {
           "hidden batch": {"state": lambda lib: lib.zeros(1, 3, 4)},
           "hidden size": {"state": lambda lib: lib.zeros(1, 2, 5)},
           "hidden 2-D": {"state": lambda lib: lib.zeros(2, 4)},
           "input size": {"data_shape": (3, 2, 5)},
           "4-D input": {"data_shape": (3, 2, 5, 3)},
           "dtype": {"dtype": "float64"},
           "state dtype": {"state": lambda lib: lib.zeros(1, 2, 4, dtype=lib.float64)},
           "tuple state": {"state": lambda lib: (lib.zeros(1, 2, 4), lib.zeros(1, 2, 4))},
       }.items() if (cls, what) != ("LSTM", "tuple state")},
    "LSTM one state": _module_call("LSTM", state=lambda lib: (lib.zeros(1, 2, 4),)),
    "LSTM three states": _module_call("LSTM", state=lambda lib: [lib.zeros(1, 2, 4)] * 3),
    "LSTM tensor state": _module_call("LSTM", state=lambda lib: lib.zeros(1, 2, 4)),
    "LSTM states' dtype": _module_call(
        "LSTM", state=lambda lib: (lib.zeros(1, 2, 4, dtype=lib.float64),) * 2),
    "LSTM cell size": _module_call("LSTM", state=lambda lib: (lib.zeros(1, 2, 4),
                                                              lib.zeros(1, 2, 3))),
    "LSTM dtype without bias": _module_call("LSTM", dtype="float64", bias=False),
    "RNN sorted tuple state": _module_call(
        "RNN", lengths=(1, 3), enforce_sorted=False, state=lambda lib: (lib.zeros(1, 2, 4),)),
    "GRU hidden batch sorted": _module_call(
        "GRU", lengths=(1, 3), enforce_sorted=False, state=lambda lib: lib.zeros(1, 1, 4)),
    "LSTM hidden batch sorted": _module_call(
        "LSTM", lengths=(1, 3), enforce_sorted=False,
        state=lambda lib: (lib.zeros(1, 1, 4), lib.zeros(1, 2, 4))),
    "LSTM projections without their state": _module_call(
        "LSTM", proj_size=2, num_layers=4, state=lambda lib: (lib.zeros(4, 2, 4),) * 2),
    "LSTM projections without their state, 2 layers": _module_call(
        "LSTM", proj_size=2, num_layers=2, state=lambda lib: (lib.zeros(2, 2, 4),) * 2),
    "LSTM states of 3 layers": _module_call("LSTM", state=lambda lib: (lib.zeros(3, 2, 4),) * 2),
    "LSTM bidirectional, odd states": _module_call(
        "LSTM", bidirectional=True, state=lambda lib: (lib.zeros(1, 2, 4),) * 2),
    "LSTM bidirectional, 2 layers of states": _module_call(
        "LSTM", bidirectional=True, state=lambda lib: (lib.zeros(4, 2, 4),) * 2),
}


@pytest.mark.parametrize("name", sorted(MODULE_ERRORS))
def test_module_errors_on_packed_input(name):
    errors = first_errors(MODULE_ERRORS[name])
    assert errors[0] == errors[1]


def test_forward_ad_is_refused_as_torch_refuses_it():
    # torch has no forward derivative of _pack_padded_sequence, nor of the fused LSTM layer.
    def pack(lib):
        fw = lib.autograd.forward_ad
        rnn = E_RNN if lib is ember else T_RNN
        with fw.dual_level():
            x = fw.make_dual(lib.ones(3, 2, 2), lib.ones(3, 2, 2))
            rnn.pack_padded_sequence(x, [3, 1], enforce_sorted=False)

    def lstm(lib):
        fw = lib.autograd.forward_ad
        with fw.dual_level():
            lib.nn.LSTM(2, 3)(fw.make_dual(lib.ones(3, 2, 2), lib.ones(3, 2, 2)))

    for call in (pack, lstm):
        errors = first_errors(call)
        assert errors[0] == errors[1] and errors[0][0] == "NotImplementedError"
