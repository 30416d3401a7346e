"""`import ember` leaves the submodules a program may never use unloaded, and each of them is
still reachable by every path it had before: attribute, `from ember import x`, `import
ember.x`, `dir()`, and `torch.x` through the alias."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")

LAZY = ["ember.distributions", "ember.hub", "ember.jit", "ember.onnx", "ember.optim",
        "ember.optim.lr_scheduler", "ember.serialization", "ember.testing", "ember.utils",
        "ember.utils.tensorboard", "ember.viz"]
# Standard-library modules that only the lazy parts (viz, the exact FMA paths) need.
LAZY_STDLIB = ["urllib.request", "http.client", "fractions", "decimal"]


def _run(code: str) -> str:
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                       env=dict(os.environ, PYTHONPATH=SRC), capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_import_ember_loads_no_lazy_module():
    out = _run(f"""
        import sys
        import ember
        print(sorted(m for m in {LAZY + LAZY_STDLIB!r} if m in sys.modules))
        """)
    assert out == "[]\n"


def test_lazy_names_resolve_by_every_path():
    out = _run("""
        import importlib
        import ember
        listed = dir(ember)
        for name in ["distributions", "hub", "jit", "onnx", "optim", "serialization",
                     "testing", "utils", "viz", "load", "save"]:
            assert name in listed, name
        assert ember.viz is importlib.import_module("ember.viz")
        from ember import distributions, load, save
        import ember.serialization
        assert distributions.Normal is ember.distributions.Normal
        assert load is ember.serialization.load and save is ember.serialization.save
        import ember.optim
        assert "lr_scheduler" in dir(ember.optim)
        assert ember.optim.lr_scheduler.StepLR.__module__ == "ember.optim.lr_scheduler"
        from ember.optim.lr_scheduler import StepLR
        assert StepLR is ember.optim.lr_scheduler.StepLR
        try:
            ember.no_such_name
        except AttributeError as e:
            assert str(e) == "module 'ember' has no attribute 'no_such_name'", e
        else:
            raise AssertionError("ember.no_such_name resolved")
        ember.install_as_torch()
        import torch
        import torch.testing
        assert torch.testing is ember.testing and torch.jit is ember.jit
        from torch.optim import lr_scheduler
        assert lr_scheduler is ember.optim.lr_scheduler
        print("ok")
        """)
    assert out == "ok\n"


def test_import_of_a_submodule_first_keeps_the_function_names():
    # `import ember.serialization` sets the package attribute to the module; the names
    # taken from it (load, save) must still be the functions.
    out = _run("""
        import ember.serialization
        import ember
        print(callable(ember.load), ember.save.__module__)
        """)
    assert out == "True ember.serialization\n"
