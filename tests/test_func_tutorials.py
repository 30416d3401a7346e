"""torch.func as torch's own func tutorials use it (per-sample gradients, model ensembling,
neural tangent kernels, Jacobians and Hessians), run on ember and on torch: each program
takes the library as its argument and both results must agree. The programs also run with
vmap's per-example fallback disabled, since torch batches every op they use."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.func
import torch.nn
import torch.nn.functional

import ember
import ember.func
import ember.nn
import ember.nn.functional
from ember.func import _vmap
from helpers import assert_same, same_error

EMBER = (ember, ember.func, ember.nn, ember.nn.functional)
TORCH = (torch, torch.func, torch.nn, torch.nn.functional)
RTOL, ATOL = 1e-4, 1e-5


def same(e, t):
    """Results (tensors, or tuples, lists and dicts of them) agree in structure and value."""
    if isinstance(t, dict):
        assert list(e) == list(t)
        e, t = list(e.values()), list(t.values())
    if isinstance(t, (list, tuple)):
        assert isinstance(e, tuple) == isinstance(t, tuple) and len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b)
        return
    assert_same(e, t, RTOL, ATOL)


def both(program):
    same(program(*EMBER), program(*TORCH))


@pytest.fixture
def batched_only(monkeypatch):
    """Fails any op that vmap would run per example."""
    def refuse(fn, name, args, kwargs, level):
        raise AssertionError(f"{name} ran per example under vmap")

    monkeypatch.setattr(_vmap, "_loop_rule", refuse)


def cnn(lib, nn, F):
    class SimpleCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.fc1 = nn.Linear(8 * 2 * 2, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.relu(self.conv2(F.relu(self.conv1(x))))
            x = lib.flatten(F.max_pool2d(x, 2), 1)
            return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)

    return SimpleCNN()


def mlp(nn, F):
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(8, 16)
            self.fc2 = nn.Linear(16, 4)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x.flatten(1))))

    return MLP


def test_per_sample_gradients(batched_only):
    def program(lib, func, nn, F):
        lib.manual_seed(0)
        model = cnn(lib, nn, F)
        data, targets = lib.randn(4, 1, 8, 8), lib.randint(10, (4,))
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            predictions = func.functional_call(model, (params, buffers),
                                               (sample.unsqueeze(0),))
            return F.nll_loss(predictions, target.unsqueeze(0))

        return func.vmap(func.grad(compute_loss), in_dims=(None, None, 0, 0))(
            params, buffers, data, targets)

    both(program)


def test_per_sample_gradients_with_cross_entropy_and_aux():
    def program(lib, func, nn, F):
        lib.manual_seed(1)
        model = mlp(nn, F)()
        params = {k: v.detach() for k, v in model.named_parameters()}
        x, y = lib.randn(3, 8), lib.randint(4, (3,))

        def loss(p, x, y):
            out = func.functional_call(model, p, (x.unsqueeze(0),))
            return F.cross_entropy(out, y.unsqueeze(0), label_smoothing=0.1), out.squeeze(0)

        return func.vmap(func.grad(loss, has_aux=True), in_dims=(None, 0, 0))(params, x, y)

    both(program)


@pytest.mark.parametrize("shared_batch", [True, False])
def test_ensembling_with_stacked_state_and_a_meta_base_model(batched_only, shared_batch):
    def program(lib, func, nn, F):
        lib.manual_seed(0)
        MLP = mlp(nn, F)
        models = [MLP() for _ in range(3)]
        minibatch = lib.randn(5, 8) if shared_batch else lib.randn(3, 5, 8)
        params, buffers = func.stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")

        def fmodel(params, buffers, x):
            return func.functional_call(base, (params, buffers), (x,))

        dims = (0, 0, None if shared_batch else 0)
        out = func.vmap(fmodel, in_dims=dims)(params, buffers, minibatch)
        out.square().sum().backward()  # the stacked parameters are trainable leaves
        return out, [p.grad for p in params.values()], [p.is_leaf for p in params.values()]

    both(program)


def test_ensembling_convolutions():
    def program(lib, func, nn, F):
        lib.manual_seed(0)
        models = [cnn(lib, nn, F)]
        models.append(type(models[0])())
        params, buffers = func.stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")
        x = lib.randn(3, 1, 8, 8)
        return func.vmap(lambda p, b: func.functional_call(base, (p, b), (x,)))(params, buffers)

    both(program)


def fnet(lib, func, nn, F):
    lib.manual_seed(0)
    net = mlp(nn, F)()
    params = {k: v.detach() for k, v in net.named_parameters()}

    def fnet_single(params, x):
        return func.functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

    return fnet_single, params, lib.randn(3, 8), lib.randn(2, 8)


def test_ntk_by_jacobian_contraction(batched_only):
    def program(lib, func, nn, F):
        f, params, x1, x2 = fnet(lib, func, nn, F)
        jac1 = [j.flatten(2) for j in func.vmap(func.jacrev(f), (None, 0))(params, x1).values()]
        jac2 = [j.flatten(2) for j in func.vmap(func.jacrev(f), (None, 0))(params, x2).values()]
        per_param = [lib.einsum("Naf,Mbf->NMab", a, b) for a, b in zip(jac1, jac2)]
        inside = func.vmap(lambda a: lib.einsum("af,Mbf->Mab", a, jac2[0]))(jac1[0])
        return lib.stack(per_param).sum(0), inside

    both(program)


def test_ntk_by_ntk_vector_products(batched_only):
    def program(lib, func, nn, F):
        f, params, x1, x2 = fnet(lib, func, nn, F)

        def get_ntk(x1, x2):
            output, vjp_fn = func.vjp(lambda p: f(p, x1), params)

            def get_ntk_slice(vec):
                return func.jvp(lambda p: f(p, x2), (params,), vjp_fn(vec))[1]

            basis = lib.eye(output.numel(), dtype=output.dtype).view(output.numel(), -1)
            return func.vmap(get_ntk_slice)(basis)

        return func.vmap(func.vmap(get_ntk, (None, 0)), (0, None))(x1, x2)

    both(program)


@pytest.mark.parametrize("transform", [
    lambda F: F.jacrev(predict, argnums=2),
    lambda F: F.jacfwd(predict, argnums=2),
    lambda F: F.hessian(predict, argnums=2),
    lambda F: F.jacfwd(F.jacrev(predict, argnums=2), argnums=2),
    lambda F: F.jacrev(F.jacrev(predict, argnums=2), argnums=2),
    lambda F: F.jacrev(F.jacfwd(predict, argnums=2), argnums=2),
    lambda F: F.jacrev(predict, argnums=(0, 1)),
    lambda F: F.jacrev(predict, argnums=(0, 2), chunk_size=3),
])
def test_jacobians_and_hessians(batched_only, transform):
    def program(lib, func, nn, F):
        lib.manual_seed(0)
        w, b, x = lib.randn(4, 4), lib.randn(4), lib.randn(4)
        single = transform(func)(w, b, x, F)
        batched = func.vmap(transform(func), in_dims=(None, None, 0, None))(
            w, b, lib.randn(3, 4), F)
        return single, batched

    both(program)


def test_mixed_second_derivatives_of_linear_layers():
    # Forward over reverse needs the intermediates that linear and a vector-matrix matmul
    # save (weight.t(), the vector as a row) as duals.
    def program(lib, func, nn, F):
        w, b, x = X(lib, 3, 4), X(lib, 3).cos(), X(lib, 2, 4).cos()
        mixed = func.jacfwd(func.jacrev(predict, argnums=(0, 2)), argnums=(0, 2))
        return (func.hessian(predict, argnums=(0, 1, 2))(w, b, x[0], F), mixed(w, b, x, F),
                func.jvp(lambda w: F.linear(x, w, b), (w,), (lib.ones(3, 4),)),
                func.jacfwd(func.jacrev(lambda w, v: (v @ w).tanh(), (0, 1)), (0, 1))(
                    w.t(), x[0]),
                [func.jacfwd(func.jacrev(lambda a, b: (a @ b).tanh().sum(), (0, 1)), (0, 1))(
                    X(lib, *sa), X(lib, *sb).cos())
                 for sa, sb in (((2, 2, 3), (3, 2)), ((2, 2, 3), (2, 3, 2)), ((3,), (2, 3, 2)),
                                ((2, 2, 3), (3,)), ((1, 2, 3), (2, 3, 2)))])

    both(program)


def predict(weight, bias, x, F):
    return F.linear(x, weight, bias).tanh()


@pytest.mark.parametrize("program", [
    # A batched weight or bias is a grouped convolution; a batched input folds into N.
    lambda lib, F, nn, Fn: (
        F.vmap(lambda w, b: Fn.conv2d(X(lib, 5, 2, 6, 6), w, b, padding=1))(
            X(lib, 3, 4, 2, 3, 3), X(lib, 3, 4)),
        F.vmap(lambda w, x: Fn.conv2d(x, w, stride=2))(X(lib, 3, 4, 2, 3, 3),
                                                       X(lib, 3, 2, 5, 5)),
        F.vmap(lambda w: Fn.conv2d(X(lib, 2, 4, 5, 5), w, groups=2))(X(lib, 3, 4, 2, 3, 3)),
        F.vmap(lambda x: Fn.conv1d(x, X(lib, 4, 2, 3)))(X(lib, 3, 5, 2, 6)),
        F.vmap(lambda x: Fn.conv_transpose2d(x, X(lib, 2, 4, 3, 3)))(X(lib, 3, 5, 2, 4, 4))),
    lambda lib, F, nn, Fn: (
        F.vmap(lambda x: Fn.max_pool2d(x, 3, 1, 1, return_indices=True))(X(lib, 3, 2, 2, 6, 6)),
        F.vmap(lambda x: Fn.avg_pool2d(x, 2))(X(lib, 3, 2, 6, 6)),
        F.vmap(lambda x: Fn.adaptive_avg_pool2d(x, 2))(X(lib, 3, 2, 2, 5, 5)),
        F.vmap(lambda x: Fn.adaptive_max_pool2d(x, 2))(X(lib, 3, 2, 5, 5)),
        F.vmap(lambda x: Fn.max_pool1d(x, 2))(X(lib, 3, 2, 6))),
    lambda lib, F, nn, Fn: [
        F.vmap(lambda x, t, w=w, red=red: Fn.nll_loss(x, t, w, reduction=red, ignore_index=1))(
            X(lib, 3, 4, 5), lib.tensor([[0, 1, 2, 3], [1, 1, 1, 1], [4, 3, 2, 1]]))
        for red in ("mean", "sum", "none") for w in (None, X(lib, 5).exp())] + [
        F.vmap(lambda x, t: Fn.nll_loss(x, t))(X(lib, 3, 5), lib.tensor([0, 4, 2])),
        F.vmap(lambda x: Fn.cross_entropy(x, lib.tensor([1, 0])))(X(lib, 3, 2, 4))],
    lambda lib, F, nn, Fn: (
        F.vmap(lambda x: lib.einsum("...j,kj->...k", x, x))(X(lib, 3, 4, 5)),
        F.vmap(lambda x: lib.einsum("ii->i", x))(X(lib, 3, 4, 4)),
        F.vmap(lambda x, y: lib.einsum("ij,jk", x, y), (0, None))(X(lib, 3, 4, 5),
                                                                 X(lib, 5, 2)),
        F.vmap(lambda x: lib.cat([x, X(lib, 2, 5)]))(X(lib, 3, 4, 5)),
        F.vmap(lambda x: lib.stack([x, x * 2], -1))(X(lib, 3, 4, 5)),
        F.vmap(lambda x: (x.diagonal(), x.diagonal(1, 1, 0)))(X(lib, 3, 4, 5)),
        F.vmap(lambda x: lib.slice_scatter(lib.zeros(6, 5), x, 0, 1, 5))(X(lib, 3, 4, 5)),
        F.vmap(lambda w, b: Fn.linear(X(lib, 4, 5), w, b))(X(lib, 3, 2, 5), X(lib, 3, 2)),
        F.vmap(lambda x: Fn.layer_norm(x, (5,)))(X(lib, 3, 4, 5))),
    lambda lib, F, nn, Fn: [
        F.vmap(lambda x, y, r=r: (Fn.mse_loss(x, y, reduction=r), Fn.huber_loss(x, y, r, 0.5),
                                  Fn.smooth_l1_loss(x, y, reduction=r),
                                  Fn.binary_cross_entropy(x.sigmoid(), y.sigmoid(), reduction=r),
                                  Fn.binary_cross_entropy_with_logits(
                                      x, y.sigmoid(), X(lib, 2), reduction=r,
                                      pos_weight=X(lib, 2) + 2)))(
            X(lib, 3, 4, 2), X(lib, 3, 4, 2).cos())
        for r in ("mean", "sum", "none")],
    lambda lib, F, nn, Fn: (
        F.vmap(lambda x: (Fn.pad(x, (1, 1), mode="reflect"), Fn.pad(x, (1, 2, 1, 0), value=3.0),
                          Fn.pad(x, (1, 2, 1, 0), mode="replicate")))(X(lib, 3, 2, 4, 4)),
        F.vmap(lambda x: Fn.pad(x, (1, 1), mode="circular"))(X(lib, 3, 2, 4)),
        F.vmap(lambda x: (x.argmax(), x.argmin(1, keepdim=True), x.max(), x.min(0),
                          lib.maximum(x, x * 2), x.max(keepdim=True, dim=1)))(X(lib, 3, 4, 2)),
        F.vmap(lambda x: (x[1], x[1:, ::2], x[..., 1], x[None, 1:3, -1], x[:, None]))(
            X(lib, 3, 4, 4))),
    lambda lib, F, nn, Fn: (
        F.vmap(lambda i: Fn.embedding(i, X(lib, 5, 3)))(lib.tensor([[0, 1], [4, 2], [3, 3]])),
        F.vmap(lambda x: Fn.group_norm(x, 2, X(lib, 4), X(lib, 4)))(X(lib, 3, 2, 4, 3)),
        F.vmap(lambda x: Fn.batch_norm(x, X(lib, 4), X(lib, 4).exp(), X(lib, 4)))(
            X(lib, 3, 2, 4)),
        F.vmap(lambda x, i: (x.gather(0, i), x.scatter(0, i, x[:2] * 2),
                             x.scatter_add(1, i % 2, x[:2]), lib.zeros(4, 2).scatter(0, i, 5.0)))(
            X(lib, 3, 4, 2), lib.tensor([[[0, 1], [2, 1]], [[1, 1], [0, 0]], [[3, 0], [0, 1]]]))),
])
def test_nn_batching_rules(batched_only, program):
    both(lambda lib, func, nn, F: program(lib, func, nn, F))


def X(lib, *shape):
    """A deterministic float32 tensor of this shape."""
    n = 1
    for s in shape:
        n *= s
    return (lib.arange(n, dtype=lib.float32) * 0.7).sin().reshape(shape)


def test_gradients_of_vmapped_nn_ops():
    def program(lib, func, nn, F):
        x, w = X(lib, 3, 2, 6, 6).requires_grad_(), X(lib, 4, 2, 3, 3).requires_grad_()

        def f(x, w):
            y = F.max_pool2d(F.conv2d(x, w, padding=1).relu(), 2)
            return F.log_softmax(y.flatten(), 0)

        out = func.vmap(f, (0, None))(x, w)
        return out, lib.autograd.grad(out[:, 0].sum(), (x, w))

    both(program)


# torch.func.linearize traces with torch.fx, which warns about its own graph module.
@pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node:UserWarning")
def test_transform_options():
    def program(lib, func, nn, F):
        x, y = X(lib, 3), X(lib, 3) + 1

        def f(x, y):
            r = (x.sin() * y).sum()
            return r, {"aux": x.cos(), "twice": r * 2}

        def h(d):
            return {"a": d["x"].tanh() * d["x"].sum(), "b": d["x"].sum()}

        out = func.vmap(lambda d, t: {"s": d["a"] + t[0], "p": d["b"] * t[1]},
                        in_dims=({"a": 0, "b": 1}, (None, 0)), out_dims={"s": 1, "p": 0})(
            {"a": X(lib, 2, 3), "b": X(lib, 3, 2)}, (X(lib, 3), X(lib, 2, 1)))
        value, jvp_fn = func.linearize(lambda x: x.sin() * 2, x)
        return (func.grad(f, has_aux=True)(x, y), func.grad(f, (0, 1), has_aux=True)(x, y),
                func.jacrev(h, chunk_size=1)({"x": x}), func.jacrev(h, chunk_size=2)({"x": x}),
                out, func.vmap(lambda a, b: (a * b, a - b), (0, None), (0, 1))(X(lib, 2, 3), y),
                value, jvp_fn(lib.ones(3)))

    both(program)


def tied(lib, nn):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3, bias=False)
            self.b = nn.Linear(3, 3, bias=False)
            self.b.weight = self.a.weight
            self.register_buffer("buf", lib.ones(3))

        def forward(self, x):
            return self.b(self.a(x)) + self.buf

    return Tied()


def test_functional_call_tie_weights_and_strict():
    def program(lib, func, nn, F):
        lib.manual_seed(0)
        m, x, w = tied(lib, nn), X(lib, 3), lib.eye(3) * 2
        return (func.functional_call(m, {"a.weight": w}, (x,)),
                func.functional_call(m, {"a.weight": w}, (x,), tie_weights=False),
                func.functional_call(m, ({"a.weight": w}, {"buf": lib.zeros(3)}), x),
                func.functional_call(m, {"a.weight": w, "buf": x}, (x,), strict=True))

    both(program)
    for values in ({"a.weight": X(ember, 3, 3)}, {"a.weight": X(ember, 3, 3), "buf": X(ember, 3),
                                                   "zz": X(ember, 3)}):
        same_error(lambda values=values: ember.func.functional_call(
            tied(ember, ember.nn), values, (X(ember, 3),), strict=True),
            lambda values=values: torch.func.functional_call(
                tied(torch, torch.nn), {k: to_torch(v) for k, v in values.items()},
                (X(torch, 3),), strict=True))
    same_error(lambda: ember.func.functional_call(
        tied(ember, ember.nn), ({"buf": X(ember, 3)}, {"buf": X(ember, 3)}), X(ember, 3)),
        lambda: torch.func.functional_call(
            tied(torch, torch.nn), ({"buf": X(torch, 3)}, {"buf": X(torch, 3)}), X(torch, 3)))
    same_error(lambda: ember.func.functional_call(
        tied(ember, ember.nn), {"a.weight": X(ember, 3, 3), "b.weight": X(ember, 3, 3)},
        X(ember, 3)),
        lambda: torch.func.functional_call(
            tied(torch, torch.nn), {"a.weight": X(torch, 3, 3), "b.weight": X(torch, 3, 3)},
            X(torch, 3)))


def to_torch(v):
    return torch.from_numpy(v.numpy().copy())


def test_stack_module_state_errors():
    def cases(nn):
        frozen = nn.Linear(2, 2)
        frozen.bias.requires_grad_(False)
        return [[], [nn.Linear(2, 2), nn.Linear(2, 2).eval()],
                [nn.Linear(2, 2), nn.Conv2d(1, 1, 1)], [nn.Linear(2, 2), frozen]]

    for e, t in zip(cases(ember.nn), cases(torch.nn)):
        same_error(lambda e=e: ember.func.stack_module_state(e),
                   lambda t=t: torch.func.stack_module_state(t))

    def buffers(lib, func, nn, F):
        params, bufs = func.stack_module_state([nn.BatchNorm1d(3), nn.BatchNorm1d(3)])
        return [(v.requires_grad, v.is_leaf) for v in params.values()], bufs

    both(buffers)


def test_meta_module_is_a_placeholder():
    def program(lib, func, nn, F):
        m = nn.Linear(2, 3).to("meta")
        cast = nn.Linear(2, 3).to(device=lib.device("meta"), dtype=lib.float64)
        return (repr(m.weight), repr(cast.weight), str(m.bias.device), m.weight.is_meta,
                tuple(m.weight.shape), m.weight.requires_grad)

    e, t = program(*EMBER), program(*TORCH)
    assert e == t
    for run in (lambda lib: lib.nn.Linear(2, 3).to("meta")(X(lib, 1, 2)),
                lambda lib: lib.nn.Linear(2, 3).to("meta").to("cpu")):
        same_error(lambda run=run: run(ember), lambda run=run: run(torch))
