"""python -m ember.demo: runs the seed tutorial and writes the picture of its loss's graph."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


def run_demo(tmp_path, path: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "ember.demo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=True)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_demo_writes_the_picture(tmp_path):
    out = run_demo(tmp_path).stdout
    # The tutorial's own output comes first.
    assert out.startswith("Loss: ")
    assert "Gradient function for z = <AddBackward0 object at" in out
    assert "Call after zeroing gradients" in out
    svg = (tmp_path / "comp-graph.svg").read_text(encoding="utf-8")
    for name in ("BinaryCrossEntropyWithLogitsBackward0", "AddBackward0", "MmBackward0",
                 "SqueezeBackward4", "AccumulateGrad", ">w<", ">b<", ">loss<"):
        assert name in svg, name
    assert (tmp_path / "comp-graph.png").read_bytes()[:4] == b"\x89PNG"
    assert out.rstrip().endswith("comp-graph.svg, comp-graph.png")

