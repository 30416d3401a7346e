"""The nn classes where torch keeps them: each class in torch's file (so that
torch.nn.modules.<file>.<Class> paths and pickled class paths resolve), with torch's class
hierarchy (isinstance answers as in torch), and the recurrent base class's surface."""

from __future__ import annotations

import importlib
import pickle

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as enn
from helpers import assert_same, check_op, same_error


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _as_ember(name: str) -> str:
    return "ember" + name[len("torch"):] if name.startswith("torch") else name


def _classes() -> list:
    return sorted(n for n in dir(enn) if isinstance(getattr(enn, n), type))


@pytest.mark.parametrize("name", _classes())
def test_class_lives_in_torchs_file(name):
    t = getattr(tnn, name, None)
    assert t is not None, f"ember.nn.{name} is not in torch.nn"
    e = getattr(enn, name)
    assert e.__module__ == _as_ember(t.__module__)
    module = importlib.import_module(e.__module__)
    assert getattr(module, e.__qualname__) is e
    # A pickled class is a reference by path: it must read as torch's with ember for torch.
    assert pickle.loads(pickle.dumps(e)) is e
    assert _as_ember(t.__module__).encode() in pickle.dumps(e, protocol=2)


@pytest.mark.parametrize("name", _classes())
def test_class_hierarchy_is_torchs(name):
    t, e = getattr(tnn, name), getattr(enn, name)
    if issubclass(t, torch.Tensor):
        # Parameter and Buffer: torch's Tensor sits on its C base class, which ember has not.
        mro = [c for c in t.__mro__ if not issubclass(torch.Tensor, c)]
        assert [_qualified(c) for c in e.__mro__[:len(mro)]] == \
            [_as_ember(_qualified(c)) for c in mro]
        assert e.__mro__[len(mro)] is ember.Tensor
        return
    assert [_qualified(c) for c in e.__mro__] == [_as_ember(_qualified(c)) for c in t.__mro__]


def test_isinstance_answers_as_torchs():
    pairs = [("SiLU", "ReLU"), ("Mish", "ReLU"), ("SELU", "ReLU"), ("Softmin", "Softmax"),
             ("LogSoftmax", "Softmax"), ("Hardswish", "Hardsigmoid"),
             ("Softshrink", "Hardshrink"), ("Dropout2d", "Dropout"),
             ("AdaptiveAvgPool2d", "AdaptiveAvgPool1d"), ("ReLU6", "Hardtanh"),
             ("ZeroPad2d", "ConstantPad2d")]
    for sub, base in pairs:
        make = {"ZeroPad2d": (1,)}.get(sub, ())
        if sub == "AdaptiveAvgPool2d":
            make = (2,)
        assert isinstance(getattr(enn, sub)(*make), getattr(enn, base)) == \
            isinstance(getattr(tnn, sub)(*make), getattr(tnn, base)), (sub, base)


@pytest.mark.parametrize("make", [
    lambda nn: nn.SiLU(inplace=True), lambda nn: nn.Mish(), lambda nn: nn.SELU(True),
    lambda nn: nn.Hardswish(), lambda nn: nn.Softshrink(0.25), lambda nn: nn.Softmin(1),
    lambda nn: nn.LogSoftmax(dim=0), lambda nn: nn.Dropout2d(0.3),
    lambda nn: nn.AvgPool1d(3), lambda nn: nn.AdaptiveMaxPool2d(2),
    lambda nn: nn.ZeroPad1d((1, 2)), lambda nn: nn.ConstantPad2d(1, 2.5),
    lambda nn: nn.ReflectionPad1d(2), lambda nn: nn.CircularPad2d((1, 0, 2, 1)),
    lambda nn: nn.InstanceNorm1d(4, affine=True), lambda nn: nn.BatchNorm1d(4),
])
def test_rebased_layers_print_and_compute_as_torchs(make):
    e, t = make(enn).double(), make(tnn).double()
    assert repr(e) == repr(t)
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float64)
    if isinstance(t, (tnn.AvgPool1d, tnn.ReflectionPad1d, tnn.ZeroPad1d, tnn.InstanceNorm1d,
                      tnn.BatchNorm1d)):
        x = x[0]
    ex = ember.from_numpy(x.copy()).requires_grad_()
    tx = torch.from_numpy(x.copy()).requires_grad_()
    e.eval(), t.eval()
    eo, to = e(ex * 1), t(tx * 1)
    assert_same(eo, to)
    eo.sum().backward()
    to.sum().backward()
    assert_same(ex.grad, tx.grad)


def test_conv_forward_with_another_weight():
    # Subclasses such as weight-standardised convolutions pass their own weight to
    # _conv_forward.
    def standardised(nn):
        class WSConv2d(nn.Conv2d):
            def forward(self, x):
                w = self.weight
                w = (w - w.mean(dim=(1, 2, 3), keepdim=True)) / (w.std(dim=(1, 2, 3),
                                                                      keepdim=True) + 1e-5)
                return self._conv_forward(x, w, self.bias)
        return WSConv2d(2, 3, 3, padding=1, padding_mode="reflect").double()

    ember.manual_seed(0)
    torch.manual_seed(0)
    e, t = standardised(enn), standardised(tnn)
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 5))
    eo, to = e(ember.from_numpy(x)), t(torch.from_numpy(x))
    assert_same(eo, to)
    eo.pow(2).sum().backward()
    to.pow(2).sum().backward()
    assert_same(e.weight.grad, t.weight.grad)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_rnn_base(cls):
    kw = {"num_layers": 2, "bidirectional": True}
    e, t = getattr(enn, cls)(3, 4, **kw), getattr(tnn, cls)(3, 4, **kw)
    assert isinstance(e, enn.RNNBase) and issubclass(enn.RNNCellBase, enn.Module)
    assert e._flat_weights_names == t._flat_weights_names
    assert e._all_weights == t._all_weights
    assert [tuple(w.shape) for w in e._flat_weights] == [tuple(w.shape) for w in t._flat_weights]
    assert [[tuple(w.shape) for w in ws] for ws in e.all_weights] == \
        [[tuple(w.shape) for w in ws] for ws in t.all_weights]
    assert all(a is b for a, b in zip(e._flat_weights, e.parameters()))
    x = ember.randn(5, 2, 3)
    before = e(x)[0].detach().numpy()
    assert e.flatten_parameters() is None
    assert np.array_equal(e(x)[0].detach().numpy(), before)


