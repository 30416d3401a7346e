"""torch.nn.init's deprecated aliases and sparse_, and torch.nn.utils' weight and spectral
norm, parametrizations, fusion, skip_init and functional_call, against torch: the same
numbers after the same seed, the same warnings, state_dict keys and errors."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import same_error

ALIASES = [("uniform", {"a": -1.0, "b": 2.0}), ("normal", {"std": 0.5}),
           ("constant", {"val": 0.3}), ("eye", {}), ("xavier_uniform", {}),
           ("xavier_normal", {"gain": 2.0}), ("kaiming_uniform", {"a": 0.1}),
           ("kaiming_normal", {"mode": "fan_out"}), ("orthogonal", {}),
           ("sparse", {"sparsity": 0.4})]


def _warned(call):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = call()
    return out, [(x.category, str(x.message), x.filename) for x in w]


@pytest.mark.parametrize("name,kw", ALIASES)
def test_deprecated_init_aliases_warn_and_fill_as_torch(name, kw):
    ember.manual_seed(3)
    e, ew = _warned(lambda: getattr(ember.nn.init, name)(ember.empty(5, 7), **kw))
    torch.manual_seed(3)
    t, tw = _warned(lambda: getattr(torch.nn.init, name)(torch.empty(5, 7), **kw))
    # orthogonal_'s QR is NumPy's LAPACK, not torch's: the same draw, the last bits apart.
    tol = 1e-6 if name == "orthogonal" else 0
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=0, atol=tol)
    assert ew == tw and ew[0][0] is FutureWarning and ew[0][2] == __file__
    assert getattr(ember.nn.init, name).__name__ == name
    assert getattr(ember.nn.init, name).__doc__ == getattr(torch.nn.init, name).__doc__


def test_dirac_alias_and_sparse_generator():
    ember.manual_seed(0)
    e, _ = _warned(lambda: ember.nn.init.dirac(ember.empty(4, 2, 3), groups=2))
    torch.manual_seed(0)
    t, _ = _warned(lambda: torch.nn.init.dirac(torch.empty(4, 2, 3), groups=2))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    out = []
    for lib in (ember, torch):
        lib.manual_seed(1)
        g = lib.Generator()
        g.manual_seed(9)
        x = lib.nn.init.sparse_(lib.empty(6, 3), 0.5, std=2.0, generator=g)
        out.append((x.numpy().copy(), lib.rand(2).numpy()))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
    same_error(lambda: ember.nn.init.sparse_(ember.empty(3), 0.1),
               lambda: torch.nn.init.sparse_(torch.empty(3), 0.1))
    assert set(ember.nn.init.__all__) == set(torch.nn.init.__all__)


def _close(e, t, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def test_clip_grad_norm_alias_warns():
    out = []
    for lib in (ember, torch):
        p = lib.tensor([3.0, 4.0], requires_grad=True)
        (p * p).sum().backward()
        total, w = _warned(lambda lib=lib, p=p: lib.nn.utils.clip_grad_norm([p], 1.0))
        out.append((total.item(), p.grad.tolist(), w))
    assert out[0][0] == pytest.approx(out[1][0], rel=1e-6)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)
    assert [x[:2] for x in out[0][2]] == [x[:2] for x in out[1][2]]
    assert out[0][2][0][2] == __file__


# -- fusion ---------------------------------------------------------------------------------

def _bn(lib, n, affine=True):
    bn = lib.nn.BatchNorm2d(n, affine=affine)
    with lib.no_grad():
        bn.running_mean.copy_(lib.linspace(-1, 1, n))
        bn.running_var.copy_(lib.linspace(0.5, 2, n))
        if affine:
            bn.weight.copy_(lib.linspace(0.2, 1.5, n))
            bn.bias.copy_(lib.linspace(-0.3, 0.3, n))
    return bn.eval()


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_fuse_conv_bn_as_torch(transpose, bias):
    def run(lib):
        lib.manual_seed(0)
        conv = (lib.nn.ConvTranspose2d(3, 4, 3, bias=bias) if transpose
                else lib.nn.Conv2d(3, 4, 3, bias=bias)).eval()
        bn = _bn(lib, 4, affine=bias)
        fused = lib.nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
        x = lib.linspace(-2, 2, 2 * 3 * 5 * 5).reshape(2, 3, 5, 5)
        return fused, fused(x), bn(conv(x)), conv

    (ef, ey, eref, econv), (tf, ty, _, _) = run(ember), run(torch)
    _close(ef.weight, tf.weight)
    _close(ef.bias, tf.bias)
    _close(ey, ty, atol=1e-5)
    _close(ey, eref, atol=1e-5)
    assert type(ef.weight).__name__ == "Parameter" and ef.weight.requires_grad
    assert ef is not econv and repr(ef) == repr(tf)


def test_fuse_linear_bn_as_torch_and_errors():
    def run(lib, n=4):
        lib.manual_seed(1)
        lin = lib.nn.Linear(3, 4).eval()
        bn = lib.nn.BatchNorm1d(n).eval()
        with lib.no_grad():
            bn.running_mean.fill_(0.25)
            bn.running_var.fill_(1.5)
        fused = lib.nn.utils.fuse_linear_bn_eval(lin, bn)
        return fused.weight, fused.bias

    for e, t in zip(run(ember), run(torch)):
        _close(e, t)
    same_error(lambda: run(ember, 3), lambda: run(torch, 3))
    same_error(lambda: ember.nn.utils.fuse_conv_bn_eval(ember.nn.Conv2d(1, 1, 1),
                                                        ember.nn.BatchNorm2d(1)),
               lambda: torch.nn.utils.fuse_conv_bn_eval(torch.nn.Conv2d(1, 1, 1),
                                                        torch.nn.BatchNorm2d(1)))
    w, b = ember.nn.utils.fuse_linear_bn_weights(ember.ones(2, 3), None, ember.zeros(2),
                                                  ember.ones(2), 1e-5, ember.ones(2),
                                                  ember.zeros(2))
    tw, tb = torch.nn.utils.fuse_linear_bn_weights(torch.ones(2, 3), None, torch.zeros(2),
                                                    torch.ones(2), 1e-5, torch.ones(2),
                                                    torch.zeros(2))
    _close(w, tw)
    _close(b, tb)
    assert (w.requires_grad, b.requires_grad) == (tw.requires_grad, tb.requires_grad)


# -- skip_init and stateless.functional_call --------------------------------------------------

def test_skip_init_draws_nothing():
    for lib in (ember, torch):
        lib.manual_seed(4)
        m = lib.nn.utils.skip_init(lib.nn.Linear, 5, 3, bias=False)
        assert tuple(m.weight.shape) == (3, 5) and m.bias is None
        assert isinstance(m.weight, lib.nn.Parameter)
    ember.manual_seed(4)
    torch.manual_seed(4)
    ember.nn.utils.skip_init(ember.nn.Linear, 5, 3)
    torch.nn.utils.skip_init(torch.nn.Linear, 5, 3)
    np.testing.assert_array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())
    same_error(lambda: ember.nn.utils.skip_init(int), lambda: torch.nn.utils.skip_init(int))
    same_error(lambda: ember.nn.utils.skip_init(ember.nn.ReLU),
               lambda: torch.nn.utils.skip_init(torch.nn.ReLU))


def test_stateless_functional_call_warns():
    out = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        m = lib.nn.Linear(2, 2)
        params = {"weight": lib.ones(2, 2), "bias": lib.zeros(2)}
        y, w = _warned(lambda lib=lib, m=m, params=params:
                       lib.nn.utils.stateless.functional_call(m, params, lib.ones(1, 2)))
        out.append((y.tolist(), [x[:2] for x in w], w[0][2]))
    assert out[0][:2] == out[1][:2] and out[0][2] == __file__


# -- weight_norm and spectral_norm, the hook-based API -----------------------------------------

def _conv(lib):
    lib.manual_seed(0)
    return lib.nn.Conv1d(2, 3, 4)


@pytest.mark.parametrize("dim", [0, 1, -2, None])
def test_old_weight_norm_as_torch(dim):
    def run(lib):
        m, w = _warned(lambda: lib.nn.utils.weight_norm(_conv(lib), dim=dim))
        x = lib.linspace(-1, 1, 2 * 2 * 6).reshape(2, 2, 6)
        y = m(x)
        y.pow(2).sum().backward()
        layout = (list(m.state_dict()), [n for n, _ in m.named_parameters()],
                  tuple(m.weight_g.shape), repr(m))
        grads = (m.weight_g.grad, m.weight_v.grad)
        with lib.no_grad():
            m.weight_v.mul_(2.0)
        y2 = m(x)  # the hook recomputes the weight before each forward
        lib.nn.utils.remove_weight_norm(m)
        after = (list(m.state_dict()), type(m.weight).__name__, len(m._forward_pre_hooks))
        return [x[:2] for x in w], layout, after, (y, y2, m.weight), grads

    e, t = run(ember), run(torch)
    assert e[:3] == t[:3]
    for a, b in zip(e[3], t[3]):
        _close(a, b)
    for a, b in zip(e[4], t[4]):
        _close(a, b, rtol=1e-4, atol=1e-5)


def test_old_weight_norm_errors():
    e, t = ember.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ember.nn.utils.weight_norm(e)
        torch.nn.utils.weight_norm(t)
        same_error(lambda: ember.nn.utils.weight_norm(e), lambda: torch.nn.utils.weight_norm(t))
    same_error(lambda: ember.nn.utils.remove_weight_norm(e, "bias"),
               lambda: torch.nn.utils.remove_weight_norm(t, "bias"))


@pytest.mark.parametrize("make,kw", [("conv", {}), ("conv", {"n_power_iterations": 3}),
                                     ("convT", {}), ("linear", {"dim": 1, "eps": 1e-6})])
def test_old_spectral_norm_as_torch(make, kw):
    def run(lib):
        lib.manual_seed(2)
        m = {"conv": lambda: lib.nn.Conv1d(2, 3, 4),
             "convT": lambda: lib.nn.ConvTranspose1d(2, 3, 4),
             "linear": lambda: lib.nn.Linear(5, 4)}[make]()
        m = lib.nn.utils.spectral_norm(m, **kw)
        start = (m.weight_u.clone(), m.weight_v.clone())
        layout = (list(m.state_dict()), [n for n, _ in m.named_parameters()],
                  [n for n, _ in m.named_buffers()], repr(m))
        x = lib.linspace(-1, 1, 5 * 2 * 6).reshape(-1, 2, 6) if make != "linear" \
            else lib.linspace(-1, 1, 10).reshape(2, 5)
        ys = []
        for _ in range(3):
            y = m(x)
            ys.append(y)
        y.pow(2).sum().backward()
        m.eval()
        ys.append(m(x))
        uv = (m.weight_u, m.weight_v)
        grad = m.weight_orig.grad
        lib.nn.utils.remove_spectral_norm(m)
        after = (list(m.state_dict()), type(m.weight).__name__)
        return layout, after, start, uv, ys, grad, m.weight

    e, t = run(ember), run(torch)
    assert e[:2] == t[:2]
    for a, b in zip(e[2], t[2]):  # the random start: torch's normal draws, normalized
        _close(a, b, rtol=1e-6, atol=1e-7)
    for a, b in [*zip(e[3], t[3]), *zip(e[4], t[4]), (e[6], t[6])]:
        _close(a, b, rtol=1e-5, atol=1e-6)
    _close(e[5], t[5], rtol=1e-4, atol=1e-5)


def test_old_spectral_norm_errors():
    E, T = ember.nn.utils, torch.nn.utils
    same_error(lambda: E.spectral_norm(ember.nn.Linear(2, 2), n_power_iterations=0),
               lambda: T.spectral_norm(torch.nn.Linear(2, 2), n_power_iterations=0))
    same_error(lambda: E.spectral_norm(ember.nn.Linear(2, 2, bias=False), "bias"),
               lambda: T.spectral_norm(torch.nn.Linear(2, 2, bias=False), "bias"))
    e, t = E.spectral_norm(ember.nn.Linear(2, 2)), T.spectral_norm(torch.nn.Linear(2, 2))
    same_error(lambda: E.spectral_norm(e), lambda: T.spectral_norm(t))
    same_error(lambda: E.remove_spectral_norm(e, "bias"),
               lambda: T.remove_spectral_norm(t, "bias"))


# -- parametrize ------------------------------------------------------------------------------

def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    return Symmetric


def _scale(lib):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * 2.0

    return Scale


def test_register_parametrization_as_torch():
    def run(lib):
        P = lib.nn.utils.parametrize
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 3)
        weight = m.weight
        P.register_parametrization(m, "weight", _symmetric(lib)())
        first = (type(m).__name__, P.type_before_parametrizations(m).__name__,
                 P.is_parametrized(m), P.is_parametrized(m, "weight"),
                 P.is_parametrized(m, "bias"), list(m.state_dict()),
                 [n for n, _ in m.named_parameters()], repr(m),
                 m.parametrizations.weight.original is weight)
        w = m.weight
        m(lib.ones(2, 3)).sum().backward()
        grad = m.parametrizations.weight.original.grad
        with P.cached():
            same = m.weight is m.weight
        fresh = m.weight is not m.weight
        m.weight = lib.eye(3) * 3  # right_inverse stores triu(A) in the original
        stored = m.parametrizations.weight.original.clone()
        P.register_parametrization(m, "weight", _scale(lib)())
        stacked = (m.weight, repr(m), list(m.state_dict()))
        P.remove_parametrizations(m, "weight")
        after = (type(m).__name__, list(m.state_dict()), type(m.weight).__name__,
                 hasattr(m, "parametrizations"), m.weight is weight)
        return first, (same, fresh), after, stacked[1:], (w, grad, stored, stacked[0],
                                                           m.weight)

    e, t = run(ember), run(torch)
    assert e[:4] == t[:4]
    for a, b in zip(e[4], t[4]):
        _close(a, b)


def test_remove_parametrizations_unparametrized_and_buffers():
    def run(lib):
        P = lib.nn.utils.parametrize
        m = lib.nn.BatchNorm1d(3)
        P.register_parametrization(m, "running_var", _scale(lib)())
        keys = list(m.state_dict())
        v = m.running_var.clone()
        P.remove_parametrizations(m, "running_var", leave_parametrized=False)
        return keys, v, m.running_var, list(m.state_dict()), type(m).__name__

    e, t = run(ember), run(torch)
    assert e[0] == t[0] and e[3:] == t[3:]
    _close(e[1], t[1])
    _close(e[2], t[2])


def test_parametrize_errors():
    def bad_shape(lib):
        class Flat(lib.nn.Module):
            def forward(self, X):
                return X.flatten()

        lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight",
                                                          Flat())

    def bad_dtype(lib):
        class Dbl(lib.nn.Module):
            def forward(self, X):
                return X.double()

        lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight",
                                                          Dbl())

    def missing(lib):
        lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "nope",
                                                          _scale(lib)())

    def not_there(lib):
        lib.nn.utils.parametrize.remove_parametrizations(lib.nn.Linear(2, 2), "weight")

    def no_inverse(lib):
        m = lib.nn.Linear(2, 2)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _scale(lib)())
        m.weight = lib.ones(2, 2)

    def pickled(lib):
        import pickle

        m = lib.nn.Linear(2, 2)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _scale(lib)())
        pickle.dumps(m)

    for fn in (bad_shape, bad_dtype, missing, not_there, no_inverse, pickled):
        same_error(lambda fn=fn: fn(ember), lambda fn=fn: fn(torch))


def test_parametrized_module_deepcopies():
    for lib in (ember, torch):
        m = lib.nn.Linear(2, 2)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _scale(lib)())
        c = copy.deepcopy(m)
        assert type(c).__name__ == "ParametrizedLinear"
        assert c.parametrizations.weight.original is not m.parametrizations.weight.original
        np.testing.assert_array_equal(c.weight.detach().numpy(), m.weight.detach().numpy())


# -- parametrizations.weight_norm and spectral_norm --------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrized_weight_norm_as_torch(dim):
    def run(lib):
        m = lib.nn.utils.parametrizations.weight_norm(_conv(lib), dim=dim)
        x = lib.linspace(-1, 1, 2 * 2 * 6).reshape(2, 2, 6)
        y = m(x)
        y.pow(2).sum().backward()
        p = m.parametrizations.weight
        layout = (list(m.state_dict()), [n for n, _ in m.named_parameters()],
                  tuple(p.original0.shape), repr(m), type(m).__name__)
        values = (y, m.weight, p.original0, p.original1)
        grads = (p.original0.grad, p.original1.grad)
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight")
        return layout, list(m.state_dict()), values, grads, m.weight

    e, t = run(ember), run(torch)
    assert e[:2] == t[:2]
    for a, b in [*zip(e[2], t[2]), (e[4], t[4])]:
        _close(a, b)
    for a, b in zip(e[3], t[3]):
        _close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make,kw", [("conv", {}), ("convT", {"n_power_iterations": 2}),
                                     ("linear", {"dim": 1}), ("vector", {})])
def test_parametrized_spectral_norm_as_torch(make, kw):
    def run(lib):
        lib.manual_seed(3)
        m = {"conv": lambda: lib.nn.Conv1d(2, 3, 4),
             "convT": lambda: lib.nn.ConvTranspose1d(2, 3, 4),
             "linear": lambda: lib.nn.Linear(5, 4),
             "vector": lambda: lib.nn.Linear(5, 4)}[make]()
        name = "bias" if make == "vector" else "weight"
        m = lib.nn.utils.parametrizations.spectral_norm(m, name, **kw)
        p = m.parametrizations[name]
        layout = (list(m.state_dict()), [n for n, _ in m.named_buffers()], repr(m))
        x = lib.linspace(-1, 1, 5 * 2 * 6).reshape(-1, 2, 6) if make in ("conv", "convT") \
            else lib.linspace(-1, 1, 10).reshape(2, 5)
        ys = [m(x) for _ in range(3)]
        ys[-1].pow(2).sum().backward()
        m.eval()
        ys.append(m(x))
        bufs = [b for _, b in p[0].named_buffers()]
        return layout, ys, bufs, p.original.grad, lib.rand(2)

    e, t = run(ember), run(torch)
    assert e[0] == t[0]
    for a, b in [*zip(e[1], t[1]), *zip(e[2], t[2])]:
        _close(a, b)
    _close(e[3], t[3], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(e[4].numpy(), t[4].numpy())  # the same draws were taken


def test_parametrized_spectral_norm_errors():
    S = ember.nn.utils.parametrizations.spectral_norm
    T = torch.nn.utils.parametrizations.spectral_norm
    same_error(lambda: S(ember.nn.Linear(2, 2), dim=2), lambda: T(torch.nn.Linear(2, 2), dim=2))
    same_error(lambda: S(ember.nn.Linear(2, 2), n_power_iterations=0),
               lambda: T(torch.nn.Linear(2, 2), n_power_iterations=0))
    same_error(lambda: S(ember.nn.Linear(2, 2), "nope"), lambda: T(torch.nn.Linear(2, 2), "nope"))


# -- the state-dict hooks: old checkpoints load into the new layouts ---------------------------

def test_old_weight_norm_checkpoint_loads_into_parametrized_weight_norm():
    def run(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = lib.nn.utils.weight_norm(_conv(lib))
        sd = old.state_dict()
        lib.manual_seed(9)
        new = lib.nn.utils.parametrizations.weight_norm(lib.nn.Conv1d(2, 3, 4))
        result = new.load_state_dict(sd)
        return list(sd), repr(result), new.weight, new.parametrizations.weight.original0

    e, t = run(ember), run(torch)
    assert e[:2] == t[:2]
    _close(e[2], t[2])
    _close(e[3], t[3])


def test_spectral_norm_metadata_and_legacy_checkpoint():
    def run(lib):
        lib.manual_seed(5)
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(4, 3))
        sd = m.state_dict()
        meta = dict(sd._metadata)
        m(lib.ones(1, 4))
        # a checkpoint of the layout before version 1: the normalized weight, no weight_v
        legacy = {k: v for k, v in m.state_dict().items() if k != "weight_v"}
        legacy["weight"] = m.weight.detach().clone()
        lib.manual_seed(6)
        m2 = lib.nn.utils.spectral_norm(lib.nn.Linear(4, 3))
        m2.load_state_dict(legacy)
        m2.eval()
        y = m2(lib.ones(1, 4))
        lib.nn.utils.remove_spectral_norm(m2)
        # (torch wraps its load pre-hooks, so its remove_spectral_norm never finds the
        # one to drop; the state-dict hook goes in both)
        return meta, m2.weight, y, len(m2._state_dict_hooks)

    e, t = run(ember), run(torch)
    assert e[0] == t[0] and e[3] == t[3] == 0
    _close(e[1], t[1], rtol=1e-4, atol=1e-5)
    _close(e[2], t[2], rtol=1e-4, atol=1e-5)


def test_load_state_dict_leaves_the_callers_dict_alone():
    for lib in (ember, torch):
        m = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2))
        sd = {"bias": lib.zeros(2), "weight_g": lib.ones(2, 1), "weight_v": lib.eye(2)}
        m.load_state_dict(sd)
        assert list(sd) == ["bias", "weight_g", "weight_v"]
        np.testing.assert_array_equal(m.weight.detach().numpy(), np.eye(2))


# -- parametrizations.orthogonal ----------------------------------------------------------------

@pytest.mark.parametrize("orthogonal_map", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
@pytest.mark.parametrize("trivial", [True, False])
def test_orthogonal_as_torch(orthogonal_map, shape, trivial):
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Linear(shape[1], shape[0])
        lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map,
                                                 use_trivialization=trivial)
        layout = (list(m.state_dict()), repr(m))
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        x = lib.linspace(-1, 1, 2 * shape[1]).reshape(2, shape[1])
        ws = []
        for _ in range(3):  # steps away from the start, where the maps are not at 0
            opt.zero_grad()
            m(x).pow(3).sum().backward()
            opt.step()
            ws.append(m.weight.detach().clone())
        grad = m.parametrizations.weight.original.grad
        w = m.weight
        gram = w @ w.mT if shape[0] <= shape[1] else w.mT @ w
        return layout, ws, grad, gram, lib.rand(2)

    e, t = run(ember), run(torch)
    assert e[0] == t[0]
    for a, b in zip(e[1], t[1]):
        _close(a, b, rtol=1e-4, atol=1e-5)
    _close(e[2], t[2], rtol=1e-4, atol=1e-5)
    _close(e[3], ember.eye(min(shape)), atol=1e-5)
    np.testing.assert_array_equal(e[4].numpy(), t[4].numpy())


def test_orthogonal_assignment_and_errors():
    def run(lib):
        lib.manual_seed(1)
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3))
        q = lib.linalg.qr(lib.randn(3, 3))[0]
        m.weight = q  # an orthogonal matrix is kept as the base
        base = m.parametrizations.weight[0].base.clone()
        h = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 4),
                                                     use_trivialization=False)
        h.weight = lib.linalg.qr(lib.randn(4, 3))[0]
        return q, base, m.weight, h.weight

    e, t = run(ember), run(torch)
    for a, b in zip(e, t):
        _close(a, b, rtol=1e-5, atol=1e-5)
    O, T = ember.nn.utils.parametrizations.orthogonal, torch.nn.utils.parametrizations.orthogonal
    same_error(lambda: O(ember.nn.Linear(2, 2), "bias"), lambda: T(torch.nn.Linear(2, 2), "bias"))
    same_error(lambda: O(ember.nn.Linear(2, 2), orthogonal_map="qr"),
               lambda: T(torch.nn.Linear(2, 2), orthogonal_map="qr"))
    same_error(lambda: O(ember.nn.Linear(2, 2), "nope"), lambda: T(torch.nn.Linear(2, 2), "nope"))

    def assign_bad_shape(lib):
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2))
        m.weight = lib.eye(3)

    def assign_without_base(lib):
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2),
                                                     use_trivialization=False)
        m.weight = lib.eye(2)

    for fn in (assign_bad_shape, assign_without_base):
        same_error(lambda fn=fn: fn(ember), lambda fn=fn: fn(torch))
