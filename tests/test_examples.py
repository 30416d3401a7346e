"""The digits examples run without torch, write their plot, and compare with torch only when
asked (and when torch is there)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import ember

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")

# Runs an example as `python examples/NAME.py ARGS`, with torch made unimportable when asked.
_RUNNER = """
import runpy, sys

class NoTorch:
    # `import torch` fails as where torch is not installed.
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

if sys.argv[1] == "no-torch":
    sys.meta_path.insert(0, NoTorch())
path = sys.argv[2]
sys.argv = sys.argv[2:]
runpy.run_path(path, run_name="__main__")
"""


def _run(tmp_path, name: str, *args: str, torch: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(ember.__file__))
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-c", _RUNNER, "torch" if torch else "no-torch",
           os.path.join(EXAMPLES, name), *args]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)


def test_mlp_example_runs_without_torch_and_writes_its_plot(tmp_path) -> None:
    r = _run(tmp_path, "train_mlp_digits.py", "--steps", "20", torch=False)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "mlp_loss.png").read_bytes()[:4] == b"\x89PNG"
    assert "torch" not in r.stdout


def test_compare_torch_without_torch_says_so_after_the_plot(tmp_path) -> None:
    r = _run(tmp_path, "train_cnn_digits.py", "--steps", "10", "--compare-torch", torch=False)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "cnn_loss.png").exists()
    assert "torch is not installed" in r.stdout
    assert r.stdout.index("saved cnn_loss.png") < r.stdout.index("torch is not installed")


def test_cnn_example_agrees_with_torch_when_asked(tmp_path) -> None:
    pytest.importorskip("torch")
    r = _run(tmp_path, "train_cnn_digits.py", "--steps", "30", "--compare-torch",
             "--out", "curve.png")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "largest relative difference per step" in r.stdout and "tolerance" in r.stdout
    assert (tmp_path / "curve.png").exists()
