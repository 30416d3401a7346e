"""ember changes no process-wide setting behind the program's back: the cyclic collector,
NumPy's promotion state, and anomaly mode behave as in torch, across threads."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
import torch

import ember


def _in_thread(fn) -> None:
    t = threading.Thread(target=fn)
    t.start()
    t.join()


def _backward_running(during) -> None:
    """Runs a backward whose first formula calls `during()` (from the engine's thread)."""
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: during())
    (y * y).sum().backward()


def test_backward_leaves_the_collector_on_for_other_threads() -> None:
    seen = []
    _backward_running(lambda: _in_thread(lambda: seen.append(gc.isenabled())))
    assert seen == [gc.isenabled()] == [True]


def test_collector_turned_off_by_another_thread_during_backward_stays_off() -> None:
    assert gc.isenabled()
    try:
        _backward_running(lambda: _in_thread(gc.disable))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_backward_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        _backward_running(lambda: None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_numpy_promotion_state_is_never_changed() -> None:
    # On NumPy 1.x the backward once switched NumPy to NEP 50 promotion for the process.
    get = getattr(np, "_get_promotion_state", None)
    seen = []
    x = ember.tensor(2.0, dtype=ember.float32, requires_grad=True)
    y = (x * 3.0).sin() ** 2 / 7.0
    y.register_hook(lambda g: seen.append(get() if get else None))
    before = get() if get else None
    y.backward()
    assert seen == [before] and (get() if get else None) == before
    assert x.grad.dtype is ember.float32


def test_anomaly_mode_is_global_as_in_torch() -> None:
    seen = {}
    for lib in (ember, torch):
        with lib.autograd.set_detect_anomaly(True):
            out = []
            _in_thread(lambda lib=lib, out=out: out.append(lib.is_anomaly_enabled()))
            seen[lib.__name__] = out[0]
    assert seen == {"ember": True, "torch": True}
    # And set from another thread, it holds in this one.
    try:
        _in_thread(lambda: ember.autograd.set_detect_anomaly(True))
        assert ember.is_anomaly_enabled()
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert not ember.is_anomaly_enabled()


USER_PROGRAM = """
import warnings
import ember

def forward(x):
    return x.sqrt().log()   # the user's line that anomaly mode must show

x = ember.tensor([-1.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with ember.autograd.detect_anomaly():
        y = forward(x)
        try:
            y.backward()
        except RuntimeError:
            pass
print([str(w.message) for w in caught if "Traceback of forward call" in str(w.message)][0])
"""


def test_anomaly_traceback_shows_a_user_file_under_a_folder_named_ember(tmp_path) -> None:
    # A fresh clone of the project is a folder named ember: the user's own frames there are
    # the user's, not ember's.
    folder = tmp_path / "ember" / "tests"
    folder.mkdir(parents=True)
    script = folder / "user_program.py"
    script.write_text(USER_PROGRAM)
    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(ember.__file__))
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "user_program.py" in r.stdout and "return x.sqrt().log()" in r.stdout
    assert os.path.dirname(ember.__file__) not in r.stdout  # ember's own frames stay out


def test_anomaly_traceback_drops_only_embers_own_frames() -> None:
    x = ember.tensor([-1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ember.autograd.detect_anomaly():
            y = x.sqrt().log()
            with pytest.raises(RuntimeError):
                y.backward()
    trace = [str(w.message) for w in caught if "Traceback of forward" in str(w.message)][0]
    assert __file__ in trace and "y = x.sqrt().log()" in trace
    assert os.path.dirname(ember.__file__) not in trace
