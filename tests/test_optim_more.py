"""Rprop, ASGD, CyclicLR and swa_utils against torch: parameter trajectories and state
dicts, learning rates and momenta step by step, averaged weights, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import ember
from helpers import same_error
from test_optim import quadratic_run

CASES = [
    ("Rprop", {"lr": 0.05}), ("Rprop", {"lr": 0.01, "etas": (0.3, 1.5),
                                        "step_sizes": (1e-3, 0.02), "maximize": True}),
    ("ASGD", {"lr": 0.05}), ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 4,
                                      "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "t0": 0, "maximize": True}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", CASES)
def test_trajectories_and_state_as_torch(name, kw, dtype):
    # The gradients come from ember's backward, which may differ from torch's in the last
    # bit; the optimizers' own arithmetic is torch's, so the tolerance stays that tight.
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12}
    e_trail, e_opt = quadratic_run(ember, name, kw, steps=15, dtype=dtype)
    t_trail, t_opt = quadratic_run(torch, name, dict(kw, foreach=False), steps=15,
                                   dtype=dtype)
    for (ew, eb), (tw, tb) in zip(e_trail, t_trail):
        np.testing.assert_allclose(ew, tw, **tol)
        np.testing.assert_allclose(eb, tb, **tol)
    es, ts = e_opt.state_dict(), t_opt.state_dict()
    eg = {k: v for k, v in es["param_groups"][0].items() if k != "foreach"}
    tg = {k: v for k, v in ts["param_groups"][0].items() if k != "foreach"}
    assert eg == tg
    assert list(es["state"]) == list(ts["state"])
    for k, tstate in ts["state"].items():
        assert list(es["state"][k]) == list(tstate)
        for key, tv in tstate.items():
            ev = es["state"][k][key]
            assert ev.numpy().dtype == tv.numpy().dtype, key
            np.testing.assert_allclose(ev.numpy(), tv.numpy(), **tol)
    assert repr(e_opt).replace("foreach: None", "") == repr(t_opt).replace("foreach: False", "")


def test_optimizer_errors():
    for name, kw in [("Rprop", {"lr": -1.0}), ("Rprop", {"etas": (1.5, 2.0)}),
                     ("Rprop", {"etas": (0.5, 0.9)}), ("ASGD", {"lr": -0.1}),
                     ("ASGD", {"weight_decay": -1.0})]:
        same_error(lambda name=name, kw=kw: getattr(ember.optim, name)(
                       [ember.zeros(1, requires_grad=True)], **kw),
                   lambda name=name, kw=kw: getattr(torch.optim, name)(
                       [torch.zeros(1, requires_grad=True)], **kw))


CYCLIC = [
    ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3}, "SGD"),
    ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "step_size_down": 4,
      "mode": "triangular2"}, "SGD"),
    ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "mode": "exp_range",
      "gamma": 0.9}, "Adam"),
    ({"base_lr": [0.01, 0.02], "max_lr": [0.1, 0.3], "step_size_up": 2,
      "base_momentum": [0.7, 0.75], "max_momentum": 0.95}, "SGD"),
    ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "cycle_momentum": False}, "Adam"),
    ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2,
      "scale_fn": lambda x: 0.5 ** x, "scale_mode": "iterations"}, "SGD"),
    ({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "mode": "bogus",
      "scale_fn": lambda x: 1 / x}, "SGD"),
]


@pytest.mark.parametrize("kw,opt", CYCLIC)
def test_cyclic_lr_as_torch(kw, opt):
    def run(lib):
        ps = [lib.zeros(1, requires_grad=True), lib.zeros(2, requires_grad=True)]
        extra = {"momentum": 0.9} if opt == "SGD" else {}
        o = getattr(lib.optim, opt)([{"params": [ps[0]]}, {"params": [ps[1]]}], lr=0.5,
                                    **extra)
        s = lib.optim.lr_scheduler.CyclicLR(o, **kw)
        out = [(s.get_last_lr(), [(g.get("momentum"), g.get("betas")) for g in
                                  o.param_groups])]
        for _ in range(14):
            o.step()
            s.step()
            out.append((s.get_last_lr(), [(g.get("momentum"), g.get("betas"))
                                          for g in o.param_groups]))
        return out, s, o

    (e, es, eo), (t, ts, to) = run(ember), run(torch)
    assert e == t
    esd, tsd = es.state_dict(), ts.state_dict()
    for key in ("last_epoch", "base_lrs", "max_lrs", "total_size", "step_ratio", "mode",
                "gamma", "scale_mode", "cycle_momentum", "_step_count", "_last_lr",
                "_scale_fn_custom"):
        assert esd[key] == tsd[key], key
    assert "_scale_fn_ref" not in esd
    ekeys = {k for g in eo.param_groups for k in g}
    assert ekeys == {k for g in to.param_groups for k in g}


class _Halving:
    """A scale_fn with state, which CyclicLR's state_dict keeps."""

    def __init__(self):
        self.base = 0.5

    def __call__(self, x):
        return self.base ** x


