"""Non-reentrant checkpoint (use_reentrant=False) against torch: recomputation in backward,
double backward, autograd.grad inside the function, RNG replay, retained graphs and the
determinism errors."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same

X = np.array([[0.3, -0.7, 1.2], [0.5, 0.1, -0.4]])
W = np.array([[0.9, -1.1], [0.2, 0.4], [-0.3, 0.8]])


def leaf(lib, a):
    return lib.from_numpy(np.array(a, dtype=np.float64)).requires_grad_()


def cp(lib):
    return importlib.import_module(lib.__name__ + ".utils.checkpoint")


def test_double_backward_and_call_count():
    def run(lib):
        x, w = leaf(lib, X), leaf(lib, W)
        calls = []

        def block(a, b, scale=1.0):
            calls.append(1)
            return (lib.tanh(a @ b) * scale).exp().sigmoid()

        y = cp(lib).checkpoint(block, x, w, use_reentrant=False, scale=0.5).sum()
        n_forward = len(calls)
        gx, gw = lib.autograd.grad(y, (x, w), create_graph=True)
        ggx, ggw = lib.autograd.grad((gx * gx).sum() + gw.sum(), (x, w))
        return [y, gx, gw, ggx, ggw], n_forward, len(calls)

    (e, e1, e2), (t, t1, t2) = run(ember), run(torch)
    assert_same(e, t)
    assert (e1, e2) == (t1, t2)


def test_grad_inside_checkpointed_function():
    def run(lib):
        x = leaf(lib, X)

        def fn(a):
            y = a.sin()
            z = y.cos()
            g, = lib.autograd.grad(z.sum(), a, create_graph=True)
            return g * z

        out = cp(lib).checkpoint(fn, x, use_reentrant=False)
        out.sum().backward()
        return [out, x.grad]

    assert_same(run(ember), run(torch))


def test_rng_replay_retain_graph_and_no_grad_inputs():
    def run(lib):
        lib.manual_seed(3)
        x, w = leaf(lib, X), leaf(lib, W)

        def fn(a):
            return lib.nn.functional.dropout(a @ w, p=0.5, training=True).exp()

        y = cp(lib).checkpoint(fn, x, use_reentrant=False).sum()
        y.backward(retain_graph=True)
        first = [x.grad.clone(), w.grad.clone()]
        y.backward()
        c = cp(lib).checkpoint(fn, lib.from_numpy(X), use_reentrant=False).sum()
        c.backward()
        return first + [x.grad, w.grad, lib.rand(2)]

    assert_same(run(ember), run(torch))


def test_determinism_errors():
    def run(lib, fn, **kw):
        x = leaf(lib, X)
        state = {"n": 0}

        def block(a):
            state["n"] += 1
            return fn(lib, a, state["n"])

        out = cp(lib).checkpoint(block, x, use_reentrant=False, **kw)
        try:
            out.sum().backward()
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
        return None

    def more_saved(lib, a, n):
        return a.exp() if n == 1 else a.exp().exp()

    def other_shape(lib, a, n):
        return (a if n == 1 else a[:1]).exp()

    def fewer_saved(lib, a, n):
        return a.exp().exp() if n == 1 else a.exp()

    for fn, kw in ((more_saved, dict(early_stop=False)), (other_shape, {}),
                   (fewer_saved, {})):
        assert run(ember, fn, **kw) == run(torch, fn, **kw)
        assert run(ember, fn, **kw)[0] == "CheckpointError"
    # Early stop: the recomputation ends before the extra tensors are saved.
    assert run(ember, more_saved) is None
    assert run(torch, more_saved) is None
    assert run(ember, other_shape, determinism_check="none") is None
    assert run(torch, other_shape, determinism_check="none") is None


@pytest.mark.parametrize("kw", [dict(determinism_check="bogus", use_reentrant=False),
                                dict(debug=True, use_reentrant=True)])
def test_option_errors(kw):
    def run(lib):
        try:
            cp(lib).checkpoint(lambda a: a * 2, leaf(lib, X), **kw)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)

    assert run(ember) == run(torch) is not None
