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
