"""ember.func (grad, vjp, jvp, jacrev, jacfwd, hessian, vmap, functional_call) and
ember.autograd.forward_ad against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.func

import ember
import ember.func
from helpers import assert_same, same_error

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3))
W = RNG.standard_normal((3, 5))
B = RNG.standard_normal(5)


def t(lib, arr):
    return lib.from_numpy(np.array(arr, dtype=np.float64))


def both(fn):
    return fn(ember, ember.func), fn(torch, torch.func)


def mlp(lib):
    w, b = t(lib, W), t(lib, B)
    return lambda v: lib.tanh(v @ w + b).sigmoid()


def scalar(lib):
    f = mlp(lib)
    return lambda v: (f(v) * f(v)).sum()


@pytest.mark.parametrize("fn", [
    lambda lib, F: F.vmap(lambda v: v.sum())(t(lib, X)),
    lambda lib, F: F.vmap(lambda v: v.mean(0, keepdim=True))(t(lib, X)),
    lambda lib, F: F.vmap(lambda v: (v * 2).reshape(3, 1).expand(3, 2).t())(t(lib, X)),
    lambda lib, F: F.vmap(lambda v, w: v @ w, in_dims=(0, None))(t(lib, X), t(lib, W)),
    lambda lib, F: F.vmap(lambda w, v: v @ w, in_dims=(None, 1))(t(lib, W), t(lib, X.T)),
    lambda lib, F: F.vmap(lambda v: v.unsqueeze(0).permute(1, 0).squeeze(), out_dims=1)(
        t(lib, X)),
    lambda lib, F: F.vmap(lambda v: lib.where(v > 0, v, v * 0.1).exp().clamp(max=2.0))(
        t(lib, X)),
    lambda lib, F: F.vmap(F.vmap(lambda a: a * a.sum()))(t(lib, X).reshape(2, 2, 3)),
    lambda lib, F: F.vmap(lambda v: (v.dot(v), v.flatten().transpose(0, 0)))(t(lib, X)),
    lambda lib, F: F.vmap(lambda v: v.movedim(0, 1).sum(-1))(t(lib, X).reshape(4, 3, 1)),
    lambda lib, F: F.vmap(lambda d: [d["x"] + 1, d["y"]])({"x": t(lib, X), "y": t(lib, X)}),
])
def test_vmap_matches_torch(fn):
    e, r = both(fn)
    assert_same(e, r)


def test_vmap_errors():
    def run(lib, F):
        return lambda: F.vmap(lambda v: v)(t(lib, X), t(lib, W))
    same_error(*both(run), match_message=False)

    def run2(lib, F):
        return lambda: F.vmap(lambda v: v.item())(t(lib, X))
    same_error(*both(run2))


def test_grad_and_value_argnums_aux():
    def run(lib, F):
        f = scalar(lib)
        x = t(lib, X[0])
        g = F.grad(f)(x)
        gv = F.grad_and_value(lambda a, b: (f(a) * b, b), argnums=(0, 1), has_aux=True)(
            x, t(lib, 2.0))
        gg = F.grad(F.grad(lambda v: (v ** 3).sum().sin()))(
            t(lib, 0.3))
        return g, gv[0], gv[1][0], gv[1][1], gg
    e, r = both(run)
    assert_same(list(e), list(r))


def test_grad_error_for_non_scalar():
    def run(lib, F):
        return lambda: F.grad(lambda v: v * 2)(t(lib, X[0]))
    same_error(*both(run))


def test_vjp_jvp():
    def run(lib, F):
        f = mlp(lib)
        x = t(lib, X[0])
        out, fn = F.vjp(f, x)
        ct = fn(t(lib, B))
        p, tan = F.jvp(f, (x,), (t(lib, [1.0, 0.5, -2.0]),))
        return out, ct[0], p, tan
    e, r = both(run)
    assert_same(list(e), list(r))


def test_jacobians_and_hessian():
    def run(lib, F):
        f, s = mlp(lib), scalar(lib)
        x = t(lib, X[0])
        two = F.jacrev(lambda a, b: (a * b).exp(), argnums=(0, 1))(x, x * 2)
        return [F.jacrev(f)(x), F.jacfwd(f)(x), F.hessian(s)(x), two[0], two[1],
                F.jacfwd(lambda a: (a.sin(), a.sum()))(x)[0]]
    e, r = both(run)
    assert_same(e, r)


def test_vmap_of_jacrev_matches_loop():
    f = mlp(ember)
    x = t(ember, X)
    batched = ember.func.vmap(ember.func.jacrev(f))(x)
    loop = ember.stack([ember.func.jacrev(f)(x[i]) for i in range(4)])
    np.testing.assert_allclose(batched.numpy(), loop.numpy(), atol=1e-12)
    r = torch.func.vmap(torch.func.jacrev(mlp(torch)))(t(torch, X))
    assert_same(batched, r)


def test_grad_is_grads_batched_and_per_sample_grads():
    def run(lib, F):
        w = t(lib, W)

        def loss(wt, xi):
            return lib.tanh(xi @ wt).sum()

        return F.vmap(F.grad(loss), in_dims=(None, 0))(w, t(lib, X))
    e, r = both(run)
    assert_same(e, r)


def test_forward_ad():
    def run(lib, F=None):
        fwAD = lib.autograd.forward_ad
        x = t(lib, X)
        v = t(lib, np.ones_like(X))
        with fwAD.dual_level():
            d = fwAD.make_dual(x, v)
            y = (d.exp() * d).sum(1) / (d @ t(lib, W)).tanh().pow(2).sum(1)
            y = y + (1 / d).sum(1) + (2 ** d).sum(1) - (3 - d).sum(1) + (d ** 2).sum(1)
            y = y.reshape(2, 2).transpose(0, 1).clamp(-5, 5)
            p, tan = fwAD.unpack_dual(y)
            plain = fwAD.unpack_dual(x)
        return p, tan, plain.tangent, type(plain).__name__
    e, r = both(run)
    assert_same(list(e[:3]), list(r[:3]))
    assert e[3] == "UnpackedDualTensor"


def test_forward_ad_through_op_without_formula():
    def run(lib):
        fwAD = lib.autograd.forward_ad
        with fwAD.dual_level():
            d = fwAD.make_dual(t(lib, [0.2, 0.4]), t(lib, [1.0, 2.0]))
            return fwAD.unpack_dual(lib.atanh(d) + lib.hypot(d, d)).tangent
    assert_same(*both(lambda lib, F: run(lib)))


def test_forward_ad_errors():
    def run(lib):
        return lambda: lib.autograd.forward_ad.make_dual(t(lib, X), t(lib, X))
    same_error(run(ember), run(torch))


def test_functional_call():

    def run(lib, F):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2).double()
        params = {"weight": t(lib, W[:, :2].T.copy()), "bias": t(lib, B[:2])}
        out = F.functional_call(m, params, (t(lib, X),))
        g = F.grad(lambda p: F.functional_call(m, p, (t(lib, X),)).sum())(params)
        return out, g["weight"], g["bias"]
    e, r = both(run)
    assert_same(list(e), list(r))
