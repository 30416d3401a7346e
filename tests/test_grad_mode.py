"""Grad modes against torch: context managers, decorators, nesting, thread-locality."""

from __future__ import annotations

import threading

import torch

import ember


def _modes(lib):
    out = []
    x = lib.ones(2, requires_grad=True)

    def record():
        out.append((lib.is_grad_enabled(), (x * 2).requires_grad,
                    lib.is_inference_mode_enabled()))

    record()
    with lib.no_grad():
        record()
        with lib.enable_grad():
            record()
            with lib.set_grad_enabled(False):
                record()
            record()
        record()
    record()
    lib.set_grad_enabled(False)
    record()
    lib.set_grad_enabled(True)
    record()
    with lib.inference_mode():
        record()
        with lib.inference_mode(False):
            record()
        record()
    with lib.inference_mode(False):
        record()

    @lib.no_grad()
    def f():
        record()

    @lib.enable_grad()
    def g():
        record()

    @lib.set_grad_enabled(False)
    def h():
        record()

    @lib.inference_mode()
    def k():
        record()

    @lib.no_grad
    def f2():
        record()

    @lib.inference_mode
    def k2():
        record()

    f()
    with lib.no_grad():
        g()
    h()
    k()
    f2()
    k2()
    record()
    try:
        with lib.no_grad():
            raise KeyError
    except KeyError:
        pass
    record()
    return out


def test_modes_match_torch():
    assert _modes(ember) == _modes(torch)


def test_no_grad_results_and_leaf_requires_grad():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            y = x * 2
            z = lib.ones(2, requires_grad=True)
        assert not y.requires_grad and y.grad_fn is None and z.requires_grad


def test_thread_local():
    for lib in (ember, torch):
        seen = {}
        ready = threading.Event()
        done = threading.Event()

        def worker(lib=lib, seen=seen, ready=ready, done=done):
            seen["start"] = lib.is_grad_enabled()
            with lib.no_grad():
                ready.set()
                done.wait(5)
                seen["inside"] = lib.is_grad_enabled()

        with lib.no_grad():
            th = threading.Thread(target=worker)
            th.start()
            ready.wait(5)
            seen["main_inside"] = lib.is_grad_enabled()
        seen["main_after"] = lib.is_grad_enabled()
        done.set()
        th.join()
        assert seen == {"start": True, "inside": False, "main_inside": False,
                        "main_after": True}
