"""torch.distributions against torch: the same program on both libraries gives the same
samples after manual_seed, log-probabilities, entropies, moments, shapes, KL divergences,
gradients, validation errors and reprs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error


def _params(lib, *arrays):
    return [lib.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) and
            a.dtype.kind == "f" else (lib.tensor(a) if isinstance(a, np.ndarray) else a)
            for a in arrays]


LOC = np.array([[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]])
SCALE = np.array([[1.0, 2.0, 0.5], [0.7, 1.5, 3.0]])
PROBS = np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])
LOGITS = np.array([[0.1, -2.0, 1.5], [0.0, 3.0, -1.0]])
COV = np.array([[[1.0, 0.2, 0.0], [0.3, 1.2, 0.1], [0.0, -0.4, 0.9]],
                [[0.7, 0.0, 0.5], [0.1, 0.8, 0.0], [0.2, 0.3, 1.1]]])


def _eye(c):
    # Twice the identity, in c's dtype.
    return c.new_tensor(2 * np.eye(c.shape[-1]))

# name: (make(lib, *params), param arrays, a value in the support)
DISTS = {
    "normal": (lambda D, a, b: D.Normal(a, b), [LOC, SCALE], LOC + 0.3),
    "normal_numbers": (lambda D: D.Normal(0.5, 2.0), [], np.array([0.1, -3.0])),
    "normal_float32": (lambda D, a, b: D.Normal(a, b), [LOC.astype(np.float32),
                                                        SCALE.astype(np.float32)],
                       (LOC + 0.3).astype(np.float32)),
    "uniform": (lambda D, a, b: D.Uniform(a, a + b), [LOC, SCALE], LOC + 0.25 * SCALE),
    "uniform_numbers": (lambda D: D.Uniform(-1.0, 3.0), [], np.array([0.0, 2.5])),
    "bernoulli_probs": (lambda D, p: D.Bernoulli(probs=p), [PROBS], np.array([1.0, 0, 1])),
    "bernoulli_logits": (lambda D, lg: D.Bernoulli(logits=lg), [LOGITS],
                         np.array([[1.0, 0, 1], [0, 0, 1]])),
    "categorical_probs": (lambda D, p: D.Categorical(probs=p), [PROBS], np.array([2, 0])),
    "categorical_logits": (lambda D, lg: D.Categorical(logits=lg), [LOGITS],
                           np.array([[1, 2], [0, 1]])),
    "categorical_1d": (lambda D, p: D.Categorical(p), [PROBS[0] * 3], np.array(1)),
    "exponential": (lambda D, r: D.Exponential(r), [SCALE], SCALE * 0.6),
    "independent_normal": (lambda D, a, b: D.Independent(D.Normal(a, b), 1), [LOC, SCALE],
                           LOC - 0.2),
    "mvn_covariance": (lambda D, a, c: D.MultivariateNormal(
        a, covariance_matrix=c @ c.mT + _eye(c)), [LOC, COV], LOC + 0.1),
    "mvn_scale_tril": (lambda D, a, c: D.MultivariateNormal(a, scale_tril=c.tril() + _eye(c)),
                       [LOC[0], COV], LOC + 0.1),
    "mvn_precision": (lambda D, a, c: D.MultivariateNormal(a, precision_matrix=c @ c.mT
                                                           + _eye(c)), [LOC, COV[0]], LOC[1]),
}


def _run(lib, name):
    """The program: build, sample, score, and take gradients; returns what it computed."""
    make, arrays, value = DISTS[name]
    D = lib.distributions
    params = _params(lib, *arrays)
    d = make(D, *params)
    out = {"batch_shape": tuple(d.batch_shape), "event_shape": tuple(d.event_shape),
           "repr": repr(d), "has_rsample": d.has_rsample}
    lib.manual_seed(7)
    out["sample"] = d.sample()
    out["sample_shape"] = d.sample((4, 2))
    v = lib.tensor(value)
    lp = d.log_prob(v)
    out["log_prob"] = lp
    ent = d.entropy()
    out["entropy"] = ent
    for attr in ["mean", "variance", "stddev", "mode", "probs", "logits"]:
        try:
            out[attr] = getattr(d, attr)
        except (AttributeError, NotImplementedError) as e:
            out[attr] = type(e).__name__
    loss = lp.sum() + ent.sum()
    if d.has_rsample:
        lib.manual_seed(3)
        r = d.rsample((5,))
        out["rsample"] = r
        loss = loss + (r * r).sum()
    if params and any(getattr(p, "requires_grad", False) for p in params):
        req = [p for p in params if getattr(p, "requires_grad", False)]
        out["grads"] = list(lib.autograd.grad(loss, req, allow_unused=True))
    if name.startswith(("bernoulli", "categorical")):
        out["enumerate"] = d.enumerate_support()
        out["enumerate_unexpanded"] = d.enumerate_support(expand=False)
    if name.startswith(("normal", "uniform", "exponential")) and "independent" not in name:
        out["cdf"] = d.cdf(v)
        out["icdf"] = d.icdf(lib.full(tuple(d.batch_shape) or (2,), 0.3,
                                      dtype=v.dtype))
    e = d.expand((4,) + tuple(d.batch_shape))
    lib.manual_seed(11)
    out["expand"] = (tuple(e.batch_shape), e.sample())
    return out


@pytest.mark.parametrize("name", list(DISTS))
def test_distribution_against_torch(name):
    e, t = _run(ember, name), _run(torch, name)
    assert e.keys() == t.keys()
    for k in t:
        assert_same(e[k], t[k]) if not isinstance(t[k], tuple) or not t[k] or not \
            isinstance(t[k][-1], torch.Tensor) else assert_same(list(e[k]), list(t[k]))


KL_PAIRS = {
    "normal": (lambda D, a, b: (D.Normal(a, b), D.Normal(b, a.abs() + 0.5)), [LOC, SCALE]),
    "bernoulli": (lambda D, p, q: (D.Bernoulli(p), D.Bernoulli(logits=q)), [PROBS, LOGITS]),
    "bernoulli_edges": (lambda D, p, q: (D.Bernoulli(p), D.Bernoulli(q)),
                        [np.array([0.0, 1.0, 0.5, 0.0]), np.array([0.5, 0.5, 0.0, 1.0])]),
    "categorical": (lambda D, p, q: (D.Categorical(p), D.Categorical(logits=q)),
                    [PROBS, LOGITS]),
    "categorical_zero": (lambda D, p, q: (D.Categorical(p), D.Categorical(q)),
                         [np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])]),
    "uniform": (lambda D, a, b: (D.Uniform(a, a + b), D.Uniform(a - 1, a + b + 1)),
                [LOC, SCALE]),
    "uniform_disjoint": (lambda D, a, b: (D.Uniform(a, a + b), D.Uniform(a + 0.1, a + b)),
                         [LOC, SCALE]),
    "exponential": (lambda D, a, b: (D.Exponential(a), D.Exponential(b)), [SCALE, SCALE + 1]),
    "independent": (lambda D, a, b: (D.Independent(D.Normal(a, b), 1),
                                     D.Independent(D.Normal(b, b), 1)), [LOC, SCALE]),
    "mvn": (lambda D, a, c: (D.MultivariateNormal(a, c @ c.mT + _eye(c)),
                             D.MultivariateNormal(a * 2, scale_tril=c[0].tril() + _eye(c[0]))),
            [LOC, COV]),
}


@pytest.mark.parametrize("name", list(KL_PAIRS))
def test_kl_divergence(name):
    outs = []
    for lib in (ember, torch):
        make, arrays = KL_PAIRS[name]
        params = _params(lib, *arrays)
        p, q = make(lib.distributions, *params)
        kl = lib.distributions.kl_divergence(p, q)
        finite = kl.isfinite().all().item()
        grads = list(lib.autograd.grad(kl.sum(), params, allow_unused=True)) if finite else []
        outs.append((kl, grads))
    assert_same(outs[0][0], outs[1][0])
    assert_same(outs[0][1], outs[1][1])


def test_kl_not_implemented_and_register():
    for lib in (ember, torch):
        D = lib.distributions
        same_error(lambda D=D, lib=lib: D.kl_divergence(D.Normal(0.0, 1.0),
                                                         D.Bernoulli(lib.tensor(0.5))),
                   lambda: torch.distributions.kl_divergence(
                       torch.distributions.Normal(0.0, 1.0),
                       torch.distributions.Bernoulli(torch.tensor(0.5))))

    class MyNormal(ember.distributions.Normal):
        pass

    assert_same(ember.distributions.kl_divergence(MyNormal(0.0, 1.0),
                                                  ember.distributions.Normal(1.0, 2.0)),
                torch.distributions.kl_divergence(torch.distributions.Normal(0.0, 1.0),
                                                  torch.distributions.Normal(1.0, 2.0)))


ERRORS = [
    lambda D, lib: D.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, -1.0])),
    lambda D, lib: D.Normal(lib.tensor([0.0]), lib.tensor([float("nan")])),
    lambda D, lib: D.Bernoulli(lib.tensor([1.5, 0.2])),
    lambda D, lib: D.Bernoulli(),
    lambda D, lib: D.Bernoulli(probs=0.3, logits=0.1),
    lambda D, lib: D.Bernoulli(lib.tensor([0.2, 0.9])).log_prob(lib.tensor([0.5, 1.0])),
    lambda D, lib: D.Categorical(lib.tensor([0.1, -0.5])),
    lambda D, lib: D.Categorical(lib.tensor(0.5)),
    lambda D, lib: D.Categorical(logits=lib.tensor(0.5)),
    lambda D, lib: D.Categorical(lib.tensor([[0.5, 0.5]])).log_prob(lib.tensor([2])),
    lambda D, lib: D.Categorical(lib.tensor([[0.5, 0.5]] * 3)).log_prob(lib.tensor([0, 1])),
    lambda D, lib: D.Uniform(2.0, 1.0),
    lambda D, lib: D.Uniform(0.0, 1.0).log_prob(lib.tensor(3.0)),
    lambda D, lib: D.Normal(0.0, 1.0).log_prob([0.5]),
    lambda D, lib: D.Normal(lib.zeros(3), 1.0).log_prob(lib.zeros(2)),
    lambda D, lib: D.Normal("a", 1.0),
    lambda D, lib: D.Exponential(lib.tensor([-1.0])),
    lambda D, lib: D.Independent(D.Normal(0.0, 1.0), 1),
    lambda D, lib: D.Independent(D.Normal(lib.zeros(2), 1.0), 1).log_prob(lib.zeros(3)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 0.5], [0.0, 1.0]])),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[1.0, 0.5],
                                                                             [0.0, 1.0]])),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), scale_tril=-lib.eye(2)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2)),
    lambda D, lib: D.MultivariateNormal(lib.tensor(0.0), lib.eye(2)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), lib.ones(2)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(3), lib.eye(2)).log_prob(lib.zeros(3)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2, 2), lib.eye(2).expand(3, 2, 2)),
    lambda D, lib: D.kl_divergence(D.MultivariateNormal(lib.zeros(2), lib.eye(2)),
                                   D.MultivariateNormal(lib.zeros(3), lib.eye(3))),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_validation_errors(i):
    same_error(lambda: ERRORS[i](ember.distributions, ember),
               lambda: ERRORS[i](torch.distributions, torch))


def test_validate_args_off():
    for lib in (ember, torch):
        D = lib.distributions
        d = D.Normal(lib.tensor([0.0]), lib.tensor([-1.0]), validate_args=False)
        assert d.scale.item() == -1.0
    e = ember.distributions.Bernoulli(ember.tensor([0.3]), validate_args=False).log_prob(
        ember.tensor([0.5]))
    t = torch.distributions.Bernoulli(torch.tensor([0.3]), validate_args=False).log_prob(
        torch.tensor([0.5]))
    assert_same(e, t)
    ember.distributions.Distribution.set_default_validate_args(False)
    try:
        ember.distributions.Normal(0.0, -1.0)
    finally:
        ember.distributions.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        ember.distributions.Normal(0.0, -1.0)


def test_policy_gradient_step_matches_torch():
    # REINFORCE as the policy-gradient programs write it.
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        policy = lib.nn.Linear(4, 3)
        opt = lib.optim.SGD(policy.parameters(), lr=0.1)
        states = lib.randn(6, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            m = lib.distributions.Categorical(logits=policy(states))
            actions = m.sample()
            loss = -(m.log_prob(actions) * lib.linspace(1, 2, 6)).mean() - 0.01 * m.entropy().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        results.append([actions, loss, policy.weight, policy.bias])
    assert_same(results[0], results[1])


def test_vae_reparameterization_matches_torch():
    results = []
    for lib in (ember, torch):
        lib.manual_seed(1)
        mu = lib.randn(3, 2, requires_grad=True)
        log_var = lib.randn(3, 2, requires_grad=True)
        q = lib.distributions.Normal(mu, (0.5 * log_var).exp())
        z = q.rsample()
        prior = lib.distributions.Normal(lib.zeros_like(mu), lib.ones_like(mu))
        loss = lib.distributions.kl_divergence(q, prior).sum() + (z ** 2).sum()
        loss.backward()
        results.append([z, loss, mu.grad, log_var.grad])
    assert_same(results[0], results[1])


def test_module_paths():
    import ember.distributions.categorical
    import ember.distributions.constraints
    import ember.distributions.kl
    import ember.distributions.normal

    assert ember.distributions.normal.Normal is ember.distributions.Normal
    assert ember.distributions.kl.kl_divergence is ember.distributions.kl_divergence
    assert repr(ember.distributions.constraints.positive) == \
        repr(torch.distributions.constraints.positive)
    assert repr(ember.distributions.constraints.real_vector) == \
        repr(torch.distributions.constraints.real_vector)
    assert issubclass(ember.distributions.Normal, ember.distributions.ExponentialFamily)