def test_cyclic_lr_state_dict_roundtrip_and_errors():
    def run(lib):
        p = lib.zeros(1, requires_grad=True)
        o = lib.optim.SGD([p], lr=0.1, momentum=0.9)
        fn = _Halving()
        s = lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=fn)
        for _ in range(3):
            o.step()
            s.step()
        sd = s.state_dict()
        saved = sd["_scale_fn_custom"]  # load_state_dict pops it
        fn2 = _Halving()
        fn2.base = 0.1
        s2 = lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=fn2)
        s2.load_state_dict(sd)
        o.step()
        s2.step()
        return saved, fn2.base, s2.get_last_lr(), s2.last_epoch

    assert run(ember) == run(torch)

    def make(lib, **kw):
        p = lib.zeros(1, requires_grad=True)
        opt = kw.pop("opt", "SGD")
        o = getattr(lib.optim, opt)([p], lr=0.1)
        return lib.optim.lr_scheduler.CyclicLR(o, **kw)

    for kw in ({"base_lr": 0.1, "max_lr": 1.0, "mode": "bogus"},
               {"base_lr": [0.1, 0.2], "max_lr": 1.0},
               {"base_lr": 0.1, "max_lr": [1.0, 2.0]},
               {"base_lr": 0.1, "max_lr": 1.0, "opt": "Adagrad"}):
        same_error(lambda kw=kw: make(ember, **dict(kw)), lambda kw=kw: make(torch, **dict(kw)))
    same_error(lambda: ember.optim.lr_scheduler.CyclicLR(None, 0.1, 1.0),
               lambda: torch.optim.lr_scheduler.CyclicLR(None, 0.1, 1.0))


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                             lib.nn.Linear(4, 2))


def _averaging(lib, **kw):
    net = _net(lib)
    make_fn = kw.pop("make", None)
    if make_fn is not None:
        kw[make_fn[0]] = getattr(lib.optim.swa_utils, make_fn[1])(*make_fn[2:])
    avg = lib.optim.swa_utils.AveragedModel(net, **kw)
    x = lib.linspace(-1, 1, 24).reshape(8, 3)
    for step in range(4):
        # the model moves by a rule of its own (no backward, whose last bits are ember's),
        # and its forward in training mode moves batch norm's running statistics
        with lib.no_grad():
            for p in net.parameters():
                p.mul_(0.7).add_(0.05 * step)
        net(x)
        avg.update_parameters(net)
    assert avg.module is not net
    return ({k: v.numpy().copy() for k, v in avg.state_dict().items()},
            avg(x).detach().numpy(), repr(avg))


@pytest.mark.parametrize("kw", [{}, {"use_buffers": True},
                                {"make": ("multi_avg_fn", "get_ema_multi_avg_fn", 0.9)},
                                {"make": ("multi_avg_fn", "get_swa_multi_avg_fn")},
                                {"make": ("avg_fn", "get_ema_avg_fn", 0.8)},
                                {"make": ("avg_fn", "get_swa_avg_fn")},
                                {"make": ("multi_avg_fn", "get_ema_multi_avg_fn", 0.9),
                                 "use_buffers": True}])
