"""Hooks, saved-tensor hooks and anomaly mode against torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error

X = np.array([0.5, -1.0, 2.0])


def leaf(lib, arr=X):
    return lib.from_numpy(np.array(arr, dtype=np.float64)).requires_grad_()


def both(fn):
    return fn(ember), fn(torch)


def test_hook_order_and_replacement():
    def run(lib):
        log = []
        x = leaf(lib)
        y = x * 2
        z = y.exp()
        y.register_hook(lambda g: log.append(("y1", g.clone())) or g * 3)
        h = y.register_hook(lambda g: log.append(("y2", g.clone())))
        y.retain_grad()
        z.grad_fn.register_prehook(lambda gs: log.append(("pre",)))
        z.grad_fn.register_hook(lambda gi, go: log.append(("post",)))
        x.register_hook(lambda g: log.append(("x", g.clone())))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("acc", t.grad.clone())))
        z.sum().backward(retain_graph=True)
        h.remove()
        z.sum().backward()
        return [e[0] for e in log], [e[1] for e in log if len(e) > 1], y.grad, x.grad
    e, t = both(run)
    assert e[0] == t[0]
    assert_same(e[1], t[1])
    assert_same(e[2], t[2])
    assert_same(e[3], t[3])


def test_node_hooks_modify_gradients():
    def run(lib):
        x = leaf(lib)
        y = x.sin()
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 10,))
        z = y * 2
        z.grad_fn.register_prehook(lambda go: (go[0] + 1,))
        z.sum().backward()
        return x.grad
    e, t = both(run)
    assert_same(e, t)


def test_hook_errors():
    def run(lib):
        return lambda: lib.ones(2).register_hook(lambda g: g)
    same_error(*both(run))

    def run2(lib):
        x = leaf(lib)
        return lambda: (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    e, t = both(run2)
    with pytest.raises(RuntimeError):
        e()
    with pytest.raises(RuntimeError):
        t()


def test_backward_inputs():
    def run(lib):
        x, w = leaf(lib), leaf(lib, [1.0, 2.0, 3.0])
        h = x * w
        out = (h * h).sum()
        out.backward(inputs=[w, h], retain_graph=True)
        r = (x.grad, w.grad.clone(), h.grad)
        out.backward(inputs=x)
        return r + (x.grad,)
    e, t = both(run)
    assert_same(list(e), list(t))


def test_saved_tensors_hooks():
    def run(lib):
        packed = []

        def pack(t):
            packed.append(tuple(t.shape))
            return t.detach().clone()

        def unpack(t):
            return t

        x = leaf(lib)
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = (x * x).exp()
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)
        return len(packed) > 0, g, gg
    e, t = both(run)
    assert e[0] and t[0]
    assert_same(list(e[1:]), list(t[1:]))


def test_save_on_cpu():
    def run(lib):
        x = leaf(lib)
        with lib.autograd.graph.save_on_cpu():
            y = (x.sin() * x).sum()
        y.backward()
        return x.grad
    assert_same(*both(run))


def test_anomaly_nan_and_traceback():
    def run(lib):
        x = leaf(lib, [0.0, 1.0])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with lib.autograd.detect_anomaly():
                y = lib.sqrt(x) * 0
                z = (y / y).sum()
                try:
                    z.backward()
                except RuntimeError as err:
                    msg = str(err)
        texts = [str(m.message) for m in w if m.category is UserWarning]
        return msg, texts, lib.is_anomaly_enabled()
    e, t = both(run)
    assert e[0] == t[0]
    assert e[1][0] == t[1][0]
    assert e[1][1].startswith("Error detected in DivBackward0. Traceback of forward call that "
                              "caused the error:\n")
    assert "y / y" in e[1][1]
    assert e[2] is False and t[2] is False


def test_set_detect_anomaly_and_no_record_when_off():
    ember.autograd.set_detect_anomaly(True)
    try:
        assert ember.is_anomaly_enabled()
        y = leaf(ember) * 2
        assert y.grad_fn._trace
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert not ember.is_anomaly_enabled()
    y = leaf(ember) * 2
    assert not hasattr(y.grad_fn, "_trace")


def test_node_metadata_is_a_dict_kept_with_the_node():
    def run(lib):
        x = leaf(lib)
        y = x * 2
        fresh = dict(y.grad_fn.metadata)
        y.grad_fn.metadata["step"] = 3
        acc = y.sum().grad_fn.next_functions[0][0].next_functions[0][0]
        return fresh, dict(y.grad_fn.metadata), dict(acc.metadata)

    assert both(run)[0] == both(run)[1] == ({}, {"step": 3}, {})
