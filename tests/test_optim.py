"""ember.optim against torch.optim: parameter trajectories, state dicts, schedulers, and a
seeded training run giving the same loss at every step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error


def quadratic_run(lib, opt_name, kw, steps=12, dtype=np.float32):
    """A few steps on a small non-convex problem; returns the parameters after each step."""
    rng = np.random.default_rng(0)
    w = lib.from_numpy(rng.standard_normal((3, 4)).astype(dtype)).requires_grad_()
    b = lib.from_numpy(rng.standard_normal(4).astype(dtype)).requires_grad_()
    x = lib.from_numpy(rng.standard_normal((5, 3)).astype(dtype))
    opt = getattr(lib.optim, opt_name)([w, b], **kw)
    trail = []
    for _ in range(steps):
        opt.zero_grad()
        loss = (lib.tanh(x @ w + b) ** 2).sum() + (w * w).sum() * 0.1
        loss.backward()
        opt.step()
        trail.append((w.detach().numpy().copy(), b.detach().numpy().copy()))
    return trail, opt


CASES = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 0.05}), ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05}), ("AdamW", {"lr": 0.05, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True,
                                            "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("Adadelta", {"lr": 1.0, "weight_decay": 0.01}), ("Adamax", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05}), ("NAdam", {"lr": 0.05, "weight_decay": 0.1,
                                        "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05}), ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name,kw", CASES)
def test_trajectories_match(name, kw):
    e_trail, e_opt = quadratic_run(ember, name, kw)
    t_kw = dict(kw, foreach=False) if name != "LBFGS" else kw
    t_trail, t_opt = quadratic_run(torch, name, t_kw)
    for (ew, eb), (tw, tb) in zip(e_trail, t_trail):
        np.testing.assert_allclose(ew, tw, rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(eb, tb, rtol=2e-5, atol=2e-6)
    es, ts = e_opt.state_dict(), t_opt.state_dict()
    assert list(es["state"]) == list(ts["state"])
    eg = {k: v for k, v in es["param_groups"][0].items() if k != "foreach"}
    tg = {k: v for k, v in ts["param_groups"][0].items() if k != "foreach"}
    assert eg == tg
    for k in ts["state"]:
        assert list(es["state"][k]) == list(ts["state"][k])
        for key, tv in ts["state"][k].items():
            assert_same(es["state"][k][key], tv, rtol=1e-4, atol=1e-6)


def test_float64_sgd_exact():
    e, _ = quadratic_run(ember, "SGD", {"lr": 0.1, "momentum": 0.9}, dtype=np.float64)
    t, _ = quadratic_run(torch, "SGD", {"lr": 0.1, "momentum": 0.9, "foreach": False},
                         dtype=np.float64)
    np.testing.assert_allclose(e[-1][0], t[-1][0], rtol=1e-12)


@pytest.mark.parametrize("kw", [{}, {"line_search_fn": "strong_wolfe"}, {"history_size": 3}])
def test_lbfgs(kw):
    def run(lib):
        x = lib.tensor([-1.5, 2.0], dtype=lib.float64, requires_grad=True)
        opt = lib.optim.LBFGS([x], lr=0.5 if not kw else 1, max_iter=15, **kw)

        def closure():
            opt.zero_grad()
            loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
            loss.backward()
            return loss

        losses = [float(opt.step(closure).detach()) for _ in range(3)]
        return x.detach().numpy().copy(), losses

    (ex, el), (tx, tl) = run(ember), run(torch)
    # Rosenbrock's valley amplifies last-bit differences in the dot products over the
    # iterations; the trajectories agree to far better than any logic difference would.
    np.testing.assert_allclose(ex, tx, rtol=1e-5, atol=1e-10)
    np.testing.assert_allclose(el, tl, rtol=1e-5, atol=1e-12)


def test_param_groups_state_dict_roundtrip_and_errors():
    def make(lib):
        a = lib.zeros(2, requires_grad=True)
        b = lib.ones(3, requires_grad=True)
        return a, b, lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1,
                                   momentum=0.9)

    ea, eb, eo = make(ember)
    ta, tb, to = make(torch)
    for a, b, o in ((ea, eb, eo), (ta, tb, to)):
        (a.sum() * 2 + (b * b).sum()).backward()
        o.step()
    assert [g["lr"] for g in eo.param_groups] == [g["lr"] for g in to.param_groups]
    assert_same(ea, ta)
    assert_same(eb, tb)
    sd = eo.state_dict()
    ea2, eb2, eo2 = make(ember)
    eo2.load_state_dict(sd)
    assert_same(eo2.state[ea2]["momentum_buffer"], to.state[ta]["momentum_buffer"])
    same_error(lambda: ember.optim.SGD([], lr=0.1), lambda: torch.optim.SGD([], lr=0.1))
    same_error(lambda: ember.optim.Adam([ea], lr=-1), lambda: torch.optim.Adam([ta], lr=-1))
    same_error(lambda: ember.optim.SGD([ea], lr=0.1, nesterov=True),
               lambda: torch.optim.SGD([ta], lr=0.1, nesterov=True))
    same_error(lambda: eo.add_param_group({"params": [ea]}),
               lambda: to.add_param_group({"params": [ta]}))
    same_error(lambda: ember.optim.SGD(ea, lr=0.1), lambda: torch.optim.SGD(ta, lr=0.1))
    eo.zero_grad()
    assert ea.grad is None


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, "SGD"),
    ("MultiStepLR", {"milestones": [2, 5, 5], "gamma": 0.3}, "SGD"),
    ("ExponentialLR", {"gamma": 0.9}, "SGD"),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}, "SGD"),
    ("LinearLR", {"start_factor": 0.25, "total_iters": 4}, "SGD"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 12}, "SGD"),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 12, "three_phase": True,
                    "anneal_strategy": "linear"}, "Adam"),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9 if e % 2 else 0.95}, "SGD"),
    ("ConstantLR", {"factor": 0.5, "total_iters": 4}, "SGD"),
    ("PolynomialLR", {"total_iters": 6, "power": 2.0}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 4}, "Adam"),
]


@pytest.mark.parametrize("name,kw,opt", SCHEDULERS)
def test_schedulers(name, kw, opt):
    def run(lib):
        p = lib.zeros(1, requires_grad=True)
        extra = {"momentum": 0.9} if opt == "SGD" else {}
        o = getattr(lib.optim, opt)([p], lr=0.1, **extra)
        s = getattr(lib.optim.lr_scheduler, name)(o, **kw)
        out = []
        for _ in range(11):
            o.step()
            s.step()
            g = o.param_groups[0]
            out.append((s.get_last_lr()[0], g.get("momentum"), g.get("betas")))
        return out, s

    (e, es), (t, ts) = run(ember), run(torch)
    np.testing.assert_allclose([x[0] for x in e], [x[0] for x in t], rtol=1e-12)
    assert [x[1:] for x in e] == [x[1:] for x in t] or np.allclose(
        [x[1] or 0 for x in e], [x[1] or 0 for x in t])
    esd, tsd = es.state_dict(), ts.state_dict()
    for key in ("last_epoch", "base_lrs", "_step_count", "_last_lr"):
        assert esd[key] == tsd[key], key


def test_lambda_plateau_sequential():
    def run(lib):
        p = lib.zeros(1, requires_grad=True)
        o = lib.optim.SGD([p], lr=1.0)
        lam = lib.optim.lr_scheduler.LambdaLR(o, lambda e: 0.5 ** e)
        out = []
        for _ in range(4):
            o.step()
            lam.step()
            out.append(lam.get_last_lr()[0])
        o2 = lib.optim.SGD([p], lr=1.0)
        plat = lib.optim.lr_scheduler.ReduceLROnPlateau(o2, patience=1, factor=0.5)
        for metric in [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7]:
            plat.step(metric)
            out.append(o2.param_groups[0]["lr"])
        o3 = lib.optim.SGD([p], lr=1.0)
        s1 = lib.optim.lr_scheduler.LinearLR(o3, 0.1, total_iters=3)
        s2 = lib.optim.lr_scheduler.ExponentialLR(o3, 0.8)
        seq = lib.optim.lr_scheduler.SequentialLR(o3, [s1, s2], milestones=[3])
        for _ in range(7):
            o3.step()
            seq.step()
            out.append(seq.get_last_lr()[0])
        return out

    np.testing.assert_allclose(run(ember), run(torch), rtol=1e-12)


def _digits_like(n=160, seed=0):
    """A deterministic 64-feature, 10-class problem shaped like the digits data set."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(0, 16, (10, 64))
    y = rng.integers(0, 10, n)
    x = np.clip(centers[y] + rng.normal(0, 3, (n, 64)), 0, 16) / 16
    return x.astype(np.float32), y.astype(np.int64)