def test_averaged_model_as_torch(kw):
    (esd, eout, erepr), (tsd, tout, trepr) = (_averaging(ember, **copy.copy(kw)),
                                             _averaging(torch, **copy.copy(kw)))
    assert list(esd) == list(tsd)
    # batch norm's statistics are ember's mean and variance; the multi_avg_fns lerp, which
    # torch's vectorized kernel rounds once (a fused multiply-add) and ember's lerp twice
    near = "multi_avg_fn" in str(kw)
    for k in tsd:
        assert esd[k].dtype == tsd[k].dtype, k
        if "running" in k or near:
            np.testing.assert_allclose(esd[k], tsd[k], rtol=1e-6, atol=1e-7, err_msg=k)
        else:
            np.testing.assert_array_equal(esd[k], tsd[k], err_msg=k)
    np.testing.assert_allclose(eout, tout, rtol=1e-5, atol=1e-6)
    assert erepr == trepr


def test_swa_errors():
    for fn in ("get_ema_multi_avg_fn", "get_ema_avg_fn"):
        same_error(lambda fn=fn: getattr(ember.optim.swa_utils, fn)(1.5),
                   lambda fn=fn: getattr(torch.optim.swa_utils, fn)(1.5))
    same_error(lambda: ember.optim.swa_utils.AveragedModel(_net(ember), avg_fn=abs,
                                                           multi_avg_fn=abs),
               lambda: torch.optim.swa_utils.AveragedModel(_net(torch), avg_fn=abs,
                                                           multi_avg_fn=abs))
    for kw in ({"anneal_strategy": "step"}, {"anneal_epochs": -1}, {"anneal_epochs": 1.5},
               {"swa_lr": [0.1, 0.2]}):
        def make(lib, kw=kw):
            o = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
            return lib.optim.swa_utils.SWALR(o, **dict({"swa_lr": 0.05}, **kw))

        same_error(lambda make=make: make(ember), lambda make=make: make(torch))


@pytest.mark.parametrize("kw", [{"swa_lr": 0.05}, {"swa_lr": 0.05, "anneal_epochs": 3,
                                                   "anneal_strategy": "linear"},
                                {"swa_lr": 0.2, "anneal_epochs": 0}])
def test_swalr_as_torch(kw):
    def run(lib):
        o = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5)
        s = lib.optim.swa_utils.SWALR(o, **kw)
        lrs = [s.get_last_lr()]
        for _ in range(12):
            o.step()
            s.step()
            lrs.append(s.get_last_lr())
        sd = s.state_dict()
        return lrs, sd["_anneal_strategy"], sd["anneal_epochs"], "anneal_func" in sd

    e, t = run(ember), run(torch)
    np.testing.assert_allclose(np.array(e[0]), np.array(t[0]), rtol=1e-15)
    assert e[1:] == t[1:]


def test_update_bn_as_torch():
    def run(lib):
        net = _net(lib)
        net.eval()
        bn = net[1]
        bn.momentum = 0.3
        lib.manual_seed(1)
        ds = lib.utils.data.TensorDataset(lib.randn(20, 3), lib.zeros(20))
        loader = lib.utils.data.DataLoader(ds, batch_size=6)
        lib.optim.swa_utils.update_bn(loader, net)
        lib.optim.swa_utils.update_bn([lib.ones(2, 3)], lib.nn.Linear(3, 1))
        return (bn.running_mean.numpy().copy(), bn.running_var.numpy().copy(),
                int(bn.num_batches_tracked), bn.momentum, net.training)

    e, t = run(ember), run(torch)
    np.testing.assert_allclose(e[0], t[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(e[1], t[1], rtol=1e-6, atol=1e-7)
    assert e[2:] == t[2:]
