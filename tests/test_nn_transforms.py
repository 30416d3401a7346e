"""nn layers under torch.func's transforms, against torch: F.linear with a bias under vmap
and forward AD, per-sample gradients of a small model, forward AD through recurrent
layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same

X = np.random.default_rng(5).standard_normal((3, 2, 3))
V = np.random.default_rng(6).standard_normal((3, 2, 3))
W = np.random.default_rng(7).standard_normal((4, 3))
B = np.random.default_rng(8).standard_normal(4)


@pytest.mark.parametrize("shape", [(3, 2, 3), (2, 3), (3,)])
def test_linear_with_bias_under_vmap_and_jvp(shape):
    n = int(np.prod(shape))
    x, v = X.reshape(-1)[:n].reshape(shape), V.reshape(-1)[:n].reshape(shape)
    res = []
    for lib in (ember, torch):
        def f(a, lib=lib):
            return lib.nn.functional.linear(a, lib.from_numpy(W), lib.from_numpy(B))
        vm = lib.func.vmap(f)(lib.from_numpy(x)) if len(shape) > 1 else None
        res.append((vm, *lib.func.jvp(f, (lib.from_numpy(x),), (lib.from_numpy(v),))))
    assert_same(list(res[0]), list(res[1]))


def test_per_sample_gradients_of_a_model():
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, x, y, lib=lib, model=model):
            out = lib.func.functional_call(model, p, (x.unsqueeze(0),))
            return lib.nn.functional.mse_loss(out, y.unsqueeze(0))

        x, y = lib.from_numpy(X[0].copy()), lib.from_numpy(V[0, :, :2].copy())
        grads = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(
            {k: v.double() for k, v in params.items()}, x, y)
        outs.append([grads[k] for k in sorted(grads)])
    assert_same(outs[0], outs[1])


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_forward_ad_through_recurrent_layers(cls):
    t = getattr(torch.nn, cls)(3, 4).double()
    e = getattr(ember.nn, cls)(3, 4).double()
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    eo = ember.func.jvp(lambda a: e(a)[0], (ember.from_numpy(X),), (ember.from_numpy(V),))
    to = torch.func.jvp(lambda a: t(a)[0], (torch.from_numpy(X),), (torch.from_numpy(V),))
    assert_same([o.detach() for o in eo], [o.detach() for o in to])