def train_mlp(lib, x, y, steps=200, seed=0):
    lib.manual_seed(seed)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    ds = lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
    loader = lib.utils.data.DataLoader(ds, batch_size=32, shuffle=True)
    losses = []
    while len(losses) < steps:
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return np.array(losses)


def test_seeded_training_run_matches_torch():
    x, y = _digits_like()
    e = train_mlp(ember, x, y)
    t = train_mlp(torch, x, y)
    np.testing.assert_allclose(e, t, rtol=1e-4)
    assert e[-1] < e[0] / 4


def test_seeded_training_run_on_digits_matches_torch():
    # The MLP example's run on the real data set: 200 Adam steps, the same loss at every step.
    from sklearn import datasets

    d = datasets.load_digits()
    x, y = (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)
    e = train_mlp(ember, x, y)
    t = train_mlp(torch, x, y)
    np.testing.assert_allclose(e, t, rtol=1e-4)
    assert e[-1] < e[0] / 4


def test_chained_scheduler_and_warm_restarts_by_epoch():
    def run(lib):
        p = lib.zeros(1, requires_grad=True)
        o = lib.optim.SGD([p], lr=1.0)
        sched = lib.optim.lr_scheduler
        chain = sched.ChainedScheduler([sched.ConstantLR(o, factor=0.1, total_iters=2),
                                        sched.ExponentialLR(o, gamma=0.9)])
        out = []
        for _ in range(5):
            o.step()
            chain.step()
            out.append(chain.get_last_lr()[0])
        o2 = lib.optim.SGD([p], lr=1.0)
        warm = sched.CosineAnnealingWarmRestarts(o2, T_0=2, T_mult=2)
        for epoch in (0.5, 1.5, 2.0, 3.25, 7.0, 13.5):
            warm.step(epoch)
            out.append(o2.param_groups[0]["lr"])
        return out, sorted(chain.state_dict())

    (e, ek), (t, tk) = run(ember), run(torch)
    np.testing.assert_allclose(e, t, rtol=1e-12)
    assert ek == [k for k in tk if k in ek]
    for fn in (lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler([]),
               lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, factor=1.5),
               lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
               lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2, 0)):
        same_error(lambda fn=fn: fn(ember, ember.optim.SGD([ember.zeros(1)], lr=1.0)),
                   lambda fn=fn: fn(torch, torch.optim.SGD([torch.zeros(1)], lr=1.0)))
