"""ember.nn modules against torch.nn: seeded initial weights bit for bit, outputs and gradients
with copied weights, the Module protocol (registration, traversal, state dicts, hooks, repr)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as enn
from helpers import assert_same, same_error


def build(lib, make):
    return make(lib.nn)


def twins(make, seed=0):
    """The same model built by both libraries after the same seed."""
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    return make(enn), make(tnn)


def assert_same_params(e, t, exact=True):
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        if exact:
            np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy(), err_msg=k)
        else:
            assert_same(es[k], ts[k])


SEEDED = {
    "linear": lambda nn: nn.Linear(7, 5),
    "conv2d": lambda nn: nn.Conv2d(3, 4, 3, padding=1),
    "conv1d_groups": lambda nn: nn.Conv1d(4, 6, 2, groups=2, bias=False),
    "convT": lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2),
    "embedding": lambda nn: nn.Embedding(10, 4, padding_idx=1),
    "lstm": lambda nn: nn.LSTM(4, 5, num_layers=2, bidirectional=True),
    "gru": lambda nn: nn.GRU(3, 4),
    "rnn": lambda nn: nn.RNN(3, 4, nonlinearity="relu", batch_first=True),
    "rnn_cell": lambda nn: nn.RNNCell(3, 4, nonlinearity="relu"),
    "rnn_cell_nobias": lambda nn: nn.RNNCell(3, 4, bias=False),
    "lstm_cell": lambda nn: nn.LSTMCell(3, 5),
    "gru_cell": lambda nn: nn.GRUCell(4, 3),
    "bilinear": lambda nn: nn.Bilinear(3, 4, 2),
    "mlp": lambda nn: nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)),
    "mha": lambda nn: nn.MultiheadAttention(8, 2),
    "bn": lambda nn: nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.LayerNorm(3),
                                   nn.GroupNorm(1, 2)),
}


@pytest.mark.parametrize("name", list(SEEDED))
def test_seeded_init_bit_exact_and_repr(name):
    e, t = twins(SEEDED[name])
    assert_same_params(e, t)
    assert repr(e) == repr(t)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]


def test_init_functions_bit_exact():
    for fn, kw in [("uniform_", {"a": -2, "b": 3}), ("normal_", {"std": 0.5}),
                   ("xavier_uniform_", {}), ("xavier_normal_", {"gain": 2.0}),
                   ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
                   ("kaiming_normal_", {}), ("trunc_normal_", {"std": 0.8}),
                   ("orthogonal_", {}), ("eye_", {}), ("constant_", {"val": 0.3})]:
        ember.manual_seed(4)
        torch.manual_seed(4)
        e = getattr(enn.init, fn)(ember.empty(5, 6), **kw)
        t = getattr(tnn.init, fn)(torch.empty(5, 6), **kw)
        if fn == "orthogonal_":
            assert_same(e, t, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(e.numpy(), t.numpy(), err_msg=fn)
    for nl in ["relu", "tanh", "sigmoid", "linear", "selu"]:
        assert enn.init.calculate_gain(nl) == tnn.init.calculate_gain(nl)
    assert enn.init.calculate_gain("leaky_relu", 0.2) == tnn.init.calculate_gain("leaky_relu",
                                                                                   0.2)
    same_error(lambda: enn.init.xavier_uniform_(ember.empty(3)),
               lambda: tnn.init.xavier_uniform_(torch.empty(3)))


def run_both(e, t, inputs, grad=True, out_index=None, rtol=None, atol=None):
    """Forward both models on the same inputs; compare outputs and parameter grads."""
    ein = [ember.from_numpy(x.copy()).requires_grad_(grad and x.dtype.kind == "f")
           for x in inputs]
    tin = [torch.from_numpy(x.copy()).requires_grad_(grad and x.dtype.kind == "f")
           for x in inputs]
    eo, to = e(*ein), t(*tin)
    if out_index is not None:
        eo, to = eo[out_index], to[out_index]
    assert_same(eo, to, rtol, atol)
    if grad:
        w = np.random.default_rng(0).standard_normal(tuple(to.shape)).astype(
            to.detach().numpy().dtype)
        (eo * ember.from_numpy(w)).sum().backward()
        (to * torch.from_numpy(w)).sum().backward()
        for (_, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
            assert_same(ep.grad, tp.grad, rtol, atol)
        for a, b in zip(ein, tin):
            if b.grad is not None:
                assert_same(a.grad, b.grad, rtol, atol)


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


F32 = {"rtol": 1e-4, "atol": 1e-5}


@pytest.mark.parametrize("name,shape", [
    ("linear", (3, 7)), ("conv2d", (2, 3, 5, 5)), ("conv1d_groups", (2, 4, 6)),
    ("convT", (1, 3, 4, 4)), ("bilinear", None), ("mlp", (4, 64)), ("bn", (3, 1, 5, 5)),
])
def test_forward_backward(name, shape):
    e, t = twins(SEEDED[name])
    inputs = [rnd(3, 3), rnd(3, 4, seed=1)] if shape is None else [rnd(*shape)]
    run_both(e, t, inputs, **F32)


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn"])
def test_recurrent(name):
    e, t = twins(SEEDED[name])
    x = rnd(3, 2, e.input_size) if name != "rnn" else rnd(2, 3, e.input_size)
    run_both(e, t, [x], out_index=0, **F32)
    eo, eh = e(ember.from_numpy(x[:, 0].copy()) if name != "rnn" else ember.from_numpy(x[0]))
    to, th = t(torch.from_numpy(x[:, 0].copy()) if name != "rnn" else torch.from_numpy(x[0]))
    assert_same(eo, to, **F32)
    assert_same(eh, th, **F32)


@pytest.mark.parametrize("name", ["rnn_cell", "rnn_cell_nobias", "lstm_cell", "gru_cell"])
def test_recurrent_cells(name):
    e, t = twins(SEEDED[name])
    lstm = name == "lstm_cell"
    x = rnd(2, e.input_size)
    run_both(e, t, [x], out_index=0 if lstm else None, **F32)
    # An initial state, batched and not; the node of the output, as torch's.
    h = rnd(2, e.hidden_size, seed=1)
    for batch in (slice(None), 0):
        state = (h[batch], h[batch] * 0.5) if lstm else h[batch]
        outs = []
        for lib, m in ((ember, e), (torch, t)):
            s = tuple(lib.from_numpy(np.ascontiguousarray(a)) for a in state) if lstm else \
                lib.from_numpy(np.ascontiguousarray(state))
            outs.append(m(lib.from_numpy(np.ascontiguousarray(x[batch])), s))
        for a, b in zip(*outs) if lstm else [outs]:
            assert_same(a, b, **F32)
    names = [m(lib.from_numpy(x)) for lib, m in ((ember, e), (torch, t))]
    names = [(o[0] if lstm else o).grad_fn.name() for o in names]
    assert names[0] == names[1]
    for bad in (lambda lib, m: m(lib.ones(1, 2, e.input_size)),
                lambda lib, m: m(lib.ones(2, e.input_size + 1)),
                lambda lib, m: m(lib.ones(e.input_size), (lib.ones(1, 1, 3),) * 2 if lstm
                                 else lib.ones(1, 1, 3))):
        same_error(lambda bad=bad: bad(ember, e), lambda bad=bad: bad(torch, t))


def test_lstm_states_and_mha():
    e, t = twins(lambda nn: nn.LSTM(3, 4, batch_first=True))
    x = rnd(2, 5, 3)
    h0, c0 = rnd(1, 2, 4, seed=1), rnd(1, 2, 4, seed=2)
    eo, (eh, ec) = e(ember.from_numpy(x), (ember.from_numpy(h0), ember.from_numpy(c0)))
    to, (th, tc) = t(torch.from_numpy(x), (torch.from_numpy(h0), torch.from_numpy(c0)))
    for a, b in [(eo, to), (eh, th), (ec, tc)]:
        assert_same(a, b, **F32)
    e, t = twins(SEEDED["mha"])
    q, k = rnd(4, 2, 8), rnd(5, 2, 8, seed=1)
    mask = np.zeros((2, 5), bool)
    mask[0, 4] = True
    eo, ew = e(ember.from_numpy(q), ember.from_numpy(k), ember.from_numpy(k),
               key_padding_mask=ember.from_numpy(mask))
    to, tw = t(torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(k),
               key_padding_mask=torch.from_numpy(mask))
    assert_same(eo, to, **F32)
    assert_same(ew, tw, **F32)
    run_both(e, t, [q, q, q], out_index=0, **F32)


def test_batchnorm_running_stats_and_eval():
    e, t = twins(lambda nn: nn.BatchNorm1d(3, momentum=None))
    for i in range(3):
        x = rnd(6, 3, seed=i)
        assert_same(e(ember.from_numpy(x)), t(torch.from_numpy(x)), **F32)
    assert_same_params(e, t, exact=False)
    e.eval()
    t.eval()
    x = rnd(4, 3, seed=9)
    assert_same(e(ember.from_numpy(x)), t(torch.from_numpy(x)), **F32)
    same_error(lambda: e(ember.zeros(2, 3, 4, 5)), lambda: t(torch.zeros(2, 3, 4, 5)))


def test_dropout_module_and_modes():
    e, t = twins(lambda nn: nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.4)))
    x = rnd(3, 5)
    ember.manual_seed(1)
    torch.manual_seed(1)
    assert_same(e(ember.from_numpy(x)), t(torch.from_numpy(x)), **F32)
    e.eval()
    t.eval()
    assert not e[1].training
    assert_same(e(ember.from_numpy(x)), t(torch.from_numpy(x)), **F32)


def test_activation_and_loss_modules():
    acts = ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Mish", "Softplus", "Sigmoid", "Tanh",
            "Hardtanh", "LogSigmoid", "ReLU6"]
    x = rnd(3, 4) * 3
    for name in acts:
        e, t = getattr(enn, name)(), getattr(tnn, name)()
        assert repr(e) == repr(t)
        assert_same(e(ember.from_numpy(x)), t(torch.from_numpy(x)), **F32)
    for e, t in [(enn.Softmax(1), tnn.Softmax(1)), (enn.LogSoftmax(-1), tnn.LogSoftmax(-1)),
                 (enn.GELU("tanh"), tnn.GELU("tanh")), (enn.LeakyReLU(0.2, True),
                                                        tnn.LeakyReLU(0.2, True))]:
        assert repr(e) == repr(t)
        assert_same(e(ember.from_numpy(x)), t(torch.from_numpy(x)), **F32)
    y = rnd(3, 4, seed=1)
    for name in ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss"]:
        e, t = getattr(enn, name)(), getattr(tnn, name)(reduction="mean")
        assert repr(e) == repr(t)
        assert_same(e(ember.from_numpy(x), ember.from_numpy(y)),
                    t(torch.from_numpy(x), torch.from_numpy(y)), **F32)
    tgt = np.array([0, 3, 1])
    w = np.array([1.0, 2.0, 0.5, 1.0], np.float32)
    e = enn.CrossEntropyLoss(weight=ember.from_numpy(w), label_smoothing=0.1)
    t = tnn.CrossEntropyLoss(weight=torch.from_numpy(w), label_smoothing=0.1)
    assert_same(e(ember.from_numpy(x), ember.from_numpy(tgt)),
                t(torch.from_numpy(x), torch.from_numpy(tgt)), **F32)
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]


def test_containers():
    e, t = twins(lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    assert repr(e[0:2]) == repr(t[0:2])
    assert repr(e[-1]) == repr(t[-1])
    assert len(e) == 3
    ml_e = enn.ModuleList([enn.Linear(2, 2) for _ in range(3)] + [enn.ReLU()])
    ml_t = tnn.ModuleList([tnn.Linear(2, 2) for _ in range(3)] + [tnn.ReLU()])
    assert repr(ml_e) == repr(ml_t)
    md_e = enn.ModuleDict({"a": enn.Linear(1, 2), "b": enn.Tanh()})
    md_t = tnn.ModuleDict({"a": tnn.Linear(1, 2), "b": tnn.Tanh()})
    assert repr(md_e) == repr(md_t)
    assert list(md_e.keys()) == ["a", "b"]
    pl = enn.ParameterList([enn.Parameter(ember.zeros(2)), enn.Parameter(ember.ones(3))])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    nested = enn.Sequential(enn.Flatten(), enn.Unflatten(1, (2, 2)), enn.Identity())
    tnested = tnn.Sequential(tnn.Flatten(), tnn.Unflatten(1, (2, 2)), tnn.Identity())
    assert repr(nested) == repr(tnested)
    assert nested(ember.zeros(3, 4)).shape == tnested(torch.zeros(3, 4)).shape


class _Net:
    @staticmethod
    def make(nn):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)
                self.register_buffer("steps", (ember if nn is enn else torch).zeros(1))
                self.register_buffer("scratch", (ember if nn is enn else torch).zeros(2),
                                     persistent=False)
                self.shared = self.fc
                self.block = nn.Sequential(nn.Linear(2, 2), nn.ReLU())

            def forward(self, x):
                return self.block(self.fc(x))

        return Net()


def test_module_protocol():
    e, t = twins(_Net.make)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    assert isinstance(e.fc.weight, enn.Parameter)
    assert repr(e.fc.bias).startswith("Parameter containing:\n")
    e.eval()
    assert not e.block[1].training
    e.train()
    seen = []
    e.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())
    d = e.double()
    assert d.fc.weight.dtype == ember.float64 and d.steps.dtype == ember.float64
    e.float()
    same_error(lambda: setattr(e, "fc", 3), lambda: setattr(t, "fc", 3))
    same_error(lambda: e.register_buffer("a.b", None), lambda: t.register_buffer("a.b", None))
    same_error(lambda: e.register_parameter("w", ember.zeros(2)),
               lambda: t.register_parameter("w", torch.zeros(2)))
    same_error(lambda: e.missing, lambda: t.missing)
    same_error(lambda: enn.Module.__init__(enn.Module(), foo=1),
               lambda: tnn.Module.__init__(tnn.Module(), foo=1))


def test_state_dict_roundtrip_and_errors():
    e, t = twins(_Net.make)
    sd = {k: ember.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()}
    e2 = _Net.make(enn)
    res = e2.load_state_dict(sd)
    assert repr(res) == repr(t.load_state_dict(t.state_dict()))
    assert_same_params(e2, t)
    bad = dict(sd)
    bad.pop("fc.bias")
    bad["extra"] = ember.zeros(1)
    tbad = {k: torch.from_numpy(v.numpy()) for k, v in bad.items()}
    same_error(lambda: e2.load_state_dict(bad), lambda: t.load_state_dict(tbad))
    res_e, res_t = e2.load_state_dict(bad, strict=False), t.load_state_dict(tbad, strict=False)
    assert res_e.missing_keys == res_t.missing_keys
    assert res_e.unexpected_keys == res_t.unexpected_keys
    wrong = dict(sd)
    wrong["fc.weight"] = ember.zeros(3, 3)
    twrong = {k: torch.from_numpy(v.numpy()) for k, v in wrong.items()}
    same_error(lambda: e2.load_state_dict(wrong), lambda: t.load_state_dict(twrong))
    c = copy.deepcopy(e2)
    assert isinstance(c.fc.weight, enn.Parameter) and c.fc.weight is not e2.fc.weight


def test_hooks():
    e, t = twins(lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)))
    logs = {"e": [], "t": []}
    for key, m in (("e", e), ("t", t)):
        log = logs[key]
        m[1].register_forward_pre_hook(lambda mod, args, log=log: log.append("pre"))
        m[1].register_forward_hook(lambda mod, args, out, log=log: out * 2)
        m[2].register_full_backward_hook(
            lambda mod, gi, go, log=log: log.append(
                ("bwd", [None if g is None else g.detach().numpy().round(5).tolist()
                         for g in gi],
                 [g.detach().numpy().round(5).tolist() for g in go])))
        m[2].register_full_backward_pre_hook(
            lambda mod, go, log=log: log.append(("pre_bwd", len(go))))
    x = rnd(5, 3)
    eo, to = e(ember.from_numpy(x)), t(torch.from_numpy(x))
    assert_same(eo, to, **F32)
    eo.sum().backward()
    to.sum().backward()
    assert logs["e"][0] == logs["t"][0] == "pre"
    assert logs["e"][1] == logs["t"][1]
    assert logs["e"][2][0] == "bwd"
    np.testing.assert_allclose(np.array(logs["e"][2][1][0]), np.array(logs["t"][2][1][0]),
                               atol=1e-4)
    np.testing.assert_allclose(np.array(logs["e"][2][2][0]), np.array(logs["t"][2][2][0]))
    assert_same(e[0].weight.grad, t[0].weight.grad, **F32)
    h = e[1].register_forward_hook(lambda mod, args, out: out * 0)
    h.remove()
    assert_same(e(ember.from_numpy(x)), t(torch.from_numpy(x)), **F32)


def test_zero_grad_and_utils():
    e, t = twins(SEEDED["mlp"])
    x = rnd(4, 64)
    e(ember.from_numpy(x)).pow(2).sum().backward()
    t(torch.from_numpy(x)).pow(2).sum().backward()
    en = enn.utils.clip_grad_norm_(e.parameters(), 1.0)
    tn = tnn.utils.clip_grad_norm_(t.parameters(), 1.0)
    assert_same(en, tn, **F32)
    for a, b in zip(e.parameters(), t.parameters()):
        assert_same(a.grad, b.grad, **F32)
    enn.utils.clip_grad_value_(e.parameters(), 0.01)
    tnn.utils.clip_grad_value_(t.parameters(), 0.01)
    for a, b in zip(e.parameters(), t.parameters()):
        assert_same(a.grad, b.grad, **F32)
    v = enn.utils.parameters_to_vector(e.parameters())
    assert_same(v, tnn.utils.parameters_to_vector(t.parameters()))
    enn.utils.vector_to_parameters(v * 2, e.parameters())
    assert_same(e[0].bias, t[0].bias.detach() * 2)
    e.zero_grad(set_to_none=False)
    assert float(e[0].weight.grad.abs().sum()) == 0.0
    e.zero_grad()
    assert e[0].weight.grad is None


@pytest.mark.parametrize("name,args,ndim", [
    ("ZeroPad1d", (2,), 3), ("ZeroPad2d", ((1, 2, 0, 1),), 4), ("ZeroPad3d", (1,), 5),
    ("ConstantPad1d", ((1, 2), 3.5), 3), ("ConstantPad2d", (1, -1.0), 4),
    ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 2.0), 5), ("ReflectionPad1d", (2,), 3),
    ("ReflectionPad2d", ((1, 2, 2, 1),), 4), ("ReflectionPad3d", (1,), 5),
    ("ReplicationPad1d", ((1, 0),), 3), ("ReplicationPad2d", (2,), 4),
    ("ReplicationPad3d", (1,), 5), ("CircularPad1d", (1,), 3),
    ("CircularPad2d", ((1, 2, 0, 1),), 4), ("CircularPad3d", (1,), 5),
])
def test_padding_modules(name, args, ndim):
    e, t = getattr(enn, name)(*args), getattr(tnn, name)(*args)
    assert repr(e) == repr(t)
    run_both(e, t, [rnd(*(2, 3, 4, 5, 6)[:ndim])])


@pytest.mark.parametrize("kw", [{"scale_factor": 2}, {"size": (3, 4), "mode": "bilinear"},
                                {"scale_factor": (2, 3)},
                                {"size": (5, 7), "mode": "bilinear", "align_corners": True}])
def test_upsample_and_softmax2d(kw):
    e, t = enn.Upsample(**kw), tnn.Upsample(**kw)
    assert repr(e) == repr(t)
    run_both(e, t, [rnd(2, 3, 4, 5)], **F32)
    e, t = enn.Softmax2d(), tnn.Softmax2d()
    assert repr(e) == repr(t)
    run_both(e, t, [rnd(2, 3, 4, 5)], **F32)
    run_both(e, t, [rnd(3, 4, 5)], **F32)
    same_error(lambda: e(ember.ones(3, 4)), lambda: t(torch.ones(3, 4)))


@pytest.mark.parametrize("name,kw,shape", [
    ("InstanceNorm1d", {}, (2, 3, 5)), ("InstanceNorm1d", {"affine": True}, (3, 5)),
    ("InstanceNorm2d", {"track_running_stats": True}, (2, 3, 4, 4)),
    ("InstanceNorm2d", {"affine": True, "track_running_stats": True, "momentum": None},
     (3, 4, 5)),
    ("InstanceNorm3d", {"affine": True}, (2, 3, 2, 3, 2)),
    ("BatchNorm3d", {}, (2, 3, 2, 3, 2)),
])
def test_instance_norm(name, kw, shape):
    e, t = twins(lambda nn: getattr(nn, name)(3, **kw))
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for _ in range(2):
        run_both(e, t, [rnd(*shape)], **F32)
    assert_same_params(e, t, exact=False)
    e.eval()
    t.eval()
    run_both(e, t, [rnd(*shape, seed=3)], **F32)
    x = rnd(2, 3, 5)
    names = [lib.nn.functional.instance_norm(lib.tensor(x, requires_grad=True)).grad_fn.name()
             for lib in (ember, torch)]
    assert names[0] == names[1]


def test_instance_norm_errors():
    for fn in (lambda L: L.nn.InstanceNorm1d(3)(L.ones(2, 3, 4, 5)),
               lambda L: L.nn.InstanceNorm2d(3)(L.ones(3, 4)),
               lambda L: L.nn.functional.instance_norm(L.ones(2, 3, 1)),
               lambda L: L.nn.InstanceNorm1d(4, affine=True)(L.ones(2, 3, 5))):
        same_error(lambda fn=fn: fn(ember), lambda fn=fn: fn(torch))


_ENCODERS = {
    "post_norm": lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
    "pre_norm_gelu": lambda nn: nn.TransformerEncoderLayer(8, 4, 12, dropout=0.0,
                                                           activation="gelu", norm_first=True,
                                                           batch_first=True),
    "no_bias": lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, bias=False),
}


@pytest.mark.parametrize("name", sorted(_ENCODERS))
def test_transformer_encoder_layer(name):
    e, t = twins(_ENCODERS[name])
    assert_same_params(e, t)
    assert repr(e) == repr(t)
    # Sequences of 5 in batches of 3.
    x = rnd(3, 5, 8) if e.self_attn.batch_first else rnd(5, 3, 8)
    run_both(e, t, [x], **F32)
    # Masks: padded keys (bool) and a causal additive mask.
    pad = np.zeros((3, 5), bool)
    pad[0, 3:] = True
    causal = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    outs = [m(lib.from_numpy(x), src_mask=lib.from_numpy(causal),
              src_key_padding_mask=lib.from_numpy(pad))
            for lib, m in ((ember, e), (torch, t))]
    assert_same(outs[0], outs[1], **F32)
    e.eval()
    t.eval()
    run_both(e, t, [x], **F32)


@pytest.mark.parametrize("layer,kw", [
    ("post_norm", {}), ("pre_norm_gelu", {}), ("pre_norm_gelu", {"enable_nested_tensor": False}),
    ("no_bias", {"norm": True}),
])
def test_transformer_encoder(layer, kw):
    import warnings

    outs = []
    for lib in (ember, torch):
        lib.manual_seed(1)
        norm = lib.nn.LayerNorm(8) if kw.get("norm") else None
        args = {k: v for k, v in kw.items() if k != "norm"}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            enc = lib.nn.TransformerEncoder(_ENCODERS[layer](lib.nn), 2, norm=norm, **args)
        outs.append((enc, [str(w.message) for w in caught]))
    (e, ew), (t, tw) = outs
    assert ew == tw
    assert repr(e) == repr(t)
    assert_same_params(e, t)
    run_both(e, t, [rnd(5, 3, 8, seed=2)], **F32)


@pytest.mark.parametrize("kw", [{}, {"norm_first": True, "batch_first": True,
                                     "activation": "gelu"}])
def test_transformer_decoder(kw):
    def make(nn):
        layer = nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, **kw)
        return nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(8))

    e, t = twins(make)
    assert repr(e) == repr(t)
    assert_same_params(e, t)
    batch_first = kw.get("batch_first", False)
    tgt = rnd(3, 4, 8) if batch_first else rnd(4, 3, 8)
    memory = rnd(3, 5, 8, seed=1) if batch_first else rnd(5, 3, 8, seed=1)
    run_both(e, t, [tgt, memory], **F32)
    causal = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    pad = np.zeros((3, 5), bool)
    pad[1, 3:] = True
    outs = [m(lib.from_numpy(tgt), lib.from_numpy(memory), tgt_mask=lib.from_numpy(causal),
              memory_key_padding_mask=lib.from_numpy(pad))
            for lib, m in ((ember, e), (torch, t))]
    assert_same(outs[0], outs[1], **F32)


def test_transformer():
    import warnings

    outs = []
    for lib in (ember, torch):
        lib.manual_seed(2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = lib.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0)
        outs.append((model, [str(w.message) for w in caught]))
    (e, ew), (t, tw) = outs
    assert ew == tw
    assert repr(e) == repr(t)
    assert_same_params(e, t)
    src, tgt = rnd(5, 3, 8), rnd(4, 3, 8, seed=1)
    run_both(e, t, [src, tgt], **F32)
    mask = [lib.nn.Transformer.generate_square_subsequent_mask(4) for lib in (ember, torch)]
    assert_same(mask[0], mask[1])
    outs = [m(lib.from_numpy(src), lib.from_numpy(tgt), tgt_mask=mk)
            for lib, m, mk in ((ember, e, mask[0]), (torch, t, mask[1]))]
    assert_same(outs[0], outs[1], **F32)
    for bad in (lambda lib, m: m(lib.ones(5, 3, 8), lib.ones(4, 2, 8)),
                lambda lib, m: m(lib.ones(5, 3, 8), lib.ones(4, 3, 6))):
        same_error(lambda bad=bad: bad(ember, e), lambda bad=bad: bad(torch, t))


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "padding_value": -1.0},
                                {"padding_side": "left"},
                                {"batch_first": True, "padding_side": "left"}])
def test_pad_sequence(kw):
    arrays = [rnd(3, 2), rnd(1, 2, seed=1), rnd(4, 2, seed=2)]
    outs = []
    for lib in (ember, torch):
        seqs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = lib.nn.utils.rnn.pad_sequence(seqs, **kw)
        w = lib.tensor(np.random.default_rng(0).standard_normal(tuple(out.shape)).astype(
            np.float32))
        (out * w).sum().backward()
        outs.append((out, [s.grad for s in seqs], out.grad_fn.name()))
    (eo, eg, en), (to, tg, tn) = outs
    assert_same(eo, to)
    assert_same(eg, tg)
    assert en == tn
    for bad in ([], [np.ones((2, 3)), np.ones((2, 4))]):
        same_error(lambda bad=bad: ember.nn.utils.rnn.pad_sequence(
                       [ember.tensor(b) for b in bad], **kw),
                   lambda bad=bad: torch.nn.utils.rnn.pad_sequence(
                       [torch.tensor(b) for b in bad], **kw))


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 3.5])
def test_total_norm_and_clipping_with_it(norm_type):
    grads = [rnd(3, 4), rnd(5, seed=1) * 10, rnd(2, 2, seed=2)]
    totals = []
    for lib, nn in ((ember, enn), (torch, tnn)):
        params = [lib.zeros(g.shape, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = lib.from_numpy(g.copy())
        total = nn.utils.get_total_norm([p.grad for p in params], norm_type)
        nn.utils.clip_grads_with_norm_(params, 1.5, total)
        totals.append((total, [p.grad for p in params]))
    assert_same(totals[0][0], totals[1][0], rtol=1e-6)
    assert_same(totals[0][1], totals[1][1], rtol=1e-6)
    assert_same(enn.utils.get_total_norm([]), tnn.utils.get_total_norm([]))
    same_error(lambda: enn.utils.get_total_norm([ember.tensor([float("inf")])],
                                                error_if_nonfinite=True),
               lambda: tnn.utils.get_total_norm([torch.tensor([float("inf")])],
                                                error_if_nonfinite=True))
