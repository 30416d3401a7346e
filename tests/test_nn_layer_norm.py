"""Layer norm's one-pass forward and fused plain backward against torch."""

import warnings

import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_matches_torch_with_inf_and_nan_silently(affine, dtype):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((4, 6, 8)) * 3 + 1).astype(dtype)
    a[0, 0, 0], a[1, 2, 3] = np.inf, np.nan
    g = rng.standard_normal(a.shape).astype(dtype)
    w = rng.standard_normal(8).astype(dtype)
    b = rng.standard_normal(8).astype(dtype)
    results = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True) if affine else None
        bt = lib.tensor(b, requires_grad=True) if affine else None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = lib.nn.functional.layer_norm(x, (8,), wt, bt)
            y.backward(lib.tensor(g))
        grads = [x.grad] + ([wt.grad, bt.grad] if affine else [])
        results.append([y.detach().numpy()] + [t.numpy() for t in grads])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=tol, atol=tol)


def test_layer_norm_weight_gradient_only():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((5, 7)).astype(np.float32)
    w = rng.standard_normal(7).astype(np.float32)
    out = []
    for lib in (ember, torch):
        wt = lib.tensor(w, requires_grad=True)
        lib.nn.functional.layer_norm(lib.tensor(a), (7,), wt).sum().backward()
        out.append(wt.grad.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,normalized", [((4,), (4,)), ((3, 4), (3, 4)),
                                              ((2, 3, 4), (3, 4)), ((2, 3), (3,))])
def test_layer_norm_double_backward_when_normalized_shape_is_whole_input(shape, normalized):
    # The weight's and the bias's gradients sum over no dimension when normalized_shape is
    # the input's whole shape; under create_graph that empty sum must reduce nothing.
    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape)
    w, b = rng.standard_normal(normalized), rng.standard_normal(normalized)
    g = rng.standard_normal(shape)
    results = []
    for lib in (ember, torch):
        ins = [lib.tensor(v, requires_grad=True) for v in (a, w, b)]
        y = lib.nn.functional.layer_norm(ins[0], normalized, ins[1], ins[2])
        grads = lib.autograd.grad(y, ins, lib.tensor(g), create_graph=True)
        second = lib.autograd.grad(sum((t * t).sum() for t in grads), ins, allow_unused=True)
        results.append([None if t is None else t.detach().numpy() for t in grads + second])
    for mine, theirs in zip(*results):
        if theirs is None:
            assert mine is None
            continue
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)