@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 3), ((1, 4, 2, 2), 2), ((2, 4, 0), 2),
                                          ((3, 5, 1, 2, 1), 5), ((2, 6), 2), ((2, 6, 3), 4),
                                          ((2, 6, 3), 0)])
def test_channel_shuffle(shape, groups):
    check_op(lambda lib, x: lib.nn.ChannelShuffle(groups)(x),
             [np.random.default_rng(0).standard_normal(shape)])


def test_channel_shuffle_keeps_integers_and_checks_groups():
    x = np.arange(24).reshape(2, 4, 3)
    assert_same(enn.functional.channel_shuffle(ember.from_numpy(x), 2),
                tnn.functional.channel_shuffle(torch.from_numpy(x), 2))
    same_error(lambda: enn.functional.channel_shuffle(ember.ones(2, 4, 3), 2.0),
               lambda: tnn.functional.channel_shuffle(torch.ones(2, 4, 3), 2.0))


@pytest.mark.parametrize("make,shape", [
    (lambda nn: nn.Unfold(2), (1, 2, 3, 4)),
    (lambda nn: nn.Unfold((2, 1), dilation=1, padding=1, stride=2), (2, 1, 3, 3)),
    (lambda nn: nn.Fold((3, 4), 2), (1, 8, 6)),
    (lambda nn: nn.Fold(4, (2, 2), stride=2), (2, 4, 4)),
])
def test_fold_layers(make, shape):
    assert repr(make(enn)) == repr(make(tnn))
    check_op(lambda lib, x: make(lib.nn)(x), [np.random.default_rng(1).standard_normal(shape)])


@pytest.mark.parametrize("make,attr", [
    (lambda nn: nn.Softmax(1), "dim"), (lambda nn: nn.LogSoftmax(1), "dim"),
    (lambda nn: nn.Softmin(1), "dim"), (lambda nn: nn.Conv1d(2, 2, 3), "padding_mode"),
    (lambda nn: nn.Upsample(scale_factor=2.0), "recompute_scale_factor"),
    (lambda nn: nn.LSTM(3, 4), "proj_size"),
    (lambda nn: nn.TransformerEncoderLayer(4, 2), "activation"),
    (lambda nn: nn.TransformerDecoderLayer(4, 2), "activation"),
])
def test_unpickling_modules_from_older_torch(make, attr):
    # A module pickled by an older torch lacks the attribute; unpickling gives torch's default.
    restored = []
    for nn in (enn, tnn):
        m = make(nn)
        state = dict(m.__dict__)
        del state[attr]
        fresh = type(m).__new__(type(m))
        fresh.__setstate__(state)
        value = getattr(fresh, attr)
        restored.append(value.__name__ if callable(value) else value)
    assert restored[0] == restored[1]


def test_modules_utils_as_torchs():
    import torch.nn.modules.utils as tu

    import ember.nn.modules.utils as eu

    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for arg in (3, (1, 2), [4, 5, 6]):
            assert getattr(eu, name)(arg) == getattr(tu, name)(arg)
        assert getattr(eu, name).__name__ == name
    assert eu._reverse_repeat_tuple((1, 2), 2) == tu._reverse_repeat_tuple((1, 2), 2)
    assert eu._list_with_default([None, 3], [1, 2, 5, 6]) == \
        tu._list_with_default([None, 3], [1, 2, 5, 6])
    states = []
    for lib, utils in ((ember, eu), (torch, tu)):
        sd = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU()).state_dict()
        wrapped = type(sd)((f"module.{k}", v) for k, v in sd.items())
        wrapped._metadata = type(sd._metadata)(
            [("", {"version": 1})] + [(f"module.{k}" if k else "module", v)
                                      for k, v in sd._metadata.items()])
        utils.consume_prefix_in_state_dict_if_present(wrapped, "module.")
        states.append((list(wrapped), list(wrapped._metadata)))
    assert states[0] == states[1]


@pytest.mark.parametrize("name", ["cat", "stack", "hstack", "vstack", "dstack", "column_stack"])
def test_forward_mode_through_joins(name):
    # A join's tangent is the join of its inputs' tangents (zeros for inputs without one).
    x = np.random.default_rng(5).standard_normal((3, 2, 3))
    v = np.random.default_rng(6).standard_normal((3, 2, 3))
    kw = {"dim": 1} if name in ("cat", "stack") else {}
    outs = []
    for lib in (ember, torch):
        def f(a, lib=lib):
            return getattr(lib, name)([a[0], a[1] * 2, lib.ones(2, 3, dtype=lib.float64)], **kw)
        outs.append(lib.func.jvp(f, (lib.from_numpy(x),), (lib.from_numpy(v),)))
    assert_same(list(outs[0]), list(outs[1]))
